package ui

import (
	"context"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/driver/desktop"

	"directuschat/notify"
	"directuschat/winpos"
)

// The desktop side of the app: the preference keys and the state shared by
// the tray, the window, the unread count and the remembered session
// (desktopState), set up once by startDesktop.

// Preference keys: non-secret settings only (Fyne stores them as plain JSON).
const (
	prefServer   = "last_server"
	prefEmail    = "last_email"
	prefRemember = "remember_me"
	prefDND      = "do_not_disturb"
	prefTrayHint = "tray_hint_shown"
)

// desktopState is what makes the app live on the desktop: the tray, the
// notifications, the unread count and the remembered session.
type desktopState struct {
	tray      desktop.App // nil when the driver has no tray API (tests)
	trayShown bool        // a tray host shows our icon: closing hides to the tray
	hidden    bool        // the window was closed to the tray
	focused   bool
	unread    int
	mentions  int // of the unread messages, those that mention the user (servers with channels)
	dnd       bool
	coalescer *notify.Coalescer
	keyring   chan func()   // keyring calls, one at a time, in order, off the UI thread
	disk      chan func()   // cache writes, in order, off the UI thread
	quitAsk   dialog.Dialog // the open "messages not sent yet" question, if any
	place     windowPlace   // the window's size and position as saved last

	// getPos and setPos read and move the window on the screen: winpos's
	// Get and Set, fakes in tests (Fyne's test driver has no positions).
	getPos func(fyne.Window) (x, y int, err error)
	setPos func(w fyne.Window, x, y int) error
}

// startDesktop sets up the tray, notifications, window size and position
// and close behaviour. It runs once, from New.
func (u *App) startDesktop() {
	p := u.fyne.Preferences()
	u.desk.focused = true
	u.desk.dnd = p.Bool(prefDND)
	u.loadWindowPlace()
	u.desk.getPos, u.desk.setPos = winpos.Get, winpos.Set
	// The native window exists once the window is shown, which main does
	// before running the app; OnStarted then runs on the UI thread before
	// the first frame, so the window barely shows where the WM put it.
	u.fyne.Lifecycle().SetOnStarted(func() {
		u.restorePosition()
		if u.cfg.OnStarted != nil {
			u.cfg.OnStarted()
		}
	})
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
	// No OnStopped hook: Fyne 2.8.1 runs it on the main thread while its
	// shutdown closes the main thread's queue, and the app then panicked
	// at exit ("send on closed channel", seen in CI). What must be kept is
	// saved before, in quitNow.

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
