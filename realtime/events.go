package realtime

import (
	"sync"
	"time"
)

// Event is something the session tells its consumer. The concrete types are
// Loaded, Deleted, SendStatus, UploadProgress, StateChanged, TokensRotated,
// Queued, Persisted, Problem and SignedOut (and those of channels.go and
// reactions.go).
type Event interface{ event() }

// LoadKind says where a batch of messages came from.
type LoadKind int

// Where a Loaded batch came from.
const (
	LoadInitial LoadKind = iota // the newest page, at sign-in and after each reconnect
	LoadLive                    // created live by anyone
	LoadUpdated                 // changed live (an edit)
	LoadCatchUp                 // read after a reconnect or while reconciling
	LoadOlder                   // an older page the consumer asked for
	LoadCached                  // kept locally by an earlier run, shown before the server answers
)

// Loaded carries messages to merge into the timeline (insert or replace by ID).
type Loaded struct {
	Kind LoadKind
	// Channel is the conversation a LoadInitial or LoadOlder page belongs
	// to (on servers with channels); other batches may mix conversations:
	// each message says its own.
	Channel  string
	Messages []Message
	// NoOlder is set on LoadInitial and LoadOlder batches when the server has
	// nothing older than the oldest message in the batch.
	NoOlder bool
}

// Deleted lists messages removed on the server.
type Deleted struct{ IDs []string }

// SendState is where an outgoing message stands.
type SendState int

// The states of an outgoing message.
const (
	SendPending   SendState = iota // queued, in flight, or waiting to go out again
	SendDelivered                  // stored by the server
	SendFailed                     // refused by the server: retry or discard
)

// SendStatus reports a change of an outgoing message (create, edit or delete).
type SendStatus struct {
	ID    string
	State SendState
	// Err says why it failed, for SendFailed. For SendPending of a create
	// it says why the message waits (the server could not store it: an
	// internal error, its database away; KindServer): it goes out again
	// by itself, and a later SendStatus settles it. Err is nil when a
	// message is queued again by Retry.
	Err    error
	Stored *Message // the server's copy, for SendDelivered of a create or edit
}

// ConnState is the state of the live connection.
type ConnState int

// Connection states, as shown in the status line.
const (
	StateConnecting ConnState = iota
	StateOnline
	StateOffline
	StateSignedOut // the session ended signed out (just before SignedOut); a Close ends without it
)

func (s ConnState) String() string {
	switch s {
	case StateConnecting:
		return "connecting"
	case StateOnline:
		return "online"
	case StateOffline:
		return "offline"
	case StateSignedOut:
		return "signed out"
	}
	return "unknown"
}

// StateChanged reports a change of the connection state. When Offline,
// RetryAt says when the next attempt starts and Err why the link was lost;
// when SignedOut, Err says why the server ended the session (nil after Logout).
type StateChanged struct {
	State   ConnState
	RetryAt time.Time
	Err     error
}

// TokensRotated carries a new refresh token, for a consumer that remembers
// the session (the old one is dead).
type TokensRotated struct{ RefreshToken string }

// SignedOut is the last event of a session: the user logged out, or the
// server no longer accepts the session (Err says why). Unsent messages are
// listed so they can be kept.
type SignedOut struct {
	Err    error
	Unsent []Message
}

// Queued lists messages left unsent by an earlier run, queued again at
// sign-in: show them as pending.
type Queued struct{ Messages []Message }

// Persisted tells where messages typed here are kept until the server has
// them: with Err nil, in the durable outbox (they survive quitting the
// app); otherwise in memory only, and Err says why (no outbox, a failed
// write, or the account's outbox not open yet). Messages are reported
// again when that changes.
type Persisted struct {
	IDs []string
	Err error
}

func (Persisted) event()     {}
func (Queued) event()        {}
func (Loaded) event()        {}
func (Deleted) event()       {}
func (SendStatus) event()    {}
func (StateChanged) event()  {}
func (TokensRotated) event() {}
func (SignedOut) event()     {}

// queue is an unbounded FIFO: push never blocks, so neither the socket reader
// nor the UI ever waits for the other. ready has a token whenever items may
// be waiting.
type queue[T any] struct {
	mu     sync.Mutex
	items  []T
	closed bool
	ready  chan struct{}
}

func newQueue[T any]() *queue[T] { return &queue[T]{ready: make(chan struct{}, 1)} }

// push appends items; it reports false, and drops them, once the queue is closed.
func (q *queue[T]) push(items ...T) bool {
	q.mu.Lock()
	ok := !q.closed
	if ok {
		q.items = append(q.items, items...)
	}
	q.mu.Unlock()
	q.signal()
	return ok
}

func (q *queue[T]) signal() {
	select {
	case q.ready <- struct{}{}:
	default:
	}
}

// drain takes everything queued; done is true once the queue is closed and empty.
func (q *queue[T]) drain() (items []T, done bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	items, q.items = q.items, nil
	return items, q.closed && len(items) == 0
}

func (q *queue[T]) close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	q.signal()
}

// forward delivers the queue's contents on out as batches and closes out
// once the queue is closed and drained. While the consumer is busy, events
// pile up in the queue and arrive as one larger batch.
func (q *queue[T]) forward(out chan<- []T) {
	defer close(out)
	for range q.ready {
		for {
			items, done := q.drain()
			if done {
				return
			}
			if len(items) == 0 {
				break
			}
			out <- items
		}
	}
}

// Problem reports a transient failure the user may want to see (an older
// page that did not load, a subscription error, sends waiting because the
// server could not store them: the same Err as their SendStatus). The
// session goes on.
type Problem struct{ Err error }

func (Problem) event() {}
