package ui

import (
	"bytes"
	"image/color"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"github.com/go-text/typesetting/font"
)

// richSamples are messages with formatting, as people write them.
var richSamples = map[string]string{
	"styles":  "Some **bold**, *italic*, ***both***, ~~struck~~ and `inline code`, a [link](https://example.com/docs) and https://go.dev/doc/effective_go.",
	"code":    "Try this:\n```go\nfunc main() {\n\tfmt.Println(\"a rather long line of code that needs to scroll sideways to be read\")\n}\n```\nthen run it.",
	"quote":   "> quoted *text*\n> on two lines\n\nmy answer",
	"lists":   "- one\n- two **bold**\n  - nested\n\n1. first\n2. second with a longer text that wraps in a narrow window",
	"mention": "hey <@" + adaID + "> and <@" + bobID + ">, look",
	"scripts": "日本語のテキスト、**太字**です 👍🏽 *Ελληνικά* _emoji 😀_ مرحبا",
	"long": strings.Repeat("**Long** text with `code` and *style* that goes on. ", 40) +
		"\n```\n" + strings.Repeat("code line\n", 30) + "```",
	"deep": strings.Repeat("> ", 8) + "- - - deep text in a very nested structure",
}

// textsIn are the canvas texts drawn under o.
func textsIn(o fyne.CanvasObject) []*canvas.Text {
	var out []*canvas.Text
	for _, x := range objectsIn(o) {
		if t, ok := x.(*canvas.Text); ok {
			out = append(out, t)
		}
	}
	return out
}

// The height rowHeights predicts for a row is the height the row lays
// itself out in, for rich and plain rows, folded or not, with or without
// a header and a day line, at any width: else the list jumps as rows are
// shown.
func TestRichRowHeightIsPredicted(t *testing.T) {
	a := test.NewTempApp(t)
	a.Settings().SetTheme(theme.DefaultTheme())
	h := newRowHeights()
	r := h.newRow().(*messageRow)
	w := test.NewTempWindow(t, container.NewWithoutLayout(r))
	w.Resize(fyne.NewSize(1000, 3000))
	texts := map[string]string{"plain": "just a plain message", "plain long": strings.Repeat("plain words ", 100)}
	for k, v := range richSamples {
		texts[k] = v
	}
	for name, text := range texts {
		for _, expanded := range []bool{false, true} {
			body, shown, fold := bodyFor(text, expanded, testNames, adaID)
			for _, variant := range []rowContent{
				{author: "Kevin", meta: "10:00"},
				{grouped: true},
				{author: "Kevin", meta: "10:00", day: "Yesterday"},
			} {
				rc := variant
				rc.body, rc.text, rc.fold = body, shown, fold
				for _, width := range []float32{180, 320, 480, 900} {
					want := h.height("m", rc, width)
					r.show(rc)
					r.Resize(fyne.NewSize(width, want))
					if got := r.MinSize().Height; got < want-1 || got > want+1 {
						t.Errorf("%s (expanded %v, grouped %v, day %q) at %v: row min height %v, predicted %v",
							name, expanded, rc.grouped, rc.day, width, got, want)
					}
					// Everything drawn is inside the predicted height, and
					// the last line ends near its bottom.
					bottom := float32(0)
					for _, tx := range textsIn(r) {
						pos := fyne.CurrentApp().Driver().AbsolutePositionForObject(tx).Subtract(fyne.CurrentApp().Driver().AbsolutePositionForObject(r))
						bottom = max(bottom, pos.Y+tx.MinSize().Height)
					}
					slack := theme.InnerPadding() + 2*theme.Padding() + 1
					if fold != foldNone {
						slack += h.controls
					}
					if bottom > want+0.5 || bottom < want-slack {
						t.Errorf("%s (expanded %v, grouped %v) at %v: text ends at %v in a row of %v", name, expanded, rc.grouped, width, bottom, want)
					}
				}
			}
		}
	}
}

// Rich rows draw in the fonts rows already use (regular, bold) and in the
// theme's italic, bold italic and monospace font files, never in another
// text style: each style would load another copy of the emoji font (6–8 MB).
func TestRichTextUsesNoNewTextStyles(t *testing.T) {
	a := test.NewTempApp(t)
	a.Settings().SetTheme(theme.DefaultTheme())
	h := newRowHeights()
	box := container.NewVBox()
	for _, text := range richSamples {
		body, shown, fold := bodyFor(text, true, testNames, adaID)
		r := h.newRow().(*messageRow)
		r.show(rowContent{author: "Kevin", meta: "10:00", body: body, text: shown, fold: fold})
		box.Add(r)
	}
	w := test.NewTempWindow(t, box)
	w.Resize(fyne.NewSize(480, 4000))
	th := theme.DefaultTheme()
	files := map[fyne.Resource]bool{
		th.Font(fyne.TextStyle{Italic: true}):             true,
		th.Font(fyne.TextStyle{Bold: true, Italic: true}): true,
		th.Font(fyne.TextStyle{Monospace: true}):          true,
	}
	seen := map[string]bool{}
	for _, tx := range textsIn(box) {
		st := tx.TextStyle
		switch {
		case tx.FontSource != nil:
			if !files[tx.FontSource] || st != (fyne.TextStyle{}) {
				t.Errorf("%q drawn from %s in %+v", tx.Text, tx.FontSource.Name(), st)
			}
			seen[tx.FontSource.Name()] = true
		case st != fyne.TextStyle{} && st != fyne.TextStyle{Bold: true}:
			t.Errorf("%q drawn in text style %+v", tx.Text, st)
		}
	}
	if len(seen) != 3 {
		t.Errorf("font files used: %v, want italic, bold italic and monospace", seen)
	}
}

// fontCovers claims only characters that the theme's italic, bold italic
// and monospace font files have.
func TestFontCoversMatchesTheFontFiles(t *testing.T) {
	th := theme.DefaultTheme()
	var faces []*font.Face
	for _, st := range []fyne.TextStyle{{Italic: true}, {Bold: true, Italic: true}, {Monospace: true}} {
		f, err := font.ParseTTF(bytes.NewReader(th.Font(st).Content()))
		if err != nil {
			t.Fatal(err)
		}
		faces = append(faces, f)
	}
	claimed := 0
	for r := rune(0x20); r < 0x3000; r++ {
		if !fontCovers(string(r)) || r == '\t' {
			continue
		}
		claimed++
		for i, f := range faces {
			if _, ok := f.NominalGlyph(r); !ok {
				t.Errorf("fontCovers(%U %q) but font %d has no glyph for it", r, r, i)
			}
		}
	}
	if claimed < 400 {
		t.Errorf("only %d characters covered", claimed)
	}
}

// A code block scrolls sideways by a drag or a sideways scroll, no further
// than its longest line, and hands a vertical scroll on to the list (a
// code block under the pointer must not stop the history scrolling).
func TestCodeBlockScrollsSidewaysOnly(t *testing.T) {
	a := test.NewTempApp(t)
	a.Settings().SetTheme(theme.DefaultTheme())
	var handed []float32
	var copied string
	act := &richActions{
		scroll:   func(ev *fyne.ScrollEvent) { handed = append(handed, ev.Scrolled.DY) },
		copyCode: func(code string) { copied = code },
	}
	cv := newCodeView(act)
	code := "short\n" + strings.Repeat("long line ", 20)
	cv.setCode(code, code, 20)
	w := test.NewTempWindow(t, container.NewWithoutLayout(cv))
	w.Resize(fyne.NewSize(400, 200))
	cv.Resize(fyne.NewSize(200, 60))
	cv.Move(fyne.NewPos(0, 0))
	area := cv.area
	test.WidgetRenderer(cv).Layout(cv.Size())

	area.Scrolled(&fyne.ScrollEvent{Scrolled: fyne.Delta{DY: -30}})
	if area.offset != 0 || len(handed) != 1 || handed[0] != -30 {
		t.Fatalf("a vertical scroll: offset %v, handed on %v", area.offset, handed)
	}
	area.Scrolled(&fyne.ScrollEvent{Scrolled: fyne.Delta{DX: -50}})
	if area.offset != 50 || len(handed) != 1 {
		t.Fatalf("a sideways scroll: offset %v, handed on %v", area.offset, handed)
	}
	area.Dragged(&fyne.DragEvent{Dragged: fyne.Delta{DX: -10000}})
	most := area.r.contentWidth - area.Size().Width
	if area.offset != most || most <= 0 {
		t.Errorf("dragged far: offset %v, want the end %v", area.offset, most)
	}
	area.Dragged(&fyne.DragEvent{Dragged: fyne.Delta{DX: 10000}})
	if area.offset != 0 {
		t.Errorf("dragged back: offset %v", area.offset)
	}
	test.Tap(cv.copy)
	if copied != code {
		t.Errorf("Copy gave %q", copied)
	}
}

// A light/dark switch recolours rich text already shown, as it does the
// rows' headers (TestThemeSwitchRecoloursShownRows).
func TestThemeSwitchRecoloursRichText(t *testing.T) {
	a := test.NewTempApp(t)
	dark := tintTheme{theme.DefaultTheme(), color.NRGBA{R: 0xee, G: 0xee, B: 0xee, A: 0xff}, color.NRGBA{R: 0x99, A: 0xff}}
	light := tintTheme{theme.DefaultTheme(), color.NRGBA{R: 0x11, G: 0x11, B: 0x11, A: 0xff}, color.NRGBA{G: 0x66, A: 0xff}}
	a.Settings().SetTheme(dark)
	h := newRowHeights()
	r := h.newRow().(*messageRow)
	body, _, _ := bodyFor("**bold** and plain", false, nil, "")
	r.show(rowContent{author: "Ada", meta: "10:00", body: body})
	w := test.NewTempWindow(t, container.NewVBox(r))
	w.Resize(fyne.NewSize(300, 200))
	colours := func() []color.Color {
		var out []color.Color
		for _, tx := range textsIn(r.parts.rich) {
			out = append(out, tx.Color)
		}
		return out
	}
	for _, c := range colours() {
		if c != dark.fg {
			t.Fatalf("before the switch a text is %v, want %v", c, dark.fg)
		}
	}
	a.Settings().SetTheme(light)
	for _, c := range colours() {
		if c != light.fg {
			t.Errorf("after the switch a text is %v, want the new theme's %v", c, light.fg)
		}
	}
}
