package ui

import (
	"fmt"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"directuschat/realtime"
)

// rowsBetween finds the rows widget.List shows for a viewport: the row
// whose separator holds the top is still shown, a row starting at the
// bottom is not.
func TestRowsBetweenMatchesTheList(t *testing.T) {
	h := &rowHeights{template: 40, applied: map[int]float32{2: 100}}
	// Rows (separators of 4 between): 0 at [0,40), 1 [44,84), 2 [88,188),
	// 3 [192,232), 4 [236,276), 5 [280,320) ...
	for _, tc := range []struct {
		top, bottom float32
		first, last int
	}{
		{0, 44, 0, 0},     // row 1 starts at the bottom
		{42, 100, 0, 2},   // 42 is in row 0's separator
		{44, 192, 1, 2},   // row 3 starts at the bottom
		{189, 237, 2, 4},  // 189 is in row 2's separator
		{300, 2000, 5, 9}, // past the end: the last row
	} {
		first, last := h.rowsBetween(tc.top, tc.bottom, 4, 10)
		if first != tc.first || last != tc.last {
			t.Errorf("rowsBetween(%v, %v) = %d, %d; want %d, %d", tc.top, tc.bottom, first, last, tc.first, tc.last)
		}
	}
}

// Scrolling up through a history with a picture in every fourth message,
// and back down: every picture in view is shown, no bigger than its box;
// a row that left the view keeps no picture (widget.List keeps such rows
// in a pool, still showing their last message), except the row just
// beyond either edge; a row that comes back shows its picture again. The
// rows the chat remembers as bound are only those in view.
func TestPicturesScrolledAwayAreDropped(t *testing.T) {
	a := test.NewTempApp(t)
	th := newBenchUI()
	u := New(a, Config{Dispatch: th.dispatch, Logger: quiet()})
	u.Window().Resize(fyne.NewSize(480, 640))
	u.Window().Show()
	s, err := realtime.Open(realtime.Config{Server: "http://127.0.0.1:1", Logger: quiet()},
		realtime.Remembered{RefreshToken: "unused", User: realtime.User{ID: adaID, FirstName: "Ada"}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	th.run(func() { u.showChat(s, account{server: "http://127.0.0.1:1", email: "ada@example.com"}, false) })
	c := u.chat
	c.files = benchFiles(t)

	const n = 120
	start := time.Now().Add(-n * time.Hour)
	msgs := make([]realtime.Message, n)
	for i := range msgs {
		msgs[i] = realtime.Message{ID: fmt.Sprintf("m%03d", i), Text: fmt.Sprintf("message %d", i), AuthorID: "kevin",
			AuthorName: "Kevin", Created: start.Add(time.Duration(i) * time.Hour)}
		if i%4 == 1 {
			msgs[i].Files = []realtime.Attachment{{ID: fmt.Sprintf("00000000-0000-4000-8000-%012d", i),
				Name: "photo.png", Type: "image/png", Size: 48_000, Width: 800, Height: 600}}
		}
	}
	th.run(func() {
		c.apply([]realtime.Event{realtime.Loaded{Kind: realtime.LoadInitial, Messages: msgs, NoOlder: true}})
	})

	seen := map[*messageRow]bool{} // every row ever shown
	inView := func() map[*messageRow]bool {
		rows := map[*messageRow]bool{}
		for _, o := range objectsIn(c.list) {
			if r, ok := o.(*messageRow); ok && r.parts != nil {
				rows[r] = true
				seen[r] = true
			}
		}
		return rows
	}
	thumbsOf := func(r *messageRow) []*thumbView {
		var out []*thumbView
		if r.parts != nil && r.parts.files != nil && r.parts.files.set != nil {
			for _, it := range r.parts.files.items {
				if tv, ok := it.(*thumbView); ok {
					out = append(out, tv)
				}
			}
		}
		return out
	}
	shownPictures := 0
	check := func(where string) {
		t.Helper()
		th.until(t, 20*time.Second, "the pictures in view "+where, func() bool {
			for r := range inView() {
				for _, tv := range thumbsOf(r) {
					if tv.img == nil || tv.img.Image == nil {
						return false
					}
				}
			}
			return true
		})
		for len(th.fns) > 0 { // what is dispatched still (a look for rows away)
			th.run(<-th.fns)
		}
		rows := inView()
		lo, hi := n, -1
		for r := range rows {
			lo, hi = min(lo, r.index), max(hi, r.index)
			for _, tv := range thumbsOf(r) {
				b, size := tv.img.Image.Bounds(), tv.Size()
				if float32(b.Dx()) > size.Width+1 || float32(b.Dy()) > size.Height+1 {
					t.Errorf("%s: row %d's picture is %v for a box of %v", where, r.index, b.Size(), size)
				}
				shownPictures++
			}
		}
		if len(c.boundRows) > len(rows)+2 {
			t.Errorf("%s: %d rows kept as bound with %d in view", where, len(c.boundRows), len(rows))
		}
		for r := range seen {
			if rows[r] || (r.index >= lo-1 && r.index <= hi+1) {
				continue
			}
			for _, tv := range thumbsOf(r) {
				if tv.img != nil && tv.img.Image != nil {
					t.Errorf("%s: a row out of view (row %d, %s; rows %d to %d in view) keeps its picture", where, r.index, r.id, lo, hi)
				}
			}
		}
	}

	check("at the bottom")
	steps := 0
	for c.list.GetScrollOffset() > 0 {
		off := c.list.GetScrollOffset()
		th.run(func() { c.list.ScrollToOffset(off - 300) })
		steps++
		check(fmt.Sprintf("%d steps up", steps))
	}
	for i := 0; !c.atBottom(); i++ {
		off := c.list.GetScrollOffset()
		th.run(func() { c.list.ScrollToOffset(off + 300) })
		check(fmt.Sprintf("%d steps down", i+1))
	}
	if len(seen) < 10 || shownPictures < n/4 {
		t.Fatalf("the test saw %d rows and %d pictures: it scrolled through nothing", len(seen), shownPictures)
	}
}
