package ui

import (
	"image/color"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"directuschat/mention"
)

// switchItem is one place the quick switcher can jump to: a channel or a
// direct message. Label and Detail come from other users (names, channel
// titles) and are shown as plain text only.
type switchItem struct {
	ID, Label, Detail string
	Unread            int
}

// maxSwitchRows is the most rows the switcher shows at once; more scroll.
const maxSwitchRows = 12

// switcher is the Ctrl+K quick switcher: a modal popup with an entry and
// the items whose label contains what is typed (case and accents ignored).
// Up/Down move the selection, Return picks, Escape closes, a click on a row
// picks it. Items are read when it is shown.
type switcher struct {
	win   fyne.Window
	items func() []switchItem
	pick  func(id string)

	popup *widget.PopUp
	entry *switchEntry
	list  *widget.List
	empty *widget.Label

	all   []switchCandidate // the items as read at Show, labels folded
	shown []switchItem      // what matches the entry, best first
	sel   int               // index into shown of the selected row
}

func newSwitcher(win fyne.Window, items func() []switchItem, pick func(id string)) *switcher {
	s := &switcher{win: win, items: items, pick: pick}
	s.entry = newSwitchEntry(s.key)
	s.entry.SetPlaceHolder("Jump to a channel or person…")
	s.entry.OnChanged = func(string) { s.filter() }
	s.list = widget.NewList(
		func() int { return len(s.shown) },
		func() fyne.CanvasObject { return newSwitchRow(s.tapped) },
		func(id widget.ListItemID, o fyne.CanvasObject) {
			if id < 0 || id >= len(s.shown) {
				return
			}
			o.(*switchRow).set(id, s.shown[id], id == s.sel)
		},
	)
	s.empty = widget.NewLabel("No matches")
	s.empty.Importance = widget.LowImportance
	s.empty.Hide()
	body := container.NewStack(s.list, s.empty)
	s.popup = widget.NewModalPopUp(container.NewBorder(s.entry, nil, nil, nil, body), win.Canvas())
	s.popup.Hide() // a new popup counts as visible until hidden
	return s
}

// Show opens the switcher with an empty query and the entry focused. When
// it is open already, it only focuses the entry again.
func (s *switcher) Show() {
	if s.popup.Visible() {
		s.win.Canvas().Focus(s.entry)
		return
	}
	s.all = foldSwitchItems(s.items())
	s.entry.SetText("")
	s.filter()
	s.popup.Resize(s.size())
	s.popup.ShowAtPosition(s.place())
	s.win.Canvas().Focus(s.entry)
}

// Hide closes the switcher.
func (s *switcher) Hide() { s.popup.Hide() }

// visible reports whether the switcher is open.
func (s *switcher) visible() bool { return s.popup.Visible() }

// filter ranks the items for the entry's text and selects the first.
func (s *switcher) filter() {
	s.shown = rankSwitchCandidates(s.all, s.entry.Text)
	s.sel = 0
	if len(s.shown) == 0 {
		s.empty.Show()
		s.list.Hide()
	} else {
		s.empty.Hide()
		s.list.Show()
		s.list.ScrollToOffset(0) // not ScrollToTop: it panics before the list is drawn
	}
	s.list.Refresh()
	if s.popup.Visible() {
		s.popup.Resize(s.size())
	}
}

// key handles the entry's navigation keys; it reports whether it did.
func (s *switcher) key(ev *fyne.KeyEvent) bool {
	switch ev.Name {
	case fyne.KeyDown, fyne.KeyTab:
		s.move(1)
	case fyne.KeyUp:
		s.move(-1)
	case fyne.KeyPageDown:
		s.move(maxSwitchRows - 1)
	case fyne.KeyPageUp:
		s.move(-(maxSwitchRows - 1))
	case fyne.KeyReturn, fyne.KeyEnter:
		if s.sel >= 0 && s.sel < len(s.shown) {
			s.choose(s.shown[s.sel].ID)
		}
	case fyne.KeyEscape:
		s.Hide()
	default:
		return false
	}
	return true
}

// move moves the selection by delta rows, wrapping around at the ends
// for single steps and stopping there for page steps.
func (s *switcher) move(delta int) {
	n := len(s.shown)
	if n == 0 {
		return
	}
	old := s.sel
	switch next := s.sel + delta; {
	case delta == 1 || delta == -1:
		s.sel = (next%n + n) % n
	case next < 0:
		s.sel = 0
	case next >= n:
		s.sel = n - 1
	default:
		s.sel = next
	}
	s.list.RefreshItem(old)
	s.list.RefreshItem(s.sel)
	s.list.ScrollTo(s.sel)
}

func (s *switcher) tapped(row int) {
	if row >= 0 && row < len(s.shown) {
		s.choose(s.shown[row].ID)
	}
}

func (s *switcher) choose(id string) {
	s.Hide()
	if s.pick != nil {
		s.pick(id)
	}
}

// size is the popup's size: up to maxSwitchRows rows under the entry, at
// most 560 wide and never wider or taller than the window allows.
func (s *switcher) size() fyne.Size {
	th := s.popup.Theme()
	pad := th.Size(theme.SizeNamePadding)
	canvasSize := s.win.Canvas().Size()

	rows := min(max(len(s.shown), 1), maxSwitchRows)
	rowH := newSwitchRow(nil).MinSize().Height
	bodyH := float32(rows)*rowH + float32(rows-1)*pad
	if len(s.shown) == 0 {
		bodyH = s.empty.MinSize().Height
	}
	h := s.entry.MinSize().Height + pad + bodyH // Fyne 2.8's popup adds no padding around its content
	w := s.width()
	if top := s.place().Y; canvasSize.Height > 0 && h > canvasSize.Height-top-2*pad {
		h = max(canvasSize.Height-top-2*pad, s.entry.MinSize().Height)
	}
	return fyne.NewSize(w, h)
}

// width is the popup's width: 560, or less in a narrow window.
func (s *switcher) width() float32 {
	w := float32(560)
	pad := s.popup.Theme().Size(theme.SizeNamePadding)
	if cw := s.win.Canvas().Size().Width - 4*pad; cw > 0 && cw < w {
		w = cw
	}
	return w
}

// place is where the popup's top-left corner goes: centred across, a
// little below the top, so the entry stays put while the list shrinks.
func (s *switcher) place() fyne.Position {
	c := s.win.Canvas().Size()
	x := max((c.Width-s.width())/2, 1)
	y := max(min(c.Height*0.12, 80), 1) // never exactly 0,0: Fyne centres a popup placed there
	return fyne.NewPos(x, y)
}

// switchEntry is the switcher's entry: it hands navigation keys to the
// switcher before the entry sees them.
type switchEntry struct {
	widget.Entry
	onKey func(*fyne.KeyEvent) bool
}

func newSwitchEntry(onKey func(*fyne.KeyEvent) bool) *switchEntry {
	e := &switchEntry{onKey: onKey}
	e.ExtendBaseWidget(e)
	return e
}

// TypedKey gives the key to the switcher first.
func (e *switchEntry) TypedKey(ev *fyne.KeyEvent) {
	if e.onKey != nil && e.onKey(ev) {
		return
	}
	e.Entry.TypedKey(ev)
}

// AcceptsTab keeps Tab for the switcher (it moves the selection) instead of
// moving the focus out of the entry.
func (e *switchEntry) AcceptsTab() bool { return true }

// switchCandidate is an item with its label folded for matching.
type switchCandidate struct {
	item  switchItem
	label string
}

func foldSwitchItems(items []switchItem) []switchCandidate {
	out := make([]switchCandidate, len(items))
	for i, it := range items {
		out[i] = switchCandidate{item: it, label: mention.Fold(it.Label)}
	}
	return out
}

// rankSwitch is the items whose label contains query, ignoring case and
// accents, best first: labels where query starts the label or one of its
// words, then the rest; within each, items with unread messages first;
// then in the order given. An empty query keeps every item.
func rankSwitch(items []switchItem, query string) []switchItem {
	return rankSwitchCandidates(foldSwitchItems(items), query)
}

func rankSwitchCandidates(all []switchCandidate, query string) []switchItem {
	q := mention.Fold(strings.TrimSpace(query))
	type hit struct {
		item   switchItem
		prefix bool
	}
	hits := make([]hit, 0, len(all))
	for _, c := range all {
		at := strings.Index(c.label, q)
		if at < 0 {
			continue
		}
		hits = append(hits, hit{item: c.item, prefix: q == "" || startsWord(c.label, q, at)})
	}
	sort.SliceStable(hits, func(i, j int) bool {
		a, b := hits[i], hits[j]
		if a.prefix != b.prefix {
			return a.prefix
		}
		return a.item.Unread > 0 && b.item.Unread <= 0
	})
	out := make([]switchItem, len(hits))
	for i, h := range hits {
		out[i] = h.item
	}
	return out
}

// startsWord reports whether q occurs in label (first at at) at the start
// of the label or of a word: after a character that is not a letter or
// digit ("gen" starts a word in "#general").
func startsWord(label, q string, at int) bool {
	for at >= 0 {
		if at == 0 {
			return true
		}
		if r, _ := utf8.DecodeLastRuneInString(label[:at]); !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.Is(unicode.M, r) {
			return true
		}
		_, size := utf8.DecodeRuneInString(label[at:])
		next := strings.Index(label[at+size:], q)
		if next < 0 {
			return false
		}
		at += size + next
	}
	return false
}

// maxLabelRunes is the most characters of a name or title given to a label:
// the rest could never show, and measuring a megabyte-long name on every
// repaint would stall the window.
const maxLabelRunes = 200

// plainLabelText is s made fit for a one-line label: control characters
// (line breaks and tabs included) become spaces, bidirectional overrides
// and isolates are dropped (they would reorder the text around them), and
// it is cut to maxLabelRunes characters with an ellipsis.
func plainLabelText(s string) string {
	var b strings.Builder
	n := 0
	for _, r := range s {
		if n == maxLabelRunes {
			b.WriteString("…")
			break
		}
		switch {
		case r >= 0x202A && r <= 0x202E, r >= 0x2066 && r <= 0x2069:
			continue
		case unicode.IsControl(r):
			r = ' '
		}
		b.WriteRune(r)
		n++
	}
	return b.String()
}

// switchRow is one row of the switcher: the label, the detail in a
// quieter colour, and the unread count. A click picks it.
type switchRow struct {
	widget.BaseWidget
	row    int
	onTap  func(row int)
	bg     *canvas.Rectangle
	label  *widget.Label
	detail *widget.Label
	unread *widget.Label
	text   *fyne.Container // label and detail
}

func newSwitchRow(onTap func(row int)) *switchRow {
	r := &switchRow{onTap: onTap}
	r.bg = canvas.NewRectangle(color.Transparent)
	r.label = widget.NewLabel("")
	r.label.Truncation = fyne.TextTruncateEllipsis
	r.detail = widget.NewLabel("")
	r.detail.Truncation = fyne.TextTruncateEllipsis
	r.detail.Importance = widget.LowImportance
	r.unread = widget.NewLabel("")
	r.unread.Importance = widget.HighImportance
	r.unread.TextStyle.Bold = true
	r.unread.Hide()
	r.text = container.New(&switchTextLayout{}, r.label, r.detail)
	r.ExtendBaseWidget(r)
	return r
}

func (r *switchRow) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(container.NewStack(r.bg, container.NewBorder(nil, nil, nil, r.unread, r.text)))
}

// set shows item as row number row, highlighted when selected.
func (r *switchRow) set(row int, item switchItem, selected bool) {
	r.row = row
	r.label.SetText(plainLabelText(item.Label))
	r.label.TextStyle.Bold = item.Unread > 0
	r.detail.SetText(plainLabelText(item.Detail))
	if item.Unread > 0 {
		r.unread.SetText(unreadBadge(item.Unread))
		r.unread.Show()
	} else {
		r.unread.Hide()
	}
	r.setSelected(selected)
	r.text.Refresh() // lays the texts out again: the detail's width follows its text
}

func (r *switchRow) setSelected(selected bool) {
	if selected {
		r.bg.FillColor = r.Theme().Color(theme.ColorNameSelection, fyne.CurrentApp().Settings().ThemeVariant())
	} else {
		r.bg.FillColor = color.Transparent
	}
	r.bg.Refresh()
}

// Tapped picks the row.
func (r *switchRow) Tapped(*fyne.PointEvent) {
	if r.onTap != nil {
		r.onTap(r.row)
	}
}

// unreadBadge is an unread count as shown: "99+" above 99.
func unreadBadge(n int) string {
	if n > 99 {
		return "99+"
	}
	return strconv.Itoa(n)
}

// switchTextLayout lays out a label and its detail on one line: the detail
// takes what its text needs up to 40 % of the width, the label the rest;
// both truncate with an ellipsis.
type switchTextLayout struct{}

func (l *switchTextLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	label, detail := objs[0].(*widget.Label), objs[1].(*widget.Label)
	dw := float32(0)
	if detail.Text != "" {
		th := detail.Theme()
		// The label's padding on both sides and a little room: a label
		// exactly as wide as its text truncates it on some drivers.
		dw = fyne.MeasureText(detail.Text, th.Size(theme.SizeNameText), detail.TextStyle).Width +
			2*th.Size(theme.SizeNameInnerPadding) + th.Size(theme.SizeNamePadding)
		dw = min(dw, size.Width*0.4)
	}
	label.Move(fyne.NewPos(0, 0))
	label.Resize(fyne.NewSize(size.Width-dw, size.Height))
	detail.Move(fyne.NewPos(size.Width-dw, 0))
	detail.Resize(fyne.NewSize(dw, size.Height))
}

func (l *switchTextLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	a, b := objs[0].MinSize(), objs[1].MinSize()
	return fyne.NewSize(a.Width+b.Width, max(a.Height, b.Height))
}
