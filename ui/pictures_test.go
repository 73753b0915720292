package ui

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"

	"directuschat/files"
	"directuschat/realtime"
)

// Scrolling up through a history with a picture in every fourth message,
// and back down: every picture in view is shown, no bigger than its box;
// what the chat holds of pictures never passes its budget (a few windows
// of pixels), so the pictures left far behind are not held; none is
// fetched over and over.
func TestPicturesScrolledAwayAreDropped(t *testing.T) {
	u, th := benchChat(t)
	c := u.chat
	link, asked := countedFiles(t)
	c.files = link
	// Another user's app in the same process, made last: fyne.CurrentApp
	// is it now, not Ada's.
	_ = test.NewTempApp(t)

	const n = 160
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
	budget := c.pictures.budget()
	if pictures := budget / (thumbMaxW * thumbMaxH * 4); pictures >= n/4/2 {
		t.Fatalf("the budget holds %d pictures: the history's %d would not test it", pictures, n/4)
	}

	inView := func() map[*messageRow]bool {
		rows := map[*messageRow]bool{}
		for _, o := range objectsIn(c.list) {
			if r, ok := o.(*messageRow); ok && r.parts != nil {
				rows[r] = true
			}
		}
		return rows
	}
	thumbsOf := func(r *messageRow) []*thumbView {
		var out []*thumbView
		if r.parts != nil && r.parts.files != nil && !r.parts.files.set.empty() {
			for _, it := range r.parts.files.items {
				if tv, ok := it.(*thumbView); ok {
					out = append(out, tv)
				}
			}
		}
		return out
	}
	held := func() map[string]bool {
		ids := map[string]bool{}
		for e := c.pictures.order.Front(); e != nil; e = e.Next() {
			ids[e.Value.(*thumbView).a.ID] = true
		}
		return ids
	}
	shown := map[string]bool{} // every picture seen in view
	check := func(where string) {
		t.Helper()
		th.until(t, 20*time.Second, "the pictures in view "+where, func() bool {
			for r := range inView() {
				for _, tv := range thumbsOf(r) {
					if tv.err != nil {
						t.Fatalf("%s: row %s's picture failed: %v", where, r.id, tv.err)
					}
					if tv.img == nil || tv.img.Image == nil {
						return false
					}
				}
			}
			return true
		})
		for r := range inView() {
			for _, tv := range thumbsOf(r) {
				b, size := tv.img.Image.Bounds(), tv.Size()
				if float32(b.Dx()) > size.Width+1 || float32(b.Dy()) > size.Height+1 {
					t.Errorf("%s: row %s's picture is %v for a box of %v", where, r.id, b.Size(), size)
				}
				shown[tv.a.ID] = true
			}
		}
		if got := c.pictures.heldBytes(); got > budget {
			t.Errorf("%s: the chat holds %d bytes of pictures, over its budget of %d", where, got, budget)
		}
		var sum int64
		for e := c.pictures.order.Front(); e != nil; e = e.Next() {
			tv := e.Value.(*thumbView)
			if tv.img == nil || tv.img.Image == nil {
				t.Errorf("%s: the store counts %s's picture, which its view does not show", where, tv.a.ID)
				continue
			}
			sum += pixelBytes(tv.img.Image)
		}
		if sum != c.pictures.heldBytes() {
			t.Errorf("%s: the store counts %d bytes, its pictures have %d", where, c.pictures.heldBytes(), sum)
		}
	}

	check("at the bottom")
	newest := shown // the pictures in view at the bottom
	shown = map[string]bool{}
	if len(newest) == 0 {
		t.Fatal("no picture in view at the bottom")
	}
	steps := 0
	for c.list.GetScrollOffset() > 0 {
		off := c.list.GetScrollOffset()
		th.run(func() { c.list.ScrollToOffset(off - 300) })
		steps++
		check(fmt.Sprintf("%d steps up", steps))
	}
	for id := range newest {
		shown[id] = true
	}
	if len(shown) < n/4*3/4 {
		t.Fatalf("%d of the %d pictures were seen in view: the test scrolled through nothing", len(shown), n/4)
	}
	// At the top, the pictures seen at the bottom are far behind: the
	// chat holds none of them.
	for id := range held() {
		if newest[id] {
			t.Errorf("at the top, the chat still holds %s's picture, seen at the bottom", id)
		}
	}
	for i := 0; !c.atBottom(); i++ {
		off := c.list.GetScrollOffset()
		th.run(func() { c.list.ScrollToOffset(off + 300) })
		check(fmt.Sprintf("%d steps down", i+1))
	}
	// A picture is fetched from the server once or twice (a row laid out
	// narrow first asks again for its full box; one that comes back reads
	// the disk cache), not over and over.
	if got := asked.Load(); got > 2*int64(len(shown)) {
		t.Errorf("%d thumbnails fetched from the server for %d pictures", got, len(shown))
	}
	// Nothing is fetched while the list only refreshes in place.
	holds := c.pictures.holds
	for range 5 {
		th.run(c.list.Refresh)
		for len(th.fns) > 0 {
			th.run(<-th.fns)
		}
	}
	if c.pictures.holds != holds {
		t.Errorf("the pictures in view were fetched again %d times by refreshes", c.pictures.holds-holds)
	}
}

// benchChat is Ada's chat in a 480×640 window, offline (its server does
// not answer), with no messages yet; pictures come from u.chat.files.
func benchChat(tb testing.TB) (*App, *benchUI) {
	tb.Helper()
	return benchChatWith(tb, Config{})
}

// benchChatWith is benchChat with more of the app's configuration.
func benchChatWith(tb testing.TB, cfg Config) (*App, *benchUI) {
	tb.Helper()
	a := test.NewTempApp(tb)
	th := newBenchUI()
	cfg.Dispatch, cfg.Logger = th.dispatch, quiet()
	u := New(a, cfg)
	u.Window().Resize(fyne.NewSize(480, 640))
	u.Window().Show()
	s, err := realtime.Open(realtime.Config{Server: "http://127.0.0.1:1", Logger: quiet()},
		realtime.Remembered{RefreshToken: "unused", User: realtime.User{ID: adaID, FirstName: "Ada"}})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	th.run(func() { u.showChat(s, account{server: "http://127.0.0.1:1", email: "ada@example.com"}, false) })
	return u, th
}

// A thumbnail the server failed to make (503) is asked again and shown;
// one the server refuses (403) shows the error box.
func TestThumbnailAskedAgainAfterAServerFailure(t *testing.T) {
	u, th := benchChat(t)
	c := u.chat
	const flaky, refused = "00000000-0000-4000-8000-000000000001", "00000000-0000-4000-8000-000000000002"
	var mu sync.Mutex
	asked := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := strings.TrimPrefix(r.URL.Path, "/assets/")
		mu.Lock()
		asked[id]++
		n := asked[id]
		mu.Unlock()
		switch {
		case id == refused:
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusForbidden)
			_, _ = w.Write([]byte(`{"errors":[{"message":"You don't have permission to access this.","extensions":{"code":"FORBIDDEN"}}]}`))
		case n == 1:
			w.WriteHeader(http.StatusServiceUnavailable)
		default:
			w.Header().Set("Content-Type", "image/png")
			_ = png.Encode(w, image.NewRGBA(image.Rect(0, 0, 300, 200)))
		}
	}))
	defer srv.Close()
	fc, err := files.New(files.Config{BaseURL: srv.URL, Token: func(context.Context) (string, error) { return "tok", nil }})
	if err != nil {
		t.Fatal(err)
	}
	c.files = &fileLink{client: fc}
	msgs := []realtime.Message{
		{ID: "m1", Text: "flaky", AuthorID: "kevin", AuthorName: "Kevin", Created: time.Now().Add(-time.Minute),
			Files: []realtime.Attachment{{ID: flaky, Name: "a.png", Type: "image/png", Size: 9000, Width: 300, Height: 200}}},
		{ID: "m2", Text: "refused", AuthorID: "kevin", AuthorName: "Kevin", Created: time.Now(),
			Files: []realtime.Attachment{{ID: refused, Name: "b.png", Type: "image/png", Size: 9000, Width: 300, Height: 200}}},
	}
	th.run(func() {
		c.apply([]realtime.Event{realtime.Loaded{Kind: realtime.LoadInitial, Messages: msgs, NoOlder: true}})
	})
	thumbOf := func(id string) *thumbView {
		for _, o := range objectsIn(c.list) {
			if tv, ok := o.(*thumbView); ok && tv.a.ID == id {
				return tv
			}
		}
		return nil
	}
	defer func() {
		if t.Failed() {
			mu.Lock()
			tv := thumbOf(flaky)
			if tv != nil {
				t.Logf("asked %v; flaky: err %v, retries %d, held %v, asked %v, size %v", asked, tv.err, tv.retries, tv.held != nil, tv.asked, tv.Size())
			} else {
				t.Logf("asked %v; flaky not in view", asked)
			}
			mu.Unlock()
		}
	}()
	th.until(t, 20*time.Second, "the flaky picture shown after a 503", func() bool {
		tv := thumbOf(flaky)
		return tv != nil && tv.img != nil && tv.img.Image != nil
	})
	th.until(t, 20*time.Second, "the refused picture's error", func() bool {
		tv := thumbOf(refused)
		return tv != nil && tv.err != nil
	})
	if tv := thumbOf(flaky); tv.err != nil {
		t.Errorf("the flaky picture keeps an error: %v", tv.err)
	}
	mu.Lock()
	defer mu.Unlock()
	if asked[refused] != 1 {
		t.Errorf("a refused picture was asked %d times", asked[refused])
	}
}

// The store drops the least recently shown pictures over its budget, never
// the one it is given, and forgets those a row no longer shows.
func TestPictureStoreDropsLeastRecentlyShown(t *testing.T) {
	_ = test.NewTempApp(t)
	const side = 10 // 400 bytes a picture
	budget := int64(3 * side * side * 4)
	s := newPictureStore(func() int64 { return budget })
	c := &chatView{pictures: s}
	views := make([]*thumbView, 5)
	for i := range views {
		views[i] = &thumbView{chat: c, img: canvas.NewImageFromImage(nil), asked: fyne.NewSize(side, side)}
	}
	pic := func() image.Image { return image.NewRGBA(image.Rect(0, 0, side, side)) }
	shows := func() string {
		out := ""
		for i, v := range views {
			if v.img.Image != nil {
				out += fmt.Sprint(i)
			}
		}
		return out
	}
	s.hold(views[0], pic())
	s.hold(views[1], pic())
	s.hold(views[2], pic())
	s.touch(views[0])
	s.hold(views[3], pic()) // over: 1 is the least recently shown
	if got := shows(); got != "023" {
		t.Errorf("pictures shown = %s, want 023", got)
	}
	if views[1].asked != (fyne.Size{}) {
		t.Error("a dropped picture is not fetched again at the next layout")
	}
	if s.heldBytes() != budget || s.count() != 3 {
		t.Errorf("held %d bytes in %d pictures, want %d in 3", s.heldBytes(), s.count(), budget)
	}
	s.drop(views[2]) // its row shows another message
	s.hold(views[4], pic())
	if got := shows(); got != "034" {
		t.Errorf("pictures shown = %s, want 034", got)
	}
	s.hold(views[0], image.NewRGBA(image.Rect(0, 0, 2*side, 2*side))) // bigger than all: alone
	if got := shows(); got != "0" || s.heldBytes() != 4*side*side*4 {
		t.Errorf("pictures shown = %s holding %d bytes, want only 0's, %d", got, s.heldBytes(), 4*side*side*4)
	}
}

// Pictures are fetched and decoded a few at a time: with fifteen in view
// and a server that holds every request, no more than thumbFetches are
// asked at once, and all are shown once it answers. (Without the line,
// scrolling fast through a history of pictures decoded hundreds at once,
// for rows long gone: the heap grew by hundreds of megabytes.)
func TestThumbnailFetchesWaitInLine(t *testing.T) {
	u, th := benchChat(t)
	c := u.chat
	u.Window().Resize(fyne.NewSize(480, 1800))
	gate := make(chan struct{})
	arrived := make(chan struct{}, 1000)
	var mu sync.Mutex
	inFlight, most, total := 0, 0, 0
	var picture bytes.Buffer
	_ = png.Encode(&picture, image.NewRGBA(image.Rect(0, 0, 64, 48)))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		inFlight++
		total++
		most = max(most, inFlight)
		mu.Unlock()
		defer func() { // before the server sends the answer
			mu.Lock()
			inFlight--
			mu.Unlock()
		}()
		arrived <- struct{}{}
		select {
		case <-gate:
			w.Header().Set("Content-Type", "image/png")
			_, _ = w.Write(picture.Bytes())
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	opened := false
	open := func() {
		if !opened {
			opened = true
			close(gate)
		}
	}
	defer open() // before the server closes: it waits for the requests
	fc, err := files.New(files.Config{BaseURL: srv.URL, Token: func(context.Context) (string, error) { return "tok", nil }})
	if err != nil {
		t.Fatal(err)
	}
	c.files = &fileLink{client: fc}
	const n = 15
	start := time.Now().Add(-n * time.Hour)
	msgs := make([]realtime.Message, n)
	for i := range msgs {
		msgs[i] = realtime.Message{ID: fmt.Sprintf("m%02d", i), Text: fmt.Sprint(i), AuthorID: "kevin", AuthorName: "Kevin",
			Created: start.Add(time.Duration(i) * time.Hour),
			Files: []realtime.Attachment{{ID: fmt.Sprintf("00000000-0000-4000-8000-%012d", i), Name: "p.png", Type: "image/png",
				Size: 900, Width: 64, Height: 48}}}
	}
	th.run(func() {
		c.apply([]realtime.Event{realtime.Loaded{Kind: realtime.LoadInitial, Messages: msgs, NoOlder: true}})
	})
	thumbs := func() []*thumbView {
		var out []*thumbView
		for _, o := range objectsIn(c.list) {
			if tv, ok := o.(*thumbView); ok && tv.Visible() {
				out = append(out, tv)
			}
		}
		return out
	}
	deadline := time.After(20 * time.Second)
	for got := 0; got < thumbFetches; {
		select {
		case <-arrived:
			got++
		case fn := <-th.fns:
			th.run(fn)
		case <-deadline:
			t.Fatalf("%d thumbnails asked, want %d", got, thumbFetches)
		}
	}
	if shown := len(thumbs()); shown < n {
		t.Fatalf("%d pictures in view, want %d", shown, n)
	}
	open()
	th.until(t, 20*time.Second, "every picture shown", func() bool {
		for _, tv := range thumbs() {
			if tv.img == nil || tv.img.Image == nil {
				return false
			}
		}
		return true
	})
	mu.Lock()
	defer mu.Unlock()
	if most > thumbFetches {
		t.Errorf("%d thumbnails asked at once, want at most %d", most, thumbFetches)
	}
	if total != n {
		t.Errorf("%d thumbnails asked for %d pictures", total, n)
	}
}
