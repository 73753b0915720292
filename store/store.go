// Package store keeps the app's local data in bbolt files: per account, the
// outbox of messages typed but not yet stored by the server (so they survive
// quitting the app; in the config directory), and a cache of the newest
// messages for an instant start (in the cache directory). Files are private
// (mode 0600) and a corrupt file is set aside, never a crash.
package store

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"directuschat/realtime"
)

// DB is the open state file.
type DB struct {
	db  *bolt.DB
	log *slog.Logger
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

// DefaultCachePath is the history cache file in the user's cache directory
// (the OS may clean it; it only holds copies of server data).
func DefaultCachePath() (string, error) {
	dir, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("cache file: %w", err)
	}
	return filepath.Join(dir, "directus-chat", "cache.db"), nil
}

// Open opens (or creates) the state file at path. A file that cannot be
// read as a database is renamed to path+".corrupt-<time>" and replaced by
// an empty one, with a log line.
func Open(path string, log *slog.Logger) (*DB, error) {
	if log == nil {
		log = slog.Default()
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("open state: %w", err)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 2 * time.Second})
	if err != nil && !errors.Is(err, bolterrors.ErrTimeout) {
		aside := fmt.Sprintf("%s.corrupt-%d", path, time.Now().Unix())
		log.Warn("store: state file unreadable; set aside and starting empty", "path", path, "moved_to", aside, "err", err)
		if rerr := os.Rename(path, aside); rerr != nil {
			return nil, fmt.Errorf("open state: %w (and could not move it aside: %v)", err, rerr)
		}
		db, err = bolt.Open(path, 0o600, &bolt.Options{Timeout: 2 * time.Second})
	}
	if err != nil {
		return nil, fmt.Errorf("open state %s: %w", path, err)
	}
	return &DB{db: db, log: log}, nil
}

// Close closes the file.
func (d *DB) Close() error { return d.db.Close() }

// Outbox returns the outbox of one account.
func (d *DB) Outbox(server, userID string) *Outbox {
	return &Outbox{db: d.db, bucket: []byte("outbox\x00" + server + "\x00" + userID)}
}

// Outbox is the persistent queue of one account's unsent messages, in the
// order they were typed. It implements realtime.OutboxStore.
type Outbox struct {
	db     *bolt.DB
	bucket []byte
}

var _ realtime.OutboxStore = (*Outbox)(nil)

type storedMessage struct {
	ID      string    `json:"id"`
	Text    string    `json:"text"`
	Created time.Time `json:"created"`
}

// key orders entries by typing time, then id.
func key(m realtime.Message) []byte {
	k := make([]byte, 8, 8+len(m.ID))
	binary.BigEndian.PutUint64(k, uint64(m.Created.UnixNano()))
	return append(k, m.ID...)
}

// Put stores m (idempotent).
func (o *Outbox) Put(m realtime.Message) error {
	v, err := json.Marshal(storedMessage{ID: m.ID, Text: m.Text, Created: m.Created})
	if err != nil {
		return fmt.Errorf("outbox put: %w", err)
	}
	err = o.db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(o.bucket)
		if err != nil {
			return err
		}
		return b.Put(key(m), v)
	})
	if err != nil {
		return fmt.Errorf("outbox put: %w", err)
	}
	return nil
}

// Remove forgets the message with id.
func (o *Outbox) Remove(id string) error {
	err := o.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(o.bucket)
		if b == nil {
			return nil
		}
		c := b.Cursor()
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
			if string(k[8:]) == id {
				return c.Delete()
			}
		}
		return nil
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
	err := o.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(o.bucket)
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			var s storedMessage
			if err := json.Unmarshal(v, &s); err != nil || s.ID == "" {
				slog.Warn("store: skipped unreadable outbox entry", "err", err)
				return nil
			}
			out = append(out, realtime.Message{ID: s.ID, Text: s.Text, Created: s.Created})
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("outbox load: %w", err)
	}
	return out, nil
}
