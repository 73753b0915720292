// Package fynenotify shows the notifications decided by package notify as
// desktop notifications of a Fyne app, passing message text to the OS only
// as data, never as a script or markup:
//
//   - Windows: a WinRT toast through COM (notify/wintoast), not Fyne's
//     SendNotification, which pastes the text into a PowerShell script;
//   - Linux and BSD: org.freedesktop.Notifications over D-Bus
//     (notify/linuxnotify), the body escaped for servers that parse markup;
//     inside Flatpak, Fyne's portal call (its body is plain text);
//   - macOS: osascript running a fixed script that reads the text from its
//     arguments, not Fyne's, which pastes the text into AppleScript source;
//   - elsewhere: Fyne's SendNotification.
//
// Sending blocks (a D-Bus call can wait for D-Bus's 25 s timeout if the
// server hangs), so [Notifier] hands notifications to a goroutine of its
// own and Notify returns at once; the UI goroutine never waits on the
// desktop.
package fynenotify

import (
	"sync"
	"sync/atomic"

	"fyne.io/fyne/v2"

	"directuschat/notify"
)

// QueueSize is how many notifications may wait to be sent; more are dropped.
// A notify.Coalescer produces at most one every couple of seconds.
const QueueSize = 8

// Notifier is a notify.Notifier that sends for a Fyne app. Create it with
// New after the app's icon is set (the icon is read and written to a file on
// the Notifier's goroutine).
type Notifier struct {
	send    func(*fyne.Notification)
	queue   chan *fyne.Notification
	done    chan struct{}
	mu      sync.Mutex
	closed  bool
	dropped atomic.Int64
}

var _ notify.Notifier = (*Notifier)(nil)

// New returns a Notifier sending for a in the way of the OS (see the
// package doc) and starts its goroutine; Close stops it.
func New(a fyne.App) *Notifier { return newNotifier(platformSender(a).send) }

// sender sends one notification; it runs on the Notifier's goroutine.
type sender interface {
	send(*fyne.Notification)
}

func newNotifier(send func(*fyne.Notification)) *Notifier {
	n := &Notifier{
		send:  send,
		queue: make(chan *fyne.Notification, QueueSize),
		done:  make(chan struct{}),
	}
	go n.run()
	return n
}

func (n *Notifier) run() {
	defer close(n.done)
	for note := range n.queue {
		n.send(note)
	}
}

// Notify queues a notification and returns without waiting for it to be
// shown. It drops the notification if the queue is full or the Notifier is
// closed.
func (n *Notifier) Notify(title, body string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		n.dropped.Add(1)
		return
	}
	select {
	case n.queue <- fyne.NewNotification(title, body):
	default:
		n.dropped.Add(1)
	}
}

// Dropped reports how many notifications were dropped.
func (n *Notifier) Dropped() int64 { return n.dropped.Load() }

// Close stops accepting notifications and waits until the queued ones have
// been handed to the desktop (on Linux: the notification server has
// answered each D-Bus call). Further calls do nothing.
func (n *Notifier) Close() {
	n.mu.Lock()
	if !n.closed {
		n.closed = true
		close(n.queue)
	}
	n.mu.Unlock()
	<-n.done
}
