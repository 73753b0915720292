package realtime

import (
	"errors"
	"fmt"
	"slices"
	"time"
)

// OutboxStore keeps unsent messages across restarts, in typing order.
type OutboxStore interface {
	Load() ([]Message, error)
	Put(Message) error
	Remove(id string) error
}

type outState int

const (
	outQueued outState = iota
	outInFlight
	outFailed
	outUploading // its files are uploading (uploads.go); the create comes next
)

// outgoing is a message typed here that the server does not have yet.
type outgoing struct {
	msg   Message
	state outState
	saved bool // in the outbox file

	// Attachments (uploads.go): the files uploaded in this run, by id;
	// the upload on its way (outUploading); whether files of it may be on
	// the server (an upload began, or an earlier run's outbox had it), so
	// that a discard deletes them.
	uploaded   map[string]bool
	upload     *upload
	mayUpload  bool
	createSent bool // a create went out: the server may hold the message
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
		older = append(older, &outgoing{msg: msgs[i], saved: true, mayUpload: len(msgs[i].Files) > 0})
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

// queueOutgoing takes a message typed here (Send).
func (s *Session) queueOutgoing(m Message) {
	s.outbox = append(s.outbox, &outgoing{msg: m})
	s.saveOutbox()
	s.pumpOutbox()
}

// retryOutgoing queues a failed message again, last, with the same ID.
func (s *Session) retryOutgoing(id string) {
	o := s.findOutgoing(id)
	if o == nil || o.state != outFailed {
		return
	}
	s.removeOutgoing(id)
	o.state = outQueued
	s.outbox = append(s.outbox, o)
	s.events.push(SendStatus{ID: id, State: SendPending})
	s.pumpOutbox()
}

// discardOutgoing forgets a failed message, or one with files whose
// create has not gone out: its upload is cancelled and the files it may
// have uploaded are deleted.
func (s *Session) discardOutgoing(id string) {
	o := s.findOutgoing(id)
	if o == nil {
		return
	}
	switch {
	case o.state == outFailed:
	case o.state == outUploading:
	case o.state == outQueued && len(o.msg.Files) > 0 && !o.createSent:
	default:
		return
	}
	s.forgetOutgoing(id)
	s.discardUploads(o)
	s.pumpOutbox()
}

// pumpOutbox sends the oldest queued message when nothing is in flight
// and sends are not held after a server failure (sendLater): one at a time
// keeps them in order.
func (s *Session) pumpOutbox() {
	if s.state != connOnline || s.sendTimer != nil {
		return
	}
	for _, o := range s.outbox {
		if o.state == outInFlight || o.state == outUploading {
			return
		}
	}
	for _, o := range s.outbox {
		if o.state != outQueued {
			continue
		}
		if len(o.msg.Files) > 0 {
			if err := s.canAttach(); err != nil {
				o.state = outFailed
				s.events.push(SendStatus{ID: o.msg.ID, State: SendFailed, Err: err})
				continue
			}
		}
		if s.ch.on && o.msg.Channel == "" {
			// Typed before the server said it has conversations (a
			// remembered session without its cache): it goes to the
			// conversation opened first; until then it waits, and so do
			// the ones after it, to keep their order.
			if s.ch.open == "" {
				return
			}
			o.msg.Channel = s.ch.open
			if s.store != nil {
				if err := s.store.Put(o.msg); err != nil {
					s.log.Warn("realtime: could not note a message's conversation in the outbox", "err", err)
				}
			}
		}
		if s.startUpload(o) {
			return
		}
		o.state = outInFlight
		o.createSent = true
		data := itemData{ID: o.msg.ID, Text: o.msg.Text, Channel: o.msg.Channel, ReplyTo: o.msg.ReplyTo}
		if len(o.msg.Files) > 0 {
			data.Files = fileIDs(o.msg.Files)
		}
		if s.intKeys {
			data.ID = "" // the server picks integer keys itself
		}
		s.log.Debug("realtime: sending a message", "id", o.msg.ID)
		s.request(createReq{msgID: o.msg.ID}, createItem(s.cfg.Collection, data, s.fields))
		return
	}
}

// createReq stores the message in flight (one at a time).
type createReq struct{ msgID string }

// answered settles the message in flight. A create that the server
// reports as a duplicate was stored by an earlier attempt: delivered. One
// the server failed to store (an internal error) waits and goes out again;
// any other error fails it.
func (r createReq) answered(s *Session, f *frame, err error) {
	id := r.msgID
	o := s.findOutgoing(id)
	s.log.Debug("realtime: a message's create was answered", "id", id, "queued", o != nil, "err", err)
	if o == nil {
		return
	}
	if !transient(err) {
		s.sendsWork()
	}
	switch {
	case err == nil:
		msgs, _ := decodeMessages(f.Data)
		var stored *Message
		s.forgetOutgoing(id)
		if len(msgs) > 0 {
			stored = &msgs[0]
			s.emitLoaded(Loaded{Kind: LoadLive, Messages: msgs[:1]})
		}
		s.events.push(SendStatus{ID: id, State: SendDelivered, Stored: stored})
	case isCode(err, "RECORD_NOT_UNIQUE"):
		s.log.Info("realtime: a retried message was already stored", "id", id)
		s.forgetOutgoing(id)
		s.events.push(SendStatus{ID: id, State: SendDelivered})
	case transient(err):
		s.sendLater(o, err)
	default:
		o.state = outFailed
		s.events.push(SendStatus{ID: id, State: SendFailed, Err: err})
	}
	s.pumpOutbox()
}

// timedOut: either the link is dead or the server silently dropped an
// invalid request: a ping tells which (verifyReq).
func (r createReq) timedOut(s *Session) { s.verify(r.msgID) }

// lost: the message goes back to the queue (dropPending) and is sent
// again, with the same ID, once online.
func (createReq) lost(*Session) {}

// offline cannot happen: pumpOutbox sends only while online.
func (createReq) offline(*Session) {}

// verdict: the server answered a ping but never answered the create.
// Directus answers nothing when a request fails with an error it does not
// know, which is what its database being away looks like ("WebSocket
// unhandled exception", ECONNREFUSED), and also what a payload it cannot
// take may get: the send waits and goes out again, and fails only after
// SendRetryFor of such failures.
func (s *Session) verdict(id string) {
	o := s.findOutgoing(id)
	if o == nil || o.state != outInFlight {
		return
	}
	s.sendLater(o, errNotAccepted)
	s.pumpOutbox()
}

// errNotAccepted: a create the server never answered while it answered pings.
var errNotAccepted = &Error{Kind: KindRejected, Msg: "The server did not accept the message."}

// sendLater handles a send the server failed to store: the message goes
// back to its place at the head of the queue (nothing typed after it
// passes it) and the outbox holds for the next backoff delay, with a
// status saying why (SendStatus pending with Err, and Problem). Once the
// server has failed sends for SendRetryFor, counted from the later of the
// first failure and the current connection's start (time spent offline
// does not count), the message fails as any refused one, so that a
// message the server never takes does not hold the others for ever.
func (s *Session) sendLater(o *outgoing, err error) {
	now := time.Now()
	if s.sendTrouble.IsZero() {
		s.sendTrouble = now
	}
	since := s.sendTrouble
	if s.connectedAt.After(since) {
		since = s.connectedAt
	}
	id := o.msg.ID
	if now.Sub(since) >= s.cfg.SendRetryFor {
		s.log.Warn("realtime: the server has not stored messages for too long; the send is marked failed",
			"id", id, "failing_since", s.sendTrouble, "err", err)
		o.state = outFailed
		s.events.push(SendStatus{ID: id, State: SendFailed, Err: err})
		return
	}
	o.state = outQueued
	delay := s.sendBackoff.NextBackOff()
	stopTimer(&s.sendTimer)
	s.sendTimer = time.NewTimer(delay)
	s.log.Warn("realtime: the server could not store a message; it is sent again later",
		"id", id, "retry_in", delay, "err", err)
	wait := waitingErr(err, s.waiting())
	s.events.push(SendStatus{ID: id, State: SendPending, Err: wait}, Problem{Err: wait})
}

// sendsWork notes that the server settled a send (stored or refused it):
// the next failure starts a new backoff and a new SendRetryFor.
func (s *Session) sendsWork() {
	if !s.sendTrouble.IsZero() {
		s.log.Info("realtime: the server takes messages again", "failing_since", s.sendTrouble)
	}
	s.sendTrouble = time.Time{}
	s.sendBackoff.Reset()
}

// waiting counts the messages that wait to be sent (not failed).
func (s *Session) waiting() int {
	n := 0
	for _, o := range s.outbox {
		if o.state != outFailed {
			n++
		}
	}
	return n
}

// waitingErr says, for the status line, that n messages wait because the
// server could not store them (cause: what it answered, or errNotAccepted).
func waitingErr(cause error, n int) *Error {
	what := "1 message waits"
	if n != 1 {
		what = fmt.Sprintf("%d messages wait", n)
	}
	var uf *uploadFailure
	if errors.As(cause, &uf) {
		return &Error{Kind: KindServer, Msg: fmt.Sprintf("The file %q could not be uploaded: %s and will be sent again automatically.", uf.name, what), Err: cause}
	}
	why := "it did not answer"
	switch {
	case isCode(cause, "REQUESTS_EXCEEDED"):
		why = "it is rate limiting this client"
	case isCode(cause, "SERVICE_UNAVAILABLE"):
		why = "it is overloaded or unavailable"
	case cause != errNotAccepted:
		why = "it reported an internal error"
	}
	e := &Error{Kind: KindServer, Msg: fmt.Sprintf("The server cannot store messages right now (%s): %s and will be sent again automatically.", why, what), Err: cause}
	if ce, ok := cause.(*Error); ok {
		e.Code = ce.Code
	}
	return e
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

// unsent lists the messages the server does not have, in typing order.
func (s *Session) unsent() []Message {
	out := make([]Message, 0, len(s.outbox))
	for _, o := range s.outbox {
		out = append(out, o.msg)
	}
	return out
}
