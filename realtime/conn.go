package realtime

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/gorilla/websocket"
)

// conn is one WebSocket connection: a reader goroutine that decodes frames,
// and writes made by one goroutine at a time (the handshake, then the
// session loop).
type conn struct {
	ws      *websocket.Conn
	frames  chan *frame
	readErr chan error
	done    chan struct{}
	log     *slog.Logger
}

const writeTimeout = 10 * time.Second

// dial opens the socket. It sends no Origin header and no cookies: Directus
// 12.1+ refuses an Origin that does not match the server.
func dial(ctx context.Context, dialer *websocket.Dialer, base *url.URL, log *slog.Logger) (*conn, error) {
	ws, resp, err := dialer.DialContext(ctx, WebSocketURL(base), http.Header{})
	if err != nil {
		if resp != nil {
			if isRedirect(resp.StatusCode) {
				// The dialer does not follow it (the access token goes in
				// the first frame, never in the handshake); say where it points.
				return nil, redirectError(base, "/websocket", resp)
			}
			switch resp.StatusCode {
			case http.StatusNotFound, http.StatusBadRequest:
				return nil, &Error{Kind: KindRealtimeDisabled, Msg: "Realtime is turned off on this server. Its administrator must set WEBSOCKETS_ENABLED=true.", Err: err}
			case http.StatusForbidden:
				return nil, &Error{Kind: KindForbidden, Msg: "The server refused the realtime connection (HTTP 403).", Err: err}
			}
			return nil, &Error{Kind: KindServer, Msg: fmt.Sprintf("The realtime endpoint answered HTTP %d.", resp.StatusCode), Err: err}
		}
		return nil, transportError(base, err)
	}
	ws.SetReadLimit(32 << 20)
	c := &conn{
		ws:      ws,
		frames:  make(chan *frame, 256),
		readErr: make(chan error, 1),
		done:    make(chan struct{}),
		log:     log,
	}
	go c.read()
	return c, nil
}

// read decodes frames until the socket fails. Frames that are not JSON are
// logged (type and size only) and dropped; they never stop the session.
func (c *conn) read() {
	for {
		kind, data, err := c.ws.ReadMessage()
		if err != nil {
			c.readErr <- err
			return
		}
		if kind != websocket.TextMessage {
			c.log.Warn("realtime: ignored non-text frame", "size", len(data))
			continue
		}
		f, err := decodeFrame(data)
		if err != nil {
			c.log.Warn("realtime: ignored unreadable frame", "size", len(data), "err", err)
			continue
		}
		select {
		case c.frames <- f:
		case <-c.done:
			return
		}
	}
}

// send writes one JSON frame.
func (c *conn) send(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode frame: %w", err)
	}
	_ = c.ws.SetWriteDeadline(time.Now().Add(writeTimeout))
	if err := c.ws.WriteMessage(websocket.TextMessage, b); err != nil {
		return fmt.Errorf("write frame: %w", err)
	}
	return nil
}

// close ends the connection; the reader goroutine exits.
func (c *conn) close() {
	select {
	case <-c.done:
		return
	default:
	}
	close(c.done)
	_ = c.ws.Close()
}

// awaitFrame waits for the first frame accepted by match, answering the
// server's pings meanwhile. Any error frame for which isErr is true ends the wait.
func (c *conn) awaitFrame(ctx context.Context, match func(*frame) bool) (*frame, error) {
	for {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case err := <-c.readErr:
			c.readErr <- err // keep it for whoever owns the conn next
			return nil, &Error{Kind: KindUnreachable, Msg: "The connection closed during the handshake.", Err: err}
		case f := <-c.frames:
			if f.Type == "ping" {
				if err := c.send(map[string]string{"type": "pong"}); err != nil {
					return nil, err
				}
				continue
			}
			if match(f) {
				return f, nil
			}
		}
	}
}

// authenticate sends the access token as the first frame and waits for ok.
func (c *conn) authenticate(ctx context.Context, accessToken string) error {
	if err := c.send(map[string]string{"type": "auth", "access_token": accessToken}); err != nil {
		return fmt.Errorf("authenticate: %w", err)
	}
	f, err := c.awaitFrame(ctx, func(f *frame) bool { return f.Type == "auth" })
	if err != nil {
		return fmt.Errorf("authenticate: %w", err)
	}
	if f.Status != "ok" {
		return frameErr(f)
	}
	return nil
}

// frameErr turns an error frame into an *Error.
func frameErr(f *frame) error {
	if f.Error == nil {
		return &Error{Kind: KindProtocol, Msg: fmt.Sprintf("The server sent a %s frame with status %q.", f.Type, f.Status)}
	}
	return serverError(f.Error.Code, f.Error.Message)
}
