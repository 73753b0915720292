//go:build !windows && !linux && !freebsd && !openbsd && !netbsd

package clipimage

import "context"

// read: no way to read a picture from this system's clipboard is built
// (macOS would need NSPasteboard through cgo).
func read(context.Context) (Image, error) { return Image{}, ErrUnsupported }
