//go:build (freebsd || openbsd || netbsd || (linux && !android)) && !wayland

package winpos

import (
	"bufio"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/driver"

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
	if os.Getenv("DISPLAY") == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("no DISPLAY: run under xvfb-run")
		}
		t.Skip("no DISPLAY")
	}
	d, err := xtest.Open("")
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
	display := startXWithOpenbox(t)
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

// startXWithOpenbox starts Xvfb on a free display and openbox on it, and
// returns the display name. It skips when either is missing (but fails in
// CI, which installs both).
func startXWithOpenbox(t *testing.T) string {
	xvfb, err1 := exec.LookPath("Xvfb")
	openbox, err2 := exec.LookPath("openbox")
	if err := errors.Join(err1, err2); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	// Xvfb picks a free display and writes its number to fd 3 once it
	// accepts connections.
	r, wr, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	x := exec.Command(xvfb, "-displayfd", "3", "-screen", "0", "1280x800x24", "-nolisten", "tcp")
	x.ExtraFiles = []*os.File{wr}
	if err := x.Start(); err != nil {
		t.Fatal(err)
	}
	wr.Close()
	t.Cleanup(func() { _ = x.Process.Kill(); _ = x.Wait() })
	_ = r.SetReadDeadline(time.Now().Add(15 * time.Second))
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil {
		t.Fatalf("Xvfb did not report its display: %v", err)
	}
	display := ":" + strings.TrimSpace(line)

	// openbox runs its --startup command once it manages windows (it sets
	// _NET_SUPPORTING_WM_CHECK earlier, when a window mapped may still be
	// missed); the command's echo comes through openbox's stdout.
	home := t.TempDir()
	out, obOut, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	ob := exec.Command(openbox, "--sm-disable", "--startup", "echo openbox-ready")
	ob.Env = append(os.Environ(), "DISPLAY="+display, "HOME="+home, "XDG_CONFIG_HOME="+home, "XDG_CACHE_HOME="+home)
	ob.Stdout = obOut
	if err := ob.Start(); err != nil {
		t.Fatal(err)
	}
	obOut.Close()
	t.Cleanup(func() { _ = ob.Process.Kill(); _ = ob.Wait() })
	_ = out.SetReadDeadline(time.Now().Add(15 * time.Second))
	lines := bufio.NewScanner(out) // openbox's own messages come there too
	for lines.Scan() && lines.Text() != "openbox-ready" {
		t.Logf("openbox: %s", lines.Text())
	}
	if lines.Text() != "openbox-ready" {
		t.Fatalf("openbox did not start: %v", lines.Err())
	}
	return display
}
