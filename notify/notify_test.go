package notify

import (
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// fakeClock is a manual clock with timers that fire when Advance passes
// their deadline, on the caller's goroutine (like fyne.Do on the UI thread).
type fakeClock struct {
	now    time.Time
	timers []*fakeTimer
}

type fakeTimer struct {
	at      time.Time
	f       func()
	stopped bool
	fired   bool
}

func (t *fakeTimer) Stop() bool {
	was := !t.stopped && !t.fired
	t.stopped = true
	return was
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time { return c.now }

func (c *fakeClock) AfterFunc(d time.Duration, f func()) Timer {
	t := &fakeTimer{at: c.now.Add(d), f: f}
	c.timers = append(c.timers, t)
	return t
}

// Advance moves the clock forward by d, firing due timers in order.
func (c *fakeClock) Advance(d time.Duration) {
	end := c.now.Add(d)
	for {
		var next *fakeTimer
		for _, t := range c.timers {
			if !t.stopped && !t.fired && !t.at.After(end) && (next == nil || t.at.Before(next.at)) {
				next = t
			}
		}
		if next == nil {
			break
		}
		if next.at.After(c.now) {
			c.now = next.at
		}
		next.fired = true
		next.f()
	}
	c.now = end
}

func (c *fakeClock) armed() int {
	n := 0
	for _, t := range c.timers {
		if !t.stopped && !t.fired {
			n++
		}
	}
	return n
}

type shown struct {
	title, body string
	at          time.Time
}

type recorder struct {
	clock *fakeClock
	got   []shown
}

func (r *recorder) Notify(title, body string) {
	r.got = append(r.got, shown{title, body, r.clock.now})
}

func setup(t *testing.T) (*Coalescer, *fakeClock, *recorder) {
	t.Helper()
	clk := newFakeClock()
	rec := &recorder{clock: clk}
	c := NewCoalescer(Config{Notifier: rec, Now: clk.Now, AfterFunc: clk.AfterFunc})
	t.Cleanup(c.Close)
	return c, clk, rec
}

func msg(sender, text string) Message { return Message{Sender: sender, Text: text} }

func TestSingleMessageNotifiesAtOnce(t *testing.T) {
	c, _, rec := setup(t)
	c.Add(msg("Ada", "Hello there"))
	if len(rec.got) != 1 || rec.got[0].title != "Ada" || rec.got[0].body != "Hello there" {
		t.Fatalf("got %+v", rec.got)
	}
}

func TestBurstOf100GivesTwoNotifications(t *testing.T) {
	c, clk, rec := setup(t)
	senders := []string{"Ada", "Kevin"}
	for i := range 100 {
		c.Add(msg(senders[i%2], fmt.Sprintf("message %d", i)))
		clk.Advance(5 * time.Millisecond) // 100 messages in 0.5 s
	}
	if len(rec.got) != 1 {
		t.Fatalf("during the burst: %d notifications, want 1", len(rec.got))
	}
	clk.Advance(10 * time.Second)
	if len(rec.got) != 2 {
		t.Fatalf("after the burst: %d notifications, want 2: %+v", len(rec.got), rec.got)
	}
	if got, want := rec.got[1].title, "99 new messages from Kevin and Ada"; got != want {
		t.Fatalf("summary title %q, want %q", got, want)
	}
	if got, want := rec.got[1].body, "Kevin: message 99"; got != want {
		t.Fatalf("summary body %q, want %q", got, want)
	}
	if gap := rec.got[1].at.Sub(rec.got[0].at); gap != DefaultWindow {
		t.Fatalf("summary came %v after the first, want %v", gap, DefaultWindow)
	}
	if shown, pending, _ := c.Stats(); shown != 2 || pending != 0 {
		t.Fatalf("Stats = %d shown, %d pending", shown, pending)
	}
	if clk.armed() != 0 {
		t.Fatal("a timer is still armed")
	}
}

// A steady stream never produces more than one notification per window.
func TestSteadyStreamAtMostOnePerWindow(t *testing.T) {
	c, clk, rec := setup(t)
	for i := range 1000 {
		c.Add(msg("Ada", fmt.Sprint(i)))
		clk.Advance(37 * time.Millisecond)
	}
	clk.Advance(time.Minute)
	for i := 1; i < len(rec.got); i++ {
		if gap := rec.got[i].at.Sub(rec.got[i-1].at); gap < DefaultWindow {
			t.Fatalf("notifications %d and %d only %v apart", i-1, i, gap)
		}
	}
	// 37 s of messages: about one notification per 2 s.
	if n := len(rec.got); n < 15 || n > 20 {
		t.Fatalf("%d notifications for a 37 s stream", n)
	}
}

func TestHeldBackSingleMessageShownAsItself(t *testing.T) {
	c, clk, rec := setup(t)
	c.Add(msg("Ada", "one"))
	clk.Advance(500 * time.Millisecond)
	c.Add(msg("Kevin", "two"))
	if len(rec.got) != 1 {
		t.Fatalf("second message shown within the window")
	}
	clk.Advance(1499 * time.Millisecond)
	if len(rec.got) != 1 {
		t.Fatalf("held-back message shown before the window ended")
	}
	clk.Advance(time.Millisecond)
	if len(rec.got) != 2 || rec.got[1].title != "Kevin" || rec.got[1].body != "two" {
		t.Fatalf("got %+v", rec.got)
	}
}

func TestQuietSpellResets(t *testing.T) {
	c, clk, rec := setup(t)
	c.Add(msg("Ada", "one"))
	clk.Advance(DefaultWindow)
	c.Add(msg("Ada", "two"))
	if len(rec.got) != 2 {
		t.Fatalf("a message after a quiet window was not shown at once: %+v", rec.got)
	}
}

func TestSummaryNames(t *testing.T) {
	for _, c := range []struct {
		senders []string
		want    string
	}{
		{[]string{"Ada", "Ada"}, "2 new messages from Ada"},
		{[]string{"Ada", "Kevin", "Ada"}, "3 new messages from Ada and Kevin"},
		{[]string{"Ada", "Kevin", "Bob"}, "3 new messages from Ada, Kevin and Bob"},
		{[]string{"Ada", "Kevin", "Bob", "Eve", "Ada"}, "5 new messages from Ada, Kevin and 2 others"},
		{[]string{"", "  "}, "2 new messages from Someone"},
	} {
		co, clk, rec := setup(t)
		co.Add(msg("Zed", "first"))
		for _, s := range c.senders {
			co.Add(msg(s, "x"))
		}
		clk.Advance(DefaultWindow)
		if len(rec.got) != 2 || rec.got[1].title != c.want {
			t.Errorf("%q: got %+v, want title %q", c.senders, rec.got, c.want)
		}
	}
}

func TestSenderIDSeparatesNamesakes(t *testing.T) {
	c, clk, rec := setup(t)
	c.Add(msg("Zed", "first"))
	c.Add(Message{Sender: "Ada", SenderID: "u1", Text: "a"})
	c.Add(Message{Sender: "Ada", SenderID: "u2", Text: "b"})
	c.Add(Message{Sender: "Ada", SenderID: "u1", Text: "c"})
	clk.Advance(DefaultWindow)
	if got := rec.got[1].title; got != "3 new messages from Ada and Ada" {
		t.Fatalf("title %q", got)
	}
}

func TestDoNotDisturb(t *testing.T) {
	c, clk, rec := setup(t)
	c.Add(msg("Ada", "one"))
	c.Add(msg("Ada", "two")) // held back
	c.SetDoNotDisturb(true)
	if !c.DoNotDisturb() {
		t.Fatal("DoNotDisturb() = false")
	}
	for range 50 {
		c.Add(msg("Kevin", "quiet"))
	}
	clk.Advance(time.Minute)
	if len(rec.got) != 1 {
		t.Fatalf("do not disturb let through: %+v", rec.got[1:])
	}
	shown, pending, silenced := c.Stats()
	if shown != 1 || pending != 0 || silenced != 50 {
		t.Fatalf("Stats = %d, %d, %d; want 1, 0, 50", shown, pending, silenced)
	}
	c.SetDoNotDisturb(false)
	clk.Advance(time.Minute)
	if len(rec.got) != 1 {
		t.Fatal("silenced messages notified after do not disturb ended")
	}
	c.Add(msg("Ada", "back"))
	if len(rec.got) != 2 || rec.got[1].body != "back" {
		t.Fatalf("got %+v", rec.got)
	}
}

func TestDiscardAndFlush(t *testing.T) {
	c, clk, rec := setup(t)
	c.Add(msg("Ada", "one"))
	c.Add(msg("Ada", "two"))
	c.Discard() // the user opened the window
	clk.Advance(time.Minute)
	if len(rec.got) != 1 || clk.armed() != 0 {
		t.Fatalf("discarded message shown: %+v", rec.got)
	}

	clk.Advance(time.Second)
	c.Add(msg("Ada", "three"))
	c.Add(msg("Kevin", "four"))
	c.Flush()
	if len(rec.got) != 3 || rec.got[2].title != "Kevin" {
		t.Fatalf("Flush: %+v", rec.got)
	}
	if clk.armed() != 0 {
		t.Fatal("timer armed after Flush")
	}
	c.Flush() // nothing held back: nothing shown
	if len(rec.got) != 3 {
		t.Fatal("empty Flush notified")
	}
}

// A timer that fires after it was stopped (time.AfterFunc's Stop can lose
// the race) must not flush messages that belong to a newer window.
func TestStaleTimerIgnored(t *testing.T) {
	clk := newFakeClock()
	rec := &recorder{clock: clk}
	var fns []func()
	c := NewCoalescer(Config{Notifier: rec, Now: clk.Now, AfterFunc: func(d time.Duration, f func()) Timer {
		fns = append(fns, f)
		return clk.AfterFunc(d, func() {})
	}})
	c.Add(msg("Ada", "one"))
	c.Add(msg("Ada", "two"))
	c.Discard()
	c.Add(msg("Ada", "three")) // still within the window: held, new timer
	fns[0]()                   // the old timer fires late
	if len(rec.got) != 1 {
		t.Fatalf("stale timer flushed: %+v", rec.got)
	}
	fns[1]()
	if len(rec.got) != 2 || rec.got[1].body != "three" {
		t.Fatalf("got %+v", rec.got)
	}
}

func TestPreview(t *testing.T) {
	long := strings.Repeat("lorem ipsum ", 20)
	for _, c := range []struct{ in, want string }{
		{"hello", "hello"},
		{"  line one\n\n\ttwo  ", "line one two"},
		{"", "New message"},
		{" \n ", "New message"},
		{"the quick brown fox jumps", "the quick…"}, // limit 12
		{"abcdefghijklmnopqrstuvwxyz", "abcdefghijk…"},
		{"see: https://example.com/very/long/path/indeed", "see: https…"},
		{"aaaaaa bbbbbbbbbbbbbbbbbbbb", "aaaaaa…"},
		{"hello, world and more", "hello…"},
	} {
		if got := Preview(c.in, 12); got != c.want {
			t.Errorf("Preview(%q, 12) = %q, want %q", c.in, got, c.want)
		}
	}
	p := Preview(long, 100)
	if n := utf8.RuneCountInString(p); n > 100 || !strings.HasSuffix(p, "ipsum…") {
		t.Fatalf("Preview(long, 100) = %q (%d runes)", p, n)
	}
	// Runes, not bytes.
	if got := Preview(strings.Repeat("ж", 30), 10); got != strings.Repeat("ж", 9)+"…" {
		t.Fatalf("cyrillic: %q", got)
	}
	if got := Preview("exactly ten", 11); got != "exactly ten" {
		t.Fatalf("exact fit: %q", got)
	}
}

func TestPreviewInNotification(t *testing.T) {
	c, _, rec := setup(t)
	c.Add(msg("Ada", strings.Repeat("word ", 60)))
	if n := utf8.RuneCountInString(rec.got[0].body); n > DefaultPreviewRunes {
		t.Fatalf("body is %d runes", n)
	}
}

func TestDefaultTimer(t *testing.T) {
	got := make(chan string, 2)
	// A frozen clock keeps the second message within the window however
	// slowly this runs; it is then flushed by a real time.AfterFunc.
	frozen := time.Now()
	c := NewCoalescer(Config{
		Notifier: NotifierFunc(func(title, _ string) { got <- title }),
		Now:      func() time.Time { return frozen },
		Window:   time.Millisecond,
	})
	defer c.Close()
	c.Add(msg("Ada", "one"))
	c.Add(msg("Kevin", "two"))
	if title := <-got; title != "Ada" {
		t.Fatalf("first %q", title)
	}
	if title := <-got; title != "Kevin" {
		t.Fatalf("held back %q", title)
	}
}

func TestNilNotifierPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("no panic")
		}
	}()
	NewCoalescer(Config{})
}
