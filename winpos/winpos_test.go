package winpos

import (
	"errors"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver"
	"fyne.io/fyne/v2/test"
)

// nativeWindow is a fyne.Window whose RunNative hands out ctx, the way the
// GLFW driver's windows do. Only RunNative is ever called on it.
type nativeWindow struct {
	fyne.Window
	ctx   any
	panic bool
}

func (w nativeWindow) RunNative(f func(any)) {
	if w.panic {
		panic("the GLFW library is not initialized") // what go-gl/glfw does after Terminate
	}
	f(w.ctx)
}

func TestNoNativeWindowIsUnsupportedNotAPanic(t *testing.T) {
	a := test.NewTempApp(t)
	for name, w := range map[string]fyne.Window{
		"test driver":       a.NewWindow("test"),
		"unknown context":   nativeWindow{ctx: driver.UnknownContext{}},
		"wayland":           nativeWindow{ctx: driver.WaylandWindowContext{WaylandSurface: 1}},
		"not created yet":   nativeWindow{ctx: driver.X11WindowContext{}},
		"not created (win)": nativeWindow{ctx: driver.WindowsWindowContext{}},
		"not created (mac)": nativeWindow{ctx: driver.MacWindowContext{}},
		"driver shut down":  nativeWindow{ctx: driver.X11WindowContext{WindowHandle: 1}, panic: true},
	} {
		if _, _, err := Get(w); !errors.Is(err, ErrUnsupported) {
			t.Errorf("%s: Get: %v, want ErrUnsupported", name, err)
		}
		if err := Set(w, 10, 10); !errors.Is(err, ErrUnsupported) {
			t.Errorf("%s: Set: %v, want ErrUnsupported", name, err)
		}
	}
}

func TestOnScreenWantsMinVisiblePixelsOnOneScreen(t *testing.T) {
	// Two monitors side by side, the right one smaller: a gap below it.
	screens := []rect{{0, 0, 1920, 1080}, {1920, 0, 1280, 800}}
	const w, h = 480, 640
	for _, c := range []struct {
		x, y int
		want bool
	}{
		{100, 100, true},
		{0, 0, true},
		{2000, 100, true},                        // on the second monitor
		{1920 - w/2, 100, true},                  // across both
		{-w + MinVisible, 100, true},             // MinVisible px on the left edge
		{-w + MinVisible - 1, 100, false},        // one pixel less
		{3200 - MinVisible, 100, true},           // right edge of the second
		{3200 - MinVisible + 1, 100, false},      //
		{100, 1080 - MinVisible, true},           // bottom edge of the first
		{100, 1080 - MinVisible + 1, false},      //
		{2500, 800 - MinVisible + 1, false},      // in the gap below the second
		{1920 - w + MinVisible, 900, true},       // low on the first, beside the gap
		{1920 - w + MinVisible - 1, 1100, false}, // below everything
		{-5000, -5000, false},
		{5000, 100, false}, // a monitor unplugged since
	} {
		if got := onScreen(rect{c.x, c.y, w, h}, screens); got != c.want {
			t.Errorf("window at %d,%d: onScreen %v, want %v", c.x, c.y, got, c.want)
		}
	}
	// A window smaller than 2*MinVisible needs about half of it on screen.
	small := rect{-20, 0, 40, 40}
	if !onScreen(small, screens) {
		t.Errorf("%v half on screen: refused", small)
	}
	small.x = -21
	if onScreen(small, screens) {
		t.Errorf("%v under half on screen: accepted", small)
	}
	if onScreen(rect{0, 0, 480, 640}, nil) {
		t.Error("accepted with no screens")
	}
}
