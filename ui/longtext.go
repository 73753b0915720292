package ui

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Long messages. Measuring and drawing a wrapped label costs time on the
// UI thread that grows with its characters and, faster than linearly, with
// its lines: a 21,600-character message froze the window for seconds. So
// what a row shows is bounded, whatever anyone sends:
//
//   - folded (the default): the first foldChars characters and foldLines
//     lines, cut at a word where there is one, and "Show more";
//   - expanded: up to expandChars characters and expandLines lines, drawn
//     as labels of at most chunkChars characters and chunkLines lines each
//     (so no single label is slow to wrap), with "Show less"; a longer
//     message says how much is shown and offers to copy the whole text.
const (
	// MaxMessageChars is the most characters (Unicode code points) the
	// composer sends: Slack's limit, enough for any chat message, and the
	// most an expanded row shows (a 4,000-character text is measured and
	// laid out in about 10 ms; 10,000 took 80 ms). The server check `setup` adds
	// (provision.MaxTextUnits) allows twice as many UTF-16 units, so that
	// anything the app sends also passes there.
	MaxMessageChars = 4000
	// composerHintFrom is where the composer starts counting.
	composerHintFrom = MaxMessageChars * 9 / 10

	foldChars   = 500
	foldLines   = 8
	expandChars = MaxMessageChars
	expandLines = 200
	chunkChars  = 1000
	chunkLines  = 40
	// maxMarks is the most combining marks shown on one character: real
	// scripts stack a few, "Zalgo" text thousands, and a long run of them
	// took Fyne about 200 ms per 1,000 to measure.
	maxMarks = 8
)

// foldState is how a row shows its message's text.
type foldState uint8

const (
	foldNone     foldState = iota // short: shown whole
	foldFolded                    // cut, with "Show more"
	foldExpanded                  // shown whole, with "Show less"
	foldCapped                    // expanded but still cut, with "Show less" and "Copy all"
)

// head returns the start of s holding at most maxRunes runes and maxLines
// lines, and whether that is less than s. It reads no further into s than
// it keeps.
func head(s string, maxRunes, maxLines int) (string, bool) {
	runes, lines := 0, 1
	for i, r := range s {
		if runes == maxRunes {
			return s[:i], true
		}
		if r == '\n' {
			if lines == maxLines {
				return s[:i], true
			}
			lines++
		}
		runes++
	}
	return s, false
}

// foldText is what a folded row shows of s: its start, cut at a word
// boundary when there is one near the end, and an ellipsis; and whether s
// was cut at all.
func foldText(s string) (string, bool) {
	return cutText(s, foldChars, foldLines)
}

// expandText is what an expanded row shows of s, and whether s was cut.
func expandText(s string) (string, bool) {
	return cutText(s, expandChars, expandLines)
}

// cutText is the start of s within maxRunes and maxLines, cut at a word
// boundary when there is one near the end, with an ellipsis if cut.
func cutText(s string, maxRunes, maxLines int) (string, bool) {
	h, cut := head(s, maxRunes, maxLines)
	if !cut {
		return s, false
	}
	// Back up to the last space in the final fifth, so a word is not cut.
	if i := strings.LastIndexFunc(h, unicode.IsSpace); i >= len(h)*4/5 {
		h = h[:i]
	}
	return strings.TrimRightFunc(h, unicode.IsSpace) + " …", true
}

// displayText is what a row shows of a message's text and how.
func displayText(s string, expanded bool) (string, foldState) {
	text, state := cutDisplay(s, expanded)
	return tameMarks(text), state
}

// tameMarks drops the combining marks beyond maxMarks in a row.
func tameMarks(s string) string {
	var b strings.Builder
	run, from := 0, 0
	for i, r := range s {
		if !unicode.In(r, unicode.Mn, unicode.Me) {
			run = 0
			continue
		}
		run++
		if run == maxMarks+1 { // the first mark too many: copy what came before
			b.WriteString(s[from:i])
		}
		if run > maxMarks {
			from = i + utf8.RuneLen(r)
		}
	}
	if b.Len() == 0 && from == 0 {
		return s
	}
	b.WriteString(s[from:])
	return b.String()
}

func cutDisplay(s string, expanded bool) (string, foldState) {
	if expanded {
		if h, cut := expandText(s); cut {
			return h, foldCapped
		}
		if _, cut := head(s, foldChars, foldLines); cut {
			return s, foldExpanded
		}
		return s, foldNone
	}
	if f, cut := foldText(s); cut {
		return f, foldFolded
	}
	return s, foldNone
}

// chunks splits s into pieces of at most chunkChars runes and chunkLines
// lines, each shown by its own label, stacked. A piece ends at a newline
// where it can (the newline is dropped: the next label starts a line
// anyway), else at a space, else anywhere.
func chunks(s string) []string {
	var out []string
	for {
		h, cut := head(s, chunkChars, chunkLines)
		if !cut {
			return append(out, s)
		}
		end, skip := len(h), 0
		if len(h) < len(s) && s[len(h)] == '\n' {
			skip = 1 // cut by the line count: right at a newline
		} else if i := strings.LastIndexByte(h, '\n'); i > 0 {
			end, skip = i, 1
		} else if i := strings.LastIndexFunc(h, unicode.IsSpace); i > 0 {
			_, w := utf8.DecodeRuneInString(h[i:])
			end, skip = i, w
		}
		out = append(out, s[:end])
		s = s[end+skip:]
	}
}
