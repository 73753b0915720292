package ui

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"directuschat/markup"
)

// dumpDoc writes a row's model compactly: P[...] a paragraph of runs (b, i,
// s, c for the styles; link#N for a link, @ for a mention, @! for one of
// the user), Code("..."), Q{...}, UL{[item] [item]}, OLn{...}.
func dumpDoc(d richDoc) string {
	var b strings.Builder
	dumpBlocks(&b, d.blocks)
	for i, l := range d.links {
		fmt.Fprintf(&b, " #%d=%s", i, l.target)
		if l.deceptive {
			b.WriteString("!")
		}
	}
	return strings.TrimSpace(b.String())
}

func dumpBlocks(b *strings.Builder, bs []rblock) {
	for i, bl := range bs {
		if i > 0 {
			b.WriteByte(' ')
		}
		switch bl.kind {
		case markup.Paragraph:
			b.WriteString("P[")
			for j, r := range bl.runs {
				if j > 0 {
					b.WriteByte(' ')
				}
				for _, f := range []struct {
					s markup.Style
					c string
				}{{markup.Bold, "b"}, {markup.Italic, "i"}, {markup.Strike, "s"}, {markup.Code, "c"}} {
					if r.style&f.s != 0 {
						b.WriteString(f.c)
					}
				}
				switch {
				case r.link != 0:
					fmt.Fprintf(b, "link#%d", r.link-1)
				case r.mention && r.me:
					b.WriteString("@!")
				case r.mention:
					b.WriteString("@")
				}
				b.WriteString(strconv.Quote(r.text))
			}
			b.WriteString("]")
		case markup.CodeBlock:
			fmt.Fprintf(b, "Code(%q)", bl.code)
		case markup.Quote:
			b.WriteString("Q{")
			dumpBlocks(b, bl.children)
			b.WriteString("}")
		case markup.List:
			if bl.ordered {
				fmt.Fprintf(b, "OL%d{", bl.start)
			} else {
				b.WriteString("UL{")
			}
			for j, item := range bl.items {
				if j > 0 {
					b.WriteByte(' ')
				}
				b.WriteString("[")
				dumpBlocks(b, item)
				b.WriteString("]")
			}
			b.WriteString("}")
		}
	}
}

// bobID is a person's id; adaID (mentionpicker_test.go) is the user's.
const bobID = "11111111-2222-3333-4444-555555555555"

func testNames(id string) (string, bool) {
	switch id {
	case adaID:
		return "Ada Lovelace", true
	case bobID:
		return "Bob", true
	}
	return "", false
}

func TestToRich(t *testing.T) {
	for _, c := range []struct{ name, in, want string }{
		{"styles", "**b** *i* ~~s~~ `c` ***bi***", `P[b"b" " " i"i" " " s"s" " " c"c" " " bi"bi"]`},
		{"mentions by name", "hi <@" + bobID + "> and <@" + adaID + ">", `P["hi " @"@Bob" " and " @!"@Ada Lovelace"]`},
		{"unknown person", "<@99999999-2222-3333-4444-555555555555>", `P[@"@unknown user"]`},
		{"mention in link text", "[<@" + bobID + ">](https://a.example)", `P[link#0"@Bob"] #0=https://a.example`},
		{"links", "see [docs](https://go.dev) and [https://bank.example](https://evil.example)", `P["see " link#0"docs" " and " link#1"https://bank.example"] #0=https://go.dev #1=https://evil.example!`},
		{"hostile link is text", "[click](javascript:alert(1)) <javascript:x>", `P["click javascript:x"]`},
		{"blocks", "> q\n\n- a\n- b\n\n3. c\n\n```\nx\n```", `Q{P["q"]} UL{[P["a"]] [P["b"]]} OL3{[P["c"]]} Code("x")`},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := dumpDoc(toRich(markup.Parse(c.in), testNames, adaID)); got != c.want {
				t.Errorf("toRich(%q)\n got %s\nwant %s", c.in, got, c.want)
			}
		})
	}
	// Without people (a server without conversations) a mention shows as
	// typed.
	tok := "<@" + bobID + ">"
	if got, want := dumpDoc(toRich(markup.Parse(tok), nil, "")), `P[@"`+tok+`"]`; got != want {
		t.Errorf("without names: %s, want %s", got, want)
	}
}

func TestMayFormat(t *testing.T) {
	for _, c := range []struct {
		in   string
		want bool
	}{
		{"", false},
		{"ok, see you at 10.30 - bring the notes!", false},
		{"price: 5 + 3 = 8 (roughly) #1", false},
		{"line one\nline two\n\nparagraph", false},
		{"3 apples", false},
		{"3.14 is pi", false},
		{"-5 degrees", false},
		{"e-mail me", false},
		{"   three spaces", false},
		{"**bold**", true},
		{"snake_case", true},
		{"~", true},
		{"`x`", true},
		{"[x](y)", true},
		{"a <@id>", true},
		{"> quote", true},
		{"a & b", true},
		{`a \ b`, true},
		{"bob@example.com", true},
		{"see https://go.dev", true},
		{"see www.go.dev", true},
		{"- item", true},
		{"+ item", true},
		{"-", true},
		{"1. item", true},
		{"12) item", true},
		{"text\n  - item", true},
		{"    code", true},
		{"\tcode", true},
		{"a\r\nb", true},
	} {
		if got := mayFormat(c.in); got != c.want {
			t.Errorf("mayFormat(%q) = %v, want %v", c.in, got, c.want)
		}
	}
}

// Whatever mayFormat lets through as plain parses as plain text: the fast
// path draws exactly what the parse would.
func TestMayFormatNeverMissesFormatting(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []string{"a", "b", "Z", "é", "日", "👍", "0", "1", "9", " ", " ", " ", "\n", "\n\n", ".", ",", ";", ":", "!", "?",
		"'", "\"", "(", ")", "-", "+", "=", "#", "/", "%", "$", "^", "{", "}", "|", "http", "www", "com", "\u200b", "\u202e"}
	for i := range 50000 {
		var b strings.Builder
		for range rng.IntN(40) {
			b.WriteString(alphabet[rng.IntN(len(alphabet))])
		}
		s := b.String()
		if mayFormat(s) {
			continue
		}
		doc := toRich(markup.Parse(s), testNames, adaID)
		if _, ok := doc.plain(); !ok {
			t.Fatalf("case %d: mayFormat(%q) = false, but it parses as %s", i, s, dumpDoc(doc))
		}
	}
}

func TestFoldDoc(t *testing.T) {
	long := strings.Repeat("word ", 30) // 150 characters
	for _, c := range []struct {
		name, in     string
		runes, lines int
		want         string
		wantCut      bool
	}{
		{name: "fits", in: "**a** b\n\nc", runes: 10, lines: 3, want: `P[b"a" " b"] P["c"]`},
		{name: "lines of paragraphs", in: "a\n\nb\n\nc", runes: 100, lines: 2, want: `P["a"] P["b" " …"]`, wantCut: true},
		{name: "line breaks count", in: "a\nb\nc\nd", runes: 100, lines: 3, want: `P["a\nb\nc" " …"]`, wantCut: true},
		{name: "style kept across the cut", in: "**" + strings.TrimSpace(long) + "**", runes: 23, lines: 8, want: `P[b"word word word word" " …"]`, wantCut: true},
		{name: "code cut between lines keeps its frame", in: "```\n1\n2\n3\n4\n5\n```\nafter", runes: 100, lines: 3, want: `Code("1\n2\n3 …")`, wantCut: true},
		{name: "code after text", in: "text\n```\n1\n2\n```", runes: 100, lines: 2, want: `P["text"] Code("1 …")`, wantCut: true},
		{name: "list items are lines", in: "- a\n- b\n- c\n- d", runes: 100, lines: 2, want: `UL{[P["a"]] [P["b" " …"]]}`, wantCut: true},
		{name: "quote", in: "> a\n> b\n> c", runes: 100, lines: 2, want: `Q{P["a\nb" " …"]}`, wantCut: true},
		{name: "a name is not cut", in: "hello <@" + adaID + "> there", runes: 10, lines: 8, want: `P["hello " " …"]`, wantCut: true},
		{name: "link kept", in: "[docs here](https://a.example) more text", runes: 7, lines: 8, want: `P[link#0"docs he" " …"] #0=https://a.example`, wantCut: true},
	} {
		t.Run(c.name, func(t *testing.T) {
			doc := toRich(markup.Parse(c.in), testNames, adaID)
			got, cut := foldDoc(doc, c.runes, c.lines)
			if dumpDoc(got) != c.want || cut != c.wantCut {
				t.Errorf("foldDoc(%q, %d, %d)\n got %s (cut %v)\nwant %s (cut %v)", c.in, c.runes, c.lines, dumpDoc(got), cut, c.want, c.wantCut)
			}
		})
	}
}

// What a row shows of a message: plain text goes to labels as before,
// formatted text to a rich body, folded in the model.
func TestBodyFor(t *testing.T) {
	codeLines := "```\n" + strings.Repeat("line of code\n", 30) + "```"
	for _, c := range []struct {
		name, in  string
		expanded  bool
		rich      bool
		fold      foldState
		wantText  string
		checkDump func(string) bool
	}{
		{name: "plain", in: "hello there", wantText: "hello there"},
		{name: "plain after parse", in: "snake_case and 2 * 3", wantText: "snake_case and 2 * 3"},
		{name: "escapes resolved", in: `\*not bold\* &amp; co`, wantText: "*not bold* & co"},
		{name: "formatted", in: "**hi**", rich: true},
		{name: "long plain folds as before", in: strings.Repeat("a ", 400), fold: foldFolded,
			wantText: func() string { s, _ := foldText(strings.Repeat("a ", 400)); return s }()},
		{name: "long code folds between lines", in: codeLines, rich: true, fold: foldFolded,
			checkDump: func(d string) bool {
				return strings.HasPrefix(d, `Code("line of code\n`) && strings.HasSuffix(d, `line of code …")`) && strings.Count(d, `\n`) == foldLines-1
			}},
		{name: "long code expanded", in: codeLines, expanded: true, rich: true, fold: foldExpanded,
			checkDump: func(d string) bool { return strings.Count(d, "line of code") == 30 }},
		{name: "beyond an expanded row", in: "**x**\n" + strings.Repeat("word ", expandChars), expanded: true, rich: true, fold: foldCapped,
			checkDump: func(d string) bool { return strings.HasSuffix(d, ` " …"]`) }},
		{name: "plain beyond an expanded row", in: "x_y\n" + strings.Repeat("word ", expandChars), expanded: true, fold: foldCapped},
	} {
		t.Run(c.name, func(t *testing.T) {
			body, text, fold := bodyFor(c.in, c.expanded, testNames, adaID)
			if (body != nil) != c.rich || fold != c.fold {
				t.Fatalf("bodyFor: rich %v fold %v, want rich %v fold %v", body != nil, fold, c.rich, c.fold)
			}
			if c.wantText != "" && text != c.wantText {
				t.Errorf("text %q, want %q", text, c.wantText)
			}
			if body == nil && utf8.RuneCountInString(text) > expandChars+2 {
				t.Errorf("plain text of %d runes", utf8.RuneCountInString(text))
			}
			if c.checkDump != nil && !c.checkDump(dumpDoc(body.doc)) {
				t.Errorf("model %s", dumpDoc(body.doc))
			}
		})
	}
}

// A code block cut by the fold still copies whole.
func TestFoldedCodeCopiesWhole(t *testing.T) {
	code := strings.TrimSuffix(strings.Repeat("line of code\n", 30), "\n")
	body, _, fold := bodyFor("```\n"+code+"\n```", false, nil, "")
	if body == nil || fold != foldFolded {
		t.Fatalf("rich %v, fold %v", body != nil, fold)
	}
	lay := layoutDoc(&body.doc, 400, fakeMetrics{}, testFlow)
	if len(lay.codes) != 1 || lay.codes[0].full != code || !strings.HasSuffix(lay.codes[0].code, " …") {
		t.Fatalf("code block shows %q, copies %q", lay.codes[0].code, lay.codes[0].full)
	}
	body, _, _ = bodyFor("```\nshort\n```", false, nil, "")
	if lay := layoutDoc(&body.doc, 400, fakeMetrics{}, testFlow); lay.codes[0].full != "short" {
		t.Errorf("an uncut block copies %q", lay.codes[0].full)
	}
}

// Parsing is bounded by the source cut: a 100 KB message parses only what
// an expanded row may show.
func TestSourceCut(t *testing.T) {
	s := strings.Repeat("**word** ", 100<<10/9)
	cut, capped := sourceCut(s)
	if !capped || utf8.RuneCountInString(cut) > expandChars {
		t.Fatalf("cut to %d runes, capped %v", utf8.RuneCountInString(cut), capped)
	}
	lines := strings.Repeat("line\n", 500)
	cut, _ = sourceCut(lines)
	if strings.Count(cut, "\n") >= expandLines || strings.HasSuffix(cut, "lin") {
		t.Errorf("cut at %d lines ending %q", strings.Count(cut, "\n"), cut[len(cut)-5:])
	}
}
