package ui

import (
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
)

// Escape closes the newest open dialog as its Cancel would, then the one
// under it; a dialog closed by its own button leaves the stack too.
func TestEscapeClosesTheNewestDialog(t *testing.T) {
	test.NewTempApp(t)
	w := test.NewWindow(widget.NewLabel("chat"))
	defer w.Close()
	w.Resize(fyne.NewSize(600, 400))
	st := &dialogStack{}
	st.attach(w)
	escape := func() { w.Canvas().OnTypedKey()(&fyne.KeyEvent{Name: fyne.KeyEscape}) }

	var answers []bool
	under := dialog.NewConfirm("Leave", "Leave this conversation?", func(ok bool) { answers = append(answers, ok) }, w)
	st.show(under)
	top := dialog.NewInformation("Browse channels", "You are in every public channel.", w)
	st.show(top)

	escape()
	if len(st.open) != 1 || st.open[0] != under || len(answers) != 0 {
		t.Fatalf("after one Escape: %d open, answers %v; want the confirm still open", len(st.open), answers)
	}
	escape()
	if len(st.open) != 0 || len(answers) != 1 || answers[0] {
		t.Fatalf("after two: %d open, answers %v; want none open and the confirm answered no", len(st.open), answers)
	}
	escape() // nothing open: nothing happens

	byButton := dialog.NewInformation("About", "text", w)
	st.show(byButton)
	byButton.Hide()
	if len(st.open) != 0 {
		t.Fatalf("%d dialogs left open after the last one's own button closed it", len(st.open))
	}
}
