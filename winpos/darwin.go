//go:build darwin && !ios

package winpos

/*
#cgo CFLAGS: -x objective-c
#cgo LDFLAGS: -framework Foundation -framework AppKit
#include <stdint.h>
#import <AppKit/AppKit.h>

// Cocoa coordinates throughout: points, origin at the bottom-left of the
// primary screen, y growing upward. Called on the main thread (Fyne's UI
// thread), as AppKit requires.

// winposFrame stores the window's frame as x, y, width, height in out[0..3].
static void winposFrame(uintptr_t w, double *out) {
	@autoreleasepool {
		NSRect f = [(NSWindow *)(void *)w frame];
		out[0] = f.origin.x;
		out[1] = f.origin.y;
		out[2] = f.size.width;
		out[3] = f.size.height;
	}
}

// winposScreens stores the frames of at most max screens in out, four
// doubles each, and returns how many it stored.
static int winposScreens(double *out, int max) {
	@autoreleasepool {
		int n = 0;
		for (NSScreen *s in [NSScreen screens]) {
			if (n == max) {
				break;
			}
			NSRect f = [s frame];
			out[4*n+0] = f.origin.x;
			out[4*n+1] = f.origin.y;
			out[4*n+2] = f.size.width;
			out[4*n+3] = f.size.height;
			n++;
		}
		return n;
	}
}

// winposMove moves the window's frame origin (bottom-left) to x, y.
static void winposMove(uintptr_t w, double x, double y) {
	@autoreleasepool {
		[(NSWindow *)(void *)w setFrameOrigin:NSMakePoint(x, y)];
	}
}
*/
import "C"

import (
	"fmt"
	"math"

	"fyne.io/fyne/v2/driver"
)

func nativeHandle(ctx any) uintptr {
	if c, ok := ctx.(driver.MacWindowContext); ok {
		return c.NSWindow
	}
	return 0
}

// maxScreens is more screens than anyone has.
const maxScreens = 16

func frame(w uintptr) rect {
	var f [4]C.double
	C.winposFrame(C.uintptr_t(w), &f[0])
	return rect{round(f[0]), round(f[1]), round(f[2]), round(f[3])}
}

func round(v C.double) int { return int(math.Round(float64(v))) }

func get(w uintptr) (int, int, error) {
	f := frame(w)
	return f.x, f.y, nil
}

func set(w uintptr, x, y int) error {
	f := frame(w)
	var buf [4 * maxScreens]C.double
	n := int(C.winposScreens(&buf[0], maxScreens))
	screens := make([]rect, n)
	for i := range screens {
		screens[i] = rect{round(buf[4*i]), round(buf[4*i+1]), round(buf[4*i+2]), round(buf[4*i+3])}
	}
	if !onScreen(rect{x, y, f.w, f.h}, screens) {
		return fmt.Errorf("%w: a %dx%d window at %d,%d, screens %v", ErrOffScreen, f.w, f.h, x, y, screens)
	}
	C.winposMove(C.uintptr_t(w), C.double(x), C.double(y))
	return nil
}
