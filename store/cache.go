package store

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"directuschat/realtime"
)

// CacheSize is how many of the newest messages are kept per account.
const CacheSize = 300

// DefaultCacheDir is where the history caches live, in the user's cache
// directory (the OS may clean it; it only holds copies of server data).
func DefaultCacheDir() (string, error) {
	dir, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("cache directory: %w", err)
	}
	return filepath.Join(dir, "directus-chat"), nil
}

// CacheDir holds the history cache files, one per account, so that an
// account's cache is deleted whole: no text of it stays readable in a file
// shared with others (a database file keeps deleted pages' bytes).
type CacheDir struct {
	dir string
	log *slog.Logger

	mu       sync.Mutex
	damages  []Damage
	watchers []func(Damage)
}

// legacyCache is the shared bbolt cache file of earlier versions.
const legacyCache = "cache.db"

// OpenCacheDir prepares dir for history caches. It deletes the shared cache
// file of earlier versions (and damaged copies of it), which held every
// account's messages.
func OpenCacheDir(dir string, log *slog.Logger) (*CacheDir, error) {
	if log == nil {
		log = slog.Default()
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("cache directory: %w", err)
	}
	old, _ := filepath.Glob(filepath.Join(dir, legacyCache+".corrupt-*"))
	for _, p := range append(old, filepath.Join(dir, legacyCache)) {
		if err := os.Remove(p); err == nil {
			log.Info("store: deleted the shared history cache of an earlier version", "path", p)
		}
	}
	return &CacheDir{dir: dir, log: log}, nil
}

// OnDamage registers fn to learn of cache files found damaged and set
// aside (see DB.OnDamage).
func (cd *CacheDir) OnDamage(fn func(Damage)) {
	cd.mu.Lock()
	cd.watchers = append(cd.watchers, fn)
	past := slices.Clone(cd.damages)
	cd.mu.Unlock()
	for _, dmg := range past {
		fn(dmg)
	}
}

func (cd *CacheDir) report(dmg Damage) {
	cd.mu.Lock()
	cd.damages = append(cd.damages, dmg)
	watchers := slices.Clone(cd.watchers)
	cd.mu.Unlock()
	for _, fn := range watchers {
		fn(dmg)
	}
}

// Cache returns the history cache of an account (server and email). Its
// file name is a hash: the directory listing does not name the accounts.
func (cd *CacheDir) Cache(server, email string) *Cache {
	sum := sha256.Sum256([]byte(server + "\x00" + email))
	return &Cache{cd: cd, path: filepath.Join(cd.dir, "history-"+hex.EncodeToString(sum[:16])+".json")}
}

// Cache keeps the newest messages of one account and who the user was, so
// a remembered session shows its chat at once, before the server answers.
// It is a cache: losing it loses nothing.
type Cache struct {
	cd   *CacheDir
	path string
}

// Path is the account's cache file.
func (c *Cache) Path() string { return c.path }

type cachedMessage struct {
	ID         string    `json:"id"`
	Text       string    `json:"text"`
	AuthorID   string    `json:"author_id,omitempty"`
	AuthorName string    `json:"author_name,omitempty"`
	Created    time.Time `json:"created"`
	Updated    time.Time `json:"updated,omitzero"`
	Channel    string    `json:"channel,omitempty"`
	// A reply's original and the start of it (realtime.Quote's fields
	// under their own names).
	ReplyTo string          `json:"reply_to,omitempty"`
	Quote   *realtime.Quote `json:"quote,omitempty"`
	// The message's attachments (realtime.Attachment's own JSON names).
	Files []realtime.Attachment `json:"files,omitempty"`
}

type cacheFile struct {
	Version  int             `json:"version"`
	User     realtime.User   `json:"user"`
	Messages []cachedMessage `json:"messages"`
	// Drafts is what was typed and not sent, per conversation.
	Drafts map[string]string `json:"drafts,omitempty"`
}

const cacheVersion = 1

// Save replaces the cache with user and the newest CacheSize of msgs
// (which must be in timeline order, oldest first). The file is written
// beside and renamed over the old one: a crash leaves one or the other.
func (c *Cache) Save(user realtime.User, msgs []realtime.Message) error {
	return c.SaveWithDrafts(user, msgs, nil)
}

// SaveWithDrafts is Save that also keeps the drafts of conversations
// (conversation id -> text typed and not sent).
func (c *Cache) SaveWithDrafts(user realtime.User, msgs []realtime.Message, drafts map[string]string) error {
	if len(msgs) > CacheSize {
		msgs = msgs[len(msgs)-CacheSize:]
	}
	f := cacheFile{Version: cacheVersion, User: user, Messages: make([]cachedMessage, len(msgs)), Drafts: drafts}
	for i, m := range msgs {
		f.Messages[i] = cachedMessage(m)
	}
	data, err := json.Marshal(f)
	if err != nil {
		return fmt.Errorf("cache save: %w", err)
	}
	if err := WriteFile(c.tmp(), c.path, data); err != nil {
		return fmt.Errorf("cache save: %w", err)
	}
	return nil
}

func (c *Cache) tmp() string { return c.path + ".tmp" }

// WriteFile replaces the file at path with data as one step: it writes
// data to tmp (mode 0600), syncs it and renames it to path, so a crash
// leaves the old file or the new one, never half of it.
func WriteFile(tmp, path string, data []byte) error {
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
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

// Load returns the cached user and messages, oldest first. A missing cache
// is not an error. A file that cannot be read as a cache is set aside (and
// reported to OnDamage); Load then returns an error and nothing.
func (c *Cache) Load() (realtime.User, []realtime.Message, error) {
	data, err := os.ReadFile(c.path)
	if errors.Is(err, os.ErrNotExist) {
		return realtime.User{}, nil, nil
	}
	if err != nil {
		return realtime.User{}, nil, fmt.Errorf("cache load: %w", err)
	}
	var f cacheFile
	if err := json.Unmarshal(data, &f); err != nil || f.Version != cacheVersion {
		if err == nil {
			err = fmt.Errorf("unknown version %d", f.Version)
		}
		err = fmt.Errorf("%w: %w", errDamaged, err)
		aside := asidePath(c.path)
		if rerr := os.Rename(c.path, aside); rerr != nil {
			return realtime.User{}, nil, fmt.Errorf("cache load: %w (and could not move it aside: %v)", err, rerr)
		}
		c.cd.log.Warn("store: history cache damaged; set aside", "path", c.path, "moved_to", aside, "err", err)
		c.cd.report(Damage{Kind: CacheFile, Path: c.path, MovedTo: aside, Err: err})
		return realtime.User{}, nil, fmt.Errorf("cache load: %w", err)
	}
	msgs := make([]realtime.Message, 0, len(f.Messages))
	for _, m := range f.Messages {
		if m.ID != "" {
			msgs = append(msgs, realtime.Message(m))
		}
	}
	return f.User, msgs, nil
}

// Drafts returns the drafts kept by SaveWithDrafts (nil when there are
// none or the file cannot be read: Load reports why).
func (c *Cache) Drafts() map[string]string {
	data, err := os.ReadFile(c.path)
	if err != nil {
		return nil
	}
	var f cacheFile
	if json.Unmarshal(data, &f) != nil || f.Version != cacheVersion {
		return nil
	}
	return f.Drafts
}

// Delete removes the account's cache file, with any damaged copies set
// aside and a half-written one (at sign-out).
func (c *Cache) Delete() error {
	aside, _ := filepath.Glob(c.path + ".corrupt-*")
	var errs []error
	for _, p := range append([]string{c.path, c.tmp()}, aside...) {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("cache delete: %w", err)
	}
	return nil
}
