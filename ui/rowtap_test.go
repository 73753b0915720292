package ui

import (
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
)

// A message row takes secondary taps (its menu), so Fyne's desktop driver
// hands it every click and never the list item under it: the row must
// take primary taps too and act on its message (edit, delete, retry).
// Without Tapped, a click on a message did nothing in the real window
// (seen under Xvfb), although the list's OnSelected still worked in tests.
func TestMessageRowTakesPrimaryTaps(t *testing.T) {
	test.NewTempApp(t)
	row := newRowHeights().newRow()
	_, secondary := row.(fyne.SecondaryTappable)
	tappable, ok := row.(fyne.Tappable)
	if secondary && !ok {
		t.Fatal("a message row takes secondary taps but not primary ones: clicks on messages are lost")
	}
	if !ok {
		return // the list item under the row gets the clicks
	}
	tapped := 0
	row.(*messageRow).onTap = func() { tapped++ }
	tappable.Tapped(&fyne.PointEvent{})
	if tapped != 1 {
		t.Fatalf("a tap on the row ran its action %d times, want once", tapped)
	}
}
