package remember

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zalando/go-keyring"
)

const token = "rt_0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"

func TestSaveLoadDeleteWithMock(t *testing.T) {
	keyring.MockInit()
	ctx := context.Background()
	in := Session{Server: "https://Chat.Example.com/", Email: " Ada@Example.com ", RefreshToken: token}
	if err := mockStore().Save(ctx, in); err != nil {
		t.Fatalf("Save: %v", err)
	}

	// What go-keyring holds: the token alone, under Service and Key.
	got, err := keyring.Get(Service, "ada@example.com on https://chat.example.com")
	if err != nil || got != token {
		t.Fatalf("keyring holds %q, %v; want the bare token", got, err)
	}

	// A new Store (the next launch) finds it, with the server and email
	// spelled either way.
	s, err := mockStore().Load(ctx, "https://chat.example.com", "ada@example.com")
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	want := Session{Server: "https://chat.example.com", Email: "ada@example.com", RefreshToken: token}
	if s != want {
		t.Fatalf("Load = %+v, want %+v", s, want)
	}

	// Rotation replaces the token.
	if err := mockStore().Save(ctx, Session{Server: "https://chat.example.com", Email: "ada@example.com", RefreshToken: "rotated"}); err != nil {
		t.Fatalf("Save rotated: %v", err)
	}
	if s, _ := mockStore().Load(ctx, in.Server, in.Email); s.RefreshToken != "rotated" {
		t.Fatalf("after rotation Load token = %q", s.RefreshToken)
	}

	if err := mockStore().Delete(ctx, in.Server, in.Email); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, err := mockStore().Load(ctx, in.Server, in.Email); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Load after Delete: err = %v, want ErrNotFound", err)
	}
	if Message(err) != "" {
		t.Fatalf("ErrNotFound should need no message, got %q", Message(err))
	}
	// Deleting again is fine.
	if err := mockStore().Delete(ctx, in.Server, in.Email); err != nil {
		t.Fatalf("second Delete: %v", err)
	}
}

func TestAccountsAreSeparate(t *testing.T) {
	keyring.MockInit()
	ctx := context.Background()
	st := mockStore()
	for _, s := range []Session{
		{"https://a.example", "ada@example.com", "tA"},
		{"https://b.example", "ada@example.com", "tB"},
		{"https://a.example", "kevin@example.com", "tK"},
	} {
		if err := st.Save(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Delete(ctx, "https://a.example", "ada@example.com"); err != nil {
		t.Fatal(err)
	}
	if s, err := st.Load(ctx, "https://b.example", "ada@example.com"); err != nil || s.RefreshToken != "tB" {
		t.Fatalf("b/ada = %q, %v", s.RefreshToken, err)
	}
	if s, err := st.Load(ctx, "https://a.example", "kevin@example.com"); err != nil || s.RefreshToken != "tK" {
		t.Fatalf("a/kevin = %q, %v", s.RefreshToken, err)
	}
}

func TestKey(t *testing.T) {
	for _, c := range []struct{ server, email, want string }{
		{"https://chat.example.com", "ada@example.com", "ada@example.com on https://chat.example.com"},
		{"HTTPS://CHAT.example.com/", "ADA@example.com", "ada@example.com on https://chat.example.com"},
		{" http://127.0.0.1:8055/directus/ ", "a@b", "a@b on http://127.0.0.1:8055/directus"},
		{"https://u:p@chat.example.com/?q=1#f", "a@b", "a@b on https://chat.example.com"},
		{"chat.example.com/", "a@b", "a@b on chat.example.com"},
	} {
		if got := Key(c.server, c.email); got != c.want {
			t.Errorf("Key(%q, %q) = %q, want %q", c.server, c.email, got, c.want)
		}
	}
}

func TestTooLarge(t *testing.T) {
	b := &countingBackend{}
	st := NewWithBackend(b, time.Second)
	big := strings.Repeat("x", MaxTokenBytes+1)
	err := st.Save(context.Background(), Session{Server: "https://s", Email: "e@x", RefreshToken: big})
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("err = %v, want ErrTooLarge", err)
	}
	if strings.Contains(err.Error(), big) {
		t.Fatal("error contains the token")
	}
	if Message(err) == "" {
		t.Fatal("no user message for ErrTooLarge")
	}
	err = st.Save(context.Background(), Session{Server: "https://" + strings.Repeat("h", MaxKeyBytes), Email: "e@x", RefreshToken: "t"})
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("long key: err = %v, want ErrTooLarge", err)
	}
	if b.calls.Load() != 0 {
		t.Fatal("backend called for an oversized session")
	}
	// The largest accepted token goes through.
	if err := st.Save(context.Background(), Session{Server: "https://s", Email: "e@x", RefreshToken: big[1:]}); err != nil {
		t.Fatalf("MaxTokenBytes token: %v", err)
	}
	// And the keyring's own refusal is reported the same way.
	keyring.MockInitWithError(keyring.ErrSetDataTooBig)
	if err := mockStore().Save(context.Background(), Session{Server: "https://s", Email: "e@x", RefreshToken: "t"}); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("keyring ErrSetDataTooBig: err = %v", err)
	}
}

func TestInvalidInput(t *testing.T) {
	st := NewWithBackend(&countingBackend{}, time.Second)
	for _, s := range []Session{{"", "e", "t"}, {"s", " ", "t"}, {"s", "e", ""}} {
		if err := st.Save(context.Background(), s); err == nil {
			t.Errorf("Save(%+v) succeeded", s)
		}
	}
}

func TestBackendErrorIsUnavailableAndRedacted(t *testing.T) {
	keyring.MockInitWithError(fmt.Errorf("org.freedesktop.DBus.Error.ServiceUnknown: cannot store %s", token))
	err := mockStore().Save(context.Background(), Session{Server: "https://s", Email: "e@x", RefreshToken: token})
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("err = %v, want ErrUnavailable", err)
	}
	if strings.Contains(err.Error(), token) {
		t.Fatalf("error leaks the token: %v", err)
	}
	if !strings.Contains(err.Error(), "ServiceUnknown") {
		t.Fatalf("error lost its cause: %v", err)
	}
	if got, want := Message(err), "Could not reach the system keyring; sign in by hand."; got != want {
		t.Fatalf("Message = %q, want %q", got, want)
	}
	if _, err := mockStore().Load(context.Background(), "https://s", "e@x"); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Load: err = %v, want ErrUnavailable", err)
	}
}

// blockingBackend blocks every call until release is closed, like a keyring
// waiting on an unlock prompt.
type blockingBackend struct {
	entered chan string
	release chan struct{}
}

func newBlocking() *blockingBackend {
	return &blockingBackend{entered: make(chan string, 10), release: make(chan struct{})}
}

func (b *blockingBackend) wait(op string) error {
	b.entered <- op
	<-b.release
	return nil
}
func (b *blockingBackend) Set(_, _, _ string) error { return b.wait("set") }
func (b *blockingBackend) Get(_, _ string) (string, error) {
	return "late", b.wait("get")
}
func (b *blockingBackend) Delete(_, _ string) error { return b.wait("delete") }

func TestTimeoutOnBlockedKeyring(t *testing.T) {
	b := newBlocking()
	st := NewWithBackend(b, 0) // only the context bounds the calls
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := st.Load(ctx, "https://s", "e@x")
	if !errors.Is(err, ErrUnavailable) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want ErrUnavailable and DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("Load returned after %v", d)
	}
	if op := <-b.entered; op != "get" {
		t.Fatalf("backend saw %q", op)
	}

	// The stuck call still holds the keyring: the next call does not pile a
	// second goroutine onto it but gives up when its own context ends.
	ctx2, cancel2 := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel2()
	err = st.Save(ctx2, Session{Server: "https://s", Email: "e@x", RefreshToken: token})
	if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "earlier keyring call") {
		t.Fatalf("second call: err = %v", err)
	}
	if strings.Contains(err.Error(), token) {
		t.Fatal("error leaks the token")
	}
	select {
	case op := <-b.entered:
		t.Fatalf("a second backend call (%s) started while the first was stuck", op)
	default:
	}

	// Once the keyring answers (the user unlocked it), calls go through.
	close(b.release)
	if err := st.Delete(context.Background(), "https://s", "e@x"); err != nil {
		t.Fatalf("Delete after release: %v", err)
	}
	if op := <-b.entered; op != "delete" {
		t.Fatalf("backend saw %q", op)
	}
}

func TestStoreTimeoutWithoutDeadline(t *testing.T) {
	b := newBlocking()
	defer close(b.release)
	st := NewWithBackend(b, 30*time.Millisecond)
	err := st.Save(context.Background(), Session{Server: "https://s", Email: "e@x", RefreshToken: token})
	if !errors.Is(err, ErrUnavailable) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want a timeout", err)
	}
}

func TestCancelledContext(t *testing.T) {
	b := newBlocking()
	defer close(b.release)
	st := NewWithBackend(b, time.Minute)
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-b.entered; cancel() }()
	_, err := st.Load(ctx, "https://s", "e@x")
	if !errors.Is(err, ErrUnavailable) || !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want ErrUnavailable and Canceled", err)
	}
}

type countingBackend struct{ calls atomic.Int32 }

func (c *countingBackend) Set(_, _, _ string) error        { c.calls.Add(1); return nil }
func (c *countingBackend) Get(_, _ string) (string, error) { c.calls.Add(1); return "", nil }
func (c *countingBackend) Delete(_, _ string) error        { c.calls.Add(1); return nil }

// mockStore is a Store over go-keyring's package functions, for use after
// keyring.MockInit.
func mockStore() *Store { return NewWithBackend(SystemBackend(), time.Second) }

func TestNoSessionBusIsUnavailableNotAutolaunched(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("D-Bus session bus discovery is tested on Linux")
	}
	dir := fmt.Sprintf("/run/user/%d", os.Getuid())
	for _, f := range []string{"bus", "dbus-session"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
			t.Skipf("%s/%s exists: a session bus is always discoverable here", dir, f)
		}
	}
	keyring.MockInit() // were the check to pass, the mock would answer ErrNotFound
	for _, addr := range []string{"", "autolaunch:"} {
		t.Setenv("DBUS_SESSION_BUS_ADDRESS", addr)
		_, err := New().Load(context.Background(), "https://s", "e@x")
		if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "no D-Bus session bus") {
			t.Fatalf("DBUS_SESSION_BUS_ADDRESS=%q: err = %v, want ErrUnavailable (no session bus)", addr, err)
		}
	}
}
