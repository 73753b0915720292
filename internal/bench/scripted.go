package bench

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// Scripted is a stand-in Directus that speaks just enough of the REST and
// WebSocket API for the app to sign in and subscribe, and then sends
// whatever events the benchmark scripts. It exists for one thing the real
// server cannot do on a small machine: deliver 1,000 new messages within a
// second (SQLite Directus creates a few hundred per second here).
type Scripted struct {
	*httptest.Server
	subs     chan *ScriptedConn
	upgrader websocket.Upgrader
}

// ScriptedConn is one subscribed client connection.
type ScriptedConn struct {
	ws     *websocket.Conn
	mu     sync.Mutex
	subUID string
}

// Item is a message as the scripted server sends it.
type Item struct {
	ID, Text, AuthorID, AuthorName string
	Created                        time.Time
}

// NewScripted starts the stand-in on a loopback port.
func NewScripted() *Scripted {
	s := &Scripted{subs: make(chan *ScriptedConn, 8)}
	mux := http.NewServeMux()
	mux.HandleFunc("/server/ping", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("pong")) })
	mux.HandleFunc("/auth/login", func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"data":{"access_token":"a1","refresh_token":"r1","expires":900000}}`))
	})
	mux.HandleFunc("/auth/refresh", func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"data":{"access_token":"a2","refresh_token":"r2","expires":900000}}`))
	})
	mux.HandleFunc("/users/me", func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"data":{"id":"u-ada","first_name":"Ada","last_name":"Lovelace"}}`))
	})
	mux.HandleFunc("/permissions/me", func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"data":{"messages":{"create":{"access":"full"},"read":{"access":"full"},"update":{"access":"none"},"delete":{"access":"none"}}}}`))
	})
	mux.HandleFunc("/websocket", func(w http.ResponseWriter, r *http.Request) {
		ws, err := s.upgrader.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		c := &ScriptedConn{ws: ws}
		go c.serve(s.subs)
	})
	s.Server = httptest.NewServer(mux)
	return s
}

func (c *ScriptedConn) serve(subs chan<- *ScriptedConn) {
	defer c.ws.Close()
	for {
		var m map[string]any
		if err := c.ws.ReadJSON(&m); err != nil {
			return
		}
		uid := m["uid"]
		switch m["type"] {
		case "auth":
			_ = c.write(map[string]any{"type": "auth", "status": "ok"})
		case "ping":
			_ = c.write(map[string]any{"type": "pong", "uid": uid})
		case "subscribe":
			c.subUID, _ = uid.(string)
			_ = c.write(map[string]any{"type": "subscription", "event": "init", "uid": c.subUID, "data": []any{}})
			subs <- c
		case "items": // reads (catch-up, older pages): nothing stored
			_ = c.write(map[string]any{"type": "items", "status": "ok", "uid": uid, "data": []any{}})
		}
	}
}

func (c *ScriptedConn) write(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ws.WriteMessage(websocket.TextMessage, b)
}

// Subscribed waits for the next client to subscribe.
func (s *Scripted) Subscribed(timeout time.Duration) (*ScriptedConn, error) {
	select {
	case c := <-s.subs:
		return c, nil
	case <-time.After(timeout):
		return nil, errors.New("scripted directus: nobody subscribed")
	}
}

// Create sends one create event, as Directus does for each new message.
func (c *ScriptedConn) Create(it Item) error {
	return c.write(map[string]any{"type": "subscription", "event": "create", "uid": c.subUID, "data": []any{
		map[string]any{
			"id": it.ID, "text": it.Text, "date_created": it.Created.UTC().Format("2006-01-02T15:04:05.000Z"), "date_updated": nil,
			"user_created": map[string]any{"id": it.AuthorID, "first_name": it.AuthorName},
		},
	}})
}
