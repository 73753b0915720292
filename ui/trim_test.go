package ui

import (
	"fmt"
	"testing"
	"time"

	"directuschat/realtime"
)

// Once rows have not been bound for Config.TrimAfter, the chat drops its
// rich bodies and row measures (made while scrolling, they would keep
// memory spans in use), and the rows shown still show their messages.
func TestChatShedsWhatItCanMakeAgainWhenScrollingStops(t *testing.T) {
	u, th := benchChatWith(t, Config{TrimAfter: 300 * time.Millisecond})
	c := u.chat
	msgs := make([]realtime.Message, 30)
	for i := range msgs {
		msgs[i] = realtime.Message{ID: fmt.Sprintf("m%02d", i), Text: fmt.Sprintf("**bold** and `code` %d", i), AuthorID: "kevin",
			AuthorName: "Kevin", Created: time.Now().Add(time.Duration(i-30) * time.Minute)}
	}
	th.run(func() {
		c.apply([]realtime.Event{realtime.Loaded{Kind: realtime.LoadInitial, Messages: msgs, NoOlder: true}})
	})
	if len(c.bodies.m) == 0 || len(c.heights.cache) == 0 {
		t.Fatalf("after binding rows: %d bodies, %d measures kept", len(c.bodies.m), len(c.heights.cache))
	}
	th.until(t, 10*time.Second, "the caches dropped", func() bool { return len(c.bodies.m) == 0 && len(c.heights.cache) == 0 })
	shown := 0
	for _, o := range objectsIn(c.list) {
		if r, ok := o.(*messageRow); ok && r.Visible() && r.id != "" {
			if r.shown.body == nil {
				t.Errorf("row %s shows no text after the caches were dropped", r.id)
			}
			shown++
		}
	}
	if shown == 0 {
		t.Fatal("no rows shown")
	}
	// Binding again fills them again.
	th.run(c.list.Refresh)
	if len(c.bodies.m) == 0 {
		t.Error("rows bound again keep no bodies")
	}
}
