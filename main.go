// Command directus-chat is a desktop chat client for Directus realtime.
//
//	directus-chat [-server URL]        open the app (the default)
//	directus-chat setup [flags]        provision a Directus for chat (see setup -h)
//	directus-chat version              print the version
package main

import (
	"context"
	_ "embed"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"github.com/BurntSushi/toml"

	"directuschat/assets"
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

func main() {
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(memtune.GCPercent)
	}
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		switch args[0] {
		case "setup":
			return provision.Main(args[1:], stdout, stderr)
		case "version", "-version", "--version":
			fmt.Fprintln(stdout, "Directus Chat", version())
			return 0
		}
	}
	fs := flag.NewFlagSet("directus-chat", flag.ContinueOnError)
	fs.SetOutput(stderr)
	server := fs.String("server", "", "Directus server URL to pre-fill (default: the local dev server when it runs)")
	debug := fs.Bool("debug", false, "log debug details")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	level := slog.LevelInfo
	if *debug {
		level = slog.LevelDebug
	}
	logOut := stderr
	if f, path, err := openLogFile(); err == nil {
		defer f.Close()
		logOut = io.MultiWriter(stderr, f)
		defer fmt.Fprintln(stderr, "log:", path)
	}
	logger := slog.New(slog.NewTextHandler(logOut, &slog.HandlerOptions{Level: level}))
	slog.SetDefault(logger)

	if *server == "" {
		*server = os.Getenv("DIRECTUS_URL")
	}
	cfg := ui.Config{Server: *server, Logger: logger, Keyring: remember.New()}
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
	notifier := fynenotify.New(a)
	defer notifier.Close()
	cfg.Notifier = notifier
	u := ui.New(a, cfg)
	u.Window().ShowAndRun()
	return 0
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
