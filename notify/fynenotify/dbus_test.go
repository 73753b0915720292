//go:build linux && cgo && !ci

package fynenotify

// This file proves, on Linux, that notifications decided by a
// notify.Coalescer leave a real Fyne app as org.freedesktop.Notifications
// calls on the session bus. It needs a display (xvfb-run) and dbus-daemon;
// without them the test skips, or fails under CI=true.
//
// TestMain starts a private dbus-daemon and makes it the session bus of this
// process before Fyne connects, so the test can claim
// org.freedesktop.Notifications itself without meeting a real notification
// daemon or other test processes sharing the dbus-run-session bus.

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"github.com/godbus/dbus/v5"

	"directuschat/notify"
)

const appID = "io.github.directuschat.desktop"

var (
	fyneApp    fyne.App // the running app, nil when the desktop is missing
	noDesktop  string   // why fyneApp is nil
	appStarted bool
)

// TestMain runs the Fyne app loop on the main goroutine, as Fyne requires,
// and the tests on another; it quits the app when they are done.
func TestMain(m *testing.M) {
	flag.Parse()
	if testing.Short() {
		noDesktop = "needs a display and D-Bus: skipped under -short"
		os.Exit(m.Run())
	}
	if os.Getenv("DISPLAY") == "" && os.Getenv("WAYLAND_DISPLAY") == "" {
		noDesktop = "no display (run under xvfb-run)"
		os.Exit(m.Run())
	}
	bus, err := startBus()
	if err != nil {
		noDesktop = err.Error()
		os.Exit(m.Run())
	}
	stopBus := func() { _ = bus.Process.Kill(); _ = bus.Wait() }

	a := app.NewWithID(appID)
	fyneApp = a
	result := make(chan int, 1)
	a.Lifecycle().SetOnStarted(func() {
		appStarted = true
		go func() {
			result <- m.Run()
			a.Quit()
		}()
	})
	a.Run()
	stopBus()
	select {
	case code := <-result:
		os.Exit(code)
	default:
		fmt.Fprintln(os.Stderr, "fynenotify: the Fyne app stopped before the tests ran")
		os.Exit(1)
	}
}

// startBus starts a dbus-daemon and makes it this process's session bus.
func startBus() (*exec.Cmd, error) {
	path, err := exec.LookPath("dbus-daemon")
	if err != nil {
		return nil, fmt.Errorf("no dbus-daemon: %v", err)
	}
	cmd := exec.Command(path, "--session", "--nofork", "--nopidfile", "--print-address=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting dbus-daemon: %v", err)
	}
	addr, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return nil, fmt.Errorf("reading the dbus-daemon address: %v", err)
	}
	os.Setenv("DBUS_SESSION_BUS_ADDRESS", strings.TrimSpace(addr))
	return cmd, nil
}

func requireDesktop(t *testing.T) {
	t.Helper()
	if fyneApp != nil {
		return
	}
	if os.Getenv("CI") == "true" && !testing.Short() {
		t.Fatalf("CI=true but %s", noDesktop)
	}
	t.Skip(noDesktop)
}

// notifyCall is one captured org.freedesktop.Notifications.Notify call.
type notifyCall struct {
	AppName, Icon, Summary, Body string
	ReplacesID                   uint32
	Actions                      []string
	Timeout                      int32
}

// notificationServer implements the org.freedesktop.Notifications methods
// a client may call and records Notify.
type notificationServer struct {
	mu    sync.Mutex
	calls []notifyCall
}

func (s *notificationServer) Notify(appName string, replacesID uint32, icon, summary, body string,
	actions []string, _ map[string]dbus.Variant, timeout int32) (uint32, *dbus.Error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, notifyCall{appName, icon, summary, body, replacesID, actions, timeout})
	return uint32(len(s.calls)), nil
}

func (s *notificationServer) GetCapabilities() ([]string, *dbus.Error) {
	return []string{"body"}, nil
}

func (s *notificationServer) GetServerInformation() (name, vendor, version, specVersion string, err *dbus.Error) {
	return "fynenotify-test", "directuschat", "1", "1.2", nil
}

func (s *notificationServer) CloseNotification(uint32) *dbus.Error { return nil }

func (s *notificationServer) captured() []notifyCall {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]notifyCall(nil), s.calls...)
}

// serveNotifications claims org.freedesktop.Notifications on the (private)
// session bus with a connection of its own, not the shared one Fyne calls
// through.
func serveNotifications(t *testing.T) *notificationServer {
	t.Helper()
	conn, err := dbus.SessionBusPrivateNoAutoStartup()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if err := conn.Auth(nil); err != nil {
		t.Fatal(err)
	}
	if err := conn.Hello(); err != nil {
		t.Fatal(err)
	}
	srv := &notificationServer{}
	if err := conn.Export(srv, "/org/freedesktop/Notifications", "org.freedesktop.Notifications"); err != nil {
		t.Fatal(err)
	}
	reply, err := conn.RequestName("org.freedesktop.Notifications", dbus.NameFlagDoNotQueue)
	if err != nil {
		t.Fatal(err)
	}
	if reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("org.freedesktop.Notifications is already owned on the private bus: reply %v", reply)
	}
	return srv
}

// clock is a manual clock whose timers fire, in order, inside Advance.
type clock struct {
	now    time.Time
	timers []*timer
}

type timer struct {
	at   time.Time
	f    func()
	done bool
}

func (t *timer) Stop() bool { was := !t.done; t.done = true; return was }

func (c *clock) Now() time.Time { return c.now }

func (c *clock) AfterFunc(d time.Duration, f func()) notify.Timer {
	t := &timer{at: c.now.Add(d), f: f}
	c.timers = append(c.timers, t)
	return t
}

func (c *clock) Advance(d time.Duration) {
	end := c.now.Add(d)
	for fired := true; fired; {
		fired = false
		for _, t := range c.timers {
			if !t.done && !t.at.After(end) {
				c.now, t.done, fired = t.at, true, true
				t.f()
				break
			}
		}
	}
	c.now = end
}

func TestBurstGoesOverDBusCoalesced(t *testing.T) {
	requireDesktop(t)
	if !appStarted {
		t.Fatal("the Fyne app loop is not running")
	}
	srv := serveNotifications(t)

	n := New(fyneApp)
	clk := &clock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	c := notify.NewCoalescer(notify.Config{Notifier: n, Now: clk.Now, AfterFunc: clk.AfterFunc})

	first := "Grüße! " + strings.Repeat("Ünïcode text survives D-Bus intact ", 6)
	// Feed the burst on the UI goroutine, as the app does from fyne.Do.
	fyne.DoAndWait(func() {
		for i := range 100 {
			text := fmt.Sprintf("message %d", i)
			if i == 0 {
				text = first
			}
			c.Add(notify.Message{Sender: []string{"Ada", "Kevin"}[i%2], Text: text})
			clk.Advance(5 * time.Millisecond)
		}
	})
	fyne.DoAndWait(func() { clk.Advance(10 * time.Second) }) // the window ends: the summary
	n.Close()                                                // every Notify call has been answered

	calls := srv.captured()
	if len(calls) > 2 {
		t.Fatalf("a burst of 100 messages made %d notifications, want at most 2", len(calls))
	}
	if len(calls) != 2 {
		t.Fatalf("captured %d Notify calls, want 2 (dropped %d): %+v", len(calls), n.Dropped(), calls)
	}
	want := []struct{ summary, body string }{
		{"Ada", notify.Preview(first, notify.DefaultPreviewRunes)},
		{"99 new messages from Kevin and Ada", "Kevin: message 99"},
	}
	for i, w := range want {
		got := calls[i]
		if got.Summary != w.summary || got.Body != w.body {
			t.Errorf("Notify #%d: summary %q body %q; want %q / %q", i+1, got.Summary, got.Body, w.summary, w.body)
		}
		if got.AppName != appID {
			t.Errorf("Notify #%d: app_name %q, want %q", i+1, got.AppName, appID)
		}
		if got.ReplacesID != 0 || len(got.Actions) != 0 {
			t.Errorf("Notify #%d: replaces_id %d, actions %q", i+1, got.ReplacesID, got.Actions)
		}
	}
	if !strings.HasSuffix(calls[0].Body, "…") || !strings.HasPrefix(calls[0].Body, "Grüße! Ünïcode") {
		t.Errorf("preview did not survive: %q", calls[0].Body)
	}
	t.Logf("captured over D-Bus: %q / %q; %q / %q", calls[0].Summary, calls[0].Body, calls[1].Summary, calls[1].Body)
}
