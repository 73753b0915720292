//go:build linux || freebsd || openbsd || netbsd

package fynenotify

import (
	"context"
	"log/slog"
	"os"
	"time"

	"fyne.io/fyne/v2"
	"github.com/godbus/dbus/v5"

	"directuschat/notify/linuxnotify"
)

// sendTimeout bounds one notification's D-Bus calls.
const sendTimeout = 10 * time.Second

func platformSender(a fyne.App) sender {
	if inFlatpak() {
		// Fyne sends through the notification portal, whose body is
		// plain text.
		return fyneSender{a}
	}
	icon := &iconFile{app: a}
	return &dbusSender{appID: osAppID(a), icon: icon.get}
}

func inFlatpak() bool {
	_, err := os.Stat("/.flatpak-info")
	return err == nil
}

// dbusSender sends to org.freedesktop.Notifications on the session bus
// (Fyne's shared connection) through notify/linuxnotify.
type dbusSender struct {
	appID string
	icon  func() string
}

func (s *dbusSender) send(n *fyne.Notification) {
	conn, err := dbus.SessionBus() // shared with Fyne: never closed here
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), sendTimeout)
		_, err = linuxnotify.Send(ctx, conn, linuxnotify.Notification{
			AppName: s.appID, Icon: s.icon(), Summary: n.Title, Body: n.Content,
		})
		cancel()
	}
	if err != nil {
		slog.Warn("notification not shown", "err", err)
	}
}
