package devserver_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"directuschat/devserver"
	"directuschat/devserver/devservertest"
)

func ping(t *testing.T, url string) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return devserver.Ping(ctx, &http.Client{Timeout: 5 * time.Second}, url)
}

func TestNotInstalled(t *testing.T) {
	_, err := devserver.Start(context.Background(), devserver.Options{Root: t.TempDir(), Version: devserver.DefaultVersion})
	if !errors.Is(err, devserver.ErrNotInstalled) {
		t.Fatalf("got %v, want ErrNotInstalled", err)
	}
	if !strings.Contains(err.Error(), "go run ./cmd/devserver install") {
		t.Fatalf("error does not say how to install: %v", err)
	}
	_, err = devserver.Start(context.Background(), devserver.Options{Root: t.TempDir(), Version: "12.4.0"})
	if !strings.Contains(err.Error(), "DIRECTUS_VERSION=12.4.0 go run ./cmd/devserver install") {
		t.Fatalf("error does not say how to install 12.4.0: %v", err)
	}
	_, err = devserver.Start(context.Background(), devserver.Options{Root: t.TempDir(), Version: "9.9.9"})
	if err == nil || !strings.Contains(err.Error(), "unknown Directus version") {
		t.Fatalf("got %v for an unknown version", err)
	}
}

func TestInstallAgainIsQuick(t *testing.T) {
	devservertest.SkipIfShort(t)
	root, err := devserver.DefaultRoot()
	if err != nil {
		t.Fatal(err)
	}
	version := devserver.VersionFromEnv()
	if !devserver.Installed(root, version) {
		if os.Getenv("CI") == "true" {
			t.Fatalf("directus %s is not installed in %s", version, root)
		}
		t.Skipf("directus %s is not installed in %s", version, root)
	}
	var log strings.Builder
	start := time.Now()
	if err := devserver.Install(context.Background(), root, version, &log); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 30*time.Second {
		t.Errorf("second install took %s", d)
	}
	if !strings.Contains(log.String(), "already installed") {
		t.Errorf("second install did not reuse the install:\n%s", log.String())
	}
}

func TestStartKillRestartStop(t *testing.T) {
	s := devservertest.Start(t, devserver.Options{})
	if err := ping(t, s.URL); err != nil {
		t.Fatal(err)
	}
	if s.URL != "http://127.0.0.1:"+strconv.Itoa(s.Port) || s.PID() == 0 {
		t.Fatalf("URL %s, port %d, pid %d", s.URL, s.Port, s.PID())
	}
	if _, err := os.Stat(filepath.Join(s.DataDir, "database.sqlite")); err != nil {
		t.Fatalf("no database in the data dir: %v", err)
	}

	// The port is taken: a second server there must say so.
	_, err := devserver.Start(context.Background(), devserver.Options{Port: s.Port, DataDir: t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), "already in use") {
		t.Fatalf("second server on port %d: got %v, want already in use", s.Port, err)
	}

	// kill -9, then start again on the same port and data.
	if err := s.Kill(); err != nil {
		t.Fatal(err)
	}
	if s.PID() != 0 {
		t.Fatal("pid after kill")
	}
	if err := ping(t, s.URL); err == nil {
		t.Fatal("answers ping after kill")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := s.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	if err := ping(t, s.URL); err != nil {
		t.Fatalf("after restart: %v", err)
	}
	// The administrator created at bootstrap still signs in.
	body := `{"email":"` + s.AdminEmail + `","password":"` + s.AdminPassword + `"}`
	resp, err := http.Post(s.URL+"/auth/login", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("admin login after restart: %s", resp.Status)
	}

	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := s.Stop(); err != nil {
		t.Fatalf("second stop: %v", err)
	}
	if err := ping(t, s.URL); err == nil {
		t.Fatal("answers ping after stop")
	}
	l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(s.Port))
	if err != nil {
		t.Fatalf("port still taken after stop: %v", err)
	}
	l.Close()
	log, err := os.ReadFile(s.LogPath)
	if err != nil || !strings.Contains(string(log), "=== devserver: directus") {
		t.Fatalf("log %s: %v", s.LogPath, err)
	}
	if strings.Contains(string(log), s.AdminPassword) {
		t.Fatal("the log shows the admin password")
	}
}
