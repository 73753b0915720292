package files

import (
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestSafeFileName(t *testing.T) {
	long := strings.Repeat("é", 5000) + ".pdf" // 10 KB
	for _, c := range []struct{ in, want string }{
		{"photo.jpg", "photo.jpg"},
		{"../../etc/passwd", "_.._etc_passwd"},
		{"..", "download"},
		{".", "download"},
		{"", "download"},
		{"/", "_"},
		{`C:\x`, "C__x"},
		{`..\..\Windows\win.ini`, "_.._Windows_win.ini"},
		{"CON.txt", "_CON.txt"},
		{"con", "_con"},
		{"Lpt1.tar.gz", "_Lpt1.tar.gz"},
		{"COM¹.txt", "_COM¹.txt"},
		{"CONSOLE.txt", "CONSOLE.txt"},
		{"nul .txt", "_nul .txt"},
		{"report. . .", "report"},
		{" .hidden", "hidden"},
		{"invoice\u202Egnp.exe", "invoicegnp.exe"},
		{"a\u2066b\u2069c\u200Bd", "abcd"},
		{"line\nbreak\r\x00\x1b[31m.txt", "linebreak[31m.txt"},
		{"tab\there", "tabhere"},
		{"why?*<>|\".txt", "why______.txt"},
		{"bad\xff\xfeutf8.txt", "bad_utf8.txt"},
		{"👩\u200d💻 notes.md", "👩\u200d💻 notes.md"},
		{"日本語のファイル.png", "日本語のファイル.png"},
	} {
		if got := SafeFileName(c.in); got != c.want {
			t.Errorf("SafeFileName(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	got := SafeFileName(long)
	if len(got) > MaxNameBytes || !utf8.ValidString(got) || !strings.HasSuffix(got, ".pdf") {
		t.Errorf("10 KB name: %d bytes, valid %t, %q...", len(got), utf8.ValidString(got), got[len(got)-10:])
	}
	if got := SafeFileName(strings.Repeat("x", 300)); len(got) != MaxNameBytes {
		t.Errorf("300 x: %d bytes, want %d", len(got), MaxNameBytes)
	}
	if got := SafeFileName("a." + strings.Repeat("x", 300)); len(got) > MaxNameBytes {
		t.Errorf("long extension: %d bytes", len(got))
	}
}

// TestSafeFileNameStaysInFolder: whatever the name, joined to a folder it
// names a file directly in that folder.
func TestSafeFileNameStaysInFolder(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "dl")
	for _, in := range []string{"../../etc/passwd", "..", "/etc/passwd", `C:\x`, `\\server\share\x`, "a/../../b",
		"../", ".../...", "\u202E../..", strings.Repeat("../", 2000)} {
		name := SafeFileName(in)
		p := filepath.Join(dir, name)
		if filepath.Dir(p) != dir || name == "." || name == ".." || strings.ContainsAny(name, `/\`) {
			t.Errorf("SafeFileName(%.40q) = %q leaves %s", in, name, dir)
		}
	}
}

func TestNumbered(t *testing.T) {
	for _, c := range []struct {
		in   string
		n    int
		want string
	}{
		{"a.txt", 1, "a.txt"}, {"a.txt", 2, "a (2).txt"}, {"a", 3, "a (3)"}, {"a.tar.gz", 2, "a.tar (2).gz"},
	} {
		if got := numbered(c.in, c.n); got != c.want {
			t.Errorf("numbered(%q, %d) = %q, want %q", c.in, c.n, got, c.want)
		}
	}
}
