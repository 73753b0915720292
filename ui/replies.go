package ui

import (
	"strings"
	"time"
	"unicode"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"directuschat/markup"
	"directuschat/mention"
	"directuschat/realtime"
	"directuschat/timeline"
)

// Replies (issue #13): a reply shows one line quoting the start of the
// message it answers, under its header; a click on it scrolls to the
// original (loading older pages until it is there) and highlights it. The
// composer shows what is being answered, with a button (and Escape) to
// answer nothing after all.

// highlightFor is how long a message jumped to stays highlighted.
const highlightFor = 2 * time.Second

// quoteText is the line a reply shows of the message it answers: "Kevin:
// how it starts", on one line, as plain text (formatting characters
// dropped), mentions as names. It is made each time the row is bound (a
// parse of at most QuoteRunes): kept per message, the lines made while
// scrolling outlived the garbage around them and held its memory spans.
func (c *chatView) quoteText(e timeline.Entry) string {
	if e.ReplyTo == "" {
		return ""
	}
	q := e.Quote
	if q == nil {
		return "A message you cannot see"
	}
	who := q.AuthorName
	if c.channelsOn() {
		if name, ok := c.ch.personName(q.AuthorID); ok && who == "" {
			who = name
		}
	}
	if who == "" {
		who = "Someone"
	}
	text := q.Text
	if c.channelsOn() {
		text = mention.Display(text, c.ch.personName)
	}
	return oneLine(who, 60) + ": " + oneLine(markup.PlainText(markup.Parse(text)), realtime.QuoteRunes)
}

// quoteLine is a reply's quote: a bar and one line of caption text cut to
// the width with an ellipsis. A tap jumps to the original.
type quoteLine struct {
	widget.BaseWidget
	text  string
	onTap func()
	// onMenu opens the row's menu: Fyne's driver gives a click to the
	// topmost tappable object, so the row under the quote would not get
	// a secondary tap.
	onMenu func(ev *fyne.PointEvent)
	bar    *canvas.Rectangle
	label  *canvas.Text
	shown  string // the text as cut to the last width
	width  float32
}

var (
	_ fyne.Tappable          = (*quoteLine)(nil)
	_ fyne.SecondaryTappable = (*quoteLine)(nil)
	_ desktop.Cursorable     = (*quoteLine)(nil)
)

func newQuoteLine() *quoteLine {
	q := &quoteLine{}
	q.ExtendBaseWidget(q)
	return q
}

func (q *quoteLine) setText(s string) {
	if s == q.text {
		return
	}
	q.text, q.width = s, -1
	q.Refresh()
}

// Tapped jumps to the original.
func (q *quoteLine) Tapped(*fyne.PointEvent) {
	if q.onTap != nil {
		q.onTap()
	}
}

// TappedSecondary opens the row's menu.
func (q *quoteLine) TappedSecondary(ev *fyne.PointEvent) {
	if q.onMenu != nil {
		q.onMenu(ev)
	}
}

// Cursor shows that the quote can be clicked.
func (q *quoteLine) Cursor() desktop.Cursor { return desktop.PointerCursor }

// quoteLineHeight is the height of a reply's quote line.
func quoteLineHeight() float32 {
	return fyne.MeasureText("Ag", theme.CaptionTextSize(), fyne.TextStyle{}).Height + theme.Padding()
}

func (q *quoteLine) MinSize() fyne.Size { return fyne.NewSize(0, quoteLineHeight()) }

func (q *quoteLine) CreateRenderer() fyne.WidgetRenderer {
	q.bar = canvas.NewRectangle(theme.Color(theme.ColorNamePrimary))
	q.label = canvas.NewText("", theme.Color(theme.ColorNamePlaceHolder))
	q.label.TextSize = theme.CaptionTextSize()
	q.width = -1
	return &quoteLineRenderer{q}
}

type quoteLineRenderer struct{ q *quoteLine }

func (r *quoteLineRenderer) Destroy() {}

func (r *quoteLineRenderer) Objects() []fyne.CanvasObject {
	return []fyne.CanvasObject{r.q.bar, r.q.label}
}

func (r *quoteLineRenderer) MinSize() fyne.Size { return r.q.MinSize() }

func (r *quoteLineRenderer) Layout(size fyne.Size) {
	q := r.q
	pad := theme.Padding()
	x := 2 * pad
	q.bar.Move(fyne.NewPos(x, pad/2))
	q.bar.Resize(fyne.NewSize(2, size.Height-pad))
	avail := size.Width - x - 3*pad
	if avail != q.width {
		q.width = avail
		q.shown = fitText(q.text, avail, q.label.TextSize)
		q.label.Text = q.shown
		q.label.Refresh()
	}
	ts := q.label.MinSize()
	q.label.Move(fyne.NewPos(x+2+pad, (size.Height-ts.Height)/2))
	q.label.Resize(ts)
}

func (r *quoteLineRenderer) Refresh() {
	q := r.q
	q.bar.FillColor = theme.Color(theme.ColorNamePrimary)
	q.label.Color = theme.Color(theme.ColorNamePlaceHolder)
	q.width = -1
	r.Layout(q.Size())
	canvas.Refresh(q)
}

// fitText cuts s to the width (at the given text size), ending it with an
// ellipsis when cut. The quote is at most realtime.QuoteRunes runes, so a
// binary search over it is cheap.
func fitText(s string, width, size float32) string {
	style := fyne.TextStyle{}
	if width <= 0 {
		return ""
	}
	if fyne.MeasureText(s, size, style).Width <= width {
		return s
	}
	rs := []rune(s)
	lo, hi := 0, len(rs)
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if fyne.MeasureText(string(rs[:mid])+"…", size, style).Width <= width {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return strings.TrimRightFunc(string(rs[:lo]), unicode.IsSpace) + "…"
}

// replyBar is above the composer while the user answers a message.
type replyBar struct {
	box    *fyne.Container
	label  *widget.Label
	target *timeline.Entry
}

func newReplyBar(cancel func()) *replyBar {
	b := &replyBar{label: widget.NewLabel("")}
	b.label.Truncation = fyne.TextTruncateEllipsis
	x := widget.NewButtonWithIcon("", theme.CancelIcon(), cancel)
	x.Importance = widget.LowImportance
	b.box = container.NewBorder(nil, nil, nil, x, b.label)
	b.box.Hide()
	return b
}

// startReply makes the next message sent an answer to e.
func (c *chatView) startReply(e timeline.Entry) {
	if !c.canReply(e) {
		return
	}
	c.reply.target = &e
	q := e
	q.ID, q.ReplyTo, q.Quote = "", e.ID, realtime.QuoteOf(e.Message) // ID "": not memoized
	c.reply.label.SetText("Replying to " + c.quoteText(q))
	c.reply.box.Show()
	c.host.win.Canvas().Focus(c.composer)
}

// cancelReply answers nothing after all; it reports whether a reply was
// being written.
func (c *chatView) cancelReply() bool {
	if c.reply.target == nil {
		return false
	}
	c.reply.target = nil
	c.reply.box.Hide()
	return true
}

// canReply reports whether the user may answer e: a stored message of a
// conversation, on a server with replies.
func (c *chatView) canReply(e timeline.Entry) bool {
	return c.channelsOn() && c.session.Permissions().Replies && e.Status == timeline.Sent && e.Channel != ""
}

// jumpTo scrolls to message id and highlights it, loading older pages
// until it is there; after is the original's date (zero if unknown).
func (c *chatView) jumpTo(id string, after time.Time) {
	if i := c.tl.Index(id); i >= 0 {
		c.seeking = ""
		c.list.ScrollTo(i)
		c.highlight(id)
		return
	}
	oldest, tied, ok := c.tl.OldestTied()
	if !ok || !c.tl.HasOlder() || (!after.IsZero() && oldest.Created.Before(after)) {
		c.seeking = ""
		c.notice("The original message is no longer there.")
		return
	}
	c.seeking, c.seekingAfter = id, after
	c.status.SetText("Looking for the original message…")
	if !c.loadingOlder {
		c.loadingOlder = true
		c.session.LoadOlder(oldest, tied)
	}
}

// goOnSeeking is called after an older page came: it jumps if the
// original is there now, or asks for the next page.
func (c *chatView) goOnSeeking() {
	if c.seeking == "" {
		return
	}
	id := c.seeking
	c.jumpTo(id, c.seekingAfter)
	if c.seeking == "" && c.tl.Index(id) >= 0 {
		c.setState(c.state)
	}
}

// highlight marks message id's row for a moment.
func (c *chatView) highlight(id string) {
	c.highlighted = id
	c.refreshMessage(id)
	time.AfterFunc(highlightFor, func() {
		c.host.dispatch(func() {
			if c.highlighted == id {
				c.highlighted = ""
				c.refreshMessage(id)
			}
		})
	})
}

// refreshMessage redraws message id's row, if it is loaded.
func (c *chatView) refreshMessage(id string) {
	if i := c.tl.Index(id); i >= 0 {
		c.list.RefreshItem(i)
	}
}
