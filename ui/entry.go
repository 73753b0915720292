package ui

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/widget"
)

// composer is the message entry: multi-line, Enter sends, Shift+Enter adds a
// newline (the reverse of Fyne's multi-line default, as chat apps do). It
// sends at most MaxMessageChars characters: near the limit its hint counts
// them, over it the hint says why the message cannot go, and Enter keeps
// the text where it is.
type composer struct {
	widget.Entry
	shift  bool
	onSend func(text string)
	// hint is shown under the entry near and over the limit.
	hint *widget.Label
	// onShortcut gets the window's shortcuts first (the canvas does not
	// see them while the entry has focus); it reports whether it used one.
	onShortcut func(fyne.Shortcut) bool
	// picker is the @ picker: it sees text changes and may take keys.
	picker *mentionPicker
	// onEscape gets Escape (after the picker); it reports whether it
	// used it (a reply being written is cancelled).
	onEscape func() bool
	// hasFiles reports whether files wait to go: then a message may have
	// no text.
	hasFiles func() bool
}

func newComposer(onSend func(string)) *composer {
	c := &composer{onSend: onSend, hint: widget.NewLabel("")}
	c.MultiLine = true
	c.Wrapping = fyne.TextWrapWord
	c.SetPlaceHolder("Write a message… (Enter sends, Shift+Enter adds a line)")
	c.hint.Wrapping = fyne.TextWrapWord
	c.hint.Hide()
	c.OnChanged = func(string) {
		c.updateHint()
		if c.picker != nil {
			c.picker.Changed()
		}
	}
	c.ExtendBaseWidget(c)
	return c
}

// KeyDown tracks Shift (desktop only) and lets the entry do its part.
func (c *composer) KeyDown(k *fyne.KeyEvent) {
	if k.Name == desktop.KeyShiftLeft || k.Name == desktop.KeyShiftRight {
		c.shift = true
	}
	c.Entry.KeyDown(k)
}

// KeyUp tracks Shift.
func (c *composer) KeyUp(k *fyne.KeyEvent) {
	if k.Name == desktop.KeyShiftLeft || k.Name == desktop.KeyShiftRight {
		c.shift = false
	}
	c.Entry.KeyUp(k)
}

// TypedKey sends on Enter; with Shift held the entry inserts a newline
// (it has no OnSubmitted, so it never submits by itself).
func (c *composer) TypedKey(k *fyne.KeyEvent) {
	if c.picker != nil && c.picker.Key(k) {
		return
	}
	if (k.Name == fyne.KeyReturn || k.Name == fyne.KeyEnter) && !c.shift {
		c.send()
		return
	}
	if k.Name == fyne.KeyEscape && c.onEscape != nil && c.onEscape() {
		return
	}
	c.Entry.TypedKey(k)
}

// pasteLimit is the most characters the composer holds after a paste:
// Fyne's entry wraps its whole text on every change, and 100 KB pasted
// took it seconds. Room is left to paste a text somewhat too long and
// shorten it here.
const pasteLimit = 2 * MaxMessageChars

// TypedShortcut refuses a paste that would make the text far longer than
// a message can be (the text stays on the clipboard); the entry does the
// rest. The entry's context menu pastes through here too.
func (c *composer) TypedShortcut(s fyne.Shortcut) {
	if c.onShortcut != nil && c.onShortcut(s) {
		return
	}
	if p, ok := s.(*fyne.ShortcutPaste); ok && p.Clipboard != nil && !c.Disabled() {
		if n := utf8.RuneCountInString(p.Clipboard.Content()); n+utf8.RuneCountInString(c.Text) > pasteLimit {
			c.hint.Importance = widget.DangerImportance
			c.hint.SetText(fmt.Sprintf("Not pasted: the clipboard holds %s characters, and a message is at most %s. "+
				"Paste a shorter part.", thousands(n), thousands(MaxMessageChars)))
			c.hint.Show()
			return
		}
	}
	c.Entry.TypedShortcut(s)
}

// send hands the text over and clears the entry; whitespace-only text is
// not a message and stays where it is, and so does a text over the limit.
func (c *composer) send() {
	text := strings.TrimSpace(c.Text)
	if (text == "" && (c.hasFiles == nil || !c.hasFiles())) || c.Disabled() {
		return
	}
	if utf8.RuneCountInString(text) > MaxMessageChars {
		c.updateHint() // it says why
		return
	}
	c.onSend(text)
	c.SetText("")
}

// updateHint counts the characters from near the limit on, and over it
// says why the message cannot be sent.
func (c *composer) updateHint() {
	n := utf8.RuneCountInString(strings.TrimSpace(c.Text))
	switch {
	case n > MaxMessageChars:
		c.hint.Importance = widget.DangerImportance
		c.hint.SetText(fmt.Sprintf("%s / %s characters: too long to send. Messages are limited to %s characters "+
			"so that they stay quick to show for everyone; shorten it or send it in parts.",
			thousands(n), thousands(MaxMessageChars), thousands(MaxMessageChars)))
		c.hint.Show()
	case n >= composerHintFrom:
		c.hint.Importance = widget.MediumImportance
		c.hint.SetText(fmt.Sprintf("%s / %s characters", thousands(n), thousands(MaxMessageChars)))
		c.hint.Show()
	default:
		c.hint.Hide()
	}
}
