package realtime_test

// Faults a real Directus cannot be made to produce on demand (garbage
// frames, a link that goes silent without closing) are played by a small
// in-process server that speaks just enough of the protocol.

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"directuschat/realtime"
)

type fakeDirectus struct {
	*httptest.Server
	initData []any // the init snapshot
	conns    chan *fakeConn
	upgrader websocket.Upgrader
}

type fakeConn struct {
	ws     *websocket.Conn
	frames chan map[string]any
	subUID string
}

func newFakeDirectus(t *testing.T) *fakeDirectus {
	f := &fakeDirectus{conns: make(chan *fakeConn, 8)}
	mux := http.NewServeMux()
	mux.HandleFunc("/server/ping", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("pong")) })
	mux.HandleFunc("/auth/login", func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"data":{"access_token":"a1","refresh_token":"r1","expires":900000}}`))
	})
	mux.HandleFunc("/users/me", func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"data":{"id":"u-ada","first_name":"Ada","email":"ada@example.com"}}`))
	})
	mux.HandleFunc("/websocket", func(w http.ResponseWriter, r *http.Request) {
		ws, err := f.upgrader.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		c := &fakeConn{ws: ws, frames: make(chan map[string]any, 64)}
		go func() {
			defer close(c.frames)
			for {
				var m map[string]any
				if err := ws.ReadJSON(&m); err != nil {
					return
				}
				switch m["type"] {
				case "auth":
					_ = ws.WriteJSON(map[string]any{"type": "auth", "status": "ok"})
				case "subscribe":
					c.subUID, _ = m["uid"].(string)
					init := f.initData
					if init == nil {
						init = []any{}
					}
					_ = ws.WriteJSON(map[string]any{"type": "subscription", "event": "init", "uid": c.subUID, "data": init})
					f.conns <- c
				default:
					c.frames <- m
				}
			}
		}()
	})
	f.Server = httptest.NewServer(mux)
	t.Cleanup(f.Close)
	return f
}

func (f *fakeDirectus) nextConn(t *testing.T) *fakeConn {
	t.Helper()
	select {
	case c := <-f.conns:
		return c
	case <-time.After(10 * time.Second):
		t.Fatal("the client did not (re)connect")
		return nil
	}
}

func (c *fakeConn) create(t *testing.T, id, text string) {
	t.Helper()
	err := c.ws.WriteJSON(map[string]any{"type": "subscription", "event": "create", "uid": c.subUID, "data": []any{
		map[string]any{"id": id, "text": text, "date_created": time.Now().UTC().Format(time.RFC3339Nano),
			"user_created": map[string]any{"id": "u-kevin", "first_name": "Kevin"}},
	}})
	if err != nil {
		t.Fatal(err)
	}
}

func TestGarbageFramesAreDroppedAndTheSessionGoesOn(t *testing.T) {
	f := newFakeDirectus(t)
	c := connect(t, realtime.Config{Server: f.URL}, "ada@example.com", "pw")
	srv := f.nextConn(t)
	for _, junk := range []string{"not json", `{"no":"type"}`, `[1,2,3]`, `{"type":"subscription","event":"create","uid":"` + srv.subUID + `","data":[{"text":"no id"}]}`, "\x00\xff"} {
		if err := srv.ws.WriteMessage(websocket.TextMessage, []byte(junk)); err != nil {
			t.Fatal(err)
		}
	}
	_ = srv.ws.WriteMessage(websocket.BinaryMessage, []byte{1, 2, 3})
	srv.create(t, "m1", "still here")
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
	first := f.nextConn(t)
	// The server goes silent: it reads the client's pings but never answers,
	// and the TCP connection stays open (a half-open link).
	go func() {
		for range first.frames {
		}
	}()
	second := f.nextConn(t)
	second.create(t, "m2", "after reconnect")
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
	srv := f.nextConn(t)
	if err := srv.ws.WriteJSON(map[string]any{"type": "ping"}); err != nil {
		t.Fatal(err)
	}
	select {
	case m := <-srv.frames:
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
	f := newFakeDirectus(t)
	f.initData = []any{map[string]any{"id": 7, "text": "old", "date_created": "2026-11-28T09:00:00Z"}}
	c := connect(t, realtime.Config{Server: f.URL}, "ada@example.com", "pw")
	srv := f.nextConn(t)
	c.send("hello ints")
	var create map[string]any
	select {
	case create = <-srv.frames:
	case <-time.After(5 * time.Second):
		t.Fatal("no create frame")
	}
	data, _ := create["data"].(map[string]any)
	if _, has := data["id"]; has || create["action"] != "create" {
		t.Fatalf("create frame = %v, want a create without id", create)
	}
	_ = srv.ws.WriteJSON(map[string]any{"type": "items", "uid": create["uid"], "data": map[string]any{
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
	f := newFakeDirectus(t)
	f.initData = []any{map[string]any{"id": "m0", "text": "before", "date_created": time.Now().UTC().Format(time.RFC3339Nano)}}
	c := connect(t, realtime.Config{Server: f.URL, MinBackoff: 10 * time.Millisecond}, "ada@example.com", "pw")
	first := f.nextConn(t)
	huge := `{"type":"subscription","event":"create","uid":"` + first.subUID + `","data":[{"id":"big","text":"` + strings.Repeat("x", 17<<20) + `"}]}`
	if err := first.ws.WriteMessage(websocket.TextMessage, []byte(huge)); err != nil {
		t.Logf("write of the huge frame: %v (the client may have closed first)", err)
	}
	second := f.nextConn(t)
	var read map[string]any
	select {
	case read = <-second.frames:
	case <-time.After(10 * time.Second):
		t.Fatal("no catch-up read after the reconnect")
	}
	if read["type"] != "items" || read["action"] != "read" {
		t.Fatalf("first request after the reconnect = %v, want a catch-up read", read["type"])
	}
	err := second.ws.WriteJSON(map[string]any{"type": "items", "uid": read["uid"], "data": []any{
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
