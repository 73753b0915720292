package devserver

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Default administrator of a dev server. The server listens on 127.0.0.1
// only; these are for local development, shown in the README.
const (
	DefaultAdminEmail    = "admin@example.com"
	DefaultAdminPassword = "chat-admin"
)

// DefaultPort is the port of the dev server started by cmd/devserver.
const DefaultPort = 8055

// readyTimeout bounds how long Start waits for /server/ping after launching.
const readyTimeout = 3 * time.Minute

// stopTimeout is how long Stop waits after SIGTERM before it sends SIGKILL.
const stopTimeout = 20 * time.Second

// Options configure Start.
type Options struct {
	// Version is the Directus version; "" means VersionFromEnv().
	Version string
	// Root is the repository's .devserver folder; "" means DefaultRoot().
	Root string
	// Port on 127.0.0.1; 0 picks a free one.
	Port int
	// Env adds or overrides Directus environment variables,
	// e.g. ACCESS_TOKEN_TTL=5s or WEBSOCKETS_ENABLED=false.
	Env map[string]string
	// DataDir holds the SQLite database, uploads and the server secret;
	// "" means a fresh temporary directory under Root/data.
	DataDir string
	// Log receives devserver's own progress lines (never the server's
	// output, which goes to Server.LogPath). nil discards them.
	Log io.Writer
	// AdminEmail and AdminPassword of the administrator created on first
	// start; "" means DefaultAdminEmail and DefaultAdminPassword.
	AdminEmail, AdminPassword string
	// Detached keeps the server running after the starting process exits
	// (cmd/devserver start). Otherwise, on Linux, the server is killed
	// when the process that started it dies, so tests leave nothing behind.
	Detached bool
}

// Server is a running (or stopped) Directus started by Start.
type Server struct {
	URL           string // e.g. http://127.0.0.1:8055, no trailing slash
	Version       string
	AdminEmail    string
	AdminPassword string
	LogPath       string // the server's stdout and stderr
	DataDir       string
	Port          int
	// TempData is true when DataDir was created by Start for this server.
	TempData bool

	node   nodeRuntime
	dir    string   // install directory
	env    []string // environment of the node process
	log    io.Writer
	detach bool // see Options.Detached

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{} // closed when cmd has been waited for
}

// Start bootstraps Directus in the data directory if that is new, starts
// it, and returns once GET /server/ping answers "pong". It fails when the
// version is not installed (ErrNotInstalled), when the port is taken, or when
// Directus exits or does not answer in time; the error then includes the end
// of the server log.
func Start(ctx context.Context, o Options) (*Server, error) {
	s, err := prepare(o)
	if err != nil {
		return nil, fmt.Errorf("devserver: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	err = checkPortFree(s.Port) // before a bootstrap that takes seconds
	if err == nil {
		err = s.bootstrap(ctx)
	}
	if err == nil {
		err = s.launchLocked(ctx)
	}
	if err != nil {
		if s.TempData {
			_ = os.RemoveAll(s.DataDir)
		}
		return nil, fmt.Errorf("devserver: %w", err)
	}
	return s, nil
}

// prepare resolves options, checks the install and the port and builds the
// server's environment.
func prepare(o Options) (*Server, error) {
	if o.Version == "" {
		o.Version = VersionFromEnv()
	}
	if o.Root == "" {
		root, err := DefaultRoot()
		if err != nil {
			return nil, err
		}
		o.Root = root
	}
	if o.AdminEmail == "" {
		o.AdminEmail = DefaultAdminEmail
	}
	if o.AdminPassword == "" {
		o.AdminPassword = DefaultAdminPassword
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	if err := checkVersion(o.Version); err != nil {
		return nil, err
	}
	s := &Server{
		Version:       o.Version,
		AdminEmail:    o.AdminEmail,
		AdminPassword: o.AdminPassword,
		dir:           installDir(o.Root, o.Version),
		log:           o.Log,
		detach:        o.Detached,
	}
	have, err := readMarker(s.dir)
	if err != nil {
		return nil, fmt.Errorf("%w: directus %s in %s; install it with: %s",
			ErrNotInstalled, o.Version, s.dir, installCommand(o.Version))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	node, err := findNode(ctx, o.Root)
	if err != nil || node.Version != have.Node {
		return nil, fmt.Errorf("%w: directus %s in %s was installed for node %s, which is not found now; reinstall it with: %s",
			ErrNotInstalled, o.Version, s.dir, have.Node, installCommand(o.Version))
	}
	s.node = node

	if o.DataDir == "" {
		base := filepath.Join(o.Root, "data")
		if err := os.MkdirAll(base, 0o755); err != nil {
			return nil, err
		}
		dir, err := os.MkdirTemp(base, "tmp-")
		if err != nil {
			return nil, err
		}
		o.DataDir = dir
		s.TempData = true
	}
	dataDir, err := filepath.Abs(o.DataDir)
	if err != nil {
		return nil, err
	}
	s.DataDir = dataDir
	for _, d := range []string{s.DataDir, filepath.Join(s.DataDir, "uploads"), filepath.Join(s.DataDir, "extensions")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, err
		}
	}
	secret, err := loadSecret(s.DataDir)
	if err != nil {
		return nil, err
	}

	if o.Port == 0 {
		p, err := freePort()
		if err != nil {
			return nil, err
		}
		o.Port = p
	}
	s.Port = o.Port
	s.URL = "http://127.0.0.1:" + strconv.Itoa(o.Port)
	logs := filepath.Join(o.Root, "logs")
	if err := os.MkdirAll(logs, 0o755); err != nil {
		return nil, err
	}
	s.LogPath = filepath.Join(logs, fmt.Sprintf("directus-%d.log", o.Port))

	vars := map[string]string{
		"HOST":                   "127.0.0.1",
		"PORT":                   strconv.Itoa(o.Port),
		"PUBLIC_URL":             s.URL,
		"DB_CLIENT":              "sqlite3",
		"DB_FILENAME":            filepath.Join(s.DataDir, "database.sqlite"),
		"SECRET":                 secret,
		"ADMIN_EMAIL":            o.AdminEmail,
		"ADMIN_PASSWORD":         o.AdminPassword,
		"WEBSOCKETS_ENABLED":     "true",
		"TELEMETRY":              "false",
		"STORAGE_LOCATIONS":      "local",
		"STORAGE_LOCAL_DRIVER":   "local",
		"STORAGE_LOCAL_ROOT":     filepath.Join(s.DataDir, "uploads"),
		"EXTENSIONS_PATH":        filepath.Join(s.DataDir, "extensions"),
		"EXTENSIONS_AUTO_RELOAD": "false",
		// Directus answers 503 to every request when its event loop lags
		// (the pressure limiter): on a loaded 2-core test machine that made
		// setup fail at random. A local dev server does not need it.
		"PRESSURE_LIMITER_ENABLED": "false",
		// An upload limit, and resumable uploads on so that the TUS
		// endpoint announces it (Tus-Max-Size): Directus says it nowhere
		// else, and the app refuses a file over it before sending it.
		"FILES_MAX_UPLOAD_SIZE": fmt.Sprintf("%dmb", MaxUploadBytes>>20),
		"TUS_ENABLED":           "true",
	}
	for k, v := range o.Env {
		vars[k] = v
	}
	s.env = serverEnv(vars, filepath.Dir(node.Bin))
	return s, nil
}

// MaxUploadBytes is the dev server's upload limit (FILES_MAX_UPLOAD_SIZE).
const MaxUploadBytes = 100 << 20

// serverEnv is a small, deterministic environment for the node process: a
// few process variables from ours (never Directus settings that happen to be
// set in the caller's shell) plus vars.
func serverEnv(vars map[string]string, nodeDir string) []string {
	var env []string
	for _, k := range []string{"PATH", "HOME", "TMPDIR", "LANG", "TZ", "SYSTEMROOT"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	env = withPath(env, nodeDir)
	keys := make([]string, 0, len(vars))
	for k := range vars {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		env = append(env, k+"="+vars[k])
	}
	return env
}

// loadSecret returns the data directory's SECRET, creating it once, so
// tokens stay valid across restarts of the same data.
func loadSecret(dataDir string) (string, error) {
	p := filepath.Join(dataDir, "secret")
	b, err := os.ReadFile(p)
	if err == nil && len(bytes.TrimSpace(b)) > 0 {
		return string(bytes.TrimSpace(b)), nil
	}
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", err
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", err
	}
	secret := hex.EncodeToString(raw)
	if err := os.WriteFile(p, []byte(secret+"\n"), 0o600); err != nil {
		return "", err
	}
	return secret, nil
}

// bootstrap runs `directus bootstrap` once per data directory: it creates the
// tables and the administrator.
func (s *Server) bootstrap(ctx context.Context) error {
	done := filepath.Join(s.DataDir, ".bootstrapped")
	if _, err := os.Stat(done); err == nil {
		return nil
	}
	logf, err := openLog(s.LogPath)
	if err != nil {
		return err
	}
	defer logf.Close()
	fmt.Fprintf(logf, "=== devserver: directus %s bootstrap in %s at %s\n", s.Version, s.DataDir, time.Now().Format(time.RFC3339))
	fmt.Fprintf(s.log, "bootstrapping directus %s in %s\n", s.Version, s.DataDir)
	cmd := exec.CommandContext(ctx, s.node.Bin, s.cli(), "bootstrap")
	cmd.Dir = s.DataDir
	cmd.Env = s.env
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("directus bootstrap: %w (log: %s)\n%s", err, s.LogPath, tail(s.LogPath))
	}
	return os.WriteFile(done, []byte(time.Now().Format(time.RFC3339)+"\n"), 0o644)
}

func (s *Server) cli() string {
	return filepath.Join(s.dir, "node_modules", "directus", "cli.js")
}

// launchLocked starts `directus start` and waits until it answers.
func (s *Server) launchLocked(ctx context.Context) error {
	if err := checkPortFree(s.Port); err != nil {
		return err
	}
	logf, err := openLog(s.LogPath)
	if err != nil {
		return err
	}
	defer logf.Close() // the child has its own copy
	fmt.Fprintf(logf, "=== devserver: directus %s start on %s at %s\n", s.Version, s.URL, time.Now().Format(time.RFC3339))
	cmd := exec.Command(s.node.Bin, s.cli(), "start")
	cmd.Dir = s.DataDir
	cmd.Env = s.env
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = sysProcAttr(s.detach)
	// Linux delivers the parent-death signal when the OS thread that forked
	// the child exits, not the process, and Go ends threads whose goroutine
	// locked them (as GUI code does). Fork from a goroutine locked to its
	// thread until the server exits, so the thread lives as long as needed.
	started := make(chan error, 1)
	exited := make(chan struct{})
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		_ = cmd.Wait()
		close(exited)
	}()
	if err := <-started; err != nil {
		return fmt.Errorf("start directus: %w", err)
	}
	s.cmd, s.exited = cmd, exited
	fmt.Fprintf(s.log, "directus %s starting on %s (pid %d, log %s)\n", s.Version, s.URL, cmd.Process.Pid, s.LogPath)
	if err := s.waitReady(ctx, exited); err != nil {
		_ = signalGroup(cmd.Process.Pid, syscall.SIGKILL)
		<-exited
		return err
	}
	return nil
}

// waitReady polls /server/ping until it answers pong, the process exits, or
// time runs out.
func (s *Server) waitReady(ctx context.Context, exited <-chan struct{}) error {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	client := &http.Client{Timeout: 2 * time.Second}
	ticker := time.NewTicker(200 * time.Millisecond)
	defer ticker.Stop()
	for {
		if Ping(ctx, client, s.URL) == nil {
			return nil
		}
		select {
		case <-exited:
			return fmt.Errorf("directus exited while starting (log: %s):\n%s", s.LogPath, tail(s.LogPath))
		case <-ctx.Done():
			return fmt.Errorf("directus did not answer %s/server/ping: %w (log: %s):\n%s", s.URL, ctx.Err(), s.LogPath, tail(s.LogPath))
		case <-ticker.C:
		}
	}
}

// Ping checks that url answers GET /server/ping with "pong".
func Ping(ctx context.Context, client *http.Client, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(url, "/")+"/server/ping", nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64))
	if resp.StatusCode != http.StatusOK || strings.TrimSpace(string(body)) != "pong" {
		return fmt.Errorf("GET /server/ping: %s", resp.Status)
	}
	return nil
}

// PID returns the process id of the running server, 0 if it is not running.
func (s *Server) PID() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil || isClosed(s.exited) {
		return 0
	}
	return s.cmd.Process.Pid
}

// Stop sends SIGTERM to the server's process group and waits for it to exit,
// sending SIGKILL if it has not after 20 s. Stopping a stopped server is a
// no-op.
func (s *Server) Stop() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stopLocked(syscall.SIGTERM)
}

// Kill sends SIGKILL to the server's process group (like kill -9: no
// graceful shutdown) and waits until it is gone.
func (s *Server) Kill() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stopLocked(syscall.SIGKILL)
}

// Restart stops the server if it runs and starts it again on the same port
// with the same data.
func (s *Server) Restart(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.stopLocked(syscall.SIGTERM); err != nil {
		return err
	}
	if err := s.launchLocked(ctx); err != nil {
		return fmt.Errorf("devserver: restart: %w", err)
	}
	return nil
}

func (s *Server) stopLocked(sig syscall.Signal) error {
	if s.cmd == nil || isClosed(s.exited) {
		return nil
	}
	pid := s.cmd.Process.Pid
	if err := signalGroup(pid, sig); err != nil {
		return fmt.Errorf("devserver: stop pid %d: %w", pid, err)
	}
	select {
	case <-s.exited:
		return nil
	case <-time.After(stopTimeout):
	}
	if err := signalGroup(pid, syscall.SIGKILL); err != nil {
		return fmt.Errorf("devserver: kill pid %d: %w", pid, err)
	}
	<-s.exited
	return nil
}

func isClosed(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

func openLog(p string) (*os.File, error) {
	return os.OpenFile(p, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
}

// tail returns the last lines of a log file, for error messages.
func tail(p string) string {
	b, err := os.ReadFile(p)
	if err != nil {
		return ""
	}
	const max = 3000
	if len(b) > max {
		b = b[len(b)-max:]
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			b = b[i+1:]
		}
	}
	return string(b)
}

// checkPortFree fails when something listens on 127.0.0.1:port.
func checkPortFree(port int) error {
	l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return fmt.Errorf("port %d on 127.0.0.1 is already in use (another Directus? see `go run ./cmd/devserver status`): %w", port, err)
	}
	return l.Close()
}

// freePort asks the kernel for a free port on 127.0.0.1.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("pick a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
