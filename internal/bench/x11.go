package bench

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// XEvent is an X event line printed by xev, with the time it was read.
type XEvent struct {
	At     time.Time
	Kind   string // e.g. MapNotify, PropertyNotify
	Window string // the window it is about (hex), for MapNotify
	Atom   string // the property, for PropertyNotify
}

// XWatch runs xev and delivers its events as they happen: no polling, so
// the watcher neither misses a short state nor slows the app with a busy
// loop of xdotool calls.
type XWatch struct {
	cmd    *exec.Cmd
	Events chan XEvent
}

var (
	xevKind   = regexp.MustCompile(`^(\w+) event, serial`)
	xevWindow = regexp.MustCompile(`\bwindow (0x[0-9a-f]+)`)
	xevAtom   = regexp.MustCompile(`atom 0x[0-9a-f]+ \(([^)]+)\)`)
)

// WatchRoot reports windows created, mapped or configured on the root
// window (xev -root -event substructure).
func WatchRoot(ctx context.Context) (*XWatch, error) {
	return watch(ctx, "-root", "-event", "substructure")
}

// WatchProperties reports property changes (the title) of window id.
func WatchProperties(ctx context.Context, id string) (*XWatch, error) {
	return watch(ctx, "-id", id, "-event", "property")
}

func watch(ctx context.Context, args ...string) (*XWatch, error) {
	// stdbuf: xev's stdout is a pipe; make it line buffered.
	cmd := exec.CommandContext(ctx, "stdbuf", append([]string{"-oL", "xev"}, args...)...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("xev: %w", err)
	}
	w := &XWatch{cmd: cmd, Events: make(chan XEvent, 1024)}
	go func() {
		defer close(w.Events)
		sc := bufio.NewScanner(out)
		// xev prints a blank line, then the event: its first line names
		// the window it was reported on, the second the window it is
		// about (or the property). The event is delivered on its second
		// line: nothing follows it until the next event.
		var cur *XEvent
		lines := 0
		var raw *os.File
		if p := os.Getenv("BENCH_XEV_LOG"); p != "" {
			raw, _ = os.OpenFile(p, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
			defer raw.Close()
		}
		for sc.Scan() {
			if raw != nil {
				fmt.Fprintf(raw, "%s %s\n", time.Now().Format("15:04:05.000"), sc.Text())
			}
			line := strings.TrimSpace(sc.Text())
			if m := xevKind.FindStringSubmatch(line); m != nil {
				cur = &XEvent{At: time.Now(), Kind: m[1]}
				if w := xevWindow.FindStringSubmatch(line); w != nil {
					cur.Window = w[1]
				}
				lines = 1
				continue
			}
			if cur == nil {
				continue
			}
			lines++
			if m := xevWindow.FindStringSubmatch(line); m != nil {
				cur.Window = m[1]
			}
			if m := xevAtom.FindStringSubmatch(line); m != nil {
				cur.Atom = m[1]
			}
			if lines == 2 {
				select {
				case w.Events <- *cur:
				default:
				}
				cur = nil
			}
		}
	}()
	// xev prints nothing until it runs; give it a moment to select input.
	time.Sleep(150 * time.Millisecond)
	return w, nil
}

// Stop ends the watcher.
func (w *XWatch) Stop() {
	if w.cmd.Process != nil {
		_ = w.cmd.Process.Kill()
	}
	_ = w.cmd.Wait()
}

// WindowName is the title of window id ("" if it has none or is gone).
func WindowName(id string) string {
	out, err := exec.Command("xdotool", "getwindowname", xdotoolID(id)).Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

// Viewable reports whether window id is mapped and viewable.
func Viewable(id string) bool {
	out, err := exec.Command("xwininfo", "-id", id).Output()
	return err == nil && strings.Contains(string(out), "IsViewable")
}

func xdotoolID(id string) string {
	if v, err := strconv.ParseUint(strings.TrimPrefix(id, "0x"), 16, 64); err == nil {
		return strconv.FormatUint(v, 10)
	}
	return id
}

// Xdotool runs xdotool with args.
func Xdotool(args ...string) error {
	out, err := exec.Command("xdotool", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("xdotool %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return nil
}

// XdotoolID converts an xev window id (hex) to xdotool's decimal form.
func XdotoolID(id string) string { return xdotoolID(id) }
