// Package memtrim gives the Go heap's free memory back to the OS after a
// burst of work. It is apart from memtune, which must import nothing Fyne
// does not (its init has to run before Fyne's).
package memtrim

import (
	"runtime/debug"
	"sync"
	"time"
)

// TrimAfter is how long after the last burst of work (rows bound while
// scrolling, pages applied) the app gives the heap's free memory back to
// the OS: twice memtune.CacheLifetime, so the renderers and textures of
// what was scrolled past have expired and are garbage by then.
const TrimAfter = 30 * time.Second

// Trimmer gives the Go heap's free memory back to the OS once work has
// stopped for a while. Scrolling back through a long history makes
// garbage by the megabyte (Fyne's list makes rows again after every GC and
// keeps what it drew for memtune.CacheLifetime), the heap grows for it, and the
// runtime hands the pages back only slowly, a little at a time: a reader
// who stopped scrolling kept tens of megabytes of it for minutes
// (docs/benchmarks.md). One debug.FreeOSMemory per burst (a collection
// and a scavenge, off the UI thread) returns it at once.
type Trimmer struct {
	after time.Duration
	free  func()

	mu    sync.Mutex
	last  time.Time   // the last Touch
	timer *time.Timer // armed while a trim is due
}

// NewTrimmer trims after the given quiet time; free is what trims
// (debug.FreeOSMemory when nil).
func NewTrimmer(after time.Duration, free func()) *Trimmer {
	if free == nil {
		free = debug.FreeOSMemory
	}
	return &Trimmer{after: after, free: free}
}

// Touch says work happened now: a trim follows once none has for the
// quiet time. It is cheap enough to call for every row bound.
func (t *Trimmer) Touch() {
	now := time.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	t.last = now
	if t.timer == nil {
		t.timer = time.AfterFunc(t.after, t.fire)
	}
}

// fire trims if the quiet time has passed since the last Touch, else waits
// for the rest of it.
func (t *Trimmer) fire() {
	t.mu.Lock()
	if wait := t.after - time.Since(t.last); wait > 0 {
		t.timer.Reset(wait)
		t.mu.Unlock()
		return
	}
	t.timer = nil
	t.mu.Unlock()
	t.free()
}

// Stop cancels a trim that is due.
func (t *Trimmer) Stop() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.timer != nil {
		t.timer.Stop()
		t.timer = nil
	}
}
