package store

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"directuschat/realtime"
)

const (
	testServer = "http://x"
	testUser   = "u1"
)

// healthyState writes a real state file: an outbox of n messages spread
// over many pages, some removed again (so the file has free pages), and
// returns its bytes and the messages left in it. (Salvage may also bring
// back a removed one from the previous transaction's pages: every message
// ever stored keeps its text in all.)
func healthyState(t *testing.T, n int) (data []byte, left, all map[string]string) {
	t.Helper()
	h, err := healthy(n)
	if err != nil {
		t.Fatal(err)
	}
	return h.data, h.left, h.all
}

type healthyFile struct {
	data      []byte
	left, all map[string]string
}

// healthyFiles are made once per test binary: each write syncs the disk.
var healthyFiles = struct {
	sync.Mutex
	byN map[int]healthyFile
}{byN: map[int]healthyFile{}}

func healthy(n int) (healthyFile, error) {
	healthyFiles.Lock()
	defer healthyFiles.Unlock()
	if h, ok := healthyFiles.byN[n]; ok {
		return h, nil
	}
	dir, err := os.MkdirTemp("", "healthy-state")
	if err != nil {
		return healthyFile{}, err
	}
	defer os.RemoveAll(dir)
	h, err := writeHealthy(filepath.Join(dir, "state.db"), n)
	if err == nil {
		healthyFiles.byN[n] = h
	}
	return h, err
}

func writeHealthy(path string, n int) (h healthyFile, err error) {
	db, err := Open(path, quiet())
	if err != nil {
		return h, err
	}
	ob := db.Outbox(testServer, testUser)
	left, all := map[string]string{}, map[string]string{}
	t0 := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	for i := range n {
		m := realtime.Message{ID: fmt.Sprintf("id-%04d", i), Text: fmt.Sprintf("message %d %s", i, strings.Repeat("é", i%300)), Created: t0.Add(time.Duration(i) * time.Second)}
		if err := ob.Put(m); err != nil {
			return h, err
		}
		left[m.ID], all[m.ID] = m.Text, m.Text
	}
	for i := 0; i < n; i += 3 {
		id := fmt.Sprintf("id-%04d", i)
		if err := ob.Remove(id); err != nil {
			return h, err
		}
		delete(left, id)
	}
	if err := db.Close(); err != nil {
		return h, err
	}
	data, err := os.ReadFile(path)
	return healthyFile{data, left, all}, err
}

// usedSize is the part of a state file bbolt uses (its high water mark).
func usedSize(t *testing.T, data []byte) int {
	t.Helper()
	ms := metas(data)
	if len(ms) == 0 {
		t.Fatal("the healthy file has no valid meta page")
	}
	return int(ms[0].pgid * ms[0].pageSize)
}

// damages collects what a DB reports.
type damages struct {
	mu   sync.Mutex
	list []Damage
}

func (d *damages) add(dmg Damage) { d.mu.Lock(); d.list = append(d.list, dmg); d.mu.Unlock() }
func (d *damages) get() []Damage {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]Damage(nil), d.list...)
}

// openDamaged writes data as a state file and opens it, then loads the
// outbox and checks that the file works afterwards. It fails the test on
// any panic (bbolt's panics on goroutines of its own, or faults, end the
// whole test binary instead).
func openDamaged(t *testing.T, name string, data []byte) (loaded []realtime.Message, dmg []Damage) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "state.db")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if r := recover(); r != nil {
			t.Fatalf("%s: panic: %v", name, r)
		}
	}()
	db, err := Open(path, quiet())
	if err != nil {
		t.Fatalf("%s: open: %v", name, err)
	}
	defer db.Close()
	var got damages
	db.OnDamage(got.add)
	ob := db.Outbox(testServer, testUser)
	loaded, err = ob.Load()
	if err != nil {
		t.Fatalf("%s: load: %v", name, err)
	}
	// The file works: a new message is kept and read back.
	fresh := realtime.Message{ID: "fresh", Text: "typed after the damage", Created: time.Now()}
	if err := ob.Put(fresh); err != nil {
		t.Fatalf("%s: put after damage: %v", name, err)
	}
	again, err := ob.Load()
	if err != nil {
		t.Fatalf("%s: load after put: %v", name, err)
	}
	found := false
	for _, m := range again {
		found = found || m.ID == fresh.ID && m.Text == fresh.Text
	}
	if !found {
		t.Fatalf("%s: a message put after the damage is not read back (%d loaded)", name, len(again))
	}
	for _, d := range got.get() {
		if _, err := os.Stat(d.MovedTo); err != nil {
			t.Errorf("%s: the damaged file is not kept aside: %v", name, err)
		}
		if d.Kind != StateFile || d.Path != path {
			t.Errorf("%s: damage = %+v", name, d)
		}
	}
	return loaded, got.get()
}

func TestTruncatedStateFileIsSetAsideWithReadableMessagesKept(t *testing.T) {
	data, left, all := healthyState(t, 400)
	used := usedSize(t, data)
	if used < 16*4096 {
		t.Fatalf("the test file uses only %d bytes: too few pages to cut", used)
	}
	cuts := []int{used / 2, used - 1, used - 4096, 2*4096 + 100, 3 * 4096, used / 3, used * 3 / 4, 4096*5 + 17}
	for _, cut := range cuts {
		name := fmt.Sprintf("cut at %d of %d", cut, used)
		loaded, dmg := openDamaged(t, name, data[:cut])
		if len(dmg) != 1 {
			t.Errorf("%s: %d damages reported, want 1", name, len(dmg))
			continue
		}
		if dmg[0].Recovered != len(loaded) {
			t.Errorf("%s: %d recovered but %d loaded", name, dmg[0].Recovered, len(loaded))
		}
		for _, m := range loaded {
			if all[m.ID] != m.Text {
				t.Errorf("%s: recovered %q = %q, not what was stored", name, m.ID, m.Text)
			}
		}
		t.Logf("%s: %d of %d unsent messages recovered", name, len(loaded), len(left))
	}
}

func TestFlippedBytesInAnyPageNeverPanic(t *testing.T) {
	data, _, _ := healthyState(t, 400)
	used := usedSize(t, data)
	rng := rand.New(rand.NewPCG(11, 4))
	runs, setAside := 0, 0
	for page := 0; page < used/4096; page++ {
		for range 3 {
			bad := bytes.Clone(data)
			// A few bytes of the page header or its elements, where
			// bbolt reads offsets, counts and page ids.
			for range 1 + rng.IntN(4) {
				off := page*4096 + rng.IntN(96)
				if rng.IntN(3) == 0 {
					off = page*4096 + rng.IntN(4096)
				}
				bad[off] ^= byte(1 + rng.IntN(255))
			}
			_, dmg := openDamaged(t, fmt.Sprintf("page %d", page), bad)
			runs++
			if len(dmg) > 0 {
				setAside++
			}
		}
	}
	t.Logf("%d damaged files opened, %d set aside", runs, setAside)
	if setAside == 0 {
		t.Error("no damaged file was set aside")
	}
}

func TestHealthyFileIsNotSetAside(t *testing.T) {
	data, left, _ := healthyState(t, 400)
	loaded, dmg := openDamaged(t, "healthy", data)
	if len(dmg) != 0 {
		t.Fatalf("a healthy file was reported damaged: %+v", dmg)
	}
	if len(loaded) != len(left) {
		t.Fatalf("loaded %d messages, want %d", len(loaded), len(left))
	}
}

// A file damaged while the app runs (pages overwritten under bbolt's map):
// the read that meets it is an error, the file is set aside, and the next
// message is kept in a new file.
func TestDamageFoundWhileRunningIsSetAside(t *testing.T) {
	data, _, all := healthyState(t, 400)
	path := filepath.Join(t.TempDir(), "state.db")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	db, err := Open(path, quiet())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var got damages
	db.OnDamage(got.add)
	var root uint64
	if err := db.do(func(b *bolt.DB) error {
		return b.View(func(tx *bolt.Tx) error {
			root = uint64(tx.Bucket([]byte(outboxPrefix + testServer + "\x00" + testUser)).Root())
			return nil
		})
	}); err != nil || root == 0 {
		t.Fatalf("outbox root page = %d, %v", root, err)
	}
	// Another program scribbles over the outbox's root page.
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt(bytes.Repeat([]byte{0xA5}, 4096), int64(root)*4096); err != nil {
		t.Fatal(err)
	}
	f.Close()

	ob := db.Outbox(testServer, testUser)
	loaded, err := ob.Load()
	if err != nil {
		t.Fatalf("load of a file damaged under the app: %v", err)
	}
	if d := got.get(); len(d) != 1 || d[0].MovedTo == "" {
		t.Fatalf("damages = %+v, want one, set aside", d)
	}
	for _, m := range loaded {
		if all[m.ID] != m.Text {
			t.Errorf("recovered %q = %q, not what was stored", m.ID, m.Text)
		}
	}
	if err := ob.Put(realtime.Message{ID: "next", Text: "next", Created: time.Now()}); err != nil {
		t.Fatalf("put after the damage: %v", err)
	}
}

func TestDamagedCacheIsSetAsideReportedAndDeletedAtSignOut(t *testing.T) {
	dir := t.TempDir()
	cd, err := OpenCacheDir(dir, quiet())
	if err != nil {
		t.Fatal(err)
	}
	var got damages
	cd.OnDamage(got.add)
	c := cd.Cache("http://x", "ada@example.com")
	if err := c.Save(realtime.User{ID: "u1"}, []realtime.Message{{ID: "m1", Text: "secret words", Created: time.Now()}}); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(c.Path())
	if err := os.WriteFile(c.Path(), data[:len(data)/2], 0o600); err != nil { // cut short
		t.Fatal(err)
	}
	if _, msgs, err := c.Load(); err == nil || len(msgs) != 0 {
		t.Fatalf("load of a damaged cache = %d messages, %v; want an error", len(msgs), err)
	}
	d := got.get()
	if len(d) != 1 || d[0].Kind != CacheFile || d[0].Path != c.Path() {
		t.Fatalf("damages = %+v, want one for the cache file", d)
	}
	if _, err := os.Stat(d[0].MovedTo); err != nil {
		t.Fatalf("the damaged cache is not kept aside: %v", err)
	}
	if _, msgs, err := c.Load(); err != nil || len(msgs) != 0 || len(got.get()) != 1 {
		t.Fatalf("second load = %d, %v, %d damages; want an empty cache, no new report", len(msgs), err, len(got.get()))
	}
	if err := c.Delete(); err != nil {
		t.Fatal(err)
	}
	left, _ := os.ReadDir(dir)
	for _, e := range left {
		if b, _ := os.ReadFile(filepath.Join(dir, e.Name())); bytes.Contains(b, []byte("secret")) {
			t.Errorf("after sign-out %s still holds the text", e.Name())
		}
	}
}
