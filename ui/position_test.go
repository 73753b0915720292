package ui

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"directuschat/winpos"
)

// fakePosition plays the window system for winpos, which Fyne's test driver
// does not have: where the window is, which moves were asked, and whether
// they land (a window manager may place a window elsewhere, or a position
// may be off every screen).
type fakePosition struct {
	x, y   int
	moves  [][2]int
	refuse bool
}

func (f *fakePosition) get(fyne.Window) (int, int, error) { return f.x, f.y, nil }

func (f *fakePosition) set(_ fyne.Window, x, y int) error {
	f.moves = append(f.moves, [2]int{x, y})
	if f.refuse {
		return fmt.Errorf("%w: test", winpos.ErrOffScreen)
	}
	f.x, f.y = x, y
	return nil
}

// newPlacedApp is an app on a (shared) Fyne app whose window is at x, y,
// keeping its place in file.
func newPlacedApp(t *testing.T, a fyne.App, file string, x, y int) (*App, *fakePosition) {
	t.Helper()
	u := New(a, Config{Dispatch: newUIThread().dispatch, Logger: quiet(), WindowFile: file})
	f := &fakePosition{x: x, y: y}
	u.desk.getPos, u.desk.setPos = f.get, f.set
	u.Window().Show()
	return u, f
}

func started(a fyne.App) {
	a.Lifecycle().(interface{ OnStarted() func() }).OnStarted()()
}

func TestWindowPositionIsSavedAtQuitAndRestoredAtStart(t *testing.T) {
	a := test.NewTempApp(t)
	file := filepath.Join(t.TempDir(), "window.json")

	// First launch: nothing saved, the window stays where it was put.
	u, f := newPlacedApp(t, a, file, 200, 100)
	started(a)
	if len(f.moves) != 0 {
		t.Fatalf("first launch moved the window: %v", f.moves)
	}
	f.x, f.y = -300, 840 // the user drags it (negative: a monitor on the left)
	u.closeWindow()      // no tray: closing quits

	// Next launch (same window file): back to -300,840 once started.
	_, f = newPlacedApp(t, a, file, 200, 100)
	started(a)
	if len(f.moves) != 1 || f.moves[0] != [2]int{-300, 840} || f.x != -300 || f.y != 840 {
		t.Fatalf("restored with moves %v to %d,%d; want one move to -300,840", f.moves, f.x, f.y)
	}

	// A position off every screen now is refused: the window stays.
	_, f = newPlacedApp(t, a, file, 200, 100)
	f.refuse = true
	started(a)
	if f.x != 200 || f.y != 100 {
		t.Fatalf("after a refused move the window is at %d,%d", f.x, f.y)
	}
}

func TestWindowPositionAcrossTheTray(t *testing.T) {
	a := test.NewTempApp(t)
	u, f := newPlacedApp(t, a, filepath.Join(t.TempDir(), "window.json"), 10, 20)
	started(a)

	// Closed to the tray (what closeWindow does when a tray shows the icon
	// and someone is signed in, which needs a server: see desktop_test.go).
	f.x, f.y = 500, 60
	u.saveWindowPlace()
	u.desk.hidden = true
	u.win.Hide()

	// Quit from the tray while hidden: the hidden window's position is not
	// read (a withdrawn X11 window's may be anything); the one saved when
	// it was hidden stays.
	f.x, f.y = 0, 0
	u.quit()
	if x, y, _ := u.savedPosition(); x != 500 || y != 60 {
		t.Fatalf("quit while hidden saved %d,%d; want 500,60", x, y)
	}

	// Shown again where the window manager forgot the position: told again.
	u.showWindow()
	if f.x != 500 || f.y != 60 {
		t.Fatalf("shown from the tray at %d,%d; want 500,60", f.x, f.y)
	}
	// Shown where it was: not moved.
	u.desk.hidden = true
	f.moves = nil
	u.showWindow()
	if len(f.moves) != 0 {
		t.Fatalf("moved though in place: %v", f.moves)
	}
}

// TestWindowPlaceIsInItsFileWhenQuitReturns: the size and position are in
// the window file by the time quitting hands over to Fyne, which may end
// the process before any later write (its stopped hook is not always run),
// and come back from it at the next launch.
func TestWindowPlaceIsInItsFileWhenQuitReturns(t *testing.T) {
	a := test.NewTempApp(t)
	file := filepath.Join(t.TempDir(), "fyne", "app", "window.json")
	u, f := newPlacedApp(t, a, file, 200, 100)
	started(a)
	u.Window().Resize(fyne.NewSize(600, 500))
	f.x, f.y = 417, 233
	u.quit() // at the login form: nothing to ask

	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("no window file when quit returned: %v", err)
	}
	var saved map[string]any
	if err := json.Unmarshal(data, &saved); err != nil {
		t.Fatalf("window file %q: %v", data, err)
	}
	want := map[string]any{"width": 600.0, "height": 500.0, "positioned": true, "x": 417.0, "y": 233.0}
	for k, v := range want {
		if saved[k] != v {
			t.Errorf("window file %s = %v, want %v (file: %s)", k, saved[k], v, data)
		}
	}

	u, f = newPlacedApp(t, a, file, 0, 0)
	if s := u.Window().Canvas().Size(); s != fyne.NewSize(600, 500) {
		t.Errorf("next launch opens at %v, want 600x500", s)
	}
	started(a)
	if f.x != 417 || f.y != 233 {
		t.Errorf("next launch restored to %d,%d, want 417,233", f.x, f.y)
	}
}

// TestWindowPlaceMovesOutOfThePreferences: a place saved in the
// preferences by an earlier version is used, moved to the window file and
// removed from the preferences.
func TestWindowPlaceMovesOutOfThePreferences(t *testing.T) {
	a := test.NewTempApp(t)
	p := a.Preferences()
	p.SetFloat(legacyPrefWidth, 700)
	p.SetFloat(legacyPrefHeight, 520)
	p.SetInt(legacyPrefX, -300)
	p.SetFloat(legacyPrefY, 840) // read back from JSON, an int is a float
	file := filepath.Join(t.TempDir(), "window.json")

	u, f := newPlacedApp(t, a, file, 0, 0)
	if s := u.Window().Canvas().Size(); s != fyne.NewSize(700, 520) {
		t.Errorf("opens at %v, want 700x520 from the preferences", s)
	}
	started(a)
	if f.x != -300 || f.y != 840 {
		t.Errorf("restored to %d,%d, want -300,840 from the preferences", f.x, f.y)
	}
	for _, k := range []string{legacyPrefWidth, legacyPrefHeight, legacyPrefX, legacyPrefY} {
		if v := p.FloatWithFallback(k, -1); v != -1 {
			t.Errorf("preference %s still %v", k, v)
		}
	}
	u.flushBackground()
	got, err := readPlace(file)
	if want := (windowPlace{Width: 700, Height: 520, Positioned: true, X: -300, Y: 840}); err != nil || got != want {
		t.Errorf("window file holds %+v (%v), want %+v", got, err, want)
	}
}

// TestWindowFileUnreadable: a damaged window file is not used; the window
// opens where the desktop puts it, and the next quit writes a good one.
func TestWindowFileUnreadable(t *testing.T) {
	a := test.NewTempApp(t)
	file := filepath.Join(t.TempDir(), "window.json")
	if err := os.WriteFile(file, []byte("{\"x\": 1"), 0o600); err != nil {
		t.Fatal(err)
	}
	u, f := newPlacedApp(t, a, file, 5, 6)
	started(a)
	if len(f.moves) != 0 {
		t.Fatalf("moved the window from a damaged file: %v", f.moves)
	}
	u.quit()
	if got, err := readPlace(file); err != nil || !got.Positioned || got.X != 5 || got.Y != 6 {
		t.Errorf("after quit the window file holds %+v (%v), want the position 5,6", got, err)
	}
}
