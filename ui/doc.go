// Package ui is the Fyne front end: the login form, the chat window and the
// pump that carries session events onto the UI thread. It never touches the
// network itself: it calls package realtime, whose methods do not block,
// and applies what comes back in batches through one dispatch function
// (fyne.Do in the app, a test's own loop in tests).
package ui
