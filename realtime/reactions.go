package realtime

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/google/uuid"
)

// Reactions (issue #13): setup's reactions collection, one row per
// message, user and emoji, with a unique reaction_key
// "<message>:<user>:<emoji>" and a Flow that checks it.
//
// Reads go over the socket, in order with the live events, and the events
// that arrive while a read is on its way are applied to its answer, so a
// read never undoes a newer event. Writes go over REST: the server's
// answer to a create can be RECORD_NOT_UNIQUE, which Directus before 12.4
// sends over the socket without the request's uid, and the session gives
// such an answer to the message create in flight.

const reactionsCollection = "reactions"

// reactionFields is what the session reads of a reaction.
var reactionFields = []string{"id", "message", "user", "emoji"}

// myReactions is the reactions subscription's filter: reactions to
// messages of the user's conversations.
var myReactions = filter{"message": myChannelsMessages}

// Reaction is one person's emoji on one message.
type Reaction struct {
	ID      string
	Message string
	User    string
	Emoji   string
}

// ReactionKey is the reaction's unique key on the server.
func ReactionKey(message, user, emoji string) string { return message + ":" + user + ":" + emoji }

// reactionSpace makes reaction ids from their keys.
var reactionSpace = uuid.MustParse("9a3c1b1e-3f0e-4c52-9d0f-6f1d2b7a4c11")

// ReactionID is the id this client gives a reaction: the same for the same
// message, user and emoji, so the consumer can show it before the server
// has it and match the server's event to it.
func ReactionID(message, user, emoji string) string {
	return uuid.NewSHA1(reactionSpace, []byte(ReactionKey(message, user, emoji))).String()
}

// ReactionsLoaded is every reaction to Messages, read from the server:
// it replaces what the consumer had for them.
type ReactionsLoaded struct {
	Messages  []string
	Reactions []Reaction
}

// ReactionsChanged carries reactions added or removed live (by anyone,
// from any device). Removed are reaction ids; unknown ones are ignored.
type ReactionsChanged struct {
	Added   []Reaction
	Removed []string
}

// ReactionFailed says the server refused (or could not be asked) to add
// or remove the user's reaction: the consumer undoes what it showed.
type ReactionFailed struct {
	Reaction Reaction
	Add      bool
	Err      error
}

func (ReactionsLoaded) event()  {}
func (ReactionsChanged) event() {}
func (ReactionFailed) event()   {}

// React adds the user's emoji to a message. The reaction the consumer
// shows at once is Reaction{ID: ReactionID(...), ...}; ReactionFailed
// undoes it.
func (s *Session) React(message, emoji string) error {
	return s.command(cmdReact{message: message, emoji: emoji, add: true})
}

// Unreact removes the user's reaction r.
func (s *Session) Unreact(r Reaction) error {
	return s.command(cmdReact{message: r.Message, emoji: r.Emoji, id: r.ID})
}

type (
	cmdReact struct {
		message, emoji, id string
		add                bool
	}
	cmdReactDone struct {
		r   Reaction
		add bool
		err error
	}
)

// handleReactionCommand runs the commands above; it reports whether c was
// one.
func (s *Session) handleReactionCommand(c command) bool {
	switch c := c.(type) {
	case cmdReact:
		// One write at a time, in order: a quick add and remove must
		// reach the server in that order.
		s.reactQueue = append(s.reactQueue, c)
		s.nextReaction()
	case cmdReactDone:
		s.reacting = false
		if c.err != nil {
			s.log.Warn("realtime: reaction not saved", "add", c.add, "err", c.err)
			s.events.push(ReactionFailed{Reaction: c.r, Add: c.add, Err: c.err})
		}
		s.nextReaction()
	default:
		return false
	}
	return true
}

// nextReaction starts the next reaction write, if none is on its way.
func (s *Session) nextReaction() {
	for !s.reacting && len(s.reactQueue) > 0 {
		c := s.reactQueue[0]
		s.reactQueue = s.reactQueue[1:]
		s.reacting = s.react(c)
	}
}

// react writes a reaction over REST, off the loop; it reports whether a
// write started.
func (s *Session) react(c cmdReact) bool {
	me := s.User().ID
	r := Reaction{ID: c.id, Message: c.message, User: me, Emoji: c.emoji}
	if c.add {
		r.ID = ReactionID(c.message, me, c.emoji)
	}
	if !s.feat.reactions {
		s.events.push(ReactionFailed{Reaction: r, Add: c.add, Err: &Error{Kind: KindForbidden, Msg: "This server has no reactions (run setup)."}})
		return false
	}
	if s.state != connOnline {
		s.events.push(ReactionFailed{Reaction: r, Add: c.add, Err: &Error{Kind: KindUnreachable, Msg: "Offline: reactions need a connection."}})
		return false
	}
	access := s.tokens.Access
	go func() {
		ctx, cancel := context.WithTimeout(s.ctx, s.cfg.RequestTimeout)
		defer cancel()
		var err error
		if c.add {
			err = s.rest.createReaction(ctx, access, r)
		} else {
			err = s.rest.deleteReaction(ctx, access, r.ID)
		}
		s.cmds.push(cmdReactDone{r: r, add: c.add, err: err})
	}()
	return true
}

// createReaction stores r; one already stored (a double click, another
// device) counts as done.
func (r *REST) createReaction(ctx context.Context, accessToken string, x Reaction) error {
	body := map[string]any{"id": x.ID, "message": x.Message, "emoji": x.Emoji, "reaction_key": ReactionKey(x.Message, x.User, x.Emoji)}
	err := r.do(ctx, http.MethodPost, "/items/"+reactionsCollection+"?fields=id", accessToken, body, nil)
	if isCode(err, "RECORD_NOT_UNIQUE") {
		return nil
	}
	if err != nil {
		return fmt.Errorf("add reaction: %w", err)
	}
	return nil
}

// deleteReaction removes reaction id. Directus answers FORBIDDEN for an id
// that is gone as for one the user may not delete: both leave nothing of
// the user's to remove.
func (r *REST) deleteReaction(ctx context.Context, accessToken, id string) error {
	err := r.do(ctx, http.MethodDelete, "/items/"+reactionsCollection+"/"+url.PathEscape(id), accessToken, nil, nil)
	if err != nil && KindOf(err) != KindForbidden {
		return fmt.Errorf("remove reaction: %w", err)
	}
	return nil
}

// handleReactionsEvent takes a live event of the reactions subscription.
func (s *Session) handleReactionsEvent(f *frame) {
	var ch ReactionsChanged
	switch f.Event {
	case "create", "update":
		rs, err := decodeReactions(f.Data)
		if err != nil {
			s.log.Warn("realtime: unreadable reactions event", "err", err)
			return
		}
		ch.Added = rs
	case "delete":
		ch.Removed = decodeIDs(f.Data)
	default:
		return
	}
	if len(ch.Added) == 0 && len(ch.Removed) == 0 {
		return
	}
	for _, rd := range s.reactionReads {
		rd.seen(ch)
	}
	s.events.push(ch)
}

// readReactions reads the reactions to messages (a page just loaded),
// over the socket.
func (s *Session) readReactions(msgs []Message) {
	if !s.feat.reactions || s.state != connOnline || len(msgs) == 0 {
		return
	}
	const chunk = 100 // ids per request: a filter, not a URL, but kept modest
	for start := 0; start < len(msgs); start += chunk {
		ids := make([]string, 0, min(chunk, len(msgs)-start))
		for _, m := range msgs[start:min(start+chunk, len(msgs))] {
			ids = append(ids, m.ID)
		}
		rd := &reactionRead{ids: ids}
		uid := s.nextUID("")
		s.reactionReads[uid] = rd
		body := readItems(reactionsCollection, itemsQuery{Fields: reactionFields, Filter: where("message", "_in", ids), Limit: -1})
		body.UID = uid
		s.track(uid, reactionsReq{uid: uid})
		s.write(body)
	}
}

// reactionRead is a read of reactions on its way, and the live changes to
// its messages that came meanwhile.
type reactionRead struct {
	ids     []string
	added   []Reaction
	removed []string
}

func (rd *reactionRead) seen(ch ReactionsChanged) {
	for _, r := range ch.Added {
		for _, id := range rd.ids {
			if r.Message == id {
				rd.added = append(rd.added, r)
				break
			}
		}
	}
	rd.removed = append(rd.removed, ch.Removed...)
}

// result is the answer with the changes seen meanwhile applied.
func (rd *reactionRead) result(read []Reaction) ReactionsLoaded {
	gone := map[string]bool{}
	for _, id := range rd.removed {
		gone[id] = true
	}
	out := make([]Reaction, 0, len(read)+len(rd.added))
	have := map[string]bool{}
	for _, r := range append(read, rd.added...) {
		if gone[r.ID] || have[r.ID] {
			continue
		}
		have[r.ID] = true
		out = append(out, r)
	}
	return ReactionsLoaded{Messages: rd.ids, Reactions: out}
}

// reactionsReq is a read of reactions (readReactions).
type reactionsReq struct{ uid string }

func (r reactionsReq) answered(s *Session, f *frame, err error) {
	rd := s.reactionReads[r.uid]
	delete(s.reactionReads, r.uid)
	if rd == nil {
		return
	}
	if err != nil {
		s.log.Warn("realtime: could not read reactions", "err", err)
		return
	}
	read, err := decodeReactions(f.Data)
	if err != nil {
		s.log.Warn("realtime: unreadable reactions", "err", err)
		return
	}
	s.events.push(rd.result(read))
}

func (r reactionsReq) timedOut(s *Session) {
	delete(s.reactionReads, r.uid)
	s.log.Warn("realtime: reading reactions timed out")
}
func (r reactionsReq) lost(s *Session)    { delete(s.reactionReads, r.uid) }
func (r reactionsReq) offline(s *Session) { delete(s.reactionReads, r.uid) }

// wireReaction is a reactions item as Directus sends it.
type wireReaction struct {
	ID      json.RawMessage `json:"id"`
	Message json.RawMessage `json:"message"`
	User    json.RawMessage `json:"user"`
	Emoji   *string         `json:"emoji"`
}

// decodeReactions parses reactions items (an array, or one object). Items
// without an id, message or emoji are left out.
func decodeReactions(data json.RawMessage) ([]Reaction, error) {
	trimmed := strings.TrimSpace(string(data))
	if trimmed == "" || trimmed == "null" {
		return nil, nil
	}
	var wire []wireReaction
	if strings.HasPrefix(trimmed, "{") {
		var one wireReaction
		if err := json.Unmarshal(data, &one); err != nil {
			return nil, fmt.Errorf("decode reaction: %w", err)
		}
		wire = []wireReaction{one}
	} else if err := json.Unmarshal(data, &wire); err != nil {
		return nil, fmt.Errorf("decode reactions: %w", err)
	}
	out := make([]Reaction, 0, len(wire))
	for _, w := range wire {
		r := Reaction{ID: rawIDString(w.ID), Message: relatedID(w.Message), User: relatedID(w.User)}
		if w.Emoji != nil {
			r.Emoji = *w.Emoji
		}
		if r.ID == "" || r.Message == "" || r.Emoji == "" {
			continue
		}
		out = append(out, r)
	}
	packReactions(out)
	return out, nil
}
