// Package displaytest gives tests an X display: Need the one the test run
// has ($DISPLAY: xvfb-run in make test), Private an Xvfb of the test's own,
// Openbox one with openbox, a reparenting window manager, on it; and
// Clipboard puts data on a display's clipboard from another program.
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
	"path/filepath"
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

// Private starts an Xvfb (1280x800) of t's own on a free display, stopped
// when t ends, and returns the display name (":5"): for tests of what is
// shared display-wide, like the clipboard, which other test packages
// running at the same time on $DISPLAY would disturb.
func Private(t testing.TB) string {
	t.Helper()
	skipIfShort(t)
	xvfb, err := exec.LookPath("Xvfb")
	if err != nil {
		missing(t, err)
	}
	return startXvfb(t, xvfb)
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
	display := startXvfb(t, xvfb)

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

// startXvfb starts Xvfb and returns its display once it accepts
// connections.
func startXvfb(t testing.TB, xvfb string) string {
	t.Helper()
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
	return ":" + strings.TrimSpace(line)
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

// Clipboard makes xclip, another program, own display's CLIPBOARD
// selection with data of type mime (a MIME type, or UTF8_STRING for text)
// until t ends, and returns once it owns it. xclip answers every request
// (it sends big data INCR by INCR, as the ICCCM says).
func Clipboard(t testing.TB, display, mime string, data []byte) {
	t.Helper()
	skipIfShort(t)
	xclip, err := exec.LookPath("xclip")
	if err != nil {
		missing(t, err)
	}
	file := filepath.Join(t.TempDir(), "clipboard")
	if err := os.WriteFile(file, data, 0o600); err != nil {
		t.Fatal(err)
	}
	out, outW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	// -quiet keeps xclip in the foreground, saying when it waits for
	// requests: then it owns the selection.
	c := exec.Command(xclip, "-quiet", "-selection", "clipboard", "-t", mime, "-i", file)
	c.Env = append(os.Environ(), "DISPLAY="+display)
	c.Stdout, c.Stderr = outW, outW
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	outW.Close()
	t.Cleanup(func() { _ = c.Process.Kill(); _ = c.Wait(); out.Close() })
	_ = out.SetReadDeadline(time.Now().Add(15 * time.Second))
	lines := bufio.NewScanner(out)
	waiting := false
	for !waiting && lines.Scan() {
		waiting = strings.Contains(lines.Text(), "Waiting for selection requests")
	}
	if !waiting {
		t.Fatalf("xclip did not start: %v", lines.Err())
	}
	_ = out.SetReadDeadline(time.Time{})
	go func() { // xclip keeps writing: keep its pipe drained
		for lines.Scan() {
		}
	}()
	// xclip may say so before it owns the selection (seen on a loaded
	// machine): it owns it once it answers for its targets.
	deadline := time.Now().Add(15 * time.Second)
	for {
		ask := exec.Command(xclip, "-o", "-selection", "clipboard", "-t", "TARGETS")
		ask.Env = c.Env
		got, err := ask.Output()
		if err == nil && strings.Contains(string(got), mime) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("xclip does not own the clipboard after 15 s: %q, %v", got, err)
		}
		time.Sleep(20 * time.Millisecond) // no event says when another program takes the selection
	}
}
