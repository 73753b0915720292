package realtime

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/cenkalti/backoff/v5"
	"github.com/google/uuid"
	"github.com/gorilla/websocket"
)

// Config tunes a Session. Zero values get the defaults in brackets.
type Config struct {
	Server            string        // the Directus base URL as typed
	Collection        string        // ["messages"]
	PageSize          int           // messages per page of history [50]
	RequestTimeout    time.Duration // every request on the socket [10s]
	PingInterval      time.Duration // liveness pings; a dead link is seen within two [15s]
	ReconcileInterval time.Duration // re-read recent messages while online [2m]
	CatchUpMargin     time.Duration // overlap of catch-up reads on date_created [10s]
	MinBackoff        time.Duration // first reconnect delay [500ms]
	MaxBackoff        time.Duration // cap of the reconnect delay [30s]
	HTTPClient        *http.Client  // for REST [15s timeout, verified TLS]
	Logger            *slog.Logger  // [slog.Default()]
	// Outbox opens the durable outbox of the signed-in account; nil keeps
	// unsent messages in memory only.
	Outbox func(server *url.URL, user User) (OutboxStore, error)
}

// OutboxStore keeps unsent messages across restarts, in typing order.
type OutboxStore interface {
	Load() ([]Message, error)
	Put(Message) error
	Remove(id string) error
}

func (c *Config) applyDefaults() {
	if c.Collection == "" {
		c.Collection = "messages"
	}
	if c.PageSize <= 0 {
		c.PageSize = 50
	}
	if c.RequestTimeout <= 0 {
		c.RequestTimeout = 10 * time.Second
	}
	if c.PingInterval <= 0 {
		c.PingInterval = 15 * time.Second
	}
	if c.ReconcileInterval <= 0 {
		c.ReconcileInterval = 2 * time.Minute
	}
	if c.CatchUpMargin <= 0 {
		c.CatchUpMargin = 10 * time.Second
	}
	if c.MinBackoff <= 0 {
		c.MinBackoff = 500 * time.Millisecond
	}
	if c.MaxBackoff <= 0 {
		c.MaxBackoff = 30 * time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

// Credentials are what a person types to sign in. They are used once and
// not kept: reconnects use tokens.
type Credentials struct {
	Email    string
	Password string
	OTP      string // one-time code, for accounts with two-factor auth
}

// Session is a signed-in chat session. One goroutine (the loop) owns the
// connection, the tokens and the outbox; the methods only queue commands.
type Session struct {
	cfg    Config
	base   *url.URL
	rest   *REST
	dialer *websocket.Dialer
	log    *slog.Logger

	profileMu sync.Mutex // user and perms are read by the UI, set by the loop
	user      User
	perms     Permissions

	ctx    context.Context
	cancel context.CancelFunc
	events *queue[Event]
	out    chan []Event
	cmds   *queue[command]
	done   chan struct{}

	// Everything below is owned by the loop goroutine.
	needProfile  bool     // user and perms are still to be read (Open)
	intKeys      bool     // integer primary keys: no client ids, at-least-once
	known        []string // ids of cached messages to re-check once online
	store        OutboxStore
	storeErr     error // why the outbox could not be opened
	tokens       Tokens
	fields       []string
	conn         *conn
	subUID       string
	seq          int
	pending      map[string]*request
	pendingOrder []string
	outbox       []*outgoing
	newest       time.Time
	watermark    time.Time
	catchingUp   bool
	loadingOlder bool
	pingUID      string
	pingSentAt   time.Time
	lastFrameAt  time.Time
	connectedAt  time.Time
	backoff      *backoff.ExponentialBackOff
	connecting   bool
	refreshing   bool
	connectAfter bool // connect once the running refresh is done
	authFailures int
	refreshTimer *time.Timer
	retryTimer   *time.Timer
	connectDone  chan connectResult
	refreshDone  chan refreshResult
}

// Connect signs in with a password over REST (so a failure says why),
// opens the realtime connection, subscribes to the messages and returns
// once the newest page is loaded. Its first event is that page.
func Connect(ctx context.Context, cfg Config, creds Credentials) (*Session, error) {
	s, err := newSession(cfg)
	if err != nil {
		return nil, err
	}
	if err := s.rest.Probe(ctx); err != nil {
		return nil, err
	}
	s.log.Debug("realtime: signing in", "server", DisplayHost(s.base), "credentials", creds)
	tokens, err := s.rest.Login(ctx, creds.Email, creds.Password, creds.OTP)
	if err != nil {
		return nil, err
	}
	s.user.Email = creds.Email
	return s.start(ctx, tokens)
}

func newSession(cfg Config) (*Session, error) {
	cfg.applyDefaults()
	base, err := ParseServerURL(cfg.Server)
	if err != nil {
		return nil, err
	}
	b := backoff.NewExponentialBackOff()
	b.InitialInterval = cfg.MinBackoff
	b.MaxInterval = cfg.MaxBackoff
	b.Multiplier = 2
	b.RandomizationFactor = 0.3
	s := &Session{
		cfg:         cfg,
		base:        base,
		rest:        NewREST(base, cfg.HTTPClient),
		dialer:      &websocket.Dialer{Proxy: http.ProxyFromEnvironment, HandshakeTimeout: 15 * time.Second},
		log:         cfg.Logger,
		events:      newQueue[Event](),
		out:         make(chan []Event),
		cmds:        newQueue[command](),
		done:        make(chan struct{}),
		fields:      messageFields,
		pending:     map[string]*request{},
		backoff:     b,
		connectDone: make(chan connectResult, 1),
		refreshDone: make(chan refreshResult, 1),
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	return s, nil
}

func (s *Session) start(ctx context.Context, tokens Tokens) (*Session, error) {
	user, perms, err := s.profile(ctx, tokens.Access)
	if err != nil {
		return nil, err
	}
	s.setProfile(user, perms)
	s.tokens = tokens
	s.log.Debug("realtime: signed in", "user", user.ID, "tokens", tokens)
	res := s.open(ctx, tokens.Access, s.fields)
	if res.err != nil {
		return nil, res.err
	}
	// The consumer that remembers sessions learns the first refresh token
	// the same way as every rotated one.
	s.events.push(TokensRotated{RefreshToken: tokens.Refresh})
	if s.cfg.Outbox != nil {
		s.restoreOutbox()
	}
	go s.events.forward(s.out)
	go s.loop(&res)
	return s, nil
}

// profile reads who the user is and what they may do.
func (s *Session) profile(ctx context.Context, accessToken string) (User, Permissions, error) {
	user, err := s.rest.Me(ctx, accessToken)
	if err != nil {
		return User{}, Permissions{}, err
	}
	perms, err := s.rest.Permissions(ctx, accessToken, s.cfg.Collection)
	if err != nil {
		s.log.Info("realtime: permissions unknown; editing is off", "err", err)
	}
	return user, perms, nil
}

// Remembered is what an earlier run knew about an account: enough to show
// the chat at once and to connect without a password.
type Remembered struct {
	RefreshToken string
	User         User      // as last seen (ID and names); refreshed on connect
	Known        []Message // cached recent messages, shown before the server answers
}

// Open starts a session from a remembered refresh token without waiting for
// the server. Its first events are the known messages (LoadCached); it then
// connects in the background, refreshing the token first, and reconciles
// the known messages with the server (new, edited, deleted). If the token
// no longer works the session ends with SignedOut saying why.
func Open(cfg Config, r Remembered) (*Session, error) {
	s, err := newSession(cfg)
	if err != nil {
		return nil, err
	}
	s.setProfile(r.User, Permissions{})
	s.needProfile = true
	s.tokens = Tokens{Refresh: r.RefreshToken} // no access token: refresh first
	for _, m := range r.Known {
		s.known = append(s.known, m.ID)
	}
	s.events.push(StateChanged{State: StateConnecting})
	if len(r.Known) > 0 {
		s.emitLoaded(Loaded{Kind: LoadCached, Messages: r.Known})
	}
	if s.cfg.Outbox != nil && r.User.ID != "" {
		s.restoreOutbox()
	}
	go s.events.forward(s.out)
	go s.loop(nil)
	return s, nil
}

// restoreOutbox queues the messages left unsent by an earlier run, with
// their original IDs: if one was stored after all, the server says so.
// Messages typed before the outbox opened (a remembered session learns who
// the user is from the server) are written to it then.
func (s *Session) restoreOutbox() {
	defer s.saveOutbox()
	store, err := s.cfg.Outbox(s.base, s.user)
	if err != nil {
		s.log.Warn("realtime: outbox unavailable; unsent messages are kept in memory only", "err", err)
		s.storeErr = err
		return
	}
	s.store, s.storeErr = store, nil
	msgs, err := store.Load()
	if err != nil {
		s.log.Warn("realtime: could not read the outbox", "err", err)
		return
	}
	var older []*outgoing
	for i := range msgs {
		if s.findOutgoing(msgs[i].ID) != nil {
			continue
		}
		msgs[i].AuthorID, msgs[i].AuthorName = s.user.ID, s.user.FirstName
		older = append(older, &outgoing{msg: msgs[i], saved: true})
	}
	if len(older) == 0 {
		return
	}
	// Typed in an earlier run: before anything typed in this one.
	s.outbox = append(older, s.outbox...)
	queued := make([]Message, len(older))
	for i, o := range older {
		queued[i] = o.msg
	}
	s.log.Info("realtime: resending messages left from the last run", "count", len(queued))
	s.events.push(Queued{Messages: queued})
}

// errOutboxNotOpen: the account's outbox opens once the user is known.
var errOutboxNotOpen = errors.New("the outbox opens once the server says who the user is")

// errNoOutbox: the app keeps no outbox (its file could not be opened).
var errNoOutbox = errors.New("no outbox file")

// saveOutbox writes the messages not yet on disk to the outbox, in typing
// order, and reports where each one now is (Persisted).
func (s *Session) saveOutbox() {
	var saved, unsaved []string
	var why error
	for _, o := range s.outbox {
		if o.saved {
			continue
		}
		var err error
		switch {
		case s.store != nil:
			err = s.store.Put(o.msg)
		case s.cfg.Outbox == nil:
			err = errNoOutbox
		case s.storeErr != nil:
			err = s.storeErr
		default:
			err = errOutboxNotOpen
		}
		if err != nil {
			unsaved, why = append(unsaved, o.msg.ID), err
			continue
		}
		o.saved = true
		saved = append(saved, o.msg.ID)
	}
	if len(saved) > 0 {
		s.events.push(Persisted{IDs: saved})
	}
	if len(unsaved) > 0 {
		if s.store != nil {
			s.log.Warn("realtime: could not save messages to the outbox; they are kept in memory only", "count", len(unsaved), "err", why)
		}
		s.events.push(Persisted{IDs: unsaved, Err: why})
	}
}

// User is the signed-in account.
func (s *Session) User() User {
	s.profileMu.Lock()
	defer s.profileMu.Unlock()
	return s.user
}

// Permissions says what the user may do to messages.
func (s *Session) Permissions() Permissions {
	s.profileMu.Lock()
	defer s.profileMu.Unlock()
	return s.perms
}

func (s *Session) setProfile(u User, p Permissions) {
	s.profileMu.Lock()
	defer s.profileMu.Unlock()
	if u.Email == "" {
		u.Email = s.user.Email
	}
	s.user, s.perms = u, p
}

// Server is the server's base URL.
func (s *Session) Server() *url.URL { return s.base }

// Events delivers everything the session learns, in order, in batches. It
// is closed after the session ends. The consumer must keep reading it.
func (s *Session) Events() <-chan []Event { return s.out }

// Done is closed when the session has ended.
func (s *Session) Done() <-chan struct{} { return s.done }

// Send queues text for delivery and returns the message as it will be
// stored, with its client-chosen ID. Delivery is reported by SendStatus
// events; while offline the message waits and goes out on reconnect. After
// the session has ended (see Done) the message is not queued.
func (s *Session) Send(text string) Message {
	me := s.User()
	m := Message{
		ID:         uuid.NewString(),
		Text:       text,
		AuthorID:   me.ID,
		AuthorName: me.FirstName,
		Created:    time.Now().UTC(),
	}
	_ = s.command(cmdSend{m})
	return m
}

// Retry sends a failed message again, with the same ID. Like every command
// below it returns ErrClosed once the session has ended, and nil when the
// command is queued.
func (s *Session) Retry(id string) error { return s.command(cmdRetry{id}) }

// Discard forgets a failed message.
func (s *Session) Discard(id string) error { return s.command(cmdDiscard{id}) }

// Edit changes the text of a stored message.
func (s *Session) Edit(id, text string) error { return s.command(cmdEdit{id, text}) }

// Delete removes a stored message.
func (s *Session) Delete(id string) error { return s.command(cmdDelete{id}) }

// LoadOlder asks for the page of messages older than oldest, the oldest
// message loaded; tied is how many loaded messages share its date_created
// (at least 1: oldest itself).
func (s *Session) LoadOlder(oldest Message, tied int) error {
	return s.command(cmdOlder{oldest, max(tied, 1)})
}

// ReconnectNow skips the wait before the next connection attempt.
func (s *Session) ReconnectNow() error { return s.command(cmdReconnect{}) }

// Logout ends the session on the server, then closes it.
func (s *Session) Logout() error { return s.command(cmdLogout{}) }

// Close ends the session locally (the server session stays valid, e.g. for
// a remembered login) and waits for the loop to stop. Closing an ended
// session does nothing.
func (s *Session) Close() {
	_ = s.command(cmdClose{})
	<-s.done
}

// command queues c for the loop, or returns ErrClosed once the loop has
// stopped taking commands.
func (s *Session) command(c command) error {
	if !s.cmds.push(c) {
		return ErrClosed
	}
	return nil
}

type command interface{}

type (
	cmdSend    struct{ msg Message }
	cmdRetry   struct{ id string }
	cmdDiscard struct{ id string }
	cmdEdit    struct{ id, text string }
	cmdDelete  struct{ id string }
	cmdOlder   struct {
		before Message
		tied   int
	}
	cmdReconnect struct{}
	cmdLogout    struct{}
	cmdClose     struct{}
	cmdTimeout   struct{ uid string }
)

type reqKind int

const (
	reqCreate reqKind = iota
	reqUpdate
	reqDelete
	reqCatchUp
	reqOlder
	reqVerify // a ping sent to learn whether a silent server is alive
	reqKnown  // re-read of cached messages
)

type request struct {
	ids    []string // for reqKnown
	kind   reqKind
	msgID  string
	since  time.Time
	offset int
	timer  *time.Timer
}

type outState int

const (
	outQueued outState = iota
	outInFlight
	outFailed
)

type outgoing struct {
	msg   Message
	state outState
	saved bool // in the outbox file
}

type connectResult struct {
	profiled bool // user and perms were read (Open's first connect)
	user     User
	perms    Permissions
	conn     *conn
	fields   []string
	init     []Message
	noOlder  bool
	err      error
}

type refreshResult struct {
	tokens Tokens
	err    error
}

// open dials, authenticates and subscribes; it is the whole handshake.
func (s *Session) open(ctx context.Context, accessToken string, fields []string) connectResult {
	ctx, cancel := context.WithTimeout(ctx, 3*s.cfg.RequestTimeout)
	defer cancel()
	c, err := dial(ctx, s.dialer, s.base, s.log)
	if err != nil {
		return connectResult{err: err}
	}
	if err := c.authenticate(ctx, accessToken); err != nil {
		c.close()
		return connectResult{err: err}
	}
	s.subUID = "messages-" + uuid.NewString()
	init, err := c.subscribe(ctx, s.cfg.Collection, s.subUID, fields, s.cfg.PageSize)
	if err != nil && slices.Contains(fields, "date_updated") && (KindOf(err) == KindForbidden || KindOf(err) == KindRejected) {
		s.log.Info("realtime: messages has no readable date_updated; edits will not be marked")
		fields = messageFieldsNoUpdated
		init, err = c.subscribe(ctx, s.cfg.Collection, s.subUID, fields, s.cfg.PageSize)
	}
	if err != nil {
		c.close()
		return connectResult{err: err}
	}
	return connectResult{conn: c, fields: fields, init: init, noOlder: len(init) < s.cfg.PageSize}
}

// subscribe asks for the newest page and all later changes; it returns the page.
func (c *conn) subscribe(ctx context.Context, collection, uid string, fields []string, limit int) ([]Message, error) {
	err := c.send(map[string]any{
		"type":       "subscribe",
		"collection": collection,
		"uid":        uid,
		"query": map[string]any{
			"fields": fields,
			"sort":   []string{"-date_created", "-id"},
			"limit":  limit,
		},
	})
	if err != nil {
		return nil, fmt.Errorf("subscribe: %w", err)
	}
	f, err := c.awaitFrame(ctx, func(f *frame) bool {
		return f.uid() == uid || (f.Status == "error" && f.uid() == "")
	})
	if err != nil {
		return nil, fmt.Errorf("subscribe: %w", err)
	}
	if f.Status == "error" {
		return nil, frameErr(f)
	}
	if f.Type != "subscription" || f.Event != "init" {
		return nil, &Error{Kind: KindProtocol, Msg: fmt.Sprintf("The server answered the subscription with %q/%q.", f.Type, f.Event)}
	}
	msgs, err := decodeMessages(f.Data)
	if err != nil {
		return nil, &Error{Kind: KindProtocol, Msg: "The server sent messages this client cannot read.", Err: err}
	}
	return msgs, nil
}

// loop is the single owner of the connection, the tokens and the outbox.
func (s *Session) loop(first *connectResult) {
	defer close(s.done)
	defer s.events.close()
	defer s.cmds.close() // later commands return ErrClosed
	defer s.cancel()

	ping := time.NewTicker(s.cfg.PingInterval)
	defer ping.Stop()
	reconcile := time.NewTicker(s.cfg.ReconcileInterval)
	defer reconcile.Stop()

	if first != nil {
		s.scheduleRefresh()
		s.online(*first, false)
	} else {
		s.attemptConnect()
	}

	for {
		var frames chan *frame
		var readErr chan error
		if s.conn != nil {
			frames, readErr = s.conn.frames, s.conn.readErr
		}
		select {
		case f := <-frames:
			s.lastFrameAt = time.Now()
			s.handleFrame(f)
		case err := <-readErr:
			s.lost(&Error{Kind: KindUnreachable, Msg: "The connection to the server was lost.", Err: err})
		case <-s.cmds.ready:
			cmds, _ := s.cmds.drain()
			for _, c := range cmds {
				if s.handleCommand(c) {
					return
				}
			}
		case <-ping.C:
			s.checkLiveness()
		case <-reconcile.C:
			if s.conn != nil && !s.catchingUp {
				since := s.watermark.Add(-s.cfg.CatchUpMargin)
				s.watermark = s.newest
				s.catchUp(since, 0)
			}
		case <-timerC(s.refreshTimer):
			s.refreshTimer = nil
			s.startRefresh(false)
		case <-timerC(s.retryTimer):
			s.retryTimer = nil
			s.attemptConnect()
		case res := <-s.connectDone:
			s.connecting = false
			if res.err != nil {
				s.connectFailed(res.err)
				if s.isSignedOut() {
					return
				}
				continue
			}
			s.online(res, true)
		case res := <-s.refreshDone:
			s.refreshing = false
			if s.refreshed(res) {
				return
			}
		}
	}
}

func timerC(t *time.Timer) <-chan time.Time {
	if t == nil {
		return nil
	}
	return t.C
}

// online adopts a freshly opened connection.
func (s *Session) online(res connectResult, reconnect bool) {
	s.conn = res.conn
	s.fields = res.fields
	if res.profiled {
		s.needProfile = false
		s.setProfile(res.user, res.perms)
		if s.cfg.Outbox != nil && s.store == nil {
			s.restoreOutbox()
		}
	}
	s.connectedAt = time.Now()
	s.lastFrameAt = s.connectedAt
	s.pingUID = ""
	s.authFailures = 0
	since := s.newest
	s.events.push(StateChanged{State: StateOnline})
	s.emitLoaded(Loaded{Kind: LoadInitial, Messages: res.init, NoOlder: res.noOlder})
	if reconnect && !since.IsZero() {
		s.catchUp(since.Add(-s.cfg.CatchUpMargin), 0)
	}
	if s.watermark.IsZero() || reconnect {
		s.watermark = s.newest
	}
	if len(s.known) > 0 {
		s.checkKnown(s.known)
		s.known = nil
	}
	s.pumpOutbox()
}

// checkKnown re-reads cached messages by id: those still there come back
// as they are now (edits), those missing were deleted meanwhile.
func (s *Session) checkKnown(ids []string) {
	s.requestWith(&request{kind: reqKnown, ids: ids}, map[string]any{
		"type": "items", "collection": s.cfg.Collection, "action": "read",
		"query": map[string]any{
			"fields": s.fields,
			"filter": map[string]any{"id": map[string]any{"_in": ids}},
			"limit":  len(ids),
		},
	})
}

func (s *Session) emitLoaded(l Loaded) {
	if !s.intKeys && len(l.Messages) > 0 && isInteger(l.Messages[0].ID) {
		s.intKeys = true
		s.log.Warn("realtime: the messages collection has integer keys, so a send retried after a lost connection may be stored twice (at-least-once); run setup on a fresh collection for exactly-once")
	}
	for _, m := range l.Messages {
		if m.Created.After(s.newest) && l.Kind != LoadOlder {
			s.newest = m.Created
		}
	}
	s.events.push(l)
}

// handleFrame processes one frame from the live connection.
func (s *Session) handleFrame(f *frame) {
	switch f.Type {
	case "ping":
		s.write(map[string]string{"type": "pong"})
	case "pong":
		uid := f.uid()
		if uid == s.pingUID {
			s.pingUID = ""
		}
		if r, ok := s.pending[uid]; ok && r.kind == reqVerify {
			s.finish(uid)
			s.verdict(r.msgID)
		}
	case "auth":
		if f.Status == "ok" {
			s.log.Debug("realtime: re-authenticated")
			return
		}
		err := frameErr(f)
		if f.Error != nil && f.Error.Code == "TOKEN_EXPIRED" {
			s.log.Info("realtime: access token expired on the socket; refreshing")
			s.startRefresh(false)
			return
		}
		s.lost(err)
	case "subscription":
		if f.uid() != s.subUID {
			return
		}
		if f.Status == "error" {
			s.log.Warn("realtime: subscription error", "err", frameErr(f))
			s.events.push(Problem{Err: frameErr(f)})
			return
		}
		s.handleSubscriptionEvent(f)
	case "items":
		s.handleReply(f)
	default:
		s.log.Debug("realtime: ignored frame", "type", f.Type)
	}
}

func (s *Session) handleSubscriptionEvent(f *frame) {
	switch f.Event {
	case "create", "update", "init":
		msgs, err := decodeMessages(f.Data)
		if err != nil {
			s.log.Warn("realtime: unreadable subscription event", "event", f.Event, "err", err)
			return
		}
		kind := LoadLive
		switch f.Event {
		case "update":
			kind = LoadUpdated
		case "init":
			kind = LoadInitial
		}
		s.emitLoaded(Loaded{Kind: kind, Messages: msgs})
	case "delete":
		if ids := decodeIDs(f.Data); len(ids) > 0 {
			s.events.push(Deleted{IDs: ids})
		}
	}
}

// handleReply matches an items reply to its request. Servers before 12.4
// omit the uid on errors: those go to the oldest request waiting.
func (s *Session) handleReply(f *frame) {
	uid := f.uid()
	if uid == "" && f.Status == "error" && len(s.pendingOrder) > 0 {
		for _, u := range s.pendingOrder {
			if r := s.pending[u]; r != nil && r.kind != reqVerify {
				uid = u
				break
			}
		}
	}
	r, ok := s.pending[uid]
	if !ok {
		return
	}
	s.finish(uid)
	var err error
	if f.Status == "error" {
		err = frameErr(f)
	}
	switch r.kind {
	case reqCreate:
		s.createDone(r.msgID, f, err)
	case reqUpdate:
		if err != nil {
			s.events.push(SendStatus{ID: r.msgID, State: SendFailed, Err: err})
			return
		}
		msgs, _ := decodeMessages(f.Data)
		var stored *Message
		if len(msgs) > 0 {
			stored = &msgs[0]
			s.emitLoaded(Loaded{Kind: LoadUpdated, Messages: msgs[:1]})
		}
		s.events.push(SendStatus{ID: r.msgID, State: SendDelivered, Stored: stored})
	case reqDelete:
		if err != nil {
			s.events.push(SendStatus{ID: r.msgID, State: SendFailed, Err: err})
			return
		}
		s.events.push(Deleted{IDs: []string{r.msgID}})
	case reqCatchUp:
		if err != nil {
			s.catchingUp = false
			s.log.Warn("realtime: catch-up read failed", "err", err)
			return
		}
		msgs, derr := decodeMessages(f.Data)
		if derr != nil {
			s.catchingUp = false
			s.log.Warn("realtime: unreadable catch-up page", "err", derr)
			return
		}
		if len(msgs) > 0 {
			s.emitLoaded(Loaded{Kind: LoadCatchUp, Messages: msgs})
		}
		if len(msgs) >= catchUpPage {
			s.catchUp(r.since, r.offset+len(msgs))
		} else {
			s.catchingUp = false
		}
	case reqKnown:
		msgs, derr := decodeMessages(f.Data)
		if err != nil || derr != nil {
			s.log.Warn("realtime: could not re-read cached messages", "err", errors.Join(err, derr))
			return
		}
		present := make(map[string]bool, len(msgs))
		for _, m := range msgs {
			present[m.ID] = true
		}
		var gone []string
		for _, id := range r.ids {
			if !present[id] {
				gone = append(gone, id)
			}
		}
		s.emitLoaded(Loaded{Kind: LoadCatchUp, Messages: msgs})
		if len(gone) > 0 {
			s.events.push(Deleted{IDs: gone})
		}
	case reqOlder:
		s.loadingOlder = false
		if err != nil {
			s.events.push(Problem{Err: err})
			return
		}
		msgs, derr := decodeMessages(f.Data)
		if derr != nil {
			s.events.push(Problem{Err: &Error{Kind: KindProtocol, Msg: "The server sent older messages this client cannot read.", Err: derr}})
			return
		}
		s.emitLoaded(Loaded{Kind: LoadOlder, Messages: msgs, NoOlder: len(msgs) < s.cfg.PageSize+r.offset})
	}
}

const catchUpPage = 200

// createDone settles the message in flight. A create that the server
// reports as a duplicate was stored by an earlier attempt: delivered.
func (s *Session) createDone(id string, f *frame, err error) {
	o := s.findOutgoing(id)
	if o == nil {
		return
	}
	switch {
	case err == nil:
		msgs, _ := decodeMessages(f.Data)
		var stored *Message
		if len(msgs) > 0 {
			stored = &msgs[0]
			s.emitLoaded(Loaded{Kind: LoadLive, Messages: msgs[:1]})
		}
		s.forgetOutgoing(id)
		s.events.push(SendStatus{ID: id, State: SendDelivered, Stored: stored})
	case isCode(err, "RECORD_NOT_UNIQUE"):
		s.log.Info("realtime: a retried message was already stored", "id", id)
		s.forgetOutgoing(id)
		s.events.push(SendStatus{ID: id, State: SendDelivered})
	default:
		o.state = outFailed
		s.events.push(SendStatus{ID: id, State: SendFailed, Err: err})
	}
	s.pumpOutbox()
}

// verdict: the server answered a ping but never answered the create: it
// dropped the request (Directus sends no reply to invalid payloads).
func (s *Session) verdict(id string) {
	o := s.findOutgoing(id)
	if o == nil || o.state != outInFlight {
		return
	}
	o.state = outFailed
	s.events.push(SendStatus{ID: id, State: SendFailed, Err: &Error{Kind: KindRejected, Msg: "The server did not accept the message."}})
	s.pumpOutbox()
}

func isInteger(id string) bool {
	_, err := strconv.ParseInt(id, 10, 64)
	return err == nil
}

func isCode(err error, code string) bool {
	var e *Error
	return errors.As(err, &e) && e.Code == code
}

func (s *Session) handleCommand(c command) (stop bool) {
	switch c := c.(type) {
	case cmdSend:
		s.outbox = append(s.outbox, &outgoing{msg: c.msg})
		s.saveOutbox()
		s.pumpOutbox()
	case cmdRetry:
		if o := s.findOutgoing(c.id); o != nil && o.state == outFailed {
			s.removeOutgoing(c.id)
			o.state = outQueued
			s.outbox = append(s.outbox, o)
			s.events.push(SendStatus{ID: c.id, State: SendPending})
			s.pumpOutbox()
		}
	case cmdDiscard:
		if o := s.findOutgoing(c.id); o != nil && o.state == outFailed {
			s.forgetOutgoing(c.id)
		}
	case cmdEdit:
		s.request(reqUpdate, c.id, map[string]any{
			"type": "items", "collection": s.cfg.Collection, "action": "update",
			"id": c.id, "data": map[string]string{"text": c.text}, "query": map[string]any{"fields": s.fields},
		})
	case cmdDelete:
		s.request(reqDelete, c.id, map[string]any{
			"type": "items", "collection": s.cfg.Collection, "action": "delete", "id": c.id,
		})
	case cmdOlder:
		if s.loadingOlder {
			return false
		}
		if s.conn == nil {
			s.events.push(Problem{Err: &Error{Kind: KindUnreachable, Msg: "Offline: older messages load once the connection is back."}})
			return false
		}
		s.loadingOlder = true
		b := c.before
		s.requestWith(&request{kind: reqOlder, offset: c.tied}, map[string]any{
			"type": "items", "collection": s.cfg.Collection, "action": "read",
			"query": map[string]any{
				"fields": s.fields,
				// uuid keys have no _lt, so the page starts at the oldest
				// timestamp loaded and skips the c.tied messages of that
				// timestamp already loaded: they come first in this order.
				"filter": map[string]any{"date_created": map[string]any{"_lte": formatTime(b.Created)}},
				"sort":   []string{"-date_created", "-id"},
				"limit":  s.cfg.PageSize + c.tied,
			},
		})
	case cmdReconnect:
		if s.conn == nil && !s.connecting {
			stopTimer(&s.retryTimer)
			s.backoff.Reset()
			s.attemptConnect()
		}
	case cmdTimeout:
		s.timeout(c.uid)
	case cmdLogout:
		s.shutdown()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if err := s.rest.Logout(ctx, s.tokens.Refresh); err != nil {
			s.log.Warn("realtime: server logout failed", "err", err)
		}
		cancel()
		s.events.push(StateChanged{State: StateSignedOut}, SignedOut{Unsent: s.unsent()})
		return true
	case cmdClose:
		s.shutdown()
		return true
	}
	return false
}

// request sends a request that expects a reply, with a timeout.
func (s *Session) request(kind reqKind, msgID string, body map[string]any) {
	s.requestWith(&request{kind: kind, msgID: msgID}, body)
}

// requestWith sends body as request r.
func (s *Session) requestWith(r *request, body map[string]any) {
	if s.conn == nil {
		err := &Error{Kind: KindUnreachable, Msg: "Offline: try again once the connection is back."}
		switch r.kind {
		case reqUpdate, reqDelete:
			s.events.push(SendStatus{ID: r.msgID, State: SendFailed, Err: err})
		}
		return
	}
	s.seq++
	uid := strconv.Itoa(s.seq)
	body["uid"] = uid
	r.timer = time.AfterFunc(s.cfg.RequestTimeout, func() { s.cmds.push(cmdTimeout{uid}) })
	s.pending[uid] = r
	s.pendingOrder = append(s.pendingOrder, uid)
	s.write(body)
}

// finish forgets a request that got its answer.
func (s *Session) finish(uid string) {
	if r, ok := s.pending[uid]; ok {
		r.timer.Stop()
		delete(s.pending, uid)
		s.pendingOrder = slices.DeleteFunc(s.pendingOrder, func(u string) bool { return u == uid })
	}
}

// timeout handles a request the server did not answer in time.
func (s *Session) timeout(uid string) {
	r, ok := s.pending[uid]
	if !ok {
		return
	}
	s.finish(uid)
	switch r.kind {
	case reqCreate:
		// Either the link is dead or the server silently dropped an invalid
		// request: a ping tells which.
		s.seq++
		vuid := "verify-" + strconv.Itoa(s.seq)
		v := &request{kind: reqVerify, msgID: r.msgID}
		v.timer = time.AfterFunc(s.cfg.RequestTimeout, func() { s.cmds.push(cmdTimeout{vuid}) })
		s.pending[vuid] = v
		s.pendingOrder = append(s.pendingOrder, vuid)
		s.write(map[string]string{"type": "ping", "uid": vuid})
	case reqVerify:
		s.lost(&Error{Kind: KindTimeout, Msg: "The server stopped answering."})
	case reqUpdate, reqDelete:
		s.events.push(SendStatus{ID: r.msgID, State: SendFailed, Err: &Error{Kind: KindTimeout, Msg: "The server did not answer in time."}})
	case reqCatchUp:
		s.catchingUp = false
		s.log.Warn("realtime: catch-up read timed out")
	case reqOlder:
		s.loadingOlder = false
		s.events.push(Problem{Err: &Error{Kind: KindTimeout, Msg: "Older messages did not arrive in time."}})
	}
}

// catchUp reads messages created since a time, one page at a time, oldest
// first; the consumer merges them by ID.
func (s *Session) catchUp(since time.Time, offset int) {
	s.catchingUp = true
	s.requestWith(&request{kind: reqCatchUp, since: since, offset: offset}, map[string]any{
		"type": "items", "collection": s.cfg.Collection, "action": "read",
		"query": map[string]any{
			"fields": s.fields,
			"filter": map[string]any{"date_created": map[string]any{"_gte": formatTime(since)}},
			"sort":   []string{"date_created", "id"},
			"limit":  catchUpPage,
			"offset": offset,
		},
	})
	if s.conn == nil {
		s.catchingUp = false
	}
}

// pumpOutbox sends the oldest queued message when nothing is in flight:
// one at a time keeps them in order.
func (s *Session) pumpOutbox() {
	if s.conn == nil {
		return
	}
	for _, o := range s.outbox {
		if o.state == outInFlight {
			return
		}
	}
	for _, o := range s.outbox {
		if o.state != outQueued {
			continue
		}
		o.state = outInFlight
		data := map[string]string{"id": o.msg.ID, "text": o.msg.Text}
		if s.intKeys {
			delete(data, "id") // the server picks integer keys itself
		}
		s.request(reqCreate, o.msg.ID, map[string]any{
			"type": "items", "collection": s.cfg.Collection, "action": "create",
			"data":  data,
			"query": map[string]any{"fields": s.fields},
		})
		return
	}
}

func (s *Session) findOutgoing(id string) *outgoing {
	for _, o := range s.outbox {
		if o.msg.ID == id {
			return o
		}
	}
	return nil
}

func (s *Session) removeOutgoing(id string) {
	s.outbox = slices.DeleteFunc(s.outbox, func(o *outgoing) bool { return o.msg.ID == id })
}

// forgetOutgoing drops a message for good: delivered or discarded.
func (s *Session) forgetOutgoing(id string) {
	s.removeOutgoing(id)
	if s.store != nil {
		if err := s.store.Remove(id); err != nil {
			s.log.Warn("realtime: could not remove a message from the outbox", "err", err)
		}
	}
}

func (s *Session) unsent() []Message {
	out := make([]Message, 0, len(s.outbox))
	for _, o := range s.outbox {
		out = append(out, o.msg)
	}
	return out
}

// write sends a frame on the live connection; a failed write loses the link.
func (s *Session) write(v any) {
	if s.conn == nil {
		return
	}
	if err := s.conn.send(v); err != nil {
		s.lost(&Error{Kind: KindUnreachable, Msg: "The connection to the server was lost.", Err: err})
	}
}

// checkLiveness sends a JSON ping; if the previous one got no frame at all
// in return, the link is dead even if TCP has not noticed.
func (s *Session) checkLiveness() {
	if s.conn == nil {
		return
	}
	if s.pingUID != "" && s.lastFrameAt.Before(s.pingSentAt) {
		s.lost(&Error{Kind: KindTimeout, Msg: "The server stopped answering."})
		return
	}
	s.seq++
	s.pingUID = "ping-" + strconv.Itoa(s.seq)
	s.pingSentAt = time.Now()
	s.write(map[string]string{"type": "ping", "uid": s.pingUID})
}

// lost drops the connection and schedules a reconnect. Messages in flight
// go back to the queue: they are sent again with the same ID.
func (s *Session) lost(err error) {
	if s.conn == nil {
		return
	}
	s.log.Info("realtime: connection lost", "err", err)
	s.conn.close()
	s.conn = nil
	s.dropPending()
	if time.Since(s.connectedAt) > time.Minute {
		s.backoff.Reset()
	}
	s.scheduleRetry(err)
}

func (s *Session) dropPending() {
	for uid, r := range s.pending {
		r.timer.Stop()
		switch r.kind {
		case reqUpdate, reqDelete:
			s.events.push(SendStatus{ID: r.msgID, State: SendFailed, Err: &Error{Kind: KindUnreachable, Msg: "The connection was lost before the server answered."}})
		case reqOlder:
			s.events.push(Problem{Err: &Error{Kind: KindUnreachable, Msg: "The connection was lost while loading older messages."}})
		}
		delete(s.pending, uid)
	}
	s.pendingOrder = nil
	s.catchingUp, s.loadingOlder, s.pingUID = false, false, ""
	for _, o := range s.outbox {
		if o.state == outInFlight {
			o.state = outQueued
		}
	}
}

func (s *Session) scheduleRetry(err error) {
	delay := s.backoff.NextBackOff()
	s.retryTimer = time.NewTimer(delay)
	s.events.push(StateChanged{State: StateOffline, RetryAt: time.Now().Add(delay), Err: err})
}

// attemptConnect starts a connection attempt, refreshing the access token
// first when it is about to expire.
func (s *Session) attemptConnect() {
	if s.conn != nil || s.connecting {
		return
	}
	if s.refreshing {
		s.connectAfter = true
		return
	}
	// Refresh first when the token would expire during the handshake; with
	// a TTL shorter than RequestTimeout a fresh token counts as fresh
	// (comparing with RequestTimeout alone refreshed in a loop).
	if time.Until(s.tokens.ExpiresAt) < min(s.cfg.RequestTimeout, s.tokens.Lifetime/3) {
		s.startRefresh(true)
		return
	}
	s.connecting = true
	s.events.push(StateChanged{State: StateConnecting})
	access, fields, needProfile := s.tokens.Access, s.fields, s.needProfile
	go func() {
		var user User
		var perms Permissions
		if needProfile {
			ctx, cancel := context.WithTimeout(s.ctx, s.cfg.RequestTimeout)
			var err error
			user, perms, err = s.profile(ctx, access)
			cancel()
			if err != nil {
				s.connectDone <- connectResult{err: err}
				return
			}
		}
		res := s.open(s.ctx, access, fields)
		if res.err != nil && res.conn != nil {
			res.conn.close()
		}
		res.profiled, res.user, res.perms = needProfile && res.err == nil, user, perms
		s.connectDone <- res
	}()
}

func (s *Session) connectFailed(err error) {
	if errors.Is(err, context.Canceled) {
		return
	}
	s.log.Info("realtime: reconnect failed", "err", err)
	if KindOf(err) == KindSessionExpired {
		// The access token was refused: refresh before the next attempt, and
		// give up if a fresh token is refused too.
		s.authFailures++
		if s.authFailures > 2 {
			s.signOut(err)
			return
		}
		s.tokens.ExpiresAt = time.Time{}
	}
	s.scheduleRetry(err)
}

// startRefresh trades the refresh token for new tokens in the background.
// Only the loop calls it, and only one runs at a time: the refresh token
// has exactly one owner.
func (s *Session) startRefresh(thenConnect bool) {
	s.connectAfter = s.connectAfter || thenConnect
	if s.refreshing {
		return
	}
	stopTimer(&s.refreshTimer)
	s.refreshing = true
	refresh := s.tokens.Refresh
	go func() {
		ctx, cancel := context.WithTimeout(s.ctx, s.cfg.RequestTimeout)
		defer cancel()
		t, err := s.rest.Refresh(ctx, refresh)
		s.refreshDone <- refreshResult{tokens: t, err: err}
	}()
}

// refreshed applies a refresh result; it reports whether the session ended.
func (s *Session) refreshed(res refreshResult) (stop bool) {
	connect := s.connectAfter
	s.connectAfter = false
	if res.err != nil {
		if errors.Is(res.err, context.Canceled) {
			return false
		}
		switch KindOf(res.err) {
		case KindSessionExpired, KindInvalidCredentials, KindUserSuspended:
			s.signOut(res.err)
			return true
		}
		s.log.Info("realtime: token refresh failed; will retry", "err", res.err)
		if s.conn != nil {
			s.refreshTimer = time.NewTimer(s.backoff.NextBackOff())
		} else if s.retryTimer == nil && !s.connecting {
			s.scheduleRetry(res.err)
		}
		return false
	}
	s.tokens = res.tokens
	s.log.Debug("realtime: tokens refreshed", "tokens", res.tokens)
	s.events.push(TokensRotated{RefreshToken: res.tokens.Refresh})
	s.scheduleRefresh()
	if s.conn != nil {
		// Re-authenticate the live socket; subscriptions survive it.
		s.write(map[string]string{"type": "auth", "access_token": res.tokens.Access})
	} else if connect {
		s.attemptConnect()
	}
	return false
}

// scheduleRefresh arms the timer that refreshes the access token shortly
// before it expires (a third of its lifetime early, at most a minute).
func (s *Session) scheduleRefresh() {
	stopTimer(&s.refreshTimer)
	ttl := time.Until(s.tokens.ExpiresAt)
	lead := min(ttl/3, time.Minute)
	s.refreshTimer = time.NewTimer(max(ttl-lead, 0))
}

func (s *Session) signOut(err error) {
	s.log.Info("realtime: signed out", "err", err)
	s.shutdown()
	s.events.push(StateChanged{State: StateSignedOut, Err: err}, SignedOut{Err: err, Unsent: s.unsent()})
}

func (s *Session) isSignedOut() bool { return s.ctx.Err() != nil }

// shutdown stops everything the loop started.
func (s *Session) shutdown() {
	s.cancel()
	if s.conn != nil {
		s.conn.close()
		s.conn = nil
	}
	s.dropPending()
	stopTimer(&s.refreshTimer)
	stopTimer(&s.retryTimer)
}

func stopTimer(t **time.Timer) {
	if *t != nil {
		(*t).Stop()
		*t = nil
	}
}
