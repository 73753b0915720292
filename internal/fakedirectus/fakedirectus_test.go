package fakedirectus_test

import (
	"io"
	"log/slog"
	"testing"
	"time"

	"directuschat/internal/fakedirectus"
	"directuschat/realtime"
)

// The app's own client signs in, subscribes and receives what the stand-in
// scripts; with Answer, its pings and reads are answered for it (the
// benchmark relies on both).
func TestTheClientSubscribesAndReceivesScriptedMessages(t *testing.T) {
	f := fakedirectus.New(fakedirectus.Options{Answer: true})
	defer f.Close()
	s, err := realtime.Connect(t.Context(), realtime.Config{Server: f.URL, PingInterval: 50 * time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, realtime.Credentials{Email: "ada@example.com", Password: "pw"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	c, err := f.Next(10 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if c.SubUID() == "" {
		t.Fatal("no subscription uid")
	}
	if err := c.Create(fakedirectus.Item{ID: "m1", Text: "scripted", AuthorID: "u-kevin", AuthorName: "Kevin", Created: time.Now()}); err != nil {
		t.Fatal(err)
	}
	deadline := time.After(10 * time.Second)
	var pings <-chan time.Time // armed once the message is in
	for {
		select {
		case batch := <-s.Events():
			for _, ev := range batch {
				switch ev := ev.(type) {
				case realtime.Loaded:
					for _, m := range ev.Messages {
						if m.ID == "m1" && m.Text == "scripted" && m.AuthorName == "Kevin" && pings == nil {
							// Ten more ping intervals online: a server that
							// did not answer pings would be dropped after two.
							pings = time.After(500 * time.Millisecond)
						}
					}
				case realtime.StateChanged:
					if ev.State != realtime.StateOnline {
						t.Fatalf("state %v (%v): the stand-in did not answer the pings", ev.State, ev.Err)
					}
				}
			}
		case <-pings:
			return
		case <-deadline:
			t.Fatal("the scripted message did not arrive")
		}
	}
}
