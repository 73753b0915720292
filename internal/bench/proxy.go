package bench

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"sync"
	"time"
)

// Proxy is a TCP proxy in front of Directus that reads, without changing
// anything, the WebSocket frames the server sends to the app: it counts the
// messages the app was given (the newest page, older pages, live ones), so
// a run of the real app can say how many messages it had loaded. It is
// only used where the app's own state cannot be seen (the Xvfb run).
type Proxy struct {
	ln       net.Listener
	upstream string

	mu       sync.Mutex
	init     int // messages in subscription init frames
	inits    int
	items    int // messages in items replies (older pages, catch-up)
	replies  int
	live     int // messages in create events
	lastInit time.Time
	pages    []time.Time         // when each items reply with new messages passed
	ids      map[string]struct{} // distinct messages in inits and items replies
	changed  chan struct{}
}

// StartProxy listens on a free loopback port and forwards to upstream
// (host:port).
func StartProxy(upstream string) (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &Proxy{ln: ln, upstream: upstream, changed: make(chan struct{}, 1), ids: map[string]struct{}{}}
	go p.serve()
	return p, nil
}

// URL is the proxy's http:// address.
func (p *Proxy) URL() string { return "http://" + p.ln.Addr().String() }

// Close stops accepting connections.
func (p *Proxy) Close() error { return p.ln.Close() }

// Counts says what the server sent through the proxy so far.
type Counts struct {
	Inits, InitMessages   int
	Replies, ItemMessages int // items replies: older pages, catch-up reads
	LiveMessages          int
	LastInit              time.Time
	Distinct              int // distinct messages in inits and items replies
}

// Loaded is the number of distinct history messages the app was given
// (catch-up reads repeat messages it already has).
func (c Counts) Loaded() int { return c.Distinct }

// Counts returns the counts.
func (p *Proxy) Counts() Counts {
	p.mu.Lock()
	defer p.mu.Unlock()
	return Counts{p.inits, p.init, p.replies, p.items, p.live, p.lastInit, len(p.ids)}
}

// Pages returns when each items reply carrying messages (an older page)
// passed.
func (p *Proxy) Pages() []time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]time.Time(nil), p.pages...)
}

// Changed is signalled whenever a counted frame passed.
func (p *Proxy) Changed() <-chan struct{} { return p.changed }

// Reset zeroes the counts.
func (p *Proxy) Reset() {
	p.mu.Lock()
	p.init, p.inits, p.items, p.replies, p.live, p.lastInit, p.pages = 0, 0, 0, 0, 0, time.Time{}, nil
	p.ids = map[string]struct{}{}
	p.mu.Unlock()
}

func (p *Proxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		go p.handle(c)
	}
}

func (p *Proxy) handle(client net.Conn) {
	defer client.Close()
	server, err := net.Dial("tcp", p.upstream)
	if err != nil {
		return
	}
	defer server.Close()
	pr, pw := io.Pipe()
	go func() {
		p.parse(bufio.NewReaderSize(pr, 64<<10))
		_, _ = io.Copy(io.Discard, pr)
	}()
	done := make(chan struct{}, 2)
	go func() {
		_, _ = io.Copy(server, client)
		if tc, ok := server.(*net.TCPConn); ok {
			_ = tc.CloseWrite()
		}
		done <- struct{}{}
	}()
	go func() {
		_, _ = io.Copy(client, io.TeeReader(server, pw))
		pw.Close()
		done <- struct{}{}
	}()
	<-done
	<-done
}

// parse reads HTTP responses; after a 101 it reads WebSocket frames.
func (p *Proxy) parse(br *bufio.Reader) {
	for {
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			return
		}
		if resp.StatusCode == http.StatusSwitchingProtocols {
			p.frames(br)
			return
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
}

func (p *Proxy) frames(br *bufio.Reader) {
	var msg []byte
	for {
		var h [2]byte
		if _, err := io.ReadFull(br, h[:]); err != nil {
			return
		}
		fin, op := h[0]&0x80 != 0, h[0]&0x0f
		n := uint64(h[1] & 0x7f)
		switch n {
		case 126:
			var b [2]byte
			if _, err := io.ReadFull(br, b[:]); err != nil {
				return
			}
			n = uint64(binary.BigEndian.Uint16(b[:]))
		case 127:
			var b [8]byte
			if _, err := io.ReadFull(br, b[:]); err != nil {
				return
			}
			n = binary.BigEndian.Uint64(b[:])
		}
		var mask [4]byte
		masked := h[1]&0x80 != 0
		if masked {
			if _, err := io.ReadFull(br, mask[:]); err != nil {
				return
			}
		}
		payload := make([]byte, n)
		if _, err := io.ReadFull(br, payload); err != nil {
			return
		}
		if masked {
			for i := range payload {
				payload[i] ^= mask[i%4]
			}
		}
		if op >= 8 { // control frame
			continue
		}
		msg = append(msg, payload...)
		if fin {
			p.count(msg)
			msg = nil
		}
	}
}

func (p *Proxy) count(data []byte) {
	var f struct {
		Type  string          `json:"type"`
		Event string          `json:"event"`
		Data  json.RawMessage `json:"data"`
	}
	if json.Unmarshal(data, &f) != nil {
		return
	}
	var items []struct {
		ID json.RawMessage `json:"id"`
	}
	if err := json.Unmarshal(f.Data, &items); err != nil && !errors.Is(err, io.EOF) {
		items = nil
	}
	p.mu.Lock()
	fresh := 0
	note := func() {
		for _, it := range items {
			if _, ok := p.ids[string(it.ID)]; !ok {
				p.ids[string(it.ID)] = struct{}{}
				fresh++
			}
		}
	}
	switch {
	case f.Type == "subscription" && f.Event == "init":
		p.inits++
		p.init += len(items)
		p.lastInit = time.Now()
		note()
	case f.Type == "subscription" && f.Event == "create":
		p.live += max(len(items), 1)
	case f.Type == "items":
		p.replies++
		p.items += len(items)
		note()
		if fresh > 0 {
			p.pages = append(p.pages, time.Now())
		}
	default:
		p.mu.Unlock()
		return
	}
	p.mu.Unlock()
	select {
	case p.changed <- struct{}{}:
	default:
	}
}
