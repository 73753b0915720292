package markup

import (
	"strings"
	"unicode/utf8"

	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	east "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"

	"directuschat/mention"
)

// chatParser reads the chat flavour: CommonMark's lists, code blocks,
// quotes and paragraphs (no headings, thematic breaks or HTML blocks), its
// code spans, links, autolinks and emphasis (no raw HTML), strikethrough
// and linkify; no paragraph transformers, so link reference definitions
// stay text. A goldmark parser keeps no state between parses.
var chatParser = parser.NewParser(
	parser.WithBlockParsers(
		util.Prioritized(parser.NewListParser(), 300),
		util.Prioritized(parser.NewListItemParser(), 400),
		util.Prioritized(parser.NewCodeBlockParser(), 500),
		util.Prioritized(parser.NewFencedCodeBlockParser(), 700),
		util.Prioritized(parser.NewBlockquoteParser(), 800),
		util.Prioritized(parser.NewParagraphParser(), 1000),
	),
	parser.WithInlineParsers(
		util.Prioritized(parser.NewCodeSpanParser(), 100),
		util.Prioritized(parser.NewLinkParser(), 200),
		util.Prioritized(parser.NewAutoLinkParser(), 300),
		util.Prioritized(parser.NewEmphasisParser(), 500),
		util.Prioritized(extension.NewStrikethroughParser(), 500),
		util.Prioritized(extension.NewLinkifyParser(
			extension.WithLinkifyAllowedProtocols([]string{"http:", "https:"}),
		), 999),
	),
)

func parse(s string) Doc {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, string(utf8.RuneError))
	}
	if strings.IndexByte(s, '\r') >= 0 {
		s = strings.ReplaceAll(s, "\r\n", "\n")
		s = strings.ReplaceAll(s, "\r", "\n")
	}
	src, defused := defuse(s)
	c := converter{src: []byte(src), defused: defused}
	root := chatParser.Parse(text.NewReader(c.src))
	return Doc{Blocks: c.blocks(nil, root, 0)}
}

// converter turns goldmark's tree of one text into the model.
type converter struct {
	src     []byte
	defused bool // src holds sentinels (see defuse)
}

// str is s, taken from the source, with its sentinels restored.
func (c *converter) str(s string) string {
	if c.defused {
		return restore(s)
	}
	return s
}

// blocks appends the blocks made of parent's children to out. depth is how
// many quotes and lists hold them.
func (c *converter) blocks(out []Block, parent ast.Node, depth int) []Block {
	for n := parent.FirstChild(); n != nil; n = n.NextSibling() {
		out = c.block(out, n, depth)
	}
	return out
}

func (c *converter) block(out []Block, n ast.Node, depth int) []Block {
	switch n := n.(type) {
	case *ast.Paragraph, *ast.TextBlock:
		if spans := c.paragraph(n); len(spans) > 0 {
			out = append(out, Block{Kind: Paragraph, Spans: spans})
		}
	case *ast.FencedCodeBlock:
		b := Block{Kind: CodeBlock, Code: c.lines(n)}
		if n.Info != nil {
			b.Language = unescape(c.str(string(n.Language(c.src))))
		}
		out = append(out, b)
	case *ast.CodeBlock:
		out = append(out, Block{Kind: CodeBlock, Code: c.lines(n)})
	case *ast.Blockquote:
		if depth >= MaxDepth {
			return c.blocks(out, n, depth+1)
		}
		out = append(out, Block{Kind: Quote, Blocks: c.blocks(nil, n, depth+1)})
	case *ast.List:
		if depth >= MaxDepth {
			for item := n.FirstChild(); item != nil; item = item.NextSibling() {
				out = c.blocks(out, item, depth+1)
			}
			return out
		}
		b := Block{Kind: List, Ordered: n.IsOrdered()}
		if b.Ordered {
			b.Start = n.Start
		}
		for item := n.FirstChild(); item != nil; item = item.NextSibling() {
			b.Items = append(b.Items, c.blocks(nil, item, depth+1))
		}
		out = append(out, b)
	default:
		// The parser makes no other blocks; should one appear, its text
		// is not lost.
		if n.Lines().Len() > 0 {
			out = append(out, Block{Kind: Paragraph, Spans: []Span{{Text: c.lines(n)}}})
		} else {
			out = c.blocks(out, n, depth)
		}
	}
	return out
}

// lines is the text of a block's lines, without the last newline.
func (c *converter) lines(n ast.Node) string {
	var b strings.Builder
	lines := n.Lines()
	for i := 0; i < lines.Len(); i++ {
		seg := lines.At(i)
		b.Write(seg.Value(c.src))
	}
	return c.str(strings.TrimSuffix(b.String(), "\n"))
}

// paragraph is the spans of a paragraph: text of the same style merged,
// mentions cut out of text that is not code, no line break at the end.
func (c *converter) paragraph(n ast.Node) []Span {
	var l spanList
	c.inlines(&l, n, 0)
	spans := l.done()
	if k := len(spans) - 1; k >= 0 && spans[k].Kind == TextSpan {
		spans[k].Text = strings.TrimRight(spans[k].Text, "\n")
		if spans[k].Text == "" {
			spans = spans[:k]
		}
	}
	return splitMentions(spans)
}

// inlines appends the spans of parent's inline children, in style, to out.
func (c *converter) inlines(out *spanList, parent ast.Node, style Style) {
	for n := parent.FirstChild(); n != nil; n = n.NextSibling() {
		switch n := n.(type) {
		case *ast.Text:
			out.text(c.text(n), style)
		case *ast.String:
			v := c.str(string(n.Value))
			if !n.IsRaw() {
				v = unescape(v)
			}
			out.text(v, style)
		case *ast.CodeSpan:
			out.text(c.code(n), style|Code)
		case *ast.Emphasis:
			s := Italic
			if n.Level >= 2 {
				s = Bold
			}
			c.inlines(out, n, style|s)
		case *east.Strikethrough:
			c.inlines(out, n, style|Strike)
		case *ast.Link:
			c.link(out, string(n.Destination), c.plain(n), n, style)
		case *ast.Image:
			c.link(out, string(n.Destination), c.plain(n), n, style)
		case *ast.AutoLink:
			label := c.str(string(n.Label(c.src)))
			dest := c.str(string(n.URL(c.src)))
			if n.AutoLinkType == ast.AutoLinkEmail {
				dest = "mailto:" + dest
			}
			c.link(out, dest, label, nil, style)
		default:
			c.inlines(out, n, style)
		}
	}
}

// link appends a link to dest showing label, when dest is a target it may
// open (dest may hold backslash escapes and entities, as typed in the
// source); else the link's content (its children, or label without
// children) as text.
func (c *converter) link(out *spanList, dest, label string, children ast.Node, style Style) {
	target, ok := safeTarget(unescape(c.str(dest)))
	if !ok {
		if children != nil {
			c.inlines(out, children, style)
		} else {
			out.text(label, style)
		}
		return
	}
	label = stripBidi(label)
	if strings.TrimSpace(label) == "" {
		label = target
	}
	out.add(Span{
		Kind:      LinkSpan,
		Text:      label,
		Style:     style,
		Target:    target,
		Deceptive: deceptive(label, target),
	})
}

// text is a text node's text, escapes and entities resolved, with "\n"
// for a line break after it.
func (c *converter) text(n *ast.Text) string {
	v := c.str(string(n.Segment.Value(c.src)))
	if !n.IsRaw() {
		v = unescape(v)
	}
	if n.SoftLineBreak() || n.HardLineBreak() {
		v += "\n"
	}
	return v
}

// code is a code span's text as typed, a line break read as a space.
func (c *converter) code(n ast.Node) string {
	var b strings.Builder
	for t := n.FirstChild(); t != nil; t = t.NextSibling() {
		switch t := t.(type) {
		case *ast.Text:
			v := t.Segment.Value(c.src)
			if len(v) > 0 && v[len(v)-1] == '\n' {
				b.Write(v[:len(v)-1])
				b.WriteByte(' ')
			} else {
				b.Write(v)
			}
		case *ast.String:
			b.Write(t.Value)
		}
	}
	return c.str(b.String())
}

// plain is the text of n's inline content without styles: a link's text or
// an image's description. Line breaks become spaces.
func (c *converter) plain(n ast.Node) string {
	var l spanList
	c.inlines(&l, n, 0)
	var b strings.Builder
	for _, s := range l.done() {
		b.WriteString(s.Text)
	}
	return strings.TrimSpace(strings.ReplaceAll(b.String(), "\n", " "))
}

// spanList collects a paragraph's spans, text of the same style merged
// (in a builder: a paragraph may be thousands of text nodes).
type spanList struct {
	spans []Span
	buf   strings.Builder
	style Style
	open  bool // buf holds text in style
}

// text adds s in style.
func (l *spanList) text(s string, style Style) {
	if s == "" {
		return
	}
	if l.open && l.style != style {
		l.flush()
	}
	l.buf.WriteString(s)
	l.style, l.open = style, true
}

// add adds a span that is not text.
func (l *spanList) add(s Span) {
	l.flush()
	l.spans = append(l.spans, s)
}

func (l *spanList) flush() {
	if l.open {
		l.spans = append(l.spans, Span{Kind: TextSpan, Text: l.buf.String(), Style: l.style})
		l.buf.Reset()
		l.open = false
	}
}

// done is the spans collected.
func (l *spanList) done() []Span {
	l.flush()
	return l.spans
}

// splitMentions cuts the mention tokens out of the text spans that are not
// code.
func splitMentions(spans []Span) []Span {
	var out []Span
	for i, s := range spans {
		if s.Kind != TextSpan || s.Style&Code != 0 || !strings.Contains(s.Text, "<@") {
			if out != nil {
				out = append(out, s)
			}
			continue
		}
		parts := mention.Split(s.Text)
		if len(parts) == 1 && parts[0].UserID == "" {
			if out != nil {
				out = append(out, s)
			}
			continue
		}
		if out == nil {
			out = append(make([]Span, 0, len(spans)+len(parts)), spans[:i]...)
		}
		for _, p := range parts {
			if p.UserID == "" {
				out = append(out, Span{Kind: TextSpan, Text: p.Text, Style: s.Style})
			} else {
				out = append(out, Span{Kind: MentionSpan, Text: p.Text, Style: s.Style, UserID: p.UserID})
			}
		}
	}
	if out == nil {
		return spans
	}
	return out
}
