//go:build !(linux || freebsd || openbsd || netbsd) || android

package notify

import "context"

// Windows and macOS always have a notification area / menu bar.
func hasTray(context.Context) bool { return true }
