package ui

import (
	"image/color"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"directuschat/markup"
)

// richBody is a message's rich text (richmodel.go) with its layouts at
// the widths it was last laid out in. Bodies are cached by text
// (bodyCache) and shared by the row that draws one and the row-height
// prediction, so a row is laid out once per width.
type richBody struct {
	doc     richDoc
	layouts [3]*richLayout // the latest first
	serial  uint64         // tells bodies apart where keeping one would keep it alive
}

// bodySerial numbers bodies (UI thread only).
var bodySerial uint64

func newRichBody(doc richDoc) *richBody {
	bodySerial++
	return &richBody{doc: doc, serial: bodySerial}
}

// layout is the body laid out in width.
func (b *richBody) layout(width float32) *richLayout {
	for _, l := range b.layouts {
		if l != nil && l.width == width {
			return l
		}
	}
	l := layoutDoc(&b.doc, width, newFyneMetrics(), currentFlowTheme())
	copy(b.layouts[1:], b.layouts[:len(b.layouts)-1])
	b.layouts[0] = l
	return l
}

// bodyFor is what a row shows of a message's text src, expanded or not:
// a rich body, or (body nil) a plain text for labels; and how it is
// folded. name resolves mentions (nil: shown as typed); me is the user.
// See the top of richmodel.go.
func bodyFor(src string, expanded bool, name names, me string) (*richBody, string, foldState) {
	if !mayFormat(src) {
		text, fold := displayText(src, expanded)
		return nil, text, fold
	}
	cut, capped := sourceCut(src)
	doc := toRich(markup.Parse(tameMarks(cut)), name, me)
	if plain, ok := doc.plain(); ok {
		text, fold := displayText(plain, expanded)
		if capped && fold != foldFolded && fold != foldCapped {
			text += " …"
			fold = foldFolded
			if expanded {
				fold = foldCapped
			}
		}
		return nil, text, fold
	}
	fold := foldNone
	if expanded {
		_, long := foldDoc(doc, foldChars, foldLines)
		switch {
		case capped:
			fold = foldCapped
			doc.blocks = appendEllipsis(doc.blocks)
		case long:
			fold = foldExpanded
		}
	} else {
		folded, cutDoc := foldDoc(doc, foldChars, foldLines)
		switch {
		case cutDoc:
			doc, fold = folded, foldFolded
		case capped:
			doc.blocks = appendEllipsis(doc.blocks)
			fold = foldFolded
		}
	}
	return newRichBody(doc), "", fold
}

// bodyCache keeps the latest bodies made, by text: a row is bound again on
// every change of the list, and parsing and laying out a text again each
// time would cost the UI thread for nothing. It holds at most
// bodyCacheSize entries (the oldest go first): more than a window shows,
// and few, because a body is a few dozen small objects made while the user
// scrolls, and each kept one holds memory spans that the scrolling's
// garbage around it would free (256 entries cost 6 MB of heap after
// scrolling back through 10,000 messages, docs/benchmarks.md). A window
// showing more rows than this parses the extra ones again at a refresh.
type bodyCache struct {
	m    map[bodyKey]bodyEntry
	keys []bodyKey // ring, in insertion order
	next int
}

const bodyCacheSize = 64

type bodyKey struct {
	src, shown string // the text, and the text with mentions as names
	expanded   bool
}

type bodyEntry struct {
	body *richBody
	text string
	fold foldState
}

// get is bodyFor, cached. Texts that need no parse are not kept.
func (c *bodyCache) get(src string, expanded bool, name names, me string) (*richBody, string, foldState) {
	if !mayFormat(src) {
		return bodyFor(src, expanded, name, me)
	}
	k := bodyKey{src: src, expanded: expanded}
	if name != nil && strings.Contains(src, "<@") {
		k.shown = displayMentions(src, name)
	}
	if e, ok := c.m[k]; ok {
		return e.body, e.text, e.fold
	}
	body, text, fold := bodyFor(src, expanded, name, me)
	if c.m == nil {
		c.m = map[bodyKey]bodyEntry{}
		c.keys = make([]bodyKey, bodyCacheSize)
	}
	if old := c.keys[c.next]; old != (bodyKey{}) {
		delete(c.m, old)
	}
	c.keys[c.next] = k
	c.next = (c.next + 1) % bodyCacheSize
	c.m[k] = bodyEntry{body, text, fold}
	return body, text, fold
}

// fyneMetrics measures text with the app's driver (which caches measures)
// in the current theme's text size and the fonts of fontSpecs.
type fyneMetrics struct {
	driver fyne.Driver
	specs  [5]fontSpec
	size   float32
}

func newFyneMetrics() fyneMetrics {
	return fyneMetrics{driver: fyne.CurrentApp().Driver(), specs: fontSpecs(), size: theme.TextSize()}
}

func (m fyneMetrics) measure(text string, f textFont) (float32, float32, float32) {
	spec := m.specs[f]
	s, base := m.driver.RenderedTextSize(text, m.size, spec.style, spec.source)
	return s.Width, s.Height, base
}

// fontSpec is how a textFont is asked of Fyne: a text style, or a font
// file of the theme (see the top of flow.go).
type fontSpec struct {
	style  fyne.TextStyle
	source fyne.Resource
}

func fontSpecs() [5]fontSpec {
	th := fyne.CurrentApp().Settings().Theme()
	return [5]fontSpec{
		fontRegular:    {},
		fontBold:       {style: fyne.TextStyle{Bold: true}},
		fontItalic:     {source: th.Font(fyne.TextStyle{Italic: true})},
		fontBoldItalic: {source: th.Font(fyne.TextStyle{Bold: true, Italic: true})},
		fontMono:       {source: th.Font(fyne.TextStyle{Monospace: true})},
	}
}

func currentFlowTheme() flowTheme {
	pad := theme.Padding()
	return flowTheme{
		inner:    theme.InnerPadding(),
		gap:      2 * pad,
		indent:   2 * pad,
		bar:      3,
		codePad:  pad,
		codeMinH: copyButtonSize(),
	}
}

// copyButtonSize is the side of a code block's Copy button.
func copyButtonSize() float32 { return theme.IconInlineSize() + 2*theme.Padding() }

// richActions are what a rich text's links and code blocks do, given by
// the row that holds it.
type richActions struct {
	openLink func(rlink)
	hover    func(l *rlink) // the pointer is over a link (nil: left it)
	copyCode func(code string)
	scroll   func(*fyne.ScrollEvent) // a vertical scroll over a code block: the list's
	menu     func(ev *fyne.PointEvent, l *rlink)
}

// richView draws a richBody at its width.
type richView struct {
	widget.BaseWidget
	body *richBody
	act  *richActions
}

func newRichView(act *richActions) *richView {
	v := &richView{act: act}
	v.ExtendBaseWidget(v)
	return v
}

// setBody shows b.
func (v *richView) setBody(b *richBody) {
	if v.body == b {
		return
	}
	v.body = b
	v.Refresh()
}

// height is the view's height at width.
func (v *richView) height(width float32) float32 {
	if v.body == nil {
		return 0
	}
	return v.body.layout(width).height
}

func (v *richView) MinSize() fyne.Size {
	w := v.Size().Width
	if w <= 0 {
		w = 1000 // not laid out yet: the list gives rows their height
	}
	return fyne.NewSize(minTextWidth, v.height(w))
}

func (v *richView) CreateRenderer() fyne.WidgetRenderer {
	return &richRenderer{v: v}
}

type richRenderer struct {
	v       *richView
	texts   []*canvas.Text
	rects   []*canvas.Rectangle
	hits    []*linkHit
	codes   []*codeView
	objects []fyne.CanvasObject
	shown   *richLayout
}

func (r *richRenderer) Destroy() {}

func (r *richRenderer) Objects() []fyne.CanvasObject { return r.objects }

func (r *richRenderer) MinSize() fyne.Size { return r.v.MinSize() }

func (r *richRenderer) Layout(size fyne.Size) { r.show(size, false) }

func (r *richRenderer) Refresh() {
	r.show(r.v.Size(), true)
	canvas.Refresh(r.v)
}

// show lays the body out at size (recolour: again, for a theme change).
func (r *richRenderer) show(size fyne.Size, recolour bool) {
	if r.v.body == nil {
		r.apply(&richLayout{}, recolour)
		return
	}
	if size.Width <= 0 {
		return
	}
	r.apply(r.v.body.layout(size.Width), recolour)
}

// apply shows lay, reusing the objects it has; recolour re-applies the
// theme's colours to a layout already shown.
func (r *richRenderer) apply(lay *richLayout, recolour bool) {
	if lay == r.shown && !recolour {
		return
	}
	th := r.v.Theme()
	variant := fyne.CurrentApp().Settings().ThemeVariant()
	col := func(role colorRole) color.Color { return roleColor(th, variant, role) }
	specs := fontSpecs()
	size := th.Size(theme.SizeNameText)
	objs := r.objects[:0]

	for i, p := range lay.rects {
		if i == len(r.rects) {
			r.rects = append(r.rects, canvas.NewRectangle(color.Transparent))
		}
		o := r.rects[i]
		o.FillColor = col(p.role)
		if p.role == roleCodeBg {
			o.CornerRadius = 2
		} else {
			o.CornerRadius = 0
		}
		o.Move(fyne.NewPos(p.x, p.y))
		o.Resize(fyne.NewSize(p.w, p.h))
		o.Refresh()
		objs = append(objs, o)
	}
	for i, p := range lay.texts {
		if i == len(r.texts) {
			r.texts = append(r.texts, canvas.NewText("", color.Black))
		}
		o := r.texts[i]
		spec := specs[p.font]
		o.Text, o.TextStyle, o.FontSource, o.TextSize, o.Color = p.text, spec.style, spec.source, size, col(p.role)
		o.Move(fyne.NewPos(p.x, p.y))
		o.Resize(o.MinSize())
		o.Refresh()
		objs = append(objs, o)
	}
	for i, p := range lay.codes {
		if i == len(r.codes) {
			r.codes = append(r.codes, newCodeView(r.v.act))
		}
		o := r.codes[i]
		o.setCode(p.code, p.full, p.lineHeight)
		o.Move(fyne.NewPos(p.x, p.y))
		o.Resize(fyne.NewSize(p.w, p.h))
		objs = append(objs, o)
	}
	for i, p := range lay.links {
		if i == len(r.hits) {
			r.hits = append(r.hits, newLinkHit(r.v.act))
		}
		o := r.hits[i]
		if p.link < len(r.v.body.doc.links) {
			o.link = r.v.body.doc.links[p.link]
		}
		o.Move(fyne.NewPos(p.x, p.y))
		o.Resize(fyne.NewSize(p.w, p.h))
		objs = append(objs, o)
	}
	// Let go of what this layout does not use (a long text shown before).
	clear(r.texts[len(lay.texts):])
	r.texts = r.texts[:len(lay.texts)]
	clear(r.rects[len(lay.rects):])
	r.rects = r.rects[:len(lay.rects)]
	clear(r.codes[len(lay.codes):])
	r.codes = r.codes[:len(lay.codes)]
	clear(r.hits[len(lay.links):])
	r.hits = r.hits[:len(lay.links)]
	if len(objs) < len(r.objects) {
		clear(r.objects[len(objs):])
	}
	r.objects = objs
	r.shown = lay
}

// roleColor is the theme colour of a role.
func roleColor(th fyne.Theme, v fyne.ThemeVariant, role colorRole) color.Color {
	switch role {
	case roleLink, roleUnderline:
		return th.Color(theme.ColorNameHyperlink, v)
	case roleMention, roleMentionMe:
		return th.Color(theme.ColorNamePrimary, v)
	case roleCodeBg:
		return th.Color(theme.ColorNameInputBackground, v)
	case roleQuoteBar:
		return th.Color(theme.ColorNameDisabled, v)
	}
	return th.Color(theme.ColorNameForeground, v)
}

// linkHit is the tap area of (a line's piece of) a link.
type linkHit struct {
	widget.BaseWidget
	link rlink
	act  *richActions
}

var (
	_ fyne.Tappable          = (*linkHit)(nil)
	_ fyne.SecondaryTappable = (*linkHit)(nil)
	_ desktop.Cursorable     = (*linkHit)(nil)
	_ desktop.Hoverable      = (*linkHit)(nil)
)

func newLinkHit(act *richActions) *linkHit {
	h := &linkHit{act: act}
	h.ExtendBaseWidget(h)
	return h
}

func (h *linkHit) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(canvas.NewRectangle(color.Transparent))
}

func (h *linkHit) Tapped(*fyne.PointEvent) {
	if h.act != nil && h.act.openLink != nil {
		h.act.openLink(h.link)
	}
}

func (h *linkHit) TappedSecondary(ev *fyne.PointEvent) {
	if h.act != nil && h.act.menu != nil {
		l := h.link
		h.act.menu(ev, &l)
	}
}

func (h *linkHit) Cursor() desktop.Cursor { return desktop.PointerCursor }

func (h *linkHit) MouseIn(*desktop.MouseEvent) {
	if h.act != nil && h.act.hover != nil {
		l := h.link
		h.act.hover(&l)
	}
}

func (h *linkHit) MouseMoved(*desktop.MouseEvent) {}

func (h *linkHit) MouseOut() {
	if h.act != nil && h.act.hover != nil {
		h.act.hover(nil)
	}
}

// codeView is a code block: its lines in a monospace font on a panel,
// scrolled sideways by dragging or a sideways scroll (a vertical scroll
// goes on to the list), with a Copy button.
type codeView struct {
	widget.BaseWidget
	act  *richActions
	area *codeArea
	copy *iconTap
	bg   *canvas.Rectangle
	full string // what Copy copies
}

func newCodeView(act *richActions) *codeView {
	c := &codeView{act: act, area: &codeArea{act: act}}
	c.area.ExtendBaseWidget(c.area)
	c.copy = newIconTap(theme.ContentCopyIcon(), func() {
		if c.act != nil && c.act.copyCode != nil {
			c.act.copyCode(c.full)
		}
	})
	c.ExtendBaseWidget(c)
	return c
}

func (c *codeView) setCode(code, full string, lineHeight float32) {
	c.full = full
	if c.area.code == code && c.area.lineHeight == lineHeight {
		return
	}
	c.area.code, c.area.lineHeight, c.area.offset = code, lineHeight, 0
	c.area.Refresh()
}

func (c *codeView) CreateRenderer() fyne.WidgetRenderer {
	c.bg = canvas.NewRectangle(color.Transparent)
	c.bg.StrokeWidth = 1
	c.bg.CornerRadius = theme.InputRadiusSize()
	r := &codeRenderer{c: c, objects: []fyne.CanvasObject{c.bg, c.area, c.copy}}
	r.recolour()
	return r
}

type codeRenderer struct {
	c       *codeView
	objects []fyne.CanvasObject
}

func (r *codeRenderer) recolour() {
	th := r.c.Theme()
	v := fyne.CurrentApp().Settings().ThemeVariant()
	r.c.bg.FillColor = th.Color(theme.ColorNameInputBackground, v)
	r.c.bg.StrokeColor = th.Color(theme.ColorNameInputBorder, v)
	r.c.bg.Refresh()
}

func (r *codeRenderer) Destroy() {}

func (r *codeRenderer) Objects() []fyne.CanvasObject { return r.objects }

func (r *codeRenderer) MinSize() fyne.Size {
	return fyne.NewSize(copyButtonSize()*2, copyButtonSize())
}

func (r *codeRenderer) Layout(size fyne.Size) {
	b := copyButtonSize()
	r.c.bg.Resize(size)
	r.c.area.Move(fyne.NewPos(0, 0))
	r.c.area.Resize(fyne.NewSize(max(size.Width-b, 0), size.Height))
	r.c.copy.Move(fyne.NewPos(size.Width-b, 0))
	r.c.copy.Resize(fyne.NewSize(b, b))
}

func (r *codeRenderer) Refresh() {
	r.recolour()
	r.Layout(r.c.Size())
	r.c.area.Refresh()
	canvas.Refresh(r.c)
}

// codeArea is the part of a code block that holds its lines; as a
// fyne.Scrollable it is drawn clipped to its size.
type codeArea struct {
	widget.BaseWidget
	act        *richActions
	code       string
	lineHeight float32
	offset     float32           // how far it is scrolled sideways
	r          *codeAreaRenderer // its renderer, once made
}

var (
	_ fyne.Scrollable = (*codeArea)(nil)
	_ fyne.Draggable  = (*codeArea)(nil)
)

// Scrolled scrolls sideways by a sideways scroll, and hands a vertical one
// to the list, which a code block must not stop.
func (a *codeArea) Scrolled(ev *fyne.ScrollEvent) {
	if ev.Scrolled.DX != 0 {
		a.scrollBy(-ev.Scrolled.DX)
	}
	if ev.Scrolled.DY != 0 && a.act != nil && a.act.scroll != nil {
		a.act.scroll(ev)
	}
}

func (a *codeArea) Dragged(ev *fyne.DragEvent) { a.scrollBy(-ev.Dragged.DX) }

func (a *codeArea) DragEnd() {}

func (a *codeArea) scrollBy(dx float32) {
	r, ok := a.renderer()
	if !ok {
		return
	}
	most := max(r.contentWidth-a.Size().Width, 0)
	off := min(max(a.offset+dx, 0), most)
	if off != a.offset {
		a.offset = off
		r.Layout(a.Size())
		canvas.Refresh(a)
	}
}

func (a *codeArea) renderer() (*codeAreaRenderer, bool) {
	return a.r, a.r != nil
}

func (a *codeArea) CreateRenderer() fyne.WidgetRenderer {
	r := &codeAreaRenderer{a: a, bar: canvas.NewRectangle(color.Transparent)}
	r.build()
	a.r = r
	return r
}

type codeAreaRenderer struct {
	a            *codeArea
	texts        []*canvas.Text
	x            []float32 // each text's place in its line
	line         []int     // each text's line
	bar          *canvas.Rectangle
	objects      []fyne.CanvasObject
	contentWidth float32
	built        string
}

// build makes the texts of the code's lines: a line's words in the
// monospace font where it covers them, else in the regular one.
func (r *codeAreaRenderer) build() {
	a := r.a
	r.built = a.code
	r.texts, r.x, r.line, r.contentWidth = r.texts[:0], r.x[:0], r.line[:0], 0
	th := a.Theme()
	v := fyne.CurrentApp().Settings().ThemeVariant()
	fg := th.Color(theme.ColorNameForeground, v)
	specs := fontSpecs()
	size := th.Size(theme.SizeNameText)
	m := newFyneMetrics()
	inner := theme.InnerPadding()
	for i, line := range strings.Split(a.code, "\n") {
		x := inner
		for _, piece := range codePieces(line) {
			spec := specs[piece.font]
			t := canvas.NewText(piece.text, fg)
			t.TextStyle, t.FontSource, t.TextSize = spec.style, spec.source, size
			w, _, _ := m.measure(piece.text, piece.font)
			r.texts = append(r.texts, t)
			r.x = append(r.x, x)
			r.line = append(r.line, i)
			x += w
		}
		r.contentWidth = max(r.contentWidth, x+inner)
	}
	r.bar.FillColor = th.Color(theme.ColorNameScrollBar, v)
	r.objects = r.objects[:0]
	for _, t := range r.texts {
		r.objects = append(r.objects, t)
	}
	r.objects = append(r.objects, r.bar)
}

// codePiece is a run of a code line in one font.
type codePiece struct {
	text string
	font textFont
}

// codePieces cuts a code line into runs the monospace font covers and
// runs it does not.
func codePieces(line string) []codePiece {
	if fontCovers(line) {
		return []codePiece{{line, fontMono}}
	}
	var out []codePiece
	start, cur := 0, textFont(255)
	for i, r := range line {
		f := fontRegular
		if fontCovers(string(r)) {
			f = fontMono
		}
		if f != cur && i > start {
			out = append(out, codePiece{line[start:i], cur})
			start = i
		}
		cur = f
	}
	if start < len(line) {
		out = append(out, codePiece{line[start:], cur})
	}
	return out
}

func (r *codeAreaRenderer) Destroy() {}

func (r *codeAreaRenderer) Objects() []fyne.CanvasObject { return r.objects }

func (r *codeAreaRenderer) MinSize() fyne.Size { return fyne.NewSize(0, 0) }

func (r *codeAreaRenderer) Layout(size fyne.Size) {
	a := r.a
	pad := theme.Padding()
	for i, t := range r.texts {
		ts := t.MinSize()
		t.Move(fyne.NewPos(r.x[i]-a.offset, pad+float32(r.line[i])*a.lineHeight+(a.lineHeight-ts.Height)/2))
		t.Resize(ts)
	}
	if r.contentWidth > size.Width && size.Width > 0 {
		w := size.Width * size.Width / r.contentWidth
		x := a.offset / (r.contentWidth - size.Width) * (size.Width - w)
		r.bar.Move(fyne.NewPos(x, size.Height-3))
		r.bar.Resize(fyne.NewSize(w, 2))
		r.bar.Show()
	} else {
		r.bar.Hide()
	}
}

func (r *codeAreaRenderer) Refresh() {
	if r.built != r.a.code {
		r.build()
	} else {
		th := r.a.Theme()
		v := fyne.CurrentApp().Settings().ThemeVariant()
		fg := th.Color(theme.ColorNameForeground, v)
		for _, t := range r.texts {
			t.Color = fg
			t.Refresh()
		}
		r.bar.FillColor = th.Color(theme.ColorNameScrollBar, v)
	}
	r.Layout(r.a.Size())
	canvas.Refresh(r.a)
}

// iconTap is a small button that is only an icon.
type iconTap struct {
	widget.BaseWidget
	icon  fyne.Resource
	onTap func()
}

var (
	_ fyne.Tappable      = (*iconTap)(nil)
	_ desktop.Cursorable = (*iconTap)(nil)
)

func newIconTap(icon fyne.Resource, onTap func()) *iconTap {
	t := &iconTap{icon: icon, onTap: onTap}
	t.ExtendBaseWidget(t)
	return t
}

func (t *iconTap) Tapped(*fyne.PointEvent) {
	if t.onTap != nil {
		t.onTap()
	}
}

func (t *iconTap) Cursor() desktop.Cursor { return desktop.PointerCursor }

func (t *iconTap) MinSize() fyne.Size { return fyne.NewSquareSize(copyButtonSize()) }

func (t *iconTap) CreateRenderer() fyne.WidgetRenderer {
	img := canvas.NewImageFromResource(t.icon)
	img.FillMode = canvas.ImageFillContain
	return &iconTapRenderer{img: img}
}

type iconTapRenderer struct{ img *canvas.Image }

func (r *iconTapRenderer) Destroy()                     {}
func (r *iconTapRenderer) Objects() []fyne.CanvasObject { return []fyne.CanvasObject{r.img} }
func (r *iconTapRenderer) MinSize() fyne.Size           { return fyne.NewSquareSize(copyButtonSize()) }
func (r *iconTapRenderer) Refresh()                     { r.img.Refresh() }
func (r *iconTapRenderer) Layout(size fyne.Size) {
	pad := theme.Padding()
	r.img.Move(fyne.NewPos(pad, pad))
	r.img.Resize(fyne.NewSize(size.Width-2*pad, size.Height-2*pad))
}
