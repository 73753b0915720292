package realtime

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// socketServer upgrades /websocket and hands the connection to serve.
func socketServer(t *testing.T, serve func(ws *websocket.Conn)) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		up := websocket.Upgrader{}
		ws, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer ws.Close()
		serve(ws)
		for { // keep the socket open until the client goes
			if _, _, err := ws.ReadMessage(); err != nil {
				return
			}
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// bigFrame is a valid frame of about n bytes.
func bigFrame(n int) []byte {
	return []byte(`{"type":"subscription","event":"create","data":"` + strings.Repeat("x", n) + `"}`)
}

func dialTest(t *testing.T, srv *httptest.Server, lim limits) *conn {
	t.Helper()
	base, err := ParseServerURL(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	c, err := dialLimited(t.Context(), &websocket.Dialer{}, base, slog.New(slog.DiscardHandler), lim)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.close)
	return c
}

// readFailure waits for the reader to give up.
func readFailure(t *testing.T, c *conn) error {
	t.Helper()
	select {
	case err := <-c.readErr:
		return err
	case <-time.After(20 * time.Second):
		t.Fatal("the connection was not dropped")
		return nil
	}
}

// A server that sends faster than the session handles frames fills the
// queue only up to its byte limit; then the connection is dropped.
func TestQueuedFramesAreBoundedByBytes(t *testing.T) {
	const frameSize = 900 << 10
	srv := socketServer(t, func(ws *websocket.Conn) {
		for range 12 {
			if ws.WriteMessage(websocket.TextMessage, bigFrame(frameSize)) != nil {
				return
			}
		}
	})
	lim := limits{frame: 1 << 20, queued: 4 << 20}
	c := dialTest(t, srv, lim) // nobody takes its frames
	err := readFailure(t, c)
	if KindOf(err) != KindProtocol || !strings.Contains(Describe(err), "more than 4 MiB") {
		t.Fatalf("err = %v, want the queue limit", err)
	}
	if held := len(c.frames) * frameSize; held > lim.queued {
		t.Errorf("%d bytes queued, more than the %d limit", held, lim.queued)
	}
}

// Frames the session has taken no longer count against the limit.
func TestHandledFramesFreeTheQueue(t *testing.T) {
	const frameSize, count = 900 << 10, 20 // 18 MB in all, 4 MiB allowed
	srv := socketServer(t, func(ws *websocket.Conn) {
		for range count {
			if ws.WriteMessage(websocket.TextMessage, bigFrame(frameSize)) != nil {
				return
			}
		}
	})
	c := dialTest(t, srv, limits{frame: 1 << 20, queued: 4 << 20})
	for i := range count {
		select {
		case <-c.frames:
		case err := <-c.readErr:
			t.Fatalf("dropped after %d frames: %v", i, err)
		case <-time.After(20 * time.Second):
			t.Fatalf("frame %d did not come", i)
		}
	}
}

// A frame over the size limit is not read: the connection is dropped.
func TestOversizedFrameIsRefused(t *testing.T) {
	srv := socketServer(t, func(ws *websocket.Conn) {
		_ = ws.WriteMessage(websocket.TextMessage, bigFrame(2<<20))
	})
	c := dialTest(t, srv, limits{frame: 1 << 20, queued: 4 << 20})
	err := readFailure(t, c)
	if KindOf(err) != KindProtocol || !strings.Contains(Describe(err), "larger than 1 MiB") {
		t.Fatalf("err = %v, want the frame limit", err)
	}
}

// Events of one subscription that arrive while the handshake awaits the
// next subscription's first page are kept for the loop, not dropped: a
// message created in that moment would otherwise be missed.
func TestHandshakeHoldsEventsThatArriveWhileAnotherAnswerIsAwaited(t *testing.T) {
	c := &conn{frames: make(chan *frame, 8), readErr: make(chan error, 1), limits: limits{frame: maxFrameBytes, queued: 1 << 10}}
	live := &frame{Type: "subscription", Event: "create", UID: json.RawMessage(`"messages-1"`), Data: json.RawMessage(`[{"id":"m1"}]`)}
	membersInit := &frame{Type: "subscription", Event: "init", UID: json.RawMessage(`"members-1"`), Data: json.RawMessage(`[]`)}
	channelsInit := &frame{Type: "subscription", Event: "init", UID: json.RawMessage(`"channels-1"`), Data: json.RawMessage(`[]`)}
	c.frames <- live
	c.frames <- membersInit // answered before the one awaited first
	c.frames <- channelsInit
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := c.awaitInit(ctx, "channels-1"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.awaitInit(ctx, "members-1"); err != nil {
		t.Fatalf("the members' first page, held while channels' was awaited: %v", err)
	}
	held, lost := c.takeHeld()
	if len(held) != 1 || held[0] != live || lost {
		t.Fatalf("held %v (lost %v), want the live event", held, lost)
	}

	// Beyond the connection's queue limit, frames are dropped and the loss told.
	big := &frame{Type: "subscription", Event: "create", UID: json.RawMessage(`"messages-1"`), Data: json.RawMessage(make([]byte, 2<<10))}
	c.frames <- big
	c.frames <- channelsInit
	if _, err := c.awaitInit(ctx, "channels-1"); err != nil {
		t.Fatal(err)
	}
	if held, lost := c.takeHeld(); len(held) != 0 || !lost {
		t.Fatalf("over the limit: held %d, lost %v; want none held and the loss told", len(held), lost)
	}
}
