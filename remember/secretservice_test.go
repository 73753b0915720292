package remember

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
	"github.com/zalando/go-keyring"
)

// The test against the real Secret Service runs each step in a fresh process
// (this test binary re-executed for TestSecretServiceStep): a new process is
// a real restart, and other tests of this package replace go-keyring's
// provider with its mock for the rest of their process.

const stepEnv = "REMEMBER_SECRET_SERVICE_STEP"

// requireSecretService skips (or, under CI=true, fails) unless a Secret
// Service owns its name on the session bus, as scripts/with-keyring.sh
// arranges inside dbus-run-session.
func requireSecretService(t *testing.T) {
	t.Helper()
	missing := func(why string) {
		t.Helper()
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true but no Secret Service: %s (run under dbus-run-session -- bash scripts/with-keyring.sh)", why)
		}
		t.Skipf("no Secret Service: %s (run under dbus-run-session -- bash scripts/with-keyring.sh)", why)
	}
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" {
		missing("DBUS_SESSION_BUS_ADDRESS is not set")
	}
	conn, err := dbus.SessionBusPrivateNoAutoStartup()
	if err != nil {
		missing(err.Error())
	}
	defer conn.Close()
	if err := conn.Auth(nil); err != nil {
		missing(err.Error())
	}
	if err := conn.Hello(); err != nil {
		missing(err.Error())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var owned bool
	err = conn.BusObject().CallWithContext(ctx, "org.freedesktop.DBus.NameHasOwner", 0, "org.freedesktop.secrets").Store(&owned)
	if err != nil {
		missing(err.Error())
	}
	if !owned {
		missing("nothing owns org.freedesktop.secrets")
	}
}

func TestSecretServiceRememberRestoreForget(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	requireSecretService(t)

	id := fmt.Sprintf("%d-%d", os.Getpid(), time.Now().UnixNano())
	server := "https://chat-" + id + ".example.com/"
	email := "ada-" + id + "@example.com"
	first := "rt-first-" + id
	rotated := "rt-rotated-" + id

	step := func(name string, env ...string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestSecretServiceStep$", "-test.count=1", "-test.v")
		cmd.Env = append(os.Environ(), stepEnv+"="+name, "STEP_SERVER="+server, "STEP_EMAIL="+email)
		cmd.Env = append(cmd.Env, env...)
		// A -race binary otherwise sleeps 1 s at exit.
		cmd.Env = append(cmd.Env, "GORACE="+strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=0"))
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			t.Fatalf("step %s: %v\n%s", name, err, out.String())
		}
		if !strings.Contains(out.String(), "--- PASS: TestSecretServiceStep") {
			t.Fatalf("step %s did not pass:\n%s", name, out.String())
		}
	}

	t.Cleanup(func() { step("delete") })

	step("save", "STEP_TOKEN="+first)
	lookup(t, server, email, first)
	step("load", "STEP_TOKEN="+first) // a new process: the app's next launch

	step("save", "STEP_TOKEN="+rotated) // token rotation replaces the entry
	lookup(t, server, email, rotated)
	step("load", "STEP_TOKEN="+rotated)
	step("count-items", "STEP_WANT=1")

	step("delete") // log out
	lookup(t, server, email, "")
	step("load-gone")
	step("count-items", "STEP_WANT=0")
}

// lookup checks the entry with libsecret's secret-tool, when installed,
// independently of go-keyring. want "" means no entry.
func lookup(t *testing.T, server, email, want string) {
	t.Helper()
	path, err := exec.LookPath("secret-tool")
	if err != nil {
		t.Log("secret-tool not installed (apt libsecret-tools): checked through go-keyring only")
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, path, "lookup", "service", Service, "username", Key(server, email)).Output()
	got := string(out)
	if want == "" {
		if err == nil || got != "" {
			t.Fatalf("secret-tool still finds an entry (err %v)", err)
		}
		return
	}
	if err != nil || got != want {
		t.Fatalf("secret-tool lookup = %q, %v; want the refresh token", got, err)
	}
}

// TestSecretServiceStep is one step of the test above, run in a child
// process; it skips when run directly.
func TestSecretServiceStep(t *testing.T) {
	step := os.Getenv(stepEnv)
	if step == "" {
		t.Skip("helper for TestSecretServiceRememberRestoreForget")
	}
	server, email, tok := os.Getenv("STEP_SERVER"), os.Getenv("STEP_EMAIL"), os.Getenv("STEP_TOKEN")
	ctx := context.Background()
	st := New() // the real keyring, with DefaultTimeout
	switch step {
	case "save":
		if err := st.Save(ctx, Session{Server: server, Email: email, RefreshToken: tok}); err != nil {
			t.Fatalf("Save: %v", err)
		}
	case "load":
		s, err := st.Load(ctx, server, email)
		if err != nil {
			t.Fatalf("Load: %v", err)
		}
		if s.RefreshToken != tok || s.Email != strings.TrimSpace(email) {
			t.Fatalf("Load restored a different session (email %q)", s.Email)
		}
	case "load-gone":
		if _, err := st.Load(ctx, server, email); !errors.Is(err, ErrNotFound) {
			t.Fatalf("Load after Delete: err = %v, want ErrNotFound", err)
		}
		if _, err := keyring.Get(Service, Key(server, email)); !errors.Is(err, keyring.ErrNotFound) {
			t.Fatalf("go-keyring Get after Delete: err = %v, want keyring.ErrNotFound", err)
		}
	case "delete":
		if err := st.Delete(ctx, server, email); err != nil {
			t.Fatalf("Delete: %v", err)
		}
	case "count-items":
		// Ask the Secret Service directly how many items carry our
		// attributes: rotation must replace, not pile up, entries.
		conn, err := dbus.SessionBus()
		if err != nil {
			t.Fatal(err)
		}
		var unlocked, locked []dbus.ObjectPath
		attrs := map[string]string{"service": Service, "username": Key(server, email)}
		err = conn.Object("org.freedesktop.secrets", "/org/freedesktop/secrets").
			Call("org.freedesktop.Secret.Service.SearchItems", 0, attrs).Store(&unlocked, &locked)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := fmt.Sprint(len(unlocked)+len(locked)), os.Getenv("STEP_WANT"); got != want {
			t.Fatalf("Secret Service holds %s items for the account, want %s", got, want)
		}
	default:
		t.Fatalf("unknown step %q", step)
	}
}
