// Package markup turns a chat message's text into a small display model
// that the UI draws: blocks (paragraphs, code blocks, quotes, lists) of
// styled spans (text, safe links, mentions). It reads Markdown as chat
// clients write it (goldmark with its strikethrough and linkify extensions)
// and nothing in it can load anything or reach Fyne.
//
// The flavour is chat, not documents: bold, italic, strikethrough, inline
// code, fenced and indented code blocks, block quotes, bullet and ordered
// lists, paragraphs, and bare URLs made into links. A single newline is a
// line break, as in Slack and Element. Headings, rules, tables, raw HTML
// and link reference definitions are not read: they show as typed, so no
// text a person typed disappears.
//
// Message text is written by anyone who can post, so:
//   - only http, https and mailto links become links; any other target
//     (javascript:, file:, data:, relative, unparseable) leaves the link's
//     text as plain text;
//   - a link whose text looks like an address other than its target, or
//     whose target hides a user name before its host or has an
//     internationalized host name, is marked Deceptive so the UI can show
//     where it really goes;
//   - images are never loaded: an image becomes a link (or text);
//   - bidirectional override and isolate controls are removed from link
//     text and targets;
//   - quotes and lists nest at most MaxDepth deep, and the parse time
//     grows about linearly with the text's length whatever the text
//     holds (see defuse.go: goldmark alone is quadratic on some input).
//
// Everything here is safe for concurrent use.
package markup

import (
	"strconv"
	"strings"
)

// Doc is a message's text as blocks, in order. An empty or blank text has
// no blocks.
type Doc struct {
	Blocks []Block
}

// BlockKind says what a Block is and so which of its fields are used.
type BlockKind uint8

const (
	// Paragraph is text: Spans. Line breaks are "\n" in the spans' text.
	Paragraph BlockKind = iota
	// CodeBlock is code shown as typed, in a monospace font: Code and
	// Language.
	CodeBlock
	// Quote is a block quote: Blocks.
	Quote
	// List is a bullet list or, when Ordered, a numbered one starting at
	// Start: Items.
	List
)

// MaxDepth is how deep quotes and lists nest. The content of a quote or
// list deeper than that is shown at depth MaxDepth, and container markers
// beyond MaxDepth on one line ("> > > …", "- - - …") are text.
const MaxDepth = 8

// Block is one block of a message. Only the fields of its Kind are set.
type Block struct {
	Kind BlockKind

	Spans []Span // Paragraph: never empty

	Code     string // CodeBlock: the lines as typed, without the last newline
	Language string // CodeBlock: the first word after a fence's backticks, or ""

	Blocks []Block // Quote: what is quoted

	Items   [][]Block // List: each item's blocks (an empty item has none)
	Ordered bool      // List: numbered
	Start   int       // List: the first number, when Ordered
}

// SpanKind says what a Span is.
type SpanKind uint8

const (
	// TextSpan is Text in Style.
	TextSpan SpanKind = iota
	// LinkSpan is Text in Style that opens Target.
	LinkSpan
	// MentionSpan is a mention of UserID; Text is its token as sent
	// ("<@user-uuid>"), which the UI replaces by "@" and the user's name
	// (see package mention).
	MentionSpan
)

// Style is how a span's text is drawn: any of Bold, Italic, Strike and
// Code together.
type Style uint8

const (
	Bold   Style = 1 << iota // **bold** or __bold__
	Italic                   // *italic* or _italic_
	Strike                   // ~~struck~~ or ~struck~
	Code                     // `code`, in a monospace font; never holds links or mentions
)

// Span is a run of inline content.
type Span struct {
	Kind SpanKind
	// Text is what is shown: the text, the link's text (which may hold
	// mention tokens as typed, see mention.Display), the mention's token.
	Text  string
	Style Style

	// Target is where a LinkSpan goes: an absolute http or https URL with
	// a host, or a mailto URL, as the URL parser writes it back (so what
	// is shown is what is opened).
	Target string
	// Deceptive marks a LinkSpan whose Text names another address than
	// Target, or whose Target has a user name before its host
	// ("https://bank.example@evil.example"): show Target before opening.
	Deceptive bool

	UserID string // MentionSpan: the id, in lower case
}

// Parse reads text (a message as sent) into its display model. It never
// fails: whatever is not understood is text (invalid UTF-8 becomes
// U+FFFD, and line ends "\r\n" and "\r" are read as "\n").
func Parse(text string) Doc {
	return parse(text)
}

// PlainText is doc's text without formatting, as a notification shows it:
// blocks on their own lines, list items after "• " or their number, quoted
// lines after "> ", a link as its text followed by its target in
// parentheses when the text does not already say it, mentions as their
// tokens (see mention.Display). Copying a message should rather take the
// text as typed.
func PlainText(doc Doc) string {
	var b strings.Builder
	writeBlocks(&b, doc.Blocks, "")
	return strings.TrimSuffix(b.String(), "\n")
}

// writeBlocks writes blocks, each line after prefix and ending in "\n".
func writeBlocks(b *strings.Builder, blocks []Block, prefix string) {
	for _, bl := range blocks {
		switch bl.Kind {
		case Paragraph:
			writeLines(b, prefix, spansText(bl.Spans))
		case CodeBlock:
			writeLines(b, prefix, bl.Code)
		case Quote:
			writeBlocks(b, bl.Blocks, prefix+"> ")
		case List:
			for i, item := range bl.Items {
				marker := "• "
				if bl.Ordered {
					marker = strconv.Itoa(bl.Start+i) + ". "
				}
				var ib strings.Builder
				writeBlocks(&ib, item, "")
				lines := strings.Split(strings.TrimSuffix(ib.String(), "\n"), "\n")
				indent := strings.Repeat(" ", len([]rune(marker)))
				for j, line := range lines {
					if j == 0 {
						b.WriteString(prefix + marker + line + "\n")
					} else {
						b.WriteString(prefix + indent + line + "\n")
					}
				}
			}
		}
	}
}

// writeLines writes each line of s after prefix.
func writeLines(b *strings.Builder, prefix, s string) {
	for line := range strings.SplitSeq(s, "\n") {
		b.WriteString(prefix)
		b.WriteString(line)
		b.WriteByte('\n')
	}
}

// spansText is spans as plain text.
func spansText(spans []Span) string {
	var b strings.Builder
	for _, s := range spans {
		b.WriteString(s.Text)
		if s.Kind == LinkSpan && !sameAsTarget(s.Text, s.Target) {
			b.WriteString(" (")
			b.WriteString(s.Target)
			b.WriteString(")")
		}
	}
	return b.String()
}
