package realtime

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"
)

// A request is one kind of request on the socket that waits for its
// answer. Each kind says, in one place, what its answer, its timeout and
// the loss of the connection mean (the kinds are below, in outbox.go and in
// catchup.go).
type request interface {
	// answered handles the server's reply; err is set when it is an error.
	answered(s *Session, f *frame, err error)
	// timedOut handles a request the server did not answer in time.
	timedOut(s *Session)
	// lost handles a request whose connection was lost before its answer.
	lost(s *Session)
	// offline handles a request that could not be sent: no connection.
	offline(s *Session)
}

// pending is a request sent and not yet answered.
type pending struct {
	req   request
	timer *time.Timer
	write bool      // a create, update or delete
	sent  time.Time // when it went out
}

// request sends an items request that waits for its answer, for at most
// RequestTimeout.
func (s *Session) request(r request, body itemsFrame) {
	if s.state != connOnline {
		r.offline(s)
		return
	}
	body.UID = s.nextUID("")
	s.track(body.UID, r)
	s.pending[body.UID].write = body.Action != actionRead
	s.write(body)
}

// track waits for the answer to the request or ping uid.
func (s *Session) track(uid string, r request) {
	timer := time.AfterFunc(s.cfg.RequestTimeout, func() { s.cmds.push(cmdTimeout{uid}) })
	s.pending[uid] = &pending{req: r, timer: timer, sent: time.Now()}
	s.pendingOrder = append(s.pendingOrder, uid)
}

// finish forgets a request that got its answer.
func (s *Session) finish(uid string) {
	if p, ok := s.pending[uid]; ok {
		p.timer.Stop()
		delete(s.pending, uid)
		s.pendingOrder = slices.DeleteFunc(s.pendingOrder, func(u string) bool { return u == uid })
	}
}

// handleReply matches an items reply to its request. Servers before 12.4
// omit the uid on errors: those go to the oldest request waiting.
func (s *Session) handleReply(f *frame) {
	uid := f.uid()
	if uid == "" && f.Status == "error" && f.Error != nil && f.Error.Code == "RECORD_NOT_UNIQUE" {
		uid = s.notUniqueOwner()
	}
	if uid == "" && f.Status == "error" {
		for _, u := range s.pendingOrder {
			if p := s.pending[u]; p != nil && !isPing(p.req) {
				uid = u
				break
			}
		}
	}
	p, ok := s.pending[uid]
	if !ok || isPing(p.req) {
		return
	}
	s.finish(uid)
	var err error
	if f.Status == "error" {
		err = frameErr(f)
	}
	p.req.answered(s, f, err)
}

// notUniqueOwner is the request a RECORD_NOT_UNIQUE without a uid answers
// (servers before 12.4 leave the uid out of every error): only a write
// gets it. To a message create it means "already stored", so a create
// gets it only when no other write is waiting: the oldest other write
// (a channel create refused by its unique key, a membership, a read
// marker) gets it first. A create that so misses its answer times out and
// is verified and sent again, or is settled by its message seen stored;
// the other way round, a message never stored would count as delivered.
func (s *Session) notUniqueOwner() string {
	create := ""
	for _, u := range s.pendingOrder {
		p := s.pending[u]
		if p == nil || !p.write {
			continue
		}
		if _, ok := p.req.(createReq); !ok {
			return u
		}
		if create == "" {
			create = u
		}
	}
	return create
}

// dropCreateFor forgets the create request of message id, if one waits
// (the message is known to be stored: its answer no longer matters).
func (s *Session) dropCreateFor(id string) {
	for _, u := range s.pendingOrder {
		if p := s.pending[u]; p != nil {
			if r, ok := p.req.(createReq); ok && r.msgID == id {
				s.finish(u)
				return
			}
		}
	}
}

// timeout handles a request the server did not answer in time.
func (s *Session) timeout(uid string) {
	p, ok := s.pending[uid]
	if !ok {
		return
	}
	s.finish(uid)
	s.log.Debug("realtime: request timed out", "uid", uid, "request", fmt.Sprintf("%T", p.req))
	p.req.timedOut(s)
}

// dropPending settles every request waiting when the connection goes away,
// and puts the message in flight back in the queue.
func (s *Session) dropPending() {
	for uid, p := range s.pending {
		p.timer.Stop()
		delete(s.pending, uid)
		p.req.lost(s)
	}
	s.pendingOrder = nil
	s.pingUID = ""
	for _, o := range s.outbox {
		if o.state == outInFlight {
			o.state = outQueued
		}
	}
}

// updateReq changes the text of a stored message (Edit).
type updateReq struct{ msgID string }

func (r updateReq) answered(s *Session, f *frame, err error) {
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
}

func (r updateReq) timedOut(s *Session) { changeFailed(s, r.msgID, errNoAnswer) }
func (r updateReq) lost(s *Session)     { changeFailed(s, r.msgID, errLostBeforeAnswer) }
func (r updateReq) offline(s *Session)  { changeFailed(s, r.msgID, errOffline) }

// deleteReq removes a stored message (Delete).
type deleteReq struct{ msgID string }

func (r deleteReq) answered(s *Session, _ *frame, err error) {
	if err != nil {
		s.events.push(SendStatus{ID: r.msgID, State: SendFailed, Err: err})
		return
	}
	s.events.push(Deleted{IDs: []string{r.msgID}})
}

func (r deleteReq) timedOut(s *Session) { changeFailed(s, r.msgID, errNoAnswer) }
func (r deleteReq) lost(s *Session)     { changeFailed(s, r.msgID, errLostBeforeAnswer) }
func (r deleteReq) offline(s *Session)  { changeFailed(s, r.msgID, errOffline) }

// Why an edit or a delete failed without an answer from the server.
var (
	errNoAnswer         = &Error{Kind: KindTimeout, Msg: "The server did not answer in time."}
	errLostBeforeAnswer = &Error{Kind: KindUnreachable, Msg: "The connection was lost before the server answered."}
	errOffline          = &Error{Kind: KindUnreachable, Msg: "Offline: try again once the connection is back."}
)

func changeFailed(s *Session, msgID string, err error) {
	s.events.push(SendStatus{ID: msgID, State: SendFailed, Err: err})
}

// verifyReq is a ping sent when a create got no answer: if the server
// answers the ping, it dropped the create (Directus sends no reply to
// invalid payloads); if not, the link is dead.
type verifyReq struct{ msgID string }

// verify sends the ping that tells a dead link from a dropped create.
func (s *Session) verify(msgID string) {
	uid := s.nextUID("verify-")
	s.track(uid, verifyReq{msgID: msgID})
	s.write(pingMsg(uid))
}

func (r verifyReq) answered(s *Session, _ *frame, _ error) { s.verdict(r.msgID) }
func (verifyReq) timedOut(s *Session) {
	s.lost(&Error{Kind: KindTimeout, Msg: "The server stopped answering."})
}
func (verifyReq) lost(*Session)    {}
func (verifyReq) offline(*Session) {}

// isPing reports whether r waits for a pong rather than an items reply.
func isPing(r request) bool {
	_, ok := r.(verifyReq)
	return ok
}

func isInteger(id string) bool {
	_, err := strconv.ParseInt(id, 10, 64)
	return err == nil
}

func isCode(err error, code string) bool {
	var e *Error
	return errors.As(err, &e) && e.Code == code
}
