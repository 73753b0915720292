// Package reactions keeps who reacted how to the messages on screen (issue
// #13), from the session's reaction events and the user's own clicks shown
// before the server answers, and says which emoji a reaction may be.
package reactions

import (
	"slices"
	"unicode/utf16"
	"unicode/utf8"

	"directuschat/realtime"
)

// Quick are the reactions offered first, one click away.
var Quick = []string{"👍", "❤️", "😂", "🎉", "😮", "😢"}

// Picker are the reactions the picker offers.
var Picker = []string{
	"👍", "👎", "❤️", "😂", "🎉", "😮", "😢", "😡",
	"🙏", "👏", "🔥", "✅", "❌", "👀", "🚀", "💯",
	"😀", "😅", "😉", "😍", "🤔", "🙄", "😴", "🤯",
	"🥳", "😎", "🤝", "💪", "👌", "✨", "⭐", "💡",
	"☕", "🍕", "🐛", "⚠️", "📌", "🎯", "🙌", "👋",
}

// MaxUnits is the longest reaction in UTF-16 code units, as the server
// checks it (provision.MaxEmojiUnits).
const MaxUnits = 16

// Valid reports whether s may be a reaction: what the server's Flow
// accepts (1 to MaxUnits UTF-16 units; no ASCII but in a keycap, no space,
// control or formatting character but the emoji joiner and variation
// selectors), so that a reaction written by another client can never carry
// text, bidirectional overrides or a layout-breaking run.
func Valid(s string) bool {
	if s == "" || !utf8.ValidString(s) {
		return false
	}
	if n := len(utf16.Encode([]rune(s))); n > MaxUnits {
		return false
	}
	rs := []rune(s)
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		// A keycap: #, * or a digit, an optional VS16, then U+20E3.
		if r == '#' || r == '*' || (r >= '0' && r <= '9') {
			j := i + 1
			if j < len(rs) && rs[j] == 0xFE0F {
				j++
			}
			if j < len(rs) && rs[j] == 0x20E3 {
				i = j
				continue
			}
			return false
		}
		if forbidden(r) {
			return false
		}
	}
	return true
}

// forbidden are the characters the server's check refuses.
func forbidden(r rune) bool {
	switch {
	case r <= 0xA0, r == 0xAD, r == 0x61C, r == 0x115F, r == 0x1160, r == 0x180E,
		r >= 0x2000 && r <= 0x200C, r == 0x200E, r == 0x200F,
		r >= 0x2028 && r <= 0x202F, r >= 0x205F && r <= 0x206F,
		r == 0x3000, r == 0x3164, r == 0xFEFF, r >= 0xFFF9 && r <= 0xFFFB:
		return true
	}
	return false
}

// Chip is one emoji under a message: who used it, in the order they did.
type Chip struct {
	Emoji string
	Users []string // user ids
	Mine  bool     // the signed-in user is among them
}

// Count is how many people reacted with the chip's emoji.
func (c Chip) Count() int { return len(c.Users) }

// key identifies a reaction by what it means, not by its id: the same
// person's same emoji on the same message is one reaction however it was
// made.
type key struct{ message, user, emoji string }

// Tally is the reactions to the loaded messages. The zero value is not
// ready: use New. It is not safe for concurrent use (the UI owns it).
type Tally struct {
	me    string
	byMsg map[string][]realtime.Reaction // in the order they were learnt
	byID  map[string]key
}

// New is an empty tally for the signed-in user me.
func New(me string) *Tally {
	return &Tally{me: me, byMsg: map[string][]realtime.Reaction{}, byID: map[string]key{}}
}

// Apply takes the session's events and returns the messages whose
// reactions changed. Reactions that are not Valid are left out.
func (t *Tally) Apply(events []realtime.Event) []string {
	var changed []string
	note := func(id string) {
		if !slices.Contains(changed, id) {
			changed = append(changed, id)
		}
	}
	for _, ev := range events {
		switch ev := ev.(type) {
		case realtime.ReactionsLoaded:
			for _, id := range ev.Messages {
				if t.forget(id) {
					note(id)
				}
			}
			for _, r := range ev.Reactions {
				if t.Add(r) {
					note(r.Message)
				}
			}
		case realtime.ReactionsChanged:
			for _, r := range ev.Added {
				if t.Add(r) {
					note(r.Message)
				}
			}
			for _, id := range ev.Removed {
				if msg, ok := t.Remove(id); ok {
					note(msg)
				}
			}
		case realtime.ReactionFailed:
			// Undo what the click showed.
			if ev.Add {
				if msg, ok := t.removeKey(key{ev.Reaction.Message, ev.Reaction.User, ev.Reaction.Emoji}); ok {
					note(msg)
				}
			} else if t.Add(ev.Reaction) {
				note(ev.Reaction.Message)
			}
		case realtime.Deleted:
			for _, id := range ev.IDs {
				if t.forget(id) {
					note(id)
				}
			}
		}
	}
	return changed
}

// Add records r; it reports whether anything changed.
func (t *Tally) Add(r realtime.Reaction) bool {
	if !Valid(r.Emoji) || r.Message == "" || r.User == "" {
		return false
	}
	k := key{r.Message, r.User, r.Emoji}
	for i, have := range t.byMsg[r.Message] {
		if have.User == r.User && have.Emoji == r.Emoji {
			if have.ID != r.ID {
				// The server's row for a reaction shown before it answered:
				// keep its id for removing it.
				delete(t.byID, have.ID)
				t.byMsg[r.Message][i].ID = r.ID
				t.byID[r.ID] = k
			}
			return false
		}
	}
	t.byMsg[r.Message] = append(t.byMsg[r.Message], r)
	t.byID[r.ID] = k
	return true
}

// Remove forgets reaction id; it returns its message.
func (t *Tally) Remove(id string) (string, bool) {
	k, ok := t.byID[id]
	if !ok {
		return "", false
	}
	return t.removeKey(k)
}

func (t *Tally) removeKey(k key) (string, bool) {
	rs := t.byMsg[k.message]
	i := slices.IndexFunc(rs, func(r realtime.Reaction) bool { return r.User == k.user && r.Emoji == k.emoji })
	if i < 0 {
		return "", false
	}
	delete(t.byID, rs[i].ID)
	rs = slices.Delete(rs, i, i+1)
	if len(rs) == 0 {
		delete(t.byMsg, k.message)
	} else {
		t.byMsg[k.message] = rs
	}
	return k.message, true
}

// forget drops every reaction to message.
func (t *Tally) forget(message string) bool {
	rs, ok := t.byMsg[message]
	for _, r := range rs {
		delete(t.byID, r.ID)
	}
	delete(t.byMsg, message)
	return ok
}

// Forget drops the reactions to messages no longer loaded (a conversation
// left on screen for another), keeping memory to what is shown.
func (t *Tally) Forget(messages []string) {
	for _, m := range messages {
		t.forget(m)
	}
}

// Of returns the chips under message, in the order their emoji were first
// used.
func (t *Tally) Of(message string) []Chip {
	rs := t.byMsg[message]
	if len(rs) == 0 {
		return nil
	}
	var chips []Chip
	for _, r := range rs {
		i := slices.IndexFunc(chips, func(c Chip) bool { return c.Emoji == r.Emoji })
		if i < 0 {
			chips = append(chips, Chip{Emoji: r.Emoji})
			i = len(chips) - 1
		}
		chips[i].Users = append(chips[i].Users, r.User)
		if r.User == t.me {
			chips[i].Mine = true
		}
	}
	return chips
}

// Has reports whether message has any reaction.
func (t *Tally) Has(message string) bool { return len(t.byMsg[message]) > 0 }

// Mine returns the signed-in user's reaction with emoji to message.
func (t *Tally) Mine(message, emoji string) (realtime.Reaction, bool) {
	for _, r := range t.byMsg[message] {
		if r.User == t.me && r.Emoji == emoji {
			return r, true
		}
	}
	return realtime.Reaction{}, false
}

// Toggle records the user's click on emoji under message before the
// server answers: it returns the reaction to send and whether it is added
// (false: removed). Send it with Session.React or Session.Unreact; a
// ReactionFailed undoes it.
func (t *Tally) Toggle(message, emoji string) (realtime.Reaction, bool) {
	if r, ok := t.Mine(message, emoji); ok {
		t.removeKey(key{message, t.me, emoji})
		return r, false
	}
	r := realtime.Reaction{ID: realtime.ReactionID(message, t.me, emoji), Message: message, User: t.me, Emoji: emoji}
	t.Add(r)
	return r, true
}
