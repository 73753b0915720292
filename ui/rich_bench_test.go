package ui

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"directuschat/files"
	"directuschat/internal/bench"
	"directuschat/realtime"
)

// BenchmarkScrollHistory scrolls the chat from the newest of 10,000
// messages to the oldest, 120 px (three wheel clicks) at a time, on Fyne's
// test driver (no painting), with plain messages and with the same
// messages formatted (every one styled, with links and mentions, one in
// eight with a code block, one in eight with a list or a quote). Each
// scroll step is timed on the UI thread: what binding, measuring and
// laying out the rows that come into view costs; and the Go heap in use
// once the renderers of rows scrolled away expired (after a GC), over the
// heap with the messages loaded and the newest rows shown (heap-growth:
// spans in use, with their free room; live-growth: what the last GC found
// reachable), and the process's private anonymous memory then (anon: the
// heap with what the runtime has not given back yet, stacks, the C side;
// no textures on this driver). Run it with GOGC=50 and
// FYNE_CACHE=15s, as the app runs (internal/memtune); BENCH_SCROLL_PROFILE
// names a folder for heap profiles before, right after scrolling, and
// after. No server: the chat is a remembered session whose
// server does not answer.
func BenchmarkScrollHistory(b *testing.B) {
	for _, kind := range []string{"plain", "rich", "full"} {
		b.Run(kind, func(b *testing.B) {
			var res scrollResult
			for range b.N {
				res = runScroll(b, kind)
			}
			b.ReportMetric(res.maxStep, "max-step-ms")
			b.ReportMetric(res.p99Step, "p99-step-ms")
			b.ReportMetric(res.busy, "ui-busy-s")
			b.ReportMetric(res.heapGrowth, "heap-growth-MB")
			b.ReportMetric(res.heapAfter, "heap-inuse-MB")
			b.ReportMetric(res.liveGrowth, "live-growth-MB")
			b.ReportMetric(res.anon, "anon-MB")
		})
	}
}

type scrollResult struct {
	maxStep, p99Step, busy float64
	heapGrowth, heapAfter  float64
	liveGrowth             float64 // of the objects reachable at the last GC
	anon                   float64 // the process's private anonymous memory at the end
	steps                  int
}

// benchText is message i of the scroll benchmark.
func benchText(i int, rich bool) string {
	words := []string{"deploy", "staging", "the build", "tests", "release notes", "the cache", "a review", "lunch"}
	w := func(k int) string { return words[(i+k)%len(words)] }
	if !rich {
		s := fmt.Sprintf("Message %d: about %s and %s, then %s once %s is done", i, w(0), w(1), w(2), w(3))
		if i%5 == 0 {
			s += ". " + strings.Repeat("A longer thought that wraps over more than one line in the window. ", 2)
		}
		return s
	}
	return bench.RichText(i, adaID) // the texts of the real app's rich history (cmd/bench -only apprich)
}

// runScroll scrolls 10,000 messages of a kind: plain, rich (formatted), or
// full: formatted, one in seven a reply, one in five with reactions, one
// in twenty with an image (thumbnails served by a local stand-in for
// /assets: what is measured is the app's side).
func runScroll(b *testing.B, kind string) scrollResult {
	rich, full := kind != "plain", kind == "full"
	b.Helper()
	u, th := benchChat(b)
	c := u.chat

	const n = 10_000
	authors := []string{"kevin", "grace", "linus"}
	start := time.Now().Add(-n * time.Minute)
	msgs := make([]realtime.Message, n)
	for i := range msgs {
		author := authors[(i/3)%len(authors)] // runs of three by one person
		msgs[i] = realtime.Message{ID: fmt.Sprintf("m%05d", i), Text: benchText(i, rich), AuthorID: author,
			AuthorName: strings.ToUpper(author[:1]) + author[1:], Created: start.Add(time.Duration(i) * time.Minute)}
	}
	events := []realtime.Event{realtime.Loaded{Kind: realtime.LoadInitial, Messages: msgs, NoOlder: true}}
	if full {
		c.files = benchFiles(b)
		var rs []realtime.Reaction
		var ids []string
		for i := range msgs {
			m := &msgs[i]
			if i%7 == 2 {
				m.ReplyTo, m.Quote = msgs[i-1].ID, realtime.QuoteOf(msgs[i-1])
			}
			if i%20 == 10 {
				m.Files = []realtime.Attachment{{ID: fmt.Sprintf("00000000-0000-4000-8000-%012d", i), Name: "photo.png", Type: "image/png", Size: 48_000, Width: 800, Height: 600}}
			}
			if i%5 == 0 {
				ids = append(ids, m.ID)
				for k, e := range []string{"👍", "🎉", "👀"}[:1+i%3] {
					rs = append(rs, realtime.Reaction{ID: fmt.Sprintf("r%d-%d", i, k), Message: m.ID, User: authors[k], Emoji: e})
				}
			}
		}
		events[0] = realtime.Loaded{Kind: realtime.LoadInitial, Messages: msgs, NoOlder: true}
		events = append(events, realtime.ReactionsLoaded{Messages: ids, Reactions: rs})
	}
	th.run(func() { c.apply(events) })
	th.drainFor(300 * time.Millisecond)
	heap := func() float64 {
		runtime.GC()
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return mb(ms.HeapInuse)
	}
	before, liveBefore := heap(), liveHeap()
	if dir := os.Getenv("BENCH_SCROLL_PROFILE"); dir != "" {
		writeHeapProfile(b, filepath.Join(dir, fmt.Sprintf("scroll-%s-before.pprof", kind)))
		defer writeHeapProfile(b, filepath.Join(dir, fmt.Sprintf("scroll-%s-after.pprof", kind)))
	}

	// The GL driver drops renderers and textures not drawn for
	// FYNE_CACHE (the app sets 15 s) as it paints; the test driver only
	// when a canvas is captured: capture every 5 s (untimed), as often as
	// the app's cache may be cleaned.
	var steps []time.Duration
	lastClean := time.Now()
	for c.list.GetScrollOffset() > 0 {
		if time.Since(lastClean) > 5*time.Second {
			u.Window().Canvas().Capture()
			lastClean = time.Now()
		}
		off := c.list.GetScrollOffset()
		t0 := time.Now()
		th.run(func() { c.list.ScrollToOffset(off - 120) })
		steps = append(steps, time.Since(t0))
		for len(th.fns) > 0 { // what the step dispatched (a scroll to follow)
			th.run(<-th.fns)
		}
	}
	if dir := os.Getenv("BENCH_SCROLL_PROFILE"); dir != "" {
		runtime.GC()
		writeHeapProfile(b, filepath.Join(dir, fmt.Sprintf("scroll-%s-scrolled.pprof", kind)))
	}
	var res scrollResult
	var busy time.Duration
	for _, d := range steps {
		busy += d
	}
	slices.Sort(steps)
	res.steps = len(steps)
	res.maxStep = float64(steps[len(steps)-1].Microseconds()) / 1000
	res.p99Step = float64(steps[len(steps)*99/100].Microseconds()) / 1000
	res.busy = busy.Seconds()
	// What stays once the renderers of rows scrolled away expired.
	time.Sleep(cacheLifetime() + 5*time.Second)
	u.Window().Canvas().Capture()
	res.heapAfter = heap()
	res.heapGrowth = res.heapAfter - before
	res.liveGrowth = liveHeap() - liveBefore
	if sm, err := bench.ReadSmaps(os.Getpid()); err == nil {
		res.anon = float64(sm.Anonymous) / 1024
	}
	runtime.KeepAlive(u)
	return res
}

// liveHeap is the heap the last GC found reachable, in MB (HeapInuse also
// counts the free room in spans still in use).
func liveHeap() float64 {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	return mb(s[0].Value.Uint64())
}

// cacheLifetime is Fyne's cache lifetime (FYNE_CACHE, a minute unset).
func cacheLifetime() time.Duration {
	if d, err := time.ParseDuration(os.Getenv("FYNE_CACHE")); err == nil {
		return d
	}
	return time.Minute
}

// writeHeapProfile writes the heap profile to file (BENCH_SCROLL_PROFILE
// names the folder).
func writeHeapProfile(b *testing.B, file string) {
	f, err := os.Create(file)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		b.Error(err)
	}
}

// BenchmarkRichLayout lays out a 4,000-character formatted message (the
// most an expanded row shows) at a new width each time, with Fyne's
// measures: the UI-thread cost of showing it expanded, or of a window
// resize. "first" is with an empty measure cache (new words).
func BenchmarkRichLayout(b *testing.B) {
	a := test.NewTempApp(b)
	_ = a
	unit := "Some **bold** and *italic* text with a [link](https://example.com/page) and `code`, " +
		"a mention <@" + adaID + "> and https://example.org/x.\n" +
		"- first item\n- second ~~item~~\n\n> quoted *line*\n\n```go\nfunc main() { fmt.Println(\"hi\") }\n```\n\n"
	in := strings.Repeat(unit, expandChars/len(unit)+1)[:expandChars]
	body, _, fold := bodyFor(in, true, nil, adaID)
	if body == nil || fold == foldCapped {
		b.Fatalf("body %v fold %v", body != nil, fold)
	}
	b.Run("first", func(b *testing.B) {
		for i := range b.N {
			// Words the measure cache has not seen.
			s := strings.ReplaceAll(in, "item", fmt.Sprintf("item%d", i))
			body, _, _ := bodyFor(s, true, nil, adaID)
			body.layout(480)
		}
	})
	b.Run("width", func(b *testing.B) {
		w := float32(300)
		for b.Loop() {
			w++
			body.layout(w)
		}
	})
}

// benchFiles is a files client whose server is a stand-in answering every
// /assets request with a PNG of the size asked for (decoding a real
// thumbnail is part of what is measured; making it is the server's).
func benchFiles(b *testing.B) *fileLink {
	l, _ := countedFiles(b)
	return l
}

// countedFiles is a files client on a local stand-in for /assets that
// serves any thumbnail asked for, and counts the requests. Each size is
// encoded once: the stand-in runs in the app's process, and the garbage of
// encoding a PNG per request (the real server's work) would be counted
// as the app's heap.
func countedFiles(b testing.TB) (*fileLink, *atomic.Int64) {
	b.Helper()
	var asked atomic.Int64
	var mu sync.Mutex
	encoded := map[image.Point][]byte{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked.Add(1)
		wd, _ := strconv.Atoi(r.URL.Query().Get("width"))
		ht, _ := strconv.Atoi(r.URL.Query().Get("height"))
		size := image.Pt(max(min(wd, 800), 1), max(min(ht, 600), 1))
		mu.Lock()
		data, ok := encoded[size]
		if !ok {
			img := image.NewRGBA(image.Rectangle{Max: size})
			for i := range img.Pix {
				img.Pix[i] = byte(i * 7)
			}
			var buf bytes.Buffer
			_ = png.Encode(&buf, img)
			data = buf.Bytes()
			encoded[size] = data
		}
		mu.Unlock()
		w.Header().Set("Content-Type", "image/png")
		w.Header().Set("Content-Length", strconv.Itoa(len(data)))
		_, _ = w.Write(data)
	}))
	b.Cleanup(srv.Close)
	c, err := files.New(files.Config{BaseURL: srv.URL, CacheDir: b.TempDir(),
		Token: func(context.Context) (string, error) { return "bench", nil }})
	if err != nil {
		b.Fatal(err)
	}
	return &fileLink{client: c}, &asked
}
