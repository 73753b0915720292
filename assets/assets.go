// Package assets holds the app and tray icons of Directus Chat, embedded in
// the binary as Fyne resources.
//
// The PNGs are drawn by scripts/icongen; to change them edit that program and
// run `go generate ./assets`. FyneApp.toml points at icon.png for
// `fyne package`, which turns it into the .desktop icon, the Windows .ico and
// the macOS .icns.
//
// The tray icons are coloured (not macOS template images) and have enough
// contrast on light and dark panels, so there is one set for both.
package assets

import (
	_ "embed"

	"fyne.io/fyne/v2"
)

//go:generate go run ../scripts/icongen -out .

var (
	//go:embed icon.png
	appIcon []byte
	//go:embed tray-online.png
	trayOnline []byte
	//go:embed tray-offline.png
	trayOffline []byte
	//go:embed tray-unread.png
	trayUnread []byte
)

var (
	// AppIcon is the 512x512 application icon: windows, the About dialog,
	// notifications, and the tray when no tray icon is set.
	AppIcon fyne.Resource = fyne.NewStaticResource("icon.png", appIcon)

	// TrayOnline is the 64x64 tray icon while connected with nothing unread:
	// a filled purple bubble.
	TrayOnline fyne.Resource = fyne.NewStaticResource("tray-online.png", trayOnline)

	// TrayOffline is the tray icon while disconnected or signed out: a hollow
	// grey bubble.
	TrayOffline fyne.Resource = fyne.NewStaticResource("tray-offline.png", trayOffline)

	// TrayUnread is the tray icon while connected with unread messages: the
	// online bubble with a red badge.
	TrayUnread fyne.Resource = fyne.NewStaticResource("tray-unread.png", trayUnread)
)
