package ui

import "directuschat/realtime"

// showSwitcher opens the Ctrl+K quick switcher over the conversations.
func (c *chatView) showSwitcher() {
	newSwitcher(c.host.win, c.switchItems, c.switchTo).Show()
}

// switchItems lists the user's conversations for the quick switcher.
func (c *chatView) switchItems() []switchItem {
	var items []switchItem
	for _, r := range c.ch.rows {
		if r.Header {
			continue
		}
		detail := "channel"
		if r.Kind == realtime.ChannelDirect {
			detail = "direct message"
		}
		items = append(items, switchItem{ID: r.ID, Label: r.Label, Detail: detail, Unread: r.Unread})
	}
	return items
}
