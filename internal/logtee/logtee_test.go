package logtee

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// badStderr fails every write, as stderr does in a Windows GUI app.
type badStderr struct{ writes int }

func (b *badStderr) Write([]byte) (int, error) {
	b.writes++
	return 0, errors.New("write /dev/stderr: The handle is invalid.")
}

// A failing first output must not keep the log from the file after it.
func TestFailingOutputDoesNotStopTheOthers(t *testing.T) {
	bad := &badStderr{}
	path := filepath.Join(t.TempDir(), "app.log")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(New(Output{"stderr", bad}, Output{path, f}), nil))
	log.Info("first line")
	log.Info("second line")
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	got := string(b)
	for _, want := range []string{"first line", "second line", "log: writing to stderr failed (write /dev/stderr: The handle is invalid.)"} {
		if !strings.Contains(got, want) {
			t.Errorf("the log file lacks %q:\n%s", want, got)
		}
	}
	if n := strings.Count(got, "failed"); n != 1 {
		t.Errorf("the failure is noted %d times, want once:\n%s", n, got)
	}
	if bad.writes != 1 {
		t.Errorf("the failed output was written %d times, want it dropped after the first", bad.writes)
	}
}

// shortWriter accepts half of each write without an error.
type shortWriter struct{}

func (shortWriter) Write(p []byte) (int, error) { return len(p) / 2, nil }

func TestShortWriteCountsAsFailure(t *testing.T) {
	var good bytes.Buffer
	w := New(Output{"half", shortWriter{}}, Output{"buffer", &good})
	if _, err := io.WriteString(w, "hello\n"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(good.String(), "hello\n") || !strings.Contains(good.String(), io.ErrShortWrite.Error()) {
		t.Errorf("buffer = %q", good.String())
	}
}

func TestEveryOutputFailing(t *testing.T) {
	w := New(Output{"a", &badStderr{}}, Output{"b", &badStderr{}})
	if n, err := w.Write([]byte("x")); err == nil || n != 0 {
		t.Errorf("Write = %d, %v; want an error", n, err)
	}
	if _, err := w.Write([]byte("y")); err == nil {
		t.Error("a Write with no output left returned no error")
	}
}

func TestConcurrentWrites(t *testing.T) {
	var buf bytes.Buffer
	w := New(Output{"buffer", &buf}, Output{"stderr", &badStderr{}})
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				_, _ = w.Write([]byte("line\n"))
			}
		})
	}
	wg.Wait()
	if n := strings.Count(buf.String(), "line\n"); n != 800 {
		t.Errorf("%d lines, want 800", n)
	}
}
