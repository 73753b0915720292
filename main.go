// Command directus-chat is a desktop chat client for Directus realtime.
//
//	directus-chat [-server URL]        open the app (the default)
//	directus-chat setup [flags]        provision a Directus for chat (see setup -h)
//	directus-chat version              print the version
//	directus-chat help                 print the commands and flags
//
// One copy runs per user: a second start asks the running one to show its
// window, and exits.
package main

import (
	"context"
	_ "embed"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"github.com/BurntSushi/toml"

	"directuschat/assets"
	"directuschat/internal/instance"
	_ "directuschat/internal/localeenv" // its init gives Fyne a locale it can parse before Fyne reads it
	"directuschat/internal/logtee"
	"directuschat/internal/memtrim"
	"directuschat/internal/memtune" // its init sets Fyne's cache lifetime before Fyne reads it
	"directuschat/notify/fynenotify"
	"directuschat/provision"
	"directuschat/realtime"
	"directuschat/remember"
	"directuschat/store"
	"directuschat/ui"
)

// appID identifies the app to the OS (preferences, notifications, keyring).
// It must equal [Details] ID in FyneApp.toml (a test checks).
const appID = "io.github.directuschat.desktop"

// localServer is where `make run` starts the pinned Directus.
const localServer = "http://127.0.0.1:8055"

// askTimeout is how long a second start waits for the running one to show
// its window (its UI thread may be busy for a moment).
const askTimeout = 15 * time.Second

func main() {
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(memtune.GCPercent)
	}
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("directus-chat", flag.ContinueOnError)
	fs.SetOutput(stderr)
	server := fs.String("server", "", "Directus server `URL` to pre-fill (default: the local dev server when it runs)")
	debug := fs.Bool("debug", false, "log debug details")
	fs.Usage = func() { usage(fs) }
	if len(args) > 0 {
		switch args[0] {
		case "setup":
			return provision.Main(args[1:], stdout, stderr)
		case "version", "-version", "--version":
			fmt.Fprintln(stdout, "Directus Chat", version())
			return 0
		case "help":
			fs.SetOutput(stdout)
			fs.Usage()
			return 0
		}
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "directus-chat: unknown command %q\n\n", fs.Arg(0))
		fs.Usage()
		return 2
	}
	level := slog.LevelInfo
	if *debug {
		level = slog.LevelDebug
	}

	// Before the log file, which a second start would otherwise start afresh.
	place, err := instance.DefaultPlace()
	var inst *instance.Primary
	if err == nil {
		inst, err = instance.Acquire(place)
	}
	if errors.Is(err, instance.ErrRunning) {
		return bringForward(place, askTimeout, stdout, stderr)
	}
	lockErr := err
	if inst != nil {
		defer inst.Close()
	}

	logOut, closeLog := openLog(stderr)
	defer closeLog()
	logger := slog.New(slog.NewTextHandler(logOut, &slog.HandlerOptions{Level: level}))
	slog.SetDefault(logger)
	if lockErr != nil {
		logger.Warn("no single-instance lock: a second start will run beside this one", "err", lockErr)
	}

	if *server == "" {
		*server = os.Getenv("DIRECTUS_URL")
	}
	cfg := ui.Config{Server: *server, Logger: logger, Keyring: remember.New(), TrimAfter: memtrim.TrimAfter}
	if localServerRunning() {
		cfg.LocalServer = localServer
	}
	if db := openStore(logger, store.DefaultPath, "unsent messages will not survive quitting"); db != nil {
		defer db.Close()
		cfg.Session.Outbox = func(server *url.URL, user realtime.User) (realtime.OutboxStore, error) {
			return db.Outbox(server.String(), user.ID), nil
		}
		cfg.Damage = append(cfg.Damage, db)
	}
	if dir, err := os.UserCacheDir(); err == nil {
		// Beside the history caches, not among them (that directory's
		// files are checked as caches of accounts).
		cfg.FilesCacheDir = filepath.Join(dir, "directus-chat-thumbnails")
		cfg.PastedDir = filepath.Join(dir, "directus-chat-pasted")
	}
	if dir, err := store.DefaultCacheDir(); err != nil {
		logger.Warn("history cache unavailable: no instant start from cached messages", "err", err)
	} else if caches, err := store.OpenCacheDir(dir, logger); err != nil {
		logger.Warn("history cache unavailable: no instant start from cached messages", "err", err)
	} else {
		cfg.Cache = func(server, email string) ui.HistoryCache { return caches.Cache(server, email) }
		cfg.Damage = append(cfg.Damage, caches)
	}
	a := app.NewWithID(appID)
	a.SetIcon(assets.AppIcon)
	// Beside Fyne's preferences, written before quitting (ui.Config.WindowFile).
	cfg.WindowFile = filepath.Join(a.Storage().RootURI().Path(), "window.json")
	notifier := fynenotify.New(a)
	defer notifier.Close()
	cfg.Notifier = notifier
	// A logout, a shutdown or Ctrl+C in a terminal ends the app as Quit
	// does (window place, history cache, session closed), without the
	// question about unsent messages; a second signal ends it at once.
	// Fyne's driver catches the same signals as its loop starts and quits
	// at once: queued beside it, the app's quit ran only when it came first
	// (and the window place was lost, seen in CI). So once the app runs,
	// every handler of the two is dropped and only the app's is left.
	signals := make(chan os.Signal, 1)
	cfg.OnStarted = func() {
		signal.Reset(os.Interrupt, syscall.SIGTERM)
		signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	}
	u := ui.New(a, cfg)
	if inst != nil {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		go func() {
			err := inst.Serve(ctx, func() {
				logger.Info("another start of the app asked for the window")
				fyne.DoAndWait(u.BringForward)
			})
			if err != nil {
				logger.Warn("a second start cannot reach this one: it will say so and exit", "err", err)
			}
		}()
		logger.Debug("single instance: serving show requests", "lock", place.Lock, "socket", place.Socket)
	}
	go func() {
		sig := <-signals
		signal.Stop(signals)
		logger.Info("asked to end: saving and quitting", "signal", sig.String())
		fyne.Do(u.Terminate)
	}()
	u.Window().ShowAndRun()
	return 0
}

// usage prints the commands and flags.
func usage(fs *flag.FlagSet) {
	fmt.Fprint(fs.Output(), `Directus Chat, a desktop chat client for Directus realtime.

Usage:
  directus-chat [flags]          open the app (a second start shows the running one's window)
  directus-chat setup [flags]    provision a Directus server for chat (directus-chat setup -h)
  directus-chat version          print the version
  directus-chat help             print this help

Flags:
`)
	fs.PrintDefaults()
}

// bringForward asks the running copy of the app to show its window, and
// says whether it did within timeout.
func bringForward(place instance.Place, timeout time.Duration, stdout, stderr io.Writer) int {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := instance.AskToShow(ctx, place); err != nil {
		fmt.Fprintf(stderr, "Directus Chat is already running for this user, but its window could not be brought forward: %v\n"+
			"Quit it from its tray menu, or end it in the task manager, then start Directus Chat again.\n", err)
		return 1
	}
	fmt.Fprintln(stdout, "Directus Chat is already running: its window was brought forward.")
	return 0
}

// openLog returns where the log goes: stderr and the log file, going on
// with the file when stderr fails (a Windows GUI app has none), and a
// function that closes the file and names it on stderr.
func openLog(stderr io.Writer) (io.Writer, func()) {
	f, path, err := openLogFile()
	if err != nil {
		return stderr, func() {}
	}
	out := logtee.New(logtee.Output{Name: "stderr", W: stderr}, logtee.Output{Name: path, W: f})
	return out, func() {
		fmt.Fprintln(stderr, "log:", path)
		f.Close()
	}
}

// openLogFile opens the app's log in the user's cache directory, started
// afresh at each launch (the previous one is kept as .1). Logs never hold
// passwords or tokens.
func openLogFile() (*os.File, string, error) {
	dir, err := os.UserCacheDir()
	if err != nil {
		return nil, "", err
	}
	dir = filepath.Join(dir, "directus-chat")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, "", err
	}
	path := filepath.Join(dir, "directus-chat.log")
	_ = os.Rename(path, path+".1")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	return f, path, err
}

// openStore opens the local bbolt file of the outbox.
// Without it the app still works, with the loss named by without.
func openStore(log *slog.Logger, path func() (string, error), without string) *store.DB {
	p, err := path()
	if err == nil {
		var db *store.DB
		if db, err = store.Open(p, log); err == nil {
			return db
		}
	}
	log.Warn("local store unavailable: "+without, "err", err)
	return nil
}

// localServerRunning reports whether the dev server answers on its default port.
func localServerRunning() bool {
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, localServer+"/server/ping", nil)
	if err != nil {
		return false
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	b := make([]byte, 16)
	n, _ := resp.Body.Read(b)
	return resp.StatusCode == http.StatusOK && strings.Contains(string(b[:n]), "pong")
}

// fyneAppTOML is the app's metadata file, the one place for its name,
// version and build number. `fyne package` reads it too.
//
//go:embed FyneApp.toml
var fyneAppTOML string

// appInfo is what the app uses from FyneApp.toml.
type appInfo struct {
	Details struct {
		Name, ID, Version string
		Build             int
	}
	Migrations map[string]bool
}

func parseAppInfo(text string) (appInfo, error) {
	var info appInfo
	if _, err := toml.Decode(text, &info); err != nil {
		return info, fmt.Errorf("FyneApp.toml: %w", err)
	}
	if info.Details.Version == "" {
		return info, fmt.Errorf("FyneApp.toml: [Details] Version is missing")
	}
	if info.Details.Build < 1 {
		info.Details.Build = 1 // what `fyne package` assumes
	}
	return info, nil
}

// metadata is FyneApp.toml as embedded in the binary.
var metadata = func() appInfo {
	info, err := parseAppInfo(fyneAppTOML)
	if err != nil {
		panic(err) // caught by the tests: the file is compiled in
	}
	return info
}()

// Package-level variables are set before any init function runs, so this
// gives a plain `go build` or `go run` binary the same metadata (what
// a.Metadata() returns: the About dialog, the tray title) that `fyne package`
// compiles in; `fyne package` adds an init function that sets it again from
// the same file (and marks release builds).
var _ = func() bool {
	app.SetMetadata(fyne.AppMetadata{
		ID:         metadata.Details.ID,
		Name:       metadata.Details.Name,
		Version:    metadata.Details.Version,
		Build:      metadata.Details.Build,
		Icon:       assets.AppIcon,
		Migrations: metadata.Migrations,
	})
	return true
}()

// version is the app's version and build number, from FyneApp.toml.
func version() string {
	return fmt.Sprintf("%s (build %d)", metadata.Details.Version, metadata.Details.Build)
}
