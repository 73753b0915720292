// Package logtee writes the app's log to several outputs at once and goes
// on with the others when one fails: a Windows GUI app (-H windowsgui) has
// no usable stderr, and io.MultiWriter would stop at that first failing
// writer, so the log file would stay empty.
package logtee

import (
	"errors"
	"fmt"
	"io"
	"sync"
)

// Output is one destination of the log.
type Output struct {
	Name string // said in the note when it fails ("stderr", a file's path)
	W    io.Writer
}

// Writer writes each Write to every output that has not failed yet. An
// output that fails (an error, or a short write) is dropped, and the
// others get one line saying so. It is safe for concurrent use.
type Writer struct {
	mu     sync.Mutex
	outs   []Output
	failed []bool
}

// New returns a Writer to outs.
func New(outs ...Output) *Writer {
	return &Writer{outs: outs, failed: make([]bool, len(outs))}
}

// Write writes p to every output still working. It fails only when none
// is left.
func (w *Writer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	var notes []string
	var errs []error
	ok := false
	for i, o := range w.outs {
		if w.failed[i] {
			continue
		}
		if err := writeAll(o.W, p); err != nil {
			w.failed[i] = true
			errs = append(errs, fmt.Errorf("%s: %w", o.Name, err))
			notes = append(notes, fmt.Sprintf("log: writing to %s failed (%v); the log goes on without it\n", o.Name, err))
			continue
		}
		ok = true
	}
	for _, note := range notes {
		for i, o := range w.outs {
			if !w.failed[i] {
				_ = writeAll(o.W, []byte(note)) // a failure shows at the next Write
			}
		}
	}
	if !ok {
		return 0, fmt.Errorf("log: every output failed: %w", errors.Join(errs...))
	}
	return len(p), nil
}

func writeAll(w io.Writer, p []byte) error {
	n, err := w.Write(p)
	if err == nil && n < len(p) {
		err = io.ErrShortWrite
	}
	return err
}
