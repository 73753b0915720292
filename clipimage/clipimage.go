// Package clipimage reads a picture from the desktop's clipboard, which
// Fyne's clipboard cannot (it holds text only): on X11 through the X
// protocol itself (github.com/jezek/xgb, no C library to load), on Windows
// through user32, on macOS through AppKit's NSPasteboard, called with
// github.com/ebitengine/purego (no cgo). Elsewhere (Wayland without
// XWayland, iOS, Android) Read says ErrUnsupported. What it returns is the
// clipboard's bytes, bounded by MaxBytes, with their type; the caller
// decodes (and so checks) them.
package clipimage

import (
	"context"
	"errors"
	"fmt"
)

// MaxBytes is the most Read takes from the clipboard.
const MaxBytes = 32 << 20

// ErrNoImage says the clipboard holds no picture (it may hold text).
var ErrNoImage = errors.New("the clipboard holds no picture")

// ErrUnsupported says pictures cannot be read from this desktop's
// clipboard.
var ErrUnsupported = errors.New("pictures cannot be pasted on this desktop")

// ErrTooBig says the clipboard's picture is over MaxBytes.
var ErrTooBig = fmt.Errorf("the clipboard's picture is over %d MB", MaxBytes>>20)

// Image is a picture on the clipboard.
type Image struct {
	Data []byte
	Type string // its MIME type: image/png, image/jpeg, image/gif, image/bmp, image/tiff
}

// Read returns the picture on the clipboard. ctx bounds the time a
// clipboard owner that does not answer can take.
func Read(ctx context.Context) (Image, error) {
	return read(ctx)
}
