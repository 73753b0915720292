//go:build (linux || freebsd || openbsd || netbsd) && !android

package notify

import (
	"context"

	"github.com/godbus/dbus/v5"
)

const (
	watcherName  = "org.kde.StatusNotifierWatcher"
	watcherPath  = "/StatusNotifierWatcher"
	hostProperty = "IsStatusNotifierHostRegistered"
)

func hasTray(ctx context.Context) bool {
	// A private connection bound to ctx: when ctx ends the connection is
	// closed, which also unblocks a stuck authentication.
	conn, err := dbus.SessionBusPrivateNoAutoStartup(dbus.WithContext(ctx))
	if err != nil {
		return false
	}
	defer conn.Close()
	if err := conn.Auth(nil); err != nil {
		return false
	}
	if err := conn.Hello(); err != nil {
		return false
	}
	var owned bool
	err = conn.BusObject().CallWithContext(ctx, "org.freedesktop.DBus.NameHasOwner", 0, watcherName).Store(&owned)
	if err != nil || !owned {
		return false
	}
	var v dbus.Variant
	err = conn.Object(watcherName, watcherPath).CallWithContext(ctx,
		"org.freedesktop.DBus.Properties.Get", 0, watcherName, hostProperty).Store(&v)
	if err != nil {
		// The watcher is there but will not say whether a host is: trust
		// it, unless the reason is that time ran out.
		return ctx.Err() == nil
	}
	if registered, ok := v.Value().(bool); ok {
		return registered
	}
	return true
}
