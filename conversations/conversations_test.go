package conversations

import (
	"testing"

	"directuschat/realtime"
)

const (
	ada   = "00000000-0000-0000-0000-00000000000a"
	kevin = "00000000-0000-0000-0000-00000000000b"
	grace = "00000000-0000-0000-0000-00000000000c"
)

func sample() *Model {
	m := New(ada)
	m.Apply([]realtime.Event{
		realtime.PeopleLoaded{People: []realtime.User{
			{ID: ada, FirstName: "Ada", LastName: "Lovelace"},
			{ID: kevin, FirstName: "Kevin", LastName: "Lewis"},
			{ID: grace, FirstName: "Grace", LastName: "Hopper"},
		}},
		realtime.ChannelsChanged{Full: true, Channels: []realtime.Channel{
			{ID: "g", Name: "general", Kind: realtime.ChannelPublic},
			{ID: "r", Name: "Random", Kind: realtime.ChannelPublic},
			{ID: "e", Name: "écoles", Kind: realtime.ChannelPublic},
			{ID: "p", Name: "secret", Kind: realtime.ChannelPrivate},
			{ID: "d", Kind: realtime.ChannelDirect, DirectKey: realtime.DirectKey(ada, kevin)},
			{ID: "x", Name: "unjoined", Kind: realtime.ChannelPublic},
		}},
		realtime.MembershipsChanged{Full: true, Memberships: []realtime.Membership{
			{ID: "m1", Channel: "g", User: ada},
			{ID: "m2", Channel: "r", User: ada, Muted: true},
			{ID: "m3", Channel: "e", User: ada},
			{ID: "m4", Channel: "p", User: ada},
			{ID: "m5", Channel: "d", User: ada},
		}},
	})
	return m
}

func labels(rows []Row) []string {
	var out []string
	for _, r := range rows {
		out = append(out, r.Label)
	}
	return out
}

func TestRowsAreSectionsSortedByNameIgnoringCaseAndAccents(t *testing.T) {
	got := labels(sample().Rows())
	want := []string{"Channels", "écoles", "general", "Random", "secret", "Direct messages", "Kevin Lewis"}
	if len(got) != len(want) {
		t.Fatalf("rows %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("rows %q, want %q", got, want)
		}
	}
}

func TestUnreadTotalsLeaveOutMutedConversationsButKeepTheirMentions(t *testing.T) {
	m := sample()
	m.Apply([]realtime.Event{realtime.UnreadChanged{
		Unread:   map[string]int{"g": 3, "r": 5, "x": 7},
		Mentions: map[string]int{"r": 1},
	}})
	unread, mentions := m.Totals()
	if unread != 3 || mentions != 1 {
		t.Fatalf("totals %d unread, %d mentions; want 3 (muted random and unjoined left out), 1", unread, mentions)
	}
	for _, r := range m.Rows() {
		if r.ID == "r" && (!r.Muted || r.Unread != 5 || r.Mentions != 1) {
			t.Fatalf("random row %+v", r)
		}
	}
}

func TestBrowseListsOnlyPublicChannelsNotJoined(t *testing.T) {
	got := sample().Browse()
	if len(got) != 1 || got[0].ID != "x" {
		t.Fatalf("browse %+v, want only unjoined", got)
	}
}

func TestLeavingAndJoiningMoveRows(t *testing.T) {
	m := sample()
	m.Apply([]realtime.Event{realtime.MembershipsChanged{Removed: []string{"g"}}})
	if m.Member("g") {
		t.Fatal("still a member after leaving")
	}
	if len(m.Browse()) != 2 {
		t.Fatalf("browse after leaving general: %+v", m.Browse())
	}
	m.Apply([]realtime.Event{realtime.MembershipsChanged{Memberships: []realtime.Membership{{ID: "m9", Channel: "x", User: ada}}}})
	if !m.Member("x") {
		t.Fatal("not a member after joining")
	}
}

func TestDirectConversationIsNamedAfterTheOtherPerson(t *testing.T) {
	m := sample()
	c, _ := m.Channel("d")
	if got := m.Label(c); got != "Kevin Lewis" {
		t.Fatalf("label %q", got)
	}
	// Seen from Kevin's side, the same key names Ada.
	k := New(kevin)
	k.Apply([]realtime.Event{realtime.PeopleLoaded{People: []realtime.User{{ID: ada, FirstName: "Ada"}}}})
	if got := k.Label(c); got != "Ada" {
		t.Fatalf("label for kevin %q", got)
	}
	// Someone the user cannot see yet, and a conversation with oneself.
	if got := m.Label(realtime.Channel{Kind: realtime.ChannelDirect, DirectKey: realtime.DirectKey(ada, "zzz")}); got != "Someone" {
		t.Fatalf("unknown person %q", got)
	}
	if got := m.Label(realtime.Channel{Kind: realtime.ChannelDirect, DirectKey: realtime.DirectKey(ada, ada)}); got != "Ada Lovelace (you)" {
		t.Fatalf("self %q", got)
	}
}

func TestFullListsReplaceWhatWasKnown(t *testing.T) {
	m := sample()
	m.Apply([]realtime.Event{
		realtime.ChannelsChanged{Full: true, Channels: []realtime.Channel{{ID: "g", Name: "general", Kind: realtime.ChannelPublic}}},
		realtime.MembershipsChanged{Full: true, Memberships: []realtime.Membership{{ID: "m1", Channel: "g", User: ada}}},
	})
	if got := labels(m.Rows()); len(got) != 3 || got[1] != "general" {
		t.Fatalf("rows after a full reload %q", got)
	}
}

func TestPeopleLeaveOutTheUser(t *testing.T) {
	got := sample().People()
	if len(got) != 2 || got[0].ID != grace || got[1].ID != kevin {
		t.Fatalf("people %+v, want Grace then Kevin", got)
	}
}

func TestNameTakenIgnoresCase(t *testing.T) {
	m := sample()
	if !m.NameTaken("GENERAL") || m.NameTaken("design") {
		t.Fatal("NameTaken wrong")
	}
}
