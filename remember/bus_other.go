//go:build !((dragonfly && cgo) || (freebsd && cgo) || linux || netbsd || openbsd)

package remember

// sessionBusCheck: only the Secret Service backends use D-Bus.
func sessionBusCheck() error { return nil }
