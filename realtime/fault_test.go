package realtime_test

// Faults a real Directus cannot be made to produce on demand (garbage
// frames, a link that goes silent without closing, an oversized frame,
// integer keys) are played by internal/fakedirectus, the stand-in the
// benchmark uses too.

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"directuschat/internal/fakedirectus"
	"directuschat/realtime"
)

// newFakeDirectus starts the stand-in (internal/fakedirectus) for one test;
// init is its subscription's init snapshot. The test answers the client's
// requests itself, or not.
func newFakeDirectus(t *testing.T, init ...any) *fakedirectus.Server {
	f := fakedirectus.New(fakedirectus.Options{Init: init})
	t.Cleanup(f.Close)
	return f
}

// nextConn waits for the client to (re)connect and subscribe.
func nextConn(t *testing.T, f *fakedirectus.Server) *fakedirectus.Conn {
	t.Helper()
	c, err := f.Next(10 * time.Second)
	if err != nil {
		t.Fatal("the client did not (re)connect")
	}
	return c
}

// create sends a message created live by Kevin.
func create(t *testing.T, c *fakedirectus.Conn, id, text string) {
	t.Helper()
	if err := c.Create(fakedirectus.Item{ID: id, Text: text, AuthorID: "u-kevin", AuthorName: "Kevin", Created: time.Now()}); err != nil {
		t.Fatal(err)
	}
}

func TestGarbageFramesAreDroppedAndTheSessionGoesOn(t *testing.T) {
	f := newFakeDirectus(t)
	c := connect(t, realtime.Config{Server: f.URL}, "ada@example.com", "pw")
	srv := nextConn(t, f)
	for _, junk := range []string{"not json", `{"no":"type"}`, `[1,2,3]`, `{"type":"subscription","event":"create","uid":"` + srv.SubUID() + `","data":[{"text":"no id"}]}`, "\x00\xff"} {
		if err := srv.WriteMessage(websocket.TextMessage, []byte(junk)); err != nil {
			t.Fatal(err)
		}
	}
	_ = srv.WriteMessage(websocket.BinaryMessage, []byte{1, 2, 3})
	create(t, srv, "m1", "still here")
	c.waitFor(5*time.Second, "the message after the garbage", func(c *client) bool { return c.count("still here") == 1 })
	c.mu.Lock()
	defer c.mu.Unlock()
	if st, _ := c.state(); st.State != realtime.StateOnline {
		t.Fatalf("state after garbage = %v, want online", st.State)
	}
}

func TestSilentLinkIsDetectedAndReconnected(t *testing.T) {
	f := newFakeDirectus(t)
	c := connect(t, realtime.Config{Server: f.URL, PingInterval: 100 * time.Millisecond, MinBackoff: 10 * time.Millisecond}, "ada@example.com", "pw")
	first := nextConn(t, f)
	// The server goes silent: it reads the client's pings but never answers,
	// and the TCP connection stays open (a half-open link).
	go func() {
		for range first.Frames {
		}
	}()
	second := nextConn(t, f)
	create(t, second, "m2", "after reconnect")
	c.waitFor(5*time.Second, "a message on the new connection", func(c *client) bool { return c.count("after reconnect") == 1 })
	c.mu.Lock()
	defer c.mu.Unlock()
	sawOffline := false
	for _, ev := range c.events {
		if s, ok := ev.(realtime.StateChanged); ok && s.State == realtime.StateOffline {
			sawOffline = true
		}
	}
	if !sawOffline {
		t.Error("the dead link was never reported as offline")
	}
}

func TestPingsAnsweredWithPong(t *testing.T) {
	f := newFakeDirectus(t)
	connect(t, realtime.Config{Server: f.URL}, "ada@example.com", "pw")
	srv := nextConn(t, f)
	if err := srv.WriteJSON(map[string]any{"type": "ping"}); err != nil {
		t.Fatal(err)
	}
	select {
	case m := <-srv.Frames:
		if m["type"] != "pong" {
			b, _ := json.Marshal(m)
			t.Fatalf("answer to ping = %s, want a pong", b)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no pong")
	}
}

func TestSelfSignedCertificateIsRefusedWithAClearMessage(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("pong")) }))
	defer srv.Close()
	_, err := realtime.Connect(t.Context(), realtime.Config{Server: srv.URL, Logger: quietLogger()},
		realtime.Credentials{Email: "ada@example.com", Password: "pw"})
	if realtime.KindOf(err) != realtime.KindTLS {
		t.Fatalf("err = %v (kind %v), want KindTLS", err, realtime.KindOf(err))
	}
	if msg := realtime.Describe(err); !strings.Contains(msg, "certificate") {
		t.Errorf("message %q does not mention the certificate", msg)
	}
}

func TestPlainHTTPToRemoteHostIsFlagged(t *testing.T) {
	for raw, want := range map[string]bool{
		"http://chat.example.com":  true,
		"http://10.0.0.5:8055":     true,
		"https://chat.example.com": false,
		"http://127.0.0.1:8055":    false,
		"localhost:8055":           false,
		"http://[::1]:8055":        false,
	} {
		u, err := realtime.ParseServerURL(raw)
		if err != nil {
			t.Fatalf("%s: %v", raw, err)
		}
		if got := realtime.InsecureRemote(u); got != want {
			t.Errorf("InsecureRemote(%s) = %v, want %v", raw, got, want)
		}
	}
}

// A collection set up by hand with integer keys cannot take client ids:
// the client sends without one (at-least-once) and shows the server's row.
func TestIntegerKeysSendWithoutClientID(t *testing.T) {
	f := newFakeDirectus(t, map[string]any{"id": 7, "text": "old", "date_created": "2026-11-28T09:00:00Z"})
	c := connect(t, realtime.Config{Server: f.URL}, "ada@example.com", "pw")
	srv := nextConn(t, f)
	c.send("hello ints")
	var create map[string]any
	select {
	case create = <-srv.Frames:
	case <-time.After(5 * time.Second):
		t.Fatal("no create frame")
	}
	data, _ := create["data"].(map[string]any)
	if _, has := data["id"]; has || create["action"] != "create" {
		t.Fatalf("create frame = %v, want a create without id", create)
	}
	_ = srv.WriteJSON(map[string]any{"type": "items", "uid": create["uid"], "data": map[string]any{
		"id": 8, "text": "hello ints", "date_created": time.Now().UTC().Format(time.RFC3339Nano),
		"user_created": map[string]any{"id": "u-ada", "first_name": "Ada"}}})
	c.waitFor(5*time.Second, "the stored message", func(c *client) bool {
		e, ok := c.entry("hello ints")
		return ok && e.ID == "8" && c.count("hello ints") == 1
	})
}

// A frame over the size limit (16 MiB) drops the connection with a clear
// reason; the client reconnects, and its catch-up read brings what was
// sent meanwhile: nothing is lost.
func TestOversizedFrameReconnectsAndCatchUpRefills(t *testing.T) {
	f := newFakeDirectus(t, map[string]any{"id": "m0", "text": "before", "date_created": time.Now().UTC().Format(time.RFC3339Nano)})
	c := connect(t, realtime.Config{Server: f.URL, MinBackoff: 10 * time.Millisecond}, "ada@example.com", "pw")
	first := nextConn(t, f)
	huge := `{"type":"subscription","event":"create","uid":"` + first.SubUID() + `","data":[{"id":"big","text":"` + strings.Repeat("x", 17<<20) + `"}]}`
	if err := first.WriteMessage(websocket.TextMessage, []byte(huge)); err != nil {
		t.Logf("write of the huge frame: %v (the client may have closed first)", err)
	}
	second := nextConn(t, f)
	var read map[string]any
	select {
	case read = <-second.Frames:
	case <-time.After(10 * time.Second):
		t.Fatal("no catch-up read after the reconnect")
	}
	if read["type"] != "items" || read["action"] != "read" {
		t.Fatalf("first request after the reconnect = %v, want a catch-up read", read["type"])
	}
	err := second.WriteJSON(map[string]any{"type": "items", "uid": read["uid"], "data": []any{
		map[string]any{"id": "m1", "text": "missed while dropped", "date_created": time.Now().UTC().Format(time.RFC3339Nano)},
	}})
	if err != nil {
		t.Fatal(err)
	}
	c.waitFor(10*time.Second, "the missed message", func(c *client) bool { return c.count("missed while dropped") == 1 })
	c.mu.Lock()
	defer c.mu.Unlock()
	var reason error
	for _, ev := range c.events {
		if s, ok := ev.(realtime.StateChanged); ok && s.State == realtime.StateOffline {
			reason = s.Err
		}
	}
	if reason == nil || !strings.Contains(reason.Error(), "larger than 16 MiB") {
		t.Errorf("offline reason = %v, want the frame limit", reason)
	}
	for i := 0; i < c.tl.Len(); i++ {
		if c.tl.At(i).ID == "big" {
			t.Error("the oversized frame was read")
		}
	}
}
