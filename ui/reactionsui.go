package ui

import (
	"image/color"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"directuschat/reactions"
	"directuschat/realtime"
)

// Reactions (issue #13): chips under a message, "👍 2", the user's own
// outlined in the accent colour; a click toggles the user's own, the
// pointer over a chip says who reacted in the status line, and a last
// chip opens the picker. The quick set and the picker are also in the row
// menu and the message dialog.

// chipSet is what a row shows of a message's reactions: made once per
// change of them (rows compare it by pointer), with each chip's text and
// width measured, so the row's height and its layout agree.
type chipSet struct {
	message string
	chips   []reactions.Chip
	labels  []string  // the counts
	widths  []float32 // each chip's width; the last one is the add chip
}

// chipTextSize is the size of a chip's count; its emoji is drawn larger
// (chipEmojiSize), as emoji are hard to read at text size.
func chipTextSize() float32 { return theme.TextSize() }

func chipEmojiSize() float32 { return theme.TextSize() * 1.4 }

// chipHeight is the height of one line of chips.
func chipHeight() float32 {
	return fyne.MeasureText("👍", chipEmojiSize(), fyne.TextStyle{}).Height + theme.Padding()/2
}

// chipWidth is the width of a chip showing emoji and label.
func chipWidth(emoji, label string) float32 {
	w := fyne.MeasureText(emoji, chipEmojiSize(), fyne.TextStyle{}).Width + 3*theme.Padding()
	if label != "" {
		w += fyne.MeasureText(label, chipTextSize(), fyne.TextStyle{}).Width + theme.Padding()/2
	}
	return w
}

// addChipEmoji and addChipLabel are the last chip, which opens the picker.
const (
	addChipEmoji = "☺"
	addChipLabel = "+"
)

func newChipSet(message string, chips []reactions.Chip) *chipSet {
	s := &chipSet{message: message, chips: chips}
	for _, ch := range chips {
		l := strconv.Itoa(ch.Count())
		s.labels = append(s.labels, l)
		s.widths = append(s.widths, chipWidth(ch.Emoji, l))
	}
	s.widths = append(s.widths, chipWidth(addChipEmoji, addChipLabel))
	return s
}

// place gives each chip's position in a row of the given width: chips
// wrap to a new line when the next does not fit. It returns the positions
// and the height of all lines.
func (s *chipSet) place(width float32) ([]fyne.Position, float32) {
	pad := theme.Padding()
	h := chipHeight()
	x0 := 2 * pad
	x, y := x0, pad/2
	pos := make([]fyne.Position, len(s.widths))
	for i, w := range s.widths {
		if x > x0 && x+w > width-pad {
			x, y = x0, y+h+pad/2
		}
		pos[i] = fyne.NewPos(x, y)
		x += w + pad
	}
	return pos, y + h + pad/2
}

// height is the height of the chips at the given row width.
func (s *chipSet) height(width float32) float32 {
	_, h := s.place(width)
	return h
}

// chipBar draws a chipSet.
type chipBar struct {
	widget.BaseWidget
	set   *chipSet
	chips []*chip
	// onToggle toggles the user's reaction with an emoji; onAdd opens the
	// picker; onHover shows who reacted (nil: the pointer left).
	onToggle func(emoji string)
	onAdd    func()
	onHover  func(c *reactions.Chip)
	// onMenu opens the row's menu (a secondary tap on a chip).
	onMenu func(ev *fyne.PointEvent)
}

func newChipBar() *chipBar {
	b := &chipBar{}
	b.ExtendBaseWidget(b)
	return b
}

func (b *chipBar) setChips(s *chipSet) {
	if s == b.set {
		return
	}
	b.set = s
	n := len(s.labels) + 1
	for len(b.chips) < n {
		b.chips = append(b.chips, newChip(b))
	}
	b.chips = b.chips[:n]
	for i, l := range s.labels {
		b.chips[i].set(i, s.chips[i].Emoji, l, s.chips[i].Mine)
	}
	b.chips[n-1].set(-1, addChipEmoji, addChipLabel, false)
	b.Refresh()
}

// MinSize is the height of the chips at the bar's width (one line before
// it has one): what rowHeights predicts.
func (b *chipBar) MinSize() fyne.Size {
	if b.set == nil {
		return fyne.Size{}
	}
	w := b.Size().Width
	if w <= 0 {
		w = float32(1 << 20)
	}
	return fyne.NewSize(0, b.set.height(w))
}

func (b *chipBar) CreateRenderer() fyne.WidgetRenderer { return &chipBarRenderer{b} }

type chipBarRenderer struct{ b *chipBar }

func (r *chipBarRenderer) Destroy() {}

func (r *chipBarRenderer) Objects() []fyne.CanvasObject {
	objs := make([]fyne.CanvasObject, len(r.b.chips))
	for i, c := range r.b.chips {
		objs[i] = c
	}
	return objs
}

func (r *chipBarRenderer) MinSize() fyne.Size { return r.b.MinSize() }

func (r *chipBarRenderer) Layout(size fyne.Size) {
	if r.b.set == nil {
		return
	}
	pos, _ := r.b.set.place(size.Width)
	for i, c := range r.b.chips {
		if i < len(pos) {
			c.Move(pos[i])
			c.Resize(fyne.NewSize(r.b.set.widths[i], chipHeight()))
		}
	}
}

func (r *chipBarRenderer) Refresh() {
	r.Layout(r.b.Size())
	for _, c := range r.b.chips {
		c.Refresh()
	}
}

// chip is one reaction (index into the bar's set), or the add chip (-1).
type chip struct {
	widget.BaseWidget
	bar          *chipBar
	index        int
	emoji, label string
	mine         bool
	bg           *canvas.Rectangle
	glyph, text  *canvas.Text
}

var (
	_ fyne.Tappable          = (*chip)(nil)
	_ fyne.SecondaryTappable = (*chip)(nil)
	_ desktop.Hoverable      = (*chip)(nil)
	_ desktop.Cursorable     = (*chip)(nil)
)

func newChip(b *chipBar) *chip {
	c := &chip{bar: b}
	c.ExtendBaseWidget(c)
	return c
}

func (c *chip) set(index int, emoji, label string, mine bool) {
	c.index, c.emoji, c.label, c.mine = index, emoji, label, mine
}

// TappedSecondary opens the row's menu: Fyne's driver gives a click to
// the topmost tappable object, so the row under the chip would not get it.
func (c *chip) TappedSecondary(ev *fyne.PointEvent) {
	if c.bar.onMenu != nil {
		c.bar.onMenu(ev)
	}
}

func (c *chip) Tapped(*fyne.PointEvent) {
	b := c.bar
	switch {
	case c.index < 0:
		if b.onAdd != nil {
			b.onAdd()
		}
	case b.set != nil && c.index < len(b.set.chips) && b.onToggle != nil:
		b.onToggle(b.set.chips[c.index].Emoji)
	}
}

func (c *chip) MouseIn(*desktop.MouseEvent) {
	b := c.bar
	if b.onHover != nil && b.set != nil && c.index >= 0 && c.index < len(b.set.chips) {
		ch := b.set.chips[c.index]
		b.onHover(&ch)
	}
}

func (c *chip) MouseMoved(*desktop.MouseEvent) {}

func (c *chip) MouseOut() {
	if c.bar.onHover != nil {
		c.bar.onHover(nil)
	}
}

func (c *chip) Cursor() desktop.Cursor { return desktop.PointerCursor }

func (c *chip) MinSize() fyne.Size { return fyne.NewSize(0, chipHeight()) }

func (c *chip) CreateRenderer() fyne.WidgetRenderer {
	c.bg = canvas.NewRectangle(color.Transparent)
	c.bg.CornerRadius = chipHeight() / 2
	c.bg.StrokeWidth = 1
	c.glyph = canvas.NewText("", theme.Color(theme.ColorNameForeground))
	c.glyph.TextSize = chipEmojiSize()
	c.text = canvas.NewText("", theme.Color(theme.ColorNameForeground))
	c.text.TextSize = chipTextSize()
	r := &chipRenderer{c}
	r.Refresh()
	return r
}

type chipRenderer struct{ c *chip }

func (r *chipRenderer) Destroy() {}

func (r *chipRenderer) Objects() []fyne.CanvasObject {
	return []fyne.CanvasObject{r.c.bg, r.c.glyph, r.c.text}
}

func (r *chipRenderer) MinSize() fyne.Size { return r.c.MinSize() }

func (r *chipRenderer) Layout(size fyne.Size) {
	c := r.c
	c.bg.Move(fyne.NewPos(0, 0))
	c.bg.Resize(size)
	pad := theme.Padding()
	gs, ts := c.glyph.MinSize(), c.text.MinSize()
	c.glyph.Move(fyne.NewPos(1.5*pad, (size.Height-gs.Height)/2))
	c.glyph.Resize(gs)
	c.text.Move(fyne.NewPos(1.5*pad+gs.Width+pad/2, (size.Height-ts.Height)/2))
	c.text.Resize(ts)
}

func (r *chipRenderer) Refresh() {
	c := r.c
	c.glyph.Text, c.text.Text = c.emoji, c.label
	c.glyph.Color = theme.Color(theme.ColorNameForeground)
	c.text.Color = theme.Color(theme.ColorNameForeground)
	if c.mine {
		c.bg.FillColor = theme.Color(theme.ColorNameSelection)
		c.bg.StrokeColor = theme.Color(theme.ColorNamePrimary)
	} else {
		c.bg.FillColor = theme.Color(theme.ColorNameInputBackground)
		c.bg.StrokeColor = theme.Color(theme.ColorNameInputBorder)
	}
	if c.index < 0 {
		c.glyph.Color = theme.Color(theme.ColorNamePlaceHolder)
		c.text.Color = theme.Color(theme.ColorNamePlaceHolder)
	}
	r.Layout(c.Size())
	c.glyph.Refresh()
	c.text.Refresh()
	c.bg.Refresh()
}

// canReact reports whether the user may react to e.
func (c *chatView) canReact(id string) bool {
	i := c.tl.Index(id)
	return c.reacts != nil && c.session.Permissions().Reactions && i >= 0 && c.canReply(c.tl.At(i))
}

// toggleReaction adds or takes back the user's emoji on message id: shown
// at once, sent to the server, undone if it refuses.
func (c *chatView) toggleReaction(id, emoji string) {
	if !c.canReact(id) || !reactions.Valid(emoji) {
		return
	}
	r, add := c.reacts.Toggle(id, emoji)
	if add {
		c.session.React(id, emoji)
	} else {
		c.session.Unreact(r)
	}
	c.reactionsChanged([]string{id})
}

// reactionsChanged rebuilds the chips of messages and redraws their rows.
func (c *chatView) reactionsChanged(ids []string) {
	for _, id := range ids {
		if chips := c.reacts.Of(id); len(chips) > 0 {
			c.chipSets[id] = newChipSet(id, chips)
		} else {
			delete(c.chipSets, id)
		}
		c.refreshMessage(id)
	}
}

// applyReactions takes a batch's reaction events.
func (c *chatView) applyReactions(batch []realtime.Event) {
	if c.reacts == nil {
		return
	}
	changed := c.reacts.Apply(batch)
	for _, ev := range batch {
		if f, ok := ev.(realtime.ReactionFailed); ok {
			verb := "add"
			if !f.Add {
				verb = "remove"
			}
			c.notice("Could not " + verb + " the reaction " + f.Reaction.Emoji + ": " + realtime.Describe(f.Err))
		}
	}
	c.reactionsChanged(changed)
}

// reactionHover says in the status line who reacted with a chip's emoji.
func (c *chatView) reactionHover(ch *reactions.Chip) {
	if ch == nil {
		c.hoverEnd()
		return
	}
	names := make([]string, 0, len(ch.Users))
	for _, u := range ch.Users {
		switch name, ok := c.ch.personName(u); {
		case u == c.session.User().ID:
			names = append(names, "you")
		case ok:
			names = append(names, name)
		default:
			names = append(names, "someone")
		}
	}
	c.hoverShow(ch.Emoji + " by " + strings.Join(names, ", "))
}

// pickReaction opens the picker for message id.
func (c *chatView) pickReaction(id string) {
	if !c.canReact(id) {
		return
	}
	var d dialog.Dialog
	grid := container.NewGridWithColumns(8)
	for _, e := range reactions.Picker {
		emoji := e
		_, mine := c.reacts.Mine(id, emoji)
		grid.Add(newEmojiButton(emoji, mine, func() {
			d.Hide()
			c.toggleReaction(id, emoji)
		}))
	}
	d = dialog.NewCustom("React", "Close", grid, c.host.win)
	c.host.dialogs.show(d)
}

// reactionItems are the row menu's reactions: the quick set and the
// picker.
func (c *chatView) reactionItems(id string) []*fyne.MenuItem {
	if !c.canReact(id) {
		return nil
	}
	var quick []*fyne.MenuItem
	for _, e := range reactions.Quick {
		emoji := e
		item := fyne.NewMenuItem(emoji, func() { c.toggleReaction(id, emoji) })
		_, item.Checked = c.reacts.Mine(id, emoji)
		quick = append(quick, item)
	}
	quick = append(quick, fyne.NewMenuItemSeparator(), fyne.NewMenuItem("More reactions…", func() { c.pickReaction(id) }))
	react := fyne.NewMenuItem("React", nil)
	react.ChildMenu = fyne.NewMenu("", quick...)
	return []*fyne.MenuItem{react}
}

// quickReactions is the message dialog's row of quick reactions and a
// button for the picker; done closes the dialog.
func (c *chatView) quickReactions(id string, done func()) fyne.CanvasObject {
	if !c.canReact(id) {
		return nil
	}
	row := container.NewHBox()
	for _, e := range reactions.Quick {
		emoji := e
		_, mine := c.reacts.Mine(id, emoji)
		row.Add(newEmojiButton(emoji, mine, func() {
			done()
			c.toggleReaction(id, emoji)
		}))
	}
	more := widget.NewButton("More…", func() {
		done()
		c.pickReaction(id)
	})
	more.Importance = widget.LowImportance
	row.Add(more)
	return row
}

// emojiButton is an emoji large enough to read, to click (the quick
// reactions and the picker): a widget.Button draws its text at text size,
// where emoji are hard to tell apart. on marks the user's own reaction.
type emojiButton struct {
	widget.BaseWidget
	emoji string
	on    bool
	onTap func()
}

var (
	_ fyne.Tappable      = (*emojiButton)(nil)
	_ desktop.Cursorable = (*emojiButton)(nil)
)

func newEmojiButton(emoji string, on bool, tapped func()) *emojiButton {
	b := &emojiButton{emoji: emoji, on: on, onTap: tapped}
	b.ExtendBaseWidget(b)
	return b
}

func (b *emojiButton) Tapped(*fyne.PointEvent) {
	if b.onTap != nil {
		b.onTap()
	}
}

func (b *emojiButton) Cursor() desktop.Cursor { return desktop.PointerCursor }

func emojiButtonSize() float32 { return theme.TextSize() * 1.7 }

func (b *emojiButton) MinSize() fyne.Size {
	s := fyne.MeasureText("👍", emojiButtonSize(), fyne.TextStyle{})
	side := max(s.Width, s.Height) + theme.Padding()
	return fyne.NewSize(side, side)
}

func (b *emojiButton) CreateRenderer() fyne.WidgetRenderer {
	bg := canvas.NewRectangle(color.Transparent)
	bg.CornerRadius = theme.InputRadiusSize()
	bg.StrokeWidth = 1
	if b.on {
		bg.FillColor = theme.Color(theme.ColorNameSelection)
		bg.StrokeColor = theme.Color(theme.ColorNamePrimary)
	}
	t := canvas.NewText(b.emoji, theme.Color(theme.ColorNameForeground))
	t.TextSize = emojiButtonSize()
	t.Alignment = fyne.TextAlignCenter
	return &emojiButtonRenderer{b: b, bg: bg, text: t}
}

type emojiButtonRenderer struct {
	b    *emojiButton
	bg   *canvas.Rectangle
	text *canvas.Text
}

func (r *emojiButtonRenderer) Destroy()                     {}
func (r *emojiButtonRenderer) Objects() []fyne.CanvasObject { return []fyne.CanvasObject{r.bg, r.text} }
func (r *emojiButtonRenderer) MinSize() fyne.Size           { return r.b.MinSize() }
func (r *emojiButtonRenderer) Refresh()                     { canvas.Refresh(r.b) }

func (r *emojiButtonRenderer) Layout(size fyne.Size) {
	r.bg.Resize(size)
	ts := r.text.MinSize()
	r.text.Move(fyne.NewPos((size.Width-ts.Width)/2, (size.Height-ts.Height)/2))
	r.text.Resize(ts)
}
