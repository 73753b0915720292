package ui

import (
	"fmt"

	"fyne.io/fyne/v2/dialog"
)

// Quitting: the question about unsent messages, and what is saved first.

// quit ends the app; with messages not sent yet it asks first (they go out
// at the next sign-in, or, if not saved, are lost).
func (u *App) quit() {
	if u.chat != nil {
		if warning := quitWarning(u.chat.unsent()); warning != "" {
			u.askQuit(warning)
			return
		}
	}
	u.quitNow()
}

// askQuit shows the question (once; the window comes back from the tray).
func (u *App) askQuit(warning string) {
	if u.desk.hidden {
		u.showWindow()
	}
	if u.desk.quitAsk != nil {
		u.desk.quitAsk.Hide()
	}
	d := dialog.NewConfirm("Quit Directus Chat?", warning, func(ok bool) {
		u.desk.quitAsk = nil
		if ok {
			u.quitNow()
		}
	}, u.win)
	d.SetConfirmText("Quit")
	d.SetDismissText("Cancel")
	u.desk.quitAsk = d
	u.dialogs.show(d)
}

// quitWarning says what quitting does to unsent messages ("" if none).
// all counts the unsent messages, notSaved those not in the outbox file.
func quitWarning(all, notSaved int) string {
	saved := all - notSaved
	switch {
	case all == 0:
		return ""
	case notSaved == 0:
		return fmt.Sprintf("%s not sent yet. %s will be sent the next time you sign in.",
			countMessages(all, "message is", "messages are"), plural(all, "It", "They"))
	}
	w := fmt.Sprintf("%s not sent and not saved: %s will be lost if you quit.",
		countMessages(notSaved, "message is", "messages are"), plural(notSaved, "it", "they"))
	if saved > 0 {
		w += fmt.Sprintf(" %s will be sent the next time you sign in.", countMessages(saved, "other message", "other messages"))
	}
	return w
}

// Terminate ends the app when the system asks (a logout, a shutdown,
// SIGTERM): as Quit, without asking about unsent messages (those in the
// outbox go out at the next sign-in). It runs on the UI thread.
func (u *App) Terminate() { u.quitNow() }

// quitNow saves what is to be kept, closes the session and ends the app.
func (u *App) quitNow() {
	if u.trimmer != nil {
		u.trimmer.Stop()
	}
	u.saveWindowPlace()
	if u.chat != nil {
		u.saveCache()
		u.chat.closeSession()
	}
	u.flushBackground()
	u.fyne.Quit()
}
