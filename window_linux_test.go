//go:build linux

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"directuschat/internal/dbustest"
	"directuschat/internal/displaytest"
)

// TestWindowComesBackWhereItWasLeft runs the real app at its login form
// under openbox, which places new windows itself and frames them: moved and
// closed (at the login form closing quits), it comes back to the same place
// at the next start, and again at the next ones without drifting. A saved
// place off every screen (a monitor unplugged since) is not used: the
// window stays where openbox puts it.
//
// The app runs on one CPU (GOMAXPROCS=1): Fyne 2.8.1's shutdown then skips
// its stopped hook, and with it the last write of its preferences, about
// one run in four; the position saved in the preferences at quit was lost
// that often.
func TestWindowComesBackWhereItWasLeft(t *testing.T) {
	display := displaytest.Openbox(t)
	needTools(t, "xdotool", "xwininfo", "xev")
	addr := dbustest.PrivateBus(t)
	home := t.TempDir()
	bin := buildApp(t, t.TempDir())
	t.Setenv("GOMAXPROCS", "1") // for the app, started with this environment
	x := &xTool{t: t, display: display}
	args := []string{"-debug", "-server", "http://127.0.0.1:9"} // the login form; nothing is contacted

	// launch starts the app and returns it with its window and the window's
	// events.
	launch := func() (*runningApp, string, *windowEvents) {
		t.Helper()
		app := startBuilt(t, bin, display, addr, home, args...)
		win := x.run("search", "--sync", "--onlyvisible", "--name", "^Directus Chat$")
		return app, win, x.watch(win)
	}
	// closeWindow closes the window from the window manager (openbox's
	// Alt+F4 sends WM_DELETE_WINDOW, as a title bar's close button does)
	// and waits for the app to quit. The key press is sometimes lost (the
	// app logs no close and idles in its event loop): should the app still
	// run 5 s later, it is pressed again, as a user would.
	closeWindow := func(app *runningApp, win string) {
		t.Helper()
		deadline := time.After(30 * time.Second)
		for press := 1; ; press++ {
			if press > 1 {
				t.Logf("the app still runs 5 s after Alt+F4: pressing it again (press %d)", press)
			}
			// The window may be going away meanwhile: only the exit decides.
			_ = x.try("windowactivate", "--sync", win)
			_ = x.try("key", "alt+F4")
			select {
			case <-app.exited:
				if app.exitErr != nil {
					t.Fatalf("the app exited with %v\n%s", app.exitErr, app.log.String())
				}
				return
			case <-time.After(5 * time.Second):
			case <-deadline:
				_ = app.cmd.Process.Signal(syscall.SIGQUIT) // the Go runtime prints every goroutine's stack
				select {
				case <-app.exited:
				case <-time.After(10 * time.Second):
				}
				t.Fatalf("the app still runs 30 s after its window was closed at the login form\n%s", app.log.String())
			}
		}
	}

	app, win, events := launch()
	placed := x.position(win) // where openbox put it
	x.run("windowmove", "--sync", win, "417", "233")
	left := events.awaitPosition(t, x, win, 417, 233)
	closeWindow(app, win)
	if got := savedPosition(t, home, app); got != left {
		t.Fatalf("saved %v at quit, want %v", got, left)
	}

	for run := 2; run <= 4; run++ {
		app, win, events := launch()
		events.awaitPosition(t, x, win, left[0], left[1])
		closeWindow(app, win)
		if got := savedPosition(t, home, app); got != left {
			t.Fatalf("run %d saved %v at quit, want %v (drift)", run, got, left)
		}
	}

	// Ended by the system (a logout, a shutdown: SIGTERM): the place is
	// saved as at a quit.
	app, win, events = launch()
	events.awaitPosition(t, x, win, left[0], left[1])
	x.run("windowmove", "--sync", win, "301", "187")
	moved := events.awaitPosition(t, x, win, 301, 187)
	if err := app.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-app.exited:
		if app.exitErr != nil {
			t.Fatalf("the app exited with %v at SIGTERM\n%s", app.exitErr, app.log.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("the app still runs 30 s after SIGTERM\n%s", app.log.String())
	}
	if got := savedPosition(t, home, app); got != moved {
		t.Fatalf("saved %v at SIGTERM, want %v", got, moved)
	}
	left = moved

	// A place off every screen (1280x800): not used.
	setSavedPosition(t, home, app, 3000, left[1])
	app, win, _ = launch()
	app.awaitLog(t, "window position not restored") // the app has decided
	if got := x.position(win); got != placed {
		t.Errorf("with a saved place off the screen the window is at %v, want %v where openbox placed it", got, placed)
	}
	closeWindow(app, win)
}

// awaitLog waits (20 s at most) until the app's output holds s.
func (a *runningApp) awaitLog(t *testing.T, s string) {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for !strings.Contains(a.log.String(), s) {
		select {
		case <-a.log.written:
		case <-a.exited:
			t.Fatalf("the app exited (%v) without logging %q\n%s", a.exitErr, s, a.log.String())
		case <-deadline:
			t.Fatalf("the app did not log %q within 20 s\n%s", s, a.log.String())
		}
	}
}

// placeFile is the file where the app keeps its window's place, beside
// Fyne's preferences (ui.Config.WindowFile).
func placeFile(t *testing.T, home string) string {
	t.Helper()
	dirs, _ := filepath.Glob(filepath.Join(home, "config", "fyne", "*"))
	if len(dirs) != 1 {
		t.Fatalf("app directories under %s: %v, want one", home, dirs)
	}
	return filepath.Join(dirs[0], "window.json")
}

func readPlace(t *testing.T, home string, app *runningApp) (string, map[string]any) {
	t.Helper()
	path := placeFile(t, home)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v\n%s", err, app.log.String())
	}
	place := map[string]any{}
	if err := json.Unmarshal(b, &place); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return path, place
}

// savedPosition is the window position the app saved.
func savedPosition(t *testing.T, home string, app *runningApp) [2]int {
	t.Helper()
	_, place := readPlace(t, home, app)
	x, okX := place["x"].(float64)
	y, okY := place["y"].(float64)
	if place["positioned"] != true || !okX || !okY {
		t.Fatalf("no window position saved: %v\n%s", place, app.log.String())
	}
	return [2]int{int(x), int(y)}
}

func setSavedPosition(t *testing.T, home string, app *runningApp, x, y int) {
	t.Helper()
	path, place := readPlace(t, home, app)
	place["x"], place["y"] = x, y
	b, err := json.Marshal(place)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// try runs xdotool with args (60 s at most) and returns its error, for
// actions that may fail as the window goes away.
func (x *xTool) try(args ...string) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "xdotool", args...)
	cmd.Env = append(os.Environ(), "DISPLAY="+x.display)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("xdotool %s: %w: %s", strings.Join(args, " "), err, out)
	}
	return nil
}
