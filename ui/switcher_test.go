package ui

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

func switchLabels(items []switchItem) string {
	var s []string
	for _, it := range items {
		s = append(s, it.Label)
	}
	return strings.Join(s, "|")
}

func TestSwitcherRank(t *testing.T) {
	items := []switchItem{
		{ID: "1", Label: "random"},
		{ID: "2", Label: "#general", Unread: 3},
		{ID: "3", Label: "Ada Lovelace"},
		{ID: "4", Label: "Renée Général"},
		{ID: "5", Label: "general-archive"},
		{ID: "6", Label: "Grace Hopper", Unread: 1},
		{ID: "7", Label: "degenerate"},
		{ID: "8", Label: "ops-generators", Unread: 9},
		{ID: "9", Label: "ΣΊΣΥΦΟΣ"},
		{ID: "10", Label: ""},
	}
	tests := []struct {
		query, want string
	}{
		// Empty: everything, unread first, then the order given.
		{"", "#general|Grace Hopper|ops-generators|random|Ada Lovelace|Renée Général|general-archive|degenerate|ΣΊΣΥΦΟΣ|"},
		// Word starts first (unread first among them), then substrings.
		{"gen", "#general|ops-generators|Renée Général|general-archive|degenerate"},
		{"GÉN", "#general|ops-generators|Renée Général|general-archive|degenerate"},
		{"  gen  ", "#general|ops-generators|Renée Général|general-archive|degenerate"},
		{"renee", "Renée Général"},
		{"love", "Ada Lovelace"},
		{"ace", "Grace Hopper|Ada Lovelace"}, // both substrings: unread first
		{"ΣΙΣ", "ΣΊΣΥΦΟΣ"},                   // accents and case folded in Greek too
		{"ada l", "Ada Lovelace"},
		{"zzz", ""},
		{"<b>", ""},
	}
	for _, tt := range tests {
		if got := switchLabels(rankSwitch(items, tt.query)); got != tt.want {
			t.Errorf("rankSwitch(%q) =\n %s\nwant\n %s", tt.query, got, tt.want)
		}
	}
	if got := rankSwitch(nil, "a"); len(got) != 0 {
		t.Errorf("rankSwitch(nil) = %v", got)
	}
	// Stable for equal keys whatever their number.
	var many []switchItem
	for i := range 500 {
		many = append(many, switchItem{ID: fmt.Sprint(i), Label: "chan"})
	}
	for i, it := range rankSwitch(many, "ch") {
		if it.ID != fmt.Sprint(i) {
			t.Fatalf("order changed at %d: %s", i, it.ID)
		}
	}
}

func TestSwitcherPlainLabelText(t *testing.T) {
	long := strings.Repeat("ж", 5000)
	tests := []struct{ in, want string }{
		{"plain", "plain"},
		{"two\nlines\r\tand tab", "two lines  and tab"},
		{"**bold** <b>x</b> [l](http://x)", "**bold** <b>x</b> [l](http://x)"},
		{"evil\u202Egnp.exe", "evilgnp.exe"},
		{"\u2067isolate\u2069", "isolate"},
		{"שלום עולם", "שלום עולם"},
		{"e\u0301", "e\u0301"},
		{long, strings.Repeat("ж", maxLabelRunes) + "…"},
	}
	for _, tt := range tests {
		if got := plainLabelText(tt.in); got != tt.want {
			t.Errorf("plainLabelText(%.30q) = %.40q, want %.40q", tt.in, got, tt.want)
		}
	}
}

// switcherFixture is a switcher in a test window and what it picked.
type switcherFixture struct {
	w      fyne.Window
	s      *switcher
	picked []string
}

func newSwitcherFixture(t *testing.T, items []switchItem) *switcherFixture {
	t.Helper()
	test.NewTempApp(t)
	f := &switcherFixture{}
	f.w = test.NewWindow(widget.NewLabel("the chat"))
	f.w.Resize(fyne.NewSize(800, 600))
	t.Cleanup(f.w.Close)
	f.s = newSwitcher(f.w, func() []switchItem { return items }, func(id string) { f.picked = append(f.picked, id) })
	return f
}

// typeFocused types as the window does: to whatever has the focus.
func typeFocused(t *testing.T, c fyne.Canvas, s string) {
	t.Helper()
	for _, r := range s {
		f := c.Focused()
		if f == nil {
			t.Fatalf("nothing focused to type %q into", r)
		}
		f.TypedRune(r)
	}
}

// pressFocused presses a key as the window does: on whatever has the focus.
func pressFocused(t *testing.T, c fyne.Canvas, name fyne.KeyName) {
	t.Helper()
	f := c.Focused()
	if f == nil {
		t.Fatalf("nothing focused to press %s on", name)
	}
	f.TypedKey(&fyne.KeyEvent{Name: name})
}

// renderedRows is the switchRows drawn under o, in no set order.
func renderedRows(o fyne.CanvasObject) []*switchRow {
	var rows []*switchRow
	var walk func(o fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		if !o.Visible() {
			return
		}
		if r, ok := o.(*switchRow); ok {
			rows = append(rows, r)
		}
		switch v := o.(type) {
		case *fyne.Container:
			for _, c := range v.Objects {
				walk(c)
			}
		case fyne.Widget:
			for _, c := range test.WidgetRenderer(v).Objects() {
				walk(c)
			}
		}
	}
	walk(o)
	return rows
}

func rowFor(t *testing.T, o fyne.CanvasObject, row int) *switchRow {
	t.Helper()
	for _, r := range renderedRows(o) {
		if r.row == row {
			return r
		}
	}
	t.Fatalf("row %d is not drawn", row)
	return nil
}

var switcherItems = []switchItem{
	{ID: "c-random", Label: "#random", Detail: "channel"},
	{ID: "c-general", Label: "#general", Detail: "channel", Unread: 4},
	{ID: "d-ada", Label: "Ada Lovelace", Detail: "direct message"},
	{ID: "d-grace", Label: "Grace Hopper", Detail: "direct message", Unread: 120},
	{ID: "c-genomics", Label: "#génomics", Detail: "channel"},
}

func TestSwitcherFiltersAndPicksWithKeys(t *testing.T) {
	f := newSwitcherFixture(t, switcherItems)
	c := f.w.Canvas()
	f.s.Show()
	if !f.s.visible() {
		t.Fatal("not shown")
	}
	if c.Focused() != f.s.entry {
		t.Fatalf("focused %T, want the switcher's entry", c.Focused())
	}
	if got := switchLabels(f.s.shown); got != "#general|Grace Hopper|#random|Ada Lovelace|#génomics" {
		t.Fatalf("shown at start: %s", got)
	}

	typeFocused(t, c, "GEN")
	if f.s.entry.Text != "GEN" {
		t.Fatalf("entry holds %q", f.s.entry.Text)
	}
	if got := switchLabels(f.s.shown); got != "#general|#génomics" {
		t.Fatalf("shown for GEN: %s", got)
	}
	if f.s.sel != 0 || rowFor(t, f.s.list, 0).bg.FillColor == rowFor(t, f.s.list, 1).bg.FillColor {
		t.Fatal("first row not highlighted")
	}
	pressFocused(t, c, fyne.KeyDown)
	pressFocused(t, c, fyne.KeyDown) // wraps to the first
	pressFocused(t, c, fyne.KeyUp)   // wraps to the last
	if f.s.sel != 1 {
		t.Fatalf("selection %d, want 1", f.s.sel)
	}
	pressFocused(t, c, fyne.KeyReturn)
	if strings.Join(f.picked, ",") != "c-genomics" {
		t.Fatalf("picked %v", f.picked)
	}
	if f.s.visible() {
		t.Fatal("still shown after picking")
	}
	if len(c.Overlays().List()) != 0 {
		t.Fatal("overlay left on the canvas")
	}

	// Shown again: empty query, everything listed, the entry focused.
	f.s.Show()
	if f.s.entry.Text != "" || len(f.s.shown) != len(switcherItems) || c.Focused() != f.s.entry {
		t.Fatalf("reopened with %q, %d items, focus %T", f.s.entry.Text, len(f.s.shown), c.Focused())
	}
	typeFocused(t, c, "nothing like it")
	if !f.s.empty.Visible() || f.s.list.Visible() {
		t.Fatal("no matches: the empty label should show instead of the list")
	}
	pressFocused(t, c, fyne.KeyReturn) // nothing to pick
	pressFocused(t, c, fyne.KeyEscape)
	if f.s.visible() || len(f.picked) != 1 {
		t.Fatalf("after Escape: visible %v, picked %v", f.s.visible(), f.picked)
	}
}

func TestSwitcherClickPicksRow(t *testing.T) {
	f := newSwitcherFixture(t, switcherItems)
	f.s.Show()
	r := rowFor(t, f.s.list, 2) // #random: unread ones come first
	if r.label.Text != "#random" {
		t.Fatalf("row 2 shows %q", r.label.Text)
	}
	at := fyne.CurrentApp().Driver().AbsolutePositionForObject(r).Add(fyne.NewPos(10, r.Size().Height/2))
	test.TapCanvas(f.w.Canvas(), at)
	if strings.Join(f.picked, ",") != "c-random" || f.s.visible() {
		t.Fatalf("picked %v, visible %v", f.picked, f.s.visible())
	}
}

func TestSwitcherShowsAtMostTwelveRows(t *testing.T) {
	var items []switchItem
	for i := range 50 {
		items = append(items, switchItem{ID: fmt.Sprint(i), Label: fmt.Sprintf("channel %02d", i)})
	}
	f := newSwitcherFixture(t, items)
	f.s.Show()
	rowH := newSwitchRow(nil).MinSize().Height
	pad := f.s.popup.Theme().Size(theme.SizeNamePadding)
	if h := f.s.list.Size().Height; h < 12*rowH+11*pad-0.5 || h >= 13*(rowH+pad) {
		t.Fatalf("list is %.0f high, want room for 12 rows of %.0f", h, rowH)
	}
	if n := len(renderedRows(f.s.list)); n < 12 || n > 14 { // the list may draw a partly visible row or two
		t.Fatalf("%d rows drawn", n)
	}
	// Moving down past the twelfth row scrolls the list to keep it in view.
	for range 20 {
		pressFocused(t, f.w.Canvas(), fyne.KeyDown)
	}
	if f.s.sel != 20 || f.s.list.GetScrollOffset() <= 0 {
		t.Fatalf("selection %d, offset %.0f", f.s.sel, f.s.list.GetScrollOffset())
	}
	rowFor(t, f.s.list, 20)
	// The popup fits in a small window.
	f.w.Resize(fyne.NewSize(300, 240))
	f.s.Hide()
	f.s.Show()
	pos, size := f.s.popup.Position(), f.s.popup.Size()
	if pos.X < 0 || pos.Y < 0 || pos.X+size.Width > 300 || pos.Y+size.Height > 240 {
		t.Fatalf("popup at %v size %v does not fit 300x240", pos, size)
	}
}

func TestSwitcherHostileLabelsArePlainAndTruncated(t *testing.T) {
	huge := strings.Repeat("Wolfeschlegelsteinhausenbergerdorff ", 3000)
	items := []switchItem{
		{ID: "1", Label: huge, Detail: huge, Unread: 7},
		{ID: "2", Label: "**bold** [x](http://evil) <b>tag</b>\n# heading", Detail: "line one\nline two"},
		{ID: "3", Label: "\u202Eevil", Detail: "مرحبا بالعالم"},
	}
	f := newSwitcherFixture(t, items)
	f.s.Show()
	width := f.s.popup.Size().Width
	for i := range items {
		r := rowFor(t, f.s.list, i)
		for _, l := range []*widget.Label{r.label, r.detail} {
			if l.Truncation != fyne.TextTruncateEllipsis || l.Wrapping != fyne.TextWrapOff {
				t.Errorf("row %d: label truncation %v wrapping %v", i, l.Truncation, l.Wrapping)
			}
			if strings.ContainsAny(l.Text, "\n\r\u202E") || utf8.RuneCountInString(l.Text) > maxLabelRunes+1 {
				t.Errorf("row %d: label text %.60q", i, l.Text)
			}
			if l.Size().Width > width {
				t.Errorf("row %d: label %.0f wide in a %.0f popup", i, l.Size().Width, width)
			}
		}
		if r.Size().Height != newSwitchRow(nil).MinSize().Height {
			t.Errorf("row %d is %.0f high: not one line", i, r.Size().Height)
		}
	}
	// Markdown and markup are text, character for character.
	if got := rowFor(t, f.s.list, 1).label.Text; got != "**bold** [x](http://evil) <b>tag</b> # heading" {
		t.Errorf("row 1 shows %q", got)
	}
	if got := rowFor(t, f.s.list, 0).unread.Text; got != "7" {
		t.Errorf("unread shows %q", got)
	}
	typeFocused(t, f.w.Canvas(), "wolfe")
	if len(f.s.shown) != 1 || f.s.shown[0].ID != "1" {
		t.Fatalf("filter on the huge label: %v", len(f.s.shown))
	}
}
