package cluster

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// dbName is the database the instances share.
const dbName = "directus"

// initPostgres runs initdb once in dir (owned by the user PostgreSQL runs as):
// trust authentication, which is safe only because the server listens on
// 127.0.0.1 alone and has no Unix socket.
func initPostgres(ctx context.Context, bin, dir, logPath string, cred *syscall.Credential) error {
	if _, err := os.Stat(filepath.Join(dir, "PG_VERSION")); err == nil {
		return nil
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	if cred != nil {
		if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
			return fmt.Errorf("hand %s to the postgres user: %w", dir, err)
		}
	}
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer logf.Close()
	cmd := exec.CommandContext(ctx, filepath.Join(bin, "initdb"),
		"-D", dir, "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--no-locale", "--no-sync")
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("initdb %s: %w (log %s)\n%s", dir, err, logPath, tailFile(logPath))
	}
	return nil
}

// postgresArgs: its own port on 127.0.0.1, no Unix socket, and durability
// traded for speed (a development and test cluster: fsync off).
func postgresArgs(dir string, port int) []string {
	return []string{"-D", dir, "-p", strconv.Itoa(port), "-h", "127.0.0.1",
		"-c", "unix_socket_directories=",
		"-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
		"-c", "max_connections=200",
		"-c", "logging_collector=off",
	}
}

// waitPostgres polls pg_isready until the server accepts connections.
func waitPostgres(ctx context.Context, bin string, port int, p *proc) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	for {
		cmd := exec.CommandContext(ctx, filepath.Join(bin, "pg_isready"), "-q", "-h", "127.0.0.1", "-p", strconv.Itoa(port), "-U", "postgres")
		if cmd.Run() == nil {
			return nil
		}
		select {
		case <-p.exitedChan():
			return fmt.Errorf("postgres exited while starting (log %s):\n%s", p.logPath, tailFile(p.logPath))
		case <-ctx.Done():
			return fmt.Errorf("postgres on port %d not ready: %w (log %s):\n%s", port, ctx.Err(), p.logPath, tailFile(p.logPath))
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// createDatabase creates the instances' database once (marker file in
// markerDir).
func createDatabase(ctx context.Context, bin string, port int, markerDir, logPath string) error {
	marker := filepath.Join(markerDir, ".database-created")
	if _, err := os.Stat(marker); err == nil {
		return nil
	}
	out, err := exec.CommandContext(ctx, filepath.Join(bin, "createdb"), "-h", "127.0.0.1", "-p", strconv.Itoa(port), "-U", "postgres", dbName).CombinedOutput()
	if err != nil && !strings.Contains(string(out), "already exists") {
		return fmt.Errorf("createdb %s: %w: %s", dbName, err, strings.TrimSpace(string(out)))
	}
	return os.WriteFile(marker, []byte(time.Now().Format(time.RFC3339)+"\n"), 0o644)
}

// writeRedisConfig writes a configuration for a private, non-persistent
// Redis on 127.0.0.1:port (the bus and synchronization store keep nothing
// that must survive a restart).
func writeRedisConfig(path, dir string, port int) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	conf := fmt.Sprintf(`# written by devserver/cluster
bind 127.0.0.1
port %d
protected-mode yes
daemonize no
supervised no
dir %s
save ""
appendonly no
logfile ""
databases 1
`, port, dir)
	return os.WriteFile(path, []byte(conf), 0o644)
}

// waitRedis sends PING until Redis answers +PONG.
func waitRedis(ctx context.Context, port int, p *proc) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for {
		if redisPing(ctx, port) == nil {
			return nil
		}
		select {
		case <-p.exitedChan():
			return fmt.Errorf("redis exited while starting (log %s):\n%s", p.logPath, tailFile(p.logPath))
		case <-ctx.Done():
			return fmt.Errorf("redis on port %d not ready: %w (log %s):\n%s", port, ctx.Err(), p.logPath, tailFile(p.logPath))
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func redisPing(ctx context.Context, port int) error {
	var d net.Dialer
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	c, err := d.DialContext(ctx, "tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return err
	}
	defer c.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = c.SetDeadline(dl)
	}
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if strings.TrimSpace(line) != "+PONG" {
		return fmt.Errorf("redis answered %q to PING", strings.TrimSpace(line))
	}
	return nil
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

// portFree fails when something listens on 127.0.0.1:port.
func portFree(port int) error {
	l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return fmt.Errorf("port %d on 127.0.0.1 is in use (a cluster already running? see `go run ./cmd/devserver cluster-status`): %w", port, err)
	}
	return l.Close()
}

func removeIfExists(p string) error {
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}
