//go:build (freebsd || openbsd || netbsd || (linux && !android)) && !wayland

package winpos

import (
	"errors"
	"testing"
	"time"

	"fyne.io/fyne/v2/driver"

	"directuschat/internal/displaytest"
	"directuschat/winpos/internal/xtest"
)

// x11Window is what Fyne's GLFW driver hands winpos for an X11 window.
func x11Window(win uintptr) nativeWindow {
	return nativeWindow{ctx: driver.X11WindowContext{WindowHandle: win}}
}

// waitAt waits until Get reports x, y. The X server applies a move
// asynchronously, and under a window manager only once the manager has
// handled it as a ConfigureRequest; the test's connection gets a
// ConfigureNotify when the window moves, which wakes the loop. It also
// re-reads at least every 100 ms, because a manager that moves only its
// frame may send the client no event, and gives up after 5 s.
func waitAt(t *testing.T, d *xtest.Display, w nativeWindow, x, y int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		gx, gy, err := Get(w)
		if err != nil {
			t.Fatal(err)
		}
		if gx == x && gy == y {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the window is at %d,%d, want %d,%d", gx, gy, x, y)
		}
		d.WaitConfigure(100 * time.Millisecond)
	}
}

// TestSetThenGetOnTheDisplay runs on $DISPLAY (xvfb-run in make test, where
// no window manager runs): Set moves the window exactly where Get then finds
// it, anywhere with enough of it on screen, and refuses the rest.
func TestSetThenGetOnTheDisplay(t *testing.T) {
	d, err := xtest.Open(displaytest.Need(t))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	rw, rh := d.RootSize()
	const ww, wh = 400, 300
	win, err := d.CreateWindow(ww, wh)
	if err != nil {
		t.Fatal(err)
	}
	defer d.DestroyWindow(win)
	w := x11Window(win)

	for _, p := range [][2]int{
		{100, 50},
		{rw - 300, rh - 200},
		{rw - MinVisible, rh - MinVisible}, // just enough on screen
		{-ww + MinVisible, 10},
		{137, 91},
	} {
		if err := Set(w, p[0], p[1]); err != nil {
			t.Fatalf("Set(%d,%d): %v", p[0], p[1], err)
		}
		waitAt(t, d, w, p[0], p[1])
	}
	for _, p := range [][2]int{
		{rw - MinVisible + 1, 10},
		{10, rh},
		{-ww + MinVisible - 1, 10},
		{-10000, -10000},
		{rw + 1920, 0}, // a second monitor unplugged since
	} {
		if err := Set(w, p[0], p[1]); !errors.Is(err, ErrOffScreen) {
			t.Errorf("Set(%d,%d): %v, want ErrOffScreen", p[0], p[1], err)
		}
	}
	// Nothing was sent for the refused ones: the window stayed.
	if x, y, err := Get(w); err != nil || x != 137 || y != 91 {
		t.Errorf("after refused moves: %d,%d, %v; want 137,91", x, y, err)
	}
}

// TestRestoreUnderAReparentingWindowManager starts its own Xvfb with
// openbox, which puts each window in a decorated frame, places new windows
// itself and gets moves as ConfigureRequests. It proves that what Get saved
// in one "run" comes back exactly in the next, cycle after cycle: the frame
// (title bar and border) does not shift the window, and nothing drifts.
func TestRestoreUnderAReparentingWindowManager(t *testing.T) {
	display := displaytest.Openbox(t)
	t.Setenv("DISPLAY", display) // winpos opens $DISPLAY
	d, err := xtest.Open(display)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()

	// First run: openbox places the window, the user moves it, the app
	// saves where it is.
	const ww, wh = 480, 640
	win, err := d.CreateWindow(ww, wh)
	if err != nil {
		t.Fatal(err)
	}
	if !d.Reparented(win) {
		t.Fatal("openbox did not frame the window: this test would prove nothing")
	}
	w := x11Window(win)
	if err := Set(w, 333, 77); err != nil {
		t.Fatal(err)
	}
	waitAt(t, d, w, 333, 77)
	savedX, savedY, err := Get(w)
	if err != nil {
		t.Fatal(err)
	}
	d.DestroyWindow(win)

	for run := 2; run <= 6; run++ {
		win, err := d.CreateWindow(ww, wh)
		if err != nil {
			t.Fatal(err)
		}
		w := x11Window(win)
		px, py, _ := Get(w)
		if err := Set(w, savedX, savedY); err != nil {
			t.Fatalf("run %d: %v", run, err)
		}
		waitAt(t, d, w, savedX, savedY)
		t.Logf("run %d: placed by openbox at %d,%d, restored to %d,%d", run, px, py, savedX, savedY)
		savedX, savedY, _ = Get(w) // what this run saves at quit
		d.DestroyWindow(win)
	}
	if savedX != 333 || savedY != 77 {
		t.Errorf("after 5 save/restore cycles the window is at %d,%d, want 333,77", savedX, savedY)
	}

	// Off-screen positions are refused under the manager too.
	win, err = d.CreateWindow(ww, wh)
	if err != nil {
		t.Fatal(err)
	}
	defer d.DestroyWindow(win)
	if err := Set(x11Window(win), 4000, 100); !errors.Is(err, ErrOffScreen) {
		t.Errorf("Set(4000,100) on a 1280x800 screen: %v, want ErrOffScreen", err)
	}
}
