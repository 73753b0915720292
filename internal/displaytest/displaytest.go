// Package displaytest gives tests an X display: Need the one the test run
// has ($DISPLAY: xvfb-run in make test), Openbox a private Xvfb of the test's
// own with openbox, a reparenting window manager, on it.
//
// Under -short (make unit) both skip the test: it needs a display. Without
// the display or the programs they skip it too, except under CI=true, where
// they fail it, so CI never passes without them.
package displaytest

import (
	"bufio"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// Need returns $DISPLAY, or skips t (fails it under CI=true) without one.
func Need(t testing.TB) string {
	t.Helper()
	skipIfShort(t)
	d := os.Getenv("DISPLAY")
	if d == "" {
		missing(t, errors.New("no DISPLAY: run the tests under xvfb-run (make test)"))
	}
	return d
}

// Openbox starts Xvfb (1280x800) on a free display and openbox on it, both
// stopped when t ends, and returns the display name (":5"). HOME and the
// XDG directories of openbox are t's temporary directories.
func Openbox(t testing.TB) string {
	t.Helper()
	skipIfShort(t)
	xvfb, err1 := exec.LookPath("Xvfb")
	openbox, err2 := exec.LookPath("openbox")
	if err := errors.Join(err1, err2); err != nil {
		missing(t, err)
	}
	// Xvfb picks a free display and writes its number to fd 3 once it
	// accepts connections.
	r, wr, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	x := exec.Command(xvfb, "-displayfd", "3", "-screen", "0", "1280x800x24", "-nolisten", "tcp")
	x.ExtraFiles = []*os.File{wr}
	if err := x.Start(); err != nil {
		t.Fatal(err)
	}
	wr.Close()
	t.Cleanup(func() { _ = x.Process.Kill(); _ = x.Wait() })
	_ = r.SetReadDeadline(time.Now().Add(15 * time.Second))
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil {
		t.Fatalf("Xvfb did not report its display: %v", err)
	}
	display := ":" + strings.TrimSpace(line)

	// openbox runs its --startup command once it manages windows (it sets
	// _NET_SUPPORTING_WM_CHECK earlier, when a window mapped may still be
	// missed); the command's echo comes through openbox's stdout.
	home := t.TempDir()
	out, obOut, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	ob := exec.Command(openbox, "--sm-disable", "--startup", "echo openbox-ready")
	ob.Env = append(os.Environ(), "DISPLAY="+display, "HOME="+home, "XDG_CONFIG_HOME="+home, "XDG_CACHE_HOME="+home)
	ob.Stdout = obOut
	if err := ob.Start(); err != nil {
		t.Fatal(err)
	}
	obOut.Close()
	t.Cleanup(func() { _ = ob.Process.Kill(); _ = ob.Wait() })
	_ = out.SetReadDeadline(time.Now().Add(15 * time.Second))
	lines := bufio.NewScanner(out) // openbox's own messages come there too
	for lines.Scan() && lines.Text() != "openbox-ready" {
		t.Logf("openbox: %s", lines.Text())
	}
	if lines.Text() != "openbox-ready" {
		t.Fatalf("openbox did not start: %v", lines.Err())
	}
	return display
}

func skipIfShort(t testing.TB) {
	t.Helper()
	if testing.Short() {
		t.Skip("needs a display: skipped under -short")
	}
}

// missing skips t for want of what err names, or fails it under CI=true.
func missing(t testing.TB, err error) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("CI=true but %v", err)
	}
	t.Skip(err)
}
