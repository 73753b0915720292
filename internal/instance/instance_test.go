package instance

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
	"time"
)

// holdEnv makes the test binary a helper process that takes the lock of
// the place it names (lock and socket, separated by a newline), says
// "held", and waits to be killed.
const holdEnv = "INSTANCE_TEST_HOLD"

func TestMain(m *testing.M) {
	if spec := os.Getenv(holdEnv); spec != "" {
		lock, sock, _ := cutLine(spec)
		p, err := Acquire(Place{Lock: lock, Socket: sock})
		if err != nil {
			os.Stdout.WriteString("error: " + err.Error() + "\n")
			os.Exit(1)
		}
		os.Stdout.WriteString("held\n")
		_ = p.Serve(context.Background(), func() {})
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func cutLine(s string) (string, string, bool) {
	for i := range len(s) {
		if s[i] == '\n' {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

func testPlace(t *testing.T) Place {
	dir := t.TempDir()
	return Place{Lock: filepath.Join(dir, "cfg", "instance.lock"), Socket: filepath.Join(dir, "run", "i.sock")}
}

// serve runs p.Serve until the test ends; shows receives a value per show.
func serve(t *testing.T, p *Primary, show func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Serve(ctx, show) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
		p.Close()
	})
}

func TestSecondStartAsksTheFirstToShow(t *testing.T) {
	place := testPlace(t)
	first, err := Acquire(place)
	if err != nil {
		t.Fatal(err)
	}
	if second, err := Acquire(place); !errors.Is(err, ErrRunning) {
		if second != nil {
			second.Close()
		}
		t.Fatalf("second Acquire: %v, want ErrRunning", err)
	}
	shown := make(chan struct{})
	serve(t, first, func() { close(shown) })

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := AskToShow(ctx, place); err != nil {
		t.Fatal(err)
	}
	select {
	case <-shown: // AskToShow returns only once show has returned
	default:
		t.Fatal("AskToShow returned before the first instance showed its window")
	}
}

func TestCloseReleasesTheLock(t *testing.T) {
	place := testPlace(t)
	first, err := Acquire(place)
	if err != nil {
		t.Fatal(err)
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(place.Socket); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the socket is still there after Close: %v", err)
	}
	next, err := Acquire(place)
	if err != nil {
		t.Fatalf("Acquire after Close: %v", err)
	}
	next.Close()
}

// A first instance killed with SIGKILL leaves its socket file behind: the
// next start must take the lock, replace the socket, and answer.
func TestKilledHolderDoesNotBlockTheNextStart(t *testing.T) {
	place := testPlace(t)
	helper := exec.Command(os.Args[0], "-test.run=^$")
	helper.Env = append(os.Environ(), holdEnv+"="+place.Lock+"\n"+place.Socket)
	out, err := helper.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := helper.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if line != "held\n" {
		_ = helper.Process.Kill()
		_ = helper.Wait()
		t.Fatalf("helper said %q (%v)", line, err)
	}
	if _, err := Acquire(place); !errors.Is(err, ErrRunning) {
		t.Errorf("Acquire while another process holds the lock: %v, want ErrRunning", err)
	}
	if err := helper.Process.Kill(); err != nil { // SIGKILL: nothing is cleaned up
		t.Fatal(err)
	}
	_ = helper.Wait()
	if runtime.GOOS != "windows" {
		if _, err := os.Stat(place.Socket); err != nil {
			t.Fatalf("the killed helper left no socket file, so this test proves nothing: %v", err)
		}
	}

	next, err := Acquire(place)
	if err != nil {
		t.Fatalf("Acquire after the holder was killed: %v", err)
	}
	shown := make(chan struct{}, 1)
	serve(t, next, func() { shown <- struct{}{} })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := AskToShow(ctx, place); err != nil {
		t.Fatalf("AskToShow of the new instance: %v", err)
	}
	<-shown
}

// Nothing but the exact request makes the window show, and a client that
// sends something else (or too much, or nothing) does not stop the server.
func TestOnlyTheShowRequestIsActedOn(t *testing.T) {
	place := testPlace(t)
	first, err := Acquire(place)
	if err != nil {
		t.Fatal(err)
	}
	shows := make(chan struct{}, 10)
	serve(t, first, func() { shows <- struct{}{} })
	for _, msg := range []string{"", "SHOW\n", "show", "show me\n", "show\nshow\n", "\x00show\n", string(make([]byte, 1<<16))} {
		c, err := net.Dial("unix", place.Socket)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.WriteString(c, msg)
		if uc, ok := c.(*net.UnixConn); ok {
			_ = uc.CloseWrite()
		}
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		reply, err := io.ReadAll(c) // until the server closes the connection
		c.Close()
		if err != nil && !errors.Is(err, syscall.ECONNRESET) { // closed with the rest unread
			t.Fatalf("request %.40q: %v", msg, err)
		}
		if msg == "show\nshow\n" {
			// The first line is the request; the rest is never read.
			if string(reply) != answer {
				t.Errorf("request %.40q answered %q", msg, reply)
			}
			<-shows
			continue
		}
		if len(reply) != 0 {
			t.Errorf("request %.40q answered %q, want nothing", msg, reply)
		}
	}
	select {
	case <-shows:
		t.Error("a request other than show showed the window")
	default:
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := AskToShow(ctx, place); err != nil {
		t.Fatalf("the server stopped answering after bad requests: %v", err)
	}
	<-shows
}

func TestSocketIsTheUsersAlone(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Windows has no file modes: the profile's ACL keeps the socket private")
	}
	place := testPlace(t)
	first, err := Acquire(place)
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	for _, path := range []string{place.Socket, place.Lock} {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if perm := fi.Mode().Perm(); perm&0o077 != 0 {
			t.Errorf("%s has mode %v: others can open it", path, perm)
		}
	}
	for _, dir := range []string{filepath.Dir(place.Socket), filepath.Dir(place.Lock)} {
		fi, err := os.Stat(dir)
		if err != nil {
			t.Fatal(err)
		}
		if perm := fi.Mode().Perm(); perm&0o077 != 0 {
			t.Errorf("%s has mode %v: others can open it", dir, perm)
		}
	}
}

// A running instance that does not answer (hung, or its socket could not
// be opened) makes AskToShow fail when its context ends, not hang.
func TestAskToShowGivesUp(t *testing.T) {
	t.Run("not serving", func(t *testing.T) {
		place := testPlace(t)
		first, err := Acquire(place)
		if err != nil {
			t.Fatal(err)
		}
		defer first.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		if err := AskToShow(ctx, place); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("AskToShow of an instance that does not serve: %v, want the deadline", err)
		}
	})
	t.Run("no socket", func(t *testing.T) {
		place := testPlace(t)
		place.Socket = filepath.Join(filepath.Dir(place.Socket), string(make([]byte, 200))+"x") // too long to bind
		first, err := Acquire(place)
		if err != nil {
			t.Fatalf("a socket that cannot be opened must not give up the lock: %v", err)
		}
		defer first.Close()
		if err := first.Serve(context.Background(), func() {}); err == nil {
			t.Error("Serve without a socket returned no error")
		}
		if _, err := Acquire(place); !errors.Is(err, ErrRunning) {
			t.Errorf("second Acquire: %v, want ErrRunning", err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		if err := AskToShow(ctx, place); err == nil {
			t.Error("AskToShow with no socket succeeded")
		}
	})
}

func TestDefaultPlace(t *testing.T) {
	cfg := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", cfg)
	t.Setenv("HOME", cfg)
	t.Setenv("AppData", cfg)
	t.Setenv("XDG_RUNTIME_DIR", "")
	p, err := DefaultPlace()
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Dir(p.Socket) != filepath.Dir(p.Lock) {
		t.Errorf("without a runtime dir the socket %s is not beside the lock %s", p.Socket, p.Lock)
	}
	if runtime.GOOS == "windows" {
		return
	}
	rt := t.TempDir()
	t.Setenv("XDG_RUNTIME_DIR", rt)
	q, err := DefaultPlace()
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Dir(q.Socket) != rt || q.Lock != p.Lock {
		t.Errorf("with a runtime dir: %+v", q)
	}
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	r, err := DefaultPlace()
	if err != nil {
		t.Fatal(err)
	}
	if r.Socket == q.Socket {
		t.Error("two config directories share one socket")
	}
}
