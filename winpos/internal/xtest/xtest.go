//go:build (freebsd || openbsd || netbsd || (linux && !android)) && !wayland

// Package xtest makes plain X11 windows for winpos's tests, set up the way
// GLFW sets up Fyne's (StaticGravity in WM_NORMAL_HINTS), and waits on X
// events. It exists because cgo cannot be used in _test.go files.
package xtest

/*
#cgo LDFLAGS: -lX11
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <X11/Xlib.h>
#include <X11/Xutil.h>

// xtestNext takes the next event off the connection and returns its type:
// 0 when none came within ms milliseconds, -1 when data came that was no
// event or a signal interrupted the wait (Go's runtime sends SIGURG to
// preempt goroutines): ask again.
static int xtestNext(Display *d, int ms) {
	if (XPending(d) == 0) {
		struct pollfd p;
		memset(&p, 0, sizeof p);
		p.fd = ConnectionNumber(d);
		p.events = POLLIN;
		int n = poll(&p, 1, ms);
		if (n < 0 && errno == EINTR) {
			return -1;
		}
		if (n <= 0) {
			return 0;
		}
		if (XPending(d) == 0) {
			return -1;
		}
	}
	XEvent ev;
	XNextEvent(d, &ev);
	return ev.type;
}

// xtestCreate makes a w x h top-level window with the hints GLFW gives
// Fyne's windows, selects its structure events and maps it.
static Window xtestCreate(Display *d, int w, int h) {
	Window root = DefaultRootWindow(d);
	Window win = XCreateSimpleWindow(d, root, 0, 0, w, h, 0, 0, WhitePixel(d, DefaultScreen(d)));
	XSizeHints *hints = XAllocSizeHints();
	hints->flags = PWinGravity;
	hints->win_gravity = StaticGravity;
	XSetWMNormalHints(d, win, hints);
	XFree(hints);
	XStoreName(d, win, "winpos test");
	XSelectInput(d, win, StructureNotifyMask);
	XMapWindow(d, win);
	XFlush(d);
	return win;
}

*/
import "C"

import (
	"errors"
	"fmt"
	"time"
	"unsafe"
)

// Display is a connection to an X server.
type Display struct{ d *C.Display }

// Open connects to the X server named like $DISPLAY (":0"), or to $DISPLAY
// for "".
func Open(name string) (*Display, error) {
	var cname *C.char
	if name != "" {
		cname = C.CString(name)
		defer C.free(unsafe.Pointer(cname))
	}
	d := C.XOpenDisplay(cname)
	if d == nil {
		return nil, fmt.Errorf("cannot open X display %q", name)
	}
	return &Display{d}, nil
}

// Close closes the connection; its windows go with it.
func (d *Display) Close() { C.XCloseDisplay(d.d) }

// RootSize is the size of the default screen's root window.
func (d *Display) RootSize() (w, h int) {
	s := C.XDefaultScreenOfDisplay(d.d)
	return int(C.XWidthOfScreen(s)), int(C.XHeightOfScreen(s))
}

// CreateWindow makes and maps a w x h top-level window like GLFW's and
// returns once it is mapped (by the window manager, if there is one).
func (d *Display) CreateWindow(w, h int) (uintptr, error) {
	win := C.xtestCreate(d.d, C.int(w), C.int(h))
	if !d.wait(C.MapNotify, 5*time.Second) {
		return 0, errors.New("the window was not mapped")
	}
	return uintptr(win), nil
}

// DestroyWindow destroys a window made by CreateWindow.
func (d *Display) DestroyWindow(win uintptr) {
	C.XDestroyWindow(d.d, C.Window(win))
	C.XSync(d.d, C.False)
}

// Reparented reports whether a window manager has put the window in a frame.
func (d *Display) Reparented(win uintptr) bool {
	var root, parent C.Window
	var children *C.Window
	var n C.uint
	if C.XQueryTree(d.d, C.Window(win), &root, &parent, &children, &n) == 0 {
		return false
	}
	if children != nil {
		C.XFree(unsafe.Pointer(children))
	}
	return parent != root
}

// WaitConfigure waits at most timeout for a ConfigureNotify on one of the
// display's windows (they come when the server or the window manager moves
// or resizes one).
func (d *Display) WaitConfigure(timeout time.Duration) bool {
	return d.wait(C.ConfigureNotify, timeout)
}

// wait takes events off the connection until one of the type comes (true)
// or the timeout passes (false).
func (d *Display) wait(eventType C.int, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for {
		ms := max(time.Until(deadline).Milliseconds(), 0)
		switch t := C.xtestNext(d.d, C.int(ms)); {
		case t == eventType:
			return true
		case t == 0:
			return false
		}
	}
}
