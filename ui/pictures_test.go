package ui

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"directuschat/realtime"
)

// Scrolling up through a history with a picture in every fourth message,
// and back down: every picture in view is shown, no bigger than its box;
// a row that left the view keeps no picture (widget.List keeps such rows
// in a pool, still showing their last message); a row that comes back
// shows its picture again.
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
	var asked *atomic.Int64
	c.files, asked = countedFiles(t)
	// Another user's app in the same process, made last: fyne.CurrentApp
	// is it now, not Ada's (a sweep that asked it where Ada's pictures are
	// found none, and fetched them again and again).
	_ = test.NewTempApp(t)

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
		var missing string
		defer func() { // until fails the test: say which picture is missing
			if t.Failed() && missing != "" {
				t.Logf("%s: missing the picture of %s", where, missing)
			}
		}()
		th.until(t, 20*time.Second, "the pictures in view "+where, func() bool {
			for r := range inView() {
				for _, tv := range thumbsOf(r) {
					if tv.err != nil {
						t.Fatalf("%s: row %s's picture failed: %v", where, r.id, tv.err)
					}
					if tv.img == nil || tv.img.Image == nil {
						_, held := c.pictures[tv]
						missing = fmt.Sprintf("row %s: renderer %v, asked %v, size %v, held %v",
							r.id, tv.img != nil, tv.asked, tv.Size(), held)
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
		for r := range rows {
			for _, tv := range thumbsOf(r) {
				b, size := tv.img.Image.Bounds(), tv.Size()
				if float32(b.Dx()) > size.Width+1 || float32(b.Dy()) > size.Height+1 {
					t.Errorf("%s: row %s's picture is %v for a box of %v", where, r.id, b.Size(), size)
				}
				shownPictures++
			}
		}
		for r := range seen {
			if rows[r] {
				continue
			}
			for _, tv := range thumbsOf(r) {
				if tv.img != nil && tv.img.Image != nil {
					t.Errorf("%s: a row out of view (%s) keeps its picture", where, r.id)
				}
			}
		}
		for tv := range c.pictures {
			if !rows[tv.row] {
				t.Errorf("%s: the chat holds the picture of a row out of view (%s)", where, tv.row.id)
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
	// A picture is fetched when it comes into view, not over and over.
	if got := asked.Load(); got > int64(shownPictures) {
		t.Errorf("%d thumbnails fetched for %d pictures seen in view", got, shownPictures)
	}
}
