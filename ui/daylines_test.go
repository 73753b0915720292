package ui

import (
	"testing"
	"time"

	"directuschat/realtime"
	"directuschat/timeline"
)

func TestDayLabel(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 1, 0, 30, 0, 0, berlin) // just after midnight
	for _, c := range []struct {
		t    time.Time
		want string
	}{
		{time.Date(2026, 12, 1, 0, 0, 0, 0, berlin), "Today"},
		{time.Date(2026, 11, 30, 23, 59, 0, 0, berlin), "Yesterday"},
		{time.Date(2026, 11, 30, 22, 59, 0, 0, time.UTC), "Yesterday"},       // 23:59 in Berlin
		{time.Date(2026, 11, 30, 23, 10, 0, 0, time.UTC), "Today"},           // 00:10 in Berlin
		{time.Date(2026, 11, 29, 12, 0, 0, 0, berlin), "Sunday 29 November"}, // the day before yesterday
		{time.Date(2026, 1, 1, 9, 0, 0, 0, berlin), "Thursday 1 January"},
		{time.Date(2025, 12, 31, 9, 0, 0, 0, berlin), "Wednesday 31 December 2025"},
		{time.Date(2027, 3, 1, 9, 0, 0, 0, berlin), "Monday 1 March 2027"}, // a clock ahead
	} {
		if got := dayLabel(c.t, now); got != c.want {
			t.Errorf("dayLabel(%v) = %q, want %q", c.t, got, c.want)
		}
	}
	// Around a change to summer time, "Yesterday" is still the calendar
	// day before.
	spring := time.Date(2026, 3, 30, 1, 0, 0, 0, berlin)
	if got := dayLabel(time.Date(2026, 3, 29, 0, 30, 0, 0, berlin), spring); got != "Yesterday" {
		t.Errorf("over the clock change: %q", got)
	}
}

func entryAt(author string, at time.Time, status timeline.Status) timeline.Entry {
	return timeline.Entry{Message: realtime.Message{ID: author + at.String(), AuthorID: author, Created: at}, Status: status}
}

func TestContinues(t *testing.T) {
	base := time.Date(2026, 12, 1, 12, 0, 0, 0, time.Local)
	kevin := entryAt("kevin", base, timeline.Sent)
	edited := entryAt("kevin", base.Add(time.Minute), timeline.Sent)
	edited.Updated = base.Add(2 * time.Minute)
	for _, c := range []struct {
		name string
		cur  timeline.Entry
		want bool
	}{
		{"same author a minute later", entryAt("kevin", base.Add(time.Minute), timeline.Sent), true},
		{"at five minutes", entryAt("kevin", base.Add(groupWindow), timeline.Sent), true},
		{"just over five minutes", entryAt("kevin", base.Add(groupWindow+time.Second), timeline.Sent), false},
		{"another author", entryAt("grace", base.Add(time.Minute), timeline.Sent), false},
		{"unknown author", entryAt("", base.Add(time.Minute), timeline.Sent), false},
		{"waiting to be sent", entryAt("kevin", base.Add(time.Minute), timeline.Pending), false},
		{"failed", entryAt("kevin", base.Add(time.Minute), timeline.Failed), false},
		{"edited says so in its header", edited, false},
	} {
		if got := continues(kevin, c.cur); got != c.want {
			t.Errorf("%s: continues = %v, want %v", c.name, got, c.want)
		}
	}
	late := entryAt("kevin", time.Date(2026, 12, 1, 23, 58, 0, 0, time.Local), timeline.Sent)
	if continues(late, entryAt("kevin", late.Created.Add(3*time.Minute), timeline.Sent)) {
		t.Error("a message after midnight goes under the header of one before it")
	}
	unknown := entryAt("", base, timeline.Sent)
	if continues(unknown, entryAt("", base.Add(time.Minute), timeline.Sent)) {
		t.Error("messages of unknown authors are grouped")
	}
}

func TestDayLineAt(t *testing.T) {
	now := time.Date(2026, 12, 1, 15, 0, 0, 0, time.Local)
	rows := []timeline.Entry{
		entryAt("a", time.Date(2026, 11, 30, 9, 0, 0, 0, time.Local), timeline.Sent),
		entryAt("b", time.Date(2026, 11, 30, 18, 0, 0, 0, time.Local), timeline.Sent),
		entryAt("a", time.Date(2026, 12, 1, 8, 0, 0, 0, time.Local), timeline.Sent),
		entryAt("a", time.Date(2026, 12, 1, 8, 1, 0, 0, time.Local), timeline.Sent),
	}
	at := func(i int) timeline.Entry { return rows[i] }
	want := []string{"Yesterday", "", "Today", ""}
	for i := range rows {
		if got := dayLineAt(at, i, false, now); got != want[i] {
			t.Errorf("row %d: %q, want %q", i, got, want[i])
		}
	}
	if got := dayLineAt(at, 0, true, now); got != "" {
		t.Errorf("the first row while older messages may be of its day: %q", got)
	}
}

func TestFullTime(t *testing.T) {
	at := time.Date(2026, 11, 30, 21, 52, 7, 0, time.Local)
	if got, want := fullTime(at), "Monday 30 November 2026, 21:52:07"; got != want {
		t.Errorf("fullTime = %q, want %q", got, want)
	}
}

func TestDayLinesAreRelabelledAtTheNextMidnight(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		now  time.Time
		want time.Duration
	}{
		{time.Date(2026, 12, 1, 23, 59, 0, 0, time.UTC), 61 * time.Second},
		{time.Date(2026, 12, 31, 12, 0, 0, 0, time.UTC), 12*time.Hour + time.Second},
		{time.Date(2026, 12, 2, 0, 0, 1, 0, time.UTC), 24 * time.Hour},
		// The night clocks go forward: 23 hours from midnight to midnight.
		{time.Date(2026, 3, 29, 0, 0, 1, 0, berlin), 23 * time.Hour},
	} {
		if got := untilNextDay(tc.now); got != tc.want {
			t.Errorf("at %v the next day begins in %v, want %v", tc.now, got, tc.want)
		}
		if next := tc.now.Add(untilNextDay(tc.now)); dayLabel(tc.now, next) != "Yesterday" {
			t.Errorf("at %v + %v a message of now is %q, want Yesterday", tc.now, untilNextDay(tc.now), dayLabel(tc.now, next))
		}
	}
}
