package notify

import (
	"strings"
	"unicode/utf8"
)

// Sanitize returns s as every desktop notification channel can carry it
// as plain data (D-Bus strings, XML text, process arguments): invalid UTF-8
// and characters XML 1.0 cannot hold (NUL and the other C0 controls except
// tab, line feed and carriage return; U+FFFE, U+FFFF) become U+FFFD, and
// text longer than limit runes is cut to limit-1 runes plus "…". A limit
// below 2 means no limit. It escapes nothing: that is each channel's job.
func Sanitize(s string, limit int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if isXMLChar(r) {
			return r
		}
		return '\uFFFD'
	}, s)
	if limit >= 2 && utf8.RuneCountInString(s) > limit {
		s = string([]rune(s)[:limit-1]) + "…"
	}
	return s
}

// isXMLChar reports whether r is a Char of the XML 1.0 grammar.
func isXMLChar(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D ||
		r >= 0x20 && r <= 0xD7FF ||
		r >= 0xE000 && r <= 0xFFFD ||
		r >= 0x10000 && r <= 0x10FFFF
}
