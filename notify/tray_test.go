//go:build linux

package notify

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"directuschat/internal/dbustest"
)

func connect(t *testing.T, addr string) *dbus.Conn {
	t.Helper()
	conn, err := dbus.Connect(addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// watcher answers Properties.Get for IsStatusNotifierHostRegistered.
type watcher struct{ host atomic.Bool }

func (w *watcher) Get(iface, prop string) (dbus.Variant, *dbus.Error) {
	if iface == watcherName && prop == hostProperty {
		return dbus.MakeVariant(w.host.Load()), nil
	}
	return dbus.Variant{}, dbus.MakeFailedError(fmt.Errorf("no property %s.%s", iface, prop))
}

func TestHasTrayOnPrivateBus(t *testing.T) {
	addr := dbustest.PrivateBus(t)
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", addr)
	ctx := context.Background()

	if HasTray(ctx) {
		t.Fatal("HasTray = true with no StatusNotifierWatcher")
	}

	conn := connect(t, addr)
	reply, err := conn.RequestName(watcherName, dbus.NameFlagDoNotQueue)
	if err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("claiming %s: %v, %v", watcherName, reply, err)
	}
	// A watcher that does not answer the property: trusted.
	if !HasTray(ctx) {
		t.Fatal("HasTray = false with a StatusNotifierWatcher")
	}

	// A watcher that says no host (no tray area) has registered.
	w := &watcher{}
	if err := conn.Export(w, watcherPath, "org.freedesktop.DBus.Properties"); err != nil {
		t.Fatal(err)
	}
	if HasTray(ctx) {
		t.Fatal("HasTray = true although no StatusNotifierHost is registered")
	}
	w.host.Store(true)
	if !HasTray(ctx) {
		t.Fatal("HasTray = false with a watcher and a registered host")
	}

	// The watcher goes away.
	if _, err := conn.ReleaseName(watcherName); err != nil {
		t.Fatal(err)
	}
	if HasTray(ctx) {
		t.Fatal("HasTray = true after the watcher left")
	}
}

func TestHasTrayNoBus(t *testing.T) {
	dir := fmt.Sprintf("/run/user/%d", os.Getuid())
	for _, f := range []string{"bus", "dbus-session"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
			t.Skipf("%s/%s exists: a session bus is always discoverable here", dir, f)
		}
	}
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "")
	if HasTray(context.Background()) {
		t.Fatal("HasTray = true without a session bus")
	}
}

// A bus that accepts the connection and then says nothing: HasTray gives up
// when its context ends.
func TestHasTrayTimesOut(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "bus")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := l.Accept()
		if err == nil {
			accepted <- c
		}
	}()
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path="+sock)

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	if HasTray(ctx) {
		t.Fatal("HasTray = true from a silent bus")
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("HasTray took %v", d)
	}
	select {
	case c := <-accepted:
		c.Close()
	case <-time.After(5 * time.Second):
		t.Fatal("HasTray never connected to the bus")
	}
}
