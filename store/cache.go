package store

import (
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"directuschat/realtime"
)

// CacheSize is how many of the newest messages are kept per account.
const CacheSize = 300

// Cache keeps the newest messages of one account (server and email) and
// who the user was, so a remembered session shows its chat at once, before
// the server answers. It is a cache: losing it loses nothing.
type Cache struct {
	db     *bolt.DB
	bucket []byte
}

// Cache returns the history cache of an account.
func (d *DB) Cache(server, email string) *Cache {
	return &Cache{db: d.db, bucket: []byte("cache\x00" + server + "\x00" + email)}
}

type cachedMessage struct {
	ID         string    `json:"id"`
	Text       string    `json:"text"`
	AuthorID   string    `json:"author_id,omitempty"`
	AuthorName string    `json:"author_name,omitempty"`
	Created    time.Time `json:"created"`
	Updated    time.Time `json:"updated,omitzero"`
}

var userKey = []byte("user")

// Save replaces the cache with user and the newest CacheSize of msgs
// (which must be in timeline order, oldest first).
func (c *Cache) Save(user realtime.User, msgs []realtime.Message) error {
	if len(msgs) > CacheSize {
		msgs = msgs[len(msgs)-CacheSize:]
	}
	u, err := json.Marshal(user)
	if err != nil {
		return fmt.Errorf("cache save: %w", err)
	}
	err = c.db.Update(func(tx *bolt.Tx) error {
		if tx.Bucket(c.bucket) != nil {
			if err := tx.DeleteBucket(c.bucket); err != nil {
				return err
			}
		}
		b, err := tx.CreateBucket(c.bucket)
		if err != nil {
			return err
		}
		if err := b.Put(userKey, u); err != nil {
			return err
		}
		msgBucket, err := b.CreateBucket([]byte("messages"))
		if err != nil {
			return err
		}
		for _, m := range msgs {
			v, err := json.Marshal(cachedMessage(m))
			if err != nil {
				return err
			}
			if err := msgBucket.Put(key(m), v); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("cache save: %w", err)
	}
	return nil
}

// Load returns the cached user and messages, oldest first. An empty or
// missing cache is not an error; unreadable entries are skipped.
func (c *Cache) Load() (realtime.User, []realtime.Message, error) {
	var user realtime.User
	var msgs []realtime.Message
	err := c.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(c.bucket)
		if b == nil {
			return nil
		}
		if v := b.Get(userKey); v != nil {
			if err := json.Unmarshal(v, &user); err != nil {
				user = realtime.User{}
			}
		}
		mb := b.Bucket([]byte("messages"))
		if mb == nil {
			return nil
		}
		return mb.ForEach(func(_, v []byte) error {
			var m cachedMessage
			if json.Unmarshal(v, &m) == nil && m.ID != "" {
				msgs = append(msgs, realtime.Message(m))
			}
			return nil
		})
	})
	if err != nil {
		return realtime.User{}, nil, fmt.Errorf("cache load: %w", err)
	}
	return user, msgs, nil
}

// Delete removes the account's cache (at log out).
func (c *Cache) Delete() error {
	err := c.db.Update(func(tx *bolt.Tx) error {
		if tx.Bucket(c.bucket) == nil {
			return nil
		}
		return tx.DeleteBucket(c.bucket)
	})
	if err != nil {
		return fmt.Errorf("cache delete: %w", err)
	}
	return nil
}
