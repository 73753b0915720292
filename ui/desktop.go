package ui

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/widget"

	"directuschat/assets"
	"directuschat/notify"
	"directuschat/realtime"
	"directuschat/remember"
	"directuschat/store"
	"directuschat/timeline"
	"directuschat/winpos"
)

// Preference keys: non-secret settings only (Fyne stores them as plain JSON).
const (
	prefServer   = "last_server"
	prefEmail    = "last_email"
	prefRemember = "remember_me"
	prefWidth    = "window_width"
	prefHeight   = "window_height"
	prefX        = "window_x" // with prefY: winpos's native coordinates
	prefY        = "window_y"
	prefDND      = "do_not_disturb"
	prefTrayHint = "tray_hint_shown"
)

// keyringTimeout bounds every keyring call: a locked keyring may wait on an
// unlock prompt forever.
const keyringTimeout = 5 * time.Second

// desktopState is what makes the app live on the desktop: the tray, the
// notifications, the unread count and the remembered session.
type desktopState struct {
	tray      desktop.App // nil when the driver has no tray API (tests)
	trayShown bool        // a tray host shows our icon: closing hides to the tray
	hidden    bool        // the window was closed to the tray
	focused   bool
	unread    int
	dnd       bool
	coalescer *notify.Coalescer
	keyring   chan func()   // keyring calls, one at a time, in order, off the UI thread
	disk      chan func()   // cache writes, in order, off the UI thread
	quitAsk   dialog.Dialog // the open "messages not sent yet" question, if any

	// getPos and setPos read and move the window on the screen: winpos's
	// Get and Set, fakes in tests (Fyne's test driver has no positions).
	getPos func(fyne.Window) (x, y int, err error)
	setPos func(w fyne.Window, x, y int) error
}

// noPosition is what the position preferences read when none was saved.
const noPosition = math.MinInt32

// startDesktop sets up the tray, notifications, window size and position
// and close behaviour. It runs once, from New.
func (u *App) startDesktop() {
	p := u.fyne.Preferences()
	u.desk.focused = true
	u.desk.dnd = p.Bool(prefDND)
	if w, h := p.Float(prefWidth), p.Float(prefHeight); w >= 320 && h >= 320 {
		u.win.Resize(fyne.NewSize(float32(w), float32(h)))
	}
	u.desk.getPos, u.desk.setPos = winpos.Get, winpos.Set
	// The native window exists once the window is shown, which main does
	// before running the app; OnStarted then runs on the UI thread before
	// the first frame, so the window barely shows where the WM put it.
	u.fyne.Lifecycle().SetOnStarted(u.restorePosition)
	if u.cfg.Keyring != nil {
		u.desk.keyring = make(chan func(), 16)
		go func() {
			for job := range u.desk.keyring {
				job()
			}
		}()
	}
	if u.cfg.Notifier != nil {
		u.desk.coalescer = notify.NewCoalescer(notify.Config{
			Notifier: u.cfg.Notifier,
			AfterFunc: func(d time.Duration, f func()) notify.Timer {
				return time.AfterFunc(d, func() { u.cfg.Dispatch(f) })
			},
		})
		u.desk.coalescer.SetDoNotDisturb(u.desk.dnd)
	}
	u.fyne.Lifecycle().SetOnEnteredForeground(func() {
		u.desk.focused = true
		if u.chat != nil {
			u.chat.seen()
		}
	})
	u.fyne.Lifecycle().SetOnExitedForeground(func() { u.desk.focused = false })
	// Only the size at OnStopped: the native window is gone by then (the
	// position was saved in quit, or when the window was closed to the tray).
	u.fyne.Lifecycle().SetOnStopped(u.saveWindowSize)

	if d, ok := u.fyne.(desktop.App); ok {
		// Fyne starts the tray only if it is set up before the app runs, so
		// set it now; whether a tray host will show it is learnt below and
		// only decides what closing the window does.
		u.desk.tray = d
		u.refreshTray()
		hasTray := u.cfg.HasTray
		if hasTray == nil {
			hasTray = notify.HasTray
		}
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), notify.TrayTimeout)
			defer cancel()
			ok := hasTray(ctx)
			u.cfg.Dispatch(func() {
				u.desk.trayShown = ok
				if !ok {
					u.log.Info("no system tray on this desktop: closing the window quits")
				}
			})
		}()
	}
	u.win.SetCloseIntercept(u.closeWindow)
}

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

// quit ends the app; with messages not sent yet it asks first (they go out
// at the next sign-in, or, if not saved, are lost).
func (u *App) quit() {
	if u.chat != nil {
		if warning := quitWarning(u.chat.tl); warning != "" {
			u.askQuit(warning)
			return
		}
	}
	u.quitNow()
}

// askQuit shows the question (once; the window comes back from the tray).
func (u *App) askQuit(warning string) {
	if u.desk.hidden {
		u.showWindow()
	}
	if u.desk.quitAsk != nil {
		u.desk.quitAsk.Hide()
	}
	d := dialog.NewConfirm("Quit Directus Chat?", warning, func(ok bool) {
		u.desk.quitAsk = nil
		if ok {
			u.quitNow()
		}
	}, u.win)
	d.SetConfirmText("Quit")
	d.SetDismissText("Cancel")
	u.desk.quitAsk = d
	d.Show()
}

// quitWarning says what quitting does to unsent messages ("" if none).
func quitWarning(tl *timeline.Timeline) string {
	all, notSaved := tl.Unsent()
	saved := all - notSaved
	switch {
	case all == 0:
		return ""
	case notSaved == 0:
		return fmt.Sprintf("%s not sent yet. %s will be sent the next time you sign in.",
			countMessages(all, "message is", "messages are"), plural(all, "It", "They"))
	}
	w := fmt.Sprintf("%s not sent and not saved: %s will be lost if you quit.",
		countMessages(notSaved, "message is", "messages are"), plural(notSaved, "it", "they"))
	if saved > 0 {
		w += fmt.Sprintf(" %s will be sent the next time you sign in.", countMessages(saved, "other message", "other messages"))
	}
	return w
}

// quitNow saves what is to be kept, closes the session and ends the app.
func (u *App) quitNow() {
	u.saveWindowPlace()
	if u.chat != nil {
		u.saveCache()
		u.chat.session.Close()
	}
	u.flushBackground()
	u.fyne.Quit()
}

// saveWindowPlace remembers the window's size and position for the next
// launch. Hidden to the tray, the window is where it was when hidden, saved
// then.
func (u *App) saveWindowPlace() {
	if u.desk.hidden {
		return
	}
	u.saveWindowSize()
	x, y, err := u.desk.getPos(u.win)
	if err != nil {
		u.logPosition("window position not saved", err)
		return
	}
	p := u.fyne.Preferences()
	p.SetInt(prefX, x)
	p.SetInt(prefY, y)
	u.log.Debug("window position saved", "x", x, "y", y)
}

// savedPosition is the position saved last, if any.
func (u *App) savedPosition() (x, y int, ok bool) {
	p := u.fyne.Preferences()
	x, y = p.IntWithFallback(prefX, noPosition), p.IntWithFallback(prefY, noPosition)
	return x, y, x != noPosition && y != noPosition
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

func (u *App) saveWindowSize() {
	s := u.win.Canvas().Size()
	if s.Width >= 320 && s.Height >= 320 {
		p := u.fyne.Preferences()
		p.SetFloat(prefWidth, float64(s.Width))
		p.SetFloat(prefHeight, float64(s.Height))
	}
}

// setUnread updates the count in the title and the tray.
func (u *App) setUnread(n int) {
	if n == u.desk.unread {
		return
	}
	u.desk.unread = n
	u.refreshTitle()
	u.refreshTray()
}

func (u *App) refreshTitle() {
	if u.chat == nil {
		u.win.SetTitle("Directus Chat") // also the WM_CLASS docks match to the .desktop entry
		return
	}
	title := "Directus Chat — " + u.chat.session.Server().Host
	if u.desk.unread > 0 {
		title = fmt.Sprintf("(%d) %s", u.desk.unread, title)
	}
	u.win.SetTitle(title)
}

// refreshTray sets the tray icon for the state (unread, offline, online)
// and rebuilds its menu.
func (u *App) refreshTray() {
	if u.desk.tray == nil {
		return
	}
	icon := assets.TrayOffline
	switch {
	case u.chat == nil:
	case u.desk.unread > 0:
		icon = assets.TrayUnread
	case u.chat.state.State == realtime.StateOnline:
		icon = assets.TrayOnline
	}
	u.log.Debug("tray", "icon", icon.Name(), "unread", u.desk.unread)
	u.desk.tray.SetSystemTrayIcon(icon)

	open := fyne.NewMenuItem("Open Directus Chat", u.showWindow)
	unread := fyne.NewMenuItem("No unread messages", u.showWindow)
	if u.desk.unread > 0 {
		unread.Label = fmt.Sprintf("%d unread", u.desk.unread)
	}
	unread.Disabled = u.desk.unread == 0
	dnd := fyne.NewMenuItem("Do not disturb", func() { u.setDoNotDisturb(!u.desk.dnd) })
	dnd.Checked = u.desk.dnd
	logout := fyne.NewMenuItem("Log out", u.logout)
	logout.Disabled = u.chat == nil
	about := fyne.NewMenuItem("About", func() { u.showWindow(); u.showAbout() })
	// Fyne appends Quit itself; it must close the session first.
	quit := fyne.NewMenuItem("Quit", u.quit)
	quit.IsQuit = true
	u.desk.tray.SetSystemTrayMenu(fyne.NewMenu("Directus Chat", open, unread, fyne.NewMenuItemSeparator(), dnd, logout, about, fyne.NewMenuItemSeparator(), quit))
}

func (u *App) setDoNotDisturb(on bool) {
	u.desk.dnd = on
	u.fyne.Preferences().SetBool(prefDND, on)
	if u.desk.coalescer != nil {
		u.desk.coalescer.SetDoNotDisturb(on)
	}
	u.refreshTray()
}

// notifyMessages raises notifications for live messages from others while
// the window is hidden or not focused. History and own messages never notify.
func (u *App) notifyMessages(msgs []realtime.Message) {
	if u.desk.coalescer == nil || (u.desk.focused && !u.desk.hidden) {
		return
	}
	for _, m := range msgs {
		u.desk.coalescer.Add(notify.Message{Sender: nameOf(m), SenderID: m.AuthorID, Text: m.Text, At: m.Created})
	}
}

// logout signs out on the server and forgets the remembered session.
func (u *App) logout() {
	if u.chat == nil {
		return
	}
	u.chat.remembered = false // a token rotated from now on is not kept
	u.forget(u.chat.account)
	u.dropCache(u.chat.account)
	u.chat.session.Logout()
}

// account is who is signed in where, the key of a remembered session.
type account struct{ server, email string }

// remember stores the refresh token in the keyring (rotated tokens replace
// the old one). Jobs run in order on the keyring goroutine.
func (u *App) remember(a account, refreshToken string) {
	if u.desk.keyring == nil || refreshToken == "" {
		return
	}
	store := u.cfg.Keyring
	u.desk.keyring <- func() {
		ctx, cancel := context.WithTimeout(context.Background(), keyringTimeout)
		defer cancel()
		if err := store.Save(ctx, remember.Session{Server: a.server, Email: a.email, RefreshToken: refreshToken}); err != nil {
			u.log.Warn("remember me: could not store the session", "err", err)
			u.cfg.Dispatch(func() {
				if u.chat != nil {
					u.chat.status.SetText(remember.Message(err))
				}
			})
		}
	}
}

// forget removes a remembered session from the keyring.
func (u *App) forget(a account) {
	if u.desk.keyring == nil {
		return
	}
	store := u.cfg.Keyring
	u.desk.keyring <- func() {
		ctx, cancel := context.WithTimeout(context.Background(), keyringTimeout)
		defer cancel()
		if err := store.Delete(ctx, a.server, a.email); err != nil {
			u.log.Warn("remember me: could not remove the session", "err", err)
		}
	}
}

// restore signs in with the remembered session of the last account, without
// showing the form; on any failure the form appears with a short notice.
func (u *App) restore() bool {
	p := u.fyne.Preferences()
	server, email := p.String(prefServer), p.String(prefEmail)
	if u.desk.keyring == nil || !p.Bool(prefRemember) || server == "" || email == "" {
		return false
	}
	v := u.login
	v.setBusy(true)
	v.status.Importance = 0
	v.status.SetText("Signing in as " + email + "…")
	store, cfg := u.cfg.Keyring, u.cfg.Session
	cfg.Server = server
	a := account{server, email}
	u.desk.keyring <- func() {
		ctx, cancel := context.WithTimeout(context.Background(), keyringTimeout)
		sess, err := store.Load(ctx, server, email)
		cancel()
		if errors.Is(err, remember.ErrNotFound) {
			u.dropCache(a) // nothing remembered: no history either
		}
		if err != nil {
			u.cfg.Dispatch(func() {
				if u.login == v {
					v.setBusy(false)
					v.setError(remember.Message(err))
				}
			})
			return
		}
		r := realtime.Remembered{RefreshToken: sess.RefreshToken}
		if u.cfg.Cache != nil {
			// Show what the last run saw at once; the server fills in the rest.
			var err error
			if r.User, r.Known, err = u.cfg.Cache(server, email).Load(); err != nil {
				u.log.Warn("history cache unreadable; starting without it", "err", err)
				r.User, r.Known = realtime.User{}, nil
			}
		}
		s, err := u.cfg.Open(cfg, r)
		u.cfg.Dispatch(func() { v.finish(s, err, a) })
	}
	return true
}

// saveCache writes the newest messages of a remembered session to the
// history cache, off the UI thread (the copy is made here, on it).
func (u *App) saveCache() {
	c := u.chat
	if c == nil || !c.remembered || u.cfg.Cache == nil || c.tl.Len() == 0 {
		return // a session not remembered leaves no history on disk
	}
	var msgs []realtime.Message
	for i := max(0, c.tl.Len()-store.CacheSize); i < c.tl.Len(); i++ {
		if e := c.tl.At(i); e.Status == timeline.Sent {
			msgs = append(msgs, e.Message)
		}
	}
	cache, user := u.cfg.Cache(c.account.server, c.account.email), c.session.User()
	u.background(func() {
		if err := cache.Save(user, msgs); err != nil {
			u.log.Warn("history cache not saved", "err", err)
		}
	})
}

// dropCache deletes an account's history cache file (at any sign-out, and
// when a session is not remembered).
func (u *App) dropCache(a account) {
	if u.cfg.Cache == nil {
		return
	}
	cache := u.cfg.Cache(a.server, a.email)
	u.background(func() {
		if err := cache.Delete(); err != nil {
			u.log.Warn("history cache not deleted", "err", err)
		}
	})
}

// flushBackground waits for queued disk work, before the process exits.
func (u *App) flushBackground() {
	if u.desk.disk == nil {
		return
	}
	done := make(chan struct{})
	u.desk.disk <- func() { close(done) }
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		u.log.Warn("history cache still being written at exit")
	}
}

// background runs disk work in order on one goroutine.
func (u *App) background(job func()) {
	if u.desk.disk == nil {
		u.desk.disk = make(chan func(), 16)
		go func() {
			for job := range u.desk.disk {
				job()
			}
		}()
	}
	u.desk.disk <- job
}

// watchDamage shows, once each, the local files found damaged and set aside.
func (u *App) watchDamage() {
	for _, src := range u.cfg.Damage {
		src.OnDamage(func(d store.Damage) {
			u.cfg.Dispatch(func() { u.showDamage(d) })
		})
	}
}

// damageText is the sentence the window shows about a damaged file.
func damageText(d store.Damage) string {
	if d.Kind == store.CacheFile {
		return fmt.Sprintf("Your message cache was damaged and has been set aside (%s). Nothing is lost: the messages are loaded from the server again.", d.MovedTo)
	}
	text := fmt.Sprintf("Your local data file was damaged and has been set aside (%s). ", d.MovedTo)
	if d.Recovered == 0 {
		return text + "Unsent messages in it could not be recovered."
	}
	return text + fmt.Sprintf("%s could be read from it and will be sent; any others could not be recovered.",
		countMessages(d.Recovered, "unsent message", "unsent messages"))
}

func (u *App) showDamage(d store.Damage) {
	msg := widget.NewLabel(damageText(d))
	msg.Wrapping = fyne.TextWrapWord
	dlg := dialog.NewCustom("Local data set aside", "OK", msg, u.win)
	dlg.Resize(fyne.NewSize(420, 220))
	dlg.Show()
}

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
	dialog.ShowInformation("About Directus Chat",
		"Directus Chat "+version+"\n\nA desktop chat client for Directus realtime.\n"+
			"Passwords are never stored; with Remember me, the session token is kept in the system keyring.",
		u.win)
}
