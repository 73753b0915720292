package ui

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"directuschat/conversations"
	"directuschat/mention"
	"directuschat/realtime"
	"directuschat/timeline"
)

// Channels and direct messages: on a server with channels (setup's team
// chat) the chat window gets a sidebar of conversations, a header for the
// open one, and one timeline: the open conversation's. The other
// conversations keep only their newest page, in memory, for a quick switch.

// maxChannelName is the longest channel name the app creates.
const maxChannelName = 80

// channelsView is the chat's part for conversations; nil fields until the
// server is known to have channels.
type channelsView struct {
	model   *conversations.Model
	rows    []conversations.Row
	open    string                        // the conversation on screen
	pages   map[string][]realtime.Message // the newest page of conversations not on screen
	drafts  map[string]string             // what was typed and not sent, per conversation
	local   []realtime.Message            // messages typed here and not stored yet, all conversations
	failed  map[string]realtime.SendStatus
	members map[string][]string // members of conversations, as last read
	// rereading is the conversation whose members are being read again
	// because someone not among them wrote in it (joined since).
	rereading string

	sidebar     *widget.List
	sideBox     *fyne.Container
	title       *widget.Label
	topic       *widget.Label
	membersBtn  *widget.Button
	menuBtn     *widget.Button
	headerBox   *fyne.Container
	marked      time.Time // the read marker asked for last in the open conversation
	sidebarShow bool      // on a narrow window: the sidebar is shown instead of the conversation
	narrow      bool      // the layout is the narrow one
	shown       bool      // a conversation has been shown
	counted     bool      // the server's unread counts arrived
	divider     time.Time // the read marker of the open conversation when opened, until its line is placed
}

// channelsOn reports whether the chat shows conversations.
func (c *chatView) channelsOn() bool { return c.ch.model != nil }

// startChannels builds the sidebar and header the first time the server
// reports conversations.
func (c *chatView) startChannels() {
	cv := &c.ch
	cv.model = conversations.New(c.session.User().ID)
	if cv.pages == nil {
		cv.pages = map[string][]realtime.Message{}
	}
	if cv.drafts == nil {
		cv.drafts = map[string]string{} // else: kept by the last run of a remembered session
	}
	cv.failed = map[string]realtime.SendStatus{}
	cv.members = map[string][]string{}
	cv.sidebar = widget.NewList(
		func() int { return len(cv.rows) },
		func() fyne.CanvasObject { return newSidebarRow() },
		func(i widget.ListItemID, o fyne.CanvasObject) {
			if i < len(cv.rows) {
				o.(*sidebarRow).show(cv.rows[i], cv.rows[i].ID == cv.open)
			}
		})
	cv.sidebar.OnSelected = func(i widget.ListItemID) {
		cv.sidebar.UnselectAll()
		if i < len(cv.rows) && !cv.rows[i].Header {
			c.switchTo(cv.rows[i].ID)
		}
	}
	browse := widget.NewButtonWithIcon("Browse channels", theme.SearchIcon(), c.showBrowse)
	newChannel := widget.NewButtonWithIcon("New channel", theme.ContentAddIcon(), c.showNewChannel)
	newDirect := widget.NewButtonWithIcon("New message", theme.MailComposeIcon(), c.showNewDirect)
	for _, b := range []*widget.Button{browse, newChannel, newDirect} {
		b.Importance = widget.LowImportance
		b.Alignment = widget.ButtonAlignLeading
	}
	cv.sideBox = container.NewBorder(container.NewVBox(browse, newChannel, newDirect, widget.NewSeparator()), nil, nil, nil, cv.sidebar)

	cv.title = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	cv.topic = widget.NewLabel("")
	cv.topic.Truncation = fyne.TextTruncateEllipsis
	cv.membersBtn = widget.NewButtonWithIcon("", theme.AccountIcon(), c.showMembers)
	cv.membersBtn.Importance = widget.LowImportance
	cv.menuBtn = widget.NewButtonWithIcon("", theme.MoreVerticalIcon(), c.showChannelMenu)
	cv.menuBtn.Importance = widget.LowImportance
	// The name keeps its width (at most 40 characters); the topic gets
	// what is left and ends in "…".
	cv.headerBox = container.NewBorder(nil, nil, cv.title, container.NewHBox(cv.membersBtn, cv.menuBtn), cv.topic)
	c.layoutChannels()
}

// applyChannels takes the conversation events of a batch (before the
// timeline sees it) and returns the batch the open conversation's
// timeline should apply.
func (c *chatView) applyChannels(batch []realtime.Event) []realtime.Event {
	if !c.channelsOn() {
		for _, ev := range batch {
			if _, ok := ev.(realtime.ChannelsChanged); ok {
				c.startChannels()
				break
			}
		}
		if !c.channelsOn() {
			for _, ev := range batch {
				switch ev := ev.(type) {
				case realtime.Loaded:
					// A remembered session shows its cached conversation
					// before the server says it has channels.
					if ev.Kind == realtime.LoadCached && len(ev.Messages) > 0 && c.ch.open == "" {
						c.ch.open = ev.Messages[len(ev.Messages)-1].Channel
					}
				case realtime.SendStatus:
					if ev.State == realtime.SendDelivered {
						c.ch.local = slices.DeleteFunc(c.ch.local, func(m realtime.Message) bool { return m.ID == ev.ID })
					}
				}
			}
			return batch
		}
	}
	cv := &c.ch
	if cv.model.Apply(batch) {
		c.refreshSidebar()
	}
	out := make([]realtime.Event, 0, len(batch))
	for _, ev := range batch {
		switch ev := ev.(type) {
		case realtime.Loaded:
			if ev.Channel != "" && ev.Channel != cv.open {
				if ev.Kind == realtime.LoadInitial {
					cv.pages[ev.Channel] = ev.Messages
				}
				continue
			}
			c.keepInPages(ev)
			ev.Messages = slices.DeleteFunc(slices.Clone(ev.Messages), func(m realtime.Message) bool { return m.Channel != cv.open })
			if ev.Kind == realtime.LoadLive {
				c.newcomerWrote(ev.Messages)
			}
			if len(ev.Messages) > 0 || ev.Kind == realtime.LoadInitial || ev.Kind == realtime.LoadOlder {
				out = append(out, ev)
			}
		case realtime.Queued:
			cv.local = append(cv.local, ev.Messages...)
			ev.Messages = slices.DeleteFunc(slices.Clone(ev.Messages), func(m realtime.Message) bool { return m.Channel != cv.open })
			out = append(out, ev)
		case realtime.SendStatus:
			switch ev.State {
			case realtime.SendDelivered:
				cv.local = slices.DeleteFunc(cv.local, func(m realtime.Message) bool { return m.ID == ev.ID })
				delete(cv.failed, ev.ID)
			case realtime.SendFailed:
				cv.failed[ev.ID] = ev
			}
			out = append(out, ev)
		case realtime.MembershipsChanged, realtime.ChannelsChanged:
			// Nothing shown yet (or only a remembered session's cached
			// page), or the open conversation was left elsewhere: open one.
			if !cv.shown || cv.open == "" || !cv.model.Member(cv.open) {
				c.openDefault()
			} else {
				c.showHeader()
			}
		case realtime.ChannelMembersLoaded:
			cv.members[ev.Channel] = ev.Users
			if ev.Channel == cv.rereading {
				cv.rereading = ""
			}
			if ev.Channel == cv.open {
				c.showHeader()
			}
		case realtime.UnreadChanged:
			cv.counted = true
			c.showCounts()
		case realtime.ActionDone:
			c.actionDone(ev)
		default:
			out = append(out, ev)
		}
	}
	return out
}

// newcomerWrote reads the open conversation's members again when a live
// message comes from someone not among them (they joined, or were added,
// since the list was read), so the header's count and the @ picker follow.
func (c *chatView) newcomerWrote(msgs []realtime.Message) {
	cv := &c.ch
	known, read := cv.members[cv.open]
	if !read || cv.rereading == cv.open {
		return
	}
	for _, m := range msgs {
		if m.AuthorID != "" && !slices.Contains(known, m.AuthorID) {
			cv.rereading = cv.open
			_ = c.session.Members(cv.open)
			return
		}
	}
}

// keepInPages adds live and caught-up messages of conversations not on
// screen to their kept newest page, so a switch shows them at once.
func (c *chatView) keepInPages(ev realtime.Loaded) {
	if ev.Kind != realtime.LoadLive && ev.Kind != realtime.LoadCatchUp && ev.Kind != realtime.LoadUpdated {
		return
	}
	for _, m := range ev.Messages {
		page, ok := c.ch.pages[m.Channel]
		if m.Channel == c.ch.open || m.Channel == "" || !ok && ev.Kind != realtime.LoadCatchUp {
			// A live message alone is no page: the switch reads it. The
			// newest messages of all conversations, read at each connect
			// (a catch-up), are: a first switch shows them at once.
			continue
		}
		i := slices.IndexFunc(page, func(p realtime.Message) bool { return p.ID == m.ID })
		if i >= 0 {
			page[i] = m
			continue
		}
		page = append(page, m)
		slices.SortStableFunc(page, func(a, b realtime.Message) int { return a.Created.Compare(b.Created) })
		if len(page) > pageKept {
			page = page[len(page)-pageKept:]
		}
		c.ch.pages[m.Channel] = page
	}
}

// pageKept is how many of the newest messages are kept of a conversation
// not on screen.
const pageKept = 50

// openDefault opens the conversation shown last, else general, else the
// first one, once the conversations are known.
func (c *chatView) openDefault() {
	cv := &c.ch
	if cv.open != "" && cv.model.Member(cv.open) {
		c.switchTo(cv.open)
		return
	}
	for _, r := range cv.rows {
		if !r.Header && r.Label == "general" {
			c.switchTo(r.ID)
			return
		}
	}
	for _, r := range cv.rows {
		if !r.Header {
			c.switchTo(r.ID)
			return
		}
	}
}

// switchTo shows a conversation: its newest page as last seen at once,
// then the server's (OpenChannel); the draft of the one left is kept.
func (c *chatView) switchTo(id string) {
	cv := &c.ch
	if id == "" {
		return
	}
	changed := id != cv.open || c.tl.Len() == 0
	if changed {
		if cv.open != "" {
			cv.drafts[cv.open] = c.composer.Text
			cv.pages[cv.open] = c.newestSent()
		}
		cv.open = id
		for i, m := range cv.local {
			if m.Channel == "" {
				cv.local[i].Channel = id // typed before conversations were known: the session sends it here
			}
		}
		cv.marked = time.Time{}
		c.firstUnread = ""
		c.cancelReply()
		c.seeking, c.highlighted = "", ""
		c.expanded = map[string]bool{}
		c.loadingOlder = false
		c.tl.Reset()
		if page := cv.pages[id]; len(page) > 0 {
			c.tl.Apply([]realtime.Event{realtime.Loaded{Kind: realtime.LoadCached, Messages: page}})
		}
		delete(cv.pages, id) // the timeline has it now
		for _, m := range cv.local {
			if m.Channel == id {
				c.tl.AddPending(m)
				if st, ok := cv.failed[m.ID]; ok {
					c.tl.Apply([]realtime.Event{st})
				}
			}
		}
		cv.divider = time.Time{}
		if ms, ok := cv.model.Membership(id); ok && cv.model.Unread(id) > 0 {
			// The "New messages" line goes above the first message after
			// the read marker as it was when the conversation was opened
			// (now, or once the server's page is there: placeDivider).
			cv.divider = ms.LastRead
			if cv.divider.IsZero() {
				cv.divider = time.Unix(1, 0)
			}
			c.placeDivider()
		}
		c.composer.SetText(cv.drafts[id])
		c.picker.Reset()
		c.data.notify()
		c.list.ScrollToBottom()
		c.followBottom()
	}
	if changed || !cv.shown {
		// The server's newest page reconciles what is shown (a remembered
		// session shows its cached page of this conversation before).
		_ = c.session.OpenChannel(id)
		_ = c.session.Members(id)
	}
	if !cv.shown {
		// The first conversation shown: a remembered session may have
		// opened it from its cache already; its draft comes back too.
		cv.shown = true
		if c.composer.Text == "" && cv.drafts[id] != "" {
			c.composer.SetText(cv.drafts[id])
		}
	}
	cv.sidebarShow = false
	c.layoutChannels()
	c.refreshSidebar()
	c.showHeader()
	c.host.win.Canvas().Focus(c.composer)
}

// placeDivider puts the "New messages" line above the first message from
// others after the read marker the open conversation had when it was
// opened, once that message is loaded.
func (c *chatView) placeDivider() {
	cv := &c.ch
	if cv.divider.IsZero() || c.firstUnread != "" {
		return
	}
	me := c.session.User().ID
	for i := 0; i < c.tl.Len(); i++ {
		e := c.tl.At(i)
		if e.Status == timeline.Sent && e.Created.After(cv.divider) && e.AuthorID != me {
			c.firstUnread = e.ID
			cv.divider = time.Time{}
			c.list.Refresh()
			return
		}
	}
}

// newestSent is the newest page of the timeline, kept when switching away.
func (c *chatView) newestSent() []realtime.Message {
	var out []realtime.Message
	for i := max(0, c.tl.Len()-pageKept); i < c.tl.Len(); i++ {
		if e := c.tl.At(i); e.Status == timeline.Sent {
			out = append(out, e.Message)
		}
	}
	return out
}

// moveBy opens the conversation delta rows below (or above) the open one.
func (c *chatView) moveBy(delta int) {
	if !c.channelsOn() {
		return
	}
	var ids []string
	for _, r := range c.ch.rows {
		if !r.Header {
			ids = append(ids, r.ID)
		}
	}
	if len(ids) == 0 {
		return
	}
	i := slices.Index(ids, c.ch.open)
	i = (i + delta + len(ids)) % len(ids)
	c.switchTo(ids[i])
}

// markSeen moves the read marker of the open conversation when its newest
// message is in view of a focused window.
func (c *chatView) markSeen() {
	if !c.channelsOn() || c.ch.open == "" || !c.host.watching() || !c.atBottom() {
		return
	}
	for i := c.tl.Len() - 1; i >= 0; i-- {
		e := c.tl.At(i)
		if e.Status != timeline.Sent {
			continue
		}
		if e.Created.After(c.ch.marked) {
			c.ch.marked = e.Created
			_ = c.session.MarkRead(c.ch.open, e.Created)
		}
		return
	}
}

// refreshSidebar re-reads the rows (showCounts does it with the totals).
func (c *chatView) refreshSidebar() { c.showCounts() }

// showCounts gives the app the totals for the title and the tray.
func (c *chatView) showCounts() {
	unread, mentions := c.ch.model.Totals()
	if c.host.setCounts != nil {
		c.host.setCounts(unread, mentions)
	}
	c.ch.rows = c.ch.model.Rows()
	c.ch.sidebar.Refresh()
}

// showHeader shows the open conversation's name, topic and members.
func (c *chatView) showHeader() {
	cv := &c.ch
	ch, ok := cv.model.Channel(cv.open)
	if !ok {
		cv.title.SetText("")
		cv.topic.SetText("")
		return
	}
	prefix := "# "
	switch ch.Kind {
	case realtime.ChannelPrivate:
		prefix = "🔒 "
	case realtime.ChannelDirect:
		prefix = "@ "
	}
	cv.title.SetText(prefix + oneLine(cv.model.Label(ch), 40))
	cv.topic.SetText(oneLine(ch.Topic, 120))
	if n := len(cv.members[cv.open]); n > 0 {
		cv.membersBtn.SetText(fmt.Sprint(n))
	} else {
		cv.membersBtn.SetText("")
	}
	if cv.model.Muted(cv.open) {
		cv.menuBtn.SetIcon(theme.VolumeMuteIcon())
	} else {
		cv.menuBtn.SetIcon(theme.MoreVerticalIcon())
	}
}

// oneLine makes text from other people (names, topics) fit one line of at
// most n characters: line breaks, tabs and runs of spaces become one space,
// bidirectional overrides are dropped (they would reorder what follows), and
// a longer text is cut with "…" without reading past what is shown.
func oneLine(s string, n int) string {
	out := make([]rune, 0, min(len(s), n+1))
	space := false
	for _, r := range s {
		switch {
		case r >= 0x202A && r <= 0x202E, r >= 0x2066 && r <= 0x2069:
			continue
		case unicode.IsControl(r), unicode.IsSpace(r):
			space = len(out) > 0
			continue
		}
		if space {
			out = append(out, ' ')
			space = false
		}
		out = append(out, r)
		if len(out) > n {
			return string(out[:n-1]) + "…"
		}
	}
	return string(out)
}

// layoutChannels puts the sidebar beside the conversation; on a narrow
// window the sidebar folds away behind a button.
func (c *chatView) layoutChannels() {
	if !c.channelsOn() {
		return
	}
	c.body.Objects = []fyne.CanvasObject{c.channelsLayout()}
	c.body.Refresh()
}

// narrowWidth is the window width below which the sidebar folds away.
const narrowWidth = 620

// relayoutIfNarrowChanged switches between the wide and the narrow layout
// when the window crosses narrowWidth.
func (c *chatView) relayoutIfNarrowChanged() {
	if c.channelsOn() && (c.host.win.Canvas().Size().Width < narrowWidth) != c.ch.narrow {
		c.host.dispatch(c.layoutChannels)
	}
}

func (c *chatView) channelsLayout() fyne.CanvasObject {
	cv := &c.ch
	cv.narrow = c.host.win.Canvas().Size().Width < narrowWidth
	if cv.narrow {
		// The ☰ button at the top left shows the conversations instead of
		// the open one, and back.
		toggle := widget.NewButtonWithIcon("", theme.MenuIcon(), func() {
			cv.sidebarShow = !cv.sidebarShow
			c.layoutChannels()
		})
		toggle.Importance = widget.LowImportance
		if cv.sidebarShow {
			return container.NewBorder(container.NewHBox(toggle), nil, nil, nil, cv.sideBox)
		}
		header := container.NewBorder(nil, nil, toggle, nil, cv.headerBox)
		return container.NewBorder(container.NewVBox(header, widget.NewSeparator()), nil, nil, nil, c.conversation)
	}
	conv := container.NewBorder(container.NewVBox(cv.headerBox, widget.NewSeparator()), nil, nil, nil, c.conversation)
	split := container.NewHSplit(cv.sideBox, conv)
	split.Offset = 0.26
	return split
}

// actionDone shows how a change to the conversations went.
func (c *chatView) actionDone(ev realtime.ActionDone) {
	if ev.Err != nil {
		c.notice(fmt.Sprintf("Could not %s: %s", ev.Action, realtime.Describe(ev.Err)))
		return
	}
	switch ev.Action {
	case realtime.ActionCreate, realtime.ActionJoin, realtime.ActionDirect:
		c.switchTo(ev.Channel)
	case realtime.ActionLeave:
		if ev.Channel == c.ch.open {
			c.ch.open = ""
			c.openDefault()
		}
	case realtime.ActionMute:
		c.showHeader()
	}
}

// showBrowse lists the public channels the user has not joined.
func (c *chatView) showBrowse() {
	chans := c.ch.model.Browse()
	if len(chans) == 0 {
		c.host.dialogs.show(dialog.NewInformation("Browse channels", "You are in every public channel.", c.host.win))
		return
	}
	var d dialog.Dialog
	list := widget.NewList(func() int { return len(chans) },
		func() fyne.CanvasObject {
			l := widget.NewLabel("")
			l.Truncation = fyne.TextTruncateEllipsis
			return l
		},
		func(i widget.ListItemID, o fyne.CanvasObject) {
			label := "# " + oneLine(chans[i].Name, 60)
			if chans[i].Topic != "" {
				label += " — " + oneLine(chans[i].Topic, 80)
			}
			o.(*widget.Label).SetText(label)
		})
	list.OnSelected = func(i widget.ListItemID) {
		d.Hide()
		_ = c.session.Join(chans[i].ID)
		c.notice("Joining #" + oneLine(chans[i].Name, 60) + "…")
	}
	d = dialog.NewCustom("Browse channels: click one to join", "Close", list, c.host.win)
	d.Resize(fyne.NewSize(420, 360))
	c.host.dialogs.show(d)
}

// checkChannelName says what is wrong with a channel name typed (current
// is the channel's name when renaming it).
func (c *chatView) checkChannelName(s, current string) error {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return fmt.Errorf("a channel needs a name")
	case utf8.RuneCountInString(s) > maxChannelName:
		return fmt.Errorf("at most %d characters", maxChannelName)
	case strings.ContainsAny(s, "\n\r\t"):
		return fmt.Errorf("one line, please")
	case !strings.EqualFold(s, current) && c.ch.model.NameTaken(s):
		return fmt.Errorf("a channel with that name exists")
	}
	return nil
}

// showNewChannel asks for a name, private or public, and people to invite.
func (c *chatView) showNewChannel() {
	name := widget.NewEntry()
	name.SetPlaceHolder("e.g. design-review")
	name.Validator = func(s string) error { return c.checkChannelName(s, "") }
	topic := widget.NewEntry()
	topic.SetPlaceHolder("what it is about (optional)")
	private := widget.NewCheck("Private: only invited people see it", nil)
	privateOK := c.session.Permissions().PrivateChannels
	if !privateOK {
		private.Disable()
		private.Text = "Private channels are off: this server lets every chat user read every channel"
	}
	people := c.ch.model.People()
	names := make([]string, len(people))
	for i, p := range people {
		names[i] = c.ch.model.PersonName(p.ID)
	}
	invite := widget.NewCheckGroup(names, nil)
	inviteScroll := container.NewVScroll(invite)
	inviteScroll.SetMinSize(fyne.NewSize(0, 180)) // a scroll in a form is otherwise one row high
	items := []*widget.FormItem{
		widget.NewFormItem("Name", name),
		widget.NewFormItem("Topic", topic),
		widget.NewFormItem("", private),
		widget.NewFormItem("Invite", inviteScroll),
	}
	d := dialog.NewForm("New channel", "Create", "Cancel", items, func(ok bool) {
		if !ok || name.Validate() != nil {
			return
		}
		kind := realtime.ChannelPublic
		if private.Checked && privateOK {
			kind = realtime.ChannelPrivate
		}
		var ids []string
		for i, n := range names {
			if slices.Contains(invite.Selected, n) {
				ids = append(ids, people[i].ID)
			}
		}
		_ = c.session.CreateChannel(strings.TrimSpace(name.Text), strings.TrimSpace(topic.Text), kind, ids)
		c.notice("Creating #" + oneLine(name.Text, 60) + "…")
	}, c.host.win)
	d.Resize(fyne.NewSize(460, 460))
	c.host.dialogs.show(d)
}

// showNewDirect picks a person to write to.
func (c *chatView) showNewDirect() {
	if !c.session.Permissions().PrivateChannels {
		c.host.dialogs.show(dialog.NewInformation("Direct messages are off",
			"This server lets every chat user read every conversation (Directus without custom permission rules), so direct messages would not be private.", c.host.win))
		return
	}
	people := c.ch.model.People()
	var d dialog.Dialog
	list := widget.NewList(func() int { return len(people) },
		func() fyne.CanvasObject {
			l := widget.NewLabel("")
			l.Truncation = fyne.TextTruncateEllipsis
			return l
		},
		func(i widget.ListItemID, o fyne.CanvasObject) {
			o.(*widget.Label).SetText(oneLine(c.ch.model.PersonName(people[i].ID), 60))
		})
	list.OnSelected = func(i widget.ListItemID) {
		d.Hide()
		_ = c.session.Direct(people[i].ID)
	}
	d = dialog.NewCustom("New message to…", "Close", list, c.host.win)
	d.Resize(fyne.NewSize(360, 360))
	c.host.dialogs.show(d)
}

// showMembers lists the open conversation's members.
func (c *chatView) showMembers() {
	ids := c.ch.members[c.ch.open]
	names := make([]string, 0, len(ids))
	for _, id := range ids {
		names = append(names, oneLine(c.ch.model.PersonName(id), 60))
	}
	slices.Sort(names)
	list := widget.NewList(func() int { return len(names) },
		func() fyne.CanvasObject { return widget.NewLabel("") },
		func(i widget.ListItemID, o fyne.CanvasObject) { o.(*widget.Label).SetText(names[i]) })
	d := dialog.NewCustom(fmt.Sprintf("Members (%d)", len(names)), "Close", list, c.host.win)
	d.Resize(fyne.NewSize(320, 360))
	c.host.dialogs.show(d)
}

// showChannelMenu offers mute and leave for the open conversation.
func (c *chatView) showChannelMenu() {
	id := c.ch.open
	muted := c.ch.model.Muted(id)
	muteLabel := "Mute (mentions still notify)"
	if muted {
		muteLabel = "Unmute"
	}
	items := []*fyne.MenuItem{fyne.NewMenuItem(muteLabel, func() { _ = c.session.SetMuted(id, !muted) })}
	if ch, ok := c.ch.model.Channel(id); ok && ch.Kind != realtime.ChannelDirect {
		items = append(items, fyne.NewMenuItem("Rename or change topic…", func() { c.showRename(ch) }))
	}
	menu := fyne.NewMenu("", append(items,
		fyne.NewMenuItem("Leave", func() {
			c.host.dialogs.show(dialog.NewConfirm("Leave", "Leave this conversation?", func(ok bool) {
				if ok {
					_ = c.session.Leave(id)
				}
			}, c.host.win))
		}))...)
	pos := fyne.CurrentApp().Driver().AbsolutePositionForObject(c.ch.menuBtn)
	widget.ShowPopUpMenuAtPosition(menu, c.host.win.Canvas(), pos.AddXY(0, c.ch.menuBtn.Size().Height))
}

// showRename changes a channel's name and topic.
func (c *chatView) showRename(ch realtime.Channel) {
	name := widget.NewEntry()
	name.SetText(ch.Name)
	name.Validator = func(s string) error { return c.checkChannelName(s, ch.Name) }
	topic := widget.NewEntry()
	topic.SetText(ch.Topic)
	d := dialog.NewForm("Rename #"+oneLine(ch.Name, 40), "Save", "Cancel", []*widget.FormItem{
		widget.NewFormItem("Name", name), widget.NewFormItem("Topic", topic),
	}, func(ok bool) {
		if ok && name.Validate() == nil {
			_ = c.session.Rename(ch.ID, strings.TrimSpace(name.Text), strings.TrimSpace(topic.Text))
		}
	}, c.host.win)
	d.Resize(fyne.NewSize(420, 220))
	c.host.dialogs.show(d)
}

// sidebarRow is one conversation in the sidebar: its name (bold while it
// has unread messages), the unread count and a mention badge.
type sidebarRow struct {
	widget.BaseWidget
	name   *widget.Label
	count  *widget.Label
	badge  *widget.Label
	header *widget.Label
}

func newSidebarRow() *sidebarRow {
	r := &sidebarRow{name: widget.NewLabel(""), count: widget.NewLabel(""), badge: widget.NewLabel(""), header: widget.NewLabel("")}
	r.name.Truncation = fyne.TextTruncateEllipsis
	r.header.TextStyle = fyne.TextStyle{Bold: true}
	r.badge.Importance = widget.DangerImportance
	r.badge.TextStyle = fyne.TextStyle{Bold: true}
	r.ExtendBaseWidget(r)
	return r
}

func (r *sidebarRow) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(container.NewStack(r.header,
		container.NewBorder(nil, nil, nil, container.NewHBox(r.badge, r.count), r.name)))
}

func (r *sidebarRow) show(row conversations.Row, open bool) {
	if row.Header {
		r.header.SetText(row.Label)
		r.header.Show()
		r.name.Hide()
		r.count.Hide()
		r.badge.Hide()
		return
	}
	r.header.Hide()
	r.name.Show()
	prefix := "# "
	switch row.Kind {
	case realtime.ChannelPrivate:
		prefix = "🔒 "
	case realtime.ChannelDirect:
		prefix = "● "
	}
	label := prefix + oneLine(row.Label, 60)
	if row.Muted {
		label += " (muted)"
	}
	if open {
		label = "▸ " + label
	}
	unread := row.Unread > 0 && !open
	r.name.TextStyle = fyne.TextStyle{Bold: unread && !row.Muted}
	r.name.SetText(label)
	r.count.SetText("")
	r.count.Hide()
	if unread && !row.Muted {
		r.count.SetText(fmt.Sprint(row.Unread))
		r.count.Show()
	}
	r.badge.Hide()
	if row.Mentions > 0 && !open {
		r.badge.SetText(fmt.Sprintf("@%d", row.Mentions))
		r.badge.Show()
	}
}

// personName is a person's name for a mention, if known.
func (cv *channelsView) personName(id string) (string, bool) {
	if cv.model == nil || !cv.model.Known(id) {
		return "", false
	}
	return cv.model.PersonName(id), true
}

// mentionPeople are the people the @ picker offers: the open
// conversation's members (everyone, until they are read), not the user.
func (c *chatView) mentionPeople() []mention.Person {
	if !c.channelsOn() {
		return nil
	}
	me := c.session.User().ID
	ids := c.ch.members[c.ch.open]
	if len(ids) == 0 {
		for _, p := range c.ch.model.People() {
			ids = append(ids, p.ID)
		}
	}
	out := make([]mention.Person, 0, len(ids))
	for _, id := range ids {
		if id != me && c.ch.model.Known(id) {
			out = append(out, mention.Person{ID: id, Name: c.ch.model.PersonName(id)})
		}
	}
	return out
}

// shortcut handles the conversation shortcuts: Ctrl+K (Cmd+K on macOS)
// jumps to a conversation, Ctrl/Alt+Up and Down move between them; a
// paste with no text on the clipboard pastes its picture (pasteShortcut).
func (c *chatView) shortcut(s fyne.Shortcut) bool {
	if p, ok := s.(*fyne.ShortcutPaste); ok {
		return c.pasteShortcut(p)
	}
	cs, ok := s.(*desktop.CustomShortcut)
	if !ok || !c.channelsOn() {
		return false
	}
	mod := cs.Modifier
	switch {
	case cs.KeyName == fyne.KeyK && mod == fyne.KeyModifierShortcutDefault:
		c.showSwitcher()
	case cs.KeyName == fyne.KeyUp && (mod == fyne.KeyModifierControl || mod == fyne.KeyModifierAlt):
		c.moveBy(-1)
	case cs.KeyName == fyne.KeyDown && (mod == fyne.KeyModifierControl || mod == fyne.KeyModifierAlt):
		c.moveBy(1)
	default:
		return false
	}
	return true
}

// addShortcuts registers the conversation shortcuts on the window, for
// when the composer does not have focus.
func (c *chatView) addShortcuts() {
	canvas := c.host.win.Canvas()
	for _, sc := range []*desktop.CustomShortcut{
		{KeyName: fyne.KeyK, Modifier: fyne.KeyModifierShortcutDefault},
		{KeyName: fyne.KeyUp, Modifier: fyne.KeyModifierControl},
		{KeyName: fyne.KeyDown, Modifier: fyne.KeyModifierControl},
		{KeyName: fyne.KeyUp, Modifier: fyne.KeyModifierAlt},
		{KeyName: fyne.KeyDown, Modifier: fyne.KeyModifierAlt},
	} {
		canvas.AddShortcut(sc, func(s fyne.Shortcut) { c.shortcut(s) })
	}
}

// arrivedInChannels notifies live messages from others: not in the open
// conversation while the user sees its newest message, not in muted
// conversations unless they mention the user.
func (c *chatView) arrivedInChannels(msgs []realtime.Message, atBottom bool) {
	me := c.session.User().ID
	var notify []realtime.Message
	for _, m := range msgs {
		if m.Channel == c.ch.open {
			if c.host.watching() && atBottom {
				continue
			}
			if c.firstUnread == "" {
				c.firstUnread = m.ID
				c.list.Refresh()
			}
		}
		if c.ch.model.Muted(m.Channel) && !mention.Mentions(m.Text, me) {
			continue
		}
		m.Text = mention.Display(m.Text, c.ch.personName) // names, not ids, in the notification
		notify = append(notify, m)
	}
	if len(notify) > 0 && c.host.notifyMessages != nil {
		c.host.notifyMessages(notify)
	}
}
