package provision_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/gorilla/websocket"

	"directuschat/devserver"
	"directuschat/devserver/devservertest"
	"directuschat/provision"
)

// ---- REST helpers ----

func userID(t *testing.T, base, token string) string {
	t.Helper()
	a := call(t, http.MethodGet, base+"/users/me?fields=id", token, nil)
	var me struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(a.Data, &me); err != nil || me.ID == "" {
		t.Fatalf("read own id: %d %s", a.Status, a.Data)
	}
	return me.ID
}

func q(filter any, fields string) string {
	f, _ := json.Marshal(filter)
	return "?" + url.Values{"filter": {string(f)}, "fields": {fields}, "limit": {"-1"}}.Encode()
}

// channelByName returns the id of the channel called name, as admin.
func channelByName(t *testing.T, base, admin, name string) string {
	t.Helper()
	a := call(t, http.MethodGet, base+"/items/channels"+q(map[string]any{"name": map[string]any{"_eq": name}}, "id"), admin, nil)
	var rows []struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(a.Data, &rows); err != nil || len(rows) != 1 {
		t.Fatalf("channel %s: %d %s", name, a.Status, a.Data)
	}
	return rows[0].ID
}

// count counts the rows of collection matching filter, as admin.
func count(t *testing.T, base, admin, collection string, filter any) int {
	t.Helper()
	a := call(t, http.MethodGet, base+"/items/"+collection+q(filter, "id"), admin, nil)
	var rows []json.RawMessage
	if err := json.Unmarshal(a.Data, &rows); err != nil {
		t.Fatalf("count %s: %d %s", collection, a.Status, a.Data)
	}
	return len(rows)
}

func member(channel, user string) map[string]any {
	return map[string]any{"id": uuid.NewString(), "channel": channel, "user": user, "member_key": channel + ":" + user}
}

func directKey(a, b string) string {
	ids := []string{a, b}
	slices.Sort(ids)
	return ids[0] + ":" + ids[1]
}

// ---- WebSocket helpers ----

type wsConn struct {
	t    *testing.T
	conn *websocket.Conn
	// pending holds subscription frames read while waiting for a reply.
	pending []map[string]any
}

func dialWS(t *testing.T, base, token string) *wsConn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, _, err := websocket.DefaultDialer.DialContext(ctx, "ws"+strings.TrimPrefix(base, "http")+"/websocket", nil)
	if err != nil {
		t.Fatalf("dial websocket: %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	w := &wsConn{t: t, conn: conn}
	w.send(map[string]any{"type": "auth", "access_token": token})
	f := w.next(func(f map[string]any) bool { return f["type"] == "auth" })
	if f["status"] != "ok" {
		t.Fatalf("websocket auth: %v", f["error"])
	}
	return w
}

func (w *wsConn) send(v any) {
	w.t.Helper()
	_ = w.conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
	if err := w.conn.WriteJSON(v); err != nil {
		w.t.Fatalf("websocket write: %v", err)
	}
}

// next reads frames (answering pings, keeping subscription frames) until
// one matches. The deadline is the test's guard against a missing answer,
// not a synchronisation.
func (w *wsConn) next(match func(map[string]any) bool) map[string]any {
	w.t.Helper()
	for {
		_ = w.conn.SetReadDeadline(time.Now().Add(15 * time.Second))
		var f map[string]any
		if err := w.conn.ReadJSON(&f); err != nil {
			w.t.Fatalf("websocket read: %v", err)
		}
		if f["type"] == "ping" {
			w.send(map[string]any{"type": "pong"})
			continue
		}
		if match(f) {
			return f
		}
		if f["type"] == "subscription" {
			w.pending = append(w.pending, f)
		}
	}
}

// items sends one items request and returns its answer: data, or the error
// code. Directus 11 echoes no uid on errors, so the first items frame is the
// answer (one request at a time).
func (w *wsConn) items(collection, action string, extra map[string]any) (json.RawMessage, string) {
	w.t.Helper()
	uid := uuid.NewString()
	msg := map[string]any{"type": "items", "collection": collection, "action": action, "uid": uid}
	for k, v := range extra {
		msg[k] = v
	}
	w.send(msg)
	f := w.next(func(f map[string]any) bool { return f["type"] == "items" })
	if f["status"] == "error" {
		e, _ := f["error"].(map[string]any)
		code, _ := e["code"].(string)
		return nil, code
	}
	b, _ := json.Marshal(f["data"])
	return b, ""
}

// ping sends a JSON ping and waits for its pong: everything the server sent
// before the pong has been read by then.
func (w *wsConn) ping() {
	w.t.Helper()
	uid := uuid.NewString()
	w.send(map[string]any{"type": "ping", "uid": uid})
	w.next(func(f map[string]any) bool { return f["type"] == "pong" && f["uid"] == uid })
}

// ---- the same request over REST and over the WebSocket ----

// attempt is one write by a chat user, tried over one transport.
type attempt struct {
	collection, action string
	id                 string         // update and delete
	data               map[string]any // create and update
}

// outcome is the answer: ok, or the error code.
type outcome struct {
	OK   bool
	Code string
}

func viaREST(t *testing.T, base, token string, a attempt) outcome {
	t.Helper()
	var ans answer
	switch a.action {
	case "create":
		ans = call(t, http.MethodPost, base+"/items/"+a.collection, token, a.data)
	case "update":
		ans = call(t, http.MethodPatch, base+"/items/"+a.collection+"/"+a.id, token, a.data)
	case "delete":
		ans = call(t, http.MethodDelete, base+"/items/"+a.collection+"/"+a.id, token, nil)
	}
	return outcome{OK: ans.Status < 300, Code: ans.Code}
}

func viaWS(t *testing.T, base, token string, a attempt) outcome {
	t.Helper()
	w := dialWS(t, base, token)
	extra := map[string]any{}
	switch a.action {
	case "create":
		extra["data"] = a.data
	case "update":
		extra["id"], extra["data"] = a.id, a.data
	case "delete":
		extra["id"] = a.id
	}
	_, code := w.items(a.collection, a.action, extra)
	return outcome{OK: code == "", Code: code}
}

// transports are the two ways the app writes.
var transports = []struct {
	name string
	do   func(t *testing.T, base, token string, a attempt) outcome
}{{"REST", viaREST}, {"WebSocket", viaWS}}

// fixture holds the users and channels of an access test.
type fixture struct {
	env                    *devservertest.Env
	admin                  string
	ada, kevin, grace      string // tokens
	adaID, kevinID, gracID string
}

func newFixture(t *testing.T) *fixture {
	env := devservertest.Shared(t)
	f := &fixture{env: env, admin: login(t, env.URL, env.AdminEmail, env.AdminPassword)}
	f.ada = login(t, env.URL, env.Users[0].Email, env.Users[0].Password)
	f.kevin = login(t, env.URL, env.Users[1].Email, env.Users[1].Password)
	f.grace = login(t, env.URL, env.Users[2].Email, env.Users[2].Password)
	f.adaID, f.kevinID, f.gracID = userID(t, env.URL, f.ada), userID(t, env.URL, f.kevin), userID(t, env.URL, f.grace)
	return f
}

// channel creates a channel as admin, with these members, and returns its
// id. creator, if not empty, is recorded as its user_created (as if that
// user had created it).
func (f *fixture) channel(t *testing.T, kind, creator string, members ...string) string {
	t.Helper()
	id := uuid.NewString()
	body := map[string]any{"id": id, "kind": kind}
	switch kind {
	case provision.KindDirect:
		f.cleanDirect(t, members[0], members[1])
		body["direct_key"] = directKey(members[0], members[1])
	default:
		body["name"] = kind + "-" + id[:8]
	}
	if a := call(t, http.MethodPost, f.env.URL+"/items/channels", f.admin, body); a.Status != http.StatusOK {
		t.Fatalf("admin creates a %s channel: %d %s", kind, a.Status, a.Code)
	}
	if creator != "" {
		// user_created is the admin's; the test plays the creator.
		if a := call(t, http.MethodPatch, f.env.URL+"/items/channels/"+id, f.admin, map[string]any{"user_created": creator}); a.Status != http.StatusOK {
			t.Fatalf("set creator: %d %s", a.Status, a.Code)
		}
	}
	for _, m := range members {
		if a := call(t, http.MethodPost, f.env.URL+"/items/channel_members", f.admin, member(id, m)); a.Status != http.StatusOK {
			t.Fatalf("admin adds a member: %d %s", a.Status, a.Code)
		}
	}
	return id
}

func (f *fixture) restricted() bool { return restricted(f.env.Report) }

// TestChannelWriteRules proves each write rule with a second user, over REST
// and over the WebSocket, allowed and refused, and checks that a refused
// create wrote nothing. The blocking Flows make these hold on Directus 11
// (which does not apply item rules to creates) and on 12 without a license
// (which accepts no rules at all).
func TestChannelWriteRules(t *testing.T) {
	f := newFixture(t)
	base := f.env.URL
	type tc struct {
		name string
		who  func() string // token
		// setup makes fresh fixtures and returns the attempt.
		setup func(t *testing.T) attempt
		ok    bool
	}
	msg := func(channel string) map[string]any {
		return map[string]any{"id": uuid.NewString(), "text": "rule test", "channel": channel}
	}
	ada, kevin, grace := func() string { return f.ada }, func() string { return f.kevin }, func() string { return f.grace }
	cases := []tc{
		// messages
		{"member posts in a private channel", ada, func(t *testing.T) attempt {
			return attempt{collection: "messages", action: "create", data: msg(f.channel(t, "private", "", f.adaID))}
		}, true},
		{"non-member posts in a private channel", kevin, func(t *testing.T) attempt {
			return attempt{collection: "messages", action: "create", data: msg(f.channel(t, "private", "", f.adaID))}
		}, false},
		{"non-member posts in a public channel", kevin, func(t *testing.T) attempt {
			return attempt{collection: "messages", action: "create", data: msg(f.channel(t, "public", "", f.adaID))}
		}, false},
		{"member posts in a direct channel", kevin, func(t *testing.T) attempt {
			return attempt{collection: "messages", action: "create", data: msg(f.channel(t, "direct", "", f.adaID, f.kevinID))}
		}, true},
		{"third person posts in a direct channel", grace, func(t *testing.T) attempt {
			return attempt{collection: "messages", action: "create", data: msg(f.channel(t, "direct", "", f.adaID, f.kevinID))}
		}, false},
		{"message without a channel", ada, func(t *testing.T) attempt {
			return attempt{collection: "messages", action: "create", data: map[string]any{"id": uuid.NewString(), "text": "nowhere"}}
		}, false},
		{"message creating a channel inline", ada, func(t *testing.T) attempt {
			return attempt{collection: "messages", action: "create", data: map[string]any{"id": uuid.NewString(), "text": "inline",
				"channel": map[string]any{"id": uuid.NewString(), "name": "inline-" + uuid.NewString()[:8], "kind": "public"}}}
		}, false},

		// channels
		{"create a public channel", ada, func(t *testing.T) attempt {
			return attempt{collection: "channels", action: "create", data: map[string]any{"id": uuid.NewString(), "name": "pub-" + uuid.NewString()[:8], "kind": "public", "topic": "t"}}
		}, true},
		{"create a private channel", ada, func(t *testing.T) attempt {
			return attempt{collection: "channels", action: "create", data: map[string]any{"id": uuid.NewString(), "name": "priv-" + uuid.NewString()[:8], "kind": "private"}}
		}, true},
		{"create a channel of an unknown kind", ada, func(t *testing.T) attempt {
			return attempt{collection: "channels", action: "create", data: map[string]any{"id": uuid.NewString(), "name": "odd-" + uuid.NewString()[:8], "kind": "secret"}}
		}, false},
		{"create a public channel without a name", ada, func(t *testing.T) attempt {
			return attempt{collection: "channels", action: "create", data: map[string]any{"id": uuid.NewString(), "kind": "public"}}
		}, false},
		{"create a direct channel with oneself in it", ada, func(t *testing.T) attempt {
			f.cleanDirect(t, f.adaID, f.gracID)
			return attempt{collection: "channels", action: "create", data: map[string]any{"id": uuid.NewString(), "kind": "direct", "direct_key": directKey(f.adaID, f.gracID)}}
		}, true},
		{"create a direct channel of two others", kevin, func(t *testing.T) attempt {
			f.cleanDirect(t, f.adaID, f.gracID)
			return attempt{collection: "channels", action: "create", data: map[string]any{"id": uuid.NewString(), "kind": "direct", "direct_key": directKey(f.adaID, f.gracID)}}
		}, false},
		{"create a direct channel with an unsorted key", ada, func(t *testing.T) attempt {
			f.cleanDirect(t, f.adaID, f.gracID)
			k := strings.Split(directKey(f.adaID, f.gracID), ":")
			return attempt{collection: "channels", action: "create", data: map[string]any{"id": uuid.NewString(), "kind": "direct", "direct_key": k[1] + ":" + k[0]}}
		}, false},
		{"member renames a channel", ada, func(t *testing.T) attempt {
			return attempt{collection: "channels", action: "update", id: f.channel(t, "private", "", f.adaID), data: map[string]any{"topic": "new topic"}}
		}, true},
		{"non-member renames a public channel", kevin, func(t *testing.T) attempt {
			return attempt{collection: "channels", action: "update", id: f.channel(t, "public", "", f.adaID), data: map[string]any{"name": "taken-" + uuid.NewString()[:8]}}
		}, false},
		{"member changes a channel's kind", ada, func(t *testing.T) attempt {
			return attempt{collection: "channels", action: "update", id: f.channel(t, "private", "", f.adaID), data: map[string]any{"kind": "public"}}
		}, false},

		// channel_members: create
		{"join a public channel", kevin, func(t *testing.T) attempt {
			return attempt{collection: "channel_members", action: "create", data: member(f.channel(t, "public", "", f.adaID), f.kevinID)}
		}, true},
		{"add someone else to a public channel", kevin, func(t *testing.T) attempt {
			return attempt{collection: "channel_members", action: "create", data: member(f.channel(t, "public", "", f.kevinID), f.gracID)}
		}, false},
		{"join a private channel", kevin, func(t *testing.T) attempt {
			return attempt{collection: "channel_members", action: "create", data: member(f.channel(t, "private", "", f.adaID), f.kevinID)}
		}, false},
		{"member adds someone to a private channel", ada, func(t *testing.T) attempt {
			return attempt{collection: "channel_members", action: "create", data: member(f.channel(t, "private", "", f.adaID), f.kevinID)}
		}, true},
		{"creator adds the first member", ada, func(t *testing.T) attempt {
			return attempt{collection: "channel_members", action: "create", data: member(f.channel(t, "private", f.adaID), f.adaID)}
		}, true},
		{"creator adds someone to an empty channel", ada, func(t *testing.T) attempt {
			return attempt{collection: "channel_members", action: "create", data: member(f.channel(t, "private", f.adaID), f.kevinID)}
		}, true},
		{"non-creator adds the first member", kevin, func(t *testing.T) attempt {
			return attempt{collection: "channel_members", action: "create", data: member(f.channel(t, "private", f.adaID), f.kevinID)}
		}, false},
		{"one of a direct channel's two adds the other", ada, func(t *testing.T) attempt {
			ch := f.channel(t, "direct", "", f.adaID, f.kevinID)
			f.leave(t, ch, f.kevinID)
			return attempt{collection: "channel_members", action: "create", data: member(ch, f.kevinID)}
		}, true},
		{"third person joins a direct channel", grace, func(t *testing.T) attempt {
			return attempt{collection: "channel_members", action: "create", data: member(f.channel(t, "direct", "", f.adaID, f.kevinID), f.gracID)}
		}, false},
		{"membership with a wrong member_key", kevin, func(t *testing.T) attempt {
			m := member(f.channel(t, "public", "", f.adaID), f.kevinID)
			m["member_key"] = "mine"
			return attempt{collection: "channel_members", action: "create", data: m}
		}, false},

		// channel_members: update and delete
		{"mark own channel read", kevin, func(t *testing.T) attempt {
			ch := f.channel(t, "public", "", f.kevinID)
			return attempt{collection: "channel_members", action: "update", id: f.membership(t, ch, f.kevinID),
				data: map[string]any{"last_read_at": time.Now().UTC().Format(time.RFC3339), "muted": true}}
		}, true},
		{"mark someone else's channel read", kevin, func(t *testing.T) attempt {
			ch := f.channel(t, "public", "", f.adaID, f.kevinID)
			return attempt{collection: "channel_members", action: "update", id: f.membership(t, ch, f.adaID),
				data: map[string]any{"last_read_at": time.Now().UTC().Format(time.RFC3339)}}
		}, false},
		{"move own membership to another channel", kevin, func(t *testing.T) attempt {
			ch := f.channel(t, "public", "", f.kevinID)
			other := f.channel(t, "private", "", f.adaID)
			return attempt{collection: "channel_members", action: "update", id: f.membership(t, ch, f.kevinID),
				data: map[string]any{"channel": other, "member_key": other + ":" + f.kevinID}}
		}, false},
		{"leave a channel", kevin, func(t *testing.T) attempt {
			ch := f.channel(t, "private", "", f.adaID, f.kevinID)
			return attempt{collection: "channel_members", action: "delete", id: f.membership(t, ch, f.kevinID)}
		}, true},
		{"remove someone else", kevin, func(t *testing.T) attempt {
			ch := f.channel(t, "private", "", f.adaID, f.kevinID)
			return attempt{collection: "channel_members", action: "delete", id: f.membership(t, ch, f.adaID)}
		}, false},
	}
	for _, c := range cases {
		for _, tr := range transports {
			t.Run(c.name+"/"+tr.name, func(t *testing.T) {
				a := c.setup(t)
				got := tr.do(t, base, c.who(), a)
				if c.ok && !got.OK {
					t.Fatalf("refused with %q, want it allowed", got.Code)
				}
				if !c.ok && got.OK {
					t.Fatalf("allowed, want it refused")
				}
				if !c.ok && got.Code != "FORBIDDEN" {
					t.Errorf("refused with %q, want FORBIDDEN", got.Code)
				}
				if a.action == "create" && !c.ok {
					if n := count(t, base, f.admin, a.collection, map[string]any{"id": map[string]any{"_eq": a.data["id"]}}); n != 0 {
						t.Fatalf("the refused create was written anyway")
					}
				}
				if a.action == "create" && c.ok && a.data["id"] != nil {
					if n := count(t, base, f.admin, a.collection, map[string]any{"id": map[string]any{"_eq": a.data["id"]}}); n != 1 {
						t.Fatalf("the allowed create is not stored")
					}
				}
			})
		}
	}

	// Admins (the Data Studio, setup, admin tokens) are not limited.
	ch := f.channel(t, "private", "", f.adaID)
	if a := call(t, http.MethodPost, base+"/items/messages", f.admin, msg(ch)); a.Status != http.StatusOK {
		t.Fatalf("admin posts into a private channel: %d %s", a.Status, a.Code)
	}
}

// cleanDirect deletes the direct channel of a and b, as admin.
func (f *fixture) cleanDirect(t *testing.T, a, b string) {
	t.Helper()
	base := f.env.URL
	ans := call(t, http.MethodGet, base+"/items/channels"+q(map[string]any{"direct_key": map[string]any{"_eq": directKey(a, b)}}, "id"), f.admin, nil)
	var rows []struct {
		ID string `json:"id"`
	}
	_ = json.Unmarshal(ans.Data, &rows)
	for _, r := range rows {
		call(t, http.MethodDelete, base+"/items/channels/"+r.ID, f.admin, nil)
	}
}

func (f *fixture) membership(t *testing.T, channel, user string) string {
	t.Helper()
	a := call(t, http.MethodGet, f.env.URL+"/items/channel_members"+q(map[string]any{"member_key": map[string]any{"_eq": channel + ":" + user}}, "id"), f.admin, nil)
	var rows []struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(a.Data, &rows); err != nil || len(rows) != 1 {
		t.Fatalf("membership: %d %s", a.Status, a.Data)
	}
	return rows[0].ID
}

func (f *fixture) leave(t *testing.T, channel, user string) {
	t.Helper()
	if a := call(t, http.MethodDelete, f.env.URL+"/items/channel_members/"+f.membership(t, channel, user), f.admin, nil); a.Status != http.StatusNoContent {
		t.Fatalf("remove member: %d %s", a.Status, a.Code)
	}
}

// TestChannelReadRules: on Directus 11 a non-member reads no private or
// direct channel, membership or message; on 12 without a license everyone
// reads everything, and setup says so.
func TestChannelReadRules(t *testing.T) {
	f := newFixture(t)
	base := f.env.URL
	priv := f.channel(t, "private", "", f.adaID)
	direct := f.channel(t, "direct", "", f.adaID, f.gracID)
	pub := f.channel(t, "public", "", f.adaID)
	ids := map[string]string{}
	for name, ch := range map[string]string{"private": priv, "direct": direct, "public": pub} {
		m := map[string]any{"id": uuid.NewString(), "text": "read rule " + name, "channel": ch}
		if a := call(t, http.MethodPost, base+"/items/messages", f.ada, m); a.Status != http.StatusOK {
			t.Fatalf("ada posts in her %s channel: %d %s", name, a.Status, a.Code)
		}
		ids[name] = m["id"].(string)
	}
	wide := f.restricted()
	if wide {
		rep := strings.Join(f.env.Report.Wider, "\n")
		for _, want := range []string{
			"read on channels: every chat user can read every channel, private and direct ones included",
			"read on messages: every chat user can read every message of every channel, private and direct ones included",
			"read on channel_members: every chat user can see who is in every channel",
		} {
			if !strings.Contains(rep, want) {
				t.Errorf("the report does not say %q:\n%s", want, rep)
			}
		}
	}
	w := dialWS(t, base, f.kevin)
	for name, ch := range map[string]string{"private": priv, "direct": direct, "public": pub} {
		visible := name == "public" || wide
		// REST
		a := call(t, http.MethodGet, base+"/items/channels/"+ch+"?fields=id", f.kevin, nil)
		if got := a.Status == http.StatusOK; got != visible {
			t.Errorf("kevin reads the %s channel over REST: %d, want visible=%t", name, a.Status, visible)
		}
		a = call(t, http.MethodGet, base+"/items/messages/"+ids[name]+"?fields=id", f.kevin, nil)
		if got := a.Status == http.StatusOK; got != visible {
			t.Errorf("kevin reads a message of the %s channel over REST: %d, want visible=%t", name, a.Status, visible)
		}
		n := count(t, base, f.kevin, "channel_members", map[string]any{"channel": map[string]any{"_eq": ch}})
		if got := n > 0; got != visible {
			t.Errorf("kevin sees %d members of the %s channel, want visible=%t", n, name, visible)
		}
		// WebSocket (the app's history reads)
		data, code := w.items("messages", "read", map[string]any{"query": map[string]any{
			"filter": map[string]any{"channel": map[string]any{"_eq": ch}}, "fields": []string{"id"}}})
		var rows []json.RawMessage
		_ = json.Unmarshal(data, &rows)
		if got := code == "" && len(rows) > 0; got != visible {
			t.Errorf("kevin reads the %s channel's messages over the WebSocket: %d rows, code %q, want visible=%t", name, len(rows), code, visible)
		}
	}
	// A creator reads back the channel before it has members (the app creates
	// a private channel, then adds people).
	id := uuid.NewString()
	data, code := dialWS(t, base, f.kevin).items("channels", "create", map[string]any{"data": map[string]any{"id": id, "name": "mine-" + id[:8], "kind": "private"}})
	if code != "" || !strings.Contains(string(data), id) {
		t.Errorf("kevin creates a private channel over the WebSocket: %s, code %q; want it read back", data, code)
	}
}

// TestChannelRealtime: a non-member's subscription to messages gets no
// create or update event of a private channel's messages (Directus 11), the
// app's filtered subscription delivers only the user's channels (11 and 12),
// and the unread counts' aggregate read works over the WebSocket.
func TestChannelRealtime(t *testing.T) {
	f := newFixture(t)
	base := f.env.URL
	priv := f.channel(t, "private", "", f.adaID)
	pub := f.channel(t, "public", "", f.adaID, f.kevinID)
	other := f.channel(t, "public", "", f.adaID) // public, kevin not a member

	mine := map[string]any{"channel": map[string]any{"members": map[string]any{"user": map[string]any{"_eq": "$CURRENT_USER"}}}}
	all := dialWS(t, base, f.kevin)
	all.send(map[string]any{"type": "subscribe", "collection": "messages", "uid": "all", "query": map[string]any{"fields": []string{"id", "text", "channel"}}})
	filtered := dialWS(t, base, f.kevin)
	filtered.send(map[string]any{"type": "subscribe", "collection": "messages", "uid": "mine", "query": map[string]any{"fields": []string{"id", "text", "channel"}, "filter": mine}})
	for _, w := range []*wsConn{all, filtered} {
		w.next(func(f map[string]any) bool { return f["type"] == "subscription" && f["event"] == "init" })
	}

	post := func(channel, text string) string {
		id := uuid.NewString()
		if a := call(t, http.MethodPost, base+"/items/messages", f.ada, map[string]any{"id": id, "text": text, "channel": channel}); a.Status != http.StatusOK {
			t.Fatalf("ada posts: %d %s", a.Status, a.Code)
		}
		return id
	}
	privID := post(priv, "private words")
	if a := call(t, http.MethodPatch, base+"/items/messages/"+privID, f.ada, map[string]any{"text": "private words, edited"}); a.Status != http.StatusOK && !f.restricted() {
		t.Fatalf("ada edits: %d %s", a.Status, a.Code)
	}
	otherID := post(other, "public, not kevin's")
	pubID := post(pub, "public, kevin's")

	// Events are published in order; the last post (kevin's channel) reaches
	// both sockets, and a ping after it flushes anything sent before.
	seen := func(w *wsConn) map[string]bool {
		w.next(func(fr map[string]any) bool {
			if fr["type"] == "subscription" && fr["event"] == "create" {
				b, _ := json.Marshal(fr["data"])
				if strings.Contains(string(b), pubID) {
					return true
				}
				w.pending = append(w.pending, fr)
			}
			return false
		})
		w.ping()
		got := map[string]bool{}
		for _, fr := range w.pending {
			b, _ := json.Marshal(fr["data"])
			for _, id := range []string{privID, otherID} {
				if strings.Contains(string(b), id) {
					got[fmt.Sprint(fr["event"], ":", id)] = true
				}
			}
		}
		return got
	}
	gotAll, gotMine := seen(all), seen(filtered)
	if f.restricted() {
		t.Logf("12 without a license: the unfiltered subscription got %v (every channel is readable)", gotAll)
	} else {
		for k := range gotAll {
			if strings.HasSuffix(k, privID) {
				t.Errorf("kevin's subscription got the private channel's %s", k)
			}
		}
		if !gotAll["create:"+otherID] {
			t.Errorf("kevin's unfiltered subscription missed a public channel's message")
		}
	}
	if len(gotMine) != 0 {
		t.Errorf("the filtered subscription delivered messages of channels kevin is not in: %v", gotMine)
	}

	// Deletes are not filtered (directus#19704): the id of a private
	// message's delete reaches non-members. The app drops unknown ids.
	if a := call(t, http.MethodDelete, base+"/items/messages/"+privID, f.admin, nil); a.Status != http.StatusNoContent {
		t.Fatalf("delete: %d", a.Status)
	}
	lastID := post(pub, "after the delete")
	all.pending = nil
	all.next(func(fr map[string]any) bool {
		b, _ := json.Marshal(fr["data"])
		if fr["event"] == "create" && strings.Contains(string(b), lastID) {
			return true
		}
		if fr["event"] == "delete" && strings.Contains(string(b), privID) {
			t.Logf("as known: the delete of a private message reached a non-member's subscription (%s)", b)
		}
		return false
	})

	// The same filter on a read, and the unread counts' aggregate.
	data, code := all.items("messages", "read", map[string]any{"query": map[string]any{
		"filter": mine, "fields": []string{"id", "channel"}, "limit": -1}})
	if code != "" {
		t.Fatalf("filtered read: %s", code)
	}
	var rows []struct {
		ID      string `json:"id"`
		Channel string `json:"channel"`
	}
	if err := json.Unmarshal(data, &rows); err != nil {
		t.Fatal(err)
	}
	var inPub int
	for _, r := range rows {
		if r.Channel == priv || r.Channel == other {
			t.Errorf("the filtered read returned a message of a channel kevin is not in")
		}
		if r.Channel == pub {
			inPub++
		}
	}
	if inPub != 2 {
		t.Errorf("the filtered read returned %d messages of kevin's channel, want 2", inPub)
	}
	data, code = all.items("messages", "read", map[string]any{"query": map[string]any{
		"aggregate": map[string]any{"count": []string{"id"}}, "groupBy": []string{"channel"}, "filter": mine}})
	if code != "" {
		t.Fatalf("aggregate read over the WebSocket: %s", code)
	}
	var groups []struct {
		Channel string `json:"channel"`
		Count   struct {
			ID json.Number `json:"id"`
		} `json:"count"`
	}
	if err := json.Unmarshal(data, &groups); err != nil {
		t.Fatalf("aggregate answer %s: %v", data, err)
	}
	var pubCount string
	for _, g := range groups {
		if g.Channel == priv || g.Channel == other {
			t.Errorf("the aggregate counted a channel kevin is not in: %s", data)
		}
		if g.Channel == pub {
			pubCount = g.Count.ID.String()
		}
	}
	if pubCount != "2" {
		t.Errorf("aggregate count for kevin's channel %q, want 2 (answer %s)", pubCount, data)
	}
	t.Logf("aggregate answer: %s", data)
}

// TestChannelSchema: the fields of channels and channel_members, the
// relations and the unique keys.
func TestChannelSchema(t *testing.T) {
	f := newFixture(t)
	base := f.env.URL
	for collection, want := range map[string][]string{
		"channels":        {"id", "name", "topic", "kind", "direct_key", "date_created", "date_updated", "user_created", "members"},
		"channel_members": {"id", "channel", "user", "last_read_at", "muted", "member_key", "date_created"},
		"messages":        {"id", "channel", "text", "date_created", "date_updated", "user_created"},
	} {
		a := call(t, http.MethodGet, base+"/fields/"+collection, f.admin, nil)
		var fields []struct {
			Field string `json:"field"`
		}
		if err := json.Unmarshal(a.Data, &fields); err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, fl := range fields {
			got = append(got, fl.Field)
		}
		for _, w := range want {
			if !slices.Contains(got, w) {
				t.Errorf("%s has no field %s (has %v)", collection, w, got)
			}
		}
	}
	for _, r := range []struct{ path, related, onDelete, oneField string }{
		{"channel_members/channel", "channels", "CASCADE", "members"},
		{"channel_members/user", "directus_users", "CASCADE", provision.UserMembershipsField},
		{"messages/channel", "channels", "CASCADE", ""},
		{"channels/user_created", "directus_users", "SET NULL", ""},
	} {
		a := call(t, http.MethodGet, base+"/relations/"+r.path, f.admin, nil)
		var rel struct {
			Related string `json:"related_collection"`
			Schema  struct {
				OnDelete string `json:"on_delete"`
			} `json:"schema"`
			Meta struct {
				OneField *string `json:"one_field"`
			} `json:"meta"`
		}
		if err := json.Unmarshal(a.Data, &rel); err != nil || rel.Related != r.related || rel.Schema.OnDelete != r.onDelete {
			t.Errorf("relation %s: %d %s", r.path, a.Status, a.Data)
		}
		if r.oneField != "" && (rel.Meta.OneField == nil || *rel.Meta.OneField != r.oneField) {
			t.Errorf("relation %s has no alias %s: %s", r.path, r.oneField, a.Data)
		}
	}
	// Unique names, direct keys and memberships; a new member is not muted.
	name := "uniq-" + uuid.NewString()[:8]
	for i, want := range []int{http.StatusOK, http.StatusBadRequest} {
		a := call(t, http.MethodPost, base+"/items/channels", f.admin, map[string]any{"id": uuid.NewString(), "name": name, "kind": "public"})
		if a.Status != want || (i == 1 && a.Code != "RECORD_NOT_UNIQUE") {
			t.Errorf("channel named %s, %d time: %d %s", name, i+1, a.Status, a.Code)
		}
	}
	f.cleanDirect(t, f.kevinID, f.gracID)
	key := directKey(f.kevinID, f.gracID)
	var dm string
	for i := range 2 {
		id := uuid.NewString()
		a := call(t, http.MethodPost, base+"/items/channels", f.admin, map[string]any{"id": id, "kind": "direct", "direct_key": key})
		if (i == 0) != (a.Status == http.StatusOK) || (i == 1 && a.Code != "RECORD_NOT_UNIQUE") {
			t.Errorf("direct channel %d: %d %s", i+1, a.Status, a.Code)
		}
		if i == 0 {
			dm = id
		}
	}
	for i := range 2 {
		a := call(t, http.MethodPost, base+"/items/channel_members", f.admin, member(dm, f.kevinID))
		if (i == 0) != (a.Status == http.StatusOK) || (i == 1 && a.Code != "RECORD_NOT_UNIQUE") {
			t.Errorf("membership %d: %d %s", i+1, a.Status, a.Code)
		}
		if i == 0 && !strings.Contains(string(a.Data), `"muted":false`) {
			t.Errorf("a new membership is not muted=false: %s", a.Data)
		}
	}
	// Deleting a channel deletes its memberships and messages.
	if a := call(t, http.MethodPost, base+"/items/messages", f.admin, map[string]any{"id": uuid.NewString(), "text": "x", "channel": dm}); a.Status != http.StatusOK {
		t.Fatalf("post: %d %s", a.Status, a.Code)
	}
	if a := call(t, http.MethodDelete, base+"/items/channels/"+dm, f.admin, nil); a.Status != http.StatusNoContent {
		t.Fatalf("delete channel: %d %s", a.Status, a.Code)
	}
	for _, c := range []string{"channel_members", "messages"} {
		if n := count(t, base, f.admin, c, map[string]any{"channel": map[string]any{"_eq": dm}}); n != 0 {
			t.Errorf("%d %s of a deleted channel remain", n, c)
		}
	}
	// general and random exist, with the demo users as members.
	for _, name := range []string{provision.GeneralChannel, provision.RandomChannel} {
		ch := channelByName(t, base, f.admin, name)
		for _, u := range []string{f.adaID, f.kevinID, f.gracID} {
			f.membership(t, ch, u)
		}
	}
}

// TestSetupMigratesSingleRoomInstall: a database set up before channels
// (messages without a channel, a chat user) gets a public general with
// every message and every chat user in it; a second run changes nothing.
func TestSetupMigratesSingleRoomInstall(t *testing.T) {
	s := devservertest.Start(t, devserver.Options{})
	base := s.URL
	admin := login(t, base, s.AdminEmail, s.AdminPassword)
	// The single-room schema as older versions of setup made it.
	old := map[string]any{
		"collection": "messages",
		"meta":       map[string]any{"icon": "chat"},
		"schema":     map[string]any{},
		"fields": []map[string]any{
			{"field": "id", "type": "uuid", "meta": map[string]any{"special": []string{"uuid"}}, "schema": map[string]any{"is_primary_key": true, "length": 36, "has_auto_increment": false}},
			{"field": "date_created", "type": "timestamp", "meta": map[string]any{"special": []string{"date-created"}}, "schema": map[string]any{"is_indexed": true}},
			{"field": "date_updated", "type": "timestamp", "meta": map[string]any{"special": []string{"date-updated"}}, "schema": map[string]any{}},
			{"field": "user_created", "type": "uuid", "meta": map[string]any{"special": []string{"user-created"}}, "schema": map[string]any{}},
			{"field": "text", "type": "text", "schema": map[string]any{}},
		},
	}
	if a := call(t, http.MethodPost, base+"/collections", admin, old); a.Status != http.StatusOK {
		t.Fatalf("old schema: %d %s", a.Status, a.Code)
	}
	a := call(t, http.MethodPost, base+"/roles", admin, map[string]any{"name": provision.RoleName})
	var role struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(a.Data, &role); err != nil || role.ID == "" {
		t.Fatalf("old role: %d %s", a.Status, a.Code)
	}
	user := map[string]any{"email": "old@example.com", "password": "old-user-pw", "first_name": "Old", "role": role.ID, "status": "active"}
	if a := call(t, http.MethodPost, base+"/users", admin, user); a.Status != http.StatusOK {
		t.Fatalf("old user: %d %s", a.Status, a.Code)
	}
	const n = 7
	var ids []string
	for i := range n {
		id := uuid.NewString()
		ids = append(ids, id)
		if a := call(t, http.MethodPost, base+"/items/messages", admin, map[string]any{"id": id, "text": fmt.Sprintf("old %d", i)}); a.Status != http.StatusOK {
			t.Fatalf("old message: %d %s", a.Status, a.Code)
		}
	}

	opts := provision.Options{URL: base, Email: s.AdminEmail, Password: s.AdminPassword}
	rep, err := run(t, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("migration on %s:\n%s", rep.ServerVersion, strings.Join(rep.Changes, "\n"))
	for _, want := range []string{
		"created field messages.channel (uuid)",
		"created public channel general with 1 members",
		fmt.Sprintf("moved %d messages without a channel into general", n),
	} {
		if !slices.ContainsFunc(rep.Changes, func(c string) bool { return strings.HasPrefix(c, want) }) {
			t.Errorf("no change %q", want)
		}
	}
	general := channelByName(t, base, admin, provision.GeneralChannel)
	a = call(t, http.MethodGet, base+"/items/messages"+q(map[string]any{"id": map[string]any{"_in": ids}}, "id,channel,date_updated"), admin, nil)
	var moved []struct {
		Channel     *string `json:"channel"`
		DateUpdated *string `json:"date_updated"`
	}
	if err := json.Unmarshal(a.Data, &moved); err != nil || len(moved) != n {
		t.Fatalf("read moved messages: %d %s", a.Status, a.Data)
	}
	for _, m := range moved {
		if m.Channel == nil || *m.Channel != general {
			t.Errorf("a message is not in general: %v", m.Channel)
		}
		if m.DateUpdated != nil {
			t.Errorf("moving a message marked it edited (date_updated %s)", *m.DateUpdated)
		}
	}
	a = call(t, http.MethodGet, base+"/fields/messages/date_updated", admin, nil)
	if !strings.Contains(string(a.Data), `"date-updated"`) {
		t.Errorf("messages.date_updated lost its special: %s", a.Data)
	}
	// The old user is a member of general and reads the old messages.
	tok := login(t, base, "old@example.com", "old-user-pw")
	if got := count(t, base, tok, "messages", map[string]any{"channel": map[string]any{"_eq": general}}); got != n {
		t.Errorf("the old user reads %d messages in general, want %d", got, n)
	}
	if got := count(t, base, admin, "channel_members", map[string]any{"channel": map[string]any{"_eq": general}}); got != 1 {
		t.Errorf("general has %d members, want 1", got)
	}
	if a := call(t, http.MethodPost, base+"/items/messages", tok, map[string]any{"id": uuid.NewString(), "text": "new", "channel": general}); a.Status != http.StatusOK {
		t.Errorf("the old user posts in general: %d %s", a.Status, a.Code)
	}

	rep, err = run(t, opts)
	if err != nil || rep.Changed() {
		t.Fatalf("second run: changes %q, err %v; want nothing changed", rep.Changes, err)
	}
	// With demo users: random, and the demo users in both channels.
	opts.DemoUsers = true
	if _, err := run(t, opts); err != nil {
		t.Fatal(err)
	}
	rep, err = run(t, opts)
	if err != nil || rep.Changed() {
		t.Fatalf("second run with demo users: changes %q, err %v; want nothing changed", rep.Changes, err)
	}
	random := channelByName(t, base, admin, provision.RandomChannel)
	if got := count(t, base, admin, "channel_members", map[string]any{"channel": map[string]any{"_eq": random}}); got != len(provision.DemoUsers()) {
		t.Errorf("random has %d members, want the %d demo users", got, len(provision.DemoUsers()))
	}
	if got := count(t, base, admin, "channel_members", map[string]any{"channel": map[string]any{"_eq": general}}); got != 1+len(provision.DemoUsers()) {
		t.Errorf("general has %d members, want the old user and the demo users", got)
	}

	// An install set up before the read rules named the user's channels
	// through directus_users.chat_memberships: rules through
	// channel.members, no alias. Setup moves it to the new form, keeps the
	// memberships' on-delete rule, and the old user still reads general.
	oldRule := map[string]any{"_or": []any{
		map[string]any{"channel": map[string]any{"kind": map[string]any{"_eq": "public"}}},
		map[string]any{"channel": map[string]any{"members": map[string]any{"user": map[string]any{"_eq": "$CURRENT_USER"}}}},
	}}
	a = call(t, http.MethodGet, base+"/permissions"+q(map[string]any{"collection": map[string]any{"_eq": "messages"}, "action": map[string]any{"_eq": "read"}}, "id"), admin, nil)
	var perms []struct {
		ID json.Number `json:"id"`
	}
	if err := json.Unmarshal(a.Data, &perms); err != nil || len(perms) != 1 {
		t.Fatalf("messages read permission: %d %s", a.Status, a.Data)
	}
	// Directus 12 without a license refuses rules: its read has none.
	a = call(t, http.MethodPatch, base+"/permissions/"+perms[0].ID.String(), admin, map[string]any{"permissions": oldRule})
	ruled := a.Status == http.StatusOK
	if !ruled && a.Code != "RESOURCE_RESTRICTED" {
		t.Fatalf("old read rule: %d %s", a.Status, a.Code)
	}
	// Directus 11.17 crashes on a relation PATCH that is the first request
	// after a schema change (see ensureOneField): one before it.
	call(t, http.MethodGet, base+"/relations/channel_members/user", admin, nil)
	unalias := map[string]any{"collection": "channel_members", "field": "user", "related_collection": "directus_users",
		"schema": map[string]any{"on_delete": "CASCADE"}, "meta": map[string]any{"one_field": nil}}
	if a := call(t, http.MethodPatch, base+"/relations/channel_members/user", admin, unalias); a.Status != http.StatusOK {
		t.Fatalf("remove the alias: %d %s", a.Status, a.Code)
	}
	if a := call(t, http.MethodDelete, base+"/fields/directus_users/"+provision.UserMembershipsField, admin, nil); a.Status/100 != 2 {
		t.Fatalf("delete the alias field: %d %s", a.Status, a.Code)
	}
	rep, err = run(t, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("moving the read rules on %s:\n%s", rep.ServerVersion, strings.Join(rep.Changes, "\n"))
	for _, want := range []string{
		"created field directus_users." + provision.UserMembershipsField,
		"named the alias directus_users." + provision.UserMembershipsField + " of channel_members.user",
	} {
		if !slices.ContainsFunc(rep.Changes, func(c string) bool { return strings.HasPrefix(c, want) }) {
			t.Errorf("no change %q", want)
		}
	}
	a = call(t, http.MethodGet, base+"/relations/channel_members/user", admin, nil)
	var rel struct {
		Schema struct {
			OnDelete string `json:"on_delete"`
		} `json:"schema"`
		Meta struct {
			OneField string `json:"one_field"`
		} `json:"meta"`
	}
	if err := json.Unmarshal(a.Data, &rel); err != nil || rel.Meta.OneField != provision.UserMembershipsField || rel.Schema.OnDelete != "CASCADE" {
		t.Errorf("channel_members.user after setup: %d %s", a.Status, a.Data)
	}
	if got := count(t, base, tok, "messages", map[string]any{"channel": map[string]any{"_eq": general}}); got != n+1 {
		t.Errorf("after the move the old user reads %d messages in general, want %d", got, n+1)
	}
	if a := call(t, http.MethodGet, base+"/permissions/"+perms[0].ID.String(), admin, nil); ruled && !strings.Contains(string(a.Data), provision.MyChannels) {
		t.Errorf("messages read rule after setup: %s, want it through %s", a.Data, provision.MyChannels)
	}
	rep, err = run(t, opts)
	if err != nil || rep.Changed() {
		t.Fatalf("run after the move: changes %q, err %v; want nothing changed", rep.Changes, err)
	}
}
