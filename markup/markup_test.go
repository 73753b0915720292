package markup

import (
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"directuschat/mention"
)

// uid is a user id as Directus writes it; tok its mention token.
const (
	uid = "01234567-89ab-cdef-0123-456789abcdef"
	tok = "<@" + uid + ">"
)

type golden struct {
	name, in, want string
}

func runGolden(t *testing.T, cases []golden) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			doc := Parse(c.in)
			if got := dump(doc); got != c.want {
				t.Errorf("Parse(%q)\n got %s\nwant %s", c.in, got, c.want)
			}
			checkDoc(t, c.in, doc)
		})
	}
}

func TestFormatting(t *testing.T) {
	runGolden(t, []golden{
		{"empty", "", ``},
		{"blank", "  \n\n \t\n", ``},
		{"plain", "hello", `P["hello"]`},
		{"styles", "**bold** *it* ~~s~~ `c`", `P[b"bold" " " i"it" " " s"s" " " c"c"]`},
		{"other markers", "***both*** _x_ __y__ ~z~", `P[bi"both" " " i"x" " " b"y" " " s"z"]`},
		{"nested styles", "**a *b ~~c~~***", `P[b"a " bi"b " bis"c"]`},
		{"newline is a line break", "a\nb", `P["a\nb"]`},
		{"hard breaks", "a  \nb\\\nc", `P["a\nb\nc"]`},
		{"line break keeps styles apart", "**a**\nb", `P[b"a" "\nb"]`},
		{"paragraphs", "a\n\nb", `P["a"] P["b"]`},
		{"trailing newlines", "a\n\n\n", `P["a"]`},
		{"intraword underscores", "snake_case_name and 2*3*4", `P["snake_case_name and 2" i"3" "4"]`},
		{"lone stars", "1 * 2 * 3", `P["1 * 2 * 3"]`},
		{"unclosed", "**not closed and `no code", `P["**not closed and ` + "`" + `no code"]`},
		{"escapes", `\*not italic\* \_x\_ \~~y~~ \~~z\~~`, `P["*not italic* _x_ ~~y~~ ~~z~~"]`},
		{"references", "&amp; &lt;3 &#x1F600; &#128512; &#0; &bogus; AT&T", `P["& <3 😀 😀 ` + "\uFFFD" + ` &bogus; AT&T"]`},
		{"fenced code", "```go\nfunc f() { **x** }\n```", `Code(go "func f() { **x** }")`},
		{"fence info", "~~~python title=x\nprint(1)\n~~~", `Code(python "print(1)")`},
		{"indented code", "    indented *x*\n      more", `Code("indented *x*\n  more")`},
		{"unclosed fence", "```\nunclosed *x*\n\n[a](https://a.com)", `Code("unclosed *x*\n\n[a](https://a.com)")`},
		{"code between text", "text\n```js\nlet a = `b`;\n```\nafter", `P["text"] Code(js "let a = ` + "`b`" + `;") P["after"]`},
		{"code span as typed", "`a  **b**  \\* &amp; <b>` and ``x ` y``", `P[c"a  **b**  \\* &amp; <b>" " and " c"x ` + "`" + ` y"]`},
		{"code span newline", "`a\nb`", `P[c"a b"]`},
		{"quote", "> quote\n> more\nlazy", `Q{P["quote\nmore\nlazy"]}`},
		{"quote then text", "> q\n\nt", `Q{P["q"]} P["t"]`},
		{"nested quote", "> a\n>> b", `Q{P["a"] Q{P["b"]}}`},
		{"bullets", "- a\n- b\n* c", `UL{[P["a"]] [P["b"]]} UL{[P["c"]]}`},
		{"numbers", "3. x\n4. y", `OL3{[P["x"]] [P["y"]]}`},
		{"nested list", "- a\n  - b\n\n  c", `UL{[P["a"] UL{[P["b"]]} P["c"]]}`},
		{"list with code", "1. run\n   ```\n   make\n   ```", `OL1{[P["run"] Code("make")]}`},
		{"quote in list", "- > q", `UL{[Q{P["q"]}]}`},
		{"empty item", "-\n- b", `UL{[] [P["b"]]}`},
		{"headings are text", "# Title\nSub\n===", `P["# Title\nSub\n==="]`},
		{"rules are text", "a\n---\n***\n___", `P["a\n---\n***\n___"]`},
		{"tables are text", "| a | b |\n|---|---|\n| 1 | 2 |", `P["| a | b |\n|---|---|\n| 1 | 2 |"]`},
		{"inline html is text", "<b>hi</b> <script>alert(1)</script>", `P["<b>hi</b> <script>alert(1)</script>"]`},
		{"html block is text", "<div>\n<img src=x onerror=alert(1)>\n</div>", `P["<div>\n<img src=x onerror=alert(1)>\n</div>"]`},
		{"html comment is text", "a <!-- hidden --> b", `P["a <!-- hidden --> b"]`},
		{"reference definitions are text", "[x]: https://a.com\n[x] [y][x]", `P["[x]: " link("https://a.com" -> "https://a.com") "\n[x] [y][x]"]`},
		{"task list", "- [ ] todo\n- [x] done", `UL{[P["[ ] todo"]] [P["[x] done"]]}`},
		{"cjk and emoji", "日本語のテキスト、**太字**です 👍🏽 👨\u200d👩\u200d👧 🇫🇷", `P["日本語のテキスト、" b"太字" "です 👍🏽 👨\u200d👩\u200d👧 🇫🇷"]`},
		{"rtl", "مرحبا *بالعالم*", `P["مرحبا " i"بالعالم"]`},
		{"combining marks", "Z̤͔ͧ̑a̵l̷go e\u0301", "P[" + strconv.Quote("Z̤͔ͧ̑a̵l̷go e\u0301") + "]"},
		{"crlf", "a\r\nb\r\n\r\nc\rd", `P["a\nb"] P["c\nd"]`},
		{"nul", "a\x00b", `P["a` + "\uFFFD" + `b"]`},
		{"noncharacter", "a\uFDD0b", `P["a` + "\uFFFD" + `b"]`},
	})
}

func TestLinks(t *testing.T) {
	runGolden(t, []golden{
		{"bare url", "see https://example.com/x.", `P["see " link("https://example.com/x" -> "https://example.com/x") "."]`},
		{"bare url in parens", "(https://en.wikipedia.org/wiki/Go_(language))", `P["(" link("https://en.wikipedia.org/wiki/Go_(language)" -> "https://en.wikipedia.org/wiki/Go_(language)") ")"]`},
		{"www", "www.example.com, ok", `P[link("www.example.com" -> "http://www.example.com") ", ok"]`},
		{"email", "mail bob@example.com", `P["mail " link("bob@example.com" -> "mailto:bob@example.com")]`},
		{"autolinks", "<https://example.com> <bob@example.com>", `P[link("https://example.com" -> "https://example.com") " " link("bob@example.com" -> "mailto:bob@example.com")]`},
		{"link", "[docs](https://example.com/docs)", `P[link("docs" -> "https://example.com/docs")]`},
		{"link title dropped", `[y](https://a.com "title")`, `P[link("y" -> "https://a.com")]`},
		{"styled link", "**[x](https://a.com)** [**bold** link](https://a.com)", `P[blink("x" -> "https://a.com") " " link("bold link" -> "https://a.com")]`},
		{"url in bold", "**https://a.com**", `P[blink("https://a.com" -> "https://a.com")]`},
		{"empty text", "[](https://a.com)", `P[link("https://a.com" -> "https://a.com")]`},
		{"mailto", "[x](mailto:bob@example.com) [x](MAILTO:bob@example.com)", `P[link("x" -> "mailto:bob@example.com") " " link("x" -> "mailto:bob@example.com")]`},
		{"target written back", "[z](<https://A.com/a b>) [x](https://bücher.de:8443/ü)", `P[link("z" -> "https://a.com/a%20b") " " link!("x" -> "https://xn--bcher-kva.de:8443/%C3%BC")]`},
		{"ipv6", "[x](http://[::1]:8080/)", `P[link("x" -> "http://[::1]:8080/")]`},
		{"image is a link", "![cat](https://example.com/cat.png)", `P[link("cat" -> "https://example.com/cat.png")]`},
		{"image without text", "![](https://x.com/p.gif)", `P[link("https://x.com/p.gif" -> "https://x.com/p.gif")]`},
		{"image in link", "[![cat](https://x.com/c.png)](https://x.com)", `P[link("cat" -> "https://x.com")]`},
		{"code is not linked", "`https://a.com` and\n```\nhttps://b.com\n```", `P[c"https://a.com" " and"] Code("https://b.com")`},
		{"ftp is not linked", "ftp://example.com/x", `P["ftp://example.com/x"]`},
	})
}

func TestHostileLinks(t *testing.T) {
	runGolden(t, []golden{
		{"javascript", "[click](javascript:alert(1))", `P["click"]`},
		{"javascript upper case", "[click](JavaScript:alert(1))", `P["click"]`},
		{"javascript entity", "[x](&#106;avascript:alert(1)) [y](java&#x73;cript:alert(1))", `P["x y"]`},
		{"javascript escaped", `[x](javascript\:alert(1))`, `P["x"]`},
		{"javascript in brackets", "[x](<javascript:alert(1)>)", `P["x"]`},
		{"javascript autolink", "<javascript:alert(1)>", `P["javascript:alert(1)"]`},
		{"javascript image", "![x](javascript:alert(1))", `P["x"]`},
		{"vbscript", "[x](vbscript:msgbox)", `P["x"]`},
		{"file", "[x](file:///etc/passwd) <file:///etc/passwd>", `P["x file:///etc/passwd"]`},
		{"data", "[x](data:text/html,<script>alert(1)</script>)", `P["x"]`},
		{"data image", "![cat](data:image/png;base64,iVBORw0KGgo=)", `P["cat"]`},
		{"styled text kept", "[**x**](javascript:alert(1))", `P[b"x"]`},
		{"relative", "[x](/relative) [y](relative) [z](#frag) [w](?q)", `P["x y z w"]`},
		{"protocol relative", "[x](//evil.com)", `P["x"]`},
		{"custom scheme", "[x](custom://thing) [y](slack://open) [z](chrome://settings)", `P["x y z"]`},
		{"no host", "[x](http://) [y](https:evil.com) [z](https:///path)", `P["x y z"]`},
		{"bad host", "[x](https://a b.com) [y](http://[::1) [z](https://xn--a.com)", `P["[x](https://a b.com) y z"]`},
		{"empty mailto", "[x](mailto:) [y](mailto:?subject=hi)", `P["x y"]`},
		{"empty", "[x]() [y](<>)", `P["x y"]`},
		{"bidi in target", "[x](https://ex\u202eample.com/\u2066a) [y](\u202ehttps://a.com)", `P[link("x" -> "https://example.com/a") " " link("y" -> "https://a.com")]`},
		{"bidi in text", "[\u202egro.elpmaxe](https://example.org)", `P[link!("gro.elpmaxe" -> "https://example.org")]`},
		{"bidi in bare url", "https://a.com/\u202efdp.exe", `P[link("https://a.com/" -> "https://a.com/") "\u202efdp.exe"]`},
		{"zero width host", "[google.com](https://goo\u200bgle.com)", `P[link("google.com" -> "https://google.com")]`},
		{"user info", "[x](https://user:pass@evil.com)", `P[link!("x" -> "https://user:pass@evil.com")]`},
		{"user info bare", "https://google.com@evil.com", `P[link!("https://google.com@evil.com" -> "https://google.com@evil.com")]`},
		{"raw html", `<a href="javascript:alert(1)">x</a> <img src="https://t.example/p.gif">`, `P["<a href=\"javascript:alert(1)\">x</a> <img src=\"https://t.example/p.gif\">"]`},
		{"iframe block", "<iframe src=\"https://evil.example\"></iframe>", `P["<iframe src=\"https://evil.example\"></iframe>"]`},
	})
}

func TestDeceptiveLinks(t *testing.T) {
	runGolden(t, []golden{
		{"other url", "[https://paypal.com](https://evil.example)", `P[link!("https://paypal.com" -> "https://evil.example")]`},
		{"longer host", "[paypal.com](https://paypal.com.evil.example)", `P[link!("paypal.com" -> "https://paypal.com.evil.example")]`},
		{"same host, a path", "[paypal.com](https://paypal.com/login)", `P[link("paypal.com" -> "https://paypal.com/login")]`},
		{"www", "[www.paypal.com](https://paypal.com) [paypal.com](https://www.paypal.com)", `P[link("www.paypal.com" -> "https://paypal.com") " " link("paypal.com" -> "https://www.paypal.com")]`},
		{"words", "[click here](https://evil.example)", `P[link("click here" -> "https://evil.example")]`},
		{"url among words", "[Visit https://bank.com now](https://evil.example)", `P[link!("Visit https://bank.com now" -> "https://evil.example")]`},
		{"domain in parens", "[the bank (bank.com)](https://evil.example)", `P[link!("the bank (bank.com)" -> "https://evil.example")]`},
		{"other path", "[https://github.com/org/repo](https://github.com/evil/repo)", `P[link!("https://github.com/org/repo" -> "https://github.com/evil/repo")]`},
		{"other query", "[https://a.com/?id=1](https://a.com/?id=2)", `P[link!("https://a.com/?id=1" -> "https://a.com/?id=2")]`},
		{"other port", "[a.com:8080](https://a.com:9090)", `P[link!("a.com:8080" -> "https://a.com:9090")]`},
		{"same but scheme and case", "[http://EXAMPLE.com](https://example.com/) [example.com:8080](http://example.com:8080/)", `P[link("http://EXAMPLE.com" -> "https://example.com/") " " link("example.com:8080" -> "http://example.com:8080/")]`},
		{"email", "[bob@example.com](mailto:bob@example.com) [bob@example.com](mailto:eve@example.com) [bob@example.com](https://evil.example)", `P[link("bob@example.com" -> "mailto:bob@example.com") " " link!("bob@example.com" -> "mailto:eve@example.com") " " link!("bob@example.com" -> "https://evil.example")]`},
		{"url text to mailto", "[https://a.com](mailto:bob@a.com)", `P[link!("https://a.com" -> "mailto:bob@a.com")]`},
		{"look-alike letter", "[аpple.com](https://apple.com)", `P[link!("аpple.com" -> "https://apple.com")]`},
		{"look-alike target", "[аpple.com](https://аpple.com)", `P[link!("аpple.com" -> "https://xn--pple-43d.com")]`},
		{"hidden zero width", "[goo\u200bgle.com](https://google.com)", `P[link("goo\u200bgle.com" -> "https://google.com")]`},
		{"not a url", "[ftp://](https://a.com)", `P[link!("ftp://" -> "https://a.com")]`},
		{"not domains", "[e.g. v1.2 i.e. U.S.A.](https://a.com)", `P[link("e.g. v1.2 i.e. U.S.A." -> "https://a.com")]`},
		{"errs on the side of saying so", "[node.js](https://nodejs.org)", `P[link!("node.js" -> "https://nodejs.org")]`},
		{"autolinks never", "https://example.com/a?b=c#d www.example.com <https://example.com>", `P[link("https://example.com/a?b=c#d" -> "https://example.com/a?b=c#d") " " link("www.example.com" -> "http://www.example.com") " " link("https://example.com" -> "https://example.com")]`},
	})
}

func TestMentions(t *testing.T) {
	upper := "<@" + strings.ToUpper(uid) + ">"
	runGolden(t, []golden{
		{"mention", "hi " + tok + "!", `P["hi " @` + uid + ` "!"]`},
		{"upper case id", upper, `P[@` + uid + `("` + upper + `")]`},
		{"alone", tok, `P[@` + uid + `]`},
		{"two", tok + tok, `P[@` + uid + ` @` + uid + `]`},
		{"styled", "**" + tok + "** _hey " + tok + "_", `P[b@` + uid + ` " " i"hey " i@` + uid + `]`},
		{"in quote and list", "> " + tok + "\n\n- " + tok, `Q{P[@` + uid + `]} UL{[P[@` + uid + `]]}`},
		{"not in code", "`" + tok + "`\n```\n" + tok + "\n```", `P[c"` + tok + `"] Code("` + tok + `")`},
		{"link text stays text", "[" + tok + "](https://a.com)", `P[link("` + tok + `" -> "https://a.com")]`},
		{"invalid id", "<@nope> <@" + uid + "0>", `P["<@nope> <@` + uid + `0>"]`},
		{"cut by formatting", "**<@" + uid + "**>", `P[b"<@` + uid + `" ">"]`},
		{"next to text", "a" + tok + "b", `P["a" @` + uid + ` "b"]`},
	})
}

func TestDepthCapped(t *testing.T) {
	runGolden(t, []golden{
		{"quotes on a line", strings.Repeat("> ", 12) + "deep", `Q{Q{Q{Q{Q{Q{Q{Q{P["> > > > deep"]}}}}}}}}`},
		{"quotes without spaces", strings.Repeat(">", 10) + "x", `Q{Q{Q{Q{Q{Q{Q{Q{P[">>x"]}}}}}}}}`},
		{"bullets on a line", strings.Repeat("- ", 10) + "deep", `UL{[UL{[UL{[UL{[UL{[UL{[UL{[UL{[P["- - deep"]]}]}]}]}]}]}]}]}`},
		{"numbers on a line", strings.Repeat("1. ", 9) + "deep", `OL1{[OL1{[OL1{[OL1{[OL1{[OL1{[OL1{[OL1{[P["1. deep"]]}]}]}]}]}]}]}]}`},
		{"mixed on a line", strings.Repeat("> - ", 5) + "x", `Q{UL{[Q{UL{[Q{UL{[Q{UL{[P["> - x"]]}}]}}]}}]}}`},
		{"in code untouched", "```\n" + strings.Repeat("> ", 12) + "\n```", `Code("` + strings.Repeat("> ", 12) + `")`},
		{"deep indentation in code untouched", "```\n" + strings.Repeat(" ", 80) + "x\n\t\t\t\t\t\t\t\t\t\ty\n```",
			`Code("` + strings.Repeat(" ", 80) + `x\n\t\t\t\t\t\t\t\t\t\ty")`},
		{"deep indentation beyond maxIndent shows", "a\n" + strings.Repeat(" ", 70) + "b", `P["a\n      b"]`},
		{"indented lists flattened", func() string {
			var b strings.Builder
			for i := range 11 {
				b.WriteString(strings.Repeat("  ", i) + "- " + string(rune('a'+i)) + "\n")
			}
			return b.String()
		}(), `UL{[P["a"] UL{[P["b"] UL{[P["c"] UL{[P["d"] UL{[P["e"] UL{[P["f"] UL{[P["g"] UL{[P["h"] P["i"] P["j"] P["k"]]}]}]}]}]}]}]}]}`},
	})
}

// TestBracketsCapped: in a paragraph, the "[" after the first maxBrackets
// open no link (the bare URL is still one); the next paragraph has links
// again.
func TestBracketsCapped(t *testing.T) {
	const link = "[x](https://a.com)"
	doc := Parse(strings.Repeat(link+" ", maxBrackets+1) + "\n\n" + link)
	if len(doc.Blocks) != 2 {
		t.Fatalf("got %s, want two paragraphs", dump(doc))
	}
	links := 0
	for _, s := range doc.Blocks[0].Spans {
		if s.Kind == LinkSpan && s.Text == "x" {
			links++
		}
	}
	tail := dump(Doc{Blocks: doc.Blocks[:1]})
	tail = tail[strings.LastIndex(tail, `"x"`):]
	if want := `"x" -> "https://a.com") " [x](" link("https://a.com" -> "https://a.com") ")"]`; links != maxBrackets || tail != want {
		t.Errorf("first paragraph has %d links, ends in %s, want %d links and an end %s", links, tail, maxBrackets, want)
	}
	if got, want := dump(Doc{Blocks: doc.Blocks[1:]}), `P[link("x" -> "https://a.com")]`; got != want {
		t.Errorf("second paragraph %s, want %s", got, want)
	}
}

func TestPlainText(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"", ""},
		{"**bold** *it* ~~s~~ `c`", "bold it s c"},
		{"a\nb\n\nc", "a\nb\nc"},
		{"[docs](https://example.com/docs) https://a.com www.a.com bob@a.com", "docs (https://example.com/docs) https://a.com www.a.com bob@a.com"},
		{"[example.com](https://example.com/x)", "example.com (https://example.com/x)"},
		{"[x](javascript:alert(1))", "x"},
		{"hi " + tok, "hi " + tok},
		{"> q1\n> q2\n\nt", "> q1\n> q2\nt"},
		{"- a\n- b\n  c\n\n  d", "• a\n• b\n  c\n  d"},
		{"9. a\n10. b", "9. a\n10. b"},
		{"- > q\n  - x", "• > q\n  • x"},
		{"```go\nfunc f() {\n\treturn\n}\n```", "func f() {\n\treturn\n}"},
		{"日本語 👍🏽", "日本語 👍🏽"},
	} {
		if got := PlainText(Parse(c.in)); got != c.want {
			t.Errorf("PlainText(Parse(%q)) = %q, want %q", c.in, got, c.want)
		}
	}
}

// TestTextUntouched: text without Markdown in it comes out as typed.
func TestTextUntouched(t *testing.T) {
	for _, s := range []string{
		"Hello, world",
		"日本語のテキストです。改行\nも",
		"😀 👍🏽 👨\u200d👩\u200d👧 🏳️\u200d🌈 🇯🇵",
		"مرحبا بالعالم",
		"שלום עולם",
		"Привет, мир",
		"नमस्ते दुनिया",
		"e\u0301 a\u0308",
		"price: 5 $ (approx.) ~ 10 % < 20 > 3",
	} {
		doc := Parse(s)
		if len(doc.Blocks) != 1 || len(doc.Blocks[0].Spans) != 1 || doc.Blocks[0].Spans[0].Text != s {
			t.Errorf("Parse(%q) = %s, want the text as one span", s, dump(doc))
		}
	}
}

// pathological is 64 KiB texts built to make a Markdown parser slow or its
// tree deep (goldmark alone took up to 5 s on some).
func pathological() map[string]string {
	const n = 64 << 10
	fill := func(unit string) string { return strings.Repeat(unit, n/len(unit)) }
	lines := func(line func(i int) string) string {
		var b strings.Builder
		for i := 0; b.Len() < n; i++ {
			b.WriteString(line(i))
		}
		return b.String()
	}
	return map[string]string{
		"quotes":            fill(">"),
		"spaced quotes":     fill("> "),
		"quotes then lazy":  strings.Repeat(">", n/2) + " a\n" + strings.Repeat("b\n", n/4),
		"many quote lines":  lines(func(int) string { return strings.Repeat(">", 250) + " a\n" }),
		"bullets":           fill("- "),
		"bullets then lazy": strings.Repeat("- ", n/4) + "a\n" + strings.Repeat("b\n", n/4),
		"numbers":           fill("1. "),
		"mixed":             fill("> - 1) "),
		"indented lists":    lines(func(i int) string { return strings.Repeat(" ", 2*i) + "- a\n" }),
		"stacked indented lists": lines(func(i int) string {
			return strings.Repeat(" ", 16*i) + strings.Repeat("- ", 8) + "a\n"
		}),
		"brackets":        fill("["),
		"closed brackets": strings.Repeat("[", n/2) + strings.Repeat("]", n/2),
		"open links":      fill("[a]("),
		"open images":     fill("![a]("),
		"open angle link": fill("[a](<"),
		"parens":          "[a](" + strings.Repeat("(", n),
		"emphasis":        fill("*a **a "),
		"delimiters":      fill("*_"),
		"stars":           strings.Repeat("*", n/2) + "a" + strings.Repeat("_", n/2),
		"tildes":          fill("~~a "),
		"backticks":       fill("`a``"),
		"angles":          fill("<"),
		"autolinks":       fill("<http://a"),
		"urls":            fill(" www.a.b"),
		"emails":          fill("a@"),
		"entities":        fill("&#"),
		"ampersands":      fill("&"),
		"escapes":         fill("\\"),
		"fences":          fill("```\n"),
		"lines":           fill("a\n"),
		"mention starts":  fill("<@"),
		"mentions":        fill(tok),
		"noncharacters":   fill("\uFDD0"),
	}
}

func TestPathologicalIsBounded(t *testing.T) {
	budget := time.Second
	if raceEnabled {
		budget *= 10
	}
	for name, in := range pathological() {
		t.Run(name, func(t *testing.T) {
			start := time.Now()
			doc := Parse(in)
			if d := time.Since(start); d > budget {
				t.Errorf("Parse of %d bytes took %v, more than %v", len(in), d, budget)
			}
			checkDoc(t, in, doc)
		})
	}
}

func TestConcurrentParse(t *testing.T) {
	in := typical
	want := dump(Parse(in))
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 50 {
				if got := dump(Parse(in)); got != want {
					t.Errorf("concurrent Parse = %s, want %s", got, want)
					return
				}
			}
		})
	}
	wg.Wait()
}

// checkDoc checks what must hold for any doc, whatever the text: nesting
// within MaxDepth, no empty paragraph or text, links only to allowed
// targets and free of bidi controls, mentions valid and outside code, no
// sentinel left, no text invented.
func checkDoc(t *testing.T, in string, doc Doc) {
	t.Helper()
	var walk func(blocks []Block, depth int)
	walk = func(blocks []Block, depth int) {
		for _, b := range blocks {
			switch b.Kind {
			case Paragraph:
				if len(b.Spans) == 0 {
					t.Errorf("empty paragraph")
				}
				for _, s := range b.Spans {
					checkSpan(t, in, s)
				}
			case CodeBlock:
				checkNoSentinel(t, b.Code)
				checkNoSentinel(t, b.Language)
			case Quote, List:
				if depth >= MaxDepth {
					t.Errorf("a %v at depth %d, beyond MaxDepth", b.Kind, depth)
				}
				walk(b.Blocks, depth+1)
				for _, item := range b.Items {
					walk(item, depth+1)
				}
			default:
				t.Errorf("unknown block kind %d", b.Kind)
			}
		}
	}
	walk(doc.Blocks, 0)
}

func checkSpan(t *testing.T, in string, s Span) {
	t.Helper()
	if s.Text == "" {
		t.Errorf("empty span %+v", s)
	}
	checkNoSentinel(t, s.Text)
	switch s.Kind {
	case TextSpan:
	case LinkSpan:
		if s.Style&Code != 0 {
			t.Errorf("link in code: %+v", s)
		}
		u, err := url.Parse(s.Target)
		if err != nil {
			t.Errorf("link %+v: %v", s, err)
			return
		}
		switch u.Scheme {
		case "http", "https":
			if u.Host == "" {
				t.Errorf("link without host: %+v", s)
			}
		case "mailto":
		default:
			t.Errorf("link with scheme %q: %+v", u.Scheme, s)
		}
		if strings.ContainsFunc(s.Text+s.Target, isBidiControl) {
			t.Errorf("bidi control in link %+v", s)
		}
	case MentionSpan:
		if s.Style&Code != 0 || !mention.ValidID(s.UserID) || s.UserID != strings.ToLower(s.UserID) ||
			!strings.EqualFold(s.Text, mention.Token(s.UserID)) || !strings.Contains(in, s.Text) {
			t.Errorf("bad mention %+v", s)
		}
	default:
		t.Errorf("unknown span kind %d", s.Kind)
	}
}

func checkNoSentinel(t *testing.T, s string) {
	t.Helper()
	if strings.ContainsFunc(s, isNoncharacter) {
		t.Errorf("noncharacter left in %q", s)
	}
	if !utf8.ValidString(s) {
		t.Errorf("invalid UTF-8 in %q", s)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"", "**a** _b_ ~~c~~ `d`", "> q\n- a\n  1. b", "```go\nx\n```", "[x](javascript:alert(1))",
		"[a.com](https://b.com)", "https://a.com www.b.com c@d.com", tok + " **" + tok + "**",
		strings.Repeat("> ", 20) + "x", strings.Repeat("[a](", 100), "a\uFDD0b\u202e", "&#x202E;[x](https://a.com/&#x202e;)",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		doc := Parse(in)
		checkDoc(t, in, doc)
		_ = PlainText(doc)
	})
}

// typical is a 200-character chat message with some formatting.
const typical = "Hey " + tok + ", the **deploy** failed again on `staging` :( " +
	"Logs are at https://ci.example.com/jobs/4821 and\n> _it looks like_ the ~~cache~~ disk is full\n- retry?"

func BenchmarkParseTypical(b *testing.B) {
	b.SetBytes(int64(len(typical)))
	for b.Loop() {
		Parse(typical)
	}
}

// BenchmarkParsePlain is a short message without formatting, the most
// common kind.
func BenchmarkParsePlain(b *testing.B) {
	const in = "ok, I will look at it after lunch and tell you what I find"
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		Parse(in)
	}
}

// BenchmarkParse4K is a 4 KiB message: paragraphs, a list, a quote, code.
func BenchmarkParse4K(b *testing.B) {
	unit := "Some **bold** and *italic* text with a [link](https://example.com/page) and `code`, " +
		"a mention " + tok + " and https://example.org/x.\n" +
		"- first item\n- second ~~item~~\n\n> quoted *line*\n\n```go\nfunc main() { fmt.Println(\"hi\") }\n```\n\n"
	in := strings.Repeat(unit, 4096/len(unit)+1)[:4096]
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		Parse(in)
	}
}

// BenchmarkParsePathological is the slowest of the 64 KiB pathological
// texts, one by one.
func BenchmarkParsePathological(b *testing.B) {
	for name, in := range pathological() {
		b.Run(strings.ReplaceAll(name, " ", "_"), func(b *testing.B) {
			b.SetBytes(int64(len(in)))
			for b.Loop() {
				Parse(in)
			}
		})
	}
}
