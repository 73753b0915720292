// Package notify decides which desktop notifications a chat client shows
// and finds out whether the desktop has a system tray. It imports no UI
// toolkit: the Fyne adapter for [Notifier] is in notify/fynenotify.
//
// A [Coalescer] turns incoming messages into at most one notification per
// window (2 s by default): the first message after a quiet spell is shown at
// once ("Ada" / a preview of the text); messages arriving within the window
// after a notification are collected and shown together when it ends ("5 new
// messages from Ada and Kevin"). Its clock and timer are injected so the UI
// can drive it from the UI goroutine and tests can drive it with a fake clock.
package notify

import (
	"fmt"
	"strings"
	"sync"
	"time"
)

// Notifier shows a desktop notification. Implementations must not block
// for long: the Coalescer calls Notify on the goroutine that fed it the
// message or fired its timer.
type Notifier interface {
	Notify(title, body string)
}

// NotifierFunc adapts a function to [Notifier].
type NotifierFunc func(title, body string)

// Notify calls f(title, body).
func (f NotifierFunc) Notify(title, body string) { f(title, body) }

// Message is an incoming chat message as far as notifications care.
type Message struct {
	// Sender is the name shown for the author, usually the first name.
	Sender string
	// SenderID tells apart senders that share a name; if empty, Sender
	// is used.
	SenderID string
	Text     string
	At       time.Time
}

// Timer is a pending call scheduled by Config.AfterFunc.
type Timer interface {
	// Stop cancels the call; it reports whether it did (false if the call
	// already ran or was stopped).
	Stop() bool
}

// Defaults for [Config].
const (
	DefaultWindow       = 2 * time.Second
	DefaultPreviewRunes = 100
)

// Config configures a [Coalescer]. Only Notifier is required.
type Config struct {
	Notifier Notifier
	// Now returns the current time; default time.Now.
	Now func() time.Time
	// AfterFunc schedules f to run once after d. Default: time.AfterFunc,
	// which runs f on its own goroutine; a Fyne UI passes
	//   func(d time.Duration, f func()) notify.Timer {
	//       return time.AfterFunc(d, func() { fyne.Do(f) })
	//   }
	// so that the flush, and the Notify it makes, happen on the UI goroutine.
	AfterFunc func(d time.Duration, f func()) Timer
	// Window is the shortest time between two notifications; default
	// DefaultWindow.
	Window time.Duration
	// PreviewRunes caps the length of a message preview; default
	// DefaultPreviewRunes.
	PreviewRunes int
}

// Coalescer turns a stream of messages into few notifications. Its methods
// are safe for concurrent use, but it is meant to be fed from one goroutine
// (the UI goroutine) with its timer firing on that same goroutine. Notify is
// never called with the Coalescer's lock held.
type Coalescer struct {
	notifier  Notifier
	now       func() time.Time
	afterFunc func(time.Duration, func()) Timer
	window    time.Duration
	preview   int

	mu       sync.Mutex
	lastShow time.Time // when the last notification went out; zero: never
	pending  []Message // held back until the window ends
	timer    Timer     // armed while pending is not empty
	gen      uint64    // invalidates a timer that was stopped too late
	dnd      bool
	shown    int
	silenced int
}

// NewCoalescer returns a Coalescer for cfg. It panics if cfg.Notifier is nil.
func NewCoalescer(cfg Config) *Coalescer {
	if cfg.Notifier == nil {
		panic("notify: Config.Notifier is nil")
	}
	c := &Coalescer{
		notifier:  cfg.Notifier,
		now:       cfg.Now,
		afterFunc: cfg.AfterFunc,
		window:    cfg.Window,
		preview:   cfg.PreviewRunes,
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.afterFunc == nil {
		c.afterFunc = func(d time.Duration, f func()) Timer { return time.AfterFunc(d, f) }
	}
	if c.window <= 0 {
		c.window = DefaultWindow
	}
	if c.preview <= 0 {
		c.preview = DefaultPreviewRunes
	}
	return c
}

// Add takes one message that deserves a notification (from someone else,
// live, while the window is hidden or unfocused: the caller decides). It
// shows it at once if no notification went out within the window, and
// otherwise holds it for the summary shown when the window ends. While do
// not disturb is on it only counts the message.
func (c *Coalescer) Add(m Message) {
	c.mu.Lock()
	if c.dnd {
		c.silenced++
		c.mu.Unlock()
		return
	}
	now := c.now()
	if len(c.pending) == 0 && (c.lastShow.IsZero() || !now.Before(c.lastShow.Add(c.window))) {
		c.lastShow = now
		c.shown++
		title, body := c.single(m)
		c.mu.Unlock()
		c.notifier.Notify(title, body)
		return
	}
	c.pending = append(c.pending, m)
	if c.timer == nil {
		c.gen++
		gen := c.gen
		wait := min(max(c.lastShow.Add(c.window).Sub(now), 0), c.window)
		c.timer = c.afterFunc(wait, func() { c.fire(gen) })
	}
	c.mu.Unlock()
}

// fire is the timer callback: it flushes unless the timer was superseded.
func (c *Coalescer) fire(gen uint64) {
	c.mu.Lock()
	if gen != c.gen {
		c.mu.Unlock()
		return
	}
	c.flushLocked() // unlocks
}

// Flush shows the held-back messages now, as one notification, instead of
// waiting for the window to end. It does nothing if none are held back.
func (c *Coalescer) Flush() {
	c.mu.Lock()
	c.flushLocked()
}

func (c *Coalescer) flushLocked() {
	c.stopLocked()
	if len(c.pending) == 0 {
		c.mu.Unlock()
		return
	}
	var title, body string
	if len(c.pending) == 1 {
		title, body = c.single(c.pending[0])
	} else {
		title, body = c.summary(c.pending)
	}
	c.pending = nil
	c.lastShow = c.now()
	c.shown++
	c.mu.Unlock()
	c.notifier.Notify(title, body)
}

// Discard drops the held-back messages without notifying, e.g. when the
// user brings the chat window to the front.
func (c *Coalescer) Discard() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.pending = nil
	c.stopLocked()
}

func (c *Coalescer) stopLocked() {
	if c.timer != nil {
		c.timer.Stop()
		c.timer = nil
		c.gen++
	}
}

// SetDoNotDisturb turns do not disturb on or off. Turning it on drops the
// held-back messages; messages that arrive while it is on are counted (see
// Stats) but never notified, not even when it is turned off again.
func (c *Coalescer) SetDoNotDisturb(on bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.dnd = on
	if on {
		c.pending = nil
		c.stopLocked()
	}
}

// DoNotDisturb reports whether do not disturb is on.
func (c *Coalescer) DoNotDisturb() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.dnd
}

// Stats reports how many notifications were shown, how many messages are
// held back for the next one, and how many were silenced by do not disturb.
func (c *Coalescer) Stats() (shown, pending, silenced int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.shown, len(c.pending), c.silenced
}

// Close stops the timer and drops held-back messages.
func (c *Coalescer) Close() { c.Discard() }

func (c *Coalescer) single(m Message) (title, body string) {
	return senderName(m), Preview(m.Text, c.preview)
}

func (c *Coalescer) summary(ms []Message) (title, body string) {
	var names []string
	seen := map[string]bool{}
	for _, m := range ms {
		id := m.SenderID
		if id == "" {
			id = "name:" + senderName(m)
		}
		if !seen[id] {
			seen[id] = true
			names = append(names, senderName(m))
		}
	}
	title = fmt.Sprintf("%d new messages from %s", len(ms), joinNames(names))
	last := ms[len(ms)-1]
	body = senderName(last) + ": " + Preview(last.Text, c.preview)
	return title, body
}

func senderName(m Message) string {
	if n := strings.TrimSpace(m.Sender); n != "" {
		return n
	}
	return "Someone"
}

// joinNames: "Ada", "Ada and Kevin", "Ada, Kevin and Bob",
// "Ada, Kevin and 2 others".
func joinNames(names []string) string {
	switch n := len(names); {
	case n == 1:
		return names[0]
	case n == 2:
		return names[0] + " and " + names[1]
	case n == 3:
		return names[0] + ", " + names[1] + " and " + names[2]
	default:
		return fmt.Sprintf("%s, %s and %d others", names[0], names[1], n-2)
	}
}

// Preview returns text on one line (runs of white space become one space)
// cut to at most limit runes: at the last word boundary when there is one in
// the second half, else mid-word, and ended with "…". Empty text gives
// "New message".
func Preview(text string, limit int) string {
	t := strings.Join(strings.Fields(text), " ")
	if t == "" {
		return "New message"
	}
	rs := []rune(t)
	if limit < 2 || len(rs) <= limit {
		return t
	}
	cut := limit - 1 // room for "…"
	if rs[cut-1] != ' ' && rs[cut] != ' ' {
		// Mid-word: back up to the last space, unless that loses more
		// than half the preview.
		for i := cut - 1; i > cut/2; i-- {
			if rs[i] == ' ' {
				cut = i
				break
			}
		}
	}
	out := strings.TrimRightFunc(string(rs[:cut]), func(c rune) bool {
		return c == ' ' || strings.ContainsRune(",;:-–—", c)
	})
	if out == "" {
		out = string(rs[:cut])
	}
	return out + "…"
}
