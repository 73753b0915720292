package ui

import (
	"fmt"
	"image/color"
	"slices"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/data/binding"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"directuschat/reactions"
	"directuschat/realtime"
	"directuschat/timeline"
)

type bindingItem = binding.DataItem

// messageRow is one message: author and time on a line (unless the
// message goes under the previous one's header, daylines.go), the text
// below, wrapped to the width, above the first message of a day a day
// line, and above the first unread message a "New messages" divider. Plain
// text is drawn by labels; text with formatting by a richView
// (richtext.go). A long text is folded (see longtext.go): the row shows
// its start and a "Show more" button; expanded, plain text is drawn by
// several labels of bounded size, stacked so they read as one. A secondary
// tap (or a long press) opens the row's menu: the full date and time,
// Copy text, and for a link, its address.
//
// Rows are built to be cheap, because widget.List makes many: on every
// full refresh (each batch, each SetItemHeight) it creates a row only to
// measure it, and drops its pool of spare rows. Until a row is first shown
// or laid out it is a bare struct that reports the template size (so
// measuring it builds no renderer, which Fyne would cache for a minute);
// the divider, the extra labels and the fold buttons exist only in rows
// that have shown them.
type messageRow struct {
	widget.BaseWidget
	template fyne.Size
	overlap  float32   // see rowHeights.overlap
	parts    *rowParts // nil until the row is shown or laid out
	shown    rowContent
	id       string // the message shown, as bound
	// onToggle and onCopy are set by whoever binds the row: the fold
	// button and "Copy all" call them; onTap a tap on the row (edit or
	// delete, retry). onMenu gives the row's menu (link: the one it was
	// opened on, or nil).
	onToggle, onCopy, onTap func()
	onMenu                  func(link *rlink) []*fyne.MenuItem
	// onQuote jumps to the original of a reply; onReact toggles the
	// user's reaction, onPick opens the reaction picker, onReactHover
	// says who reacted (nil: the pointer left the chip).
	onQuote      func()
	onReact      func(emoji string)
	onPick       func()
	onReactHover func(*reactions.Chip)
	newFiles     func() *fileView // makes the attachments' view (the chat's)
	act          richActions      // for its rich text: the chat's, and the menu
}

var _ fyne.SecondaryTappable = (*messageRow)(nil)

// rowParts are a row's canvas objects.
type rowParts struct {
	box      *fyne.Container
	header   *fyne.Container
	author   *canvas.Text
	meta     *canvas.Text
	text     *widget.Label   // plain text, or its first chunk
	more     []*widget.Label // the other chunks of an expanded text
	rich     *richView       // nil until needed: text with formatting
	day      *dayLine        // nil until needed
	controls *fyne.Container // nil until needed: toggle, copyAll
	toggle   *widget.Button
	copyAll  *widget.Button
	divider  *widget.Label     // nil until needed
	quote    *quoteLine        // nil until needed: a reply's quote
	chips    *chipBar          // nil until needed: reactions
	files    *fileView         // nil until needed: attachments
	bg       *canvas.Rectangle // nil until needed: the highlight of a message jumped to
}

// rowContent is what a row shows; a row bound again to the same content
// (every full refresh of the list re-binds the visible rows) is left alone.
type rowContent struct {
	author, meta    string
	text            string    // what is shown of plain text: see displayText
	body            *richBody // the text with formatting (then text is ""), or nil
	grouped         bool      // under the previous message's header: no header
	day             string    // the day line above it, or ""
	fold            foldState // how
	total           int       // characters in the whole message, for "Copy all"
	failed, divider bool
	mentionsMe      bool     // the message mentions the user: the author line is highlighted
	quote           string   // a reply's quote line, or ""
	chips           *chipSet // its reactions, or nil
	files           fileSet  // its attachments (empty: none)
	highlight       bool     // jumped to: drawn on a highlight for a moment
}

// equal says a row showing o needs no change to show c: every field alike,
// the files by content.
func (c rowContent) equal(o rowContent) bool {
	return c.author == o.author && c.meta == o.meta && c.text == o.text && c.body == o.body &&
		c.grouped == o.grouped && c.day == o.day && c.fold == o.fold && c.total == o.total &&
		c.failed == o.failed && c.divider == o.divider && c.mentionsMe == o.mentionsMe &&
		c.quote == o.quote && c.chips == o.chips && c.files.same(o.files) && c.highlight == o.highlight
}

// newRow makes an empty row for widget.List.
func (h *rowHeights) newRow() fyne.CanvasObject {
	r := &messageRow{template: h.templateSize, overlap: h.overlap, act: h.actions, newFiles: h.newFiles}
	r.act.menu = r.showMenu
	r.ExtendBaseWidget(r)
	return r
}

// TappedSecondary opens the row's menu.
func (r *messageRow) TappedSecondary(ev *fyne.PointEvent) { r.showMenu(ev, nil) }

// Tapped acts on the message. The row takes primary taps itself: once it
// handles secondary taps, Fyne's driver delivers every click to it and no
// longer to the list item under it, so the list's OnSelected never ran.
func (r *messageRow) Tapped(*fyne.PointEvent) {
	if r.onTap != nil {
		r.onTap()
	}
}

// showMenu opens the row's menu at the event, for link if it was opened
// on one.
func (r *messageRow) showMenu(ev *fyne.PointEvent, link *rlink) {
	if r.onMenu == nil {
		return
	}
	items := r.onMenu(link)
	c := fyne.CurrentApp().Driver().CanvasForObject(r)
	if len(items) == 0 || c == nil {
		return
	}
	widget.ShowPopUpMenuAtPosition(fyne.NewMenu("", items...), c, ev.AbsolutePosition)
}

// MinSize is the template size until the row has content.
func (r *messageRow) MinSize() fyne.Size {
	if r.parts == nil {
		return r.template
	}
	return r.BaseWidget.MinSize()
}

func (r *messageRow) ensureParts() *rowParts {
	if r.parts != nil {
		return r.parts
	}
	p := &rowParts{
		author: canvas.NewText("", theme.Color(theme.ColorNameForeground)),
		meta:   canvas.NewText("", theme.Color(theme.ColorNamePlaceHolder)),
		text:   newTextLabel(""),
	}
	p.author.TextStyle = fyne.TextStyle{Bold: true}
	p.meta.TextSize = theme.CaptionTextSize()
	p.header = container.NewHBox(p.author, p.meta)
	p.box = container.New(rowLayout{p, r.overlap}, p.header, p.text)
	r.parts = p
	return p
}

func newTextLabel(s string) *widget.Label {
	l := widget.NewLabel(s)
	l.Wrapping = fyne.TextWrapWord
	return l
}

func (r *messageRow) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(r.ensureParts().box)
}

// show puts c in the row, touching only what changed.
func (r *messageRow) show(c rowContent) {
	p := r.ensureParts()
	if r.shown.equal(c) {
		return
	}
	old := r.shown
	r.shown = c
	if c.author != old.author || c.mentionsMe != old.mentionsMe {
		p.author.Text = c.author
		p.author.Color = r.authorColor()
		p.author.Refresh()
	}
	if c.meta != old.meta || c.failed != old.failed {
		p.meta.Text = c.meta
		p.meta.Color = r.metaColor()
		p.meta.Refresh()
	}
	relayout := false
	if c.body != nil {
		if p.rich == nil {
			p.rich = newRichView(&r.act)
		}
		p.rich.setBody(c.body)
		relayout = relayout || c.body != old.body
		p.rich.Show()
		p.text.Hide()
		if len(p.more) > 0 {
			r.showText([]string{""})
		}
	} else {
		if p.rich != nil && p.rich.Visible() {
			p.rich.setBody(nil)
			p.rich.Hide()
			p.text.Show()
			relayout = true
		}
		if c.text != old.text || old.body != nil {
			relayout = r.showText(chunks(c.text)) || relayout
		}
	}
	if c.grouped != old.grouped {
		p.header.Hidden = c.grouped
		relayout = true
	}
	if c.day != old.day {
		if c.day != "" && p.day == nil {
			p.day = newDayLine()
		}
		if p.day != nil {
			p.day.setText(c.day)
			p.day.Hidden = c.day == ""
		}
		relayout = true
	}
	if c.fold != old.fold || c.total != old.total {
		relayout = r.showControls(c.fold, c.total) || relayout
	}
	if c.quote != old.quote {
		if c.quote != "" && p.quote == nil {
			p.quote = newQuoteLine()
			p.quote.onTap = func() {
				if r.onQuote != nil {
					r.onQuote()
				}
			}
			p.quote.onMenu = func(ev *fyne.PointEvent) { r.showMenu(ev, nil) }
		}
		if p.quote != nil {
			p.quote.setText(c.quote)
			p.quote.Hidden = c.quote == ""
		}
		relayout = true
	}
	if c.chips != old.chips {
		if c.chips != nil && p.chips == nil {
			p.chips = newChipBar()
			p.chips.onToggle = func(emoji string) {
				if r.onReact != nil {
					r.onReact(emoji)
				}
			}
			p.chips.onAdd = func() {
				if r.onPick != nil {
					r.onPick()
				}
			}
			p.chips.onMenu = func(ev *fyne.PointEvent) { r.showMenu(ev, nil) }
			p.chips.onHover = func(ch *reactions.Chip) {
				if r.onReactHover != nil {
					r.onReactHover(ch)
				}
			}
		}
		if p.chips != nil {
			if c.chips != nil {
				p.chips.setChips(c.chips)
			}
			p.chips.Hidden = c.chips == nil
		}
		relayout = true
	}
	if !c.files.same(old.files) {
		if !c.files.empty() && p.files == nil && r.newFiles != nil {
			p.files = r.newFiles()
		}
		if p.files != nil {
			p.files.setFiles(c.files) // none drops the pictures
			p.files.Hidden = c.files.empty()
		}
		relayout = true
	}
	if c.highlight != old.highlight {
		if c.highlight && p.bg == nil {
			p.bg = canvas.NewRectangle(theme.Color(theme.ColorNameSelection))
		}
		if p.bg != nil {
			p.bg.FillColor = theme.Color(theme.ColorNameSelection)
			p.bg.Hidden = !c.highlight
			p.bg.Refresh()
		}
		relayout = true
	}
	if c.divider != old.divider {
		if c.divider && p.divider == nil {
			p.divider = newDivider()
		}
		if p.divider != nil {
			p.divider.Hidden = !c.divider
		}
		relayout = true
	}
	if relayout {
		p.box.Objects = p.objects()
		p.box.Refresh()
	}
}

// showText puts the chunks in the labels, reporting whether labels were
// added or removed.
func (r *messageRow) showText(ch []string) bool {
	p := r.parts
	p.text.SetText(ch[0])
	rest := ch[1:]
	changed := len(rest) != len(p.more)
	for i, s := range rest {
		if i < len(p.more) {
			p.more[i].SetText(s)
		} else {
			p.more = append(p.more, newTextLabel(s))
		}
	}
	clear(p.more[len(rest):])
	p.more = p.more[:len(rest)]
	return changed
}

// showControls shows the fold buttons a row in state f needs, reporting
// whether the row gained or lost them.
func (r *messageRow) showControls(f foldState, total int) bool {
	p := r.parts
	had := p.controls != nil && p.controls.Visible()
	if f == foldNone {
		if p.controls != nil {
			p.controls.Hide()
		}
		return had
	}
	if p.controls == nil {
		p.toggle = widget.NewButton("", func() {
			if r.onToggle != nil {
				r.onToggle()
			}
		})
		p.toggle.Importance = widget.LowImportance
		p.copyAll = widget.NewButton("", func() {
			if r.onCopy != nil {
				r.onCopy()
			}
		})
		p.copyAll.Importance = widget.LowImportance
		p.controls = container.NewHBox(p.toggle, p.copyAll)
	}
	p.controls.Show()
	if f == foldFolded {
		p.toggle.SetText("Show more")
	} else {
		p.toggle.SetText("Show less")
	}
	if f == foldCapped {
		p.copyAll.SetText(fmt.Sprintf("Copy all %s characters", thousands(total)))
		p.copyAll.Show()
	} else {
		p.copyAll.Hide()
	}
	return !had
}

// objects are the row's visible canvas objects, in drawing order.
func (p *rowParts) objects() []fyne.CanvasObject {
	objs := make([]fyne.CanvasObject, 0, 9+len(p.more))
	if p.bg != nil && p.bg.Visible() {
		objs = append(objs, p.bg)
	}
	if p.day != nil && p.day.Visible() {
		objs = append(objs, p.day)
	}
	if p.header.Visible() {
		objs = append(objs, p.header)
	}
	if p.quote != nil && p.quote.Visible() {
		objs = append(objs, p.quote)
	}
	if p.rich != nil && p.rich.Visible() {
		objs = append(objs, p.rich)
	} else {
		objs = append(objs, p.text)
		for _, l := range p.more {
			objs = append(objs, l)
		}
	}
	if p.controls != nil && p.controls.Visible() {
		objs = append(objs, p.controls)
	}
	if p.files != nil && p.files.Visible() {
		objs = append(objs, p.files)
	}
	if p.chips != nil && p.chips.Visible() {
		objs = append(objs, p.chips)
	}
	if p.divider != nil && p.divider.Visible() {
		objs = append(objs, p.divider)
	}
	return objs
}

// thousands writes n with comma separators.
func thousands(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// metaColor is the colour of the time (or of "not sent").
func (r *messageRow) authorColor() color.Color {
	if r.shown.mentionsMe {
		return theme.Color(theme.ColorNamePrimary)
	}
	return theme.Color(theme.ColorNameForeground)
}

func (r *messageRow) metaColor() color.Color {
	if r.shown.failed {
		return theme.Color(theme.ColorNameError)
	}
	return theme.Color(theme.ColorNamePlaceHolder)
}

// Refresh re-applies the theme's colours, which canvas.Text keeps as set:
// Fyne refreshes every widget when the user switches between light and
// dark, and show skips rows whose content is unchanged.
func (r *messageRow) Refresh() {
	if p := r.parts; p != nil {
		if fg := r.authorColor(); p.author.Color != fg {
			p.author.Color = fg
			p.author.Refresh()
		}
		if mc := r.metaColor(); p.meta.Color != mc {
			p.meta.Color = mc
			p.meta.Refresh()
		}
	}
	r.BaseWidget.Refresh()
}

func newDivider() *widget.Label {
	d := widget.NewLabelWithStyle("── New messages ──", fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	d.Importance = widget.HighImportance
	return d
}

// rowLayout stacks the divider (when shown), the header, the text labels
// and the fold buttons with no gaps, the text full width. The labels of
// one text overlap by their padding, so their lines are spaced as in one
// label.
type rowLayout struct {
	p       *rowParts
	overlap float32
}

func (l rowLayout) Layout(_ []fyne.CanvasObject, size fyne.Size) {
	pad := theme.Padding()
	y := float32(0)
	if bg := l.p.bg; bg != nil && bg.Visible() {
		bg.Move(fyne.NewPos(0, 0))
		bg.Resize(size)
	}
	// The reactions go at the bottom, under the text.
	if chips := l.p.chips; chips != nil && chips.Visible() && chips.set != nil {
		h := chips.set.height(size.Width)
		chips.Move(fyne.NewPos(0, size.Height-h))
		chips.Resize(fyne.NewSize(size.Width, h))
		size.Height -= h
	}
	// The attachments above them, under the text.
	if fv := l.p.files; fv != nil && fv.Visible() && !fv.set.empty() {
		h := fv.set.height(size.Width)
		fv.Move(fyne.NewPos(0, size.Height-h))
		fv.Resize(fyne.NewSize(size.Width, h))
		size.Height -= h
	}
	if d := l.p.day; d != nil && d.Visible() {
		h := d.MinSize().Height
		d.Move(fyne.NewPos(0, y))
		d.Resize(fyne.NewSize(size.Width, h))
		y += h
	}
	if d := l.p.divider; d != nil && d.Visible() {
		h := d.MinSize().Height
		d.Move(fyne.NewPos(0, y))
		d.Resize(fyne.NewSize(size.Width, h))
		y += h
	}
	if header := l.p.header; header.Visible() {
		h := header.MinSize().Height
		header.Move(fyne.NewPos(pad, y+pad/2))
		header.Resize(fyne.NewSize(size.Width-2*pad, h))
		y += h
	}
	if q := l.p.quote; q != nil && q.Visible() {
		h := quoteLineHeight()
		q.Move(fyne.NewPos(0, y))
		q.Resize(fyne.NewSize(size.Width, h))
		y += h
	}
	controls := l.p.controls
	if controls != nil && !controls.Visible() {
		controls = nil
	}
	if rich := l.p.rich; rich != nil && rich.Visible() {
		h := rich.height(size.Width)
		rich.Move(fyne.NewPos(0, y))
		rich.Resize(fyne.NewSize(size.Width, h))
		if controls != nil {
			controls.Move(fyne.NewPos(pad, y+h))
			controls.Resize(fyne.NewSize(size.Width-2*pad, controls.MinSize().Height))
		}
		return
	}
	if len(l.p.more) == 0 && controls == nil {
		l.p.text.Move(fyne.NewPos(0, y))
		l.p.text.Resize(fyne.NewSize(size.Width, size.Height-y))
		return
	}
	for i, t := range l.texts() {
		if i > 0 {
			y -= l.overlap
		}
		// The width first: a wrapped label's height depends on it.
		if t.Size().Width != size.Width {
			t.Resize(fyne.NewSize(size.Width, t.Size().Height))
		}
		th := t.MinSize().Height
		t.Move(fyne.NewPos(0, y))
		t.Resize(fyne.NewSize(size.Width, th))
		y += th
	}
	if controls != nil {
		controls.Move(fyne.NewPos(pad, y))
		controls.Resize(fyne.NewSize(size.Width-2*pad, controls.MinSize().Height))
	}
}

func (l rowLayout) texts() []*widget.Label {
	return append([]*widget.Label{l.p.text}, l.p.more...)
}

func (l rowLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var w, h float32
	for _, o := range objs {
		if o.Visible() && o != fyne.CanvasObject(l.p.bg) {
			m := o.MinSize()
			w, h = max(w, m.Width), h+m.Height
		}
	}
	if l.p.rich != nil && l.p.rich.Visible() {
		return fyne.NewSize(w, h)
	}
	return fyne.NewSize(w, h-l.overlap*float32(len(l.p.more)))
}

// rowHeights gives rows with wrapped text their height. widget.List keys
// custom heights by row index and its scrolling math is O(rows with custom
// heights), so only rows that are shown and taller than one line get one,
// measured once per (message, shown text, width). The shown text is
// bounded (longtext.go), and so is the time a measure takes.
type rowHeights struct {
	templateSize fyne.Size          // a one-line row
	template     float32            // its height
	header       float32            // height of the author/time line
	divider      float32            // height of the "new messages" divider
	dayLine      float32            // height of a day line
	controls     float32            // height of the fold buttons
	overlap      float32            // padding of a text label: stacked labels overlap by it
	applied      map[int]float32    // what the list was told, by row
	cache        map[string]measure // by message id
	probe        *widget.Label
	// actions are what rows' links and code blocks do (the chat's).
	actions richActions
	// newFiles makes a row's attachments view (the chat's).
	newFiles func() *fileView
}

type measure struct {
	text    string
	quote   bool
	chips   *chipSet
	files   *realtime.Attachment // the first of the list shown
	nFiles  int
	body    uint64 // the rich body's serial (a pointer would keep every body alive)
	fold    foldState
	grouped bool
	day     bool
	width   float32
	height  float32
}

func newRowHeights() *rowHeights {
	tmpl := &messageRow{}
	tmpl.ExtendBaseWidget(tmpl)
	tmpl.show(rowContent{author: "Name", meta: "00:00", text: "Text"})
	size := tmpl.MinSize()
	one, two := newTextLabel("Text").MinSize().Height, newTextLabel("Text\nText").MinSize().Height
	button := widget.NewButton("Show more", nil)
	button.Importance = widget.LowImportance
	return &rowHeights{
		templateSize: size,
		template:     size.Height,
		header:       size.Height - tmpl.parts.text.MinSize().Height,
		divider:      newDivider().MinSize().Height,
		dayLine:      dayLineHeight(),
		controls:     button.MinSize().Height,
		overlap:      2*one - two,
		applied:      map[int]float32{},
		cache:        map[string]measure{},
		probe:        newTextLabel(""),
	}
}

// height is the row height for message id showing c at the given width.
func (h *rowHeights) height(id string, c rowContent, width float32) float32 {
	m := measure{text: c.text, quote: c.quote != "", chips: c.chips, fold: c.fold, grouped: c.grouped, day: c.day != "", width: width}
	m.files, m.nFiles = c.files.key()
	if c.body != nil {
		m.body = c.body.serial
	}
	if got, ok := h.cache[id]; ok {
		if m.height = got.height; got == m {
			return got.height
		}
	}
	// The least: a header (unless grouped) and one line.
	least := h.template
	height := h.header
	if c.grouped {
		least -= h.header
		height = 0
	}
	if c.body != nil {
		height += c.body.layout(width).height
	} else {
		for i, s := range chunks(c.text) {
			if i > 0 {
				height -= h.overlap
			}
			h.probe.SetText(s)
			h.probe.Resize(fyne.NewSize(width, h.probe.MinSize().Height))
			height += h.probe.MinSize().Height
		}
	}
	if c.quote != "" {
		height += quoteLineHeight()
	}
	if c.fold != foldNone {
		height += h.controls
	}
	height = max(height, least)
	if !c.files.empty() {
		height += c.files.height(width)
	}
	if c.chips != nil {
		height += c.chips.height(width)
	}
	if c.day != "" {
		height += h.dayLine
	}
	m.height = height
	h.cache[id] = m
	return height
}

// contentHeight mirrors the list's own sum of row heights.
func (h *rowHeights) contentHeight(rows int, separator float32) float32 {
	total := float32(rows) * h.template
	for id, v := range h.applied {
		if id < rows {
			total += v - h.template
		}
	}
	return total + separator*float32(max(rows-1, 0))
}

// rowTop is the offset of row i in the list's content.
func (h *rowHeights) rowTop(i int, separator float32) float32 {
	if i <= 0 {
		return 0
	}
	return h.contentHeight(i, separator) + separator
}

// shift moves custom heights down by n rows after n rows were inserted at
// the top (an older page), so they stay with their messages.
//
// Every SetItemHeight that changes a height is a full refresh of the list,
// and the list's sum of heights is O(rows it was ever given a height), so
// moving every custom height on every page makes paging back O(n²). Only
// the rows from keepFrom to keepTo (old indices: those around the
// viewport) keep theirs; the others go back to the template height and
// are fitted again, from the measure cache, when they are next shown.
func (h *rowHeights) shift(list *widget.List, n, keepFrom, keepTo int) {
	old := h.applied
	h.applied = make(map[int]float32, len(old))
	var ids []int
	for id, v := range old {
		ids = append(ids, id)
		if id >= keepFrom && id <= keepTo {
			h.applied[id+n] = v
			ids = append(ids, id+n)
		}
	}
	heightOf := func(m map[int]float32, id int) float32 {
		if v, ok := m[id]; ok {
			return v
		}
		return h.template
	}
	slices.Sort(ids)
	for _, id := range slices.Compact(ids) {
		if want := heightOf(h.applied, id); want != heightOf(old, id) {
			list.SetItemHeight(id, want)
		}
	}
}

// rowAt is the row at offset y of the list's content (rows and the
// separators between them).
func (h *rowHeights) rowAt(y, separator float32, rows int) int {
	top := float32(0)
	for i := range rows {
		height, ok := h.applied[i]
		if !ok {
			height = h.template
		}
		if top+height > y {
			return i
		}
		top += height + separator
	}
	return max(rows-1, 0)
}

// fitRow gives row index (showing rc of message e) its height for the
// list's width.
func (c *chatView) fitRow(index int, e timeline.Entry, rc rowContent) {
	width := c.list.Size().Width
	if width <= 0 {
		return
	}
	want := c.heights.height(e.ID, rc, width)
	if e.ID == c.firstUnread {
		want += c.heights.divider
	}
	have, custom := c.heights.applied[index]
	if !custom {
		have = c.heights.template
	}
	if want == have {
		return
	}
	following := c.atBottom()
	c.heights.applied[index] = want
	c.list.SetItemHeight(index, want)
	if following && want > have && !c.holdScroll {
		c.followBottom()
	}
}

// followBottom scrolls to the newest row once the list's current layout
// pass is over: rows are measured as they come into view, and one that
// turns out taller than a line would push the newest row out of a view
// that was following it.
func (c *chatView) followBottom() {
	if c.followPending {
		return
	}
	c.followPending = true
	c.host.dispatch(func() {
		c.followPending = false
		if !c.detached {
			c.list.ScrollToBottom()
		}
	})
}

// widthWatch lays out one child full size and calls onWidth when the width
// changes, so wrapped rows are measured again.
type widthWatch struct {
	width   float32
	onWidth func()
}

func (w *widthWatch) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	for _, o := range objs {
		o.Move(fyne.NewPos(0, 0))
		o.Resize(size)
	}
	if size.Width != w.width {
		w.width = size.Width
		if w.onWidth != nil {
			w.onWidth()
		}
	}
}

func (w *widthWatch) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var s fyne.Size
	for _, o := range objs {
		s = s.Max(o.MinSize())
	}
	return s
}
