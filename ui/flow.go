package ui

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"directuschat/markup"
)

// The layout of rich text, as a pure function of the model, a width and
// text measures: where each piece of text, each decoration, each link's
// tap area and each code block goes. The row's widget draws it
// (richtext.go) and the row-height prediction uses the same result, so the
// two cannot disagree.
//
// Text is drawn in at most five fonts: regular and bold (which rows use
// anyway), and italic, bold italic and monospace. Fyne keeps one set of
// font faces per text style, and each set parses its own copy of the
// bundled emoji font (6–8 MB of Go heap per style, measured). So italic,
// bold italic and monospace text are drawn with the theme's font file set
// as the text's FontSource (about 1.5 MB each, no fallbacks), but only
// for words that font covers (fontCovers); other words (emoji, CJK…) are
// drawn upright in the regular or bold face, which has the fallbacks.
// Strikethrough and link underlines are lines drawn here, not text
// styles, which would each be another set of faces.

// textFont is the face a piece of text is drawn in.
type textFont uint8

const (
	fontRegular textFont = iota
	fontBold
	fontItalic
	fontBoldItalic
	fontMono
)

// colorRole is what a drawn object is, which picks its theme colour.
type colorRole uint8

const (
	roleText colorRole = iota
	roleLink
	roleMention
	roleMentionMe
	roleMarker    // a list's bullet or number
	roleCodeBg    // the background of inline code
	roleQuoteBar  // the bar beside a quote
	roleStrike    // a line through struck text (in the text's colour)
	roleUnderline // a link's underline
)

// textMetrics measures text: its width, height and baseline (from the
// top) in a font.
type textMetrics interface {
	measure(text string, f textFont) (width, height, baseline float32)
}

// flowTheme is the spacing a layout uses (theme sizes).
type flowTheme struct {
	inner    float32 // around the text, as a label has (inner padding)
	gap      float32 // between blocks
	indent   float32 // of a quote's content after its bar, and after a list marker
	bar      float32 // width of a quote's bar
	codePad  float32 // inside a code block, above and below its lines
	codeMinH float32 // the least height of a code block (its Copy button)
}

type placedText struct {
	text string
	font textFont
	role colorRole
	x, y float32
}

type placedRect struct {
	x, y, w, h float32
	role       colorRole
}

// placedLink is a link's tap area: one per piece of it on a line.
type placedLink struct {
	x, y, w, h float32
	link       int // index in richDoc.links
}

// placedCode is a code block: its lines are drawn by its own widget,
// which scrolls sideways.
type placedCode struct {
	x, y, w, h float32
	code       string // what it shows
	full       string // what its Copy copies: the whole block, when a fold cut it
	lineHeight float32
}

// richLayout is a laid-out richDoc.
type richLayout struct {
	width, height float32
	texts         []placedText
	rects         []placedRect
	links         []placedLink
	codes         []placedCode
}

// layoutDoc lays d out in width (the whole row's: the text is inset by
// th.inner on each side, as a label's).
func layoutDoc(d *richDoc, width float32, m textMetrics, th flowTheme) *richLayout {
	l := &layouter{m: m, th: th, out: &richLayout{width: width}}
	l.space = [5]float32{}
	for f := fontRegular; f <= fontMono; f++ {
		l.space[f], _, _ = m.measure(" ", f)
	}
	_, l.lineH, l.lineBase = m.measure("M", fontRegular)
	_, monoH, _ := m.measure("M", fontMono)
	l.codeLineH = max(l.lineH, monoH)
	maxX := max(width-th.inner, th.inner+minTextWidth)
	y, _ := l.blocks(d.blocks, th.inner, maxX, th.inner)
	l.out.height = y + th.inner
	return l.out
}

// codeBarRoom is the room below a code block's lines for the bar that
// shows how far it is scrolled sideways.
const codeBarRoom = 3

// minTextWidth is the least width text is laid out in, however deep a
// quote or list nests in however narrow a window.
const minTextWidth = 48

type layouter struct {
	m         textMetrics
	th        flowTheme
	out       *richLayout
	space     [5]float32 // width of a space in each font
	lineH     float32    // a regular line
	lineBase  float32
	codeLineH float32
}

// blocks lays out bs from x0 to maxX starting at y, returning the y below
// them and the baseline of their first line (0 if none).
func (l *layouter) blocks(bs []rblock, x0, maxX, y float32) (float32, float32) {
	first := float32(0)
	for i := range bs {
		if i > 0 {
			y += l.th.gap
		}
		var base float32
		y, base = l.block(&bs[i], x0, maxX, y)
		if i == 0 {
			first = base
		}
	}
	return y, first
}

// narrowed is x0 moved right by by, keeping at least minTextWidth before
// maxX.
func narrowed(x0, by, maxX float32) float32 {
	return max(min(x0+by, maxX-minTextWidth), x0)
}

func (l *layouter) block(b *rblock, x0, maxX, y float32) (float32, float32) {
	switch b.kind {
	case markup.Paragraph:
		return l.paragraph(b.runs, x0, maxX, y)
	case markup.CodeBlock:
		lines := strings.Count(b.code, "\n") + 1
		h := max(float32(lines)*l.codeLineH+2*l.th.codePad+codeBarRoom, l.th.codeMinH)
		full := b.fullCode
		if full == "" {
			full = b.code
		}
		l.out.codes = append(l.out.codes, placedCode{x: x0, y: y, w: maxX - x0, h: h, code: b.code, full: full, lineHeight: l.codeLineH})
		return y + h, y + l.th.codePad + l.lineBase
	case markup.Quote:
		inner := narrowed(x0, l.th.bar+l.th.indent, maxX)
		end, base := l.blocks(b.children, inner, maxX, y)
		if end == y {
			end = y + l.lineH
		}
		l.out.rects = append(l.out.rects, placedRect{x: x0, y: y, w: l.th.bar, h: end - y, role: roleQuoteBar})
		return end, base
	case markup.List:
		gutter := float32(0)
		for i := range b.items {
			w, _, _ := l.m.measure(listMarker(b, i), fontRegular)
			gutter = max(gutter, w)
		}
		inner := narrowed(x0, gutter+l.th.indent, maxX)
		first := float32(0)
		for i, item := range b.items {
			if i > 0 {
				y += l.th.gap / 2
			}
			top := y
			end, base := l.blocks(item, inner, maxX, y)
			if len(item) == 0 || end == top {
				end, base = top+l.lineH, top+l.lineBase
			}
			marker := listMarker(b, i)
			w, _, mb := l.m.measure(marker, fontRegular)
			l.out.texts = append(l.out.texts, placedText{text: marker, font: fontRegular, role: roleMarker,
				x: max(inner-l.th.indent-w, x0), y: base - mb})
			if i == 0 {
				first = base
			}
			y = end
		}
		return y, first
	}
	return y, 0
}

// frag is a piece of a line: text of one run in one font.
type frag struct {
	text     strings.Builder
	run      *rrun
	font     textFont
	x, w     float32
	h, base  float32
	trailing float32 // width of the spaces at its end
}

// paragraph lays out runs from x0 to maxX, line by line: words are kept
// whole where they fit, a word wider than the line is broken between
// characters, and "\n" breaks the line.
func (l *layouter) paragraph(runs []rrun, x0, maxX, y float32) (float32, float32) {
	p := paraState{l: l, x0: x0, maxX: maxX, y: y, x: x0}
	for i := range runs {
		r := &runs[i]
		for j, seg := range strings.Split(r.text, "\n") {
			if j > 0 {
				p.endLine()
			}
			p.segment(r, seg)
		}
	}
	p.endLine()
	return p.y, p.firstBase
}

type paraState struct {
	l         *layouter
	x0, maxX  float32
	x, y      float32
	line      []*frag
	firstBase float32
	lines     int
}

// segment places text of run r that holds no line break.
func (p *paraState) segment(r *rrun, s string) {
	for s != "" {
		// The next word and the spaces after it.
		end := strings.IndexByte(s, ' ')
		if end < 0 {
			end = len(s)
		} else if end == 0 {
			end = len(s) - len(strings.TrimLeft(s, " "))
			p.spaces(r, end)
			s = s[end:]
			continue
		}
		word := s[:end]
		s = s[end:]
		spaces := len(s) - len(strings.TrimLeft(s, " "))
		s = s[spaces:]
		p.word(r, word)
		p.spaces(r, spaces)
	}
}

// word places a word, on the next line if it does not fit on this one, in
// pieces if it fits on no line.
func (p *paraState) word(r *rrun, w string) {
	f := fontFor(r, w)
	width, h, base := p.l.m.measure(w, f)
	if p.x > p.x0 && p.x+width > p.maxX {
		p.endLine()
	}
	for width > p.maxX-p.x0 && p.x == p.x0 {
		n := p.fitting(w, f, p.maxX-p.x0)
		piece := w[:n]
		pw, ph, pb := p.l.m.measure(piece, f)
		p.put(r, f, piece, pw, ph, pb)
		p.endLine()
		w = w[n:]
		if w == "" {
			return
		}
		width, h, base = p.l.m.measure(w, f)
	}
	p.put(r, f, w, width, h, base)
}

// fitting is how many bytes of w (at least one character, and whole
// clusters where it can tell) fit in width.
func (p *paraState) fitting(w string, f textFont, width float32) int {
	cuts := clusterCuts(w)
	lo, hi := 0, len(cuts)-1 // cuts[lo] fits (or is the first cut)
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if mw, _, _ := p.l.m.measure(w[:cuts[mid]], f); mw <= width {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return cuts[lo]
}

// clusterCuts are the offsets in w where it may be broken, ascending,
// from the end of its first character: before any character that is not
// a combining mark, a joiner, a variation selector or a skin tone, and not
// after a zero-width joiner.
func clusterCuts(w string) []int {
	var cuts []int
	prev := rune(0)
	for i, r := range w {
		if i > 0 && !joinsPrevious(r) && prev != '\u200d' {
			cuts = append(cuts, i)
		}
		prev = r
	}
	return append(cuts, len(w))
}

func joinsPrevious(r rune) bool {
	return unicode.In(r, unicode.Mn, unicode.Me, unicode.Mc) || r == '\u200d' ||
		r >= 0xFE00 && r <= 0xFE0F || r >= 0x1F3FB && r <= 0x1F3FF || r >= 0xE0020 && r <= 0xE007F
}

// spaces places n spaces after what is on the line (at a line's start,
// after a wrap, they are dropped). They go at the end of the line's last
// piece, whatever its run: blanks look alike in every face, and a piece
// less is a text object (and a texture) less.
func (p *paraState) spaces(r *rrun, n int) {
	if n == 0 || len(p.line) == 0 && p.lines > 0 && p.x == p.x0 {
		return
	}
	f := fontFor(r, " ")
	w := float32(n) * p.l.space[f]
	if len(p.line) == 0 {
		_, h, base := p.l.m.measure(" ", f)
		p.put(r, f, strings.Repeat(" ", n), w, h, base)
	} else {
		last := p.line[len(p.line)-1]
		last.text.WriteString(strings.Repeat(" ", n))
		last.w += w
		p.x += w
	}
	p.line[len(p.line)-1].trailing += w
}

// put adds text of width w to the line, to the last piece when it is of
// the same run and font.
func (p *paraState) put(r *rrun, f textFont, s string, w, h, base float32) {
	if n := len(p.line); n > 0 && p.line[n-1].run == r && p.line[n-1].font == f {
		last := p.line[n-1]
		last.text.WriteString(s)
		last.w += w
		last.trailing = 0
		last.h, last.base = max(last.h, h), max(last.base, base)
		p.x += w
		return
	}
	fr := &frag{run: r, font: f, x: p.x, w: w, h: h, base: base}
	fr.text.WriteString(s)
	p.line = append(p.line, fr)
	p.x += w
}

// endLine places the line's pieces and their decorations and starts the
// next line.
func (p *paraState) endLine() {
	l := p.l
	ascent, descent := float32(0), float32(0)
	for _, fr := range p.line {
		ascent = max(ascent, fr.base)
		descent = max(descent, fr.h-fr.base)
	}
	if len(p.line) == 0 {
		ascent, descent = l.lineBase, l.lineH-l.lineBase
	}
	baseline := p.y + ascent
	if p.lines == 0 {
		p.firstBase = baseline
	}
	for _, fr := range p.line {
		text := fr.text.String()
		r := fr.run
		w := fr.w - fr.trailing // decorations end at the last visible character
		role := roleText
		switch {
		case r.link != 0:
			role = roleLink
		case r.mention && r.me:
			role = roleMentionMe
		case r.mention:
			role = roleMention
		}
		if r.style&markup.Code != 0 && strings.TrimSpace(text) != "" {
			l.out.rects = append(l.out.rects, placedRect{x: fr.x - 1, y: baseline - fr.base, w: w + 2, h: fr.h, role: roleCodeBg})
		}
		l.out.texts = append(l.out.texts, placedText{text: text, font: fr.font, role: role, x: fr.x, y: baseline - fr.base})
		if r.style&markup.Strike != 0 && w > 0 {
			l.out.rects = append(l.out.rects, placedRect{x: fr.x, y: baseline - fr.base*0.3, w: w, h: 1, role: roleStrike})
		}
		if r.link != 0 && w > 0 {
			l.out.rects = append(l.out.rects, placedRect{x: fr.x, y: baseline + 2, w: w, h: 1, role: roleUnderline})
			l.out.links = append(l.out.links, placedLink{x: fr.x, y: p.y, w: w, h: ascent + descent, link: r.link - 1})
		}
	}
	p.y = baseline + descent
	p.x = p.x0
	p.line = p.line[:0]
	p.lines++
}

// fontFor is the face for word w of run r (see the top of this file).
func fontFor(r *rrun, w string) textFont {
	bold := r.style&markup.Bold != 0 || r.mention
	switch {
	case r.style&markup.Code != 0:
		if fontCovers(w) {
			return fontMono
		}
		return fontRegular
	case r.style&markup.Italic != 0:
		if !fontCovers(w) {
			break
		}
		if bold {
			return fontBoldItalic
		}
		return fontItalic
	}
	if bold {
		return fontBold
	}
	return fontRegular
}

// fontCovers reports whether the italic, bold italic and monospace fonts
// of Fyne's default theme all have every character of s (checked against
// the font files by a test): Latin, Greek, Cyrillic and common
// punctuation.
func fontCovers(s string) bool {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 && c != '\t' || c == 0x7f {
				return false
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if !coveredRune(r) {
			return false
		}
		i += n
	}
	return true
}

func coveredRune(r rune) bool {
	switch {
	case r >= 0xA0 && r <= 0x17F: // Latin-1, Latin Extended-A
	case r >= 0x391 && r <= 0x3A1, r >= 0x3A3 && r <= 0x3CE: // Greek
	case r >= 0x400 && r <= 0x45F: // Cyrillic
	case r >= 0x2010 && r <= 0x2022, r == 0x2026, r == 0x2039, r == 0x203A: // dashes, quotes, bullet, ellipsis
	default:
		return false
	}
	return true
}
