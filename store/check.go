package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"os"
)

// bbolt's panics on a damaged file cannot all be recovered: some happen on
// goroutines bbolt starts itself (its consistency check, the freelist
// rebuild), a page that points to its parent loops for ever, and a read
// past the end of a truncated file is a fault. So before bbolt opens a file,
// checkFile walks it from its own bytes, bounds-checking everything, and
// only a file that passes is handed to bbolt. The same walk, tolerant of
// errors, salvages what can be read from a damaged file.
//
// The layout (bbolt 1.x, in the machine's byte order; every platform the
// app is built for is little-endian): a page starts with a 16-byte header
// (id uint64, flags uint16, count uint16, overflow uint32). Pages 0 and 1
// are meta pages; branch and leaf pages hold 16-byte elements after the
// header; a bucket's value is its root page id and sequence, followed by an
// inline leaf page when the root id is 0.

const (
	pageHeaderSize  = 16
	elementSize     = 16
	branchPageFlag  = 0x01
	leafPageFlag    = 0x02
	metaPageFlag    = 0x04
	freelistFlag    = 0x10
	bucketLeafFlag  = 0x01
	boltMagic       = 0xED0CDAED
	boltVersion     = 2
	metaSize        = 64 // magic .. checksum
	metaChecksumOff = 56
	noFreelist      = ^uint64(0)
	maxWalkErrors   = 20
)

var le = binary.LittleEndian

// errDamaged marks a file that cannot be used as it is.
var errDamaged = errors.New("the file is damaged")

// meta is a decoded, validated meta page.
type meta struct {
	pageSize uint64
	root     uint64
	freelist uint64
	pgid     uint64 // high water mark: pages below it are in use or free
	txid     uint64
}

func readMeta(data []byte, off uint64) (meta, bool) {
	if off+pageHeaderSize+metaSize > uint64(len(data)) {
		return meta{}, false
	}
	b := data[off+pageHeaderSize : off+pageHeaderSize+metaSize]
	if le.Uint32(b[0:]) != boltMagic || le.Uint32(b[4:]) != boltVersion {
		return meta{}, false
	}
	h := fnv.New64a()
	h.Write(b[:metaChecksumOff])
	if h.Sum64() != le.Uint64(b[metaChecksumOff:]) {
		return meta{}, false
	}
	m := meta{
		pageSize: uint64(le.Uint32(b[8:])),
		root:     le.Uint64(b[16:]),
		freelist: le.Uint64(b[32:]),
		pgid:     le.Uint64(b[40:]),
		txid:     le.Uint64(b[48:]),
	}
	if m.pageSize < 1024 || m.pageSize > 1<<16 || m.pageSize&(m.pageSize-1) != 0 {
		return meta{}, false
	}
	return m, true
}

// metas returns the file's valid meta pages, the one bbolt uses first.
func metas(data []byte) []meta {
	m0, ok0 := readMeta(data, 0)
	var out []meta
	if ok0 {
		out = append(out, m0)
	}
	// The second meta page is one page further, at the size the first one
	// names, or at common page sizes when the first is unreadable.
	sizes := []uint64{4096, 16384, 65536, 8192, 1024, 2048, 32768}
	if ok0 {
		sizes = []uint64{m0.pageSize}
	}
	for _, ps := range sizes {
		if m1, ok := readMeta(data, ps); ok && m1.pageSize == ps {
			if len(out) == 1 && m1.txid > out[0].txid {
				out = []meta{m1, out[0]}
			} else {
				out = append(out, m1)
			}
			break
		}
	}
	return out
}

// walker reads the page tree of one meta page from the raw file bytes.
type walker struct {
	data    []byte
	m       meta
	visited map[uint64]bool // pages reached (with their overflow pages)
	errs    []error
	// visit receives every plain key/value; path is the bucket names from
	// the top. Nil visits nothing.
	visit func(path [][]byte, k, v []byte)
}

func (w *walker) fail(format string, args ...any) {
	if len(w.errs) < maxWalkErrors {
		w.errs = append(w.errs, fmt.Errorf(format, args...))
	}
}

// page returns the bytes of page id including its overflow pages, after
// checking that it lies below the high water mark and inside the file and
// was not reached before.
func (w *walker) page(id uint64) ([]byte, bool) {
	ps := w.m.pageSize
	if id < 2 || id >= w.m.pgid {
		w.fail("page %d: out of range", id)
		return nil, false
	}
	off := id * ps
	if off+pageHeaderSize > uint64(len(w.data)) {
		w.fail("page %d: beyond the end of the file", id)
		return nil, false
	}
	if got := le.Uint64(w.data[off:]); got != id {
		w.fail("page %d: header says %d", id, got)
		return nil, false
	}
	overflow := uint64(le.Uint32(w.data[off+12:]))
	if overflow >= w.m.pgid || id+overflow >= w.m.pgid {
		w.fail("page %d: overflow %d out of range", id, overflow)
		return nil, false
	}
	end := off + (overflow+1)*ps
	if end > uint64(len(w.data)) {
		w.fail("page %d: beyond the end of the file", id)
		return nil, false
	}
	for i := id; i <= id+overflow; i++ {
		if w.visited[i] {
			w.fail("page %d: reached twice", i)
			return nil, false
		}
	}
	for i := id; i <= id+overflow; i++ {
		w.visited[i] = true
	}
	return w.data[off:end], true
}

// tree walks the b-tree rooted at page id (a bucket's pages).
func (w *walker) tree(path [][]byte, id uint64, depth int) {
	if depth > 64 {
		w.fail("page %d: tree too deep", id)
		return
	}
	p, ok := w.page(id)
	if !ok {
		return
	}
	w.node(path, p, id, depth)
}

// node reads one branch or leaf page (p includes its header).
func (w *walker) node(path [][]byte, p []byte, id uint64, depth int) {
	flags, count := le.Uint16(p[8:]), uint64(le.Uint16(p[10:]))
	if pageHeaderSize+count*elementSize > uint64(len(p)) {
		w.fail("page %d: %d elements do not fit", id, count)
		return
	}
	var prev []byte
	for i := range count {
		e := pageHeaderSize + i*elementSize
		switch flags {
		case branchPageFlag:
			pos, ksize, child := uint64(le.Uint32(p[e:])), uint64(le.Uint32(p[e+4:])), le.Uint64(p[e+8:])
			k, ok := w.slice(p, e+pos, ksize, id)
			if !ok || !w.ordered(prev, k, id) {
				return
			}
			prev = k
			w.tree(path, child, depth+1)
		case leafPageFlag:
			eflags, pos, ksize, vsize := le.Uint32(p[e:]), uint64(le.Uint32(p[e+4:])), uint64(le.Uint32(p[e+8:])), uint64(le.Uint32(p[e+12:]))
			k, ok := w.slice(p, e+pos, ksize, id)
			if !ok || !w.ordered(prev, k, id) {
				return
			}
			prev = k
			v, ok := w.slice(p, e+pos+ksize, vsize, id)
			if !ok {
				return
			}
			if eflags&bucketLeafFlag != 0 {
				w.bucket(append(path[:len(path):len(path)], k), v, id, depth)
			} else if w.visit != nil {
				w.visit(path, k, v)
			}
		default:
			w.fail("page %d: not a branch or leaf page (flags %#x)", id, flags)
			return
		}
	}
	if flags == branchPageFlag && count == 0 {
		w.fail("page %d: empty branch page", id)
	}
}

// bucket walks a nested bucket whose value is v.
func (w *walker) bucket(path [][]byte, v []byte, id uint64, depth int) {
	if len(v) < 16 {
		w.fail("page %d: bucket value too short", id)
		return
	}
	root := le.Uint64(v)
	if root != 0 {
		w.tree(path, root, depth+1)
		return
	}
	inline := v[16:]
	if len(inline) < pageHeaderSize || le.Uint16(inline[8:]) != leafPageFlag {
		w.fail("page %d: bad inline bucket", id)
		return
	}
	w.node(path, inline, id, depth+1)
}

func (w *walker) slice(p []byte, off, n, id uint64) ([]byte, bool) {
	if off > uint64(len(p)) || n > uint64(len(p))-off {
		w.fail("page %d: element out of bounds", id)
		return nil, false
	}
	return p[off : off+n], true
}

func (w *walker) ordered(prev, k []byte, id uint64) bool {
	if prev != nil && bytes.Compare(prev, k) >= 0 {
		w.fail("page %d: keys out of order", id)
		return false
	}
	return true
}

// freelist reads the free page ids and checks that none is in use.
func (w *walker) freelist() {
	if w.m.freelist == noFreelist {
		return
	}
	p, ok := w.page(w.m.freelist)
	if !ok {
		return
	}
	if le.Uint16(p[8:]) != freelistFlag {
		w.fail("page %d: not a freelist page", w.m.freelist)
		return
	}
	count, start := uint64(le.Uint16(p[10:])), uint64(pageHeaderSize)
	if count == 0xFFFF { // the real count is the first element
		if len(p) < pageHeaderSize+8 {
			w.fail("freelist: too short")
			return
		}
		count, start = le.Uint64(p[pageHeaderSize:]), pageHeaderSize+8
	}
	if count > (uint64(len(p))-start)/8 {
		w.fail("freelist: %d ids do not fit", count)
		return
	}
	free := make(map[uint64]bool, count)
	for i := range count {
		id := le.Uint64(p[start+i*8:])
		switch {
		case id < 2 || id >= w.m.pgid:
			w.fail("freelist: page %d out of range", id)
		case free[id]:
			w.fail("freelist: page %d freed twice", id)
		case w.visited[id]:
			w.fail("freelist: page %d is in use", id)
		}
		free[id] = true
	}
}

// walk reads the whole file as meta m describes it.
func walk(data []byte, m meta, visit func(path [][]byte, k, v []byte)) []error {
	w := &walker{data: data, m: m, visited: map[uint64]bool{}, visit: visit}
	if m.pgid > uint64(len(data))/m.pageSize {
		// Cut short: what is left is still read, for salvage.
		w.fail("the file is shorter than its %d pages", m.pgid)
	}
	w.tree(nil, m.root, 0)
	w.freelist()
	return w.errs
}

// checkFile reports whether the bbolt file at path is safe to hand to
// bbolt: a missing or empty file is (bbolt creates it), anything else must
// have a valid meta page whose whole tree and freelist read cleanly.
func checkFile(path string) error {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("check %s: %w", path, err)
	}
	return checkBytes(data)
}

func checkBytes(data []byte) error {
	if len(data) == 0 {
		return nil
	}
	ms := metas(data)
	if len(ms) == 0 {
		return fmt.Errorf("%w: no valid meta page", errDamaged)
	}
	// bbolt uses the newest valid meta page: that tree must be whole.
	if errs := walk(data, ms[0], nil); len(errs) > 0 {
		return fmt.Errorf("%w: %w", errDamaged, errors.Join(errs...))
	}
	return nil
}

// salvage returns every plain key/value of the top-level buckets that can
// be read from a damaged file. It reads the tree of the newest valid meta
// page and, only if that one is incomplete, the previous one too (a value
// already found is not replaced).
func salvage(data []byte) map[string]map[string][]byte {
	out := map[string]map[string][]byte{}
	for _, m := range metas(data) {
		errs := walk(data, m, func(path [][]byte, k, v []byte) {
			if len(path) != 1 {
				return
			}
			b := out[string(path[0])]
			if b == nil {
				b = map[string][]byte{}
				out[string(path[0])] = b
			}
			if _, ok := b[string(k)]; !ok {
				b[string(k)] = bytes.Clone(v)
			}
		})
		if len(errs) == 0 {
			break
		}
	}
	return out
}
