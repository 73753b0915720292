package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/data/binding"
	"fyne.io/fyne/v2/widget"

	"directuschat/timeline"
)

type bindingItem = binding.DataItem

// rowHeights gives rows with wrapped text their height. widget.List keys
// custom heights by row index and its scrolling math is O(rows with custom
// heights), so only rows that are shown and taller than one line get one,
// measured once per (message, text, width).
type rowHeights struct {
	template float32            // height of a one-line row
	header   float32            // height of the author/time line
	divider  float32            // height of the "new messages" divider
	applied  map[int]float32    // what the list was told, by row
	cache    map[string]measure // by message id
	probe    *widget.Label
}

type measure struct {
	text   string
	width  float32
	height float32
}

func newRowHeights() *rowHeights {
	tmpl := newMessageRow().(*messageRow)
	tmpl.author.Text = "Name"
	tmpl.meta.Text = "00:00"
	tmpl.text.SetText("Text")
	tmpl.divider.Show()
	divider := tmpl.divider.MinSize().Height
	tmpl.divider.Hide()
	probe := widget.NewLabel("")
	probe.Wrapping = fyne.TextWrapWord
	return &rowHeights{
		template: tmpl.MinSize().Height,
		header:   tmpl.MinSize().Height - tmpl.text.MinSize().Height,
		divider:  divider,
		applied:  map[int]float32{},
		cache:    map[string]measure{},
		probe:    probe,
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
func (h *rowHeights) shift(list *widget.List, n int) {
	old := h.applied
	h.applied = make(map[int]float32, len(old))
	for id := range old {
		list.SetItemHeight(id, h.template)
	}
	for id, v := range old {
		h.applied[id+n] = v
		list.SetItemHeight(id+n, v)
	}
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
	c.heights.applied[index] = want
	c.list.SetItemHeight(index, want)
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
