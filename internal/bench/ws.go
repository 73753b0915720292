package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"directuschat/realtime"
)

// Bare is a bare gorilla/websocket client: it authenticates, may subscribe
// to the messages and may create them, and does nothing else. It is the
// baseline the app's delivery latency is compared with.
type Bare struct {
	ws  *websocket.Conn
	wmu sync.Mutex
}

func wsURL(base string) string {
	switch {
	case strings.HasPrefix(base, "https://"):
		return "wss://" + strings.TrimPrefix(base, "https://") + "/websocket"
	default:
		return "ws://" + strings.TrimPrefix(base, "http://") + "/websocket"
	}
}

// DialBare opens a socket and authenticates with an access token.
func DialBare(ctx context.Context, base, token string) (*Bare, error) {
	ws, _, err := websocket.DefaultDialer.DialContext(ctx, wsURL(base), http.Header{})
	if err != nil {
		return nil, fmt.Errorf("bare client: dial: %w", err)
	}
	ws.SetReadLimit(64 << 20)
	b := &Bare{ws: ws}
	if err := b.write(map[string]string{"type": "auth", "access_token": token}); err != nil {
		ws.Close()
		return nil, err
	}
	f, err := b.await(ctx, func(f frameHead) bool { return f.Type == "auth" })
	if err != nil {
		ws.Close()
		return nil, err
	}
	if f.Status != "ok" {
		ws.Close()
		return nil, fmt.Errorf("bare client: auth: %s", f.Status)
	}
	return b, nil
}

// MyChannelsMessages is the filter the app (realtime) subscribes to the
// messages with on a server with channels: the messages of the signed-in
// user's conversations. The bare client asks with the same filter, so the
// server does the same work for it as for the app.
func MyChannelsMessages() map[string]any {
	return map[string]any{"channel": map[string]any{"members": map[string]any{"user": map[string]any{"_eq": "$CURRENT_USER"}}}}
}

// SubscribeFields are the message fields the app subscribes to on a server
// with channels: realtime's fields and the channel.
func SubscribeFields() []string { return append(realtime.MessageFields(), "channel") }

// Subscribe subscribes to the messages as the app does on a server with
// channels (the same fields, filter, sort and page size) and waits for the
// initial page.
func (b *Bare) Subscribe(ctx context.Context, uid string) error {
	err := b.write(map[string]any{
		"type": "subscribe", "collection": "messages", "uid": uid,
		"query": map[string]any{"fields": SubscribeFields(), "filter": MyChannelsMessages(), "sort": []string{"-date_created", "-id"}, "limit": 50},
	})
	if err != nil {
		return err
	}
	f, err := b.await(ctx, func(f frameHead) bool { return f.Type == "subscription" || f.Status == "error" })
	if err != nil {
		return err
	}
	if f.Status == "error" || f.Event != "init" {
		return fmt.Errorf("bare client: subscribe: %s %s", f.Status, f.Event)
	}
	return nil
}

// Create sends a create for a message with a client-chosen id into a
// conversation (channel id), as the app's SendIn does. The reply is not
// awaited: Run reads it.
func (b *Bare) Create(id, channel, text string) error {
	return b.write(map[string]any{
		"type": "items", "collection": "messages", "action": "create", "uid": id,
		"data": map[string]string{"id": id, "text": text, "channel": channel}, "query": map[string]any{"fields": []string{"id"}},
	})
}

// Received is one frame as the bare client got it: the time ReadMessage
// returned, before any decoding.
type Received struct {
	At   time.Time
	Data []byte
}

// Run reads frames until the socket closes, answering pings, and hands each
// one to fn with the time it was read (nothing is decoded before the time
// is taken).
func (b *Bare) Run(fn func(Received)) error {
	for {
		_, data, err := b.ws.ReadMessage()
		at := time.Now()
		if err != nil {
			return err
		}
		if bytes.Contains(data[:min(len(data), 24)], []byte(`"ping"`)) {
			_ = b.write(map[string]string{"type": "pong"})
			continue
		}
		fn(Received{At: at, Data: data})
	}
}

// Close closes the socket; Run returns.
func (b *Bare) Close() error { return b.ws.Close() }

func (b *Bare) write(v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	b.wmu.Lock()
	defer b.wmu.Unlock()
	_ = b.ws.SetWriteDeadline(time.Now().Add(10 * time.Second))
	return b.ws.WriteMessage(websocket.TextMessage, data)
}

type frameHead struct {
	Type   string `json:"type"`
	Status string `json:"status"`
	Event  string `json:"event"`
}

func (b *Bare) await(ctx context.Context, match func(frameHead) bool) (frameHead, error) {
	if dl, ok := ctx.Deadline(); ok {
		_ = b.ws.SetReadDeadline(dl)
		defer b.ws.SetReadDeadline(time.Time{})
	}
	for {
		_, data, err := b.ws.ReadMessage()
		if err != nil {
			return frameHead{}, fmt.Errorf("bare client: %w", err)
		}
		var f frameHead
		if json.Unmarshal(data, &f) != nil {
			continue
		}
		if f.Type == "ping" {
			_ = b.write(map[string]string{"type": "pong"})
			continue
		}
		if match(f) {
			return f, nil
		}
	}
}

// CreatedIDs returns the ids of the messages a subscription event frame
// announces as created ("event":"create"), nil for every other frame.
func CreatedIDs(data []byte) []string {
	var f struct {
		Type  string          `json:"type"`
		Event string          `json:"event"`
		Data  json.RawMessage `json:"data"`
	}
	if json.Unmarshal(data, &f) != nil || f.Type != "subscription" || f.Event != "create" {
		return nil
	}
	var items []struct {
		ID string `json:"id"`
	}
	if json.Unmarshal(f.Data, &items) != nil {
		var one struct {
			ID string `json:"id"`
		}
		if json.Unmarshal(f.Data, &one) != nil || one.ID == "" {
			return nil
		}
		return []string{one.ID}
	}
	ids := make([]string, 0, len(items))
	for _, it := range items {
		ids = append(ids, it.ID)
	}
	return ids
}

// Recorder collects the times at which ids were received, concurrently.
type Recorder struct {
	mu  sync.Mutex
	at  map[string]time.Time
	dup int
}

// NewRecorder returns an empty recorder.
func NewRecorder() *Recorder { return &Recorder{at: map[string]time.Time{}} }

// Record notes id at t; a second sighting counts as a duplicate.
func (r *Recorder) Record(id string, t time.Time) {
	r.mu.Lock()
	if _, ok := r.at[id]; ok {
		r.dup++
	} else {
		r.at[id] = t
	}
	r.mu.Unlock()
}

// Get returns when id was recorded.
func (r *Recorder) Get(id string) (time.Time, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	t, ok := r.at[id]
	return t, ok
}

// Len is the number of distinct ids recorded.
func (r *Recorder) Len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.at)
}

// Duplicates is how many times an id was recorded again.
func (r *Recorder) Duplicates() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.dup
}
