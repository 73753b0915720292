package mention

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

const (
	ada   = "3f2c1a9e-7b4d-4e2a-9c1f-0a1b2c3d4e5f"
	grace = "9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a"
	upper = "3F2C1A9E-7B4D-4E2A-9C1F-0A1B2C3D4E5F"
)

func TestValidIDAndToken(t *testing.T) {
	tests := []struct {
		id   string
		want bool
	}{
		{ada, true},
		{upper, true},
		{strings.Repeat("-", 36), true}, // the rule is the character set, as the wire form says
		{"", false},
		{ada[:35], false},
		{ada + "0", false},
		{"3f2c1a9e-7b4d-4e2a-9c1f-0a1b2c3d4e5g", false},
		{"3f2c1a9e 7b4d-4e2a-9c1f-0a1b2c3d4e5f", false},
		{"3f2c1a9e-7b4d-4e2a-9c1f-0a1b2c3d4e5>", false},
		{"３f2c1a9e-7b4d-4e2a-9c1f-0a1b2c3d4e5", false}, // full-width digit
	}
	for _, tt := range tests {
		if got := ValidID(tt.id); got != tt.want {
			t.Errorf("ValidID(%q) = %v, want %v", tt.id, got, tt.want)
		}
	}
	if got := Token(ada); got != "<@"+ada+">" {
		t.Errorf("Token = %q", got)
	}
}

func TestSplit(t *testing.T) {
	tok := Token(ada)
	tests := []struct {
		name string
		text string
		want []Span
	}{
		{"empty", "", nil},
		{"plain", "hello", []Span{{Text: "hello"}}},
		{"only token", tok, []Span{{Text: tok, UserID: ada}}},
		{"around", "hi " + tok + "!", []Span{{Text: "hi "}, {Text: tok, UserID: ada}, {Text: "!"}}},
		{"adjacent tokens", tok + Token(grace), []Span{{Text: tok, UserID: ada}, {Text: Token(grace), UserID: grace}}},
		{"upper case id lowered", "<@" + upper + ">", []Span{{Text: "<@" + upper + ">", UserID: ada}}},
		{"unterminated", "<@" + ada, []Span{{Text: "<@" + ada}}},
		{"unterminated then token", "<@" + ada + " " + tok, []Span{{Text: "<@" + ada + " "}, {Text: tok, UserID: ada}}},
		{"short id", "<@abc>", []Span{{Text: "<@abc>"}}},
		{"long id", "<@" + ada + "0>", []Span{{Text: "<@" + ada + "0>"}}},
		{"not hex", "<@" + strings.Repeat("z", 36) + ">", []Span{{Text: "<@" + strings.Repeat("z", 36) + ">"}}},
		{"markup-ish", "<@here> <@everyone> <b>x</b>", []Span{{Text: "<@here> <@everyone> <b>x</b>"}}},
		{"nested open", "<@<@" + ada + ">>", []Span{{Text: "<@"}, {Text: tok, UserID: ada}, {Text: ">"}}},
		{"lone markers", "<@ @ < > <@>", []Span{{Text: "<@ @ < > <@>"}}},
		{"rtl around", "שלום " + tok + " مرحبا", []Span{{Text: "שלום "}, {Text: tok, UserID: ada}, {Text: " مرحبا"}}},
		{"combining before", "e\u0301" + tok + "\u0301", []Span{{Text: "e\u0301"}, {Text: tok, UserID: ada}, {Text: "\u0301"}}},
		{"invalid utf8 kept", "\xff" + tok + "\xfe", []Span{{Text: "\xff"}, {Text: tok, UserID: ada}, {Text: "\xfe"}}},
		{"bidi override inside id", "<@\u202e" + ada[3:] + ">", []Span{{Text: "<@\u202e" + ada[3:] + ">"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Split(tt.text)
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("Split(%q) =\n %q\nwant\n %q", tt.text, got, tt.want)
			}
			checkSpans(t, tt.text, got)
		})
	}
}

// checkSpans checks Split's promises: the texts join back into text, plain
// parts are non-empty and never adjacent, mention parts are valid tokens.
func checkSpans(t *testing.T, text string, spans []Span) {
	t.Helper()
	var b strings.Builder
	for i, s := range spans {
		b.WriteString(s.Text)
		if s.UserID == "" {
			if s.Text == "" {
				t.Fatalf("span %d: empty plain part", i)
			}
			if i > 0 && spans[i-1].UserID == "" {
				t.Fatalf("span %d: adjacent plain parts", i)
			}
			continue
		}
		if !ValidID(s.UserID) || !strings.EqualFold(s.Text, Token(s.UserID)) || s.UserID != strings.ToLower(s.UserID) {
			t.Fatalf("span %d: bad mention %+v", i, s)
		}
	}
	if b.String() != text {
		t.Fatalf("spans do not join back into the text")
	}
}

func TestSplitManyTokensAndHugeInput(t *testing.T) {
	var b strings.Builder
	for i := 0; i < 10000; i++ {
		fmt.Fprintf(&b, "x%d <@%08x-0000-4000-8000-%012x> ", i, i, i)
	}
	text := b.String()
	spans := Split(text)
	if len(spans) != 20001 {
		t.Fatalf("got %d spans, want 20001", len(spans))
	}
	checkSpans(t, text, spans)
	if !Mentions(text, fmt.Sprintf("%08x-0000-4000-8000-%012x", 9999, 9999)) {
		t.Fatal("last token not found")
	}

	// 4 MB of half-tokens: no tokens, one plain part, and no quadratic work.
	huge := strings.Repeat("<@"+ada[:30], 4<<20/32)
	spans = Split(huge)
	if len(spans) != 1 || spans[0].Text != huge {
		t.Fatalf("huge half-tokens: %d spans", len(spans))
	}
	if Mentions(huge, ada) {
		t.Fatal("huge half-tokens mention ada")
	}
	if got := Display(huge, func(string) (string, bool) { return "x", true }); got != huge {
		t.Fatal("Display changed text with no tokens")
	}
}

func TestMentions(t *testing.T) {
	tests := []struct {
		text, id string
		want     bool
	}{
		{"hi " + Token(ada), ada, true},
		{"hi " + Token(ada), upper, true},
		{"hi <@" + upper + ">", ada, true},
		{"hi " + Token(grace), ada, false},
		{"hi @Ada Lovelace", ada, false},
		{"<@" + ada, ada, false},
		{ada, ada, false},
		{"<@" + ada + ">", "", false},
		{"<@>", "", false},
		{"<@abc>", "abc", false},
		{"", ada, false},
		{"<@x" + Token(ada), ada, true},
	}
	for _, tt := range tests {
		if got := Mentions(tt.text, tt.id); got != tt.want {
			t.Errorf("Mentions(%q, %q) = %v, want %v", tt.text, tt.id, got, tt.want)
		}
	}
}

func names(m map[string]string) func(string) (string, bool) {
	return func(id string) (string, bool) { n, ok := m[id]; return n, ok }
}

func TestDisplay(t *testing.T) {
	known := names(map[string]string{ada: "Ada Lovelace", grace: "Grace Hopper"})
	tests := []struct {
		text, want string
	}{
		{"", ""},
		{"no mentions <b>", "no mentions <b>"},
		{"hi " + Token(ada) + ", " + Token(grace) + "!", "hi @Ada Lovelace, @Grace Hopper!"},
		{"<@" + upper + ">", "@Ada Lovelace"},
		{Token("00000000-0000-4000-8000-000000000000") + " there", "@unknown user there"},
		{"<@not-a-user> stays", "<@not-a-user> stays"},
		{"<@" + ada + " unterminated", "<@" + ada + " unterminated"},
		{"מה נשמע " + Token(ada), "מה נשמע @Ada Lovelace"},
	}
	for _, tt := range tests {
		if got := Display(tt.text, known); got != tt.want {
			t.Errorf("Display(%q) = %q, want %q", tt.text, got, tt.want)
		}
	}
	// A renamed user shows the new name: the text holds only the id.
	renamed := names(map[string]string{ada: "Ada King"})
	if got := Display("cc "+Token(ada), renamed); got != "cc @Ada King" {
		t.Errorf("after rename: %q", got)
	}
	// An empty name is shown as unknown, not as a bare "@".
	if got := Display(Token(ada), names(map[string]string{ada: ""})); got != "@unknown user" {
		t.Errorf("empty name: %q", got)
	}
	// The callback gets lower-case ids.
	Display("<@"+upper+">", func(id string) (string, bool) {
		if id != ada {
			t.Errorf("name called with %q", id)
		}
		return "", false
	})
}

func TestEncode(t *testing.T) {
	pAda := Person{ID: ada, Name: "Ada Lovelace"}
	pAdaShort := Person{ID: grace, Name: "Ada"}
	pJose := Person{ID: grace, Name: "José Núñez"}
	pRTL := Person{ID: grace, Name: "דוד לוי"}
	tests := []struct {
		name   string
		text   string
		picked []Person
		want   string
	}{
		{"none picked", "hi @Ada Lovelace", nil, "hi @Ada Lovelace"},
		{"picked", "hi @Ada Lovelace!", []Person{pAda}, "hi " + Token(ada) + "!"},
		{"at start", "@Ada Lovelace hi", []Person{pAda}, Token(ada) + " hi"},
		{"twice", "@Ada Lovelace and @Ada Lovelace", []Person{pAda}, Token(ada) + " and " + Token(ada)},
		{"longest first", "@Ada Lovelace and @Ada", []Person{pAdaShort, pAda}, Token(ada) + " and " + Token(grace)},
		{"not inside a word after", "@Ada Lovelaces", []Person{pAda}, "@Ada Lovelaces"},
		{"not after a word", "mail ada@Ada Lovelace", []Person{pAda}, "mail ada@Ada Lovelace"},
		{"after punctuation", "(@Ada Lovelace)", []Person{pAda}, "(" + Token(ada) + ")"},
		{"after newline", "x\n@Ada Lovelace", []Person{pAda}, "x\n" + Token(ada)},
		{"case matters", "@ada lovelace", []Person{pAda}, "@ada lovelace"},
		{"accents", "hola @José Núñez.", []Person{pJose}, "hola " + Token(grace) + "."},
		{"combining mark after is part of the word", "@Ada\u0301", []Person{pAdaShort}, "@Ada\u0301"},
		{"rtl", "שלום @דוד לוי", []Person{pRTL}, "שלום " + Token(grace)},
		{"invalid id left as text", "@Eve x", []Person{{ID: "eve", Name: "Eve"}}, "@Eve x"},
		{"empty name ignored", "@ x", []Person{{ID: ada, Name: ""}}, "@ x"},
		{"existing token kept", Token(grace) + " @Ada Lovelace", []Person{pAda}, Token(grace) + " " + Token(ada)},
		{"name that looks like an id", Token(grace), []Person{{ID: ada, Name: grace + ">"}}, Token(grace)},
		{"double at", "@@Ada Lovelace", []Person{pAda}, "@" + Token(ada)},
		{"unpicked name stays", "@Ada Lovelace @Grace Hopper", []Person{pAda}, Token(ada) + " @Grace Hopper"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Encode(tt.text, tt.picked)
			if got != tt.want {
				t.Fatalf("Encode(%q) = %q, want %q", tt.text, got, tt.want)
			}
			// Round trip: what the picked names encode to displays as typed.
			if tt.want != tt.text {
				m := map[string]string{}
				for _, p := range tt.picked {
					m[strings.ToLower(p.ID)] = p.Name
				}
				if back := Display(got, names(m)); !strings.Contains(tt.text, Token(grace)) && back != tt.text {
					t.Fatalf("Display(Encode) = %q, want %q", back, tt.text)
				}
			}
		})
	}
}

func TestEncodeManyMentions(t *testing.T) {
	var people []Person
	var text strings.Builder
	for i := 0; i < 200; i++ {
		p := Person{ID: fmt.Sprintf("%08x-0000-4000-8000-%012x", i, i), Name: fmt.Sprintf("User %d", i)}
		people = append(people, p)
		fmt.Fprintf(&text, "@%s, ", p.Name)
	}
	got := Encode(text.String(), people)
	for _, p := range people {
		if !Mentions(got, p.ID) {
			t.Fatalf("%s not encoded", p.Name)
		}
	}
	// "User 1" must not have eaten the start of "User 10".
	if strings.Contains(got, "@User") {
		t.Fatalf("names left: %.200q", got)
	}
}

func TestTyping(t *testing.T) {
	tests := []struct {
		text  string
		query string
		start int
		ok    bool
	}{
		{"", "", 0, false},
		{"@", "", 0, true},
		{"@a", "a", 0, true},
		{"hi @ad", "ad", 3, true},
		{"hi @Ada ", "Ada ", 3, true},
		{"hi @Ada Lo", "Ada Lo", 3, true},
		{"hi @Ada  Lo", "", 0, false},    // two spaces
		{"hi @ Ada", "", 0, false},       // space first
		{"hi @Ada\nLo", "", 0, false},    // newline
		{"hi @Ada\tLo", "", 0, false},    // tab
		{"mail ada@exa", "", 0, false},   // not after whitespace
		{"x\n@jo", "jo", 2, true},        // after a newline is fine
		{"\t@jo", "jo", 1, true},         // after a tab
		{"@@jo", "", 0, false},           // "@" not after whitespace
		{"hello", "", 0, false},          // no @
		{"@José Nú", "José Nú", 0, true}, // accents
		{"hi @דוד", "דוד", 3, true},      // RTL
		{"@e\u0301", "e\u0301", 0, true}, // combining
		{"@\xffab", "", 0, false},        // invalid UTF-8
		{"a @one two three", "one two three", 2, true},
		{"@" + strings.Repeat("a", 30), strings.Repeat("a", 30), 0, true},
		{"@" + strings.Repeat("a", 31), "", 0, false},
		{"@" + strings.Repeat("é", 30), strings.Repeat("é", 30), 0, true},
		{"@" + strings.Repeat("é", 31), "", 0, false},
		{strings.Repeat("x ", 1<<20) + "@bo", "bo", 2 << 20, true},
		{strings.Repeat("@", 1<<20), "", 0, false},
	}
	for _, tt := range tests {
		q, s, ok := Typing(tt.text)
		if q != tt.query || s != tt.start || ok != tt.ok {
			t.Errorf("Typing(%.40q) = (%q, %d, %v), want (%q, %d, %v)", tt.text, q, s, ok, tt.query, tt.start, tt.ok)
		}
		if ok && tt.text[s] != '@' {
			t.Errorf("Typing(%.40q): start %d is not the @", tt.text, s)
		}
	}
}

func TestMatch(t *testing.T) {
	people := []Person{
		{ID: "1", Name: "Zoë Adams"},
		{ID: "2", Name: "Ada Lovelace"},
		{ID: "3", Name: "Grace Hopper"},
		{ID: "4", Name: "José Núñez"},
		{ID: "5", Name: "Adam Smith"},
		{ID: "6", Name: "Nada Ali"},
		{ID: "7", Name: "ada lovelace"}, // same name, other case: both kept, in order
		{ID: "8", Name: "Ada Lovelace"},
		{ID: "9", Name: "Straße Müller"},
		{ID: "10", Name: "דוד לוי"},
	}
	ids := func(ps []Person) string {
		var s []string
		for _, p := range ps {
			s = append(s, p.ID)
		}
		return strings.Join(s, ",")
	}
	tests := []struct {
		query string
		limit int
		want  string
	}{
		{"ada", 0, "2,7,8,5,1,6"}, // first-name prefix (Ada…, Adam), last-name prefix (Adams), then substring (Nada)
		{"ADA", 0, "2,7,8,5,1,6"},
		{"ada", 2, "2,7"},
		{"ada l", 0, "2,7,8"},
		{"ada ", 0, "2,7,8,6"},      // "Nada Ali" holds "ada "
		{"  ada", 0, "2,7,8,5,1,6"}, // leading spaces ignored
		{"lov", 0, "2,7,8"},
		{"zoe", 0, "1"},
		{"nunez", 0, "4"},
		{"NÚÑ", 0, "4"},
		{"jose", 0, "4"},
		{"strasse", 0, "9"},
		{"mull", 0, "9"},
		{"לוי", 0, "10"},
		{"xyz", 0, ""},
		{"", 3, "2,7,8"},
		{"", 0, "2,7,8,5,3,4,6,9,1,10"},
		{"opp", 0, "3"},
	}
	for _, tt := range tests {
		if got := ids(Match(people, tt.query, tt.limit)); got != tt.want {
			t.Errorf("Match(%q, %d) = %s, want %s", tt.query, tt.limit, got, tt.want)
		}
	}
	if got := Match(nil, "a", 5); len(got) != 0 {
		t.Errorf("Match(nil) = %v", got)
	}
}

func TestMatchHostile(t *testing.T) {
	long := strings.Repeat("Ā", 100000)
	people := []Person{{ID: "1", Name: long}, {ID: "2", Name: "\xff\xfe bad"}, {ID: "3", Name: "a\u202eb"}}
	if got := Match(people, "a", 0); len(got) != 3 { // "āāā…" (Ā folds to a), "… bad" and "a\u202eb"
		t.Errorf("got %d", len(got))
	}
	if got := Match(people, "bad", 0); len(got) != 1 || got[0].ID != "2" {
		t.Errorf("invalid UTF-8 name: %v", got)
	}
	if got := Match(people, strings.Repeat("a", 1000), 0); len(got) != 1 {
		t.Errorf("long query: %d", len(got))
	}
}

func TestFold(t *testing.T) {
	for in, want := range map[string]string{
		"Ada":           "ada",
		"José":          "jose",
		"Jose\u0301":    "jose",
		"ÑANDÚ":         "nandu",
		"Straße":        "strasse",
		"ΣΊΣΥΦΟΣ":       "σισυφοσ",
		"שָׁלוֹם":       "שלום",
		"":              "",
		"already lower": "already lower",
	} {
		if got := Fold(in); got != want {
			t.Errorf("Fold(%q) = %q, want %q", in, got, want)
		}
		if !utf8.ValidString(Fold(in)) {
			t.Errorf("Fold(%q) invalid UTF-8", in)
		}
	}
}

// benchText is a 4,000-character message with 50 mentions.
func benchText() (string, map[string]string) {
	m := map[string]string{}
	var b strings.Builder
	filler := strings.Repeat("lorem ipsum ", 4)[:40]
	for i := 0; i < 50; i++ {
		id := fmt.Sprintf("%08x-0000-4000-8000-%012x", i, i)
		m[id] = fmt.Sprintf("Person Number %d", i)
		b.WriteString(filler)
		b.WriteString(Token(id))
	}
	for utf8.RuneCountInString(b.String()) < 4000 {
		b.WriteByte('x')
	}
	return b.String(), m
}

func BenchmarkSplit(b *testing.B) {
	text, _ := benchText()
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		if len(Split(text)) != 101 {
			b.Fatal("wrong span count")
		}
	}
}

func BenchmarkDisplay(b *testing.B) {
	text, m := benchText()
	name := names(m)
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		if strings.Contains(Display(text, name), "unknown") {
			b.Fatal("unknown user")
		}
	}
}
