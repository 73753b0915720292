package ui

import (
	"fmt"
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

// newPlacedApp is an app on a (shared) Fyne app whose window is at x, y.
func newPlacedApp(t *testing.T, a fyne.App, x, y int) (*App, *fakePosition) {
	t.Helper()
	u := New(a, Config{Dispatch: newUIThread().dispatch, Logger: quiet()})
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

	// First launch: nothing saved, the window stays where it was put.
	u, f := newPlacedApp(t, a, 200, 100)
	started(a)
	if len(f.moves) != 0 {
		t.Fatalf("first launch moved the window: %v", f.moves)
	}
	f.x, f.y = -300, 840 // the user drags it (negative: a monitor on the left)
	u.closeWindow()      // no tray: closing quits

	// Next launch (same preferences): back to -300,840 once started.
	_, f = newPlacedApp(t, a, 200, 100)
	started(a)
	if len(f.moves) != 1 || f.moves[0] != [2]int{-300, 840} || f.x != -300 || f.y != 840 {
		t.Fatalf("restored with moves %v to %d,%d; want one move to -300,840", f.moves, f.x, f.y)
	}

	// A position off every screen now is refused: the window stays.
	_, f = newPlacedApp(t, a, 200, 100)
	f.refuse = true
	started(a)
	if f.x != 200 || f.y != 100 {
		t.Fatalf("after a refused move the window is at %d,%d", f.x, f.y)
	}
}

func TestWindowPositionAcrossTheTray(t *testing.T) {
	a := test.NewTempApp(t)
	u, f := newPlacedApp(t, a, 10, 20)
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
