// Package dbustest starts a private D-Bus session daemon for a test, so a
// test can own well-known names (a StatusNotifierWatcher, a notification
// server) without meeting other tests or the desktop's own bus.
package dbustest

import (
	"bufio"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// PrivateBus starts a dbus-daemon of its own for t, stopped when t ends,
// and returns its address. Under -short (make unit) the test is skipped: it
// needs D-Bus. Without dbus-daemon it is skipped, or fails under CI=true.
func PrivateBus(t testing.TB) string {
	t.Helper()
	if testing.Short() {
		t.Skip("needs D-Bus: skipped under -short")
	}
	path, err := exec.LookPath("dbus-daemon")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true but no dbus-daemon: %v", err)
		}
		t.Skipf("no dbus-daemon: %v", err)
	}
	cmd := exec.Command(path, "--session", "--nofork", "--nopidfile", "--print-address=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("dbus-daemon: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	addr, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("reading the bus address: %v", err)
	}
	return strings.TrimSpace(addr)
}
