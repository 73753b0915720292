package ui

import (
	"context"
	"io"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"

	"fyne.io/fyne/v2"

	"directuschat/assets"
	"directuschat/internal/memtrim"
	"directuschat/notify"
	"directuschat/realtime"
	"directuschat/remember"
	"directuschat/store"
)

// Config is what the UI needs from main.
type Config struct {
	// Server pre-fills the login form (a -server flag); it wins over the
	// last server used.
	Server string
	// LocalServer pre-fills the form when neither Server nor a last server is
	// known (the local dev server, when it runs).
	LocalServer string
	// Session is the template for realtime sessions; Server is filled in from the form.
	Session realtime.Config
	// Dispatch runs fn on the UI thread. Nil means fyne.Do. Tests pass their own.
	Dispatch func(fn func())
	// Connect opens a session. Nil means realtime.Connect.
	Connect func(ctx context.Context, cfg realtime.Config, creds realtime.Credentials) (*realtime.Session, error)
	// Open starts a session from a remembered one. Nil means realtime.Open.
	Open func(cfg realtime.Config, r realtime.Remembered) (*realtime.Session, error)
	// Cache opens the local history cache of an account (server, email);
	// nil keeps no cache.
	Cache func(server, email string) HistoryCache
	// Damage are the local files (package store) that report being found
	// damaged and set aside; the window says so, once each.
	Damage []DamageSource
	// WindowFile is the file that keeps the window's size and position
	// between runs (main puts it beside Fyne's preferences); "" keeps them
	// for this App only.
	WindowFile string
	// FilesCacheDir keeps thumbnails of attachments (bounded); "" keeps
	// none on disk.
	FilesCacheDir string
	// OnStarted, when set, runs on the UI thread once the app runs (after
	// the window is placed): main takes over SIGTERM there.
	OnStarted func()
	// PastedDir keeps pictures pasted from the clipboard until they are
	// sent (a month at most); "" turns pasting pictures off.
	PastedDir string
	// TrimAfter is how long after the last row was bound (scrolling makes
	// garbage by the megabyte) the chat drops what it can make again and
	// the heap's free memory goes back to the OS (memtrim); 0: never.
	TrimAfter time.Duration
	// Keyring keeps "Remember me" sessions; nil hides the option.
	Keyring *remember.Store
	// Notifier shows desktop notifications; nil shows none.
	Notifier notify.Notifier
	// HasTray reports whether the desktop shows tray icons. Nil means notify.HasTray.
	HasTray func(ctx context.Context) bool
	// Logger receives the UI's log lines. Nil means slog.Default().
	Logger *slog.Logger
}

// HistoryCache keeps an account's newest messages between runs (package
// store implements it).
type HistoryCache interface {
	Load() (realtime.User, []realtime.Message, error)
	// SaveWithDrafts also keeps what was typed and not sent, per
	// conversation; Drafts reads it back.
	SaveWithDrafts(realtime.User, []realtime.Message, map[string]string) error
	Drafts() map[string]string
	Delete() error
}

// DamageSource reports local files found damaged (store.DB, store.CacheDir).
type DamageSource interface {
	OnDamage(func(store.Damage))
}

// App is the main window and whichever screen it shows.
type App struct {
	fyne    fyne.App
	trimmer *memtrim.Trimmer // nil: memory is not trimmed (Config.TrimAfter)
	win     fyne.Window
	cfg     Config
	log     *slog.Logger
	login   *loginView
	chat    *chatView
	frame   time.Duration
	desk    desktopState
	// dialogs are the open dialogs Escape closes.
	dialogs *dialogStack
	// fileLinks are the files clients of sessions signed in and not yet
	// shown (by *realtime.Session): made with the session's config (it is
	// the session's uploader), handed to its chat.
	fileLinks sync.Map
	// wrapUpload wraps uploads' readers (tests: an upload held half-way
	// until its ctx is cancelled).
	wrapUpload func(ctx context.Context, r io.ReadCloser) io.ReadCloser
	// restoredDrafts are the drafts of a remembered session, read with its
	// history cache, for the chat about to open.
	restoredDrafts map[string]string
}

// New builds the main window showing the login form. Call ShowAndRun on the
// window (or w.Show in tests) afterwards.
func New(a fyne.App, cfg Config) *App {
	if cfg.Dispatch == nil {
		cfg.Dispatch = fyne.Do
	}
	if cfg.Connect == nil {
		cfg.Connect = realtime.Connect
	}
	if cfg.Open == nil {
		cfg.Open = realtime.Open
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Session.Logger == nil {
		cfg.Session.Logger = cfg.Logger
	}
	u := &App{fyne: a, cfg: cfg, log: cfg.Logger, frame: time.Second / 60}
	if cfg.TrimAfter > 0 {
		u.trimmer = memtrim.NewTrimmer(cfg.TrimAfter, u.trim)
	}
	u.win = a.NewWindow("Directus Chat")
	u.win.SetOnDropped(func(_ fyne.Position, uris []fyne.URI) {
		if u.chat != nil {
			u.chat.dropped(uris)
		}
	})
	u.win.SetIcon(assets.AppIcon)
	u.dialogs = &dialogStack{}
	u.dialogs.attach(u.win)
	// Wide enough for the conversations beside the chat (narrower windows
	// fold the sidebar away); a size the user chose is restored instead.
	u.win.Resize(fyne.NewSize(900, 640))
	u.startDesktop()
	u.showLogin("")
	u.watchDamage()
	u.restore()
	return u
}

// Window is the main window.
func (u *App) Window() fyne.Window { return u.win }

// showLogin replaces the content with the login form, with an optional notice.
func (u *App) showLogin(notice string) {
	if u.chat != nil {
		u.chat.detach()
		u.chat = nil
	}
	if u.login != nil {
		u.login.detach()
	}
	p := u.fyne.Preferences()
	u.login = newLoginView(loginHost{
		win:      u.win,
		dialogs:  u.dialogs,
		log:      u.log,
		dispatch: u.cfg.Dispatch,
		connect:  u.connect,
		signedIn: u.signedIn,
		expired:  u.forget,
		about:    u.showAbout,
	}, loginFill{
		server:      firstOf(u.cfg.Server, p.String(prefServer), u.cfg.LocalServer),
		email:       p.String(prefEmail),
		remember:    p.Bool(prefRemember),
		canRemember: u.cfg.Keyring != nil,
		notice:      notice,
	})
	u.setUnread(0)
	u.refreshTitle()
	u.refreshTray()
	u.win.SetContent(u.login.content)
	u.win.Canvas().Focus(u.login.focusTarget())
}

// showChat replaces the login form with the chat of a session.
func (u *App) showChat(s *realtime.Session, a account, remembered bool) {
	if u.login != nil {
		u.login.detach()
		u.login = nil
	}
	host := chatHost{
		log:            u.log,
		win:            u.win,
		dialogs:        u.dialogs,
		clipboard:      u.fyne.Clipboard(),
		dispatch:       u.cfg.Dispatch,
		logout:         u.logout,
		about:          u.showAbout,
		keepToken:      u.remember,
		signedOut:      u.signedOut,
		watching:       u.watching,
		unread:         func() int { return u.desk.unread },
		addUnread:      u.addUnread,
		clearUnread:    u.clearUnread,
		setCounts:      u.setCounts,
		notifyMessages: u.notifyMessages,
		openURL:        u.fyne.OpenURL,
		pastedDir:      u.cfg.PastedDir,
		busy:           func() {},
	}
	if u.trimmer != nil {
		host.busy = u.trimmer.Touch
	}
	if u.cfg.Cache != nil {
		host.saveCache = u.saveCache
	}
	var link *fileLink
	if l, ok := u.fileLinks.LoadAndDelete(s); ok {
		link = l.(*fileLink)
	}
	u.chat = newChatView(host, s, a, remembered, link)
	u.chat.ch.drafts, u.restoredDrafts = u.restoredDrafts, nil
	u.chat.addShortcuts()
	u.refreshTitle()
	u.refreshTray()
	u.win.SetContent(u.chat.content)
	u.win.Canvas().Focus(u.chat.composer)
	go u.pump(s, u.chat)
}

// pump carries session events onto the UI thread, one batch per frame at
// most: an event after a quiet spell is applied at once; one that follows
// the last batch within a frame waits for the frame's end, with whatever
// else arrives meanwhile (and while a batch is being applied, later events
// pile up in the session's queue and arrive together).
func (u *App) pump(s *realtime.Session, c *chatView) {
	defer close(c.pumped)
	var last time.Time // when the last batch was handed to the UI thread
	for batch := range s.Events() {
		if wait := u.frame - time.Since(last); wait > 0 {
			time.Sleep(wait) // frame pacing, not synchronisation
			batch = append(batch, drainReady(s.Events())...)
		}
		last = time.Now()
		done := make(chan struct{})
		u.cfg.Dispatch(func() {
			defer close(done)
			c.apply(batch)
		})
		<-done
	}
}

// drainReady takes whatever batches are already waiting, without blocking.
func drainReady(ch <-chan []realtime.Event) []realtime.Event {
	var out []realtime.Event
	for {
		select {
		case b, ok := <-ch:
			if !ok {
				return out
			}
			out = append(out, b...)
		default:
			return out
		}
	}
}

// trim runs once scrolling has stopped for Config.TrimAfter (on the
// trimmer's goroutine): the chat drops what it can make again, then the
// heap's free memory goes back to the OS. Rows bound since are kept: the
// chat sheds only on the UI thread, and a quit meanwhile skips it.
func (u *App) trim() {
	done := make(chan struct{})
	u.cfg.Dispatch(func() {
		defer close(done)
		if u.chat != nil {
			u.chat.shed()
		}
	})
	select {
	case <-done:
	case <-time.After(5 * time.Second): // the UI thread is gone or busy
	}
	debug.FreeOSMemory()
}
