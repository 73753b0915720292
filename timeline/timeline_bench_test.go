package timeline

import (
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"directuschat/realtime"
)

func benchMessages(n int, start time.Time) []realtime.Message {
	msgs := make([]realtime.Message, n)
	for i := range msgs {
		msgs[i] = realtime.Message{
			ID:         fmt.Sprintf("0b9c2f7e-5a1d-4c3b-9e8f-%012d", start.UnixMilli()+int64(i)),
			Text:       fmt.Sprintf("#%d the server message ok deploy tomorrow", i),
			AuthorID:   "5f0c7e52-8a9e-4d7b-b8a4-0d3c2e1f6a70",
			AuthorName: "Kevin",
			Created:    start.Add(time.Duration(i) * time.Millisecond),
		}
	}
	return msgs
}

// filled is a timeline holding n messages ending at t0.
func filled(n int, t0 time.Time) *Timeline {
	tl := &Timeline{}
	tl.Apply([]realtime.Event{realtime.Loaded{Kind: realtime.LoadInitial, Messages: benchMessages(n, t0.Add(-time.Duration(n)*time.Millisecond))}})
	return tl
}

// clone copies a timeline cheaply (no re-merging), for per-iteration setup.
func (t *Timeline) clone() *Timeline {
	return &Timeline{sent: slices.Clone(t.sent), byID: maps.Clone(t.byID), noOlder: t.noOlder, seq: t.seq}
}

// BenchmarkApplyLive applies one live message (a batch of one event) to a
// timeline of 10,000: the common case while chatting.
func BenchmarkApplyLive(b *testing.B) {
	t0 := time.Date(2026, 11, 28, 5, 0, 0, 0, time.UTC)
	tl := filled(10_000, t0)
	live := benchMessages(b.N, t0.Add(time.Second))
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		tl.Apply([]realtime.Event{realtime.Loaded{Kind: realtime.LoadLive, Messages: live[i : i+1]}})
	}
}

// BenchmarkApplyBurstBatch applies 100 live messages in one batch (what a
// frame's worth of a burst is) to a timeline of 1,000.
func BenchmarkApplyBurstBatch(b *testing.B) {
	t0 := time.Date(2026, 11, 28, 5, 0, 0, 0, time.UTC)
	b.ReportAllocs()
	base := filled(1000, t0)
	for b.Loop() {
		b.StopTimer()
		tl := base.clone()
		batch := make([]realtime.Event, 0, 100)
		for _, m := range benchMessages(100, t0.Add(time.Second)) {
			batch = append(batch, realtime.Loaded{Kind: realtime.LoadLive, Messages: []realtime.Message{m}})
		}
		b.StartTimer()
		tl.Apply(batch)
	}
}

// BenchmarkApplyOlderPage inserts a page of 50 older messages in front of
// 10,000 (scrolling back through history).
func BenchmarkApplyOlderPage(b *testing.B) {
	t0 := time.Date(2026, 11, 28, 5, 0, 0, 0, time.UTC)
	base := filled(10_000, t0)
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		tl := base.clone()
		page := benchMessages(50, t0.Add(-time.Hour))
		b.StartTimer()
		tl.Apply([]realtime.Event{realtime.Loaded{Kind: realtime.LoadOlder, Messages: page}})
	}
}
