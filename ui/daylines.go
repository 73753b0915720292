package ui

import (
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"directuschat/timeline"
)

// Headers and day lines. Consecutive messages by the same person within
// groupWindow share one header (author and time shown once), as in Slack
// and Element; a day line ("Today", "Yesterday", "Monday 30 November")
// goes above the first message of each day. The full date and time of any
// message is in its context menu (a secondary tap or a long press): Fyne
// 2.8 has no tooltips.

// groupWindow is how long after a message the same person's next one
// still goes under its header.
const groupWindow = 5 * time.Minute

// continues reports whether cur, shown right after prev, goes under prev's
// header: both stored (a message waiting or failed shows its state in its
// own header), by the same known author, cur not edited (its header says
// so), created within groupWindow of prev on the same day.
func continues(prev, cur timeline.Entry) bool {
	if prev.Status != timeline.Sent || cur.Status != timeline.Sent || cur.Edited() {
		return false
	}
	if cur.AuthorID == "" || cur.AuthorID != prev.AuthorID {
		return false
	}
	gap := cur.Created.Sub(prev.Created)
	return gap >= 0 && gap <= groupWindow && sameDay(prev.Created.Local(), cur.Created.Local())
}

// sameDay reports whether a and b are on the same calendar day (in a's
// location).
func sameDay(a, b time.Time) bool {
	b = b.In(a.Location())
	ay, am, ad := a.Date()
	by, bm, bd := b.Date()
	return ay == by && am == bm && ad == bd
}

// dayLabel is the day line for a message created at t, seen at now (in
// now's location): "Today", "Yesterday", the weekday and date, with the
// year when it is not this year's.
func dayLabel(t, now time.Time) string {
	t = t.In(now.Location())
	switch {
	case sameDay(now, t):
		return "Today"
	case sameDay(now.AddDate(0, 0, -1), t):
		return "Yesterday"
	case t.Year() == now.Year():
		return t.Format("Monday 2 January")
	}
	return t.Format("Monday 2 January 2006")
}

// untilNextDay is how long after now the next calendar day begins in
// now's location (a second into it, so labels made then are of the new
// day): "Today" becomes "Yesterday" at midnight, not at the next
// message.
func untilNextDay(now time.Time) time.Duration {
	y, m, d := now.Date()
	return time.Date(y, m, d+1, 0, 0, 1, 0, now.Location()).Sub(now)
}

// dayLineAt is the day line above row i (entries by index, the first at
// 0), "" for none: a row starts a day when the row before it is of
// another day. The first row has one only when nothing older is left to
// load (else the next older page may turn out to be of the same day).
func dayLineAt(at func(int) timeline.Entry, i int, hasOlder bool, now time.Time) string {
	cur := at(i).Created.Local()
	if i == 0 {
		if hasOlder {
			return ""
		}
		return dayLabel(cur, now)
	}
	if sameDay(at(i-1).Created.Local(), cur) {
		return ""
	}
	return dayLabel(cur, now)
}

// fullTime is a message's date and time as its context menu shows it.
func fullTime(t time.Time) string {
	return t.Local().Format("Monday 2 January 2006, 15:04:05")
}

// dayLine is the line with a day's name above its first message.
type dayLine struct {
	widget.BaseWidget
	label       *canvas.Text
	left, right *canvas.Rectangle
	text        string
}

func newDayLine() *dayLine {
	d := &dayLine{}
	d.ExtendBaseWidget(d)
	return d
}

func (d *dayLine) setText(s string) {
	if s == d.text {
		return
	}
	d.text = s
	d.Refresh()
}

// dayLineHeight is the height of a day line.
func dayLineHeight() float32 {
	return fyne.MeasureText("Today", theme.CaptionTextSize(), fyne.TextStyle{Bold: true}).Height + 2*theme.Padding()
}

func (d *dayLine) MinSize() fyne.Size { return fyne.NewSize(0, dayLineHeight()) }

func (d *dayLine) CreateRenderer() fyne.WidgetRenderer {
	d.label = canvas.NewText("", theme.Color(theme.ColorNamePlaceHolder))
	d.label.TextStyle = fyne.TextStyle{Bold: true}
	d.left = canvas.NewRectangle(theme.Color(theme.ColorNameSeparator))
	d.right = canvas.NewRectangle(theme.Color(theme.ColorNameSeparator))
	r := &dayLineRenderer{d: d}
	r.Refresh()
	return r
}

type dayLineRenderer struct{ d *dayLine }

func (r *dayLineRenderer) Destroy() {}

func (r *dayLineRenderer) Objects() []fyne.CanvasObject {
	return []fyne.CanvasObject{r.d.left, r.d.label, r.d.right}
}

func (r *dayLineRenderer) MinSize() fyne.Size { return r.d.MinSize() }

func (r *dayLineRenderer) Layout(size fyne.Size) {
	d := r.d
	ts := d.label.MinSize()
	pad := theme.InnerPadding()
	x := (size.Width - ts.Width) / 2
	mid := size.Height / 2
	d.label.Move(fyne.NewPos(x, (size.Height-ts.Height)/2))
	d.label.Resize(ts)
	d.left.Move(fyne.NewPos(pad, mid))
	d.left.Resize(fyne.NewSize(max(x-2*pad, 0), 1))
	d.right.Move(fyne.NewPos(x+ts.Width+pad, mid))
	d.right.Resize(fyne.NewSize(max(size.Width-x-ts.Width-2*pad, 0), 1))
}

func (r *dayLineRenderer) Refresh() {
	d := r.d
	th := d.Theme()
	v := fyne.CurrentApp().Settings().ThemeVariant()
	d.label.Text = d.text
	d.label.TextSize = th.Size(theme.SizeNameCaptionText)
	d.label.Color = th.Color(theme.ColorNamePlaceHolder, v)
	d.left.FillColor = th.Color(theme.ColorNameSeparator, v)
	d.right.FillColor = d.left.FillColor
	d.label.Refresh()
	d.left.Refresh()
	d.right.Refresh()
	r.Layout(d.Size())
}
