package ui

import (
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/widget"
)

// composer is the message entry: multi-line, Enter sends, Shift+Enter adds a
// newline (the reverse of Fyne's multi-line default, as chat apps do).
type composer struct {
	widget.Entry
	shift  bool
	onSend func(text string)
}

func newComposer(onSend func(string)) *composer {
	c := &composer{onSend: onSend}
	c.MultiLine = true
	c.Wrapping = fyne.TextWrapWord
	c.SetPlaceHolder("Write a message… (Enter sends, Shift+Enter adds a line)")
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
	if (k.Name == fyne.KeyReturn || k.Name == fyne.KeyEnter) && !c.shift {
		c.send()
		return
	}
	c.Entry.TypedKey(k)
}

// send hands the text over and clears the entry; whitespace-only text is
// not a message and stays where it is.
func (c *composer) send() {
	text := strings.TrimSpace(c.Text)
	if text == "" || c.Disabled() {
		return
	}
	c.onSend(text)
	c.SetText("")
}
