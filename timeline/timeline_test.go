package timeline

import (
	"fmt"
	"testing"
	"time"

	"directuschat/realtime"
)

var t0 = time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)

func msg(id string, sec int) realtime.Message {
	return realtime.Message{ID: id, Text: "text " + id, AuthorID: "u1", AuthorName: "Ada", Created: t0.Add(time.Duration(sec) * time.Second)}
}

func ids(t *Timeline) string {
	s := ""
	for i := 0; i < t.Len(); i++ {
		if i > 0 {
			s += ","
		}
		e := t.At(i)
		s += e.ID
		switch e.Status {
		case Pending:
			s += "?"
		case Failed:
			s += "!"
		}
	}
	return s
}

func loaded(kind realtime.LoadKind, msgs ...realtime.Message) []realtime.Event {
	return []realtime.Event{realtime.Loaded{Kind: kind, Messages: msgs}}
}

func TestMergeOrdersAndDeduplicates(t *testing.T) {
	var tl Timeline
	// The initial page arrives newest first, as the server sends it.
	tl.Apply(loaded(realtime.LoadInitial, msg("c", 3), msg("b", 2), msg("a", 1)))
	tl.Apply(loaded(realtime.LoadLive, msg("d", 4)))
	tl.Apply(loaded(realtime.LoadCatchUp, msg("b", 2), msg("c", 3), msg("e", 5), msg("d", 4)))
	if got, want := ids(&tl), "a,b,c,d,e"; got != want {
		t.Fatalf("timeline = %s, want %s", got, want)
	}
}

func TestSameTimestampOrdersByID(t *testing.T) {
	var tl Timeline
	tl.Apply(loaded(realtime.LoadLive, msg("y", 1), msg("x", 1), msg("z", 0)))
	if got, want := ids(&tl), "z,x,y"; got != want {
		t.Fatalf("timeline = %s, want %s", got, want)
	}
}

func TestOutOfOrderCommitInsertsInPlace(t *testing.T) {
	var tl Timeline
	tl.Apply(loaded(realtime.LoadLive, msg("a", 1), msg("c", 3)))
	tl.Apply(loaded(realtime.LoadCatchUp, msg("b", 2)))
	if got, want := ids(&tl), "a,b,c"; got != want {
		t.Fatalf("timeline = %s, want %s", got, want)
	}
}

func TestPendingStaysAtBottomUntilDelivered(t *testing.T) {
	var tl Timeline
	tl.Apply(loaded(realtime.LoadInitial, msg("a", 1)))
	p := msg("p", 0) // local clock behind the server's: still shown last
	tl.AddPending(p)
	tl.Apply(loaded(realtime.LoadLive, msg("b", 2)))
	if got, want := ids(&tl), "a,b,p?"; got != want {
		t.Fatalf("timeline = %s, want %s", got, want)
	}
	stored := msg("p", 3)
	tl.Apply([]realtime.Event{realtime.SendStatus{ID: "p", State: realtime.SendDelivered, Stored: &stored}})
	// The subscription echo of our own message must not double it.
	tl.Apply(loaded(realtime.LoadLive, stored))
	if got, want := ids(&tl), "a,b,p"; got != want {
		t.Fatalf("timeline = %s, want %s", got, want)
	}
}

func TestEchoBeforeReplyReplacesPending(t *testing.T) {
	var tl Timeline
	tl.AddPending(msg("p", 0))
	tl.Apply(loaded(realtime.LoadLive, msg("p", 5)))
	tl.Apply([]realtime.Event{realtime.SendStatus{ID: "p", State: realtime.SendDelivered}})
	if got, want := ids(&tl), "p"; got != want {
		t.Fatalf("timeline = %s, want %s", got, want)
	}
}

func TestFailedThenRetried(t *testing.T) {
	var tl Timeline
	tl.AddPending(msg("p", 0))
	tl.Apply([]realtime.Event{realtime.SendStatus{ID: "p", State: realtime.SendFailed, Err: &realtime.Error{Msg: "no"}}})
	if got := ids(&tl); got != "p!" {
		t.Fatalf("timeline = %s, want p!", got)
	}
	if e := tl.At(0); e.Err != "no" {
		t.Fatalf("failure reason = %q, want %q", e.Err, "no")
	}
	tl.Apply([]realtime.Event{realtime.SendStatus{ID: "p", State: realtime.SendPending}})
	if got := ids(&tl); got != "p?" {
		t.Fatalf("timeline = %s, want p?", got)
	}
	tl.Discard("p")
	if tl.Len() != 0 {
		t.Fatalf("discarded message still shown: %s", ids(&tl))
	}
}

func TestUpdateReplacesTextAndDeleteRemoves(t *testing.T) {
	var tl Timeline
	tl.Apply(loaded(realtime.LoadInitial, msg("a", 1), msg("b", 2)))
	edited := msg("a", 1)
	edited.Text = "changed"
	edited.Updated = t0.Add(time.Minute)
	tl.Apply(loaded(realtime.LoadUpdated, edited))
	if e := tl.At(0); e.Text != "changed" || !e.Edited() {
		t.Fatalf("after edit: %+v", e)
	}
	tl.Apply([]realtime.Event{realtime.Deleted{IDs: []string{"a"}}})
	if got := ids(&tl); got != "b" {
		t.Fatalf("timeline = %s, want b", got)
	}
}

func TestListenersNotifiedOncePerBatch(t *testing.T) {
	var tl Timeline
	calls := 0
	tl.OnChange(func() { calls++ })
	var batch []realtime.Event
	for i := range 1000 {
		batch = append(batch, loaded(realtime.LoadLive, msg(fmt.Sprintf("m%04d", i), i))...)
	}
	tl.Apply(batch)
	if calls != 1 || tl.Len() != 1000 {
		t.Fatalf("calls = %d, len = %d; want 1 and 1000", calls, tl.Len())
	}
	tl.Apply(loaded(realtime.LoadLive, msg("m0001", 1))) // nothing new
	if calls != 1 {
		t.Fatalf("a batch with nothing new notified listeners")
	}
}

func TestOlderPagesAndEnd(t *testing.T) {
	var tl Timeline
	tl.Apply([]realtime.Event{realtime.Loaded{Kind: realtime.LoadInitial, Messages: []realtime.Message{msg("c", 3), msg("d", 4)}}})
	if !tl.HasOlder() {
		t.Fatal("a full first page must allow loading older messages")
	}
	tl.Apply([]realtime.Event{realtime.Loaded{Kind: realtime.LoadOlder, Messages: []realtime.Message{msg("b", 2), msg("a", 1)}, NoOlder: true}})
	if got := ids(&tl); got != "a,b,c,d" {
		t.Fatalf("timeline = %s", got)
	}
	if tl.HasOlder() {
		t.Fatal("after the last page HasOlder must be false")
	}
	if o, _ := tl.Oldest(); o.ID != "a" {
		t.Fatalf("oldest = %s", o.ID)
	}
}

func BenchmarkApplyLiveMessage(b *testing.B) {
	var tl Timeline
	var hist []realtime.Message
	for i := range 100_000 {
		hist = append(hist, msg(fmt.Sprintf("h%06d", i), i))
	}
	tl.Apply(loaded(realtime.LoadInitial, hist...))
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		tl.Apply(loaded(realtime.LoadLive, msg(fmt.Sprintf("n%09d", i), 100_000+i)))
	}
}

func TestDeliveredWithServerKeyReplacesPending(t *testing.T) {
	var tl Timeline
	tl.AddPending(msg("uuid-1", 0))
	stored := msg("42", 1)
	tl.Apply([]realtime.Event{realtime.SendStatus{ID: "uuid-1", State: realtime.SendDelivered, Stored: &stored}})
	tl.Apply(loaded(realtime.LoadLive, stored)) // the subscription echo
	if got := ids(&tl); got != "42" {
		t.Fatalf("timeline = %s, want only the server's copy", got)
	}
}

func TestLocalRowsSayWhetherTheyAreOnDisk(t *testing.T) {
	var tl Timeline
	tl.AddPending(msg("typed", 10))
	if e := tl.At(0); e.Status != Pending || e.Disk != Unsaved {
		t.Fatalf("just typed = %+v, want pending and not yet saved", e)
	}
	if all, notSaved := tl.Unsent(); all != 1 || notSaved != 1 {
		t.Fatalf("Unsent = %d, %d", all, notSaved)
	}
	tl.Apply([]realtime.Event{realtime.Persisted{IDs: []string{"typed"}, Err: fmt.Errorf("disk full")}})
	if e := tl.At(0); e.Disk != NotSaved {
		t.Fatalf("after a failed write = %v, want NotSaved", e.Disk)
	}
	// Left by an earlier run: on disk, and before what was typed now.
	tl.Apply([]realtime.Event{realtime.Queued{Messages: []realtime.Message{msg("old", 1)}}})
	if got := ids(&tl); got != "old?,typed?" {
		t.Fatalf("rows = %s, want the earlier run's message first", got)
	}
	if e := tl.At(0); e.Disk != Saved {
		t.Fatalf("queued from disk = %v, want Saved", e.Disk)
	}
	tl.Apply([]realtime.Event{realtime.Persisted{IDs: []string{"typed"}}})
	if all, notSaved := tl.Unsent(); all != 2 || notSaved != 0 {
		t.Fatalf("Unsent = %d, %d, want 2, 0", all, notSaved)
	}
}
