//go:build !windows && !linux && !freebsd && !openbsd && !netbsd && (!darwin || ios)

package clipimage

import "context"

// read: no way to read a picture from this system's clipboard is built
// (iOS, which has UIPasteboard and no AppKit; the browser; Plan 9; ...).
func read(context.Context) (Image, error) { return Image{}, ErrUnsupported }
