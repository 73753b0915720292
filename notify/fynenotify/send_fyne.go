//go:build !windows && !darwin

package fynenotify

import "fyne.io/fyne/v2"

// fyneSender sends through Fyne's SendNotification, used only where Fyne
// passes the text as data (the Flatpak portal; systems we have no sender
// of our own for).
type fyneSender struct{ app fyne.App }

func (s fyneSender) send(n *fyne.Notification) { s.app.SendNotification(n) }
