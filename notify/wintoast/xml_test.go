package wintoast

import (
	"encoding/xml"
	"errors"
	"io"
	"strings"
	"testing"
	"unicode/utf8"

	"directuschat/notify"
)

// hostile is text a chat message could carry that a script, a shell or
// markup would act on. None of it may change the toast's structure.
var hostile = map[string]string{
	"subexpression":    `$(Start-Process calc)`,
	"env":              `$env:USERPROFILE ${env:APPDATA} $HOME`,
	"backticks":        "`$(calc)` ``n `\"",
	"ascii quotes":     `" ' "" '' \" \'`,
	"unicode quotes":   "“$(calc)” „$(calc)“ ‘$(calc)’ ‚$(calc)‘ ‛‟ «» ‹› ＂＇",
	"quote escape":     "”; Start-Process calc; “",
	"newlines":         "line 1\nline 2\r\nline 3\rline 4\u2028line 5\u0085",
	"nul":              "before\x00after",
	"controls":         "\x01\x07\x08\x0b\x0c\x1b[31m\x7f",
	"xml":              `</text></binding><binding template="x"><text>injected</text> <!-- --> <![CDATA[x]]> &amp; &lt; &#x41; &bogus;`,
	"processing instr": `<?xml version="1.0"?><!DOCTYPE toast [<!ENTITY x SYSTEM "file:///c:/windows/win.ini">]>&x;`,
	"invalid utf8":     "a\xff\xfeb\xc3",
	"surrogate-ish":    "\uFFFE\uFFFF\U0001F600",
	"10 KB":            strings.Repeat("$(Start-Process calc)“”„ ", 10*1024/24+1),
}

// parse reads toast XML the way any conforming XML parser does and
// returns the text of each element path it meets, failing on anything but
// toast/visual/binding/{image,text,text}.
func parse(t *testing.T, doc string) (texts []string, icon string) {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(doc))
	d.Strict = true
	var path []string
	var cur *strings.Builder
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("the toast XML does not parse: %v\n%s", err, doc)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			path = append(path, tok.Name.Local)
			p := strings.Join(path, "/")
			switch p {
			case "toast", "toast/visual":
			case "toast/visual/binding":
				if len(tok.Attr) != 1 || tok.Attr[0].Name.Local != "template" || tok.Attr[0].Value != "ToastGeneric" {
					t.Fatalf("binding attributes %v", tok.Attr)
				}
			case "toast/visual/binding/image":
				for _, a := range tok.Attr {
					if a.Name.Local == "src" {
						icon = a.Value
					}
				}
			case "toast/visual/binding/text":
				cur = &strings.Builder{}
			default:
				t.Fatalf("unexpected element %s in\n%s", p, doc)
			}
		case xml.EndElement:
			if cur != nil {
				texts = append(texts, cur.String())
				cur = nil
			}
			path = path[:len(path)-1]
		case xml.CharData:
			if cur != nil {
				cur.Write(tok)
			} else if strings.TrimSpace(string(tok)) != "" {
				t.Fatalf("text %q outside a text element", tok)
			}
		default:
			t.Fatalf("unexpected token %T %v in\n%s", tok, tok, doc)
		}
	}
	return texts, icon
}

// expected is what the toast must show for s: the text itself, with only
// the characters XML cannot hold replaced (a run of invalid UTF-8 bytes
// by one U+FFFD) and cut to limit runes.
func expected(s string, limit int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	var b strings.Builder
	for len(s) > 0 {
		r, n := utf8.DecodeRuneInString(s)
		s = s[n:]
		switch {
		case r == 0xFFFE, r == 0xFFFF, r < 0x20 && r != '\t' && r != '\n' && r != '\r':
			b.WriteRune('\uFFFD')
		default:
			b.WriteRune(r)
		}
	}
	out := []rune(b.String())
	if len(out) > limit {
		return string(out[:limit-1]) + "…"
	}
	return string(out)
}

func TestHostileTextStaysText(t *testing.T) {
	for name, text := range hostile {
		t.Run(name, func(t *testing.T) {
			title := "Ada " + text
			doc, err := XML(title, text, `C:\Users\ada\AppData\Local\fyne\io.github.directuschat.desktop\icon.png`)
			if err != nil {
				t.Fatal(err)
			}
			if !utf8.ValidString(doc) || strings.ContainsRune(doc, 0) {
				t.Fatalf("the toast XML is not clean UTF-8 without NUL")
			}
			texts, icon := parse(t, doc)
			want := []string{expected(title, MaxTitleRunes), expected(text, MaxBodyRunes)}
			if len(texts) != 2 || texts[0] != want[0] || texts[1] != want[1] {
				t.Fatalf("the toast shows %q, want %q\nXML: %s", texts, want, doc)
			}
			if icon != "file:///C:/Users/ada/AppData/Local/fyne/io.github.directuschat.desktop/icon.png" {
				t.Errorf("icon src %q", icon)
			}
		})
	}
}

// The exact bytes for a plain and a hostile notification: markup in the
// text is escaped character data.
func TestExactBytes(t *testing.T) {
	doc, err := XML("Ada", `<b>hi</b> & "$(calc)"`+"\n“x”", "")
	if err != nil {
		t.Fatal(err)
	}
	want := `<toast><visual><binding template="ToastGeneric"><text>Ada</text>` +
		`<text>&lt;b&gt;hi&lt;/b&gt; &amp; &#34;$(calc)&#34;&#xA;“x”</text></binding></visual></toast>`
	if doc != want {
		t.Fatalf("toast XML\n got %s\nwant %s", doc, want)
	}
}

func TestSanitizeCuts(t *testing.T) {
	long := strings.Repeat("é", MaxBodyRunes+50)
	got := notify.Sanitize(long, MaxBodyRunes)
	if n := utf8.RuneCountInString(got); n != MaxBodyRunes || !strings.HasSuffix(got, "…") {
		t.Fatalf("cut to %d runes, ends %q", n, got[len(got)-6:])
	}
	if got := notify.Sanitize("short", MaxBodyRunes); got != "short" {
		t.Fatalf("Clean(short) = %q", got)
	}
}
