//go:build (dragonfly && cgo) || (freebsd && cgo) || linux || netbsd || openbsd

package remember

import (
	"fmt"

	"github.com/godbus/dbus/v5"
)

// sessionBusCheck fails when the session has no D-Bus session bus, finding
// it exactly as godbus does but without its last resort: autolaunching a
// bus with dbus-launch, which go-keyring's dbus.SessionBus() would do,
// leaving a stray bus and a fresh, locked keyring per process.
func sessionBusCheck() error {
	conn, err := dbus.SessionBusPrivateNoAutoStartup()
	if err != nil {
		return fmt.Errorf("no D-Bus session bus: %w", err)
	}
	return conn.Close()
}
