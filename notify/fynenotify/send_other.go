//go:build !windows && !darwin && !linux && !freebsd && !openbsd && !netbsd

package fynenotify

import "fyne.io/fyne/v2"

func platformSender(a fyne.App) sender { return fyneSender{a} }
