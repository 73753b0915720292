package markup

import (
	"strconv"
	"strings"
)

// dump is doc in a compact form for golden tests:
//
//	P[...]            a paragraph of spans
//	"text"            text; before the quote: b bold, i italic, s strike, c code
//	link("t" -> "u")  a link (link! when deceptive), styles before it
//	@id               a mention, styles before it
//	Code(lang "...")  a code block
//	Q{...}            a quote
//	UL{[...] [...]}   a bullet list of items; OL3{...} numbered from 3
func dump(doc Doc) string {
	var b strings.Builder
	dumpBlocks(&b, doc.Blocks)
	return b.String()
}

func dumpBlocks(b *strings.Builder, blocks []Block) {
	for i, bl := range blocks {
		if i > 0 {
			b.WriteByte(' ')
		}
		switch bl.Kind {
		case Paragraph:
			b.WriteString("P[")
			for j, s := range bl.Spans {
				if j > 0 {
					b.WriteByte(' ')
				}
				dumpSpan(b, s)
			}
			b.WriteString("]")
		case CodeBlock:
			b.WriteString("Code(")
			if bl.Language != "" {
				b.WriteString(bl.Language + " ")
			}
			b.WriteString(strconv.Quote(bl.Code) + ")")
		case Quote:
			b.WriteString("Q{")
			dumpBlocks(b, bl.Blocks)
			b.WriteString("}")
		case List:
			if bl.Ordered {
				b.WriteString("OL" + strconv.Itoa(bl.Start) + "{")
			} else {
				b.WriteString("UL{")
			}
			for j, item := range bl.Items {
				if j > 0 {
					b.WriteByte(' ')
				}
				b.WriteString("[")
				dumpBlocks(b, item)
				b.WriteString("]")
			}
			b.WriteString("}")
		default:
			b.WriteString("?" + strconv.Itoa(int(bl.Kind)))
		}
	}
}

func dumpSpan(b *strings.Builder, s Span) {
	for _, st := range []struct {
		s Style
		c byte
	}{{Bold, 'b'}, {Italic, 'i'}, {Strike, 's'}, {Code, 'c'}} {
		if s.Style&st.s != 0 {
			b.WriteByte(st.c)
		}
	}
	switch s.Kind {
	case TextSpan:
		b.WriteString(strconv.Quote(s.Text))
	case LinkSpan:
		b.WriteString("link")
		if s.Deceptive {
			b.WriteByte('!')
		}
		b.WriteString("(" + strconv.Quote(s.Text) + " -> " + strconv.Quote(s.Target) + ")")
	case MentionSpan:
		b.WriteString("@" + s.UserID)
		if s.Text != "<@"+s.UserID+">" {
			b.WriteString("(" + strconv.Quote(s.Text) + ")")
		}
	default:
		b.WriteString("?" + strconv.Itoa(int(s.Kind)))
	}
}
