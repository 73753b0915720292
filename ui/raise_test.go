package ui

import "testing"

// A window hidden to the tray comes back when a second start asks for it,
// and counts as shown again (new messages are no longer counted unread).
func TestBringForwardShowsAWindowHiddenToTheTray(t *testing.T) {
	u, _ := newTestApp(t, "http://127.0.0.1:9")
	u.win.Hide()
	u.desk.hidden = true
	u.BringForward()
	if u.desk.hidden {
		t.Error("the window still counts as hidden to the tray")
	}
}
