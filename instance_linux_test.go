//go:build linux

package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"directuschat/internal/dbustest"
	"directuschat/internal/displaytest"
)

// TestSecondStartBringsTheFirstForward runs the real app twice for one
// user on the X server of the test run: the second start asks the first to
// show its window and exits at once with status 0, and the first gets the
// request. Then the first is killed (SIGKILL: its lock goes with it, its
// socket file stays) and a new start must run and answer in its place.
func TestSecondStartBringsTheFirstForward(t *testing.T) {
	displaytest.Need(t)
	bin := appBinary(t)
	dir := t.TempDir()
	// A socket path has at most 107 bytes: the runtime dir is a short one.
	runtimeDir, err := os.MkdirTemp("", "dc")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(runtimeDir) })
	env := append(withLocale("LANG=C"), "HOME="+dir, "XDG_CONFIG_HOME="+filepath.Join(dir, "config"),
		"XDG_CACHE_HOME="+filepath.Join(dir, "cache"), "XDG_RUNTIME_DIR="+runtimeDir,
		"DBUS_SESSION_BUS_ADDRESS="+dbustest.PrivateBus(t))

	first := startAppProcess(t, bin, env)
	first.waitFor(t, "single instance: serving show requests")
	second(t, bin, env)
	first.waitFor(t, "another start of the app asked for the window")
	// The second start left the first one's log file alone.
	logFile, err := os.ReadFile(filepath.Join(dir, "cache", "directus-chat", "directus-chat.log"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(logFile), "another start of the app asked for the window") {
		t.Errorf("the log file is not the first instance's:\n%s", logFile)
	}

	first.kill(t)
	third := startAppProcess(t, bin, env)
	third.waitFor(t, "single instance: serving show requests")
	second(t, bin, env)
	third.waitFor(t, "another start of the app asked for the window")
	for _, a := range []*appProcess{first, third} {
		if out := a.out.String(); strings.Contains(out, "Fyne error") || strings.Contains(out, "a second start cannot reach") {
			t.Errorf("the app logged an error:\n%s", out)
		}
	}
}

// second starts the app while another runs: it must exit promptly with
// status 0 and say why.
func second(t *testing.T, bin string, env []string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "-server", "http://127.0.0.1:9")
	cmd.Env = env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	took := time.Since(start)
	if err != nil {
		t.Fatalf("the second start: %v after %v\n%s", err, took, out.String())
	}
	if !strings.Contains(out.String(), "Directus Chat is already running: its window was brought forward.") {
		t.Errorf("the second start said:\n%s", out.String())
	}
	if strings.Contains(out.String(), "Fyne error") {
		t.Errorf("the second start logged a Fyne error:\n%s", out.String())
	}
	if took > 10*time.Second {
		t.Errorf("the second start took %v to exit", took)
	}
}

// appProcess is the app started by startApp.
type appProcess struct {
	cmd    *exec.Cmd
	out    notifyingBuffer
	exited chan struct{} // closed once it has exited (err set)
	err    error
}

// startApp starts the app at its login form (nothing is contacted) with
// debug logging; it is killed when the test ends.
func startAppProcess(t *testing.T, bin string, env []string) *appProcess {
	t.Helper()
	a := &appProcess{exited: make(chan struct{})}
	a.out.changed = make(chan struct{}, 1)
	a.cmd = exec.Command(bin, "-debug", "-server", "http://127.0.0.1:9")
	a.cmd.Env = env
	a.cmd.Stdout, a.cmd.Stderr = &a.out, &a.out
	if err := a.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		a.err = a.cmd.Wait()
		close(a.exited)
	}()
	t.Cleanup(func() {
		_ = a.cmd.Process.Kill()
		<-a.exited
	})
	return a
}

// waitFor waits until the app has written text, failing if it exits first
// or takes over a minute.
func (a *appProcess) waitFor(t *testing.T, text string) {
	t.Helper()
	timeout := time.After(60 * time.Second)
	for !strings.Contains(a.out.String(), text) {
		select {
		case <-a.out.changed:
		case <-a.exited:
			if !strings.Contains(a.out.String(), text) {
				t.Fatalf("the app exited (%v) before writing %q:\n%s", a.err, text, a.out.String())
			}
		case <-timeout:
			t.Fatalf("the app did not write %q within a minute:\n%s", text, a.out.String())
		}
	}
}

// kill ends the app with SIGKILL, as a crash would.
func (a *appProcess) kill(t *testing.T) {
	t.Helper()
	if err := a.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-a.exited
}

// notifyingBuffer collects output and signals each write on changed.
type notifyingBuffer struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	changed chan struct{}
}

func (b *notifyingBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	select {
	case b.changed <- struct{}{}:
	default:
	}
	return b.buf.Write(p)
}

func (b *notifyingBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
