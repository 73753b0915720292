// Command directus-chat is a desktop chat client for Directus realtime.
//
//	directus-chat [-server URL]        open the app (the default)
//	directus-chat setup [flags]        provision a Directus for chat (see setup -h)
//	directus-chat version              print the version
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"fyne.io/fyne/v2/app"

	"directuschat/provision"
	"directuschat/ui"
)

// appID identifies the app to the OS (preferences, notifications, keyring).
const appID = "io.github.directuschat.desktop"

// localServer is where `make run` starts the pinned Directus.
const localServer = "http://127.0.0.1:8055"

func main() {
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
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	slog.SetDefault(logger)

	if *server == "" {
		*server = os.Getenv("DIRECTUS_URL")
	}
	if *server == "" && localServerRunning() {
		*server = localServer
	}
	a := app.NewWithID(appID)
	u := ui.New(a, ui.Config{Server: *server, Logger: logger})
	u.Window().ShowAndRun()
	return 0
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

func version() string {
	return "0.1.0"
}

