package notify

import (
	"context"
	"time"
)

// TrayTimeout caps how long HasTray waits, whatever its context says.
const TrayTimeout = 3 * time.Second

// HasTray reports whether the desktop will show the app's system tray icon,
// so the UI can decide what closing the window does: hide to the tray, or
// (without a tray) quit or minimise rather than strand the user with an
// invisible app.
//
// On Linux and the BSDs, Fyne's tray is a StatusNotifierItem: it is shown
// only if a StatusNotifierWatcher owns org.kde.StatusNotifierWatcher on the
// session bus (stock GNOME has none without the AppIndicator extension) and,
// when the watcher says so, a host has registered with it. HasTray never
// autolaunches a bus, answers false on any failure, and waits at most until
// ctx ends or TrayTimeout passes. Elsewhere it returns true.
//
// It may block for that long: call it from a goroutine of your own, or once
// at startup before the window shows.
func HasTray(ctx context.Context) bool {
	ctx, cancel := context.WithTimeout(ctx, TrayTimeout)
	defer cancel()
	res := make(chan bool, 1)
	go func() { res <- hasTray(ctx) }()
	select {
	case ok := <-res:
		return ok
	case <-ctx.Done():
		return false
	}
}
