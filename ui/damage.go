package ui

import (
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"directuschat/store"
)

// Local files found damaged and set aside: what the window says.

// watchDamage shows, once each, the local files found damaged and set aside.
func (u *App) watchDamage() {
	for _, src := range u.cfg.Damage {
		src.OnDamage(func(d store.Damage) {
			u.cfg.Dispatch(func() { u.showDamage(d) })
		})
	}
}

// damageText is the sentence the window shows about a damaged file.
func damageText(d store.Damage) string {
	if d.Kind == store.CacheFile {
		return fmt.Sprintf("Your message cache was damaged and has been set aside (%s). Nothing is lost: the messages are loaded from the server again.", d.MovedTo)
	}
	text := fmt.Sprintf("Your local data file was damaged and has been set aside (%s). ", d.MovedTo)
	if d.Recovered == 0 {
		return text + "Unsent messages in it could not be recovered."
	}
	return text + fmt.Sprintf("%s could be read from it and will be sent; any others could not be recovered.",
		countMessages(d.Recovered, "unsent message", "unsent messages"))
}

func (u *App) showDamage(d store.Damage) {
	msg := widget.NewLabel(damageText(d))
	msg.Wrapping = fyne.TextWrapWord
	dlg := dialog.NewCustom("Local data set aside", "OK", msg, u.win)
	dlg.Resize(fyne.NewSize(420, 220))
	u.dialogs.show(dlg)
}
