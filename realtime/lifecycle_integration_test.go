package realtime_test

import (
	"errors"
	"testing"
	"time"

	"directuschat/devserver/devservertest"
	"directuschat/realtime"
)

// Commands made after the session ended are refused with ErrClosed instead
// of being queued for a loop that no longer runs; a Close is not a sign-out.
func TestCommandsAfterCloseReturnErrClosed(t *testing.T) {
	env := devservertest.Shared(t)
	ada := env.Users[0]
	c := connect(t, realtime.Config{Server: env.URL}, ada.Email, ada.Password)
	if err := c.s.ReconnectNow(); err != nil {
		t.Fatalf("ReconnectNow on a live session = %v, want nil", err)
	}
	c.s.Close()
	c.waitFor(10*time.Second, "the end of the events", func(c *client) bool { return c.ended })
	commands := map[string]func() error{
		"Edit":         func() error { return c.s.Edit("some-id", "text") },
		"Delete":       func() error { return c.s.Delete("some-id") },
		"Retry":        func() error { return c.s.Retry("some-id") },
		"Discard":      func() error { return c.s.Discard("some-id") },
		"LoadOlder":    func() error { return c.s.LoadOlder(realtime.Message{ID: "some-id"}, 1) },
		"ReconnectNow": c.s.ReconnectNow,
		"Logout":       c.s.Logout,
	}
	for name, cmd := range commands {
		err := cmd()
		if !errors.Is(err, realtime.ErrClosed) || realtime.KindOf(err) != realtime.KindClosed {
			t.Errorf("%s after Close = %v, want ErrClosed", name, err)
		}
	}
	c.s.Close() // a second Close returns at once
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, ev := range c.events {
		if s, ok := ev.(realtime.StateChanged); ok && s.State == realtime.StateSignedOut {
			t.Error("a local Close reported the session as signed out")
		}
		if _, ok := ev.(realtime.SignedOut); ok {
			t.Error("a local Close sent SignedOut")
		}
	}
}

// A logout ends with the state SignedOut, then the SignedOut event.
func TestLogoutEndsInTheSignedOutState(t *testing.T) {
	env := devservertest.Shared(t)
	kevin := env.Users[1]
	c := connect(t, realtime.Config{Server: env.URL}, kevin.Email, kevin.Password)
	c.waitFor(10*time.Second, "online", func(c *client) bool {
		s, _ := c.state()
		return s.State == realtime.StateOnline
	})
	if err := c.s.Logout(); err != nil {
		t.Fatalf("Logout = %v", err)
	}
	c.waitFor(20*time.Second, "the end of the events", func(c *client) bool { return c.ended })
	c.mu.Lock()
	defer c.mu.Unlock()
	n := len(c.events)
	if n < 2 {
		t.Fatalf("events = %v", c.events)
	}
	st, ok := c.events[n-2].(realtime.StateChanged)
	if !ok || st.State != realtime.StateSignedOut || st.Err != nil {
		t.Errorf("second-last event = %#v, want StateChanged{StateSignedOut} with no error", c.events[n-2])
	}
	if out, ok := c.events[n-1].(realtime.SignedOut); !ok || out.Err != nil {
		t.Errorf("last event = %#v, want SignedOut with no error", c.events[n-1])
	}
	if s, ok := c.state(); !ok || s.State != realtime.StateSignedOut {
		t.Errorf("state after logout = %v, want signed out", s.State)
	}
}
