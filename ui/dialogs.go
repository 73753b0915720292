package ui

import (
	"slices"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
)

// dialogStack lets Escape close the window's open dialogs, newest first, as
// Cancel or Close would (Fyne 2.8's dialogs ignore Escape). The window's
// canvas gets a key only when nothing in the dialog has focus: in a form,
// Escape goes to the focused entry first.
type dialogStack struct {
	open []dialog.Dialog
}

// attach makes Escape on win's canvas close the newest open dialog.
func (st *dialogStack) attach(win fyne.Window) {
	win.Canvas().SetOnTypedKey(func(ev *fyne.KeyEvent) {
		if ev.Name == fyne.KeyEscape {
			st.closeNewest()
		}
	})
}

// show shows d and keeps it on the stack until it is closed, however.
func (st *dialogStack) show(d dialog.Dialog) {
	st.open = append(st.open, d)
	d.SetOnClosed(func() {
		st.open = slices.DeleteFunc(st.open, func(o dialog.Dialog) bool { return o == d })
	})
	d.Show()
}

// closeNewest hides the dialog shown last, answering "no" to a confirm.
func (st *dialogStack) closeNewest() {
	if len(st.open) == 0 {
		return
	}
	st.open[len(st.open)-1].Hide()
}
