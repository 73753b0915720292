package files

import (
	"container/list"
	"encoding/hex"
	"errors"
	"io/fs"
	"log/slog"
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
type diskCache struct {
	dir string
	max int64

	mu      sync.Mutex
	loaded  bool
	order   *list.List               // of *cacheEntry, most recently used first
	entries map[string]*list.Element // key -> element of order
	total   int64
}

type cacheEntry struct {
	key  string
	size int64
}

const cacheExt = ".thumb"

func newDiskCache(dir string, max int64) *diskCache {
	return &diskCache{dir: dir, max: max, order: list.New(), entries: map[string]*list.Element{}}
}

func (d *diskCache) path(key string) string { return filepath.Join(d.dir, key+cacheExt) }

// validKey accepts only what cacheKey makes: 64 hex digits.
func validKey(key string) bool {
	if len(key) != 64 {
		return false
	}
	_, err := hex.DecodeString(key)
	return err == nil
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
		key  string
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
		key, ok := strings.CutSuffix(name, cacheExt)
		if !ok || !validKey(key) || !de.Type().IsRegular() {
			continue
		}
		info, err := de.Info()
		if err != nil {
			continue
		}
		all = append(all, found{key, info.Size(), info.ModTime()})
	}
	sort.Slice(all, func(i, j int) bool { return all[i].mod.Before(all[j].mod) })
	for _, f := range all { // oldest first, each pushed to the front
		d.entries[f.key] = d.order.PushFront(&cacheEntry{key: f.key, size: f.size})
		d.total += f.size
	}
	d.evict()
}

// get returns the cached bytes of key and marks it used.
func (d *diskCache) get(key string) ([]byte, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.load()
	el, ok := d.entries[key]
	if !ok {
		return nil, false
	}
	b, err := os.ReadFile(d.path(key))
	if err != nil {
		d.remove(el)
		return nil, false
	}
	d.order.MoveToFront(el)
	now := time.Now()
	_ = os.Chtimes(d.path(key), now, now)
	return b, true
}

// put stores b as key and evicts the least recently used entries until
// the total is within the bound. An entry larger than the bound is not
// kept.
func (d *diskCache) put(key string, b []byte) {
	if int64(len(b)) > d.max || !validKey(key) {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.load()
	if err := writeFileAtomic(d.dir, d.path(key), b); err != nil {
		slog.Warn("thumbnail cache: write failed", "err", err)
		return
	}
	if el, ok := d.entries[key]; ok {
		e := el.Value.(*cacheEntry)
		d.total += int64(len(b)) - e.size
		e.size = int64(len(b))
		d.order.MoveToFront(el)
	} else {
		d.entries[key] = d.order.PushFront(&cacheEntry{key: key, size: int64(len(b))})
		d.total += int64(len(b))
	}
	d.evict()
}

// evict removes the least recently used entries while over the bound.
// Lock held.
func (d *diskCache) evict() {
	for d.total > d.max {
		el := d.order.Back()
		if el == nil {
			return
		}
		d.remove(el)
	}
}

// remove drops an entry and its file. Lock held.
func (d *diskCache) remove(el *list.Element) {
	e := el.Value.(*cacheEntry)
	if err := os.Remove(d.path(e.key)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		slog.Warn("thumbnail cache: remove failed", "err", err)
	}
	d.order.Remove(el)
	delete(d.entries, e.key)
	d.total -= e.size
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
