package markup

import (
	"strings"
	"unicode/utf8"
)

// Bounding the parse. goldmark takes time quadratic in some constructs'
// length: 64 KiB of ">" on one line took 5 s, of "- " 3 s, of "[a](" 2.7 s.
// Before parsing, defuse takes the characters that would build such
// constructs out of Markdown's reach by replacing them with sentinels,
// which every string taken from the parse gets back (restore), so that
// what shows is the text as typed, only not read as Markdown:
//
//   - on a line, the container markers (">", "-", "+", "*", "1." or "1)")
//     after the first MaxDepth;
//   - on a line indented by more than maxIndent columns, the blank at
//     that column, so that indentation cannot nest lists deeper than
//     about maxIndent/2 (goldmark's list parser looks at the whole line
//     once per open list);
//   - in a run of lines without a blank one (inline content never spans a
//     blank line), the "[" after the first maxBrackets, so that at most
//     that many links are tried, each costing at most the run's length.
//
// The sentinels are Unicode noncharacters, which are for a program's
// internal use; any in the text itself become U+FFFD first.
const (
	maxBrackets = 64
	maxIndent   = 64
)

// sentinels are the characters defuse replaces, the sentinel for
// sentinelChars[i] being sentinelBase+i.
const (
	sentinelChars = ">-+*.)[ \t"
	sentinelBase  = 0xFDD0
)

// isNoncharacter reports whether r is one of the noncharacters
// U+FDD0–U+FDEF (the ones sentinels are taken from).
func isNoncharacter(r rune) bool {
	return r >= 0xFDD0 && r <= 0xFDEF
}

var restorer = func() *strings.Replacer {
	var pairs []string
	for i := 0; i < len(sentinelChars); i++ {
		pairs = append(pairs, string(rune(sentinelBase+i)), sentinelChars[i:i+1])
	}
	return strings.NewReplacer(pairs...)
}()

// restore is s with its sentinels back to the characters they stand for.
func restore(s string) string {
	return restorer.Replace(s)
}

// defuse is s with sentinels in place of the characters that would make
// the parse slow (see above), and whether it holds any.
func defuse(s string) (string, bool) {
	if strings.ContainsFunc(s, isNoncharacter) {
		s = strings.Map(func(r rune) rune {
			if isNoncharacter(r) {
				return utf8.RuneError
			}
			return r
		}, s)
	}
	var cuts []int // offsets in s of the characters to replace, ascending
	brackets := 0
	for start := 0; start < len(s); {
		end := strings.IndexByte(s[start:], '\n')
		if end < 0 {
			end = len(s)
		} else {
			end += start
		}
		line := s[start:end]
		if strings.TrimLeft(line, " \t") == "" {
			brackets = 0
			start = end + 1
			continue
		}
		if i := indentCut(line); i >= 0 {
			cuts = append(cuts, start+i)
		} else if i := markerCut(line); i >= 0 {
			cuts = append(cuts, start+i)
		}
		for i := strings.IndexByte(line, '['); i >= 0; {
			brackets++
			if brackets > maxBrackets {
				cuts = append(cuts, start+i)
			}
			j := strings.IndexByte(line[i+1:], '[')
			if j < 0 {
				break
			}
			i += 1 + j
		}
		start = end + 1
	}
	if len(cuts) == 0 {
		return s, false
	}
	// cuts is in order: a line's indentation or marker cut comes before
	// its brackets, since only blanks, markers and digits precede it.
	var b strings.Builder
	b.Grow(len(s) + 2*len(cuts))
	from := 0
	for _, at := range cuts {
		b.WriteString(s[from:at])
		b.WriteRune(rune(sentinelBase + strings.IndexByte(sentinelChars, s[at])))
		from = at + 1
	}
	b.WriteString(s[from:])
	return b.String(), true
}

// indentCut is the offset in line (which is not blank) of the blank at
// which its indentation (spaces, and tabs counted as 4 columns) passes
// maxIndent columns, or -1.
func indentCut(line string) int {
	col := 0
	for i := 0; i < len(line); i++ {
		switch line[i] {
		case ' ':
			col++
		case '\t':
			col += 4
		default:
			return -1
		}
		if col > maxIndent {
			return i
		}
	}
	return -1
}

// markerCut is the offset in line of the first container marker after the
// first MaxDepth ones at its start, or -1: ">" (a quote), "-", "+" or "*"
// before a space, a tab or the end of the line (a bullet), or up to nine
// digits and "." or ")" before one (a number, whose "." or ")" is
// returned).
func markerCut(line string) int {
	n := 0
	for i := 0; i < len(line); {
		c := line[i]
		at := -1 // offset of this marker's character to replace
		next := i + 1
		switch {
		case c == ' ' || c == '\t':
			i++
			continue
		case c == '>':
			at = i
		case c == '-' || c == '+' || c == '*':
			if next < len(line) && line[next] != ' ' && line[next] != '\t' {
				return -1
			}
			at = i
		case c >= '0' && c <= '9':
			j := i
			for j < len(line) && j-i < 9 && line[j] >= '0' && line[j] <= '9' {
				j++
			}
			if j == len(line) || line[j] != '.' && line[j] != ')' ||
				j+1 < len(line) && line[j+1] != ' ' && line[j+1] != '\t' {
				return -1
			}
			at, next = j, j+1
		default:
			return -1
		}
		if n == MaxDepth {
			return at
		}
		n++
		i = next
	}
	return -1
}
