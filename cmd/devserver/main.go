// Command devserver installs, runs and provisions the project's pinned local
// Directus (see package devserver). Everything lives under .devserver/ in the
// repository.
//
//	go run ./cmd/devserver install   # npm ci of the pinned Directus (+ Node 22), once
//	go run ./cmd/devserver start     # start in the background on 127.0.0.1:8055
//	go run ./cmd/devserver up        # install + start + setup with demo users
//	go run ./cmd/devserver status    # running? URL, pid, log file
//	go run ./cmd/devserver stop      # stop it
//	go run ./cmd/devserver reset     # stop it and delete its data
//
//	go run ./cmd/devserver cluster-up    # 2 instances on PostgreSQL + Redis behind HAProxy (127.0.0.1:8060)
//	go run ./cmd/devserver cluster-down  # stop all of it
//
// DIRECTUS_VERSION=12.4.0 (or -version) selects another pinned version.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"directuschat/devserver"
	"directuschat/provision"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

const usage = `Usage: devserver COMMAND [-port N] [-version V]

Commands:
  install   install the pinned Directus (and Node 22 if needed) under .devserver/
  start     start it in the background (default port 8055); says so if it already runs
  up        install + start + setup with demo users
  status    say whether it runs, where, and where its log is
  stop      stop it
  reset     stop it and delete its data (database, uploads)
  cluster-up, cluster-status, cluster-down, cluster-reset, cluster-install
            a cluster: N instances on PostgreSQL + Redis behind HAProxy (cluster-up -h)

DIRECTUS_VERSION selects the version (default %s; available: %s).
`

// state is what `start` leaves in .devserver/run/directus-<port>.json.
type state struct {
	PID        int    `json:"pid"`
	Port       int    `json:"port"`
	URL        string `json:"url"`
	Version    string `json:"version"`
	DataDir    string `json:"data_dir"`
	LogPath    string `json:"log_path"`
	AdminEmail string `json:"admin_email"`
}

// config is what every command needs.
type config struct {
	root    string
	port    int
	version string
	stdout  io.Writer
	stderr  io.Writer
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "-help" || args[0] == "help" {
		fmt.Fprintf(stderr, usage, devserver.DefaultVersion, strings.Join(devserver.Versions(), ", "))
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	command := args[0]
	if strings.HasPrefix(command, "cluster-") {
		return runCluster(args, stdout, stderr)
	}
	fl := flag.NewFlagSet("devserver "+command, flag.ContinueOnError)
	fl.SetOutput(stderr)
	port := fl.Int("port", devserver.DefaultPort, "port on 127.0.0.1")
	version := fl.String("version", devserver.VersionFromEnv(), "Directus version (env "+devserver.VersionEnv+")")
	if err := fl.Parse(args[1:]); err != nil {
		return 2
	}
	root, err := devserver.DefaultRoot()
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	c := config{root: root, port: *port, version: *version, stdout: stdout, stderr: stderr}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	switch command {
	case "install":
		err = c.install(ctx)
	case "start":
		_, err = c.start(ctx)
	case "up":
		err = c.up(ctx)
	case "status":
		if !c.status(ctx) {
			return 3
		}
	case "stop":
		err = c.stop(ctx)
	case "reset":
		err = c.reset(ctx)
	default:
		fmt.Fprintf(stderr, "devserver: unknown command %q\n", command)
		fmt.Fprintf(stderr, usage, devserver.DefaultVersion, strings.Join(devserver.Versions(), ", "))
		return 2
	}
	if err != nil {
		fmt.Fprintf(stderr, "devserver %s: %v\n", command, err)
		return 1
	}
	return 0
}

func (c config) install(ctx context.Context) error {
	start := time.Now()
	if err := devserver.Install(ctx, c.root, c.version, c.stderr); err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "directus %s is installed in %s (%s)\n", c.version, c.root, time.Since(start).Round(time.Second))
	return nil
}

func (c config) statePath() string {
	return filepath.Join(c.root, "run", fmt.Sprintf("directus-%d.json", c.port))
}

// dataDir is the data of the long-lived dev server: one per version, as a
// database migrated by one version cannot be used by an older one.
func (c config) dataDir() string {
	return filepath.Join(c.root, "data", "dev-"+c.version)
}

// running returns the state of the server on c.port if it is alive.
func (c config) running() (state, bool) {
	b, err := os.ReadFile(c.statePath())
	if err != nil {
		return state{}, false
	}
	var st state
	if err := json.Unmarshal(b, &st); err != nil || !devserver.ProcessAlive(st.PID) || !isDirectus(st.PID) {
		return state{}, false
	}
	return st, true
}

// start starts the server in the background unless it already runs.
func (c config) start(ctx context.Context) (state, error) {
	if st, ok := c.running(); ok {
		fmt.Fprintf(c.stdout, "already running: directus %s at %s (pid %d, log %s)\n", st.Version, st.URL, st.PID, st.LogPath)
		if st.Version != c.version {
			return st, fmt.Errorf("directus %s runs on port %d, not %s: stop it first", st.Version, c.port, c.version)
		}
		return st, nil
	}
	srv, err := devserver.Start(ctx, devserver.Options{
		Version:  c.version,
		Root:     c.root,
		Port:     c.port,
		DataDir:  c.dataDir(),
		Log:      c.stderr,
		Detached: true,
	})
	if err != nil {
		return state{}, err
	}
	st := state{PID: srv.PID(), Port: srv.Port, URL: srv.URL, Version: srv.Version,
		DataDir: srv.DataDir, LogPath: srv.LogPath, AdminEmail: srv.AdminEmail}
	if err := writeState(c.statePath(), st); err != nil {
		_ = srv.Stop()
		return state{}, err
	}
	fmt.Fprintf(c.stdout, "directus %s running at %s (pid %d)\nlog: %s\nadmin: %s\n", st.Version, st.URL, st.PID, st.LogPath, st.AdminEmail)
	return st, nil
}

func writeState(path string, st state) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

func (c config) up(ctx context.Context) error {
	if err := c.install(ctx); err != nil {
		return err
	}
	st, err := c.start(ctx)
	if err != nil {
		return err
	}
	rep, err := provision.Run(ctx, provision.Options{
		URL:       st.URL,
		Email:     devserver.DefaultAdminEmail,
		Password:  devserver.DefaultAdminPassword,
		DemoUsers: true,
	})
	if err != nil {
		return err
	}
	// What setup cannot do through Directus's API; the local server's
	// SQLite file is ours.
	if err := devserver.ExecSQLIn(ctx, c.root, c.version, st.DataDir, provision.ConversationIndex); err != nil {
		return err
	}
	rep.Print(c.stdout)
	fmt.Fprintln(c.stdout, "(this local server has that index: devserver made it)")
	fmt.Fprintf(c.stdout, "\nready: sign in at %s as one of", st.URL)
	for _, u := range rep.DemoUsers {
		fmt.Fprintf(c.stdout, " %s", u.Email)
	}
	fmt.Fprintf(c.stdout, " (demo password %q)\n", provision.DemoPassword)
	return nil
}

func (c config) status(ctx context.Context) bool {
	for _, v := range devserver.Versions() {
		if devserver.Installed(c.root, v) {
			fmt.Fprintf(c.stdout, "installed: directus %s\n", v)
		}
	}
	st, ok := c.running()
	if !ok {
		fmt.Fprintf(c.stdout, "not running on port %d\n", c.port)
		return false
	}
	health := "answers /server/ping"
	pctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	if err := devserver.Ping(pctx, http.DefaultClient, st.URL); err != nil {
		health = "does not answer /server/ping: " + err.Error()
	}
	fmt.Fprintf(c.stdout, "running: directus %s at %s (pid %d), %s\nlog: %s\ndata: %s\n", st.Version, st.URL, st.PID, health, st.LogPath, st.DataDir)
	return true
}

func (c config) stop(ctx context.Context) error {
	st, ok := c.running()
	if !ok {
		fmt.Fprintf(c.stdout, "not running on port %d\n", c.port)
		return removeIfExists(c.statePath())
	}
	if err := devserver.StopProcessGroup(ctx, st.PID, 20*time.Second); err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "stopped directus %s at %s (pid %d)\n", st.Version, st.URL, st.PID)
	return removeIfExists(c.statePath())
}

func (c config) reset(ctx context.Context) error {
	if err := c.stop(ctx); err != nil {
		return err
	}
	dir := c.dataDir()
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "deleted %s\n", dir)
	return nil
}

func removeIfExists(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// isDirectus guards against a recycled pid: on Linux it checks the
// process's command line; elsewhere it trusts the state file.
func isDirectus(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		return !errors.Is(err, fs.ErrNotExist) || !dirExists("/proc/self")
	}
	return strings.Contains(string(b), "directus")
}

func dirExists(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}
