package ui

import (
	"image/color"
	"slices"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/data/binding"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"directuschat/timeline"
)

type bindingItem = binding.DataItem

// messageRow is one message: author and time on a line, the text below,
// wrapped to the width, and above the first unread message a "New
// messages" divider.
//
// Rows are built to be cheap, because widget.List makes many: on every
// full refresh (each batch, each SetItemHeight) it creates a row only to
// measure it, and drops its pool of spare rows. Until a row is first shown
// or laid out it is a bare struct that reports the template size (so
// measuring it builds no renderer, which Fyne would cache for a minute);
// the divider label exists only in rows that have shown it.
type messageRow struct {
	widget.BaseWidget
	template fyne.Size
	parts    *rowParts // nil until the row is shown or laid out
	shown    rowContent
}

// rowParts are a row's canvas objects.
type rowParts struct {
	box     *fyne.Container
	author  *canvas.Text
	meta    *canvas.Text
	text    *widget.Label
	divider *widget.Label // nil until needed
}

// rowContent is what a row shows; a row bound again to the same content
// (every full refresh of the list re-binds the visible rows) is left alone.
type rowContent struct {
	author, meta, text string
	failed, divider    bool
}

// newRow makes an empty row for widget.List.
func (h *rowHeights) newRow() fyne.CanvasObject {
	r := &messageRow{template: h.templateSize}
	r.ExtendBaseWidget(r)
	return r
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
		text:   widget.NewLabel(""),
	}
	p.author.TextStyle = fyne.TextStyle{Bold: true}
	p.meta.TextSize = theme.CaptionTextSize()
	p.text.Wrapping = fyne.TextWrapWord
	p.box = container.New(rowLayout{p}, container.NewHBox(p.author, p.meta), p.text)
	r.parts = p
	return p
}

func (r *messageRow) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(r.ensureParts().box)
}

// show puts c in the row, touching only what changed.
func (r *messageRow) show(c rowContent) {
	p := r.ensureParts()
	if r.shown == c {
		return
	}
	old := r.shown
	r.shown = c
	if c.author != old.author {
		p.author.Text = c.author
		p.author.Refresh()
	}
	if c.meta != old.meta || c.failed != old.failed {
		p.meta.Text = c.meta
		p.meta.Color = r.metaColor()
		p.meta.Refresh()
	}
	if c.text != old.text {
		p.text.SetText(c.text)
	}
	if c.divider != old.divider {
		if c.divider && p.divider == nil {
			p.divider = newDivider()
			p.box.Objects = append(p.box.Objects, p.divider)
		}
		if p.divider != nil {
			p.divider.Hidden = !c.divider
		}
		p.box.Refresh()
	}
}

// metaColor is the colour of the time (or of "not sent").
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
		if fg := theme.Color(theme.ColorNameForeground); p.author.Color != fg {
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

// rowLayout stacks the divider (when shown), the header and the text with
// no gaps, the text full width.
type rowLayout struct{ p *rowParts }

func (l rowLayout) Layout(_ []fyne.CanvasObject, size fyne.Size) {
	pad := theme.Padding()
	y := float32(0)
	if d := l.p.divider; d != nil && d.Visible() {
		h := d.MinSize().Height
		d.Move(fyne.NewPos(0, 0))
		d.Resize(fyne.NewSize(size.Width, h))
		y = h
	}
	header := l.p.box.Objects[0]
	h := header.MinSize().Height
	header.Move(fyne.NewPos(pad, y+pad/2))
	header.Resize(fyne.NewSize(size.Width-2*pad, h))
	l.p.text.Move(fyne.NewPos(0, y+h))
	l.p.text.Resize(fyne.NewSize(size.Width, size.Height-y-h))
}

func (l rowLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var w, h float32
	for _, o := range objs {
		if o.Visible() {
			m := o.MinSize()
			w, h = max(w, m.Width), h+m.Height
		}
	}
	return fyne.NewSize(w, h)
}

// rowHeights gives rows with wrapped text their height. widget.List keys
// custom heights by row index and its scrolling math is O(rows with custom
// heights), so only rows that are shown and taller than one line get one,
// measured once per (message, text, width).
type rowHeights struct {
	templateSize fyne.Size          // a one-line row
	template     float32            // its height
	header       float32            // height of the author/time line
	divider      float32            // height of the "new messages" divider
	applied      map[int]float32    // what the list was told, by row
	cache        map[string]measure // by message id
	probe        *widget.Label
}

type measure struct {
	text   string
	width  float32
	height float32
}

func newRowHeights() *rowHeights {
	tmpl := &messageRow{}
	tmpl.ExtendBaseWidget(tmpl)
	tmpl.show(rowContent{author: "Name", meta: "00:00", text: "Text"})
	size := tmpl.MinSize()
	probe := widget.NewLabel("")
	probe.Wrapping = fyne.TextWrapWord
	return &rowHeights{
		templateSize: size,
		template:     size.Height,
		header:       size.Height - tmpl.parts.text.MinSize().Height,
		divider:      newDivider().MinSize().Height,
		applied:      map[int]float32{},
		cache:        map[string]measure{},
		probe:        probe,
	}
}

// height is the row height for e at the given width.
func (h *rowHeights) height(e timeline.Entry, width float32) float32 {
	if m, ok := h.cache[e.ID]; ok && m.text == e.Text && m.width == width {
		return m.height
	}
	h.probe.SetText(e.Text)
	h.probe.Resize(fyne.NewSize(width, h.probe.MinSize().Height))
	height := max(h.header+h.probe.MinSize().Height, h.template)
	h.cache[e.ID] = measure{text: e.Text, width: width, height: height}
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

// fitRow gives row r (showing e) its height for the list's width.
func (c *chatView) fitRow(index int, e timeline.Entry) {
	width := c.list.Size().Width
	if width <= 0 {
		return
	}
	want := c.heights.height(e, width)
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
	if following && want > have {
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
	c.app.cfg.Dispatch(func() {
		c.followPending = false
		if c.app.chat == c {
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
