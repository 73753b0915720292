package realtime

import (
	"context"
	"encoding/json"
	"errors"
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
	limits  limits
	// sizes are the sizes of the frames put on frames and maybe not yet
	// taken, oldest first; only the reader goroutine uses them.
	sizes  []int
	queued int // sum of sizes

	// held are the frames that arrived during the handshake while another
	// was awaited (a subscription's events before the next subscription is
	// answered): the loop handles them when it adopts the connection.
	// heldBytes bounds them; heldLost says some were dropped over it.
	held      []*frame
	heldBytes int
	heldLost  bool
}

// limits bound what a server can make the client hold: a hostile or broken
// server must not grow the app without limit.
type limits struct {
	// frame is the largest frame read. It must hold the largest page the
	// client asks for: 200 messages in a catch-up read, each at most 8,000
	// UTF-16 units on servers set up by setup (about 10 MB if every
	// character is a control character that JSON escapes in 6 bytes).
	frame int64
	// queued bounds the bytes of frames read but not yet handled.
	queued int
}

// The limits of a connection: 16 MiB per frame, at most 32 MiB and 256
// frames read but not yet handled.
const (
	maxFrameBytes   = 16 << 20
	maxQueuedBytes  = 32 << 20
	maxQueuedFrames = 256
)

const writeTimeout = 10 * time.Second

// dial opens the socket. It sends no Origin header and no cookies: Directus
// 12.1+ refuses an Origin that does not match the server.
func dial(ctx context.Context, dialer *websocket.Dialer, base *url.URL, log *slog.Logger) (*conn, error) {
	return dialLimited(ctx, dialer, base, log, limits{frame: maxFrameBytes, queued: maxQueuedBytes})
}

// dialLimited is dial with other limits (tests).
func dialLimited(ctx context.Context, dialer *websocket.Dialer, base *url.URL, log *slog.Logger, lim limits) (*conn, error) {
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
	ws.SetReadLimit(lim.frame)
	c := &conn{
		ws:      ws,
		frames:  make(chan *frame, maxQueuedFrames),
		readErr: make(chan error, 1),
		done:    make(chan struct{}),
		log:     log,
		limits:  lim,
	}
	go c.read()
	return c, nil
}

// read decodes frames until the socket fails. Frames that are not JSON are
// logged (type and size only) and dropped; they never stop the session.
//
// A frame over the size limit, or more unhandled frames than the queue
// limit, end the connection with a logged reason: the session reconnects
// with backoff and its catch-up read fetches again whatever was missed.
func (c *conn) read() {
	for {
		kind, data, err := c.ws.ReadMessage()
		if errors.Is(err, websocket.ErrReadLimit) {
			err = &Error{Kind: KindProtocol, Msg: fmt.Sprintf("The server sent a frame larger than %d MiB; the app does not read it and reconnects.", c.limits.frame>>20), Err: err}
			c.log.Warn("realtime: dropping the connection", "reason", err)
		}
		if err != nil {
			_ = c.ws.Close()
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
		if err := c.reserve(len(data)); err != nil {
			_ = c.ws.Close()
			c.readErr <- err
			return
		}
		select {
		case c.frames <- f:
		case <-c.done:
			return
		}
	}
}

// reserve accounts for a frame of n bytes about to be queued, after
// forgetting the frames the session has taken meanwhile (the queue is FIFO:
// what is no longer in it was taken oldest first). Beyond the limit it
// returns the reason to drop the connection.
func (c *conn) reserve(n int) error {
	for len(c.sizes) > len(c.frames) {
		c.queued -= c.sizes[0]
		c.sizes = c.sizes[1:]
	}
	if c.queued+n > c.limits.queued {
		err := &Error{Kind: KindProtocol, Msg: fmt.Sprintf("The server sent more than %d MiB that the app has not handled yet; it reconnects.", c.limits.queued>>20)}
		c.log.Warn("realtime: dropping the connection", "reason", err, "queued_bytes", c.queued, "frames", len(c.sizes))
		return err
	}
	c.sizes = append(c.sizes, n)
	c.queued += n
	return nil
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
// server's pings meanwhile; other frames are held for the loop (takeHeld),
// and a frame held earlier that matches is taken first.
func (c *conn) awaitFrame(ctx context.Context, match func(*frame) bool) (*frame, error) {
	for i, f := range c.held {
		if match(f) {
			c.held = append(c.held[:i], c.held[i+1:]...)
			c.heldBytes -= len(f.Data)
			return f, nil
		}
	}
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
			c.hold(f)
		}
	}
}

// hold keeps a frame for the loop, within the limits of a connection's
// queue; over them it is dropped and the loss noted (the loop then reads
// what it may have missed).
func (c *conn) hold(f *frame) {
	if len(c.held) >= maxQueuedFrames || c.heldBytes+len(f.Data) > c.limits.queued {
		c.heldLost = true
		return
	}
	c.held = append(c.held, f)
	c.heldBytes += len(f.Data)
}

// takeHeld returns the frames held during the handshake, and whether some
// were dropped.
func (c *conn) takeHeld() ([]*frame, bool) {
	held, lost := c.held, c.heldLost
	c.held, c.heldBytes, c.heldLost = nil, 0, false
	return held, lost
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
