package ui

// BringForward shows the window, from the tray if it was hidden there, and
// asks the window manager to focus it: what a second start of the app asks
// the running one for. Call it on the UI thread.
func (u *App) BringForward() { u.showWindow() }
