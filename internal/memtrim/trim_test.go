package memtrim

import (
	"testing"
	"time"
)

// A trim comes once work has stopped for the quiet time: not while
// touches keep coming more often than that, and once for a burst.
func TestTrimmerTrimsOnceAfterTheBurst(t *testing.T) {
	const quiet = 300 * time.Millisecond
	trims := make(chan time.Time, 10)
	tr := NewTrimmer(quiet, func() { trims <- time.Now() })
	defer tr.Stop()
	start := time.Now()
	for time.Since(start) < 4*quiet { // a burst longer than the quiet time
		tr.Touch()
		select {
		case at := <-trims:
			t.Fatalf("trimmed %v into a burst of touches %v apart", at.Sub(start), quiet/15)
		case <-time.After(quiet / 15):
		}
	}
	last := time.Now()
	tr.Touch()
	select {
	case at := <-trims:
		if d := at.Sub(last); d < quiet {
			t.Errorf("trimmed %v after the last touch, before the quiet time %v", d, quiet)
		}
	case <-time.After(10 * quiet):
		t.Fatal("no trim after the burst")
	}
	select {
	case <-trims:
		t.Error("trimmed twice for one burst")
	case <-time.After(2 * quiet):
	}
	// The next burst is trimmed again.
	tr.Touch()
	select {
	case <-trims:
	case <-time.After(10 * quiet):
		t.Fatal("no trim after the second burst")
	}
}
