package realtime

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
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
	// SendRetryFor is how long sends keep going out again, with the
	// reconnect backoff between attempts, while the server fails to store
	// them (an internal error, its database away, no answer): after that
	// the message waiting is marked failed, to retry or discard [5m].
	SendRetryFor time.Duration
	// Uploader stores the files of messages typed with attachments
	// (SendFiles); nil makes such a message fail with an error saying so.
	Uploader Uploader
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
	if c.SendRetryFor <= 0 {
		c.SendRetryFor = 5 * time.Minute
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
//
// Its methods are spread over files by concern: this file holds the loop
// and the public API; connect.go the connection's lifecycle (connState),
// auth.go the tokens, requests.go the requests that wait for an answer,
// outbox.go the messages being sent, catchup.go the reads of history.
type Session struct {
	cfg    Config
	base   *url.URL
	rest   *REST
	dialer *websocket.Dialer
	log    *slog.Logger

	profileMu sync.Mutex // user and perms are read by the UI, set by the loop
	user      User
	perms     Permissions

	// A copy of the access token for AccessToken (any goroutine), set by
	// the loop with every change of tokens (setTokens); accessReady is
	// closed once there is one.
	accessMu    sync.Mutex
	access      string
	accessReady chan struct{}

	ctx    context.Context
	cancel context.CancelFunc
	events *queue[Event]
	out    chan []Event
	cmds   *queue[command]
	done   chan struct{}

	// Everything below is owned by the loop goroutine.

	// The connection (connect.go). state is the one source of truth; conn
	// is the live socket, set while state is connOnline (lost and shutdown
	// clear it just before leaving that state).
	state       connState
	conn        *conn
	subUID      string // the uid of the live messages subscription
	channelsUID string // with channels: the conversations subscription
	membersUID  string // with channels: the user's memberships subscription
	// feat is what the server has of setup's schema (learnt from the
	// permissions at sign-in); reactionsUID the reactions subscription.
	feat         features
	reactionsUID string
	// reactionReads are the reads of reactions on their way, by uid.
	reactionReads map[string]*reactionRead
	// reactQueue are the reaction writes waiting; reacting is set while
	// one is on its way (reactions.go).
	reactQueue  []cmdReact
	reacting    bool
	backoff     *backoff.ExponentialBackOff
	retryTimer  *time.Timer // set while connOffline: starts the next attempt
	connectDone chan connectResult
	connectedAt time.Time
	lastFrameAt time.Time
	pingUID     string // the last liveness ping not yet answered
	pingSentAt  time.Time

	// The tokens (auth.go).
	tokens       Tokens
	refreshing   bool // a token refresh is running (at most one: the refresh token has one owner)
	refreshTimer *time.Timer
	refreshDone  chan refreshResult
	authFailures int  // access tokens refused in a row by the socket
	needProfile  bool // user and perms are still to be read (Open)

	// Requests waiting for their answer (requests.go).
	seq          int
	pending      map[string]*pending
	pendingOrder []string // uids, oldest first

	// The messages being sent (outbox.go).
	outbox   []*outgoing
	store    OutboxStore
	storeErr error // why the outbox could not be opened
	intKeys  bool  // integer primary keys: no client ids, at-least-once
	// Sends held after the server failed to store one (outbox.go).
	sendBackoff *backoff.ExponentialBackOff
	sendTimer   *time.Timer // set while sends wait: the outbox goes on when it fires
	sendTrouble time.Time   // when the current run of failed sends began; zero when sends work

	// What was read (catchup.go).
	fields    []string
	known     []string // ids of cached messages to re-check once online
	newest    time.Time
	watermark time.Time
	// gapFrom is where events may be missing since a connection was lost
	// (zero: none are); it is cleared once a catch-up has read past it.
	// A catch-up of a gap that fails (a server swamped by a reconnect
	// storm times reads out) is tried again after a backoff delay.
	gapFrom        time.Time
	catchUpTimer   *time.Timer
	catchUpBackoff *backoff.ExponentialBackOff
	catchingUp     bool
	loadingOlder   bool

	// Conversations, memberships and unread counts (channels.go).
	ch channelState
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
	s := &Session{
		cfg:            cfg,
		base:           base,
		rest:           NewREST(base, cfg.HTTPClient),
		dialer:         &websocket.Dialer{Proxy: http.ProxyFromEnvironment, HandshakeTimeout: 15 * time.Second},
		log:            cfg.Logger,
		events:         newQueue[Event](),
		out:            make(chan []Event),
		cmds:           newQueue[command](),
		done:           make(chan struct{}),
		fields:         messageFields,
		pending:        map[string]*pending{},
		reactionReads:  map[string]*reactionRead{},
		backoff:        newBackoff(cfg),
		sendBackoff:    newBackoff(cfg),
		catchUpBackoff: newCatchUpBackoff(cfg),
		connectDone:    make(chan connectResult, 1),
		refreshDone:    make(chan refreshResult, 1),
		ch:             newChannelState(),
		accessReady:    make(chan struct{}),
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	return s, nil
}

// newCatchUpBackoff is the backoff of a failed catch-up: a read that timed
// out means a swamped server, which is still working on it (nothing cancels
// a request), so the first retry waits a request timeout, with jitter, and
// the reconnect storm's catch-ups do not pile up on it.
func newCatchUpBackoff(cfg Config) *backoff.ExponentialBackOff {
	b := newBackoff(cfg)
	b.InitialInterval = cfg.RequestTimeout
	b.MaxInterval = max(cfg.MaxBackoff, cfg.RequestTimeout)
	return b
}

// newBackoff is the capped exponential backoff with jitter of reconnects
// and of sends the server could not store.
func newBackoff(cfg Config) *backoff.ExponentialBackOff {
	b := backoff.NewExponentialBackOff()
	b.InitialInterval = cfg.MinBackoff
	b.MaxInterval = cfg.MaxBackoff
	b.Multiplier = 2
	b.RandomizationFactor = 0.3
	return b
}

// start opens the first connection in the caller's goroutine (Connect
// returns once it is up), then starts the loop with it.
func (s *Session) start(ctx context.Context, tokens Tokens) (*Session, error) {
	user, perms, err := s.profile(ctx, tokens.Access)
	if err != nil {
		return nil, err
	}
	s.setProfile(user, perms)
	s.setTokens(tokens)
	s.log.Debug("realtime: signed in", "user", user.ID, "tokens", tokens)
	res := s.open(ctx, tokens.Access, s.fields, perms.features())
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
	s.setTokens(Tokens{Refresh: r.RefreshToken}) // no access token: refresh first
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

// setTokens changes the tokens (loop only) and the copy of the access
// token that AccessToken gives.
func (s *Session) setTokens(t Tokens) {
	s.tokens = t
	s.accessMu.Lock()
	defer s.accessMu.Unlock()
	s.access = t.Access
	if t.Access != "" {
		select {
		case <-s.accessReady:
		default:
			close(s.accessReady)
		}
	}
}

// AccessToken returns the current access token, for REST calls beside the
// session (files.Client's Token). It is safe from any goroutine and never
// waits for the loop: it is the token the session holds now, which may
// expire a moment later (the session refreshes it a third of its lifetime
// early; a request refused with it fails and is tried again) or may have
// expired while the session could not refresh it (offline). A session
// opened from a remembered token has none until its first refresh:
// AccessToken waits for it, for ctx, or for the session's end. After the
// session has ended it returns ErrClosed. Never log the token.
func (s *Session) AccessToken(ctx context.Context) (string, error) {
	for {
		select {
		case <-s.done:
			return "", ErrClosed
		default:
		}
		s.accessMu.Lock()
		tok, ready := s.access, s.accessReady
		s.accessMu.Unlock()
		if tok != "" {
			return tok, nil
		}
		select {
		case <-ready:
		case <-ctx.Done():
			return "", ctx.Err()
		case <-s.done:
			return "", ErrClosed
		}
	}
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
func (s *Session) Send(text string) Message { return s.SendIn("", text) }

// SendIn is Send into a conversation (on servers with channels).
func (s *Session) SendIn(channel, text string) Message { return s.SendFiles(channel, text, nil) }

// SendFiles is SendIn with attachments (text may be empty then). Each file
// needs Path, Name, Size and Type; an empty ID is given one by
// NewAttachmentID (the returned message has them all): files are shown in
// the order of their ids. The files are uploaded through
// Config.Uploader before the message is created (UploadProgress events);
// the outbox keeps them across restarts. Discard cancels a message whose
// files are uploading. On a server without attachments
// (Permissions.Files), or with no Uploader, the message fails.
func (s *Session) SendFiles(channel, text string, files []Attachment) Message {
	m := s.newMessage(channel, text, files)
	_ = s.command(cmdSend{m})
	return m
}

// Reply is SendIn into the conversation of to, as an answer to it: the
// message carries to's id (stored as reply_to) and a quote of it.
func (s *Session) Reply(to Message, text string) Message { return s.ReplyWithFiles(to, text, nil) }

// ReplyWithFiles is Reply with attachments, as in SendFiles.
func (s *Session) ReplyWithFiles(to Message, text string, files []Attachment) Message {
	m := s.newMessage(to.Channel, text, files)
	m.ReplyTo, m.Quote = to.ID, QuoteOf(to)
	_ = s.command(cmdSend{m})
	return m
}

// newMessage is a message typed here, with its client-chosen ids.
func (s *Session) newMessage(channel, text string, files []Attachment) Message {
	me := s.User()
	m := Message{
		ID:         uuid.NewString(),
		Channel:    channel,
		Text:       text,
		AuthorID:   me.ID,
		AuthorName: me.FirstName,
		Created:    time.Now().UTC(),
	}
	if len(files) > 0 {
		m.Files = slices.Clone(files)
		for i := range m.Files {
			if m.Files[i].ID == "" {
				m.Files[i].ID = NewAttachmentID()
			}
		}
	}
	return m
}

// QuoteOf is what a reply shows of m.
func QuoteOf(m Message) *Quote {
	return &Quote{ID: m.ID, AuthorID: m.AuthorID, AuthorName: m.AuthorName, Text: cutRunes(m.Text, QuoteRunes), Created: m.Created}
}

// Retry sends a failed message again, with the same ID. Like every command
// below it returns ErrClosed once the session has ended, and nil when the
// command is queued.
func (s *Session) Retry(id string) error { return s.command(cmdRetry{id}) }

// Discard forgets a failed message, or a message with files that is not
// created yet (its files uploading, or waiting to): an upload on its way
// is cancelled, and the files it may have uploaded are deleted.
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
	// cmdInspect runs fn on the loop: a test's look at the session's
	// state when it stopped moving (export_test.go).
	cmdInspect struct{ fn func() }
)

// loop is the single owner of the connection, the tokens and the outbox.
// It ends when the connection state is connClosed or connSignedOut.
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
		s.adopt(*first, false)
	} else {
		s.attemptConnect()
	}

	for !s.state.ended() {
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
				s.handleCommand(c)
				if s.state.ended() {
					return
				}
			}
		case <-ping.C:
			s.checkLiveness()
		case <-reconcile.C:
			s.reconcile()
		case <-timerC(s.refreshTimer):
			s.refreshTimer = nil
			s.startRefresh()
		case <-timerC(s.retryTimer):
			s.retryTimer = nil
			s.attemptConnect()
		case <-timerC(s.sendTimer):
			s.sendTimer = nil
			s.pumpOutbox()
		case <-timerC(s.catchUpTimer):
			s.catchUpTimer = nil
			s.reconcile()
		case res := <-s.connectDone:
			if res.err != nil {
				s.connectFailed(res.err)
				continue
			}
			s.adopt(res, true)
		case res := <-s.refreshDone:
			s.refreshing = false
			s.refreshed(res)
		}
	}
}

func timerC(t *time.Timer) <-chan time.Time {
	if t == nil {
		return nil
	}
	return t.C
}

func (s *Session) handleCommand(c command) {
	if s.handleChannelCommand(c) || s.handleReactionCommand(c) || s.handleUploadCommand(c) {
		return
	}
	switch c := c.(type) {
	case cmdSend:
		s.queueOutgoing(c.msg)
	case cmdRetry:
		s.retryOutgoing(c.id)
	case cmdDiscard:
		s.discardOutgoing(c.id)
	case cmdEdit:
		s.request(updateReq{msgID: c.id}, updateItem(s.cfg.Collection, c.id, c.text, s.fields))
	case cmdDelete:
		s.request(deleteReq{msgID: c.id}, deleteItem(s.cfg.Collection, c.id))
	case cmdOlder:
		s.loadOlder(c.before, c.tied)
	case cmdReconnect:
		if s.state == connOffline || s.state == connRefreshing {
			stopTimer(&s.retryTimer)
			s.backoff.Reset()
			s.attemptConnect()
		}
	case cmdTimeout:
		s.timeout(c.uid)
	case cmdInspect:
		c.fn()
	case cmdLogout:
		s.logout()
	case cmdClose:
		s.flushMarks() // a read marker moved just before quitting still counts elsewhere
		s.shutdown(connClosed, nil)
	}
}

// handleFrame processes one frame from the live connection.
func (s *Session) handleFrame(f *frame) {
	switch f.Type {
	case "ping":
		s.write(pongMsg())
	case "pong":
		s.handlePong(f)
	case "auth":
		s.handleAuth(f)
	case "subscription":
		uid := f.uid()
		if uid == "" || (uid != s.subUID && uid != s.channelsUID && uid != s.membersUID && uid != s.reactionsUID) {
			return
		}
		if f.Status == "error" {
			s.log.Warn("realtime: subscription error", "err", frameErr(f))
			s.events.push(Problem{Err: frameErr(f)})
			return
		}
		switch uid {
		case s.subUID:
			s.handleSubscriptionEvent(f)
		case s.channelsUID:
			s.handleChannelsEvent(f)
		case s.membersUID:
			s.handleMembersEvent(f)
		case s.reactionsUID:
			s.handleReactionsEvent(f)
		}
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
		if kind == LoadLive {
			s.countLive(msgs)
		}
	case "delete":
		if ids := decodeIDs(f.Data); len(ids) > 0 {
			s.events.push(Deleted{IDs: ids})
		}
	}
}

// emitLoaded tells the consumer about messages, noting the newest seen (for
// catch-up) and whether the collection has integer keys.
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
	s.settleStored(l.Messages)
	switch l.Kind {
	case LoadInitial, LoadOlder, LoadCatchUp:
		s.readReactions(l.Messages)
	}
}

// settleStored marks outgoing messages the server is seen to hold as
// delivered, whatever became of their create's answer (Directus 11 answers
// a retried create's RECORD_NOT_UNIQUE without its uid, so that answer can
// reach another request, and the create then times out although stored).
func (s *Session) settleStored(msgs []Message) {
	if len(s.outbox) == 0 {
		return
	}
	settled := false
	for _, m := range msgs {
		o := s.findOutgoing(m.ID)
		if o == nil || s.intKeys {
			continue
		}
		if o.state == outInFlight {
			s.dropCreateFor(m.ID)
		}
		if o.upload != nil {
			o.upload.cancel() // stored by an earlier run: its files are attached
		}
		s.forgetOutgoing(m.ID)
		stored := m
		s.events.push(SendStatus{ID: m.ID, State: SendDelivered, Stored: &stored})
		settled = true
	}
	if settled {
		s.pumpOutbox()
	}
}

// shutdown stops everything the loop started and moves to the end state
// (connClosed or connSignedOut, the latter with why).
func (s *Session) shutdown(end connState, why error) {
	s.cancel()
	if s.conn != nil {
		s.conn.close()
		s.conn = nil
	}
	s.dropPending()
	stopTimer(&s.refreshTimer)
	stopTimer(&s.retryTimer)
	stopTimer(&s.sendTimer)
	stopTimer(&s.catchUpTimer)
	stopTimer(&s.ch.markTime)
	s.setState(end, time.Time{}, why)
}

func stopTimer(t **time.Timer) {
	if *t != nil {
		(*t).Stop()
		*t = nil
	}
}
