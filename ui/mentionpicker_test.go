package ui

import (
	"strings"
	"testing"
	"unicode/utf8"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"directuschat/mention"
)

// pickerComposer stands in for the chat's composer the way it is wired to
// the picker: a multi-line entry that calls Changed on every change and
// asks the picker about each key first; Return sends.
type pickerComposer struct {
	widget.Entry
	picker *mentionPicker
	sent   []string
	shift  bool
}

func newPickerComposer() *pickerComposer {
	c := &pickerComposer{}
	c.MultiLine = true
	c.Wrapping = fyne.TextWrapWord
	c.OnChanged = func(string) {
		if c.picker != nil {
			c.picker.Changed()
		}
	}
	c.ExtendBaseWidget(c)
	return c
}

func (c *pickerComposer) TypedKey(ev *fyne.KeyEvent) {
	if c.picker.Key(ev) {
		return
	}
	if ev.Name == fyne.KeyReturn && !c.shift {
		c.sent = append(c.sent, mention.Encode(c.Text, c.picker.Picked()))
		c.SetText("")
		c.picker.Reset()
		return
	}
	c.Entry.TypedKey(ev)
}

func (c *pickerComposer) KeyDown(ev *fyne.KeyEvent) {
	if ev.Name == desktop.KeyShiftLeft {
		c.shift = true
	}
	c.Entry.KeyDown(ev)
}

func (c *pickerComposer) KeyUp(ev *fyne.KeyEvent) {
	if ev.Name == desktop.KeyShiftLeft {
		c.shift = false
	}
	c.Entry.KeyUp(ev)
}

const (
	adaID   = "3f2c1a9e-7b4d-4e2a-9c1f-0a1b2c3d4e5f"
	adamID  = "11111111-7b4d-4e2a-9c1f-0a1b2c3d4e5f"
	graceID = "9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a"
	joseID  = "22222222-5f4e-4d3c-8b2a-1f0e9d8c7b6a"
)

var pickerPeople = []mention.Person{
	{ID: graceID, Name: "Grace Hopper"},
	{ID: adamID, Name: "Adam Smith"},
	{ID: adaID, Name: "Ada Lovelace"},
	{ID: joseID, Name: "José Núñez"},
}

type pickerFixture struct {
	w fyne.Window
	c *pickerComposer
	p *mentionPicker
}

func newPickerFixture(t *testing.T, people []mention.Person) *pickerFixture {
	t.Helper()
	test.NewTempApp(t)
	c := newPickerComposer()
	w := test.NewWindow(container.NewBorder(nil, c, nil, nil, widget.NewLabel("history")))
	w.Resize(fyne.NewSize(600, 400))
	t.Cleanup(w.Close)
	c.picker = newMentionPicker(w.Canvas(), &c.Entry, func() []mention.Person { return people })
	w.Canvas().Focus(c)
	return &pickerFixture{w: w, c: c, p: c.picker}
}

func (f *pickerFixture) shownNames() string {
	if !f.p.open() {
		return "(closed)"
	}
	var s []string
	for _, p := range f.p.shown {
		s = append(s, p.Name)
	}
	return strings.Join(s, "|")
}

func (f *pickerFixture) cursor() int { return f.c.CursorTextOffset() }

func TestMentionPickerOpensAboveEntryAndPicksWithKeys(t *testing.T) {
	f := newPickerFixture(t, pickerPeople)
	cv := f.w.Canvas()
	if f.p.open() || f.p.Key(&fyne.KeyEvent{Name: fyne.KeyDown}) {
		t.Fatal("a new picker is open")
	}
	test.Type(f.c, "hi ")
	if f.p.open() {
		t.Fatal("open before any @")
	}
	test.Type(f.c, "@ad")
	if got := f.shownNames(); got != "Ada Lovelace|Adam Smith" {
		t.Fatalf("shown: %s", got)
	}
	// Above the entry, inside the window.
	entryAt := fyne.CurrentApp().Driver().AbsolutePositionForObject(f.c)
	pos, size := f.p.popup.Position(), f.p.popup.Size()
	if pos.Y+size.Height > entryAt.Y || pos.Y < 0 || pos.X < 0 || pos.X+size.Width > 600 {
		t.Fatalf("popup at %v size %v, entry at %v", pos, size, entryAt)
	}
	// The window now sends keys to the popup's overlay; they must still
	// reach the composer.
	if cv.Focused() != fyne.Focusable(f.p.keys) {
		t.Fatalf("focused %T, want the picker's key forwarder", cv.Focused())
	}
	pressFocused(t, cv, fyne.KeyDown)
	if f.p.sel != 1 {
		t.Fatalf("selection %d after Down", f.p.sel)
	}
	pressFocused(t, cv, fyne.KeyReturn)
	if f.c.Text != "hi @Adam Smith " || f.cursor() != utf8.RuneCountInString(f.c.Text) {
		t.Fatalf("text %q cursor %d", f.c.Text, f.cursor())
	}
	if len(f.c.sent) != 0 {
		t.Fatal("Return picked and also sent")
	}
	if f.p.open() || cv.Focused() != fyne.Focusable(f.c) {
		t.Fatalf("after picking: open %v, focused %T", f.p.open(), cv.Focused())
	}
	if got := f.p.Picked(); len(got) != 1 || got[0].ID != adamID {
		t.Fatalf("picked %v", got)
	}

	// Writing on after the picked name leaves the picker closed.
	typeFocused(t, cv, "look")
	if f.p.open() {
		t.Fatalf("reopened after the picked name: %s", f.shownNames())
	}
	// Undo still works, back to what was typed (the name went in as a
	// paste and the partial name went out as backspaces, in however many
	// steps Fyne's undo merges them into).
	f.c.TypedShortcut(&fyne.ShortcutUndo{})
	if f.c.Text != "hi " && f.c.Text != "hi @Adam Smith " {
		t.Fatalf("undo 1: %q", f.c.Text)
	}
	undos := 1
	for ; f.c.Text != "hi @ad" && undos < 6; undos++ {
		f.c.TypedShortcut(&fyne.ShortcutUndo{})
	}
	if f.c.Text != "hi @ad" {
		t.Fatalf("undo never gets back to the typed text: %q", f.c.Text)
	}
	for range undos {
		f.c.TypedShortcut(&fyne.ShortcutRedo{})
	}
	if f.c.Text != "hi @Adam Smith look" {
		t.Fatalf("redo: %q", f.c.Text)
	}

	// Sending encodes the picked person; Reset forgets them.
	pressFocused(t, cv, fyne.KeyReturn)
	if len(f.c.sent) != 1 || f.c.sent[0] != "hi "+mention.Token(adamID)+" look" {
		t.Fatalf("sent %q", f.c.sent)
	}
	if len(f.p.Picked()) != 0 {
		t.Fatal("Picked not empty after Reset")
	}
}

func TestMentionPickerTypingGoesOnThroughThePopup(t *testing.T) {
	f := newPickerFixture(t, pickerPeople)
	cv := f.w.Canvas()
	typeFocused(t, cv, "@")
	if got := f.shownNames(); got != "Ada Lovelace|Adam Smith|Grace Hopper|José Núñez" {
		t.Fatalf("shown for @: %s", got)
	}
	// Every key now goes to the overlay's focus; the composer must still
	// get the text, shortcuts and Shift.
	typeFocused(t, cv, "jo")
	if f.c.Text != "@jo" || f.shownNames() != "José Núñez" {
		t.Fatalf("text %q shown %s", f.c.Text, f.shownNames())
	}
	cv.Focused().(fyne.Shortcutable).TypedShortcut(&fyne.ShortcutPaste{Clipboard: &textClipboard{text: "se"}})
	if f.c.Text != "@jose" || f.shownNames() != "José Núñez" {
		t.Fatalf("after paste: text %q shown %s", f.c.Text, f.shownNames())
	}
	cv.Focused().(desktop.Keyable).KeyDown(&fyne.KeyEvent{Name: desktop.KeyShiftLeft})
	if !f.c.shift {
		t.Fatal("Shift did not reach the composer")
	}
	cv.Focused().(desktop.Keyable).KeyUp(&fyne.KeyEvent{Name: desktop.KeyShiftLeft})
	pressFocused(t, cv, fyne.KeyBackspace)
	if f.c.Text != "@jos" || !f.p.open() {
		t.Fatalf("after Backspace: %q open %v", f.c.Text, f.p.open())
	}
	// Tab picks too, and stays in the composer.
	pressFocused(t, cv, fyne.KeyTab)
	if f.c.Text != "@José Núñez " || cv.Focused() != fyne.Focusable(f.c) {
		t.Fatalf("after Tab: %q focused %T", f.c.Text, cv.Focused())
	}
	typeFocused(t, cv, "hola")
	if got := mention.Encode(f.c.Text, f.p.Picked()); got != mention.Token(joseID)+" hola" {
		t.Fatalf("encoded %q", got)
	}
}

func TestMentionPickerClosesWhenTypingLeavesTheMention(t *testing.T) {
	f := newPickerFixture(t, pickerPeople)
	cv := f.w.Canvas()
	steps := []struct {
		typed, shown string
	}{
		{"x @gr", "Grace Hopper"},
		{"a", "Grace Hopper"},        // "@gra"
		{"z", "(closed)"},            // "@graz" matches no one
		{"\b\bace ", "Grace Hopper"}, // back to "@grace "
		{"h", "Grace Hopper"},        // "@grace h"
		{"\b ", "(closed)"},          // "@grace  ": two spaces end a mention
		{"\n", "(closed)"},           // Shift+Return: a new line
		{"@", "Ada Lovelace|Adam Smith|Grace Hopper|José Núñez"},
		{"\b", "(closed)"},    // a newline before the cursor
		{"mail@", "(closed)"}, // an @ inside a word is not a mention
	}
	for _, s := range steps {
		for _, r := range s.typed {
			switch r {
			case '\b':
				pressFocused(t, cv, fyne.KeyBackspace)
			case '\n':
				// Shift+Return adds a line in the composer.
				f.c.shift = true
				pressFocused(t, cv, fyne.KeyReturn)
				f.c.shift = false
			default:
				typeFocused(t, cv, string(r))
			}
		}
		if got := f.shownNames(); got != s.shown {
			t.Fatalf("after %q (text %q): shown %s, want %s", s.typed, f.c.Text, got, s.shown)
		}
	}
	if len(f.c.sent) != 0 {
		t.Fatalf("sent %q", f.c.sent)
	}
}

func TestMentionPickerEscapeKeepsItClosedForThatMention(t *testing.T) {
	f := newPickerFixture(t, pickerPeople)
	cv := f.w.Canvas()
	typeFocused(t, cv, "@a")
	pressFocused(t, cv, fyne.KeyEscape)
	if f.p.open() || f.c.Text != "@a" {
		t.Fatalf("after Escape: open %v text %q", f.p.open(), f.c.Text)
	}
	typeFocused(t, cv, "d")
	if f.p.open() {
		t.Fatal("reopened while typing the dismissed mention")
	}
	// Keys go to the composer as usual while the picker is closed.
	if f.p.Key(&fyne.KeyEvent{Name: fyne.KeyDown}) {
		t.Fatal("Key consumed Down while closed")
	}
	typeFocused(t, cv, " and @gr")
	if got := f.shownNames(); got != "Grace Hopper" {
		t.Fatalf("new mention: %s", got)
	}
	pressFocused(t, cv, fyne.KeyEscape)
	pressFocused(t, cv, fyne.KeyReturn) // closed: Return sends as usual
	if len(f.c.sent) != 1 || f.c.sent[0] != "@ad and @gr" {
		t.Fatalf("sent %q", f.c.sent)
	}
}

func TestMentionPickerMidTextAndClick(t *testing.T) {
	f := newPickerFixture(t, pickerPeople)
	cv := f.w.Canvas()
	typeFocused(t, cv, "hello world")
	for range len(" world") {
		pressFocused(t, cv, fyne.KeyLeft)
	}
	typeFocused(t, cv, " @lov")
	if got := f.shownNames(); got != "Ada Lovelace" {
		t.Fatalf("shown %s (text %q)", got, f.c.Text)
	}
	r := rowFor(t, f.p.list, 0)
	if r.label.Text != "Ada Lovelace" {
		t.Fatalf("row shows %q", r.label.Text)
	}
	at := fyne.CurrentApp().Driver().AbsolutePositionForObject(r).Add(fyne.NewPos(5, r.Size().Height/2))
	test.TapCanvas(cv, at)
	if f.c.Text != "hello @Ada Lovelace  world" {
		t.Fatalf("text %q", f.c.Text)
	}
	if want := utf8.RuneCountInString("hello @Ada Lovelace "); f.cursor() != want {
		t.Fatalf("cursor %d, want %d", f.cursor(), want)
	}
	if f.p.open() {
		t.Fatal("open after click")
	}
}

func TestMentionPickerCursorMovedFallsBackToSetText(t *testing.T) {
	f := newPickerFixture(t, pickerPeople)
	cv := f.w.Canvas()
	typeFocused(t, cv, "ab  xyz")
	for range len(" xyz") {
		pressFocused(t, cv, fyne.KeyLeft)
	}
	typeFocused(t, cv, "@gr")
	if !f.p.open() {
		t.Fatal("not open")
	}
	// The cursor moved away from the end of the mention without a change
	// of text: picking still replaces the mention and puts the cursor
	// after it.
	f.c.CursorColumn = 1
	f.p.choose(0)
	if f.c.Text != "ab @Grace Hopper  xyz" {
		t.Fatalf("text %q", f.c.Text)
	}
	if want := utf8.RuneCountInString("ab @Grace Hopper "); f.cursor() != want {
		t.Fatalf("cursor %d, want %d", f.cursor(), want)
	}
}

func TestMentionPickerHostilePeople(t *testing.T) {
	huge := strings.Repeat("Ω", 100000)
	people := []mention.Person{
		{ID: adaID, Name: huge},
		{ID: graceID, Name: "Ωmega\nNewline <b>bold</b>"},
		{ID: adamID, Name: "\u202Eevil"},
	}
	f := newPickerFixture(t, people)
	cv := f.w.Canvas()
	typeFocused(t, cv, "@ω")
	if got := len(f.p.shown); got != 2 {
		t.Fatalf("%d shown", got)
	}
	width := f.p.popup.Size().Width
	for i := range f.p.shown {
		r := rowFor(t, f.p.list, i)
		if strings.ContainsAny(r.label.Text, "\n\u202E") || utf8.RuneCountInString(r.label.Text) > maxLabelRunes+1 {
			t.Errorf("row %d: %.50q", i, r.label.Text)
		}
		if r.label.Truncation != fyne.TextTruncateEllipsis || r.label.Size().Width > width {
			t.Errorf("row %d: truncation %v width %.0f of %.0f", i, r.label.Truncation, r.label.Size().Width, width)
		}
	}
}

func TestMentionPickerListsAtMostEight(t *testing.T) {
	var many []mention.Person
	for i := range 500 {
		many = append(many, mention.Person{ID: adaID, Name: strings.Repeat("a", i%7+1) + " person"})
	}
	f := newPickerFixture(t, many)
	typeFocused(t, f.w.Canvas(), "@a")
	if len(f.p.shown) != maxMentionRows {
		t.Fatalf("%d shown, want %d", len(f.p.shown), maxMentionRows)
	}
	rowH := newSwitchRow(nil).MinSize().Height
	if h := f.p.list.Size().Height; h < float32(maxMentionRows)*rowH {
		t.Fatalf("list %.0f high: not all %d rows show", h, maxMentionRows)
	}
}

func TestMentionPickerEntryNearTopOpensBelow(t *testing.T) {
	test.NewTempApp(t)
	c := newPickerComposer()
	w := test.NewWindow(container.NewBorder(c, nil, nil, nil, widget.NewLabel("history")))
	w.Resize(fyne.NewSize(400, 400))
	t.Cleanup(w.Close)
	c.picker = newMentionPicker(w.Canvas(), &c.Entry, func() []mention.Person { return pickerPeople })
	w.Canvas().Focus(c)
	typeFocused(t, w.Canvas(), "@")
	entryAt := fyne.CurrentApp().Driver().AbsolutePositionForObject(c)
	if pos := c.picker.popup.Position(); pos.Y < entryAt.Y+c.Size().Height {
		t.Fatalf("popup at %v overlaps the entry at %v", pos, entryAt)
	}
}
