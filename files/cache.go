package files

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io/fs"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"
)

// diskCache keeps thumbnails in a folder, at most max bytes in all, and
// evicts the least recently used first. Each entry is one file named by
// its key (a hex hash) plus cacheExt; the order of use survives a restart
// in the files' modification times (touched on every hit).
//
// The index holds no pointer per entry: its keys are the hashes' bytes
// and its values plain numbers, kept inside the map's own tables. An
// entry made while the user scrolls through pictures would otherwise be a
// few small objects that outlive the scrolling's garbage around them and
// keep its memory spans from being freed (docs/benchmarks.md).
type diskCache struct {
	dir string
	max int64

	mu      sync.Mutex
	loaded  bool
	entries map[cacheKeyBytes]cacheEntry
	clock   uint64 // counts uses: an entry's used is the clock at its last
	total   int64
}

type cacheKeyBytes [sha256.Size]byte

type cacheEntry struct {
	size int64
	used uint64 // the clock when last used: the smallest goes first
}

const cacheExt = ".thumb"

func newDiskCache(dir string, max int64) *diskCache {
	return &diskCache{dir: dir, max: max, entries: map[cacheKeyBytes]cacheEntry{}}
}

func (d *diskCache) path(k cacheKeyBytes) string {
	return filepath.Join(d.dir, hex.EncodeToString(k[:])+cacheExt)
}

// parseKey reads what cacheKey makes: 64 lowercase hex digits (the only
// spelling path makes again).
func parseKey(key string) (k cacheKeyBytes, ok bool) {
	if len(key) != 2*len(k) || strings.ToLower(key) != key {
		return k, false
	}
	_, err := hex.Decode(k[:], []byte(key))
	return k, err == nil
}

// tick is the clock for a use. Lock held.
func (d *diskCache) tick() uint64 {
	d.clock++
	return d.clock
}

// load reads the folder once: entries ordered by modification time,
// leftovers of interrupted writes removed. Lock held.
func (d *diskCache) load() {
	if d.loaded {
		return
	}
	d.loaded = true
	if err := os.MkdirAll(d.dir, 0o700); err != nil {
		slog.Warn("thumbnail cache unusable", "dir", d.dir, "err", err)
		return
	}
	des, err := os.ReadDir(d.dir)
	if err != nil {
		slog.Warn("thumbnail cache unreadable", "dir", d.dir, "err", err)
		return
	}
	type found struct {
		key  cacheKeyBytes
		size int64
		mod  time.Time
	}
	var all []found
	for _, de := range des {
		name := de.Name()
		if strings.HasPrefix(name, ".tmp-") {
			_ = os.Remove(filepath.Join(d.dir, name))
			continue
		}
		hexKey, ok := strings.CutSuffix(name, cacheExt)
		key, valid := parseKey(hexKey)
		if !ok || !valid || !de.Type().IsRegular() {
			continue
		}
		info, err := de.Info()
		if err != nil {
			continue
		}
		all = append(all, found{key, info.Size(), info.ModTime()})
	}
	sort.Slice(all, func(i, j int) bool { return all[i].mod.Before(all[j].mod) })
	var total int64
	for _, f := range all {
		total += f.size
	}
	for _, f := range all { // oldest first: the smallest clock
		if total > d.max { // over the bound (a smaller one than before): the oldest go
			total -= f.size
			if err := os.Remove(d.path(f.key)); err != nil && !errors.Is(err, fs.ErrNotExist) {
				slog.Warn("thumbnail cache: remove failed", "err", err)
			}
			continue
		}
		d.entries[f.key] = cacheEntry{size: f.size, used: d.tick()}
		d.total += f.size
	}
}

// get returns the cached bytes of key and marks it used.
func (d *diskCache) get(key string) ([]byte, bool) {
	k, ok := parseKey(key)
	if !ok {
		return nil, false
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.load()
	e, ok := d.entries[k]
	if !ok {
		return nil, false
	}
	path := d.path(k)
	b, err := os.ReadFile(path)
	if err != nil {
		d.remove(k)
		return nil, false
	}
	e.used = d.tick()
	d.entries[k] = e
	now := time.Now()
	_ = os.Chtimes(path, now, now)
	return b, true
}

// put stores b as key and evicts the least recently used entries until
// the total is within the bound. An entry larger than the bound is not
// kept.
func (d *diskCache) put(key string, b []byte) {
	k, ok := parseKey(key)
	if int64(len(b)) > d.max || !ok {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.load()
	if err := writeFileAtomic(d.dir, d.path(k), b); err != nil {
		slog.Warn("thumbnail cache: write failed", "err", err)
		return
	}
	d.total += int64(len(b)) - d.entries[k].size // 0 for a new entry
	d.entries[k] = cacheEntry{size: int64(len(b)), used: d.tick()}
	d.evict()
}

// evict removes the least recently used entries while over the bound: a
// walk of the index per entry removed (a put over the bound removes one
// or two, of a few thousand). Lock held.
func (d *diskCache) evict() {
	for d.total > d.max && len(d.entries) > 0 {
		var oldest cacheKeyBytes
		least := uint64(math.MaxUint64)
		for k, e := range d.entries {
			if e.used < least {
				oldest, least = k, e.used
			}
		}
		d.remove(oldest)
	}
}

// remove drops an entry and its file. Lock held.
func (d *diskCache) remove(k cacheKeyBytes) {
	if err := os.Remove(d.path(k)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		slog.Warn("thumbnail cache: remove failed", "err", err)
	}
	d.total -= d.entries[k].size
	delete(d.entries, k)
}

// writeFileAtomic writes b to a temporary file in dir and renames it to
// path, so a reader never sees half a file.
func writeFileAtomic(dir, path string, b []byte) error {
	f, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(b)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		_ = os.Remove(tmp)
	}
	return err
}
