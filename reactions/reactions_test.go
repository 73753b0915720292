package reactions

import (
	"testing"

	"directuschat/realtime"
)

func TestValidKeepsEmojiAndRefusesText(t *testing.T) {
	for _, ok := range []string{"👍", "❤️", "👨‍👩‍👧‍👦", "🇫🇷", "1️⃣", "#⃣", "🏳️‍🌈", "👍🏽"} {
		if !Valid(ok) {
			t.Errorf("Valid(%q) = false, want true", ok)
		}
	}
	for _, bad := range []string{"", "lol", "+1", "👍 ", " 👍", "👍\u202e", "\u202e👍", "a👍", "👍\n", "\u200b", "👍👍👍👍👍👍👍👍👍", "\xff", "1", "👍\u2066"} {
		if Valid(bad) {
			t.Errorf("Valid(%q) = true, want false", bad)
		}
	}
}

func TestTallyCountsTogglesAndUndoes(t *testing.T) {
	me, kevin := "me", "kevin"
	tl := New(me)
	changed := tl.Apply([]realtime.Event{
		realtime.ReactionsLoaded{Messages: []string{"m1", "m2"}, Reactions: []realtime.Reaction{
			{ID: "r1", Message: "m1", User: kevin, Emoji: "👍"},
			{ID: "r2", Message: "m1", User: kevin, Emoji: "🎉"},
			{ID: "r3", Message: "m1", User: kevin, Emoji: "lol"}, // text: left out
		}},
	})
	if len(changed) != 1 || changed[0] != "m1" {
		t.Errorf("changed = %v, want [m1]", changed)
	}
	if chips := tl.Of("m1"); len(chips) != 2 || chips[0].Emoji != "👍" || chips[1].Emoji != "🎉" {
		t.Fatalf("chips = %+v, want 👍 then 🎉", chips)
	}

	// A click shows at once; the server's event for it changes nothing;
	// a second click takes it back.
	r, add := tl.Toggle("m1", "👍")
	if !add || r.ID != realtime.ReactionID("m1", me, "👍") {
		t.Fatalf("Toggle = %+v, %v", r, add)
	}
	if c := tl.Of("m1")[0]; c.Count() != 2 || !c.Mine {
		t.Errorf("after the click: %+v, want 2 with mine", c)
	}
	if ch := tl.Apply([]realtime.Event{realtime.ReactionsChanged{Added: []realtime.Reaction{r}}}); len(ch) != 0 {
		t.Errorf("the server's copy of my reaction changed %v", ch)
	}
	r2, add := tl.Toggle("m1", "👍")
	if add || r2.ID != r.ID {
		t.Errorf("second Toggle = %+v, %v; want the removal of %s", r2, add, r.ID)
	}
	// The server refuses the removal: it shows again.
	tl.Apply([]realtime.Event{realtime.ReactionFailed{Reaction: r2, Add: false}})
	if c := tl.Of("m1")[0]; c.Count() != 2 || !c.Mine {
		t.Errorf("after a refused removal: %+v, want mine back", c)
	}
	// A refused add is undone.
	r3, _ := tl.Toggle("m2", "🔥")
	tl.Apply([]realtime.Event{realtime.ReactionFailed{Reaction: r3, Add: true}})
	if tl.Has("m2") {
		t.Errorf("a refused reaction is still shown: %+v", tl.Of("m2"))
	}
	// Removed live by id, and all of a deleted message's go.
	tl.Apply([]realtime.Event{realtime.ReactionsChanged{Removed: []string{"r2", "unknown"}}})
	if len(tl.Of("m1")) != 1 {
		t.Errorf("after removing 🎉: %+v", tl.Of("m1"))
	}
	tl.Apply([]realtime.Event{realtime.Deleted{IDs: []string{"m1"}}})
	if tl.Has("m1") || len(tl.byID) != 0 {
		t.Errorf("a deleted message keeps reactions: %+v %v", tl.Of("m1"), tl.byID)
	}
}
