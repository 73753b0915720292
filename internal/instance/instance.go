// Package instance keeps Directus Chat to one running copy per user: the
// first start holds a lock file next to the app's state, and listens on a
// local socket where a later start asks it to show its window, then exits.
//
// Two copies would share the state files (the second waits on their locks,
// then runs without them) and the keyring entry, and both would rotate the
// same refresh token until one is signed out. The lock is an OS file lock
// (flock, LockFileEx), released by the OS when the process ends in any way,
// so a crash leaves nothing that blocks the next start; a socket file left
// behind is removed by the next holder of the lock. The socket is a Unix
// domain socket (Linux, macOS, and Windows 10 and later) in a directory
// only the user can open, made readable and writable by the user alone
// where the OS has file modes. The one request it serves is "show", and
// nothing in it is acted on beyond showing the window.
package instance

import (
	"bufio"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"time"
)

// ErrRunning is returned by [Acquire] when another process holds the lock.
var ErrRunning = errors.New("another instance is running")

// Place is where the lock file and the socket are.
type Place struct {
	Lock   string // the lock file
	Socket string // the socket of the running instance
}

// DefaultPlace is the lock file in the app's config directory (beside the
// state file it protects), and the socket in the user's runtime directory
// ($XDG_RUNTIME_DIR, named after the lock's path so that separate config
// directories get separate sockets) or, without one, beside the lock.
func DefaultPlace() (Place, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return Place{}, fmt.Errorf("instance lock: %w", err)
	}
	dir = filepath.Join(dir, "directus-chat")
	p := Place{Lock: filepath.Join(dir, "instance.lock"), Socket: filepath.Join(dir, "instance.sock")}
	if rt := os.Getenv("XDG_RUNTIME_DIR"); rt != "" && filepath.IsAbs(rt) && runtime.GOOS != "windows" {
		sum := sha256.Sum256([]byte(p.Lock))
		p.Socket = filepath.Join(rt, fmt.Sprintf("directus-chat-%x.sock", sum[:6]))
	}
	return p, nil
}

// The request and its answer, each one line.
const (
	request = "show\n"
	answer  = "ok\n"
)

// requestTimeout bounds how long the running instance gives a client to
// send its request, so a stuck or hostile client cannot hold the socket.
const requestTimeout = 2 * time.Second

// Primary is the running instance: it holds the lock and the socket.
type Primary struct {
	lock      *os.File
	ln        net.Listener // nil if it could not be opened
	listenErr error        // why not
}

// Acquire takes the lock and opens the socket. It returns an error
// wrapping [ErrRunning] when another process holds the lock: call
// [AskToShow] then. A socket that cannot be opened does not give the lock
// up (a later start says it cannot reach this one): Serve reports it.
func Acquire(p Place) (*Primary, error) {
	if err := os.MkdirAll(filepath.Dir(p.Lock), 0o700); err != nil {
		return nil, fmt.Errorf("instance lock: %w", err)
	}
	f, err := os.OpenFile(p.Lock, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("instance lock: %w", err)
	}
	held, err := tryLock(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("instance lock %s: %w", p.Lock, err)
	}
	if !held {
		f.Close()
		return nil, fmt.Errorf("instance lock %s: %w", p.Lock, ErrRunning)
	}
	pr := &Primary{lock: f}
	pr.ln, pr.listenErr = listen(p.Socket)
	return pr, nil
}

// listen opens the socket. Holding the lock, any socket file there is a
// crashed instance's.
func listen(path string) (net.Listener, error) {
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("instance socket: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("instance socket: %w", err)
	}
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("instance socket: %w", err)
	}
	if err := restrict(path); err != nil {
		ln.Close()
		return nil, fmt.Errorf("instance socket: %w", err)
	}
	return ln, nil
}

// Serve answers requests until ctx is done or the Primary is closed,
// calling show for each (one at a time) and answering once it returns.
// Requests that arrive before Serve wait for it.
func (p *Primary) Serve(ctx context.Context, show func()) error {
	if p.ln == nil {
		return p.listenErr
	}
	stop := context.AfterFunc(ctx, func() { p.ln.Close() })
	defer stop()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return nil
			}
			return fmt.Errorf("instance socket: %w", err)
		}
		serveOne(c, show)
	}
}

// serveOne reads one request; only the exact "show" line is acted on.
func serveOne(c net.Conn, show func()) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(requestTimeout))
	line, err := bufio.NewReader(io.LimitReader(c, int64(len(request)))).ReadString('\n')
	if err != nil || line != request {
		return
	}
	show()
	_ = c.SetWriteDeadline(time.Now().Add(requestTimeout))
	_, _ = c.Write([]byte(answer))
}

// Close closes the socket and releases the lock (the lock file stays: a
// later start that opened it meanwhile would otherwise lock a removed file).
func (p *Primary) Close() error {
	var err error
	if p.ln != nil {
		err = p.ln.Close() // removes the socket file
		if errors.Is(err, net.ErrClosed) {
			err = nil
		}
	}
	if cerr := p.lock.Close(); err == nil { // closing releases the lock
		err = cerr
	}
	return err
}

// AskToShow asks the running instance to show its window and waits until
// it has, or ctx ends. A socket that is not there yet (the first instance
// is starting) is tried again until ctx ends.
func AskToShow(ctx context.Context, p Place) error {
	var d net.Dialer
	var c net.Conn
	for wait := 20 * time.Millisecond; ; wait = min(2*wait, 500*time.Millisecond) {
		var err error
		if c, err = d.DialContext(ctx, "unix", p.Socket); err == nil {
			break
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("no answer on %s: %w", p.Socket, err)
		case <-time.After(wait):
		}
	}
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { _ = c.SetDeadline(time.Now()) })
	defer stop()
	if _, err := c.Write([]byte(request)); err != nil {
		return fmt.Errorf("asking the running instance: %w", err)
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if ctx.Err() != nil {
		return fmt.Errorf("the running instance did not show its window: %w", ctx.Err())
	}
	if err != nil || line != answer {
		return fmt.Errorf("the running instance did not show its window (answer %q): %v", line, err)
	}
	return nil
}
