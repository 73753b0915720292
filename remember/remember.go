// Package remember keeps a signed-in session ("Remember me") in the
// operating system's keyring: the Secret Service on Linux, the Keychain on
// macOS, the Credential Manager on Windows (through go-keyring).
//
// Only the refresh token is a secret and only it goes into the keyring, as
// one entry per account under the service name [Service] and the account key
// [Key](server, email). The non-secret part (the last server URL and email)
// belongs in the app's preferences; with those the UI calls
// [Store.Load](ctx, server, email) at launch.
//
// Every keyring call runs on its own goroutine and is abandoned when its
// context ends or the store's timeout passes, because a locked keyring can
// wait forever on an unlock prompt and a broken D-Bus activation stalls for
// minutes. Calls are serialised: at most one keyring call is in flight, so a
// stuck keyring costs one goroutine, not one per attempt. Errors wrap one of
// [ErrNotFound], [ErrUnavailable] or [ErrTooLarge]; [Message] turns them into
// a sentence for the user. No error, and nothing this package logs, ever
// contains the token.
package remember

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/zalando/go-keyring"
)

// Service is the keyring service name every entry is stored under.
const Service = "io.github.directuschat.desktop"

// DefaultTimeout bounds each keyring call of a [Store] made by [New].
const DefaultTimeout = 5 * time.Second

// MaxTokenBytes is the largest refresh token Save accepts. It holds on every
// OS: Windows caps a credential at 2560 bytes and macOS's `security` command
// line (base64 of the secret plus service and account) at 4096 bytes.
// Directus refresh tokens are 64 characters.
const MaxTokenBytes = 2048

// MaxKeyBytes is the longest account key ([Key]) Save accepts, for the same
// platform limits as [MaxTokenBytes].
const MaxKeyBytes = 512

var (
	// ErrNotFound means no session is remembered for that server and email.
	ErrNotFound = errors.New("no remembered session")
	// ErrUnavailable means the keyring could not be used: no Secret
	// Service, a locked keyring, a timeout, or any other keyring failure.
	ErrUnavailable = errors.New("system keyring unavailable")
	// ErrTooLarge means the token or the account key exceeds what every
	// platform's keyring can hold.
	ErrTooLarge = errors.New("session too large for the system keyring")
)

// Session is what is remembered for one account. RefreshToken is the only
// secret and the only part stored in the keyring.
type Session struct {
	Server       string
	Email        string
	RefreshToken string
}

// Backend is the keyring a Store talks to. go-keyring's package functions
// satisfy it through [SystemBackend]; tests inject fakes.
type Backend interface {
	Set(service, user, secret string) error
	Get(service, user string) (string, error)
	Delete(service, user string) error
}

// SystemBackend returns the OS keyring (go-keyring). After
// keyring.MockInit() it is go-keyring's in-memory mock.
func SystemBackend() Backend { return systemBackend{} }

type systemBackend struct{}

func (systemBackend) Set(service, user, secret string) error {
	return keyring.Set(service, user, secret)
}
func (systemBackend) Get(service, user string) (string, error) { return keyring.Get(service, user) }
func (systemBackend) Delete(service, user string) error        { return keyring.Delete(service, user) }

// Store saves, loads and deletes remembered sessions. Its methods are safe
// for concurrent use and never block longer than their context or the
// store's timeout, whichever ends first; call them from a goroutine of your
// own, not from the UI goroutine.
type Store struct {
	backend Backend
	timeout time.Duration
	// slot holds one token while a backend call is in flight, even one
	// whose caller has given up on it.
	slot chan struct{}
}

// New returns a Store over the OS keyring with [DefaultTimeout]. On Linux
// and the BSDs it reports ErrUnavailable when the session has no D-Bus
// session bus, rather than letting one be autolaunched.
func New() *Store { return NewWithBackend(guarded{SystemBackend()}, DefaultTimeout) }

// guarded checks for a session bus before each call of its backend.
type guarded struct{ Backend }

func (g guarded) Set(service, user, secret string) error {
	if err := sessionBusCheck(); err != nil {
		return err
	}
	return g.Backend.Set(service, user, secret)
}

func (g guarded) Get(service, user string) (string, error) {
	if err := sessionBusCheck(); err != nil {
		return "", err
	}
	return g.Backend.Get(service, user)
}

func (g guarded) Delete(service, user string) error {
	if err := sessionBusCheck(); err != nil {
		return err
	}
	return g.Backend.Delete(service, user)
}

// NewWithBackend returns a Store over b. Each call is bounded by timeout
// (in addition to its context); timeout <= 0 leaves only the context.
func NewWithBackend(b Backend, timeout time.Duration) *Store {
	return &Store{backend: b, timeout: timeout, slot: make(chan struct{}, 1)}
}

// Key returns the keyring account key for server and email, e.g.
// "ada@example.com on https://chat.example.com". The server is normalised
// (scheme and host lower case, no trailing slash, no query or fragment) and the
// email trimmed and lower-cased, so equivalent spellings find the same entry.
func Key(server, email string) string {
	return normEmail(email) + " on " + normServer(server)
}

func normEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

func normServer(server string) string {
	s := strings.TrimSpace(server)
	u, err := url.Parse(s)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return strings.TrimRight(s, "/")
	}
	u.Scheme = strings.ToLower(u.Scheme)
	u.Host = strings.ToLower(u.Host)
	u.User = nil
	u.RawQuery, u.Fragment, u.RawFragment = "", "", ""
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	return u.String()
}

// Error is the error type returned by Store methods. It matches its Kind
// (ErrNotFound, ErrUnavailable or ErrTooLarge) with errors.Is.
type Error struct {
	Op   string // "save", "load" or "delete"
	Kind error  // ErrNotFound, ErrUnavailable or ErrTooLarge
	// Detail describes the cause (never the token).
	Detail string
	cause  error
}

func (e *Error) Error() string {
	s := "remember: " + e.Op + ": " + e.Kind.Error()
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return s
}

// Unwrap returns the kind and, for a timeout or cancellation, the context
// error.
func (e *Error) Unwrap() []error {
	if e.cause != nil {
		return []error{e.Kind, e.cause}
	}
	return []error{e.Kind}
}

// Message returns a short sentence for the user describing err, or "" for
// nil and for ErrNotFound (nothing remembered is not a problem to report).
func Message(err error) string {
	switch {
	case err == nil, errors.Is(err, ErrNotFound):
		return ""
	case errors.Is(err, ErrUnavailable):
		return "Could not reach the system keyring; sign in by hand."
	case errors.Is(err, ErrTooLarge):
		return "This session is too large to remember on this computer; sign in by hand next time."
	default:
		return "Could not remember the session; sign in by hand."
	}
}

// Save stores s.RefreshToken for (s.Server, s.Email), replacing any earlier
// token for that account. Call it again after every token rotation.
func (st *Store) Save(ctx context.Context, s Session) error {
	if strings.TrimSpace(s.Server) == "" || strings.TrimSpace(s.Email) == "" {
		return errors.New("remember: save: server and email are required")
	}
	if s.RefreshToken == "" {
		return errors.New("remember: save: empty refresh token")
	}
	key := Key(s.Server, s.Email)
	if n := len(s.RefreshToken); n > MaxTokenBytes {
		return &Error{Op: "save", Kind: ErrTooLarge, Detail: fmt.Sprintf("refresh token is %d bytes, at most %d fit", n, MaxTokenBytes)}
	}
	if n := len(key); n > MaxKeyBytes {
		return &Error{Op: "save", Kind: ErrTooLarge, Detail: fmt.Sprintf("account key is %d bytes, at most %d fit", n, MaxKeyBytes)}
	}
	_, err := st.call(ctx, "save", s.RefreshToken, func() (string, error) {
		return "", st.backend.Set(Service, key, s.RefreshToken)
	})
	return err
}

// Load returns the session remembered for server and email, or an error
// matching ErrNotFound or ErrUnavailable.
func (st *Store) Load(ctx context.Context, server, email string) (Session, error) {
	key := Key(server, email)
	tok, err := st.call(ctx, "load", "", func() (string, error) {
		return st.backend.Get(Service, key)
	})
	if err != nil {
		return Session{}, err
	}
	if tok == "" {
		return Session{}, &Error{Op: "load", Kind: ErrNotFound, Detail: "empty entry"}
	}
	return Session{Server: strings.TrimSpace(server), Email: strings.TrimSpace(email), RefreshToken: tok}, nil
}

// Delete forgets the session for server and email. Forgetting a session
// that is not remembered is not an error.
func (st *Store) Delete(ctx context.Context, server, email string) error {
	key := Key(server, email)
	_, err := st.call(ctx, "delete", "", func() (string, error) {
		return "", st.backend.Delete(Service, key)
	})
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	return err
}

type result struct {
	val string
	err error
}

// call runs fn on its own goroutine, one at a time, and waits for it at most
// until ctx (bounded by the store's timeout) ends. secret is scrubbed from
// any error text.
func (st *Store) call(ctx context.Context, op, secret string, fn func() (string, error)) (string, error) {
	if st.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, st.timeout)
		defer cancel()
	}
	select {
	case st.slot <- struct{}{}:
	case <-ctx.Done():
		return "", &Error{Op: op, Kind: ErrUnavailable, Detail: "an earlier keyring call has not returned", cause: ctx.Err()}
	}
	done := make(chan result, 1)
	go func() {
		defer func() { <-st.slot }()
		v, err := fn()
		done <- result{v, err}
	}()
	select {
	case r := <-done:
		if r.err == nil {
			return r.val, nil
		}
		return "", classify(op, r.err, secret)
	case <-ctx.Done():
		detail := "cancelled"
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			detail = "timed out (locked keyring or no Secret Service?)"
		}
		return "", &Error{Op: op, Kind: ErrUnavailable, Detail: detail, cause: ctx.Err()}
	}
}

func classify(op string, err error, secret string) error {
	switch {
	case errors.Is(err, keyring.ErrNotFound):
		return &Error{Op: op, Kind: ErrNotFound}
	case errors.Is(err, keyring.ErrSetDataTooBig):
		return &Error{Op: op, Kind: ErrTooLarge, Detail: "rejected by the keyring"}
	}
	detail := err.Error()
	if secret != "" {
		detail = strings.ReplaceAll(detail, secret, "[redacted]")
	}
	return &Error{Op: op, Kind: ErrUnavailable, Detail: detail}
}
