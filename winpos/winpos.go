// Package winpos has one job: read and move a top-level window's position
// on the screen, through the native window system, because Fyne 2.7 has no
// API for either (it remembers a window's size, never where it was).
//
// It reaches the native window through [driver.NativeWindow]: Xlib on X11
// (Linux and the BSDs), user32 on Windows, AppKit on macOS. Elsewhere
// (Wayland, where a client may not place its windows; Fyne's test driver;
// a window not shown yet) Get and Set return [ErrUnsupported].
//
// A position is in the native system's own coordinates and only means
// something to Set on the same machine: on X11 the root-window pixel of the
// content's top-left corner (what GLFW calls the window position); on Windows
// the screen pixel of the frame's top-left corner; on macOS the Cocoa point
// of the frame's bottom-left corner, y growing upward.
//
// Get and Set must be called on the Fyne UI thread (in a Fyne callback or
// in fyne.Do): the native handle belongs to the driver's window, which only
// that thread may touch, and AppKit wants its main thread.
package winpos

import (
	"errors"
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver"
)

var (
	// ErrUnsupported: the window has no native window that can be placed
	// (Wayland, the test driver, not shown yet, or the window system is gone).
	ErrUnsupported = errors.New("window position not supported here")
	// ErrOffScreen: Set refused a position that would leave the window
	// (almost) entirely off every screen, such as a monitor unplugged since.
	ErrOffScreen = errors.New("position off every screen")
)

// Get returns the window's position. Call it on the Fyne UI thread.
func Get(w fyne.Window) (x, y int, err error) {
	h, err := handle(w)
	if err != nil {
		return 0, 0, err
	}
	x, y, err = get(h)
	if err != nil {
		return 0, 0, fmt.Errorf("reading the window position: %w", err)
	}
	return x, y, nil
}

// Set moves the window to a position that Get returned earlier, keeping its
// size, unless fewer than [MinVisible] pixels of it (in each direction) would
// be on any one screen: then it returns [ErrOffScreen] and leaves the window
// where it is. Call it on the Fyne UI thread. The window system applies the
// move asynchronously: Get may return the old position for a moment.
func Set(w fyne.Window, x, y int) error {
	h, err := handle(w)
	if err != nil {
		return err
	}
	if err := set(h, x, y); err != nil {
		return fmt.Errorf("moving the window to %d,%d: %w", x, y, err)
	}
	return nil
}

// MinVisible is how much of a window, in each direction, Set wants on one
// screen: enough to see it and drag it back (or about half of a window
// smaller than twice that).
const MinVisible = 48

// handle is the window's native handle (an X11 Window, an HWND or an
// NSWindow pointer), 0 with ErrUnsupported when there is none.
func handle(w fyne.Window) (h uintptr, err error) {
	nw, ok := w.(driver.NativeWindow)
	if !ok {
		return 0, fmt.Errorf("%w: %T has no native window", ErrUnsupported, w)
	}
	// GLFW's Go binding panics when asked after the driver has shut it down
	// (for example from Lifecycle.OnStopped). Report that, never crash.
	defer func() {
		if r := recover(); r != nil {
			h, err = 0, fmt.Errorf("%w: native window: %v", ErrUnsupported, r)
		}
	}()
	var kind string
	nw.RunNative(func(ctx any) {
		kind = fmt.Sprintf("%T", ctx)
		h = nativeHandle(ctx)
	})
	if h == 0 {
		return 0, fmt.Errorf("%w: no native handle (%s)", ErrUnsupported, kind)
	}
	return h, nil
}

// rect is a rectangle in the native coordinates: x, y is a corner, w and h
// extend in the direction the coordinates grow.
type rect struct{ x, y, w, h int }

// probe is win shrunk so that it intersects a screen exactly when at least
// MinVisible pixels of win in each direction lie on that screen. (Intervals
// [a,b) and [c,d) overlap by min(b-a, b-c, d-a, d-c); shrinking [a,b) by k
// on both sides leaves an interval that meets [c,d) iff b-c > k and d-a > k.)
// Windows checks the probe with MonitorFromRect, macOS with NSIntersectsRect.
func probe(win rect) rect {
	kx := min(MinVisible-1, (win.w-1)/2)
	ky := min(MinVisible-1, (win.h-1)/2)
	return rect{win.x + kx, win.y + ky, win.w - 2*kx, win.h - 2*ky}
}

// intersects reports whether a and b share at least one pixel.
func intersects(a, b rect) bool {
	return a.w > 0 && a.h > 0 && b.w > 0 && b.h > 0 &&
		a.x < b.x+b.w && b.x < a.x+a.w && a.y < b.y+b.h && b.y < a.y+a.h
}

// onScreen reports whether enough of win lies on one of the screens.
func onScreen(win rect, screens []rect) bool {
	p := probe(win)
	for _, s := range screens {
		if intersects(p, s) {
			return true
		}
	}
	return false
}
