package realtime

import (
	"errors"
	"time"
)

// catchUpPage is how many messages one catch-up read asks for.
const catchUpPage = 200

// reconcile re-reads, while online, what was created since the last
// reconcile (minus a margin): events a dying server never published.
func (s *Session) reconcile() {
	if s.state != connOnline || s.catchingUp {
		return
	}
	from := s.watermark
	if from.IsZero() {
		// Nothing seen yet: what came since this connection (a zero time
		// is year 1, which PostgreSQL refuses).
		from = s.connectedAt
	}
	if !s.gapFrom.IsZero() && s.gapFrom.Before(from) {
		from = s.gapFrom // the reconnect's catch-up did not get through
	}
	since := from.Add(-s.cfg.CatchUpMargin)
	s.watermark = s.newest
	s.catchUp(since, 0)
}

// catchUp reads messages created since a time, one page at a time, oldest
// first; the consumer merges them by ID.
func (s *Session) catchUp(since time.Time, offset int) {
	s.catchingUp = true
	s.request(catchUpReq{since: since, offset: offset}, readItems(s.cfg.Collection, itemsQuery{
		Fields: s.fields,
		Filter: and(where("date_created", "_gte", formatTime(since)), s.scope()),
		Sort:   []string{"date_created", "id"},
		Limit:  catchUpPage,
		Offset: offset,
	}))
}

// catchUpReq is one page of a catch-up read.
type catchUpReq struct {
	since  time.Time
	offset int
}

func (r catchUpReq) answered(s *Session, f *frame, err error) {
	if err != nil {
		s.catchUpFailed("realtime: catch-up read failed", err)
		return
	}
	msgs, derr := decodeMessages(f.Data)
	if derr != nil {
		s.catchUpFailed("realtime: unreadable catch-up page", derr)
		return
	}
	if len(msgs) > 0 {
		s.emitLoaded(Loaded{Kind: LoadCatchUp, Messages: msgs})
	}
	if len(msgs) >= catchUpPage {
		s.catchUp(r.since, r.offset+len(msgs))
		return
	}
	s.catchingUp = false
	if !s.gapFrom.IsZero() && !r.since.After(s.gapFrom) {
		s.gapFrom = time.Time{} // read past the gap: nothing is missing
		s.catchUpBackoff.Reset()
	}
}

func (catchUpReq) timedOut(s *Session) {
	s.catchUpFailed("realtime: catch-up read timed out", nil)
}

// catchUpFailed ends a catch-up that got no usable answer. If a gap is
// still unread it is tried again after a backoff delay, not only at the
// next periodic reconcile.
func (s *Session) catchUpFailed(msg string, err error) {
	s.catchingUp = false
	s.log.Warn(msg, "err", err)
	if !s.gapFrom.IsZero() && s.catchUpTimer == nil {
		s.catchUpTimer = time.NewTimer(s.catchUpBackoff.NextBackOff())
	}
}

// lost: the next connection catches up from the newest message seen.
func (catchUpReq) lost(s *Session)    { s.catchingUp = false }
func (catchUpReq) offline(s *Session) { s.catchingUp = false }

// checkKnown re-reads cached messages by id: those still there come back
// as they are now (edits), those missing were deleted meanwhile.
func (s *Session) checkKnown(ids []string) {
	s.request(knownReq{ids: ids}, readItems(s.cfg.Collection, itemsQuery{
		Fields: s.fields,
		Filter: where("id", "_in", ids),
		Limit:  len(ids),
	}))
}

// knownReq is the re-read of the cached messages shown before the server answered.
type knownReq struct{ ids []string }

func (r knownReq) answered(s *Session, f *frame, err error) {
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
}

// The cached messages are not re-checked after a timeout or a lost
// connection: catch-up covers new ones, and the next sign-in checks again.
func (knownReq) timedOut(*Session) {}
func (knownReq) lost(*Session)     {}
func (knownReq) offline(*Session)  {}

// loadOlder asks for the page before the oldest message loaded (LoadOlder).
func (s *Session) loadOlder(before Message, tied int) {
	if s.loadingOlder {
		return
	}
	if s.state != connOnline {
		s.events.push(Problem{Err: &Error{Kind: KindUnreachable, Msg: "Offline: older messages load once the connection is back."}})
		return
	}
	s.loadingOlder = true
	s.request(olderReq{offset: tied, channel: before.Channel}, readItems(s.cfg.Collection, itemsQuery{
		Fields: s.fields,
		// uuid keys have no _lt, so the page starts at the oldest timestamp
		// loaded and skips the tied messages of that timestamp already
		// loaded: they come first in this order.
		Filter: and(where("date_created", "_lte", formatTime(before.Created)), s.inChannel(before.Channel)),
		Sort:   []string{"-date_created", "-id"},
		Limit:  s.cfg.PageSize + tied,
	}))
}

// inChannel limits a read to one conversation (none on a single room).
func (s *Session) inChannel(channel string) filter {
	if channel == "" {
		return nil
	}
	return where("channel", "_eq", channel)
}

// olderReq is a page of older messages; offset is how many of it were
// already loaded.
type olderReq struct {
	offset  int
	channel string
}

func (r olderReq) answered(s *Session, f *frame, err error) {
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
	s.emitLoaded(Loaded{Kind: LoadOlder, Channel: r.channel, Messages: msgs, NoOlder: len(msgs) < s.cfg.PageSize+r.offset})
}

func (olderReq) timedOut(s *Session) {
	s.loadingOlder = false
	s.events.push(Problem{Err: &Error{Kind: KindTimeout, Msg: "Older messages did not arrive in time."}})
}

func (olderReq) lost(s *Session) {
	s.loadingOlder = false
	s.events.push(Problem{Err: &Error{Kind: KindUnreachable, Msg: "The connection was lost while loading older messages."}})
}

// offline cannot happen: loadOlder says so before asking.
func (olderReq) offline(s *Session) { s.loadingOlder = false }
