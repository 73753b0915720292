package ui

import (
	"fmt"

	"fyne.io/fyne/v2/dialog"
)

// showAbout shows the name and version (from FyneApp.toml, through the app
// metadata) and where the app keeps its things.
func (u *App) showAbout() {
	md := u.fyne.Metadata()
	version := md.Version
	if version == "" {
		version = "development build"
	} else if md.Build > 0 {
		version = fmt.Sprintf("%s (build %d)", md.Version, md.Build)
	}
	u.dialogs.show(dialog.NewInformation("About Directus Chat",
		"Directus Chat "+version+"\n\nA desktop chat client for Directus realtime.\n"+
			"Passwords are never stored; with Remember me, the session token is kept in the system keyring.",
		u.win))
}
