package ui

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"math"
	"os"
	"path/filepath"

	"fyne.io/fyne/v2"

	"directuschat/store"
	"directuschat/winpos"
)

// The window: closing it (to the tray or quitting), showing it again, and
// its size and position kept between runs.

// closeWindow hides to the tray where there is one; elsewhere it quits, so
// the user is never left with an invisible app.
func (u *App) closeWindow() {
	if !u.desk.trayShown || u.chat == nil {
		u.quit()
		return
	}
	u.saveWindowPlace()
	u.saveCache()
	u.win.Hide()
	u.desk.hidden = true
	u.desk.focused = false
	p := u.fyne.Preferences()
	if !p.Bool(prefTrayHint) && u.cfg.Notifier != nil {
		p.SetBool(prefTrayHint, true)
		u.cfg.Notifier.Notify("Directus Chat is still running", "It keeps receiving messages in the tray. Choose Quit in the tray menu to exit.")
	}
}

// showWindow brings the window back from the tray, where it was (Fyne
// asks for the old position; a window manager that forgot is told again).
func (u *App) showWindow() {
	wasHidden := u.desk.hidden
	u.desk.hidden = false
	u.win.Show()
	if wasHidden {
		u.restorePositionIfMoved()
	}
	u.win.RequestFocus()
	if u.chat != nil {
		u.chat.seen()
	}
}

// windowPlace is the window's size and position as saved for the next
// launch. It is kept in a small file of its own (Config.WindowFile), not in
// Fyne's preferences: Fyne 2.8 writes a preference set within 100 ms of the
// previous write only later, from a goroutine that needs the UI thread, or
// in the stopped hook that its shutdown sometimes acknowledges without
// running; the position set at quit was lost about one run in four.
type windowPlace struct {
	Width  float32 `json:"width,omitempty"`
	Height float32 `json:"height,omitempty"`
	// X and Y are winpos's native coordinates, set if Positioned.
	Positioned bool `json:"positioned,omitempty"`
	X          int  `json:"x"`
	Y          int  `json:"y"`
}

// sized reports whether the place has a usable window size.
func (p windowPlace) sized() bool { return p.Width >= 320 && p.Height >= 320 }

// readPlace reads a window place file.
func readPlace(path string) (windowPlace, error) {
	var p windowPlace
	data, err := os.ReadFile(path)
	if err != nil {
		return p, fmt.Errorf("window place: %w", err)
	}
	if err := json.Unmarshal(data, &p); err != nil {
		return windowPlace{}, fmt.Errorf("window place %s: %w", path, err)
	}
	return p, nil
}

// writePlace replaces a window place file: written aside, synced, renamed,
// so that a crash leaves the old file or the new one.
func writePlace(path string, p windowPlace) error {
	data, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("window place: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("window place: %w", err)
	}
	if err := store.WriteFile(path+".tmp", path, data); err != nil {
		return fmt.Errorf("window place: %w", err)
	}
	return nil
}

// loadWindowPlace reads the saved place and sizes the window; the position
// is restored once the native window exists (restorePosition). A place kept
// in the preferences by earlier versions moves to the file.
func (u *App) loadWindowPlace() {
	if u.cfg.WindowFile == "" {
		return
	}
	p, err := readPlace(u.cfg.WindowFile)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if p, ok := u.legacyPlace(); ok {
			u.storePlace(p)
		}
	case err != nil:
		u.log.Warn("saved window place unreadable; the window opens where the desktop puts it", "err", err)
	default:
		u.desk.place = p
	}
	if u.desk.place.sized() {
		u.win.Resize(fyne.NewSize(u.desk.place.Width, u.desk.place.Height))
	}
}

// Where earlier versions kept the window's place, in the preferences.
const (
	legacyPrefWidth  = "window_width"
	legacyPrefHeight = "window_height"
	legacyPrefX      = "window_x"
	legacyPrefY      = "window_y"
)

// legacyPlace takes the place out of the preferences, if earlier versions
// saved one there.
func (u *App) legacyPlace() (windowPlace, bool) {
	prefs := u.fyne.Preferences()
	keys := []string{legacyPrefWidth, legacyPrefHeight, legacyPrefX, legacyPrefY}
	const none = math.MinInt32
	p := windowPlace{
		Width:  float32(prefs.Float(legacyPrefWidth)),
		Height: float32(prefs.Float(legacyPrefHeight)),
		X:      prefs.IntWithFallback(legacyPrefX, none),
		Y:      prefs.IntWithFallback(legacyPrefY, none),
	}
	p.Positioned = p.X != none && p.Y != none
	if !p.Positioned {
		p.X, p.Y = 0, 0
	}
	found := false
	for _, k := range keys {
		if prefs.FloatWithFallback(k, none) != none {
			found = true
			prefs.RemoveValue(k)
		}
	}
	return p, found
}

// saveWindowPlace remembers the window's size and position for the next
// launch. Hidden to the tray, the window is where it was when hidden, saved
// then. The file is written on the disk goroutine (quitNow waits for it).
func (u *App) saveWindowPlace() {
	if u.desk.hidden {
		return
	}
	p := u.desk.place
	u.takeSize(&p)
	x, y, err := u.desk.getPos(u.win)
	if err != nil {
		u.logPosition("window position not saved", err)
	} else {
		p.Positioned, p.X, p.Y = true, x, y
		u.log.Debug("window position saved", "x", x, "y", y)
	}
	u.storePlace(p)
}

// takeSize puts the window's current size into p, if it is a usable one.
func (u *App) takeSize(p *windowPlace) {
	s := u.win.Canvas().Size()
	if s.Width >= 320 && s.Height >= 320 {
		p.Width, p.Height = s.Width, s.Height
	}
}

// storePlace makes p the saved place and writes it to the file, if it
// changed, on the disk goroutine.
func (u *App) storePlace(p windowPlace) {
	if p == u.desk.place {
		return
	}
	u.desk.place = p
	if path := u.cfg.WindowFile; path != "" {
		u.background(func() {
			if err := writePlace(path, p); err != nil {
				u.log.Warn("window place not saved", "err", err)
			}
		})
	}
}

// savedPosition is the position saved last, if any.
func (u *App) savedPosition() (x, y int, ok bool) {
	p := u.desk.place
	return p.X, p.Y, p.Positioned
}

// restorePosition moves the window to the saved position. winpos refuses a
// position off every screen (a monitor unplugged since): the window then
// stays where the window manager put it.
func (u *App) restorePosition() {
	x, y, ok := u.savedPosition()
	if !ok {
		return
	}
	if err := u.desk.setPos(u.win, x, y); err != nil {
		u.logPosition("window position not restored", err)
		return
	}
	u.log.Debug("window position restored", "x", x, "y", y)
}

// restorePositionIfMoved restores the saved position if the window is
// elsewhere.
func (u *App) restorePositionIfMoved() {
	x, y, ok := u.savedPosition()
	if !ok {
		return
	}
	if cx, cy, err := u.desk.getPos(u.win); err == nil && (cx != x || cy != y) {
		u.restorePosition()
	}
}

// logPosition logs a failure to read or move the window: at debug level
// where positions are not supported (Wayland, tests), as that is expected.
func (u *App) logPosition(msg string, err error) {
	level := slog.LevelInfo
	if errors.Is(err, winpos.ErrUnsupported) {
		level = slog.LevelDebug
	}
	u.log.Log(context.Background(), level, msg, "err", err)
}
