package realtime

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
)

// The collections of a team chat, as setup provisions them. A server that
// has them (Permissions.Channels) organises messages in conversations; one
// without them is a single room, as before.
const (
	channelsCollection = "channels"
	membersCollection  = "channel_members"
)

// The kinds of conversation.
const (
	ChannelPublic  = "public"  // anyone in the chat role sees it and may join
	ChannelPrivate = "private" // only members see it
	ChannelDirect  = "direct"  // two people, exactly one conversation for them
)

// Channel is a conversation: a public or private channel, or the direct
// conversation of two people.
type Channel struct {
	ID        string
	Name      string // "" for direct conversations
	Topic     string
	Kind      string // ChannelPublic, ChannelPrivate or ChannelDirect
	DirectKey string // for direct conversations: DirectKey of its two people
	CreatorID string
	Created   time.Time
}

// Membership is the signed-in user's place in a conversation: the read
// marker (kept on the server so every device agrees) and whether it is muted.
type Membership struct {
	ID       string
	Channel  string
	User     string
	LastRead time.Time // zero: nothing read yet
	Muted    bool
}

// DirectKey is the unique key of the direct conversation of two people:
// their ids in order, so both find the same one.
func DirectKey(a, b string) string {
	if b < a {
		a, b = b, a
	}
	return a + ":" + b
}

// memberKey is a membership's unique key (Directus has no composite keys).
func memberKey(channel, user string) string { return channel + ":" + user }

// MentionToken is how a mention of a user is written in a message's text:
// it names the user by id, so it survives renames.
func MentionToken(userID string) string { return "<@" + userID + ">" }

// ChannelsChanged reports conversations seen or changed (all visible ones:
// joined, and public ones to browse). Full is set on the complete list read
// at each (re)connect: channels not in it are gone.
type ChannelsChanged struct {
	Channels []Channel
	Removed  []string
	Full     bool
}

// MembershipsChanged reports the user's memberships (joined, left, read
// markers and mute moved, here or on another device). Full is set on the
// complete list read at each (re)connect.
type MembershipsChanged struct {
	Memberships []Membership
	Removed     []string // channel ids the user is no longer a member of
	Full        bool
}

// PeopleLoaded lists the people the user can write to and mention.
type PeopleLoaded struct{ People []User }

// ChannelMembersLoaded lists the user ids of a conversation's members
// (asked for with Members).
type ChannelMembersLoaded struct {
	Channel string
	Users   []string
}

// UnreadChanged is the number of unread messages, and of those the ones
// that mention the user, per conversation: read from the server at each
// (re)connect and when a read marker moves elsewhere, counted up by live
// messages. Conversations without unread messages are absent.
type UnreadChanged struct {
	Unread   map[string]int
	Mentions map[string]int
}

// Action is a change to the conversations the user asked for.
type Action int

// The actions on conversations.
const (
	ActionCreate Action = iota
	ActionJoin
	ActionLeave
	ActionMute
	ActionDirect
	ActionRename
)

func (a Action) String() string {
	switch a {
	case ActionCreate:
		return "create the channel"
	case ActionJoin:
		return "join the channel"
	case ActionLeave:
		return "leave the conversation"
	case ActionMute:
		return "change notifications"
	case ActionDirect:
		return "open the conversation"
	case ActionRename:
		return "rename the channel"
	}
	return "change the conversation"
}

// ActionDone reports the end of an action: Channel is the conversation it
// made or acted on; Err says why it failed.
type ActionDone struct {
	Action  Action
	Channel string
	Err     error
}

func (ChannelsChanged) event()      {}
func (MembershipsChanged) event()   {}
func (PeopleLoaded) event()         {}
func (ChannelMembersLoaded) event() {}
func (UnreadChanged) event()        {}
func (ActionDone) event()           {}

// The fields read of each collection.
var (
	channelFields = []string{"id", "name", "topic", "kind", "direct_key", "date_created", "user_created"}
	memberFields  = []string{"id", "channel", "user", "last_read_at", "muted"}
)

// The filters that scope reads and subscriptions to the signed-in user.
var (
	myChannelsMessages = filter{"channel": map[string]any{"members": map[string]any{"user": map[string]any{"_eq": "$CURRENT_USER"}}}}
	myMemberships      = where("user", "_eq", "$CURRENT_USER")
)

// markDebounce is how long read markers gather before they are written.
const markDebounce = 500 * time.Millisecond

// channelState is what the loop knows about conversations.
type channelState struct {
	on       bool                  // the server has channels
	channels map[string]Channel    // every visible conversation, by id
	mine     map[string]Membership // the user's memberships, by channel id
	unread   map[string]int
	mentions map[string]int
	counted  map[string]bool      // live messages counted since the last count
	marks    map[string]time.Time // read markers waiting to be written
	// moves counts read-marker moves made here; moved is, per
	// conversation, the count at its last move: a count asked for before
	// it is stale for that conversation.
	moves    int
	moved    map[string]int
	markTime *time.Timer
	open     string // the conversation on screen (its newest page is re-read after a reconnect)
	people   bool   // the people were read
	// readingPeople is set while the people are being read.
	readingPeople bool
}

func newChannelState() channelState {
	return channelState{channels: map[string]Channel{}, mine: map[string]Membership{},
		unread: map[string]int{}, mentions: map[string]int{}, counted: map[string]bool{}, marks: map[string]time.Time{},
		moved: map[string]int{}}
}

// Commands on conversations.
type (
	cmdOpenChannel struct{ id string }
	cmdMarkRead    struct {
		channel string
		at      time.Time
	}
	cmdFlushMarks struct{}
	cmdCreate     struct {
		ch     Channel
		invite []string
	}
	cmdJoin  struct{ channel string }
	cmdLeave struct{ channel string }
	cmdMute  struct {
		channel string
		muted   bool
	}
	cmdDirect  struct{ user string }
	cmdRename  struct{ channel, name, topic string }
	cmdMembers struct{ channel string }
	cmdPeople  struct {
		people []User
		err    error
	}
)

// OpenChannel says which conversation is on screen and reads its newest
// page (a LoadInitial with Channel set); after each reconnect the page is
// read again.
func (s *Session) OpenChannel(id string) error { return s.command(cmdOpenChannel{id}) }

// MarkRead moves the user's read marker of a conversation to at (the time
// of the newest message seen). Markers are written to the server shortly
// after, so other devices of the user agree; a marker never moves back.
func (s *Session) MarkRead(channel string, at time.Time) error {
	return s.command(cmdMarkRead{channel, at})
}

// CreateChannel creates a channel (ChannelPublic or ChannelPrivate) with the
// user and the invited people as members. ActionDone tells how it went.
func (s *Session) CreateChannel(name, topic, kind string, invite []string) error {
	return s.command(cmdCreate{Channel{ID: uuid.NewString(), Name: name, Topic: topic, Kind: kind}, invite})
}

// Join makes the user a member of a public channel.
func (s *Session) Join(channel string) error { return s.command(cmdJoin{channel}) }

// Leave ends the user's membership of a conversation.
func (s *Session) Leave(channel string) error { return s.command(cmdLeave{channel}) }

// SetMuted mutes or unmutes a conversation (mentions still notify).
func (s *Session) SetMuted(channel string, muted bool) error {
	return s.command(cmdMute{channel, muted})
}

// Direct finds or creates the direct conversation with a person; ActionDone
// carries its id.
func (s *Session) Direct(userID string) error { return s.command(cmdDirect{userID}) }

// Rename changes a channel's name and topic (members may); everyone sees
// it through ChannelsChanged.
func (s *Session) Rename(channel, name, topic string) error {
	return s.command(cmdRename{channel, name, topic})
}

// Members reads the members of a conversation (ChannelMembersLoaded).
func (s *Session) Members(channel string) error { return s.command(cmdMembers{channel}) }

// handleChannelCommand runs the commands above; it reports whether c was one.
func (s *Session) handleChannelCommand(c command) bool {
	switch c := c.(type) {
	case cmdOpenChannel:
		s.ch.open = c.id
		s.readNewest(c.id)
		s.pumpOutbox() // messages typed before a conversation was open go to this one
	case cmdMarkRead:
		s.markRead(c.channel, c.at)
	case cmdFlushMarks:
		s.ch.markTime = nil
		s.flushMarks()
	case cmdCreate:
		s.createChannel(c.ch, c.invite, ActionCreate)
	case cmdJoin:
		s.addMembers(c.channel, []string{s.User().ID}, ActionJoin)
	case cmdLeave:
		s.leave(c.channel)
	case cmdMute:
		s.mute(c.channel, c.muted)
	case cmdDirect:
		s.direct(c.user)
	case cmdRename:
		s.request(renameReq{channel: c.channel}, updateOne(channelsCollection, c.channel,
			map[string]any{"name": c.name, "topic": c.topic}, channelFields))
	case cmdPeople:
		s.gotPeople(c)
	case cmdMembers:
		s.request(membersReq(c), readItems(membersCollection, itemsQuery{
			Fields: []string{"user"}, Filter: where("channel", "_eq", c.channel), Limit: -1}))
	default:
		return false
	}
	return true
}

// scope is the filter that limits message reads to the user's conversations:
// their ids once the memberships are known (a plain `channel IN (...)`;
// the relational form makes Directus join and group every message, see
// open), the relational filter before or when there are none.
func (s *Session) scope() filter {
	if !s.ch.on {
		return nil
	}
	if len(s.ch.mine) == 0 {
		return myChannelsMessages
	}
	return where("channel", "_in", slices.Sorted(maps.Keys(s.ch.mine)))
}

// readNewest reads a conversation's newest page.
func (s *Session) readNewest(channel string) {
	if channel == "" || s.state != connOnline {
		return // adopt reads it once online
	}
	s.request(newestReq{channel: channel}, readItems(s.cfg.Collection, itemsQuery{
		Fields: s.fields,
		Filter: where("channel", "_eq", channel),
		Sort:   []string{"-date_created", "-id"},
		Limit:  s.cfg.PageSize,
	}))
}

// newestReq is a conversation's newest page.
type newestReq struct{ channel string }

func (r newestReq) answered(s *Session, f *frame, err error) {
	if err != nil {
		s.events.push(Problem{Err: err})
		return
	}
	msgs, derr := decodeMessages(f.Data)
	if derr != nil {
		s.events.push(Problem{Err: &Error{Kind: KindProtocol, Msg: "The server sent messages this client cannot read.", Err: derr}})
		return
	}
	s.emitLoaded(Loaded{Kind: LoadInitial, Channel: r.channel, Messages: msgs, NoOlder: len(msgs) < s.cfg.PageSize})
}

// A lost or unanswered page is read again when the connection is back.
func (newestReq) timedOut(*Session) {}
func (newestReq) lost(*Session)     {}
func (newestReq) offline(*Session)  {}

// adoptChannels takes the lists read with a new connection.
func (s *Session) adoptChannels(res connectResult) {
	if !s.ch.on {
		return
	}
	s.ch.channels = map[string]Channel{}
	for _, c := range res.channels {
		s.ch.channels[c.ID] = c
	}
	old := s.ch.mine
	s.ch.mine = map[string]Membership{}
	for _, m := range res.members {
		if local, ok := old[m.Channel]; ok && local.LastRead.After(m.LastRead) {
			m.LastRead = local.LastRead // moved here, not written yet (flushMarks below)
		}
		s.ch.mine[m.Channel] = m
	}
	s.events.push(ChannelsChanged{Channels: res.channels, Full: true})
	s.events.push(MembershipsChanged{Memberships: slices.Collect(maps.Values(s.ch.mine)), Full: true})
	if !s.ch.people {
		s.readPeople()
	}
	s.fetchUnknownChannels()
	s.countUnread(nil)
	s.flushMarks()
	s.readNewest(s.ch.open)
}

// handleChannelsEvent takes a live change of the channels subscription.
func (s *Session) handleChannelsEvent(f *frame) {
	switch f.Event {
	case "create", "update":
		chs, err := decodeChannels(f.Data)
		if err != nil {
			s.log.Warn("realtime: unreadable channel event", "err", err)
			return
		}
		for _, c := range chs {
			s.ch.channels[c.ID] = c
		}
		s.events.push(ChannelsChanged{Channels: chs})
	case "delete":
		var gone []string
		for _, id := range decodeIDs(f.Data) {
			if _, ok := s.ch.channels[id]; ok {
				delete(s.ch.channels, id)
				gone = append(gone, id)
				s.forgetMembership(id)
			}
		}
		if len(gone) > 0 {
			s.events.push(ChannelsChanged{Removed: gone})
		}
	}
}

// handleMembersEvent takes a live change of the user's memberships: joined
// or invited (here or elsewhere), left, a read marker moved on another
// device.
func (s *Session) handleMembersEvent(f *frame) {
	switch f.Event {
	case "create", "update":
		ms, err := decodeMemberships(f.Data)
		if err != nil {
			s.log.Warn("realtime: unreadable membership event", "err", err)
			return
		}
		me := s.User().ID
		var changed []Membership
		var recount []string
		for _, m := range ms {
			if m.User != me && me != "" {
				continue
			}
			old, had := s.ch.mine[m.Channel]
			if had && old.LastRead.After(m.LastRead) {
				m.LastRead = old.LastRead // a marker never moves back; ours is on its way
			}
			s.ch.mine[m.Channel] = m
			changed = append(changed, m)
			if !had || m.LastRead.After(old.LastRead) {
				recount = append(recount, m.Channel)
			}
		}
		if len(changed) == 0 {
			return
		}
		s.events.push(MembershipsChanged{Memberships: changed})
		s.fetchUnknownChannels()
		if len(recount) > 0 {
			s.countUnread(recount)
		}
	case "delete":
		// Delete events reach filtered subscriptions for every item: only
		// the user's own memberships count.
		var gone []string
		for _, id := range decodeIDs(f.Data) {
			for ch, m := range s.ch.mine {
				if m.ID == id {
					gone = append(gone, ch)
				}
			}
		}
		for _, ch := range gone {
			s.forgetMembership(ch)
		}
		if len(gone) > 0 {
			s.events.push(MembershipsChanged{Removed: gone})
			s.emitUnread()
		}
	}
}

func (s *Session) forgetMembership(channel string) {
	delete(s.ch.mine, channel)
	delete(s.ch.unread, channel)
	delete(s.ch.mentions, channel)
	delete(s.ch.marks, channel)
}

// fetchUnknownChannels reads the conversations the user became a member
// of without having seen them (a private channel one was invited to is
// visible only once the membership exists).
func (s *Session) fetchUnknownChannels() {
	var ids []string
	for ch := range s.ch.mine {
		if _, ok := s.ch.channels[ch]; !ok {
			ids = append(ids, ch)
		}
	}
	if len(ids) == 0 {
		return
	}
	slices.Sort(ids)
	s.request(channelsReq{}, readItems(channelsCollection, itemsQuery{
		Fields: channelFields, Filter: where("id", "_in", ids), Limit: len(ids)}))
}

// channelsReq reads conversations by id.
type channelsReq struct{}

func (channelsReq) answered(s *Session, f *frame, err error) {
	if err != nil {
		s.log.Warn("realtime: could not read channels", "err", err)
		return
	}
	chs, derr := decodeChannels(f.Data)
	if derr != nil {
		s.log.Warn("realtime: unreadable channels", "err", derr)
		return
	}
	for _, c := range chs {
		s.ch.channels[c.ID] = c
	}
	if len(chs) > 0 {
		s.events.push(ChannelsChanged{Channels: chs})
	}
}
func (channelsReq) timedOut(*Session) {}
func (channelsReq) lost(*Session)     {}
func (channelsReq) offline(*Session)  {}

// countLive counts a live message into the unread tallies.
func (s *Session) countLive(msgs []Message) {
	if !s.ch.on {
		return
	}
	me := s.User().ID
	changed := false
	for _, m := range msgs {
		mem, ok := s.ch.mine[m.Channel]
		if !ok || m.AuthorID == me || !m.Created.After(mem.LastRead) || s.ch.counted[m.ID] {
			continue
		}
		s.ch.counted[m.ID] = true
		s.ch.unread[m.Channel]++
		if me != "" && strings.Contains(m.Text, MentionToken(me)) {
			s.ch.mentions[m.Channel]++
		}
		changed = true
	}
	if changed {
		s.emitUnread()
	}
}

func (s *Session) emitUnread() {
	s.events.push(UnreadChanged{Unread: maps.Clone(s.ch.unread), Mentions: maps.Clone(s.ch.mentions)})
}

// countUnread reads, in one query, how many messages each conversation
// (all when channels is nil) has after its read marker, and in a second
// how many of them mention the user.
func (s *Session) countUnread(channels []string) {
	if channels == nil {
		channels = slices.Sorted(maps.Keys(s.ch.mine))
		s.ch.counted = map[string]bool{}
	}
	if len(channels) == 0 {
		s.emitUnread()
		return
	}
	me := s.User().ID
	var each []filter
	for _, ch := range channels {
		f := where("channel", "_eq", ch)
		if at := s.ch.mine[ch].LastRead; !at.IsZero() {
			f = and(f, where("date_created", "_gt", formatTime(at)))
		}
		each = append(each, f)
	}
	base := and(or(each...), where("user_created", "_neq", me))
	// countDistinct, not count: the read rule on messages follows the
	// channel's members (one-to-many), and Directus's join repeats each
	// message once per member in a plain count (seen on 11.17.4).
	q := itemsQuery{Aggregate: map[string][]string{"countDistinct": {"id"}}, GroupBy: []string{"channel"}, Filter: base, Limit: -1}
	s.request(countReq{channels: channels, moves: s.ch.moves}, readItems(s.cfg.Collection, q))
	q.Filter = and(base, where("text", "_contains", MentionToken(me)))
	s.request(countReq{channels: channels, mentions: true, moves: s.ch.moves}, readItems(s.cfg.Collection, q))
}

// countReq is one of the two count queries.
type countReq struct {
	channels []string
	mentions bool
	moves    int // ch.moves when it was asked
}

func (r countReq) answered(s *Session, f *frame, err error) {
	if err != nil {
		s.log.Warn("realtime: could not count unread messages", "err", err)
		return
	}
	counts, derr := decodeCounts(f.Data)
	if derr != nil {
		s.log.Warn("realtime: unreadable unread counts", "err", derr)
		return
	}
	tally := s.ch.unread
	if r.mentions {
		tally = s.ch.mentions
	}
	for _, ch := range r.channels {
		if s.ch.moved[ch] > r.moves {
			continue // read here since it was asked: the count is stale
		}
		if _, member := s.ch.mine[ch]; member && counts[ch] > 0 {
			tally[ch] = counts[ch]
		} else {
			delete(tally, ch)
		}
	}
	if r.mentions {
		s.emitUnread() // the second answer of the pair
	}
}

// Counts are read again at the next connection.
func (countReq) timedOut(*Session) {}
func (countReq) lost(*Session)     {}
func (countReq) offline(*Session)  {}

// markRead moves a read marker locally at once and writes it soon after.
func (s *Session) markRead(channel string, at time.Time) {
	m, ok := s.ch.mine[channel]
	if !ok || !at.After(m.LastRead) {
		return
	}
	m.LastRead = at
	s.ch.mine[channel] = m
	s.ch.marks[channel] = at
	s.ch.moves++
	s.ch.moved[channel] = s.ch.moves
	s.events.push(MembershipsChanged{Memberships: []Membership{m}})
	if s.ch.unread[channel] > 0 || s.ch.mentions[channel] > 0 {
		delete(s.ch.unread, channel)
		delete(s.ch.mentions, channel)
		s.emitUnread()
	}
	if s.ch.markTime == nil {
		s.ch.markTime = time.AfterFunc(markDebounce, func() { s.cmds.push(cmdFlushMarks{}) })
	}
}

// flushMarks writes the read markers waiting; offline, they wait for the
// next connection.
func (s *Session) flushMarks() {
	if s.state != connOnline {
		return
	}
	for ch, at := range s.ch.marks {
		m, ok := s.ch.mine[ch]
		if !ok {
			delete(s.ch.marks, ch)
			continue
		}
		delete(s.ch.marks, ch)
		s.request(markReq{channel: ch, at: at}, updateOne(membersCollection, m.ID, map[string]any{"last_read_at": formatTime(at)}, memberFields))
	}
}

// markReq writes a read marker.
type markReq struct {
	channel string
	at      time.Time
}

func (r markReq) answered(s *Session, _ *frame, err error) {
	if err != nil {
		s.log.Warn("realtime: could not save the read marker", "err", err)
	}
}

// A marker that did not arrive is written again at the next connection.
func (r markReq) timedOut(s *Session) { s.requeueMark(r) }
func (r markReq) lost(s *Session)     { s.requeueMark(r) }
func (r markReq) offline(s *Session)  { s.requeueMark(r) }

func (s *Session) requeueMark(r markReq) {
	if r.at.After(s.ch.marks[r.channel]) {
		s.ch.marks[r.channel] = r.at
	}
}

// createChannel creates a channel, then its memberships.
func (s *Session) createChannel(c Channel, invite []string, action Action) {
	data := map[string]any{"id": c.ID, "kind": c.Kind}
	if c.Kind == ChannelDirect {
		data["direct_key"] = c.DirectKey
	} else {
		data["name"] = c.Name
		if c.Topic != "" {
			data["topic"] = c.Topic
		}
	}
	me := s.User().ID
	members := []string{me}
	for _, u := range invite {
		if u != me && !slices.Contains(members, u) {
			members = append(members, u)
		}
	}
	s.request(createChannelReq{channel: c.ID, members: members, action: action},
		createOne(channelsCollection, data, []string{"id"}))
}

type createChannelReq struct {
	channel string
	members []string
	action  Action
}

// answered: a private channel cannot be read back before its creator is a
// member, so the server may answer FORBIDDEN to a create it stored; adding
// the members tells.
func (r createChannelReq) answered(s *Session, _ *frame, err error) {
	switch {
	case err == nil || KindOf(err) == KindForbidden:
		s.addMembers(r.channel, r.members, r.action)
	case isCode(err, "RECORD_NOT_UNIQUE") && r.action == ActionDirect:
		// The other person opened it first: find theirs.
		key := DirectKey(r.members[0], r.members[len(r.members)-1])
		s.request(findDirectReq{key: key}, readItems(channelsCollection, itemsQuery{
			Fields: channelFields, Filter: where("direct_key", "_eq", key), Limit: 1}))
	case isCode(err, "RECORD_NOT_UNIQUE"):
		s.events.push(ActionDone{Action: r.action, Channel: r.channel,
			Err: &Error{Kind: KindRejected, Code: "RECORD_NOT_UNIQUE", Msg: "A channel with that name exists (it may be private).", Err: err}})
	default:
		s.events.push(ActionDone{Action: r.action, Channel: r.channel, Err: err})
	}
}

// renameReq changes a channel's name and topic.
type renameReq struct{ channel string }

func (r renameReq) answered(s *Session, f *frame, err error) {
	if isCode(err, "RECORD_NOT_UNIQUE") {
		err = &Error{Kind: KindRejected, Code: "RECORD_NOT_UNIQUE", Msg: "A channel with that name exists (it may be private).", Err: err}
	}
	if err == nil {
		if chs, derr := decodeChannels(f.Data); derr == nil && len(chs) > 0 {
			for _, c := range chs {
				s.ch.channels[c.ID] = c
			}
			s.events.push(ChannelsChanged{Channels: chs})
		}
	}
	s.events.push(ActionDone{Action: ActionRename, Channel: r.channel, Err: err})
}
func (r renameReq) timedOut(s *Session) {
	s.events.push(ActionDone{Action: ActionRename, Channel: r.channel, Err: errNoAnswer})
}
func (r renameReq) lost(s *Session) {
	s.events.push(ActionDone{Action: ActionRename, Channel: r.channel, Err: errLostBeforeAnswer})
}
func (r renameReq) offline(s *Session) {
	s.events.push(ActionDone{Action: ActionRename, Channel: r.channel, Err: errOffline})
}

// findDirectReq reads the direct conversation two people already have.
type findDirectReq struct{ key string }

func (r findDirectReq) answered(s *Session, f *frame, err error) {
	var chs []Channel
	if err == nil {
		chs, err = decodeChannels(f.Data)
	}
	if err == nil && len(chs) == 0 {
		err = &Error{Kind: KindForbidden, Msg: "The conversation exists but you cannot see it."}
	}
	if err != nil {
		s.events.push(ActionDone{Action: ActionDirect, Err: err})
		return
	}
	c := chs[0]
	s.ch.channels[c.ID] = c
	s.events.push(ChannelsChanged{Channels: chs})
	s.events.push(ActionDone{Action: ActionDirect, Channel: c.ID})
}
func (findDirectReq) timedOut(s *Session) {
	s.events.push(ActionDone{Action: ActionDirect, Err: errNoAnswer})
}
func (findDirectReq) lost(s *Session) {
	s.events.push(ActionDone{Action: ActionDirect, Err: errLostBeforeAnswer})
}
func (findDirectReq) offline(s *Session) {
	s.events.push(ActionDone{Action: ActionDirect, Err: errOffline})
}
func (r createChannelReq) timedOut(s *Session) {
	s.events.push(ActionDone{Action: r.action, Channel: r.channel, Err: errNoAnswer})
}
func (r createChannelReq) lost(s *Session) {
	s.events.push(ActionDone{Action: r.action, Channel: r.channel, Err: errLostBeforeAnswer})
}
func (r createChannelReq) offline(s *Session) {
	s.events.push(ActionDone{Action: r.action, Channel: r.channel, Err: errOffline})
}

// addMembers makes people members of a conversation.
func (s *Session) addMembers(channel string, users []string, action Action) {
	rows := make([]map[string]any, 0, len(users))
	for _, u := range users {
		rows = append(rows, map[string]any{"id": uuid.NewString(), "channel": channel, "user": u, "member_key": memberKey(channel, u)})
	}
	s.request(actionReq{channel: channel, action: action}, createMany(membersCollection, rows, memberFields))
}

// leave ends the user's membership.
func (s *Session) leave(channel string) {
	m, ok := s.ch.mine[channel]
	if !ok {
		s.events.push(ActionDone{Action: ActionLeave, Channel: channel})
		return
	}
	s.request(actionReq{channel: channel, action: ActionLeave}, deleteItem(membersCollection, m.ID))
}

// mute changes whether a conversation notifies.
func (s *Session) mute(channel string, muted bool) {
	m, ok := s.ch.mine[channel]
	if !ok {
		return
	}
	s.request(actionReq{channel: channel, action: ActionMute}, updateOne(membersCollection, m.ID, map[string]any{"muted": muted}, memberFields))
}

// direct opens the direct conversation with a person, creating it when
// there is none yet.
func (s *Session) direct(user string) {
	key := DirectKey(s.User().ID, user)
	for _, c := range s.ch.channels {
		if c.Kind == ChannelDirect && c.DirectKey == key {
			if _, member := s.ch.mine[c.ID]; member {
				s.events.push(ActionDone{Action: ActionDirect, Channel: c.ID})
				return
			}
		}
	}
	s.createChannel(Channel{ID: uuid.NewString(), Kind: ChannelDirect, DirectKey: key}, []string{user}, ActionDirect)
}

// actionReq is a membership change; its answer ends the action. The
// change itself arrives through the memberships subscription.
type actionReq struct {
	channel string
	action  Action
}

func (r actionReq) answered(s *Session, f *frame, err error) {
	if err == nil && r.action == ActionLeave {
		s.forgetMembership(r.channel)
		s.events.push(MembershipsChanged{Removed: []string{r.channel}})
		s.emitUnread()
	}
	if err == nil && (r.action == ActionJoin || r.action == ActionCreate || r.action == ActionDirect || r.action == ActionMute) {
		if ms, derr := decodeMemberships(f.Data); derr == nil {
			s.takeOwnMemberships(ms)
		}
	}
	s.events.push(ActionDone{Action: r.action, Channel: r.channel, Err: err})
}
func (r actionReq) timedOut(s *Session) {
	s.events.push(ActionDone{Action: r.action, Channel: r.channel, Err: errNoAnswer})
}
func (r actionReq) lost(s *Session) {
	s.events.push(ActionDone{Action: r.action, Channel: r.channel, Err: errLostBeforeAnswer})
}
func (r actionReq) offline(s *Session) {
	s.events.push(ActionDone{Action: r.action, Channel: r.channel, Err: errOffline})
}

// takeOwnMemberships applies the user's memberships from an answer (the
// subscription reports them too; whichever comes first wins, the second
// changes nothing).
func (s *Session) takeOwnMemberships(ms []Membership) {
	me := s.User().ID
	var changed []Membership
	var fresh []string
	for _, m := range ms {
		if m.User != me {
			continue
		}
		old, had := s.ch.mine[m.Channel]
		if had && old.LastRead.After(m.LastRead) {
			m.LastRead = old.LastRead
		}
		if had && old == m {
			continue
		}
		s.ch.mine[m.Channel] = m
		changed = append(changed, m)
		if !had {
			fresh = append(fresh, m.Channel)
		}
	}
	if len(changed) == 0 {
		return
	}
	s.events.push(MembershipsChanged{Memberships: changed})
	s.fetchUnknownChannels()
	if len(fresh) > 0 {
		s.countUnread(fresh)
	}
}

// membersReq reads a conversation's members.
type membersReq struct{ channel string }

func (r membersReq) answered(s *Session, f *frame, err error) {
	if err != nil {
		s.log.Warn("realtime: could not read members", "err", err)
		return
	}
	var rows []struct {
		User json.RawMessage `json:"user"`
	}
	if json.Unmarshal(f.Data, &rows) != nil {
		return
	}
	users := make([]string, 0, len(rows))
	for _, r := range rows {
		if id := relatedID(r.User); id != "" {
			users = append(users, id)
		}
	}
	s.events.push(ChannelMembersLoaded{Channel: r.channel, Users: users})
}
func (membersReq) timedOut(*Session) {}
func (membersReq) lost(*Session)     {}
func (membersReq) offline(*Session)  {}

// readPeople reads the people the user can write to, over REST, off the
// loop; the answer comes back as a command.
func (s *Session) readPeople() {
	if s.ch.readingPeople {
		return
	}
	s.ch.readingPeople = true
	access := s.tokens.Access
	go func() {
		ctx, cancel := context.WithTimeout(s.ctx, s.cfg.RequestTimeout)
		defer cancel()
		people, err := s.rest.People(ctx, access)
		s.cmds.push(cmdPeople{people, err})
	}()
}

// gotPeople takes the answer of readPeople.
func (s *Session) gotPeople(c cmdPeople) {
	s.ch.readingPeople = false
	if c.err != nil {
		s.log.Warn("realtime: could not read people", "err", c.err)
		return
	}
	s.ch.people = true
	s.events.push(PeopleLoaded{People: c.people})
}

// wireChannel and wireMembership are the items as Directus sends them.
type wireChannel struct {
	ID          json.RawMessage `json:"id"`
	Name        *string         `json:"name"`
	Topic       *string         `json:"topic"`
	Kind        string          `json:"kind"`
	DirectKey   *string         `json:"direct_key"`
	DateCreated string          `json:"date_created"`
	UserCreated json.RawMessage `json:"user_created"`
}

type wireMembership struct {
	ID         json.RawMessage `json:"id"`
	Channel    json.RawMessage `json:"channel"`
	User       json.RawMessage `json:"user"`
	LastReadAt *string         `json:"last_read_at"`
	Muted      json.RawMessage `json:"muted"`
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// decodeItems parses an array of items or a single item.
func decodeItems[T any](data json.RawMessage) ([]T, error) {
	trimmed := strings.TrimSpace(string(data))
	if trimmed == "" || trimmed == "null" {
		return nil, nil
	}
	if strings.HasPrefix(trimmed, "{") {
		var one T
		if err := json.Unmarshal(data, &one); err != nil {
			return nil, err
		}
		return []T{one}, nil
	}
	var many []T
	err := json.Unmarshal(data, &many)
	return many, err
}

func decodeChannels(data json.RawMessage) ([]Channel, error) {
	wire, err := decodeItems[wireChannel](data)
	if err != nil {
		return nil, fmt.Errorf("decode channels: %w", err)
	}
	out := make([]Channel, 0, len(wire))
	for _, w := range wire {
		c := Channel{ID: rawIDString(w.ID), Name: str(w.Name), Topic: str(w.Topic), Kind: w.Kind,
			DirectKey: str(w.DirectKey), CreatorID: relatedID(w.UserCreated)}
		if c.ID == "" {
			continue
		}
		if t, err := parseTime(w.DateCreated); err == nil {
			c.Created = t
		}
		switch c.Kind {
		case ChannelPublic, ChannelPrivate, ChannelDirect:
		default:
			c.Kind = ChannelPrivate // unknown kinds are shown as closed
		}
		out = append(out, c)
	}
	return out, nil
}

func decodeMemberships(data json.RawMessage) ([]Membership, error) {
	wire, err := decodeItems[wireMembership](data)
	if err != nil {
		return nil, fmt.Errorf("decode memberships: %w", err)
	}
	out := make([]Membership, 0, len(wire))
	for _, w := range wire {
		m := Membership{ID: rawIDString(w.ID), Channel: relatedID(w.Channel), User: relatedID(w.User)}
		if m.ID == "" || m.Channel == "" {
			continue
		}
		if w.LastReadAt != nil && *w.LastReadAt != "" {
			if t, err := parseTime(*w.LastReadAt); err == nil {
				m.LastRead = t
			}
		}
		switch strings.TrimSpace(string(w.Muted)) {
		case "true", "1", `"1"`, `"true"`:
			m.Muted = true
		}
		out = append(out, m)
	}
	return out, nil
}

// decodeCounts parses a grouped count: [{"channel": id, "countDistinct": {"id": n}}]
// (n a number or a string, by database).
func decodeCounts(data json.RawMessage) (map[string]int, error) {
	var rows []struct {
		Channel json.RawMessage `json:"channel"`
		Count   json.RawMessage `json:"countDistinct"`
	}
	if err := json.Unmarshal(data, &rows); err != nil {
		return nil, fmt.Errorf("decode counts: %w", err)
	}
	out := map[string]int{}
	for _, r := range rows {
		raw := r.Count
		var obj map[string]json.RawMessage
		if json.Unmarshal(raw, &obj) == nil {
			for _, v := range obj {
				raw = v
			}
		}
		n, err := strconv.Atoi(strings.Trim(strings.TrimSpace(string(raw)), `"`))
		if err != nil {
			return nil, fmt.Errorf("decode counts: %q is not a number", raw)
		}
		out[relatedID(r.Channel)] = n
	}
	return out, nil
}
