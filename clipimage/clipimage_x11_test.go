//go:build linux || freebsd || openbsd || netbsd

package clipimage

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"testing"
	"time"

	"directuschat/internal/displaytest"
)

// noise is n bytes no compression shortens.
func noise(n int) []byte {
	b := make([]byte, n)
	r := rand.NewChaCha8([32]byte{1})
	_, _ = r.Read(b)
	return b
}

func readFor(t *testing.T) (Image, int, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	return readX11(ctx)
}

// A picture another program put on the clipboard is read whole, with its
// type; a big one comes in INCR pieces and is read whole too.
func TestPictureFromAnotherProgram(t *testing.T) {
	for _, tc := range []struct {
		name, mime string
		size       int
		incr       bool
	}{
		{"small png", "image/png", 40_000, false},
		{"jpeg", "image/jpeg", 90_000, false},
		{"big png", "image/png", 12 << 20, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			display := displaytest.Private(t)
			t.Setenv("DISPLAY", display)
			data := noise(tc.size)
			displaytest.Clipboard(t, display, tc.mime, data)
			img, pieces, err := readFor(t)
			if err != nil {
				t.Fatal(err)
			}
			if img.Type != tc.mime || !bytes.Equal(img.Data, data) {
				t.Fatalf("read %s of %d bytes; want %s of %d, the same bytes", img.Type, len(img.Data), tc.mime, len(data))
			}
			if (pieces > 1) != tc.incr {
				t.Errorf("came in %d INCR pieces; want INCR: %v", pieces, tc.incr)
			}
		})
	}
}

// Text on the clipboard, or nothing, is no picture; no display at all (a
// Wayland session without XWayland) says pictures cannot be pasted.
func TestNoPicture(t *testing.T) {
	display := displaytest.Private(t)
	t.Setenv("DISPLAY", display)
	if _, _, err := readFor(t); !errors.Is(err, ErrNoImage) {
		t.Errorf("empty clipboard: %v; want ErrNoImage", err)
	}
	displaytest.Clipboard(t, display, "UTF8_STRING", []byte("just text"))
	if _, _, err := readFor(t); !errors.Is(err, ErrNoImage) {
		t.Errorf("text: %v; want ErrNoImage", err)
	}
	t.Setenv("DISPLAY", "")
	if _, _, err := readFor(t); !errors.Is(err, ErrUnsupported) {
		t.Errorf("no display: %v; want ErrUnsupported", err)
	}
}

// A picture over MaxBytes is refused, once MaxBytes were read (xclip does
// not say the size at the start of an INCR transfer; owners that do are
// refused at once).
func TestPictureTooBig(t *testing.T) {
	display := displaytest.Private(t)
	t.Setenv("DISPLAY", display)
	displaytest.Clipboard(t, display, "image/png", noise(MaxBytes+1))
	img, pieces, err := readFor(t)
	if !errors.Is(err, ErrTooBig) || img.Data != nil {
		t.Fatalf("read %d bytes in %d pieces, err %v; want ErrTooBig", len(img.Data), pieces, err)
	}
}
