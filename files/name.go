package files

import (
	"path/filepath"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxNameBytes bounds a name SafeFileName returns, in UTF-8 bytes: file
// systems allow 255, and the " (n)" of UniqueName and a temporary suffix
// must fit.
const MaxNameBytes = 180

// maxExtBytes is the longest extension kept whole when a name is cut.
const maxExtBytes = 16

// SafeFileName makes a name from the server (another user's text) fit to
// be a file's name on any desktop system: no directory part (slashes,
// backslashes and colons become "_"), no "." or "..", no control or
// invisible formatting characters (such as the right-to-left override that
// makes "exe.pdf" of "fdp.exe"), none of the characters Windows refuses,
// no leading dots or spaces (hidden files) nor trailing ones (Windows drops
// them), not a Windows device name (CON, NUL, COM1, ...: prefixed with
// "_"), at most MaxNameBytes, keeping the extension. An empty result
// becomes "download".
func SafeFileName(name string) string {
	name = strings.ToValidUTF8(name, "_")
	var b strings.Builder
	for _, r := range name {
		switch {
		case r == '/' || r == '\\' || r == ':':
			b.WriteRune('_')
		case strings.ContainsRune(`<>"|?*`, r):
			b.WriteRune('_')
		case r == '\u200c' || r == '\u200d':
			b.WriteRune(r) // joiners: part of emoji and some scripts
		case unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || unicode.In(r, unicode.Zl, unicode.Zp) ||
			unicode.Is(unicode.Co, r) || r == utf8.RuneError || (r >= 0xFFF0 && r <= 0xFFFF):
			// control, bidi overrides and other invisible formatting,
			// line/paragraph separators, private use, specials: dropped.
		case unicode.IsSpace(r):
			b.WriteRune(' ')
		default:
			b.WriteRune(r)
		}
	}
	s := strings.TrimLeft(b.String(), ". ")
	s = strings.TrimRight(s, ". ")
	s = capName(s, MaxNameBytes)
	s = strings.TrimRight(s, ". ")
	if s == "" {
		return "download"
	}
	if isWindowsDevice(s) {
		s = capName("_"+s, MaxNameBytes)
	}
	return s
}

// capName cuts s to at most n bytes at a character boundary, keeping a
// short extension.
func capName(s string, n int) string {
	if len(s) <= n {
		return s
	}
	ext := filepath.Ext(s)
	if len(ext) > maxExtBytes || len(ext) == len(s) {
		ext = ""
	}
	stem := cutUTF8(s[:len(s)-len(ext)], n-len(ext))
	return strings.TrimRight(stem, ". ") + ext
}

// cutUTF8 returns at most n bytes of s, not splitting a character.
func cutUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// windowsDevices are names Windows treats as devices whatever the
// extension (CON.txt is the console).
var windowsDevices = map[string]bool{
	"CON": true, "PRN": true, "AUX": true, "NUL": true, "CONIN$": true, "CONOUT$": true, "CLOCK$": true,
}

func isWindowsDevice(name string) bool {
	base, _, _ := strings.Cut(name, ".")
	base = strings.ToUpper(strings.TrimRight(base, " "))
	if windowsDevices[base] {
		return true
	}
	if len(base) >= 4 && (strings.HasPrefix(base, "COM") || strings.HasPrefix(base, "LPT")) {
		rest := []rune(base[3:])
		if len(rest) == 1 && (rest[0] >= '0' && rest[0] <= '9' || rest[0] == '¹' || rest[0] == '²' || rest[0] == '³') {
			return true
		}
	}
	return false
}

// numbered is name with " (n)" before its extension: "a.txt" -> "a (2).txt".
func numbered(name string, n int) string {
	if n < 2 {
		return name
	}
	ext := filepath.Ext(name)
	if ext == name || len(ext) > maxExtBytes {
		ext = ""
	}
	return name[:len(name)-len(ext)] + " (" + strconv.Itoa(n) + ")" + ext
}
