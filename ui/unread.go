package ui

import (
	"fmt"

	"directuschat/notify"
	"directuschat/realtime"
)

// The unread count (window title and tray icon) and the notifications of
// messages the user has not seen.

// setUnread updates the count in the title and the tray.
func (u *App) setUnread(n int) {
	if n == u.desk.unread {
		return
	}
	u.desk.unread = n
	u.refreshTitle()
	u.refreshTray()
}

func (u *App) refreshTitle() {
	if u.chat == nil {
		u.win.SetTitle("Directus Chat") // also the WM_CLASS docks match to the .desktop entry
		return
	}
	title := "Directus Chat — " + u.chat.serverHost()
	switch {
	case u.desk.mentions > 0:
		title = fmt.Sprintf("(%d, @%d) %s", u.desk.unread, u.desk.mentions, title)
	case u.desk.unread > 0:
		title = fmt.Sprintf("(%d) %s", u.desk.unread, title)
	}
	u.win.SetTitle(title)
}

// setCounts shows the unread messages and mentions of all conversations
// (servers with channels) in the title and the tray.
func (u *App) setCounts(unread, mentions int) {
	if unread == u.desk.unread && mentions == u.desk.mentions {
		return
	}
	u.desk.unread, u.desk.mentions = unread, mentions
	u.refreshTitle()
	u.refreshTray()
}

// watching reports whether the user can see the window: focused and not
// hidden to the tray.
func (u *App) watching() bool { return u.desk.focused && !u.desk.hidden }

// addUnread counts messages from others that the user has not seen, and
// notifies them.
func (u *App) addUnread(msgs []realtime.Message) {
	u.setUnread(u.desk.unread + len(msgs))
	u.notifyMessages(msgs)
}

// clearUnread sets the count to 0 and drops the notifications not shown yet.
func (u *App) clearUnread() {
	u.setUnread(0)
	if u.desk.coalescer != nil {
		u.desk.coalescer.Discard()
	}
}

// notifyMessages raises notifications for live messages from others while
// the window is hidden or not focused. History and own messages never notify.
func (u *App) notifyMessages(msgs []realtime.Message) {
	if u.desk.coalescer == nil || (u.desk.focused && !u.desk.hidden) {
		return
	}
	for _, m := range msgs {
		u.desk.coalescer.Add(notify.Message{Sender: nameOf(m), SenderID: m.AuthorID, Text: m.Text, At: m.Created})
	}
}
