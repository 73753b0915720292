// Package fakedirectus is a stand-in Directus for tests and benchmarks. It
// speaks just enough of the REST and WebSocket API for the app to sign in
// and subscribe, then lets its caller play what the real server cannot be
// made to do on demand: garbage or oversized frames, a link that goes
// silent without closing, integer keys, a redirect, a burst of 1,000 new
// messages within a second. Everything else is tested against the real
// Directus.
package fakedirectus

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// Options say what the stand-in does by itself.
type Options struct {
	// Init is the subscription's init snapshot: items as Directus sends
	// them (maps), nil for none.
	Init []any
	// Answer makes the server answer the client's pings (a pong) and items
	// requests (ok, no data) itself, as a server with an empty collection
	// does. Without it those frames go to Conn.Frames, for the caller to
	// answer, or not.
	Answer bool
	// Redirect, when its Path is set, answers that endpoint with a redirect.
	Redirect Redirect
	// TLS serves https, with a certificate that Server.Client trusts.
	TLS bool
}

// Redirect answers requests to Path with Status and a Location on Target
// (same path): the client must not follow it.
type Redirect struct {
	Path   string
	Status int
	Target string
}

// The tokens the stand-in hands out: sign-in gives AccessToken and
// RefreshToken, a refresh the second pair.
const (
	AccessToken   = "fake-access-token-1"
	RefreshToken  = "fake-refresh-token-1"
	AccessToken2  = "fake-access-token-2"
	RefreshToken2 = "fake-refresh-token-2"
)

// Server is the stand-in, on a loopback port. Close it when done.
type Server struct {
	*httptest.Server
	opts     Options
	conns    chan *Conn
	upgrader websocket.Upgrader
}

// Conn is one client connection that has subscribed.
type Conn struct {
	ws     *websocket.Conn
	mu     sync.Mutex // one writer at a time
	subUID string
	// Frames are the client's frames the server did not answer (every
	// frame but auth and subscribe, unless Options.Answer), as decoded
	// JSON. It is closed when the client's connection ends. Without
	// Answer, the caller must keep reading it (the server stops reading
	// the socket while 64 frames wait).
	Frames chan map[string]any
}

// Item is a message as the stand-in sends it.
type Item struct {
	ID, Text, AuthorID, AuthorName string
	Created                        time.Time
}

// New starts the stand-in.
func New(opts Options) *Server {
	s := &Server{opts: opts, conns: make(chan *Conn, 8)}
	mux := http.NewServeMux()
	answer := func(path, body string) {
		mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(body)) })
	}
	answer("/server/ping", "pong")
	answer("/auth/login", `{"data":{"access_token":"`+AccessToken+`","refresh_token":"`+RefreshToken+`","expires":900000}}`)
	answer("/auth/refresh", `{"data":{"access_token":"`+AccessToken2+`","refresh_token":"`+RefreshToken2+`","expires":900000}}`)
	answer("/users/me", `{"data":{"id":"u-ada","first_name":"Ada","last_name":"Lovelace","email":"ada@example.com"}}`)
	answer("/permissions/me", `{"data":{"messages":{"create":{"access":"full"},"read":{"access":"full"},"update":{"access":"none"},"delete":{"access":"none"}}}}`)
	mux.HandleFunc("/websocket", func(w http.ResponseWriter, r *http.Request) {
		ws, err := s.upgrader.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		c := &Conn{ws: ws, Frames: make(chan map[string]any, 64)}
		go s.serve(c)
	})
	h := http.Handler(mux)
	if r := opts.Redirect; r.Path != "" {
		h = http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			if req.URL.Path == r.Path {
				http.Redirect(w, req, r.Target+req.URL.Path, r.Status)
				return
			}
			mux.ServeHTTP(w, req)
		})
	}
	if opts.TLS {
		s.Server = httptest.NewTLSServer(h)
	} else {
		s.Server = httptest.NewServer(h)
	}
	return s
}

func (s *Server) serve(c *Conn) {
	defer close(c.Frames)
	defer c.ws.Close()
	for {
		var m map[string]any
		if err := c.ws.ReadJSON(&m); err != nil {
			return
		}
		switch {
		case m["type"] == "auth":
			_ = c.WriteJSON(map[string]any{"type": "auth", "status": "ok"})
		case m["type"] == "subscribe":
			c.subUID, _ = m["uid"].(string)
			init := s.opts.Init
			if init == nil {
				init = []any{}
			}
			_ = c.WriteJSON(map[string]any{"type": "subscription", "event": "init", "uid": c.subUID, "data": init})
			s.conns <- c
		case s.opts.Answer && m["type"] == "ping":
			_ = c.WriteJSON(map[string]any{"type": "pong", "uid": m["uid"]})
		case s.opts.Answer && m["type"] == "items":
			_ = c.WriteJSON(map[string]any{"type": "items", "status": "ok", "uid": m["uid"], "data": []any{}})
		case s.opts.Answer:
		default:
			c.Frames <- m
		}
	}
}

// Next waits for the next client to subscribe.
func (s *Server) Next(timeout time.Duration) (*Conn, error) {
	select {
	case c := <-s.conns:
		return c, nil
	case <-time.After(timeout):
		return nil, errors.New("fake directus: nobody subscribed")
	}
}

// SubUID is the uid of the client's subscription.
func (c *Conn) SubUID() string { return c.subUID }

// WriteJSON sends v as one text frame.
func (c *Conn) WriteJSON(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return c.WriteMessage(websocket.TextMessage, b)
}

// WriteMessage sends one frame of any kind and content, garbage included.
func (c *Conn) WriteMessage(kind int, data []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ws.WriteMessage(kind, data)
}

// Create sends one create event of the subscription, as Directus does for
// each new message.
func (c *Conn) Create(it Item) error {
	return c.WriteJSON(map[string]any{"type": "subscription", "event": "create", "uid": c.subUID, "data": []any{
		map[string]any{
			"id": it.ID, "text": it.Text, "date_created": it.Created.UTC().Format("2006-01-02T15:04:05.000Z"), "date_updated": nil,
			"user_created": map[string]any{"id": it.AuthorID, "first_name": it.AuthorName},
		},
	}})
}
