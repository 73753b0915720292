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
// a run of the real app can say how many messages it had loaded. It also
// reads what the app sends (REST requests and socket frames): the uid of a
// read tells which replies carry messages (on a server with channels the
// app also reads conversations, memberships, people and counts), and the
// frames sent at start can be counted.
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

	reads     map[string]bool // uid of every read of messages the app sent
	subs      map[string]bool // uid of every subscription to the messages
	sent      []Sent          // frames the app sent
	requests  int             // HTTP requests the app sent
	firstRead time.Time       // the first reply to a read of messages since Reset
}

// Sent is a socket frame the app sent.
type Sent struct {
	At         time.Time `json:"-"`
	Type       string    `json:"type"`
	Action     string    `json:"action,omitempty"`
	Collection string    `json:"collection,omitempty"`
}

// StartProxy listens on a free loopback port and forwards to upstream
// (host:port).
func StartProxy(upstream string) (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &Proxy{ln: ln, upstream: upstream, changed: make(chan struct{}, 1), ids: map[string]struct{}{}, reads: map[string]bool{}, subs: map[string]bool{}}
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
	// FirstRead is when the first reply to a read of messages passed (on a
	// server with channels: the open conversation's newest page).
	FirstRead time.Time
	Requests  int // HTTP requests the app sent (REST, and the socket's upgrade)
}

// Loaded is the number of distinct history messages the app was given
// (catch-up reads repeat messages it already has).
func (c Counts) Loaded() int { return c.Distinct }

// Counts returns the counts.
func (p *Proxy) Counts() Counts {
	p.mu.Lock()
	defer p.mu.Unlock()
	return Counts{p.inits, p.init, p.replies, p.items, p.live, p.lastInit, len(p.ids), p.firstRead, p.requests}
}

// Sent returns the socket frames the app sent since Reset (pongs too).
func (p *Proxy) Sent() []Sent {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Sent(nil), p.sent...)
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
	p.sent, p.requests, p.firstRead = nil, 0, time.Time{}
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
	cr, cw := io.Pipe()
	go func() {
		p.parseClient(bufio.NewReaderSize(cr, 64<<10))
		_, _ = io.Copy(io.Discard, cr)
	}()
	done := make(chan struct{}, 2)
	go func() {
		_, _ = io.Copy(server, io.TeeReader(client, cw))
		cw.Close()
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
			p.frames(br, p.count)
			return
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
}

// parseClient reads the app's HTTP requests; after a WebSocket upgrade
// request it reads the frames the app sends.
func (p *Proxy) parseClient(br *bufio.Reader) {
	for {
		req, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		p.mu.Lock()
		p.requests++
		p.mu.Unlock()
		if req.Header.Get("Upgrade") != "" {
			p.frames(br, p.note)
			return
		}
		_, _ = io.Copy(io.Discard, req.Body)
		req.Body.Close()
	}
}

// note keeps a frame the app sent.
func (p *Proxy) note(data []byte) {
	var f struct {
		Type       string `json:"type"`
		Action     string `json:"action"`
		Collection string `json:"collection"`
		UID        string `json:"uid"`
		Query      struct {
			Aggregate json.RawMessage `json:"aggregate"`
		} `json:"query"`
	}
	if json.Unmarshal(data, &f) != nil {
		return
	}
	p.mu.Lock()
	p.sent = append(p.sent, Sent{At: time.Now(), Type: f.Type, Action: f.Action, Collection: f.Collection})
	// Reads of messages, not counts (aggregates) of them.
	if f.Type == "items" && f.Action == "read" && f.Collection == "messages" && f.UID != "" && len(f.Query.Aggregate) == 0 {
		p.reads[f.UID] = true
	}
	if f.Type == "subscribe" && f.Collection == "messages" {
		p.subs[f.UID] = true
	}
	p.mu.Unlock()
}

func (p *Proxy) frames(br *bufio.Reader, handle func([]byte)) {
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
			handle(msg)
			msg = nil
		}
	}
}

func (p *Proxy) count(data []byte) {
	var f struct {
		Type  string          `json:"type"`
		Event string          `json:"event"`
		UID   string          `json:"uid"`
		Data  json.RawMessage `json:"data"`
	}
	if json.Unmarshal(data, &f) != nil {
		return
	}
	if f.Type == "items" {
		// Only replies to reads of messages carry messages (replies to
		// creates and to reads of conversations, memberships, people and
		// counts do not). A read's uid is seen before its reply: the app
		// sends it first.
		p.mu.Lock()
		read := p.reads[f.UID]
		if read && p.firstRead.IsZero() {
			p.firstRead = time.Now()
		}
		p.mu.Unlock()
		if !read {
			return
		}
	}
	if f.Type == "subscription" {
		// Only the subscription to the messages (with channels the app
		// also subscribes to conversations and memberships). A server
		// that does not echo the uid is taken at its word.
		p.mu.Lock()
		other := f.UID != "" && len(p.subs) > 0 && !p.subs[f.UID]
		p.mu.Unlock()
		if other {
			return
		}
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
