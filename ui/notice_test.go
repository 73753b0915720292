package ui

import (
	"strings"
	"testing"
	"time"

	"directuschat/realtime"
)

// A passing notice ("Copied the message.") stays its time in the status
// line, even while the offline countdown ticks there every second, and
// then gives the line back to the connection state; if the pointer is over
// a link then, the state comes back when it leaves.
func TestNoticesGiveTheStatusLineBack(t *testing.T) {
	u, th := benchChat(t)
	c := u.chat
	c.noticeFor = 1500 * time.Millisecond // longer than a countdown tick
	th.run(func() {
		c.apply([]realtime.Event{realtime.Loaded{Kind: realtime.LoadInitial, NoOlder: true, Messages: []realtime.Message{
			{ID: "m1", Text: "see https://example.com", AuthorID: "kevin", AuthorName: "Kevin", Created: time.Now()}}}})
	})
	// Offline, counting down to a try an hour away (the session is closed:
	// no state comes from it meanwhile).
	go c.session.Close()
	for done := false; !done; {
		select {
		case fn := <-th.fns:
			th.run(fn)
		case <-c.pumped:
			done = true
		}
	}
	th.run(func() {
		c.setState(realtime.StateChanged{State: realtime.StateOffline, RetryAt: time.Now().Add(time.Hour)})
	})

	th.run(func() { c.copyMessage("m1") })
	shown := time.Now()
	if c.status.Text != "Copied the message." {
		t.Fatalf("status = %q after copying", c.status.Text)
	}
	th.until(t, 10*time.Second, "the notice gone", func() bool { return c.status.Text != "Copied the message." })
	if d := time.Since(shown); d < c.noticeFor {
		t.Errorf("the notice was replaced after %v, before its %v (by %q)", d, c.noticeFor, c.status.Text)
	}
	if !strings.HasPrefix(c.status.Text, "○ Offline.") {
		t.Errorf("status = %q after the notice, want the offline countdown", c.status.Text)
	}

	// Over a link when the notice's time is up: the link's target shows
	// until the pointer leaves, then the state, not the stale notice.
	th.run(func() { c.copyMessage("m1") })
	th.run(func() { c.hoverShow(linkHoverPrefix + "https://example.com") })
	notices := c.notices
	th.until(t, 10*time.Second, "the notice's time up", func() bool { return c.noticeShown == "" || c.notices != notices })
	th.run(c.hoverEnd)
	if !strings.HasPrefix(c.status.Text, "○ Offline.") {
		t.Errorf("status = %q after the pointer left the link, want the offline countdown", c.status.Text)
	}
}
