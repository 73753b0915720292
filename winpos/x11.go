//go:build (freebsd || openbsd || netbsd || (linux && !android)) && !wayland

package winpos

/*
#cgo LDFLAGS: -lX11 -lXrandr
#include <X11/Xlib.h>
#include <X11/extensions/Xrandr.h>

// Xlib has one error handler per process, and its default one exits. Ours
// is installed only around our own requests, on the UI thread (where GLFW,
// the only other Xlib user, is not running), and records the first error.
static int winposErrorCode;

static int winposOnError(Display *d, XErrorEvent *e) {
	if (winposErrorCode == 0) {
		winposErrorCode = e->error_code;
	}
	return 0;
}

static XErrorHandler winposCatchErrors(void) {
	winposErrorCode = 0;
	return XSetErrorHandler(winposOnError);
}

// winposTakeError waits until the server has handled every request sent so
// far and returns the first X error they caused (0 for none).
static int winposTakeError(Display *d) {
	XSync(d, False);
	int code = winposErrorCode;
	winposErrorCode = 0;
	return code;
}
*/
import "C"

import (
	"errors"
	"fmt"
	"os"
	"unsafe"

	"fyne.io/fyne/v2/driver"
)

func nativeHandle(ctx any) uintptr {
	if c, ok := ctx.(driver.X11WindowContext); ok {
		return c.WindowHandle
	}
	return 0
}

// xconn is a connection of our own to the X server (window ids are
// server-wide, so GLFW's window can be read and moved through it), opened
// per call: there are a handful of calls in a run, and nothing is shared.
type xconn struct {
	d    *C.Display
	prev C.XErrorHandler
}

func openX() (*xconn, error) {
	d := C.XOpenDisplay(nil)
	if d == nil {
		return nil, fmt.Errorf("%w: cannot open X display %q", ErrUnsupported, os.Getenv("DISPLAY"))
	}
	return &xconn{d: d, prev: C.winposCatchErrors()}, nil
}

func (c *xconn) close() {
	C.winposTakeError(c.d)
	C.XSetErrorHandler(c.prev)
	C.XCloseDisplay(c.d)
}

// check returns the X error that the requests so far caused, if any.
func (c *xconn) check(what string) error {
	code := C.winposTakeError(c.d)
	if code == 0 {
		return nil
	}
	var buf [128]C.char
	C.XGetErrorText(c.d, code, &buf[0], C.int(len(buf)))
	return fmt.Errorf("%s: X error %d (%s)", what, int(code), C.GoString(&buf[0]))
}

// geometry returns the window's root window and its content's rectangle in
// root coordinates.
func (c *xconn) geometry(win C.Window) (C.Window, rect, error) {
	var root, child C.Window
	var x, y C.int
	var w, h, border, depth C.uint
	ok := C.XGetGeometry(c.d, C.Drawable(win), &root, &x, &y, &w, &h, &border, &depth) != 0
	if err := c.check("XGetGeometry"); err != nil || !ok {
		return 0, rect{}, errors.Join(errors.New("XGetGeometry failed"), err)
	}
	// The content's origin on the root (what glfwGetWindowPos returns): x, y
	// above are relative to the parent, which is the WM's frame when there
	// is a reparenting window manager.
	ok = C.XTranslateCoordinates(c.d, win, root, 0, 0, &x, &y, &child) != 0
	if err := c.check("XTranslateCoordinates"); err != nil || !ok {
		return 0, rect{}, errors.Join(errors.New("XTranslateCoordinates failed"), err)
	}
	return root, rect{int(x), int(y), int(w), int(h)}, nil
}

// screens returns the monitors that RandR 1.5 lists, or else the whole
// root window (then a position in a gap between monitors of different sizes
// passes as on screen).
func (c *xconn) screens(root C.Window) []rect {
	var event, errBase, major, minor C.int
	if C.XRRQueryExtension(c.d, &event, &errBase) != 0 &&
		C.XRRQueryVersion(c.d, &major, &minor) != 0 && (major > 1 || major == 1 && minor >= 5) {
		var n C.int
		if m := C.XRRGetMonitors(c.d, root, C.True, &n); m != nil {
			defer C.XRRFreeMonitors(m)
			var out []rect
			for _, mon := range unsafe.Slice(m, int(n)) {
				out = append(out, rect{int(mon.x), int(mon.y), int(mon.width), int(mon.height)})
			}
			if len(out) > 0 {
				return out
			}
		}
	}
	_ = c.check("RandR") // a server without RandR 1.5 is not an error here
	var r C.Window
	var x, y C.int
	var w, h, border, depth C.uint
	if C.XGetGeometry(c.d, C.Drawable(root), &r, &x, &y, &w, &h, &border, &depth) == 0 {
		return nil
	}
	return []rect{{0, 0, int(w), int(h)}}
}

func get(h uintptr) (int, int, error) {
	c, err := openX()
	if err != nil {
		return 0, 0, err
	}
	defer c.close()
	_, r, err := c.geometry(C.Window(h))
	if err != nil {
		return 0, 0, err
	}
	return r.x, r.y, nil
}

// set moves the content's origin to x, y. GLFW asks for StaticGravity in
// WM_NORMAL_HINTS, so a window manager places the client itself there, not
// its frame: what geometry reads back is what was set, with no drift.
func set(h uintptr, x, y int) error {
	c, err := openX()
	if err != nil {
		return err
	}
	defer c.close()
	win := C.Window(h)
	root, r, err := c.geometry(win)
	if err != nil {
		return err
	}
	if screens := c.screens(root); !onScreen(rect{x, y, r.w, r.h}, screens) {
		return fmt.Errorf("%w: a %dx%d window at %d,%d, screens %v", ErrOffScreen, r.w, r.h, x, y, screens)
	}
	C.XMoveWindow(c.d, win, C.int(x), C.int(y))
	return c.check("XMoveWindow")
}
