package realtime_test

// Faults a real Directus cannot be made to produce on demand (garbage
// frames, a link that goes silent without closing, an oversized frame,
// integer keys) are played by internal/fakedirectus, the stand-in the
// benchmark uses too.

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"directuschat/internal/fakedirectus"
	"directuschat/realtime"
	"directuschat/timeline"
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

// requests answers the client's pings on c (liveness pings and the ping
// that checks on an unanswered create) and hands every other frame to the
// test, in order.
func requests(c *fakedirectus.Conn) <-chan map[string]any {
	out := make(chan map[string]any, 64)
	go func() {
		defer close(out)
		for m := range c.Frames {
			switch m["type"] {
			case "ping":
				_ = c.WriteJSON(map[string]any{"type": "pong", "uid": m["uid"]})
			case "pong":
			default:
				out <- m
			}
		}
	}()
	return out
}

// nextRequest waits for the client's next request.
func nextRequest(t *testing.T, reqs <-chan map[string]any) map[string]any {
	t.Helper()
	select {
	case m, ok := <-reqs:
		if !ok {
			t.Fatal("the client's connection ended")
		}
		return m
	case <-time.After(10 * time.Second):
		t.Fatal("no request from the client")
	}
	return nil
}

// createOf returns the id and text of a create request, failing the test
// for any other request.
func createOf(t *testing.T, req map[string]any) (id, text string) {
	t.Helper()
	data, _ := req["data"].(map[string]any)
	id, _ = data["id"].(string)
	text, _ = data["text"].(string)
	if req["type"] != "items" || req["action"] != "create" || id == "" {
		t.Fatalf("request = %v, want a create with the message's id", req)
	}
	return id, text
}

// answerError answers with a Directus error; uid nil leaves it out, as
// Directus 11 does.
func answerError(t *testing.T, c *fakedirectus.Conn, uid any, code string) {
	t.Helper()
	m := map[string]any{"type": "items", "status": "error", "error": map[string]any{"code": code, "message": "scripted " + code}}
	if uid != nil {
		m["uid"] = uid
	}
	if err := c.WriteJSON(m); err != nil {
		t.Fatal(err)
	}
}

// answerItems answers request req with items.
func answerItems(t *testing.T, c *fakedirectus.Conn, req map[string]any, data any) {
	t.Helper()
	if err := c.WriteJSON(map[string]any{"type": "items", "status": "ok", "uid": req["uid"], "data": data}); err != nil {
		t.Fatal(err)
	}
}

// item is a stored message as Directus sends it.
func item(id, text, authorID, author string, created time.Time) map[string]any {
	return map[string]any{
		"id": id, "text": text, "date_created": created.UTC().Format("2006-01-02T15:04:05.000Z"), "date_updated": nil,
		"user_created": map[string]any{"id": authorID, "first_name": author},
	}
}

// sendStates lists the SendStatus events of id (lock held).
func (c *client) sendStates(id string) []realtime.SendStatus {
	var out []realtime.SendStatus
	for _, ev := range c.events {
		if s, ok := ev.(realtime.SendStatus); ok && s.ID == id {
			out = append(out, s)
		}
	}
	return out
}

// problems lists what the Problem events said (lock held).
func (c *client) problems() []string {
	var out []string
	for _, ev := range c.events {
		if p, ok := ev.(realtime.Problem); ok {
			out = append(out, realtime.Describe(p.Err))
		}
	}
	return out
}

// countState counts the SendStatus events of id in state st (lock held).
func (c *client) countState(id string, st realtime.SendState) int {
	n := 0
	for _, s := range c.sendStates(id) {
		if s.State == st {
			n++
		}
	}
	return n
}

// quickRetries: sends the server failed to store go out again within
// 20–100 ms.
func quickRetries(url string) realtime.Config {
	return realtime.Config{Server: url, MinBackoff: 20 * time.Millisecond, MaxBackoff: 100 * time.Millisecond}
}

// A create the server answers with an internal error (its database away)
// waits and goes out again, with the same id, until stored; the message
// typed after it waits behind it; the session says why they wait.
func TestFaultInternalErrorsRetryTheSendInOrder(t *testing.T) {
	f := newFakeDirectus(t)
	c := connect(t, quickRetries(f.URL), "ada@example.com", "pw")
	srv := nextConn(t, f)
	reqs := requests(srv)
	first := c.send("first, stored at the third attempt")
	second := c.send("second, typed after it")

	// The first three times for the first message, then the second.
	want := []string{first.ID, first.ID, first.ID, second.ID}
	t0 := time.Now()
	for i := range want {
		req := nextRequest(t, reqs)
		id, text := createOf(t, req)
		if id != want[i] {
			t.Fatalf("create #%d is for %q, want %q", i+1, text, []string{first.Text, second.Text}[min(i/3, 1)])
		}
		switch i {
		case 0:
			answerError(t, srv, nil, "INTERNAL") // Directus 11 leaves the uid out of errors
		case 1:
			answerError(t, srv, req["uid"], "INTERNAL_SERVER_ERROR")
		default:
			answerItems(t, srv, req, item(id, text, "u-ada", "Ada", t0.Add(time.Duration(i)*time.Millisecond)))
		}
	}
	c.waitFor(5*time.Second, "both messages delivered", func(c *client) bool {
		return c.countState(first.ID, realtime.SendDelivered) == 1 && c.countState(second.ID, realtime.SendDelivered) == 1
	})
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, m := range []realtime.Message{first, second} {
		e, ok := c.entry(m.Text)
		if !ok || e.Status != timeline.Sent || c.count(m.Text) != 1 {
			t.Errorf("%q: shown %d times, status %v, want once, sent", m.Text, c.count(m.Text), e.Status)
		}
		if n := c.countState(m.ID, realtime.SendFailed); n != 0 {
			t.Errorf("%q was reported failed %d times", m.Text, n)
		}
	}
	if i, j := c.tl.Index(first.ID), c.tl.Index(second.ID); i < 0 || j < 0 || i > j {
		t.Errorf("timeline positions: first %d, second %d, want first before second", i, j)
	}
	waits := 0
	for _, s := range c.sendStates(first.ID) {
		if s.State == realtime.SendPending && s.Err != nil {
			waits++
			if realtime.KindOf(s.Err) != realtime.KindServer {
				t.Errorf("waiting status kind = %v, want KindServer", realtime.KindOf(s.Err))
			}
		}
	}
	if waits != 2 {
		t.Errorf("the first message was reported waiting %d times, want 2 (one per internal error)", waits)
	}
	problems := c.problems()
	if len(problems) != 2 || !strings.Contains(problems[0], "cannot store messages") || !strings.Contains(problems[0], "2 messages wait") {
		t.Errorf("problems reported = %q, want two saying the server cannot store messages and 2 wait", problems)
	}
}

// Directus 11 answers a retried create whose first attempt was stored
// with RECORD_NOT_UNIQUE without the request's uid. With a catch-up read
// waiting (older than the create), the error still goes to the create,
// which settles as delivered, and the read gets its own answer.
func TestFaultRetriedCreateNotUniqueWithoutUIDWhileACatchUpWaits(t *testing.T) {
	f := newFakeDirectus(t)
	cfg := quickRetries(f.URL)
	cfg.ReconcileInterval = 50 * time.Millisecond // the periodic catch-up read
	c := connect(t, cfg, "ada@example.com", "pw")
	srv := nextConn(t, f)
	reqs := requests(srv)
	m := c.send("stored by the first attempt")

	var create, read map[string]any
	for create == nil || read == nil {
		req := nextRequest(t, reqs)
		switch req["action"] {
		case "create":
			create = req
		case "read":
			if read != nil {
				t.Fatal("a second catch-up read while the first waits")
			}
			read = req
		default:
			t.Fatalf("unexpected request %v", req)
		}
	}
	// The first attempt: stored, but its answer says internal error (a
	// database connection that dropped after the commit).
	answerError(t, srv, create["uid"], "INTERNAL")
	retry := nextRequest(t, reqs)
	if id, _ := createOf(t, retry); id != m.ID {
		t.Fatalf("retried create for %s, want %s", id, m.ID)
	}
	answerError(t, srv, nil, "RECORD_NOT_UNIQUE")
	answerItems(t, srv, read, []any{item("k1", "Kevin's, from the catch-up", "u-kevin", "Kevin", time.Now())})

	c.waitFor(5*time.Second, "the send delivered and the catch-up's message", func(c *client) bool {
		return c.countState(m.ID, realtime.SendDelivered) == 1 && c.count("Kevin's, from the catch-up") == 1
	})
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.entry(m.Text); !ok || e.Status != timeline.Sent || c.count(m.Text) != 1 {
		t.Errorf("the message: shown %d times, status %v, want once, sent", c.count(m.Text), e.Status)
	}
	if n := c.countState(m.ID, realtime.SendFailed); n != 0 {
		t.Errorf("the message was reported failed %d times", n)
	}
}

// Directus 11 leaves the uid out of every error, and a message create
// answered RECORD_NOT_UNIQUE counts as stored. Such an answer goes to
// another write waiting (here an edit), older or newer than the create:
// the message is not taken for stored, and is delivered by its own answer.
func TestFaultNotUniqueWithoutUIDGoesToAnotherWriteBeforeAMessageCreate(t *testing.T) {
	f := newFakeDirectus(t)
	cfg := quickRetries(f.URL)
	cfg.RequestTimeout = time.Minute // no timeout settles anything here
	c := connect(t, cfg, "ada@example.com", "pw")
	srv := nextConn(t, f)
	reqs := requests(srv)

	for i, editFirst := range []bool{true, false} {
		var edit, create map[string]any
		var m realtime.Message
		doEdit := func() {
			if err := c.s.Edit("stored-1", fmt.Sprintf("an edit the server refuses #%d", i)); err != nil {
				t.Fatal(err)
			}
			edit = nextRequest(t, reqs)
			if edit["action"] != "update" {
				t.Fatalf("request %v, want the edit", edit)
			}
		}
		doSend := func() {
			m = c.send(fmt.Sprintf("typed with an edit waiting #%d", i))
			create = nextRequest(t, reqs)
			if id, _ := createOf(t, create); id != m.ID {
				t.Fatalf("create for %s, want %s", id, m.ID)
			}
		}
		if editFirst {
			doEdit()
			doSend()
		} else {
			doSend()
			doEdit()
		}
		answerError(t, srv, nil, "RECORD_NOT_UNIQUE")
		c.waitFor(5*time.Second, "the edit refused", func(c *client) bool {
			n := 0
			for _, st := range c.sendStates("stored-1") {
				if st.State == realtime.SendFailed {
					n++
				}
			}
			return n == i+1
		})
		c.mu.Lock()
		delivered := c.countState(m.ID, realtime.SendDelivered)
		c.mu.Unlock()
		if delivered != 0 {
			t.Fatalf("edit first %v: the message was taken for stored by the edit's refusal", editFirst)
		}
		id, text := createOf(t, create)
		answerItems(t, srv, create, item(id, text, "u-ada", "Ada", time.Now()))
		c.waitFor(5*time.Second, "the message delivered", func(c *client) bool { return c.countState(m.ID, realtime.SendDelivered) == 1 })
	}
}

// A create that gets no answer while pings do is what Directus does with
// its database away ("WebSocket unhandled exception"): the send waits and
// goes out again, and the session says the server did not answer.
func TestFaultUnansweredCreateGoesOutAgain(t *testing.T) {
	f := newFakeDirectus(t)
	cfg := quickRetries(f.URL)
	cfg.RequestTimeout = 200 * time.Millisecond
	c := connect(t, cfg, "ada@example.com", "pw")
	srv := nextConn(t, f)
	reqs := requests(srv)
	m := c.send("sent while the database was away")

	req := nextRequest(t, reqs)
	createOf(t, req) // not answered
	retry := nextRequest(t, reqs)
	id, text := createOf(t, retry)
	if id != m.ID {
		t.Fatalf("retried create for %s, want %s", id, m.ID)
	}
	answerItems(t, srv, retry, item(id, text, "u-ada", "Ada", time.Now()))
	c.waitFor(5*time.Second, "the message delivered", func(c *client) bool { return c.countState(m.ID, realtime.SendDelivered) == 1 })
	c.mu.Lock()
	defer c.mu.Unlock()
	if n := c.countState(m.ID, realtime.SendFailed); n != 0 {
		t.Errorf("the message was reported failed %d times", n)
	}
	if p := c.problems(); len(p) != 1 || !strings.Contains(p[0], "did not answer") {
		t.Errorf("problems reported = %q, want one saying the server did not answer", p)
	}
}

// A refusal (FORBIDDEN, FAILED_VALIDATION, …) fails the send at once, as
// before; the message after it goes out.
func TestFaultRefusalFailsTheSendAtOnce(t *testing.T) {
	f := newFakeDirectus(t)
	c := connect(t, quickRetries(f.URL), "ada@example.com", "pw")
	srv := nextConn(t, f)
	reqs := requests(srv)
	refused := c.send("refused")
	next := c.send("after the refused one")

	req := nextRequest(t, reqs)
	if id, _ := createOf(t, req); id != refused.ID {
		t.Fatalf("first create for %s, want %s", id, refused.ID)
	}
	answerError(t, srv, nil, "FORBIDDEN")
	req = nextRequest(t, reqs)
	id, text := createOf(t, req)
	if id != next.ID {
		t.Fatalf("create after the refusal for %s, want the next message %s (no retry)", id, next.ID)
	}
	answerItems(t, srv, req, item(id, text, "u-ada", "Ada", time.Now()))
	c.waitFor(5*time.Second, "the refusal and the next delivered", func(c *client) bool {
		return c.countState(refused.ID, realtime.SendFailed) == 1 && c.countState(next.ID, realtime.SendDelivered) == 1
	})
	c.mu.Lock()
	defer c.mu.Unlock()
	if p := c.problems(); len(p) != 0 {
		t.Errorf("problems reported = %q, want none", p)
	}
}

// A server that keeps failing to store a message does not hold the
// outbox for ever: after SendRetryFor the message fails (to retry or
// discard) and the next one goes out.
func TestFaultSendFailsAfterSendRetryFor(t *testing.T) {
	f := newFakeDirectus(t)
	cfg := quickRetries(f.URL)
	cfg.SendRetryFor = 300 * time.Millisecond
	c := connect(t, cfg, "ada@example.com", "pw")
	srv := nextConn(t, f)
	reqs := requests(srv)
	stuck := c.send("never stored")
	next := c.send("after the stuck one")

	attempts := 0
	for {
		req := nextRequest(t, reqs)
		id, text := createOf(t, req)
		if id == next.ID {
			answerItems(t, srv, req, item(id, text, "u-ada", "Ada", time.Now()))
			break
		}
		attempts++
		answerError(t, srv, req["uid"], "SERVICE_UNAVAILABLE")
	}
	c.waitFor(5*time.Second, "the stuck one failed and the next delivered", func(c *client) bool {
		return c.countState(stuck.ID, realtime.SendFailed) == 1 && c.countState(next.ID, realtime.SendDelivered) == 1
	})
	if attempts < 2 {
		t.Errorf("the stuck message was sent %d times, want retries before it failed", attempts)
	}
}

// A catch-up after a reconnect that gets an error is tried again after a
// backoff delay, not only at the next periodic reconcile (an hour here):
// a server swamped by a reconnect storm times such reads out.
func TestFaultFailedCatchUpIsTriedAgain(t *testing.T) {
	f := newFakeDirectus(t, map[string]any{"id": "m0", "text": "before", "date_created": time.Now().UTC().Format(time.RFC3339Nano)})
	c := connect(t, realtime.Config{Server: f.URL, MinBackoff: 10 * time.Millisecond, MaxBackoff: 50 * time.Millisecond,
		RequestTimeout: time.Second, ReconcileInterval: time.Hour}, "ada@example.com", "pw")
	first := nextConn(t, f)
	if err := first.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseGoingAway, "restarting")); err != nil {
		t.Fatal(err)
	}
	second := nextConn(t, f)
	nextRead := func() map[string]any {
		t.Helper()
		for {
			select {
			case m := <-second.Frames:
				if m["type"] == "items" && m["action"] == "read" {
					return m
				}
			case <-time.After(10 * time.Second):
				t.Fatal("no catch-up read")
			}
		}
	}
	read := nextRead()
	if err := second.WriteJSON(map[string]any{"type": "items", "status": "error", "uid": read["uid"],
		"error": map[string]any{"code": "INTERNAL_SERVER_ERROR", "message": "database away"}}); err != nil {
		t.Fatal(err)
	}
	again := nextRead()
	err := second.WriteJSON(map[string]any{"type": "items", "uid": again["uid"], "data": []any{
		map[string]any{"id": "m1", "text": "stored while away", "date_created": time.Now().UTC().Format(time.RFC3339Nano)},
	}})
	if err != nil {
		t.Fatal(err)
	}
	c.waitFor(10*time.Second, "the message stored while away", func(c *client) bool { return c.count("stored while away") == 1 })
}
