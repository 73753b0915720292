package ui

import (
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"directuschat/mention"
	"directuschat/reactions"
	"directuschat/realtime"
	"directuschat/store"
	"directuschat/timeline"
)

// chatHost is the chat screen's way back to the app, given at construction.
type chatHost struct {
	win       fyne.Window
	dialogs   *dialogStack // Escape closes them
	clipboard fyne.Clipboard
	dispatch  func(func()) // runs a function on the UI thread
	log       *slog.Logger
	logout    func()
	about     func()
	// saveCache writes the history cache now; nil when there is none.
	saveCache func()
	// keepToken stores a rotated refresh token of a remembered session.
	keepToken func(a account, refreshToken string)
	// signedOut shows the login form with notice; expired says the server
	// ended the session (its remembered token is dead too).
	signedOut func(a account, notice string, expired bool)
	// watching reports whether the user can see the window: focused and
	// not hidden to the tray.
	watching func() bool
	// unread is the count of messages from others not seen yet;
	// addUnread counts (and notifies) more, clearUnread sets it to 0.
	unread      func() int
	addUnread   func(msgs []realtime.Message)
	clearUnread func()
	// setCounts shows the unread messages and mentions of all
	// conversations (servers with channels); notifyMessages notifies.
	setCounts      func(unread, mentions int)
	notifyMessages func(msgs []realtime.Message)
	// openURL opens a link in the default browser or mail program.
	openURL func(*url.URL) error
	// pastedDir keeps pictures pasted from the clipboard until they are
	// sent ("": pasting pictures is off).
	pastedDir string
	// busy says garbage-making work happened (Config.Busy; never nil).
	busy func()
}

// chatView is the chat screen: history, composer and status line.
type chatView struct {
	host       chatHost
	detached   bool // the window shows the login form again
	session    *realtime.Session
	pumped     chan struct{} // closed once the session's last events were applied
	account    account
	remembered bool
	cacheSave  *time.Timer // a pending write of the history cache
	// firstUnread is the first message that arrived unseen: the "new
	// messages" divider goes above it.
	firstUnread  string
	tl           *timeline.Timeline
	data         *historyList
	list         *widget.List
	composer     *composer
	status       *widget.Label
	reconnect    *widget.Button
	content      fyne.CanvasObject
	body         *fyne.Container   // the conversation, or the sidebar beside it
	conversation fyne.CanvasObject // the history, the composer and the status line
	ch           channelsView
	picker       *mentionPicker // the composer's @ picker (people of the open conversation)
	heights      *rowHeights
	// expanded are the long messages the user unfolded ("Show more").
	expanded map[string]bool
	bodies   bodyCache // messages' rich text, as rows show it
	// hoverStatus is the status line's text before the pointer went over
	// a link (which shows the link's target there); hovering tells.
	hoverStatus string
	hoverShown  string // what the hover put there
	hovering    bool
	// notices counts the passing notices shown (the last one's timer
	// clears it), noticeShown is the one shown now ("": none), noticeFor
	// how long one stays (noticeFor; tests shorten it).
	notices     int
	noticeShown string
	noticeFor   time.Duration
	// reacts are the reactions to the loaded messages (nil on servers
	// without them); chipSets what their rows show, by message.
	reacts   *reactions.Tally
	chipSets map[string]*chipSet
	// reply is the bar above the composer while answering a message;
	// seeking the original a quote's click looks for in older pages
	// (written after seekingAfter), highlighted the message jumped to.
	reply        *replyBar
	seeking      string
	seekingAfter time.Time
	highlighted  string
	// files reaches the server's files (nil: none); attachments wait
	// above the composer for the next message; fileSets are what rows
	// show of messages' files; uploads how far each message's upload is.
	files       *fileLink
	attachments *attachBar
	uploads     map[string]realtime.UploadProgress
	pictures    *pictureStore // the thumbnails rows show, bounded
	thumbSlots  chan struct{} // thumbnails being fetched, at most thumbFetches
	// uploadLimit is the server's upload limit once it said it (0: not
	// known: Directus tells it only with TUS on); limitAsked that the
	// question is out or answered.
	uploadLimit int64
	limitAsked  bool

	// waiting are the sends the server failed to store, going out again
	// later: the status line says so until each is settled.
	waiting       map[string]bool
	loadingOlder  bool
	followPending bool // a scroll to the newest row is dispatched
	holdScroll    bool // a row is refolded: it, not the newest row, stays in view
	state         realtime.StateChanged
	countdown     *time.Ticker
	stopTick      chan struct{}
	// dayTimer relabels the day lines at midnight ("Today" becomes
	// "Yesterday").
	dayTimer *time.Timer
}

func newChatView(host chatHost, s *realtime.Session, a account, remembered bool, files *fileLink) *chatView {
	c := &chatView{host: host, session: s, account: a, remembered: remembered, tl: &timeline.Timeline{}, expanded: map[string]bool{}, waiting: map[string]bool{},
		reacts: reactions.New(s.User().ID), chipSets: map[string]*chipSet{},
		files: files, attachments: newAttachBar(), thumbSlots: make(chan struct{}, thumbFetches), uploads: map[string]realtime.UploadProgress{}}
	c.noticeFor, c.pumped = noticeFor, make(chan struct{})
	c.reply = newReplyBar(func() { c.cancelReply() })
	c.pictures = newPictureStore(func() int64 {
		cv := host.win.Canvas()
		return windowBudget(cv.Size(), cv.Scale())
	})
	c.data = newHistoryList(c.tl)
	c.heights = newRowHeights()
	c.heights.newFiles = func() *fileView { return newFileView(c) }
	c.heights.actions = richActions{
		openLink: c.openLink,
		hover:    c.linkHover,
		copyCode: c.copyCode,
		scroll:   c.scrollList,
	}
	c.list = widget.NewListWithData(c.data, c.heights.newRow, c.bindRow)
	// No lines between rows: a person's messages in a row share one
	// header (daylines.go), which sets them apart enough.
	c.list.HideSeparators = true
	c.relabelDaysAtMidnight()
	c.list.OnSelected = func(id widget.ListItemID) {
		c.list.Unselect(id)
		if id < c.tl.Len() {
			c.rowTapped(c.tl.At(id))
		}
	}
	c.composer = newComposer(c.send)
	send := widget.NewButtonWithIcon("", theme.MailSendIcon(), c.composer.send)
	clip := widget.NewButtonWithIcon("", theme.MailAttachmentIcon(), c.chooseFiles)
	clip.Importance = widget.LowImportance
	c.status = widget.NewLabel("Online")
	c.status.Truncation = fyne.TextTruncateEllipsis
	c.reconnect = widget.NewButton("Reconnect now", func() { c.session.ReconnectNow() })
	c.reconnect.Hide()
	user := s.User()
	// Plain style: every text style Fyne draws loads its own copy of the
	// emoji font (about 5 MB of heap), and italic would be used only here.
	who := widget.NewLabel(fmt.Sprintf("%s · %s", displayName(user), s.Server().Host))
	who.Truncation = fyne.TextTruncateEllipsis
	logout := widget.NewButtonWithIcon("Log out", theme.LogoutIcon(), host.logout)
	logout.Importance = widget.LowImportance

	statusBar := container.NewBorder(nil, nil, nil, c.reconnect, c.status)
	bottom := container.NewVBox(
		widget.NewSeparator(),
		c.reply.box,
		c.attachments.box,
		container.NewBorder(nil, nil, clip, send, c.composer),
		c.composer.hint,
		statusBar,
	)
	watch := &widthWatch{onWidth: func() {
		c.list.Refresh()
		c.relayoutIfNarrowChanged()
	}}
	about := widget.NewButtonWithIcon("", theme.InfoIcon(), host.about)
	about.Importance = widget.LowImportance
	header := container.NewBorder(nil, nil, nil, container.NewHBox(about, logout), who)
	c.conversation = container.NewBorder(nil, bottom, nil, nil, container.New(watch, c.list))
	c.body = container.NewStack(c.conversation)
	c.content = container.NewBorder(container.NewVBox(header, widget.NewSeparator()), nil, nil, nil, c.body)
	c.composer.onShortcut = c.shortcut
	c.composer.onEscape = c.cancelReply
	c.composer.hasFiles = func() bool { return len(c.attachments.files) > 0 }
	c.picker = newMentionPicker(host.win.Canvas(), &c.composer.Entry, c.mentionPeople)
	c.composer.picker = c.picker
	c.setState(realtime.StateChanged{State: realtime.StateOnline})
	return c
}

func displayName(u realtime.User) string {
	switch {
	case u.FirstName != "":
		return u.FirstName
	case u.Email != "":
		return u.Email
	}
	return "you"
}

// send shows the message at once as pending and hands it to the session.
func (c *chatView) send(text string) {
	c.firstUnread = "" // replying: the divider has done its job
	var m realtime.Message
	if c.picker != nil {
		text = mention.Encode(text, c.picker.Picked())
		c.picker.Reset()
	}
	if c.channelsOn() {
		if c.ch.open == "" {
			c.notice("Pick a conversation first.")
			return
		}
		atts := c.attachments.files
		c.attachments.files = nil
		c.showAttachments()
		if t := c.reply.target; t != nil && t.Channel == c.ch.open {
			m = c.session.ReplyWithFiles(t.Message, text, atts)
		} else if len(atts) > 0 {
			m = c.session.SendFiles(c.ch.open, text, atts)
		} else {
			m = c.session.SendIn(c.ch.open, text)
		}
		c.cancelReply()
		c.ch.local = append(c.ch.local, m)
		c.ch.drafts[c.ch.open] = ""
	} else {
		// A single room, or conversations not known yet: then the session
		// sends it to the conversation opened first (switchTo).
		m = c.session.Send(text)
		c.ch.local = append(c.ch.local, m)
	}
	c.tl.AddPending(m)
	c.data.notify()
	c.list.ScrollToBottom()
}

// apply merges a batch of events; it runs on the UI thread.
func (c *chatView) apply(batch []realtime.Event) {
	if c.detached {
		return
	}
	atBottom := c.atBottom()
	fresh := c.freshFromOthers(batch)
	batch = c.applyChannels(batch)
	before := c.tl.Len()
	oldestBefore, hadOldest := c.tl.Oldest()
	if c.tl.Apply(batch) && c.cacheSave == nil && c.remembered && c.host.saveCache != nil {
		c.cacheSave = time.AfterFunc(30*time.Second, func() {
			c.host.dispatch(func() {
				c.cacheSave = nil
				if !c.detached {
					c.host.saveCache()
				}
			})
		})
	}
	if hadOldest {
		c.keepPlace(oldestBefore)
	}
	c.applyReactions(batch)
	if c.channelsOn() {
		c.placeDivider()
	}
	for _, ev := range batch {
		switch ev := ev.(type) {
		case realtime.TokensRotated:
			if c.remembered {
				c.host.keepToken(c.account, ev.RefreshToken)
			}
		case realtime.Loaded:
			if ev.Kind == realtime.LoadOlder {
				c.loadingOlder = false
				defer c.goOnSeeking() // after the batch: the page is in the timeline
			}
		case realtime.StateChanged:
			c.setState(ev)
		case realtime.SendStatus:
			c.sendWaits(ev)
			if ev.State == realtime.SendFailed {
				if i := c.tl.Index(ev.ID); i >= 0 && c.tl.At(i).Status == timeline.Sent {
					c.notice("Not changed: " + realtime.Describe(ev.Err))
				}
			}
		case realtime.UploadProgress:
			c.uploads[ev.Message] = ev
			c.refreshMessage(ev.Message)
		case realtime.Problem:
			c.loadingOlder = false
			c.status.SetText(realtime.Describe(ev.Err))
		case realtime.SignedOut:
			c.stopCountdown()
			notice := "You have been signed out."
			if ev.Err != nil {
				notice = realtime.Describe(ev.Err)
			}
			c.host.signedOut(c.account, notice+unsentNotice(c.tl), ev.Err != nil)
			return
		}
	}
	if c.tl.Len() != before && atBottom {
		c.list.ScrollToBottom()
		// Again once this pass is over: a list not laid out since its
		// length changed (the first page, before the window is drawn)
		// scrolls within its old content, and stays at the top.
		c.followBottom()
	}
	c.arrived(fresh, atBottom)
}

// unsentNotice says, after a sign-out, what happens to unsent messages.
func unsentNotice(tl *timeline.Timeline) string {
	all, notSaved := tl.Unsent()
	saved := all - notSaved
	notice := ""
	if saved > 0 {
		notice += fmt.Sprintf(" %s kept and will be sent when you sign in again.", countMessages(saved, "unsent message is", "unsent messages are"))
	}
	if notSaved > 0 {
		notice += fmt.Sprintf(" %s could not be saved and %s lost.", countMessages(notSaved, "unsent message", "unsent messages"), plural(notSaved, "was", "were"))
	}
	return notice
}

// countMessages is "1 <one>" or "n <many>".
func countMessages(n int, one, many string) string {
	return fmt.Sprintf("%d %s", n, plural(n, one, many))
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// freshFromOthers picks the live messages of a batch that others wrote and
// the timeline does not have yet (before the batch is applied).
func (c *chatView) freshFromOthers(batch []realtime.Event) []realtime.Message {
	var fresh []realtime.Message
	me := c.session.User().ID
	for _, ev := range batch {
		if l, ok := ev.(realtime.Loaded); ok && l.Kind == realtime.LoadLive {
			for _, m := range l.Messages {
				if m.AuthorID != me && !c.tl.Has(m.ID) {
					fresh = append(fresh, m)
				}
			}
		}
	}
	return fresh
}

// arrived counts and announces live messages from others that the user
// has not seen: the window is hidden, not focused, or scrolled up.
func (c *chatView) arrived(msgs []realtime.Message, atBottom bool) {
	if len(msgs) == 0 {
		return
	}
	if c.channelsOn() {
		c.arrivedInChannels(msgs, atBottom)
		return
	}
	if c.host.watching() && atBottom {
		return
	}
	if c.host.unread() == 0 {
		c.firstUnread = msgs[0].ID
		c.list.Refresh()
	}
	c.host.addUnread(msgs)
}

// seen clears the unread count when the newest message is in view of a
// focused window.
func (c *chatView) seen() {
	if c.channelsOn() {
		c.markSeen()
		return
	}
	if c.host.unread() == 0 || !c.host.watching() || !c.atBottom() {
		return
	}
	c.host.clearUnread()
}

// keepPlace keeps the rows in view where they are when older rows were
// inserted above them.
func (c *chatView) keepPlace(oldestBefore realtime.Message) {
	n := 0
	for n < c.tl.Len() && c.tl.At(n).ID != oldestBefore.ID {
		n++
	}
	if n == 0 || n == c.tl.Len() {
		return
	}
	pad := c.list.Theme().Size(theme.SizeNamePadding)
	// Keep the heights of the rows in view and a screenful or two around
	// them (old indices: the rows after the n new ones).
	first := c.heights.rowAt(c.list.GetScrollOffset(), pad, c.tl.Len()-n)
	margin := 100
	c.heights.shift(c.list, n, first-margin, first+margin)
	added := c.heights.contentHeight(n, pad) + pad
	c.list.ScrollToOffset(c.list.GetScrollOffset() + added)
}

// atBottom reports whether the newest row is in view (or the list is empty
// or not laid out yet), so new messages should scroll it along.
func (c *chatView) atBottom() bool {
	viewport := c.list.Size().Height
	if viewport <= 0 {
		return true
	}
	content := c.heights.contentHeight(c.tl.Len(), c.list.Theme().Size(theme.SizeNamePadding))
	return c.list.GetScrollOffset()+viewport >= content-c.heights.template
}

// setStatus shows text in the status line (until the next state change
// or notice).
func (c *chatView) setStatus(text string) { c.status.SetText(text) }

// detach tells the chat that the window shows the login form again: events
// and timers still under way for it are dropped.
func (c *chatView) detach() {
	c.detached = true
	if c.dayTimer != nil {
		c.dayTimer.Stop()
	}
}

// relabelDaysAtMidnight rebinds the shown rows when the next day begins:
// their day lines are computed when they are bound.
func (c *chatView) relabelDaysAtMidnight() {
	c.dayTimer = time.AfterFunc(untilNextDay(time.Now()), func() {
		c.host.dispatch(func() {
			if c.detached {
				return
			}
			c.list.Refresh()
			c.relabelDaysAtMidnight()
		})
	})
}

// online reports whether the session is connected.
func (c *chatView) online() bool { return c.state.State == realtime.StateOnline }

// serverHost is the host name of the server, for the window title.
func (c *chatView) serverHost() string { return c.session.Server().Host }

// unsent counts the messages not sent yet, and those of them not saved in
// the outbox file either.
func (c *chatView) unsent() (all, notSaved int) { return c.tl.Unsent() }

// cacheContent is what the history cache keeps of this chat: the newest
// sent messages (at most store.CacheSize), with the user and the drafts
// (also of a conversation with no message yet); ok is false for a session
// not remembered, which leaves no history on disk.
func (c *chatView) cacheContent() (a account, user realtime.User, msgs []realtime.Message, drafts map[string]string, ok bool) {
	if !c.remembered {
		return c.account, realtime.User{}, nil, nil, false
	}
	if c.channelsOn() {
		drafts = map[string]string{}
		for id, text := range c.ch.drafts {
			if text != "" {
				drafts[id] = text
			}
		}
		if c.ch.open != "" {
			drafts[c.ch.open] = c.composer.Text
			if c.composer.Text == "" {
				delete(drafts, c.ch.open)
			}
		}
	}
	for i := max(0, c.tl.Len()-store.CacheSize); i < c.tl.Len(); i++ {
		if e := c.tl.At(i); e.Status == timeline.Sent {
			msgs = append(msgs, e.Message)
		}
	}
	return c.account, c.session.User(), msgs, drafts, true
}

// logout signs out on the server (the SignedOut event ends the chat) and
// returns who was signed in; a token rotated from now on is not kept.
func (c *chatView) logout() account {
	c.remembered = false
	c.session.Logout()
	return c.account
}

// closeSession ends the session, at quit.
func (c *chatView) closeSession() { c.session.Close() }

// sendWaits keeps the status line's "messages wait" notice (a send the
// server failed to store: realtime says why with SendPending and Err) until
// every waiting send is settled; then the connection state is shown again.
func (c *chatView) sendWaits(ev realtime.SendStatus) {
	switch {
	case ev.State == realtime.SendPending && ev.Err != nil:
		c.waiting[ev.ID] = true
		c.status.SetText(realtime.Describe(ev.Err))
	case ev.State != realtime.SendPending && c.waiting[ev.ID]:
		delete(c.waiting, ev.ID)
		if len(c.waiting) == 0 {
			c.setState(c.state)
		}
	}
}

// setState shows the connection state in the status line.
func (c *chatView) setState(s realtime.StateChanged) {
	c.state = s
	c.stopCountdown()
	c.reconnect.Hide()
	switch s.State {
	case realtime.StateOnline:
		c.askUploadLimit()
	case realtime.StateOffline:
		c.reconnect.Show()
		c.startCountdown()
	}
	c.status.SetText(c.stateLine())
}

// stateLine is what the status line says of the connection.
func (c *chatView) stateLine() string {
	switch c.state.State {
	case realtime.StateOnline:
		return "● Online"
	case realtime.StateConnecting:
		return "◌ Connecting…"
	case realtime.StateOffline:
		secs := int(time.Until(c.state.RetryAt).Round(time.Second) / time.Second)
		reason := ""
		if c.state.Err != nil {
			reason = realtime.Describe(c.state.Err) + " "
		}
		if secs > 0 {
			return fmt.Sprintf("○ Offline. %sRetrying in %d s.", reason, secs)
		}
		return fmt.Sprintf("○ Offline. %sRetrying…", reason)
	case realtime.StateSignedOut:
		return "Signed out"
	}
	return ""
}

// showRetry counts the seconds to the next try down in the status line,
// leaving a passing notice there until its time is up.
func (c *chatView) showRetry() {
	if c.noticeShown != "" && c.status.Text == c.noticeShown {
		return
	}
	c.status.SetText(c.stateLine())
}

// shed drops what the chat keeps only to bind rows faster and can make
// again (rich bodies, row measures): made while the user scrolled, among
// its garbage, they keep memory spans in use once it is freed. Rows shown
// keep their own.
func (c *chatView) shed() {
	c.bodies = bodyCache{}
	c.heights.cache = map[string]measure{}
}

// noticeFor is how long a passing notice stays in the status line.
const noticeFor = 8 * time.Second

// notice shows a passing notice in the status line (a copy made, a file
// refused or saved, a link that cannot open). After c.noticeFor the
// connection state is shown again, unless something else was said there
// meanwhile, or sends are waiting (their notice stays until settled).
func (c *chatView) notice(text string) {
	c.status.SetText(text)
	c.notices++
	c.noticeShown = text
	serial := c.notices
	time.AfterFunc(c.noticeFor, func() {
		c.host.dispatch(func() {
			if c.notices != serial || c.detached {
				return
			}
			c.noticeShown = ""
			if len(c.waiting) > 0 {
				return
			}
			switch {
			case c.hovering && c.hoverStatus == text:
				c.hoverStatus = c.stateLine() // shown when the pointer leaves
			case !c.hovering && c.status.Text == text:
				c.status.SetText(c.stateLine())
			}
		})
	})
}

// startCountdown updates "retrying in N s" once a second while offline.
func (c *chatView) startCountdown() {
	c.countdown = time.NewTicker(time.Second)
	stop := make(chan struct{})
	c.stopTick = stop
	t := c.countdown
	go func() {
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				c.host.dispatch(func() {
					if c.stopTick == stop {
						c.showRetry()
					}
				})
			}
		}
	}()
}

func (c *chatView) stopCountdown() {
	if c.countdown != nil {
		c.countdown.Stop()
		close(c.stopTick)
		c.countdown, c.stopTick = nil, nil
	}
}

// rowTapped offers what can be done with a message: retry or discard a
// failed one; edit or delete a stored one where the server allows it.
func (c *chatView) rowTapped(e timeline.Entry) {
	if e.Status == timeline.Sent {
		c.offerChanges(e)
		return
	}
	if e.Status == timeline.Pending && len(e.Files) > 0 {
		c.host.dialogs.show(dialog.NewConfirm("Cancel sending", "Stop uploading and discard this message and its files?", func(yes bool) {
			if yes {
				c.session.Discard(e.ID)
				c.tl.Discard(e.ID)
				delete(c.uploads, e.ID)
			}
		}, c.host.win))
		return
	}
	if e.Status != timeline.Failed {
		return
	}
	d := dialog.NewCustomConfirm("Message not sent", "Retry", "Discard",
		widget.NewLabel(e.Err), func(retry bool) {
			if retry {
				c.session.Retry(e.ID)
				return
			}
			c.session.Discard(e.ID)
			c.tl.Discard(e.ID)
		}, c.host.win)
	c.host.dialogs.show(d)
}

// offerChanges shows Edit and Delete for a message, if permitted.
func (c *chatView) offerChanges(e timeline.Entry) {
	perms, me := c.session.Permissions(), c.session.User().ID
	canEdit, canDelete := perms.CanEdit(e.Message, me), perms.CanDelete(e.Message, me)
	canReply := c.canReply(e)
	if !canEdit && !canDelete && !canReply {
		return
	}
	var d dialog.Dialog
	var actions []fyne.CanvasObject
	if canReply {
		actions = append(actions, widget.NewButtonWithIcon("Reply", theme.MailReplyIcon(), func() {
			d.Hide()
			c.startReply(e)
		}))
	}
	if canEdit {
		actions = append(actions, widget.NewButtonWithIcon("Edit", theme.DocumentCreateIcon(), func() {
			d.Hide()
			c.editMessage(e)
		}))
	}
	if canDelete {
		del := widget.NewButtonWithIcon("Delete", theme.DeleteIcon(), func() {
			d.Hide()
			c.host.dialogs.show(dialog.NewConfirm("Delete message", "Delete this message for everyone?", func(ok bool) {
				if ok {
					c.session.Delete(e.ID)
				}
			}, c.host.win))
		})
		del.Importance = widget.DangerImportance
		actions = append(actions, del)
	}
	short, _ := foldText(e.Text)
	preview := widget.NewLabel(short)
	preview.Wrapping = fyne.TextWrapWord
	preview.Truncation = fyne.TextTruncateEllipsis
	bottom := container.NewVBox(container.NewHBox(actions...))
	if quick := c.quickReactions(e.ID, func() { d.Hide() }); quick != nil {
		bottom.Add(quick)
	}
	d = dialog.NewCustom("Message", "Close", container.NewBorder(nil, bottom, nil, nil, preview), c.host.win)
	d.Resize(fyne.NewSize(360, 200))
	c.host.dialogs.show(d)
}

func (c *chatView) editMessage(e timeline.Entry) {
	entry := widget.NewMultiLineEntry()
	entry.Wrapping = fyne.TextWrapWord
	entry.AlwaysShowValidationError = true // also while typing: Save is disabled at once
	entry.Validator = func(s string) error {
		if n := utf8.RuneCountInString(strings.TrimSpace(s)); n > MaxMessageChars {
			return fmt.Errorf("%s characters: at most %s", thousands(n), thousands(MaxMessageChars))
		}
		return nil
	}
	entry.SetText(e.Text)
	d := dialog.NewForm("Edit message", "Save", "Cancel", []*widget.FormItem{widget.NewFormItem("", entry)}, func(ok bool) {
		text := strings.TrimSpace(entry.Text)
		if ok && text != "" && text != e.Text && utf8.RuneCountInString(text) <= MaxMessageChars {
			c.session.Edit(e.ID, text)
		}
	}, c.host.win)
	d.Resize(fyne.NewSize(400, 240))
	c.host.dialogs.show(d)
}

// nameOf is the name shown for a message's author.
func nameOf(m realtime.Message) string {
	if m.AuthorName != "" {
		return m.AuthorName
	}
	return "Someone"
}

// Row texts of messages typed here: "sending…" only once the message is in
// the outbox file, so that it survives quitting the app.
const (
	metaSaving   = "saving…"
	metaSending  = "sending…"
	metaNotSaved = "not saved — will be lost if you quit"
	metaFailed   = "not sent: tap to retry or discard"
)

// localMeta is the row text of a pending or failed message (sent ones keep
// meta), and whether it warns that the message is not saved.
func localMeta(e timeline.Entry, meta string) (string, bool) {
	switch {
	case e.Status == timeline.Sent:
		return meta, false
	case e.Disk == timeline.NotSaved && e.Status == timeline.Failed:
		return "not sent, not saved: tap to retry or discard", true
	case e.Disk == timeline.NotSaved:
		return metaNotSaved, true
	case e.Status == timeline.Failed:
		return metaFailed, false
	case e.Disk == timeline.Saved:
		return metaSending, false
	}
	return metaSaving, false
}

// bindRow fills a row and sets its height for the current width.
func (c *chatView) bindRow(item bindingItem, obj fyne.CanvasObject) {
	it := item.(entryItem)
	e, index := it.entry, it.index
	r := obj.(*messageRow)
	meta := e.Created.Local().Format("15:04")
	meta, notSaved := localMeta(e, meta)
	if up, ok := c.uploads[e.ID]; ok && e.Status == timeline.Pending && up.Total > 0 {
		meta = fmt.Sprintf("uploading %d %% — tap to cancel", up.Sent*100/up.Total)
	}
	if e.Edited() {
		meta += " (edited)"
	}
	mentionsMe := false
	var name names
	me := c.session.User().ID
	if c.channelsOn() {
		name = c.ch.personName
		if e.AuthorID != me && mention.Mentions(e.Text, me) {
			mentionsMe = true
			meta += " · mentions you"
		}
	}
	body, text, fold := c.bodies.get(e.Text, c.expanded[e.ID], name, me)
	day := dayLineAt(c.tl.At, index, c.tl.HasOlder(), time.Now())
	rc := rowContent{
		mentionsMe: mentionsMe,
		author:     nameOf(e.Message),
		meta:       meta,
		failed:     e.Status == timeline.Failed || notSaved,
		text:       text,
		body:       body,
		fold:       fold,
		divider:    e.ID == c.firstUnread,
		day:        day,
		quote:      c.quoteText(e),
		chips:      c.chipSets[e.ID],
		files:      fileSet{e.Files},
		highlight:  e.ID == c.highlighted,
	}
	rc.grouped = day == "" && index > 0 && !rc.divider && !mentionsMe && continues(c.tl.At(index-1), e)
	if fold == foldCapped {
		rc.total = utf8.RuneCountInString(e.Text)
	}
	r.show(rc)
	c.host.busy()
	r.id = e.ID
	id := e.ID
	r.onToggle = func() { c.toggleFold(id) }
	r.onCopy = func() { c.copyText(id) }
	r.onTap = func() {
		if i := c.tl.Index(id); i >= 0 {
			c.rowTapped(c.tl.At(i))
		}
	}
	r.onMenu = func(link *rlink) []*fyne.MenuItem { return c.rowMenu(id, link) }
	var quoted string
	var quotedAt time.Time
	if e.Quote != nil {
		quoted, quotedAt = e.Quote.ID, e.Quote.Created
	}
	r.onQuote = func() {
		if quoted != "" {
			c.jumpTo(quoted, quotedAt)
		}
	}
	r.onReact = func(emoji string) { c.toggleReaction(id, emoji) }
	r.onPick = func() { c.pickReaction(id) }
	r.onReactHover = c.reactionHover
	c.fitRow(index, e, rc)
	if index == c.tl.Len()-1 {
		c.seen() // the newest row is being shown
	}
	if index == 0 && c.tl.HasOlder() && !c.loadingOlder {
		if oldest, tied, ok := c.tl.OldestTied(); ok {
			c.loadingOlder = true
			c.session.LoadOlder(oldest, tied)
		}
	}
}

// toggleFold folds or unfolds the long message id.
func (c *chatView) toggleFold(id string) {
	i := c.tl.Index(id)
	if i < 0 {
		return
	}
	if c.expanded[id] {
		delete(c.expanded, id)
	} else {
		c.expanded[id] = true
	}
	c.holdScroll = true
	c.list.RefreshItem(i)
	c.holdScroll = false
	// The reader goes on at the start of the message, expanded or folded.
	c.list.ScrollToOffset(c.heights.rowTop(i, c.list.Theme().Size(theme.SizeNamePadding)))
}

// copyText puts the whole text of message id on the clipboard: an
// expanded row shows at most expandChars characters of it.
func (c *chatView) copyText(id string) {
	if i := c.tl.Index(id); i >= 0 {
		text := c.typedText(c.tl.At(i))
		c.host.clipboard.SetContent(text)
		c.notice(fmt.Sprintf("Copied %s characters.", thousands(utf8.RuneCountInString(text))))
	}
}

// typedText is a message's text as typed: Markdown as it was written,
// mentions as "@" and the person's name.
func (c *chatView) typedText(e timeline.Entry) string {
	if c.channelsOn() {
		return mention.Display(e.Text, c.ch.personName)
	}
	return e.Text
}

// copyMessage puts the text of message id, as typed, on the clipboard
// (the row menu's Copy text).
func (c *chatView) copyMessage(id string) {
	if i := c.tl.Index(id); i >= 0 {
		c.host.clipboard.SetContent(c.typedText(c.tl.At(i)))
		c.notice("Copied the message.")
	}
}

// copyCode puts a code block's text on the clipboard (its Copy button).
func (c *chatView) copyCode(code string) {
	c.host.clipboard.SetContent(code)
	c.notice("Copied the code.")
}

// rowMenu is the menu of message id's row: when it was sent (and edited),
// what a link it was opened on does, and Copy text.
func (c *chatView) rowMenu(id string, link *rlink) []*fyne.MenuItem {
	i := c.tl.Index(id)
	if i < 0 {
		return nil
	}
	e := c.tl.At(i)
	// The date is there to be read (a disabled item is greyed out).
	items := []*fyne.MenuItem{fyne.NewMenuItem(fullTime(e.Created), func() {})}
	if e.Edited() {
		items = append(items, fyne.NewMenuItem("Edited "+fullTime(e.Updated), func() {}))
	}
	items = append(items, fyne.NewMenuItemSeparator())
	if link != nil {
		l := *link
		items = append(items,
			fyne.NewMenuItem("Open link", func() { c.openLink(l) }),
			fyne.NewMenuItem("Copy link address", func() {
				c.host.clipboard.SetContent(l.target)
				c.notice("Copied the link's address.")
			}))
	}
	if c.canReply(e) {
		items = append(items, fyne.NewMenuItem("Reply", func() { c.startReply(e) }))
	}
	items = append(items, c.reactionItems(id)...)
	return append(items, fyne.NewMenuItem("Copy text", func() { c.copyMessage(id) }))
}

// openableURL is target as a link may open it: http or https with a host,
// or mailto with an address. markup only makes such links; this checks
// again at the click.
func openableURL(target string) (*url.URL, bool) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, false
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https":
		if u.Host == "" || u.Opaque != "" {
			return nil, false
		}
	case "mailto":
		if u.Opaque == "" {
			return nil, false
		}
	default:
		return nil, false
	}
	return u, true
}

// openLink opens a message's link in the default browser (or mail
// program). A link whose text names another address than it opens (markup
// marks it deceptive) first asks, showing where it really goes.
func (c *chatView) openLink(l rlink) {
	u, ok := openableURL(l.target)
	if !ok {
		c.notice("This link cannot be opened.")
		return
	}
	if !l.deceptive {
		c.open(u)
		return
	}
	target := widget.NewLabel(u.String())
	target.Wrapping = fyne.TextWrapBreak
	target.TextStyle = fyne.TextStyle{Bold: true}
	note := widget.NewLabel("The link's text shows another address than the one it opens. It goes to:")
	note.Wrapping = fyne.TextWrapWord
	body := container.NewVBox(note, target)
	d := dialog.NewCustomConfirm("Open link?", "Open", "Cancel", body, func(yes bool) {
		if yes {
			c.open(u)
		}
	}, c.host.win)
	d.Resize(fyne.NewSize(420, 200))
	c.host.dialogs.show(d)
}

func (c *chatView) open(u *url.URL) {
	if c.host.openURL == nil {
		return
	}
	if err := c.host.openURL(u); err != nil {
		c.notice("Could not open the link: " + err.Error())
	}
}

// linkHoverPrefix starts the status line while it shows a link's target.
const linkHoverPrefix = "Link to "

// linkHover shows the target of the link under the pointer in the status
// line, and what was there before once the pointer leaves it.
func (c *chatView) linkHover(l *rlink) {
	if l != nil {
		c.hoverShow(linkHoverPrefix + l.target)
		return
	}
	c.hoverEnd()
}

// hoverShow puts text in the status line while the pointer is over
// something that explains itself there (a link, a reaction).
func (c *chatView) hoverShow(text string) {
	if !c.hovering {
		c.hoverStatus, c.hovering = c.status.Text, true
	}
	c.hoverShown = text
	c.status.SetText(text)
}

// hoverEnd puts back what the status line said before, unless something
// else was said there since.
func (c *chatView) hoverEnd() {
	if c.hovering {
		c.hovering = false
		if c.status.Text == c.hoverShown {
			c.status.SetText(c.hoverStatus)
		}
	}
}

// scrollList scrolls the history by a vertical scroll that happened over
// a code block (which scrolls only sideways).
func (c *chatView) scrollList(ev *fyne.ScrollEvent) {
	c.list.ScrollToOffset(c.list.GetScrollOffset() - ev.Scrolled.DY)
}
