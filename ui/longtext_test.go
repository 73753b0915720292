package ui

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
)

// hostileTexts are long messages as anyone can send them.
func hostileTexts() map[string]string {
	return map[string]string{
		"100 KB of words":         strings.Repeat("lorem ipsum dolor sit amet ", 100<<10/27),
		"100 KB, one word":        strings.Repeat("x", 100<<10),
		"50,000 newlines":         strings.Repeat("\n", 50_000),
		"short lines":             strings.Repeat("a\n", 50_000),
		"emoji":                   strings.Repeat("😀", 30_000),
		"combining marks":         "Z" + strings.Repeat("\u0301", 40_000),
		"bare combining marks":    strings.Repeat("\u0301", 40_000),
		"zalgo":                   strings.Repeat("Z\u0301\u0302\u0303\u0304\u0305\u0306\u0307\u0308\u0309\u030a\u030b\u030c", 5_000),
		"CJK":                     strings.Repeat("日本語のテキスト", 5_000),
		"words then a giant word": strings.Repeat("hi ", 100) + strings.Repeat("y", 50_000),
		"tabs and CRLF":           strings.Repeat("a\tb\r\n", 20_000),
	}
}

func lines(s string) int { return strings.Count(s, "\n") + 1 }

func longestMarkRun(s string) int {
	longest, run := 0, 0
	for _, r := range s {
		if unicode.In(r, unicode.Mn, unicode.Me) {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	return longest
}

// Marks beyond maxMarks on one character are dropped; real scripts keep
// theirs.
func TestTameMarks(t *testing.T) {
	for in, want := range map[string]string{
		"plain":                                             "plain",
		"Tiếng Việt":                                        "Tiếng Việt",
		"e" + strings.Repeat("\u0301", maxMarks):            "e" + strings.Repeat("\u0301", maxMarks),
		"e" + strings.Repeat("\u0301", 20) + "x":            "e" + strings.Repeat("\u0301", maxMarks) + "x",
		strings.Repeat("a"+strings.Repeat("\u0302", 12), 3): strings.Repeat("a"+strings.Repeat("\u0302", maxMarks), 3),
	} {
		if got := tameMarks(in); got != want {
			t.Errorf("tameMarks(%+q) = %+q, want %+q", in, got, want)
		}
	}
}

// The text a row shows is bounded in characters and lines whatever the
// message, folded and expanded, and each label of an expanded row too.
func TestShownTextIsBounded(t *testing.T) {
	for name, s := range hostileTexts() {
		t.Run(name, func(t *testing.T) {
			folded, state := displayText(s, false)
			if state != foldFolded {
				t.Errorf("folded state %v, want foldFolded", state)
			}
			if n := utf8.RuneCountInString(folded); n > foldChars+2 || lines(folded) > foldLines {
				t.Errorf("folded text has %d runes and %d lines, want at most %d+2 and %d", n, lines(folded), foldChars, foldLines)
			}
			if !strings.HasSuffix(folded, "…") {
				t.Errorf("folded text does not end with an ellipsis: …%q", folded[max(len(folded)-20, 0):])
			}
			expanded, state := displayText(s, true)
			if n := utf8.RuneCountInString(expanded); n > expandChars+2 || lines(expanded) > expandLines {
				t.Errorf("expanded text has %d runes and %d lines, want at most %d and %d", n, lines(expanded), expandChars, expandLines)
			}
			if state != foldCapped {
				t.Errorf("expanded state %v, want foldCapped", state)
			}
			for _, shown := range []string{folded, expanded} {
				if n := longestMarkRun(shown); n > maxMarks {
					t.Errorf("shown text has a run of %d combining marks, want at most %d", n, maxMarks)
				}
			}
			ch := chunks(expanded)
			for i, c := range ch {
				if n := utf8.RuneCountInString(c); n > chunkChars || lines(c) > chunkLines {
					t.Fatalf("chunk %d has %d runes and %d lines, want at most %d and %d", i, n, lines(c), chunkChars, chunkLines)
				}
			}
			// Nothing but the separators dropped at the cuts is lost.
			if got, want := utf8.RuneCountInString(strings.Join(ch, "")), utf8.RuneCountInString(expanded); got < want-len(ch)+1 {
				t.Errorf("chunks hold %d runes of %d", got, want)
			}
		})
	}
}

func TestShortAndMediumTexts(t *testing.T) {
	for _, tc := range []struct {
		text           string
		folded, expand foldState
	}{
		{"hello", foldNone, foldNone},
		{strings.Repeat("a", foldChars), foldNone, foldNone},
		{strings.Repeat("a\n", foldLines-1) + "a", foldNone, foldNone},
		{strings.Repeat("a", foldChars+1), foldFolded, foldExpanded},
		{strings.Repeat("a\n", foldLines) + "a", foldFolded, foldExpanded},
		{strings.Repeat("word ", MaxMessageChars/5), foldFolded, foldExpanded},
		{strings.Repeat("\n", MaxMessageChars-2) + "x", foldFolded, foldCapped},
	} {
		if _, got := displayText(tc.text, false); got != tc.folded {
			t.Errorf("%d runes, %d lines folded: state %v, want %v", len(tc.text), lines(tc.text), got, tc.folded)
		}
		shown, got := displayText(tc.text, true)
		if got != tc.expand {
			t.Errorf("%d runes, %d lines expanded: state %v, want %v", len(tc.text), lines(tc.text), got, tc.expand)
		}
		if got != foldCapped && shown != tc.text {
			t.Errorf("expanded text of %d runes is not the whole text", len(tc.text))
		}
	}
	// A fold cuts at a word.
	folded, _ := foldText(strings.Repeat("abcdefghi ", 100))
	if !strings.HasSuffix(folded, "abcdefghi …") {
		t.Errorf("folded text ends %q, want a whole word and an ellipsis", folded[len(folded)-20:])
	}
}

// rowTexts is the text held by the labels of a row.
func rowTexts(r *messageRow) []string {
	var out []string
	for _, o := range r.parts.box.Objects {
		if l, ok := o.(*widget.Label); ok && l != r.parts.divider {
			out = append(out, l.Text)
		}
	}
	return out
}

// A folded row holds a bounded text and is measured from it; expanded, it
// shows a bounded text in bounded labels, and offers to copy the rest.
func TestRowOfLongMessageIsBounded(t *testing.T) {
	test.NewTempApp(t)
	h := newRowHeights()
	r := h.newRow().(*messageRow)
	w := test.NewTempWindow(t, container.NewVBox(r))
	w.Resize(fyne.NewSize(480, 640))
	const width = 460
	for name, s := range hostileTexts() {
		t.Run(name, func(t *testing.T) {
			text, fold := displayText(s, false)
			rc := rowContent{author: "Kevin", meta: "10:00", text: text, fold: fold}
			r.show(rc)
			labels := rowTexts(r)
			if len(labels) != 1 || utf8.RuneCountInString(labels[0]) > foldChars+2 || lines(labels[0]) > foldLines {
				t.Fatalf("folded row shows %d labels, the first of %d runes", len(labels), utf8.RuneCountInString(labels[0]))
			}
			if r.parts.toggle == nil || !r.parts.controls.Visible() || r.parts.toggle.Text != "Show more" {
				t.Fatal("folded row has no visible Show more")
			}
			// Folded: at most 8 lines of text and, at a narrow width, a
			// bounded number of wrapped lines.
			if got := h.height("m", rc, width); got > 600 {
				t.Errorf("folded row is %v px high", got)
			}

			text, fold = displayText(s, true)
			rc = rowContent{author: "Kevin", meta: "10:00", text: text, fold: fold, total: utf8.RuneCountInString(s)}
			r.show(rc)
			total := 0
			for i, l := range rowTexts(r) {
				if n := utf8.RuneCountInString(l); n > chunkChars || lines(l) > chunkLines {
					t.Fatalf("expanded row's label %d has %d runes and %d lines", i, n, lines(l))
				}
				total += utf8.RuneCountInString(l)
			}
			if total > expandChars+2 {
				t.Errorf("expanded row shows %d runes", total)
			}
			if r.parts.toggle.Text != "Show less" || !r.parts.copyAll.Visible() || !strings.HasPrefix(r.parts.copyAll.Text, "Copy all ") {
				t.Errorf("expanded row: toggle %q, copy %q (visible %v)", r.parts.toggle.Text, r.parts.copyAll.Text, r.parts.copyAll.Visible())
			}
			// The row's layout agrees with its measure.
			r.Resize(fyne.NewSize(width, h.height("m", rc, width)))
			if got, want := r.MinSize().Height, h.height("m", rc, width); got > want+1 || got < want-1 {
				t.Errorf("expanded row's min height %v, measured %v", got, want)
			}

			r.show(rowContent{author: "Kevin", meta: "10:00", text: "short"})
			if r.parts.controls.Visible() || len(rowTexts(r)) != 1 {
				t.Error("a short message after a long one keeps the fold buttons or extra labels")
			}
		})
	}
}

// Stacked labels read as one: the measure of a text in chunks is the
// measure of the same text in one label.
func TestChunkedTextMeasuresAsOneLabel(t *testing.T) {
	test.NewTempApp(t)
	h := newRowHeights()
	s := strings.Repeat("line\n", 3*chunkLines) + "end"
	if len(chunks(s)) < 3 {
		t.Fatalf("%d chunks", len(chunks(s)))
	}
	one := newTextLabel(s)
	one.Resize(fyne.NewSize(400, one.MinSize().Height))
	got := h.height("x", rowContent{text: s}, 400) - h.header
	if d := got - one.MinSize().Height; d > 1 || d < -1 {
		t.Errorf("chunked text measures %v, one label %v", got, one.MinSize().Height)
	}
}
