package ui

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"directuschat/markup"
)

// fakeMetrics measures every character 10 wide in the regular and italic
// faces, 11 in bold, 8 in monospace; lines are 20 high (baseline 15), 16
// in monospace (baseline 12).
type fakeMetrics struct{}

func (fakeMetrics) measure(s string, f textFont) (float32, float32, float32) {
	n := float32(utf8.RuneCountInString(s))
	switch f {
	case fontBold, fontBoldItalic:
		return 11 * n, 20, 15
	case fontMono:
		return 8 * n, 16, 12
	}
	return 10 * n, 20, 15
}

var testFlow = flowTheme{inner: 8, gap: 8, indent: 8, bar: 3, codePad: 4, codeMinH: 28}

var fontNames = map[textFont]string{fontRegular: "r", fontBold: "b", fontItalic: "i", fontBoldItalic: "bi", fontMono: "m"}

var roleNames = map[colorRole]string{roleText: "", roleLink: " link", roleMention: " mention", roleMentionMe: " mention-me",
	roleMarker: " marker", roleCodeBg: "code-bg", roleQuoteBar: "quote-bar", roleStrike: "strike", roleUnderline: "underline"}

// dumpLayout writes a layout one object a line: T x,y font "text" role,
// R x,y wxh role, L x,y wxh #link, C x,y wxh "code"; then its height.
func dumpLayout(l *richLayout) string {
	var b strings.Builder
	for _, t := range l.texts {
		fmt.Fprintf(&b, "T %g,%g %s %q%s\n", t.x, t.y, fontNames[t.font], t.text, roleNames[t.role])
	}
	for _, r := range l.rects {
		fmt.Fprintf(&b, "R %g,%g %gx%g %s\n", r.x, r.y, r.w, r.h, roleNames[r.role])
	}
	for _, k := range l.links {
		fmt.Fprintf(&b, "L %g,%g %gx%g #%d\n", k.x, k.y, k.w, k.h, k.link)
	}
	for _, c := range l.codes {
		fmt.Fprintf(&b, "C %g,%g %gx%g %q\n", c.x, c.y, c.w, c.h, c.code)
	}
	fmt.Fprintf(&b, "height %g", l.height)
	return b.String()
}

func layoutOf(text string, width float32) *richLayout {
	d := toRich(markup.Parse(text), testNames, adaID)
	return layoutDoc(&d, width, fakeMetrics{}, testFlow)
}

func TestLayoutGolden(t *testing.T) {
	for _, c := range []struct {
		name, in string
		width    float32
		want     string
	}{
		{"styles on one line", "**ab** *cd* ~~ef~~ `gh`", 400, `
T 8,8 b "ab "
T 40,8 i "cd "
T 70,8 r "ef "
T 100,11 m "gh"
R 70,18.5 20x1 strike
R 99,11 18x16 code-bg
height 36`},
		{"words wrap, spaces end lines", "aaa bbb ccc", 96, `
T 8,8 r "aaa bbb "
T 8,28 r "ccc"
height 56`},
		{"a word wider than the line is broken", "abcdefghijklmnop", 96, `
T 8,8 r "abcdefgh"
T 8,28 r "ijklmnop"
height 56`},
		{"line breaks", "a\nb", 400, `
T 8,8 r "a"
T 8,28 r "b"
height 56`},
		{"link underlined and tappable on each line", "[aaaa bbbb](https://x.example)", 80, `
T 8,8 r "aaaa " link
T 8,28 r "bbbb" link
R 8,25 40x1 underline
R 8,45 40x1 underline
L 8,8 40x20 #0
L 8,28 40x20 #0
height 56`},
		{"mentions", "hi <@" + adaID + ">", 400, `
T 8,8 r "hi "
T 38,8 b "@Ada Lovelace" mention-me
height 36`},
		{"paragraphs apart", "a\n\nb", 400, `
T 8,8 r "a"
T 8,36 r "b"
height 64`},
		{"quote", "> a\n> b", 400, `
T 19,8 r "a"
T 19,28 r "b"
R 8,8 3x40 quote-bar
height 56`},
		{"lists", "- a\n- b\n\n9. c\n10. d", 400, `
T 26,8 r "a"
T 8,8 r "•" marker
T 26,32 r "b"
T 8,32 r "•" marker
T 46,60 r "c"
T 18,60 r "9." marker
T 46,84 r "d"
T 8,84 r "10." marker
height 112`},
		{"code block", "text\n```\nx := 1\ny\n```", 400, `
T 8,8 r "text"
C 8,36 384x51 "x := 1\ny"
height 95`},
		{"one-line code block is as high as its button", "```\nx\n```", 400, `
C 8,8 384x31 "x"
height 47`},
		{"hostile link is plain text", "[click](javascript:alert(1))", 400, `
T 8,8 r "click"
height 36`},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := dumpLayout(layoutOf(c.in, c.width))
			if want := strings.TrimPrefix(c.want, "\n"); got != want {
				t.Errorf("layout of %q at %v:\n%s\nwant\n%s", c.in, c.width, got, want)
			}
		})
	}
}

// However deep quotes and lists nest, text keeps minTextWidth, and no
// text starts outside the layout.
func TestLayoutDeepNestingKeepsAWidth(t *testing.T) {
	for _, in := range []string{strings.Repeat("> ", 8) + "deep text here", strings.Repeat("- ", 8) + "deep text here",
		strings.Repeat("> - 1. ", 3) + "deep"} {
		for _, width := range []float32{60, 100, 300} {
			l := layoutOf(in, width)
			maxX := max(width-testFlow.inner, testFlow.inner+minTextWidth)
			for _, tx := range l.texts {
				if tx.x < 0 || tx.x > maxX-minTextWidth && tx.role != roleMarker {
					t.Errorf("%q at %v: text %q at x %v (line ends at %v)", in, width, tx.text, tx.x, maxX)
				}
			}
			if len(l.texts) == 0 {
				t.Errorf("%q at %v: no text", in, width)
			}
		}
	}
}

// Breaking a word never splits a character from its marks, a flag or an
// emoji sequence.
func TestClusterCuts(t *testing.T) {
	for _, c := range []struct {
		in   string
		want string
	}{
		{"abc", "a|b|c|"},
		{"éx", "é|x|"},
		{"👍🏽a", "👍🏽|a|"},
		{"👨‍👩‍👧b", "👨‍👩‍👧|b|"},
		{"a️b", "a️|b|"},
	} {
		var b strings.Builder
		from := 0
		for _, cut := range clusterCuts(c.in) {
			b.WriteString(c.in[from:cut] + "|")
			from = cut
		}
		if b.String() != c.want {
			t.Errorf("clusterCuts(%q) = %q, want %q", c.in, b.String(), c.want)
		}
	}
}

// Italic, bold italic and code are drawn from the theme's font files only
// where those cover the word; other words (emoji, CJK) in the faces with
// fallbacks, upright.
func TestFontFor(t *testing.T) {
	it := &rrun{style: markup.Italic}
	bi := &rrun{style: markup.Italic | markup.Bold}
	code := &rrun{style: markup.Code}
	for _, c := range []struct {
		r    *rrun
		w    string
		want textFont
	}{
		{it, "word", fontItalic},
		{it, "Ελληνικά", fontItalic},
		{it, "日本語", fontRegular},
		{it, "👍", fontRegular},
		{bi, "word", fontBoldItalic},
		{bi, "😀", fontBold},
		{code, "x := 1", fontMono},
		{code, "日本", fontRegular},
		{&rrun{mention: true}, "@Ada", fontBold},
		{&rrun{}, "x", fontRegular},
	} {
		if got := fontFor(c.r, c.w); got != c.want {
			t.Errorf("fontFor(%v, %q) = %v, want %v", c.r.style, c.w, fontNames[got], fontNames[c.want])
		}
	}
	if got := codePieces("x := \"日本\" // ok"); len(got) != 3 || got[0].font != fontMono || got[1].font != fontRegular || got[2].text != "\" // ok" {
		t.Errorf("codePieces = %+v", got)
	}
}
