// Package store keeps the app's local data: per account, the outbox of
// messages typed but not yet stored by the server (so they survive quitting
// the app; a bbolt file in the config directory), and a cache of the newest
// messages for an instant start (one JSON file per account in the cache
// directory, for remembered sessions only, deleted whole at sign-out).
// Files are private (mode 0600); a damaged file is set aside and reported,
// never a crash.
package store

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"directuschat/realtime"
)

// DB is the open state file. It is safe for concurrent use; every
// operation holds its lock, so a damaged file can be swapped for a new one
// under a running app.
type DB struct {
	path string
	log  *slog.Logger

	mu       sync.Mutex
	db       *bolt.DB // nil once closed
	damages  []Damage
	watchers []func(Damage)
}

// DamageKind says which local file was damaged.
type DamageKind int

// The local files.
const (
	StateFile DamageKind = iota // the outbox of unsent messages
	CacheFile                   // an account's history cache
)

// Damage reports a local file that could not be read, set aside (renamed,
// not deleted) and replaced by an empty one.
type Damage struct {
	Kind      DamageKind
	Path      string // the file, empty again now
	MovedTo   string // where the damaged file is
	Recovered int    // unsent messages carried over into the new file
	Err       error  // what was wrong
}

// OnDamage registers fn to learn of damaged files: those found when the
// file was opened (at once) and any found later. fn runs on whichever
// goroutine found the damage, possibly with the file's lock held: it must
// not call back into the DB (hand the news to another goroutine).
func (d *DB) OnDamage(fn func(Damage)) {
	d.mu.Lock()
	d.watchers = append(d.watchers, fn)
	past := slices.Clone(d.damages)
	d.mu.Unlock()
	for _, dmg := range past {
		fn(dmg)
	}
}

// DefaultPath is the state file in the user's config directory (not the
// cache directory: an outbox must not be cleaned up by the OS).
func DefaultPath() (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("state file: %w", err)
	}
	return filepath.Join(dir, "directus-chat", "state.db"), nil
}

// lockTimeout is how long Open waits for another process holding the file.
const lockTimeout = 2 * time.Second

// Open opens (or creates) the state file at path. A file that cannot be
// read as a database, or whose pages do not read cleanly, is renamed to
// path+".corrupt-<time>" and replaced by a new one holding the unsent
// messages that could be read from it; OnDamage tells about it. A file
// locked by another process is an error (bbolt's ErrTimeout), never set aside.
func Open(path string, log *slog.Logger) (*DB, error) {
	if log == nil {
		log = slog.Default()
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("open state: %w", err)
	}
	d := &DB{path: path, log: log}
	if err := d.open(); err != nil {
		return nil, fmt.Errorf("open state %s: %w", path, err)
	}
	return d, nil
}

// open checks the file and opens it, or sets it aside. A file in use by
// another process is not checked (it may be half written): bbolt's shared
// lock is taken first, so the check only ever reads a file at rest.
func (d *DB) open() error {
	var err error
	if fi, statErr := os.Stat(d.path); statErr == nil && fi.Size() > 0 {
		var ro *bolt.DB
		if ro, err = openBolt(d.path, true); err == nil {
			err = checkFile(d.path)
			_ = protect(ro.Close)
		}
	}
	if err == nil {
		d.db, err = openBolt(d.path, false)
	}
	switch {
	case err == nil:
		return nil
	case errors.Is(err, bolterrors.ErrTimeout):
		return fmt.Errorf("in use by another process: %w", err)
	}
	return d.setAside(err)
}

// openBolt opens a bbolt file, turning its panics into errors. bbolt does
// not close the file when it panics half-way through opening: the file
// handle is kept here to close it then (which also drops the lock).
func openBolt(path string, readOnly bool) (*bolt.DB, error) {
	var f *os.File
	opts := &bolt.Options{Timeout: lockTimeout, ReadOnly: readOnly,
		OpenFile: func(name string, flag int, mode os.FileMode) (*os.File, error) {
			var err error
			f, err = os.OpenFile(name, flag, mode)
			return f, err
		}}
	var db *bolt.DB
	err := protect(func() error {
		var err error
		db, err = bolt.Open(path, 0o600, opts)
		return err
	})
	if err != nil && db == nil && f != nil && errors.Is(err, errDamaged) {
		_ = f.Close()
	}
	return db, err
}

// protect runs fn, turning a bbolt panic, or a fault reading the mapped
// file (a file truncated under it), into an error wrapping errDamaged.
func protect(fn func() error) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: bbolt: %v", errDamaged, r)
		}
	}()
	return fn()
}

// setAside renames the damaged file, opens a new one in its place and
// copies into it the outbox entries that can be read from the old bytes.
func (d *DB) setAside(cause error) error {
	data, _ := os.ReadFile(d.path) // best effort: salvage what can be read
	aside := asidePath(d.path)
	if err := os.Rename(d.path, aside); err != nil {
		return fmt.Errorf("%w (and could not move it aside: %v)", cause, err)
	}
	db, err := openBolt(d.path, false)
	if err != nil {
		return fmt.Errorf("%w (and could not start a new file: %v)", cause, err)
	}
	d.db = db
	recovered, err := d.restore(salvage(data))
	if err != nil {
		d.log.Warn("store: could not copy the readable unsent messages into the new state file", "err", err)
	}
	d.log.Warn("store: state file damaged; set aside and started anew", "path", d.path, "moved_to", aside, "recovered", recovered, "err", cause)
	d.report(Damage{Kind: StateFile, Path: d.path, MovedTo: aside, Recovered: recovered, Err: cause})
	return nil
}

// restore writes salvaged outbox entries (readable ones only) to the file.
func (d *DB) restore(salvaged map[string]map[string][]byte) (int, error) {
	n := 0
	err := protect(func() error {
		return d.db.Update(func(tx *bolt.Tx) error {
			for name, kvs := range salvaged {
				if !strings.HasPrefix(name, outboxPrefix) {
					continue
				}
				b, err := tx.CreateBucketIfNotExists([]byte(name))
				if err != nil {
					return err
				}
				for k, v := range kvs {
					var s storedMessage
					if len(k) < 8 || json.Unmarshal(v, &s) != nil || s.ID == "" || s.ID != k[8:] {
						continue
					}
					if err := b.Put([]byte(k), v); err != nil {
						return err
					}
					n++
				}
			}
			return nil
		})
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// report records a damage and tells the watchers (d.mu is held).
func (d *DB) report(dmg Damage) {
	d.damages = append(d.damages, dmg)
	for _, fn := range d.watchers {
		fn(dmg)
	}
}

// asidePath is where a damaged file goes: path.corrupt-<unix time>, with a
// counter if that is taken.
func asidePath(path string) string {
	base := fmt.Sprintf("%s.corrupt-%d", path, time.Now().Unix())
	p := base
	for i := 2; ; i++ {
		if _, err := os.Lstat(p); errors.Is(err, os.ErrNotExist) {
			return p
		}
		p = fmt.Sprintf("%s-%d", base, i)
	}
}

// do runs fn on the open file. A panic or fault in bbolt means the file is
// damaged: it is set aside (with the readable unsent messages copied over)
// and fn runs once more on the new file.
func (d *DB) do(fn func(*bolt.DB) error) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.db == nil {
		return bolterrors.ErrDatabaseNotOpen
	}
	err := protect(func() error { return fn(d.db) })
	if !errors.Is(err, errDamaged) {
		return err
	}
	_ = protect(d.db.Close)
	d.db = nil
	if serr := d.setAside(err); serr != nil {
		return serr
	}
	return protect(func() error { return fn(d.db) })
}

// Close closes the file.
func (d *DB) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.db == nil {
		return nil
	}
	err := protect(d.db.Close)
	d.db = nil
	return err
}

// outboxPrefix starts the name of every outbox bucket.
const outboxPrefix = "outbox\x00"

// Outbox returns the outbox of one account.
func (d *DB) Outbox(server, userID string) *Outbox {
	return &Outbox{d: d, bucket: []byte(outboxPrefix + server + "\x00" + userID)}
}

// Outbox is the persistent queue of one account's unsent messages, in the
// order they were typed. It implements realtime.OutboxStore.
type Outbox struct {
	d      *DB
	bucket []byte
}

var _ realtime.OutboxStore = (*Outbox)(nil)

type storedMessage struct {
	ID      string          `json:"id"`
	Text    string          `json:"text"`
	Created time.Time       `json:"created"`
	Channel string          `json:"channel,omitempty"`  // the conversation it goes to, on servers with channels
	ReplyTo string          `json:"reply_to,omitempty"` // the message it answers
	Quote   *realtime.Quote `json:"quote,omitempty"`    // the start of that message, shown while it waits
	Files   []storedFile    `json:"files,omitempty"`    // its attachments, uploaded before it is created
}

// storedFile is an attachment of an unsent message: the id it is uploaded
// under, what it is, and the local file it is read from.
type storedFile struct {
	ID     string `json:"id"`
	Name   string `json:"name,omitempty"`
	Type   string `json:"type,omitempty"`
	Size   int64  `json:"size,omitempty"`
	Width  int    `json:"width,omitempty"`
	Height int    `json:"height,omitempty"`
	Path   string `json:"path,omitempty"`
}

func storedFiles(fs []realtime.Attachment) []storedFile {
	if len(fs) == 0 {
		return nil
	}
	out := make([]storedFile, len(fs))
	for i, f := range fs {
		out[i] = storedFile{ID: f.ID, Name: f.Name, Type: f.Type, Size: f.Size, Width: f.Width, Height: f.Height, Path: f.Path}
	}
	return out
}

// attachments are the stored files back; entries without an id are
// dropped.
func attachments(fs []storedFile) []realtime.Attachment {
	var out []realtime.Attachment
	for _, f := range fs {
		if f.ID != "" {
			out = append(out, realtime.Attachment{ID: f.ID, Name: f.Name, Type: f.Type, Size: f.Size, Width: f.Width, Height: f.Height, Path: f.Path})
		}
	}
	return out
}

// key orders entries by typing time, then id.
func key(m realtime.Message) []byte {
	k := make([]byte, 8, 8+len(m.ID))
	binary.BigEndian.PutUint64(k, uint64(m.Created.UnixNano()))
	return append(k, m.ID...)
}

// Put stores m (idempotent).
func (o *Outbox) Put(m realtime.Message) error {
	v, err := json.Marshal(storedMessage{ID: m.ID, Text: m.Text, Created: m.Created, Channel: m.Channel, ReplyTo: m.ReplyTo, Quote: m.Quote, Files: storedFiles(m.Files)})
	if err != nil {
		return fmt.Errorf("outbox put: %w", err)
	}
	err = o.d.do(func(db *bolt.DB) error {
		return db.Update(func(tx *bolt.Tx) error {
			b, err := tx.CreateBucketIfNotExists(o.bucket)
			if err != nil {
				return err
			}
			return b.Put(key(m), v)
		})
	})
	if err != nil {
		return fmt.Errorf("outbox put: %w", err)
	}
	return nil
}

// Remove forgets the message with id.
func (o *Outbox) Remove(id string) error {
	err := o.d.do(func(db *bolt.DB) error {
		return db.Update(func(tx *bolt.Tx) error {
			b := tx.Bucket(o.bucket)
			if b == nil {
				return nil
			}
			c := b.Cursor()
			for k, _ := c.First(); k != nil; k, _ = c.Next() {
				if len(k) >= 8 && string(k[8:]) == id {
					return c.Delete()
				}
			}
			return nil
		})
	})
	if err != nil {
		return fmt.Errorf("outbox remove: %w", err)
	}
	return nil
}

// Load returns the unsent messages in typing order. Unreadable entries are
// skipped with a log line.
func (o *Outbox) Load() ([]realtime.Message, error) {
	var out []realtime.Message
	err := o.d.do(func(db *bolt.DB) error {
		out = nil // a second run, on a new file after damage, starts over
		return db.View(func(tx *bolt.Tx) error {
			b := tx.Bucket(o.bucket)
			if b == nil {
				return nil
			}
			return b.ForEach(func(k, v []byte) error {
				var s storedMessage
				if err := json.Unmarshal(v, &s); err != nil || s.ID == "" {
					o.d.log.Warn("store: skipped unreadable outbox entry", "err", err)
					return nil
				}
				out = append(out, realtime.Message{ID: s.ID, Text: s.Text, Created: s.Created, Channel: s.Channel, ReplyTo: s.ReplyTo, Quote: s.Quote, Files: attachments(s.Files)})
				return nil
			})
		})
	})
	if err != nil {
		return nil, fmt.Errorf("outbox load: %w", err)
	}
	return out, nil
}
