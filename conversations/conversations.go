// Package conversations keeps what the sidebar shows: the user's channels
// and direct messages with their unread and mention counts, the public
// channels to browse and the people to write to, updated from the realtime
// session's events. It has no display: the ui package draws it.
package conversations

import (
	"cmp"
	"maps"
	"slices"
	"strings"

	"golang.org/x/text/collate"
	"golang.org/x/text/language"

	"directuschat/realtime"
)

// Row is one conversation in the sidebar.
type Row struct {
	ID       string
	Kind     string // realtime.ChannelPublic, ChannelPrivate or ChannelDirect
	Label    string // "general", or the other person's name
	Topic    string
	Unread   int
	Mentions int
	Muted    bool
	Header   bool // a section title ("Channels", "Direct messages"), not a conversation
}

// Model is the state of the conversations. It is not safe for concurrent
// use: the UI thread owns it.
type Model struct {
	me       string
	channels map[string]realtime.Channel
	mine     map[string]realtime.Membership
	people   map[string]realtime.User
	unread   map[string]int
	mentions map[string]int
	coll     *collate.Collator
}

// New returns an empty model for the signed-in user.
func New(me string) *Model {
	return &Model{me: me, channels: map[string]realtime.Channel{}, mine: map[string]realtime.Membership{},
		people: map[string]realtime.User{}, unread: map[string]int{}, mentions: map[string]int{},
		coll: collate.New(language.Und, collate.IgnoreCase, collate.IgnoreDiacritics)}
}

// Apply takes the events of a batch that concern conversations; it reports
// whether anything the sidebar shows changed.
func (m *Model) Apply(batch []realtime.Event) bool {
	changed := false
	for _, ev := range batch {
		switch ev := ev.(type) {
		case realtime.ChannelsChanged:
			if ev.Full {
				m.channels = map[string]realtime.Channel{}
			}
			for _, c := range ev.Channels {
				m.channels[c.ID] = c
			}
			for _, id := range ev.Removed {
				delete(m.channels, id)
			}
			changed = true
		case realtime.MembershipsChanged:
			if ev.Full {
				m.mine = map[string]realtime.Membership{}
			}
			for _, ms := range ev.Memberships {
				m.mine[ms.Channel] = ms
			}
			for _, id := range ev.Removed {
				delete(m.mine, id)
			}
			changed = true
		case realtime.PeopleLoaded:
			m.people = make(map[string]realtime.User, len(ev.People))
			for _, p := range ev.People {
				m.people[p.ID] = p
			}
			changed = true
		case realtime.UnreadChanged:
			m.unread, m.mentions = maps.Clone(ev.Unread), maps.Clone(ev.Mentions)
			changed = true
		}
	}
	return changed
}

// Member reports whether the user is a member of the conversation.
func (m *Model) Member(id string) bool {
	_, ok := m.mine[id]
	return ok
}

// Membership returns the user's membership of a conversation.
func (m *Model) Membership(id string) (realtime.Membership, bool) {
	ms, ok := m.mine[id]
	return ms, ok
}

// Channel returns a conversation by id.
func (m *Model) Channel(id string) (realtime.Channel, bool) {
	c, ok := m.channels[id]
	return c, ok
}

// Label is how a conversation is named: "general", or for a direct
// conversation the other person's name.
func (m *Model) Label(c realtime.Channel) string {
	if c.Kind != realtime.ChannelDirect {
		if c.Name == "" {
			return "unnamed channel"
		}
		return c.Name
	}
	other := m.other(c)
	if other == m.me {
		return m.PersonName(other) + " (you)"
	}
	return m.PersonName(other)
}

// other is the other person of a direct conversation (the user for a
// conversation with themself).
func (m *Model) other(c realtime.Channel) string {
	a, b, ok := strings.Cut(c.DirectKey, ":")
	if !ok {
		return ""
	}
	if a == m.me {
		return b
	}
	return a
}

// DirectWith is the other person of a direct conversation ("" for channels).
func (m *Model) DirectWith(c realtime.Channel) string {
	if c.Kind != realtime.ChannelDirect {
		return ""
	}
	return m.other(c)
}

// PersonName is a person's full name, or "Someone" when unknown.
func (m *Model) PersonName(id string) string {
	p, ok := m.people[id]
	if !ok {
		return "Someone"
	}
	name := strings.TrimSpace(p.FirstName + " " + p.LastName)
	if name == "" {
		return "Someone"
	}
	return name
}

// Known reports whether a person is known by id.
func (m *Model) Known(id string) bool {
	_, ok := m.people[id]
	return ok
}

// People lists the people other than the user, by name.
func (m *Model) People() []realtime.User {
	out := make([]realtime.User, 0, len(m.people))
	for _, p := range m.people {
		if p.ID != m.me {
			out = append(out, p)
		}
	}
	slices.SortFunc(out, func(a, b realtime.User) int {
		return cmp.Or(m.coll.CompareString(m.PersonName(a.ID), m.PersonName(b.ID)), cmp.Compare(a.ID, b.ID))
	})
	return out
}

// Rows lists the user's conversations as the sidebar shows them: a
// "Channels" section, then "Direct messages", each by name.
func (m *Model) Rows() []Row {
	var chans, directs []Row
	for id := range m.mine {
		c, ok := m.channels[id]
		if !ok {
			continue // read once the server says what it is
		}
		r := Row{ID: id, Kind: c.Kind, Label: m.Label(c), Topic: c.Topic,
			Unread: m.unread[id], Mentions: m.mentions[id], Muted: m.mine[id].Muted}
		if c.Kind == realtime.ChannelDirect {
			directs = append(directs, r)
		} else {
			chans = append(chans, r)
		}
	}
	byLabel := func(a, b Row) int {
		return cmp.Or(m.coll.CompareString(a.Label, b.Label), cmp.Compare(a.ID, b.ID))
	}
	slices.SortFunc(chans, byLabel)
	slices.SortFunc(directs, byLabel)
	rows := make([]Row, 0, len(chans)+len(directs)+2)
	rows = append(rows, Row{Header: true, Label: "Channels"})
	rows = append(rows, chans...)
	rows = append(rows, Row{Header: true, Label: "Direct messages"})
	return append(rows, directs...)
}

// Browse lists the public channels the user is not a member of, by name.
func (m *Model) Browse() []realtime.Channel {
	var out []realtime.Channel
	for id, c := range m.channels {
		if _, member := m.mine[id]; !member && c.Kind == realtime.ChannelPublic {
			out = append(out, c)
		}
	}
	slices.SortFunc(out, func(a, b realtime.Channel) int {
		return cmp.Or(m.coll.CompareString(a.Name, b.Name), cmp.Compare(a.ID, b.ID))
	})
	return out
}

// Totals are the unread messages and mentions over all conversations;
// muted conversations count only their mentions.
func (m *Model) Totals() (unread, mentions int) {
	for id, n := range m.unread {
		if ms, ok := m.mine[id]; ok && !ms.Muted {
			unread += n
		}
	}
	for id, n := range m.mentions {
		if _, ok := m.mine[id]; ok {
			mentions += n
		}
	}
	return unread, mentions
}

// Unread is a conversation's unread count.
func (m *Model) Unread(id string) int { return m.unread[id] }

// Muted reports whether the user muted a conversation.
func (m *Model) Muted(id string) bool { return m.mine[id].Muted }

// NameTaken reports whether a channel with that name (ignoring case) is
// visible to the user.
func (m *Model) NameTaken(name string) bool {
	for _, c := range m.channels {
		if c.Kind != realtime.ChannelDirect && strings.EqualFold(c.Name, name) {
			return true
		}
	}
	return false
}
