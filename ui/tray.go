package ui

import (
	"fmt"

	"fyne.io/fyne/v2"

	"directuschat/assets"
)

// The tray icon and its menu.

// refreshTray sets the tray icon for the state (unread, offline, online)
// and rebuilds its menu.
func (u *App) refreshTray() {
	if u.desk.tray == nil {
		return
	}
	icon := assets.TrayOffline
	switch {
	case u.chat == nil:
	case u.desk.unread > 0 || u.desk.mentions > 0:
		icon = assets.TrayUnread
	case u.chat.online():
		icon = assets.TrayOnline
	}
	u.log.Debug("tray", "icon", icon.Name(), "unread", u.desk.unread)
	u.desk.tray.SetSystemTrayIcon(icon)

	open := fyne.NewMenuItem("Open Directus Chat", u.showWindow)
	unread := fyne.NewMenuItem("No unread messages", u.showWindow)
	if u.desk.unread > 0 {
		unread.Label = fmt.Sprintf("%d unread", u.desk.unread)
	}
	unread.Disabled = u.desk.unread == 0
	mentions := fyne.NewMenuItem("No mentions", u.showWindow)
	if u.desk.mentions > 0 {
		mentions.Label = fmt.Sprintf("%d %s", u.desk.mentions, plural(u.desk.mentions, "mention", "mentions"))
	}
	mentions.Disabled = u.desk.mentions == 0
	dnd := fyne.NewMenuItem("Do not disturb", func() { u.setDoNotDisturb(!u.desk.dnd) })
	dnd.Checked = u.desk.dnd
	logout := fyne.NewMenuItem("Log out", u.logout)
	logout.Disabled = u.chat == nil
	about := fyne.NewMenuItem("About", func() { u.showWindow(); u.showAbout() })
	// Fyne appends Quit itself; it must close the session first.
	quit := fyne.NewMenuItem("Quit", u.quit)
	quit.IsQuit = true
	u.desk.tray.SetSystemTrayMenu(fyne.NewMenu("Directus Chat", open, unread, mentions, fyne.NewMenuItemSeparator(), dnd, logout, about, fyne.NewMenuItemSeparator(), quit))
}

func (u *App) setDoNotDisturb(on bool) {
	u.desk.dnd = on
	u.fyne.Preferences().SetBool(prefDND, on)
	if u.desk.coalescer != nil {
		u.desk.coalescer.SetDoNotDisturb(on)
	}
	u.refreshTray()
}
