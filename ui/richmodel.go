package ui

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"directuschat/markup"
	"directuschat/mention"
)

// Rich message text: what a row draws of a message that has formatting.
//
// A message's text goes one of two ways (see bodyFor):
//
//   - plain, the common case: the text has none of the characters that
//     could start formatting (mayFormat), or its parse holds nothing but
//     unstyled text. It is drawn by labels exactly as before (longtext.go):
//     no parse, no extra objects.
//   - rich: markup.Parse's model with mentions resolved to names (a
//     richDoc), laid out by flow.go and drawn by richView (richtext.go).
//
// Folding (long messages, longtext.go) cuts the model, not the source:
// the source is first cut to what an expanded row may show (expandChars,
// expandLines, so the parse is bounded), parsed, and then, for a folded
// row, the model keeps its first foldChars shown characters and foldLines
// lines (foldDoc). A fence or a "**" cut off by the fold therefore never
// shows as typed: a code block is cut between its lines and keeps its
// frame, a styled run keeps its style. Only a text longer than an
// expanded row (4,000 characters) is cut in its source, at a line where it
// can be; a construct open there ends with the cut.

// richDoc is a message's text as a row draws it.
type richDoc struct {
	blocks []rblock
	links  []rlink
}

// rblock is one block: the fields of its kind are set (see markup.Block).
type rblock struct {
	kind     markup.BlockKind
	runs     []rrun     // Paragraph
	code     string     // CodeBlock: its lines
	fullCode string     // CodeBlock cut by a fold: all its lines (what Copy copies)
	children []rblock   // Quote
	items    [][]rblock // List
	ordered  bool       // List
	start    int        // List, ordered: the first number
}

// rrun is a run of inline text in one style.
type rrun struct {
	text    string
	style   markup.Style // Bold, Italic, Strike, Code
	link    int          // 1 + the index of its link in richDoc.links, or 0
	mention bool         // a mention, shown as "@" and a name
	me      bool         // a mention of the user
}

// rlink is where a link goes. Target passed markup's checks (http, https
// or mailto); the UI checks it again before opening it.
type rlink struct {
	target    string
	deceptive bool // its text names another address: confirm before opening
}

// names gives a mentioned user's name; nil shows mentions as typed (a
// server without conversations has no people to name).
type names func(id string) (string, bool)

// mayFormat reports whether s could hold anything markup reads as
// formatting, links or mentions. When it does not, the parse of s would be
// s as one or more paragraphs of unstyled text, and a row shows s as a
// label without parsing it. It errs on the side of "may".
func mayFormat(s string) bool {
	lineStart := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '*', '_', '~', '`', '[', ']', '<', '>', '&', '\\', '@', '\t', '\r', 0:
			return true
		case ':':
			if strings.HasPrefix(s[i:], "://") {
				return true
			}
		case 'w', 'W':
			if len(s)-i >= 4 && strings.EqualFold(s[i:i+4], "www.") {
				return true
			}
		case '\n':
			lineStart = true
			continue
		}
		if lineStart {
			lineStart = false
			if lineMayStartBlock(s[i:]) {
				return true
			}
		}
	}
	return false
}

// lineMayStartBlock reports whether a line (from its first byte) may start
// a list item or a code block: "- ", "+ ", "1. ", "1) " after up to three
// spaces, or four spaces of indentation. (">" and "*" are caught anywhere.)
func lineMayStartBlock(line string) bool {
	spaces := 0
	for spaces < len(line) && line[spaces] == ' ' {
		spaces++
	}
	if spaces >= 4 {
		return true
	}
	rest := line[spaces:]
	if rest == "" {
		return false
	}
	marker := func(n int) bool { // a marker of n bytes, then a blank or the end
		return len(rest) == n || rest[n] == ' ' || rest[n] == '\n'
	}
	switch c := rest[0]; {
	case c == '-' || c == '+':
		return marker(1)
	case c >= '0' && c <= '9':
		n := 0
		for n < len(rest) && n < 10 && rest[n] >= '0' && rest[n] <= '9' {
			n++
		}
		return n < len(rest) && (rest[n] == '.' || rest[n] == ')') && marker(n+1)
	}
	return false
}

// toRich turns markup's model into a row's: mention tokens become "@" and
// a name (name nil: the token as typed), styles are kept, links indexed.
// me is the user's id, whose mentions are marked.
func toRich(doc markup.Doc, name names, me string) richDoc {
	c := richConv{name: name, me: strings.ToLower(me)}
	return richDoc{blocks: c.blocks(doc.Blocks), links: c.links}
}

type richConv struct {
	name  names
	me    string
	links []rlink
}

func (c *richConv) blocks(in []markup.Block) []rblock {
	out := make([]rblock, 0, len(in))
	for _, b := range in {
		rb := rblock{kind: b.Kind}
		switch b.Kind {
		case markup.Paragraph:
			rb.runs = c.runs(b.Spans)
		case markup.CodeBlock:
			rb.code = b.Code
		case markup.Quote:
			rb.children = c.blocks(b.Blocks)
		case markup.List:
			rb.ordered, rb.start = b.Ordered, b.Start
			for _, item := range b.Items {
				rb.items = append(rb.items, c.blocks(item))
			}
		}
		out = append(out, rb)
	}
	return out
}

func (c *richConv) runs(spans []markup.Span) []rrun {
	out := make([]rrun, 0, len(spans))
	for _, s := range spans {
		r := rrun{text: s.Text, style: s.Style}
		switch s.Kind {
		case markup.LinkSpan:
			c.links = append(c.links, rlink{target: s.Target, deceptive: s.Deceptive})
			r.link = len(c.links)
			if c.name != nil {
				r.text = displayMentions(r.text, c.name)
			}
		case markup.MentionSpan:
			r.mention = true
			r.me = s.UserID == c.me
			if c.name != nil {
				r.text = displayMentions(s.Text, c.name)
			}
		}
		out = append(out, r)
	}
	return out
}

// plain reports whether d is nothing but paragraphs of unstyled text, and
// that text, paragraphs apart by a blank line: a row shows it as a label.
func (d richDoc) plain() (string, bool) {
	var b strings.Builder
	for i, bl := range d.blocks {
		if bl.kind != markup.Paragraph {
			return "", false
		}
		if i > 0 {
			b.WriteString("\n\n")
		}
		for _, r := range bl.runs {
			if r.style != 0 || r.link != 0 || r.mention {
				return "", false
			}
			b.WriteString(r.text)
		}
	}
	return b.String(), true
}

// foldBudget is what a fold may still show.
type foldBudget struct {
	runes   int
	lines   int  // lines left, counting the one begun
	started bool // a line was begun
	cut     bool
}

// newLine begins a block's first line, reporting whether the budget has
// one.
func (f *foldBudget) newLine() bool {
	if f.started {
		f.lines--
	}
	f.started = true
	if f.lines <= 0 || f.runes <= 0 {
		f.cut = true
		return false
	}
	return true
}

// spend takes what the budget allows of s, which goes on the line begun:
// all of it, or its start cut at a word near the end (as cutText does);
// and whether it took all.
func (f *foldBudget) spend(s string) (string, bool) {
	if f.runes <= 0 || f.lines <= 0 {
		f.cut = true
		return "", false
	}
	h, cut := head(s, f.runes, f.lines)
	if cut {
		f.cut = true
		atLineEnd := s[len(h)] == '\n'
		if i := strings.LastIndexFunc(h, unicode.IsSpace); !atLineEnd && i >= len(h)*4/5 && i > 0 {
			h = h[:i]
		}
		f.runes, f.lines = 0, 0
		return strings.TrimRightFunc(h, unicode.IsSpace), false
	}
	f.runes -= utf8.RuneCountInString(s)
	f.lines -= strings.Count(s, "\n")
	return s, true
}

// foldDoc is the start of d that shows at most maxRunes characters and
// maxLines lines (each paragraph, code block and list item starts a line),
// ending in " …", and whether anything was cut.
func foldDoc(d richDoc, maxRunes, maxLines int) (richDoc, bool) {
	f := foldBudget{runes: maxRunes, lines: maxLines}
	blocks := f.blocks(d.blocks)
	if !f.cut {
		return d, false
	}
	return richDoc{blocks: appendEllipsis(blocks), links: d.links}, true
}

func (f *foldBudget) blocks(in []rblock) []rblock {
	var out []rblock
	for _, b := range in {
		switch b.kind {
		case markup.Paragraph:
			if !f.newLine() {
				return out
			}
			if runs := f.runs(b.runs); len(runs) > 0 {
				out = append(out, rblock{kind: b.kind, runs: runs})
			}
		case markup.CodeBlock:
			if !f.newLine() {
				return out
			}
			code, _ := f.spend(b.code)
			kept := rblock{kind: b.kind, code: code}
			if code != b.code {
				kept.fullCode = b.code
			}
			out = append(out, kept)
		case markup.Quote:
			if ch := f.blocks(b.children); len(ch) > 0 {
				out = append(out, rblock{kind: b.kind, children: ch})
			}
		case markup.List:
			l := rblock{kind: b.kind, ordered: b.ordered, start: b.start}
			for _, item := range b.items {
				if len(item) == 0 {
					if !f.newLine() {
						break
					}
					l.items = append(l.items, nil)
					continue
				}
				kept := f.blocks(item)
				if len(kept) == 0 {
					break
				}
				l.items = append(l.items, kept)
				if f.cut {
					break
				}
			}
			if len(l.items) > 0 {
				out = append(out, l)
			}
		}
		if f.cut {
			return out
		}
	}
	return out
}

func (f *foldBudget) runs(in []rrun) []rrun {
	var out []rrun
	for _, r := range in {
		text, whole := f.spend(r.text)
		if text != "" && (whole || !r.mention) { // a name is not cut
			r.text = text
			out = append(out, r)
		}
		if !whole {
			break
		}
	}
	return out
}

// appendEllipsis ends the last block of a fold with " …": its last text,
// or its last code line, or a paragraph of its own.
func appendEllipsis(blocks []rblock) []rblock {
	const ellipsis = " …"
	if len(blocks) == 0 {
		return []rblock{{kind: markup.Paragraph, runs: []rrun{{text: "…"}}}}
	}
	last := &blocks[len(blocks)-1]
	switch last.kind {
	case markup.Paragraph:
		last.runs = append(last.runs, rrun{text: ellipsis})
	case markup.CodeBlock:
		if last.fullCode == "" {
			last.fullCode = last.code
		}
		last.code += ellipsis
	case markup.Quote:
		last.children = appendEllipsis(last.children)
	case markup.List:
		if n := len(last.items); n > 0 {
			last.items[n-1] = appendEllipsis(last.items[n-1])
		}
	}
	return blocks
}

// sourceCut is the start of s an expanded row may show (expandChars
// characters, expandLines lines), cut at a line end where one is in the
// last fifth (so a fence or a list is cut between lines), and whether s
// was cut.
func sourceCut(s string) (string, bool) {
	h, cut := head(s, expandChars, expandLines)
	if !cut {
		return s, false
	}
	if i := strings.LastIndexByte(h, '\n'); i >= len(h)*4/5 && i > 0 {
		h = h[:i]
	}
	return h, true
}

// listMarker is the marker of item i of a list.
func listMarker(b *rblock, i int) string {
	if b.ordered {
		return strconv.Itoa(b.start+i) + "."
	}
	return "•"
}

// displayMentions is s with its mention tokens as "@" and a name.
func displayMentions(s string, name names) string {
	return mention.Display(s, name)
}
