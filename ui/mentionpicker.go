package ui

import (
	"reflect"
	"strings"
	"unicode/utf8"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"directuschat/mention"
)

// maxMentionRows is the most people the @ picker lists.
const maxMentionRows = 8

// mentionPicker is the composer's @ picker. While the text before the
// cursor is a mention being typed ("@" at the start or after whitespace and
// a partial name, see mention.Typing), a small popup above the entry lists
// the people who match. Up/Down move the selection, Return or Tab picks,
// Escape closes it until the user starts another mention; a click picks
// too. Picking replaces the partial "@que" with "@Full Name " and records
// the person, for mention.Encode when the message is sent.
//
// The composer calls Changed after each change of its text and Key from its
// TypedKey before handling the key itself.
//
// A Fyne popup is an overlay with its own focus: while one is shown, the
// window sends every key to the overlay, not to the entry underneath. The
// popup therefore holds a focused mentionKeys that passes what is typed on
// to the composer (runes, keys, shortcuts, key up/down), so writing goes on
// in the composer as if there were no popup.
type mentionPicker struct {
	canvas fyne.Canvas
	entry  *widget.Entry
	people func() []mention.Person

	popup *widget.PopUp
	list  *widget.List
	keys  *mentionKeys

	shown []mention.Person
	sel   int
	// start is the rune offset of the "@" of the mention being typed, end
	// the offset of the cursor after it.
	start, end int
	// dismissed is the start of a mention the user closed the picker on
	// with Escape (-1 when none): it stays closed while that mention is
	// typed.
	dismissed int
	picked    []mention.Person
	// target is what gets the keys while the popup is open: the widget
	// that had the focus and is or embeds entry (the composer).
	target fyne.Focusable
	// editing is set while the picker changes the entry's text itself.
	editing bool
}

func newMentionPicker(c fyne.Canvas, entry *widget.Entry, people func() []mention.Person) *mentionPicker {
	p := &mentionPicker{canvas: c, entry: entry, people: people, dismissed: -1}
	p.list = widget.NewList(
		func() int { return len(p.shown) },
		func() fyne.CanvasObject { return newSwitchRow(p.tapped) },
		func(id widget.ListItemID, o fyne.CanvasObject) {
			if id < 0 || id >= len(p.shown) {
				return
			}
			o.(*switchRow).set(id, switchItem{ID: p.shown[id].ID, Label: p.shown[id].Name}, id == p.sel)
		},
	)
	p.keys = newMentionKeys(p)
	p.popup = widget.NewPopUp(container.NewStack(p.list, p.keys), c)
	p.popup.Hide() // a new popup counts as visible until hidden
	return p
}

// Picked is the people picked since the last Reset, each once, in the
// order first picked.
func (p *mentionPicker) Picked() []mention.Person {
	return append([]mention.Person(nil), p.picked...)
}

// Reset forgets the people picked (after a send) and closes the popup.
func (p *mentionPicker) Reset() {
	p.picked = nil
	p.dismissed = -1
	p.close()
}

// open reports whether the popup is shown.
func (p *mentionPicker) open() bool { return p.popup.Visible() }

// Changed looks at the text before the cursor and opens, updates or closes
// the popup.
func (p *mentionPicker) Changed() {
	if p.editing {
		return
	}
	p.resolveTarget()
	before, cursor := textBeforeCursor(p.entry)
	query, startByte, ok := mention.Typing(before)
	if !ok {
		p.dismissed = -1
		p.close()
		return
	}
	start := utf8.RuneCountInString(before[:startByte])
	if start == p.dismissed || p.completes(query) {
		p.close()
		return
	}
	p.dismissed = -1
	var people []mention.Person
	if p.people != nil {
		people = p.people()
	}
	matches := mention.Match(people, query, maxMentionRows)
	if len(matches) == 0 {
		p.close()
		return
	}
	p.start, p.end = start, cursor
	p.shown = matches
	p.sel = 0
	p.list.Refresh()
	p.list.ScrollToOffset(0) // not ScrollToTop: it panics before the list is drawn
	p.show()
}

// completes reports whether query is a picked person's full name followed
// by a space: the mention is done and the user is writing on after it.
func (p *mentionPicker) completes(query string) bool {
	for _, who := range p.picked {
		if strings.HasPrefix(query, who.Name+" ") {
			return true
		}
	}
	return false
}

// Key handles Up/Down/Return/Enter/Tab/Escape while the popup is open and
// reports whether it did; every other key, and every key while it is
// closed, is the composer's.
func (p *mentionPicker) Key(ev *fyne.KeyEvent) bool {
	if !p.open() {
		return false
	}
	switch ev.Name {
	case fyne.KeyDown:
		p.move(1)
	case fyne.KeyUp:
		p.move(-1)
	case fyne.KeyReturn, fyne.KeyEnter, fyne.KeyTab:
		p.choose(p.sel)
	case fyne.KeyEscape:
		p.dismissed = p.start
		p.close()
	default:
		return false
	}
	return true
}

func (p *mentionPicker) move(delta int) {
	n := len(p.shown)
	if n == 0 {
		return
	}
	old := p.sel
	p.sel = ((p.sel+delta)%n + n) % n
	p.list.RefreshItem(old)
	p.list.RefreshItem(p.sel)
	p.list.ScrollTo(p.sel)
}

func (p *mentionPicker) tapped(row int) { p.choose(row) }

// choose puts the person of row into the entry in place of the partial
// name, records them and closes the popup.
func (p *mentionPicker) choose(row int) {
	if row < 0 || row >= len(p.shown) {
		return
	}
	who := p.shown[row]
	p.close()
	p.replace(p.start, p.end, "@"+who.Name+" ")
	for _, had := range p.picked {
		if had == who {
			return
		}
	}
	p.picked = append(p.picked, who)
}

// replace puts insert in place of the runes [from, to) of the entry's text
// and the cursor after it. It edits the way typing does (backspaces, then a
// paste), so the composer's undo keeps working; when the entry is not in
// the state that needs (a selection, the cursor elsewhere), it sets the
// text instead.
func (p *mentionPicker) replace(from, to int, insert string) {
	p.editing = true
	defer func() { p.editing = false }()

	text := []rune(p.entry.Text)
	if from < 0 || to > len(text) || from > to {
		return
	}
	want := string(text[:from]) + insert + string(text[to:])
	wantCursor := from + utf8.RuneCountInString(insert)

	if p.entry.SelectedText() == "" && p.entry.CursorTextOffset() == to {
		for i := from; i < to; i++ {
			p.entry.TypedKey(&fyne.KeyEvent{Name: fyne.KeyBackspace})
		}
		p.entry.TypedShortcut(&fyne.ShortcutPaste{Clipboard: &textClipboard{text: insert}})
	}
	if p.entry.Text == want && p.entry.CursorTextOffset() == wantCursor {
		return
	}
	// Set the text up to the cursor with the cursor far past its end (it is
	// clamped to the end), then add the rest without moving the cursor.
	p.entry.CursorRow, p.entry.CursorColumn = 1<<30, 1<<30
	p.entry.SetText(string(text[:from]) + insert)
	if rest := string(text[to:]); rest != "" {
		p.entry.Append(rest)
	}
	p.entry.Refresh()
}

// close hides the popup.
func (p *mentionPicker) close() {
	if p.popup.Visible() {
		p.popup.Hide()
	}
}

// show places the popup above the entry (below it when there is no room
// above), sized for the rows, and gives its key forwarder the focus.
func (p *mentionPicker) show() {
	th := p.popup.Theme()
	pad := th.Size(theme.SizeNamePadding)
	rows := min(len(p.shown), maxMentionRows)
	rowH := newSwitchRow(nil).MinSize().Height
	// Fyne 2.8's popup adds no padding around its content.
	size := fyne.NewSize(320, float32(rows)*rowH+float32(rows-1)*pad)

	anchor := fyne.CanvasObject(p.entry)
	if o, ok := p.target.(fyne.CanvasObject); ok {
		anchor = o
	}
	d := fyne.CurrentApp().Driver()
	at := d.AbsolutePositionForObject(anchor)
	cs := p.canvas.Size()
	if cs.Width > 0 {
		size.Width = min(size.Width, cs.Width-2*pad)
		at.X = max(min(at.X, cs.Width-size.Width-pad), pad)
	}
	pos := fyne.NewPos(at.X, at.Y-size.Height-pad)
	if pos.Y < pad {
		pos.Y = at.Y + anchor.Size().Height + pad
	}
	pos.Y = max(pos.Y, 1) // a popup placed at exactly 0,0 is centred by Fyne

	p.popup.Resize(size)
	if p.popup.Visible() {
		p.popup.Move(pos)
		p.popup.Refresh()
	} else {
		p.popup.ShowAtPosition(pos)
	}
	p.canvas.Focus(p.keys)
}

// resolveTarget finds the widget that stands for the entry in the canvas:
// the focused object when it is the entry or embeds it (the composer).
func (p *mentionPicker) resolveTarget() {
	f := p.canvas.Focused()
	if f == nil || f == fyne.Focusable(p.keys) {
		return
	}
	if f == fyne.Focusable(p.entry) || embedsEntry(f, p.entry) {
		p.target = f
	}
}

// embedsEntry reports whether o is a pointer to a struct that embeds the
// widget.Entry e (as the composer does).
func embedsEntry(o any, e *widget.Entry) bool {
	v := reflect.ValueOf(o)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return false
	}
	f := v.Elem().FieldByName("Entry")
	return f.IsValid() && f.Type() == reflect.TypeFor[widget.Entry]() && f.CanAddr() && f.Addr().Pointer() == reflect.ValueOf(e).Pointer()
}

// textBeforeCursor is the entry's text before the cursor and the cursor's
// offset in runes.
func textBeforeCursor(e *widget.Entry) (string, int) {
	cursor := e.CursorTextOffset()
	text := e.Text
	i, n := 0, 0
	for i < len(text) && n < cursor {
		_, size := utf8.DecodeRuneInString(text[i:])
		i += size
		n++
	}
	return text[:i], n
}

// textClipboard is a clipboard holding one text, to insert it into an entry
// as a paste (one step on the entry's undo stack).
type textClipboard struct{ text string }

func (c *textClipboard) Content() string           { return c.text }
func (c *textClipboard) SetContent(content string) { c.text = content }

// mentionKeys sits focused in the picker's popup and passes what is typed
// to the composer (the popup's overlay takes the window's focus); the
// picker's own keys it keeps.
type mentionKeys struct {
	widget.BaseWidget
	p *mentionPicker
}

var (
	_ fyne.Focusable    = (*mentionKeys)(nil)
	_ fyne.Shortcutable = (*mentionKeys)(nil)
	_ fyne.Tabbable     = (*mentionKeys)(nil)
	_ desktop.Keyable   = (*mentionKeys)(nil)
)

func newMentionKeys(p *mentionPicker) *mentionKeys {
	k := &mentionKeys{p: p}
	k.ExtendBaseWidget(k)
	return k
}

func (k *mentionKeys) CreateRenderer() fyne.WidgetRenderer { return mentionKeysRenderer{} }

// target is where typing goes: the composer, or the entry itself.
func (k *mentionKeys) target() fyne.Focusable {
	if k.p.target != nil {
		return k.p.target
	}
	return k.p.entry
}

func (k *mentionKeys) FocusGained() {}
func (k *mentionKeys) FocusLost()   {}

// AcceptsTab keeps Tab (it picks) from moving the focus.
func (k *mentionKeys) AcceptsTab() bool { return true }

func (k *mentionKeys) TypedRune(r rune) { k.target().TypedRune(r) }

// TypedKey keeps the picker's keys and passes the rest on. The composer
// asks the picker about keys itself too; keys the picker took never reach
// it, so none is handled twice. A key passed on may have moved the cursor
// without changing the text (Left, Home), so the picker looks again.
func (k *mentionKeys) TypedKey(ev *fyne.KeyEvent) {
	if k.p.Key(ev) {
		return
	}
	k.target().TypedKey(ev)
	k.p.Changed()
}

func (k *mentionKeys) TypedShortcut(s fyne.Shortcut) {
	if t, ok := k.target().(fyne.Shortcutable); ok {
		t.TypedShortcut(s)
	}
}

func (k *mentionKeys) KeyDown(ev *fyne.KeyEvent) {
	if t, ok := k.target().(desktop.Keyable); ok {
		t.KeyDown(ev)
	}
}

func (k *mentionKeys) KeyUp(ev *fyne.KeyEvent) {
	if t, ok := k.target().(desktop.Keyable); ok {
		t.KeyUp(ev)
	}
}

// mentionKeysRenderer draws nothing: mentionKeys is never seen.
type mentionKeysRenderer struct{}

func (mentionKeysRenderer) Destroy()                     {}
func (mentionKeysRenderer) Layout(fyne.Size)             {}
func (mentionKeysRenderer) MinSize() fyne.Size           { return fyne.Size{} }
func (mentionKeysRenderer) Objects() []fyne.CanvasObject { return nil }
func (mentionKeysRenderer) Refresh()                     {}
