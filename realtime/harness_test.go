package realtime_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"directuschat/realtime"
	"directuschat/timeline"
)

// client is a session under test with a consumer that records everything
// it receives into a timeline, as the UI does.
type client struct {
	t       testing.TB
	s       *realtime.Session
	mu      sync.Mutex
	changed *sync.Cond
	tl      timeline.Timeline
	events  []realtime.Event
	ended   bool
	// general is the conversation the harness chats in on a server with
	// channels (setup's "general"); "" on a single room.
	general string
	member  bool // the user is a member of general (the harness joins it, as a user would)
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func connect(t testing.TB, cfg realtime.Config, email, password string) *client {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = quietLogger()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := realtime.Connect(ctx, cfg, realtime.Credentials{Email: email, Password: password})
	if err != nil {
		t.Fatalf("connect as %s: %v", email, err)
	}
	c := watch(t, s)
	if s.Permissions().Channels {
		c.waitFor(10*time.Second, "the general channel, joined", func(c *client) bool { return c.general != "" && c.member })
	}
	return c
}

func watch(t testing.TB, s *realtime.Session) *client {
	c := &client{t: t, s: s}
	c.changed = sync.NewCond(&c.mu)
	go func() {
		for batch := range s.Events() {
			c.mu.Lock()
			c.events = append(c.events, batch...)
			for _, ev := range batch {
				switch ev := ev.(type) {
				case realtime.ChannelsChanged:
					for _, x := range ev.Channels {
						if x.Name == "general" && c.general == "" {
							c.general = x.ID
							_ = s.OpenChannel(x.ID)
						}
					}
				case realtime.MembershipsChanged:
					for _, m := range ev.Memberships {
						if m.Channel == c.general {
							c.member = true
						}
					}
					if ev.Full && !c.member && c.general != "" {
						_ = s.Join(c.general) // an admin is no member of general until joining
					}
				}
			}
			c.tl.Apply(batch)
			c.changed.Broadcast()
			c.mu.Unlock()
		}
		c.mu.Lock()
		c.ended = true
		c.changed.Broadcast()
		c.mu.Unlock()
	}()
	t.Cleanup(s.Close)
	return c
}

// waitFor blocks until cond holds for the recorded state, or fails the
// test after timeout. cond runs with the client's lock held.
func (c *client) waitFor(timeout time.Duration, what string, cond func(c *client) bool) {
	c.t.Helper()
	deadline := time.AfterFunc(timeout, func() {
		c.mu.Lock()
		c.changed.Broadcast()
		c.mu.Unlock()
	})
	defer deadline.Stop()
	start := time.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	for !cond(c) {
		if time.Since(start) >= timeout {
			c.t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		if c.ended && !cond(c) {
			c.t.Fatalf("session ended while waiting for %s", what)
		}
		c.changed.Wait()
	}
}

// count returns how many rows carry text (must be called with the lock held).
func (c *client) count(text string) int {
	n := 0
	for i := 0; i < c.tl.Len(); i++ {
		if c.tl.At(i).Text == text {
			n++
		}
	}
	return n
}

// entry returns the row carrying text (lock held).
func (c *client) entry(text string) (timeline.Entry, bool) {
	for i := 0; i < c.tl.Len(); i++ {
		if e := c.tl.At(i); e.Text == text {
			return e, true
		}
	}
	return timeline.Entry{}, false
}

// state returns the last connection state seen (lock held).
func (c *client) state() (realtime.StateChanged, bool) {
	for i := len(c.events) - 1; i >= 0; i-- {
		if s, ok := c.events[i].(realtime.StateChanged); ok {
			return s, true
		}
	}
	return realtime.StateChanged{}, false
}

// send types a message the way the UI does: shown pending, then sent.
func (c *client) send(text string) realtime.Message {
	c.mu.Lock()
	general := c.general
	c.mu.Unlock()
	m := c.s.SendIn(general, text)
	c.mu.Lock()
	c.tl.AddPending(m)
	c.mu.Unlock()
	return m
}

func unique(prefix string) string {
	return fmt.Sprintf("%s %d", prefix, time.Now().UnixNano())
}
