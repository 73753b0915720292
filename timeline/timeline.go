// Package timeline is the chat history as the UI shows it: messages ordered
// by creation time, de-duplicated by ID, with local messages that are still
// waiting to be sent (or failed) kept at the bottom in the order they were
// typed. It is plain Go, with no UI or network, so it is tested directly.
package timeline

import (
	"slices"

	"directuschat/realtime"
)

// Status is the delivery state of an entry.
type Status int

// Delivery states.
const (
	Sent    Status = iota // stored on the server
	Pending               // typed here, not yet confirmed by the server
	Failed                // refused by the server; can be retried or discarded
)

// Disk says whether a local message would survive quitting the app.
type Disk int

// Where a local message is kept.
const (
	Unsaved  Disk = iota // just typed: the outbox write is not done yet
	Saved                // in the outbox file
	NotSaved             // in memory only: lost if the app quits
)

// Entry is one row of the timeline.
type Entry struct {
	realtime.Message
	Status Status
	Err    string // why it failed, for Failed entries
	Disk   Disk   // for Pending and Failed entries
}

// Timeline holds the loaded history. The zero value is empty and ready.
// It is not safe for concurrent use: the UI owns it on its own thread.
type Timeline struct {
	sent      []Entry         // server messages, ordered by (Created, ID)
	local     []Entry         // pending and failed messages, in typing order
	byID      map[string]bool // ids present in sent
	noOlder   bool            // the server has nothing older than sent[0]
	seq       uint64          // bumped on every change, for cheap change detection
	listeners []func()
}

// Reset empties the timeline (another conversation is shown); listeners
// stay registered and are told.
func (t *Timeline) Reset() {
	t.sent, t.local, t.byID, t.noOlder = nil, nil, nil, false
	t.seq++
	for _, l := range t.listeners {
		l()
	}
}

// Len is the number of rows.
func (t *Timeline) Len() int { return len(t.sent) + len(t.local) }

// At returns row i (0 is the oldest).
func (t *Timeline) At(i int) Entry {
	if i < len(t.sent) {
		return t.sent[i]
	}
	return t.local[i-len(t.sent)]
}

// Oldest returns the oldest stored message, the cursor for loading older pages.
func (t *Timeline) Oldest() (realtime.Message, bool) {
	if len(t.sent) == 0 {
		return realtime.Message{}, false
	}
	return t.sent[0].Message, true
}

// OldestTied returns the oldest stored message and how many loaded
// messages share its creation time (the cursor for the next older page).
func (t *Timeline) OldestTied() (realtime.Message, int, bool) {
	if len(t.sent) == 0 {
		return realtime.Message{}, 0, false
	}
	oldest := t.sent[0].Message
	n := 1
	for n < len(t.sent) && t.sent[n].Created.Equal(oldest.Created) {
		n++
	}
	return oldest, n, true
}

// HasOlder reports whether the server may have messages older than the oldest loaded.
func (t *Timeline) HasOlder() bool { return !t.noOlder }

// Has reports whether a server message with id is loaded.
func (t *Timeline) Has(id string) bool { return t.byID[id] }

// Index returns the row of the message with id, or -1.
func (t *Timeline) Index(id string) int {
	if t.byID[id] {
		for i := range t.sent {
			if t.sent[i].ID == id {
				return i
			}
		}
	}
	for i := range t.local {
		if t.local[i].ID == id {
			return len(t.sent) + i
		}
	}
	return -1
}

// AddPending shows a message typed here before the server has it (Unsaved
// until a Persisted event says where it is kept).
func (t *Timeline) AddPending(m realtime.Message) {
	if t.byID[m.ID] || t.localIndex(m.ID) >= 0 {
		return
	}
	t.local = append(t.local, Entry{Message: m, Status: Pending})
	t.seq++
}

// Unsent counts the local messages (pending or failed) and, of them, those
// not in the outbox file.
func (t *Timeline) Unsent() (all, notSaved int) {
	for _, e := range t.local {
		if e.Disk != Saved {
			notSaved++
		}
	}
	return len(t.local), notSaved
}

// queued shows messages left unsent by an earlier run, before those typed
// in this one (they were typed first); they are in the outbox file.
func (t *Timeline) queued(msgs []realtime.Message) {
	var older []Entry
	for _, m := range msgs {
		if !t.byID[m.ID] && t.localIndex(m.ID) < 0 {
			older = append(older, Entry{Message: m, Status: Pending, Disk: Saved})
		}
	}
	if len(older) > 0 {
		t.local = append(older, t.local...)
		t.seq++
	}
}

func (t *Timeline) persisted(p realtime.Persisted) {
	d := Saved
	if p.Err != nil {
		d = NotSaved
	}
	for _, id := range p.IDs {
		if i := t.localIndex(id); i >= 0 && t.local[i].Disk != d {
			t.local[i].Disk = d
			t.seq++
		}
	}
}

// Apply merges a batch of session events and reports whether anything
// visible changed. Listeners are notified once per call, not per event.
func (t *Timeline) Apply(events []realtime.Event) bool {
	before := t.seq
	for _, ev := range events {
		switch ev := ev.(type) {
		case realtime.Loaded:
			t.merge(ev.Messages)
			if ev.NoOlder && (ev.Kind == realtime.LoadOlder || ev.Kind == realtime.LoadInitial && len(t.sent) <= len(ev.Messages)) {
				if !t.noOlder {
					t.noOlder = true
					t.seq++
				}
			}
		case realtime.Deleted:
			t.remove(ev.IDs)
		case realtime.SendStatus:
			t.setStatus(ev)
		case realtime.Queued:
			t.queued(ev.Messages)
		case realtime.Persisted:
			t.persisted(ev)
		}
	}
	changed := t.seq != before
	if changed {
		for _, l := range t.listeners {
			l()
		}
	}
	return changed
}

// OnChange registers fn to run after every Apply that changed something.
func (t *Timeline) OnChange(fn func()) { t.listeners = append(t.listeners, fn) }

func (t *Timeline) merge(msgs []realtime.Message) {
	if len(msgs) == 0 {
		return
	}
	if t.byID == nil {
		t.byID = make(map[string]bool)
	}
	for _, m := range msgs {
		if i := t.localIndex(m.ID); i >= 0 {
			t.local = slices.Delete(t.local, i, i+1)
			t.seq++
		}
		if t.byID[m.ID] {
			i := t.sentIndex(m)
			if i < 0 {
				// Same id, different timestamp: remove and reinsert.
				t.removeSent(m.ID)
			} else {
				if !t.sent[i].Message.Equal(m) {
					t.sent[i].Message = m
					t.seq++
				}
				continue
			}
		}
		t.insertSent(m)
	}
}

// insertSent places m in order; appends (the common case) are O(1).
func (t *Timeline) insertSent(m realtime.Message) {
	n := len(t.sent)
	if n == 0 || less(t.sent[n-1].Message, m) {
		t.sent = append(t.sent, Entry{Message: m})
	} else {
		i, _ := slices.BinarySearchFunc(t.sent, m, func(e Entry, target realtime.Message) int {
			if less(e.Message, target) {
				return -1
			}
			if e.ID == target.ID {
				return 0
			}
			return 1
		})
		t.sent = slices.Insert(t.sent, i, Entry{Message: m})
	}
	t.byID[m.ID] = true
	t.seq++
}

// sentIndex finds m.ID at m's sort position, or -1.
func (t *Timeline) sentIndex(m realtime.Message) int {
	i, found := slices.BinarySearchFunc(t.sent, m, func(e Entry, target realtime.Message) int {
		if e.ID == target.ID && e.Created.Equal(target.Created) {
			return 0
		}
		if less(e.Message, target) {
			return -1
		}
		return 1
	})
	if !found {
		return -1
	}
	return i
}

func (t *Timeline) removeSent(id string) {
	for i := range t.sent {
		if t.sent[i].ID == id {
			t.sent = slices.Delete(t.sent, i, i+1)
			delete(t.byID, id)
			t.seq++
			return
		}
	}
}

func (t *Timeline) remove(ids []string) {
	for _, id := range ids {
		if t.byID[id] {
			t.removeSent(id)
		}
		if i := t.localIndex(id); i >= 0 {
			t.local = slices.Delete(t.local, i, i+1)
			t.seq++
		}
	}
}

func (t *Timeline) setStatus(s realtime.SendStatus) {
	i := t.localIndex(s.ID)
	switch s.State {
	case realtime.SendDelivered:
		if s.Stored != nil {
			if i >= 0 && s.Stored.ID != s.ID {
				// The server chose its own key (integer keys): drop ours.
				t.local = slices.Delete(t.local, i, i+1)
				t.seq++
			}
			t.merge([]realtime.Message{*s.Stored})
		} else if i >= 0 {
			// Stored by an earlier attempt; the server's copy arrives by
			// event or catch-up. Show it as sent where it stands.
			e := t.local[i]
			t.local = slices.Delete(t.local, i, i+1)
			if !t.byID[e.ID] {
				if t.byID == nil {
					t.byID = make(map[string]bool)
				}
				t.insertSent(e.Message)
			}
			t.seq++
		}
	case realtime.SendFailed:
		if i >= 0 {
			t.local[i].Status = Failed
			t.local[i].Err = realtime.Describe(s.Err)
			t.seq++
		}
	case realtime.SendPending:
		if i >= 0 && t.local[i].Status != Pending {
			t.local[i].Status = Pending
			t.local[i].Err = ""
			t.seq++
		}
	}
}

// Discard drops a local (failed) message.
func (t *Timeline) Discard(id string) {
	if i := t.localIndex(id); i >= 0 {
		t.local = slices.Delete(t.local, i, i+1)
		t.seq++
		for _, l := range t.listeners {
			l()
		}
	}
}

func (t *Timeline) localIndex(id string) int {
	for i := range t.local {
		if t.local[i].ID == id {
			return i
		}
	}
	return -1
}

// less orders messages by creation time, then by id: the same order as the
// server's sort on (date_created, id).
func less(a, b realtime.Message) bool {
	if !a.Created.Equal(b.Created) {
		return a.Created.Before(b.Created)
	}
	return a.ID < b.ID
}
