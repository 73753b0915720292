package realtime

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/google/uuid"
)

// connState is where the session's connection stands. Only setState
// changes it; the loop acts on it (which commands and timers apply).
//
//	connOffline ──retry timer / ReconnectNow──▶ connDialing ──ok──▶ connOnline
//	     ▲   │                                      │                  │
//	     │   └─token about to expire─▶ connRefreshing ─refreshed─┘     │
//	     └──────── failed (backoff) ◀───────────────┴── link lost ◀────┘
//
// Any state can end in connClosed (Close) or connSignedOut (Logout, or the
// server refuses the session); the loop stops there.
type connState int

const (
	connOffline    connState = iota // no socket; retryTimer, when set, starts the next attempt
	connRefreshing                  // no socket; connects once the running token refresh is done
	connDialing                     // the connect goroutine is opening a socket
	connOnline                      // conn is the live, subscribed socket
	connClosed                      // ended locally (Close): the server session stays valid
	connSignedOut                   // ended signed out: Logout, or the server refused the session
)

func (c connState) String() string {
	switch c {
	case connOffline:
		return "offline"
	case connRefreshing:
		return "refreshing"
	case connDialing:
		return "dialing"
	case connOnline:
		return "online"
	case connClosed:
		return "closed"
	case connSignedOut:
		return "signed out"
	}
	return "unknown"
}

// ended reports whether the session is over: the loop stops.
func (c connState) ended() bool { return c == connClosed || c == connSignedOut }

// setState is the one place the connection state changes. It logs the move
// and tells the consumer the state it shows (StateChanged): connecting,
// online, offline (with when the next attempt starts and why) and signed
// out (with why, if the server ended the session). A refresh before
// connecting and a local Close are not shown.
func (s *Session) setState(to connState, retryAt time.Time, why error) {
	from := s.state
	s.state = to
	s.log.Debug("realtime: connection state", "from", from, "to", to)
	switch to {
	case connDialing:
		s.events.push(StateChanged{State: StateConnecting})
	case connOnline:
		s.events.push(StateChanged{State: StateOnline})
	case connOffline:
		s.events.push(StateChanged{State: StateOffline, RetryAt: retryAt, Err: why})
	case connSignedOut:
		s.events.push(StateChanged{State: StateSignedOut, Err: why})
	}
}

// connectResult is what the connect goroutine hands to the loop.
type connectResult struct {
	profiled bool // user and perms were read (Open's first connect)
	user     User
	perms    Permissions
	conn     *conn
	started  time.Time // when the handshake began: events after it are live
	subUID   string    // the messages subscription
	fields   []string
	init     []Message
	noOlder  bool
	// With channels: the subscriptions of conversations and memberships,
	// and the complete lists they started with.
	channelsOn  bool
	channelsUID string
	membersUID  string
	// With reactions: their subscription (events only).
	feat         features
	reactionsUID string
	channels     []Channel
	members      []Membership
	err          error
}

// attemptConnect starts a connection attempt, refreshing the access token
// first when it is about to expire.
func (s *Session) attemptConnect() {
	if s.state != connOffline && s.state != connRefreshing {
		return
	}
	if s.refreshing {
		s.setState(connRefreshing, time.Time{}, nil)
		return
	}
	// Refresh first when the token would expire during the handshake; with
	// a TTL shorter than RequestTimeout a fresh token counts as fresh
	// (comparing with RequestTimeout alone refreshed in a loop).
	if time.Until(s.tokens.ExpiresAt) < min(s.cfg.RequestTimeout, s.tokens.Lifetime/3) {
		s.startRefresh()
		s.setState(connRefreshing, time.Time{}, nil)
		return
	}
	s.setState(connDialing, time.Time{}, nil)
	access, fields, needProfile, feat := s.tokens.Access, s.fields, s.needProfile, s.feat
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
			feat = perms.features()
		}
		res := s.open(s.ctx, access, fields, feat)
		res.profiled, res.user, res.perms = needProfile && res.err == nil, user, perms
		s.connectDone <- res
	}()
}

// open dials, authenticates and subscribes; it is the whole handshake. It
// runs outside the loop, so it touches no state of the loop: what it made
// is in the result.
func (s *Session) open(ctx context.Context, accessToken string, fields []string, feat features) connectResult {
	channelsOn := feat.channels
	started := time.Now()
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
	var scope filter
	limit := s.cfg.PageSize
	if channelsOn {
		fields = withField(fields, "channel")
		scope = myChannelsMessages
		// Events only: each conversation's page is read when it is opened
		// (readNewest), a reconnect's gap by catch-up. A page across all
		// the user's conversations is the one query Directus cannot make
		// fast: the filter through channel.members (one-to-many) joins
		// every message to its channel's members and groups them before
		// sorting (0.5–0.7 s on 100,000 messages; limit 0 answers at once).
		limit = 0
	}
	if feat.replies {
		for _, f := range replyFields {
			fields = withField(fields, f)
		}
	}
	if feat.files {
		for _, f := range fileFields {
			fields = withField(fields, f)
		}
	}
	subUID := "messages-" + uuid.NewString()
	raw, err := c.subscribe(ctx, s.cfg.Collection, subUID, fields, scope, limit)
	if err != nil && slices.Contains(fields, "date_updated") && (KindOf(err) == KindForbidden || KindOf(err) == KindRejected) {
		s.log.Info("realtime: messages has no readable date_updated; edits will not be marked")
		fields = slices.DeleteFunc(slices.Clone(fields), func(f string) bool { return f == "date_updated" })
		raw, err = c.subscribe(ctx, s.cfg.Collection, subUID, fields, scope, limit)
	}
	var init []Message
	if err == nil {
		if init, err = decodeMessages(raw); err != nil {
			err = &Error{Kind: KindProtocol, Msg: "The server sent messages this client cannot read.", Err: err}
		}
	}
	if err != nil {
		c.close()
		return connectResult{err: err}
	}
	res := connectResult{conn: c, started: started, subUID: subUID, fields: fields, init: init, noOlder: len(init) < s.cfg.PageSize, channelsOn: channelsOn, feat: feat}
	if channelsOn {
		res.channelsUID = "channels-" + uuid.NewString()
		res.membersUID = "members-" + uuid.NewString()
		// Both asked for at once; their answers are awaited in turn (what
		// arrives meanwhile is held for the loop, see awaitFrame).
		err := c.send(subscribeMsg(channelsCollection, res.channelsUID, channelFields, nil, -1))
		if err == nil {
			err = c.send(subscribeMsg(membersCollection, res.membersUID, memberFields, myMemberships, -1))
		}
		var raw json.RawMessage
		if err == nil {
			raw, err = c.awaitInit(ctx, res.channelsUID)
		}
		if err == nil {
			res.channels, err = decodeChannels(raw)
		}
		if err == nil {
			raw, err = c.awaitInit(ctx, res.membersUID)
		}
		if err == nil {
			res.members, err = decodeMemberships(raw)
		}
		if err != nil {
			c.close()
			return connectResult{err: fmt.Errorf("subscribe to channels: %w", err)}
		}
	}
	if feat.reactions {
		res.reactionsUID = "reactions-" + uuid.NewString()
		if _, err := c.subscribe(ctx, reactionsCollection, res.reactionsUID, reactionFields, myReactions, 0); err != nil {
			c.close()
			return connectResult{err: fmt.Errorf("subscribe to reactions: %w", err)}
		}
	}
	return res
}

// withField returns fields with f added once.
func withField(fields []string, f string) []string {
	if slices.Contains(fields, f) {
		return fields
	}
	return append(slices.Clone(fields), f)
}

// subscribe asks for the newest page and all later changes of the items
// that match scope; it returns the page, undecoded.
func (c *conn) subscribe(ctx context.Context, collection, uid string, fields []string, scope filter, limit int) (json.RawMessage, error) {
	if err := c.send(subscribeMsg(collection, uid, fields, scope, limit)); err != nil {
		return nil, fmt.Errorf("subscribe: %w", err)
	}
	return c.awaitInit(ctx, uid)
}

// awaitInit waits for the first page of the subscription uid (asked for
// already: several can be on their way at once).
func (c *conn) awaitInit(ctx context.Context, uid string) (json.RawMessage, error) {
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
	return f.Data, nil
}

// adopt makes a freshly opened connection the live one.
func (s *Session) adopt(res connectResult, reconnect bool) {
	s.conn, s.subUID = res.conn, res.subUID
	s.channelsUID, s.membersUID = res.channelsUID, res.membersUID
	s.ch.on = res.channelsOn
	s.feat, s.reactionsUID = res.feat, res.reactionsUID
	s.fields = res.fields
	if res.profiled {
		s.needProfile = false
		s.setProfile(res.user, res.perms)
		if s.cfg.Outbox != nil && s.store == nil {
			s.restoreOutbox()
		}
	}
	// What the catch-up after a reconnect reads from: where the gap began
	// (see lost), kept until a catch-up has read past it.
	since := s.gapFrom
	s.connectedAt = time.Now()
	s.lastFrameAt = s.connectedAt
	s.pingUID = ""
	s.authFailures = 0
	s.setState(connOnline, time.Time{}, nil)
	if s.ch.on {
		// The subscription brought no page (events only): each
		// conversation's own page is read when it is opened.
		s.adoptChannels(res)
	} else {
		s.emitLoaded(Loaded{Kind: LoadInitial, Messages: res.init, NoOlder: res.noOlder})
	}
	// Events that came while the handshake awaited another answer.
	held, lost := res.conn.takeHeld()
	for _, f := range held {
		s.handleFrame(f)
	}
	if lost {
		// Too many to hold: read them again, from the handshake's start on
		// a first connect (a reconnect reads from further back anyway).
		s.log.Warn("realtime: events during the handshake were too many to hold; reading them again")
		if !reconnect || since.IsZero() {
			since = res.started
		}
	}
	if (reconnect || lost) && !since.IsZero() {
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

// connectFailed handles a connection attempt that did not get online.
func (s *Session) connectFailed(err error) {
	if errors.Is(err, context.Canceled) {
		return // the session is ending
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

// write sends a frame on the live connection; a failed write loses the link.
func (s *Session) write(v any) {
	if s.conn == nil {
		return
	}
	if err := s.conn.send(v); err != nil {
		s.lost(&Error{Kind: KindUnreachable, Msg: "The connection to the server was lost.", Err: err})
	}
}

// nextUID numbers a request or ping: prefix followed by a sequence number.
func (s *Session) nextUID(prefix string) string {
	s.seq++
	return prefix + strconv.Itoa(s.seq)
}

// checkLiveness sends a JSON ping; if the previous one got no frame at all
// in return, the link is dead even if TCP has not noticed.
func (s *Session) checkLiveness() {
	if s.state != connOnline {
		return
	}
	if s.pingUID != "" && s.lastFrameAt.Before(s.pingSentAt) {
		s.lost(&Error{Kind: KindTimeout, Msg: "The server stopped answering."})
		return
	}
	s.pingUID = s.nextUID("ping-")
	s.pingSentAt = time.Now()
	s.write(pingMsg(s.pingUID))
}

// handlePong settles the liveness ping, or a verification ping (requests.go).
func (s *Session) handlePong(f *frame) {
	uid := f.uid()
	if uid == s.pingUID {
		s.pingUID = ""
	}
	if p, ok := s.pending[uid]; ok && isPing(p.req) {
		s.finish(uid)
		p.req.answered(s, f, nil)
	}
}

// lost drops the connection and schedules a reconnect. Messages in flight
// go back to the queue: they are sent again with the same ID.
func (s *Session) lost(err error) {
	if s.conn == nil {
		return
	}
	s.log.Info("realtime: connection lost", "err", err)
	if s.gapFrom.IsZero() {
		// What may be missing from here on: what came after the newest
		// message seen, or, when none was (on servers with channels the
		// subscription brings no first page, and a conversation may be
		// empty), after the last frame received: before it the link was
		// alive and events came live (the catch-up margin covers those
		// still on their way).
		s.gapFrom = s.newest
		if s.gapFrom.IsZero() {
			s.gapFrom = s.lastFrameAt
		}
	}
	s.conn.close()
	s.conn = nil
	s.dropPending()
	if time.Since(s.connectedAt) > time.Minute {
		s.backoff.Reset()
	}
	s.scheduleRetry(err)
}

// scheduleRetry goes offline until the backoff delay has passed.
func (s *Session) scheduleRetry(err error) {
	delay := s.backoff.NextBackOff()
	s.retryTimer = time.NewTimer(delay)
	s.setState(connOffline, time.Now().Add(delay), err)
}
