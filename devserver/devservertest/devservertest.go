// Package devservertest gives integration tests a real, pinned Directus:
// Start runs a fresh server for one test, Shared runs one provisioned server
// (messages collection, chat role, demo users) for a whole test binary.
//
// Under -short (make unit) every test that uses them is skipped: they are
// the tests that need a Directus. Otherwise, when the pinned Directus is not
// installed, tests are skipped with the command that installs it; under
// CI=true they fail instead, so CI never passes without the server.
package devservertest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"sync"
	"testing"
	"time"

	"directuschat/devserver"
	"directuschat/provision"
)

// startTimeout bounds bootstrapping and starting one server.
const startTimeout = 4 * time.Minute

// Start starts a Directus for this test with o (a free port and a fresh
// data directory unless o says otherwise) and stops it when the test ends.
// Its log file is deleted after a passing test and kept (and named in the
// test output) after a failing one.
func Start(t testing.TB, o devserver.Options) *devserver.Server {
	t.Helper()
	SkipIfShort(t)
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	s, err := devserver.Start(ctx, o)
	if err != nil {
		skipOrFail(t, err)
	}
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Errorf("stop directus: %v", err)
		}
		cleanup(s, !t.Failed(), t.Logf)
	})
	return s
}

// cleanup removes a stopped server's temporary data, and its log unless
// keepLog.
func cleanup(s *devserver.Server, passed bool, logf func(string, ...any)) {
	if s.TempData {
		_ = os.RemoveAll(s.DataDir)
	}
	if passed {
		_ = os.Remove(s.LogPath)
	} else {
		logf("directus log kept: %s", s.LogPath)
	}
}

// Provision runs setup with demo users on s as its administrator.
func Provision(t testing.TB, s *devserver.Server) provision.Report {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	rep, err := provision.Run(ctx, provision.Options{
		URL: s.URL, Email: s.AdminEmail, Password: s.AdminPassword, DemoUsers: true,
	})
	if err != nil {
		t.Fatalf("provision %s: %v", s.URL, err)
	}
	if err := s.ExecSQL(ctx, provision.ConversationIndex); err != nil {
		t.Fatalf("index %s: %v", s.URL, err)
	}
	return rep
}

// Env is a provisioned server shared by the tests of one binary.
type Env struct {
	Server *devserver.Server
	// URL of the server, e.g. http://127.0.0.1:41234.
	URL string
	// AdminEmail and AdminPassword sign in as the administrator, who can
	// also chat.
	AdminEmail, AdminPassword string
	// Users are the demo chat users (see provision.DemoUsers), at least 3.
	Users []provision.DemoUser
	// Report is what setup did on the fresh server.
	Report provision.Report
}

// shared is the one server of a test binary, started on first use.
var shared struct {
	once sync.Once
	env  *Env
	err  error
}

// Shared returns the test binary's provisioned server, starting it on first
// use (about 15 s). Tests share its data: use unique message texts or ids.
// Call Main from TestMain to stop it at the end; without that, on Linux it
// dies with the test binary anyway.
func Shared(t testing.TB) *Env {
	t.Helper()
	SkipIfShort(t)
	shared.once.Do(func() {
		shared.env, shared.err = startShared()
	})
	if shared.err != nil {
		skipOrFail(t, shared.err)
	}
	return shared.env
}

func startShared() (*Env, error) {
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	s, err := devserver.Start(ctx, devserver.Options{})
	if err != nil {
		return nil, err
	}
	rep, err := provision.Run(ctx, provision.Options{
		URL: s.URL, Email: s.AdminEmail, Password: s.AdminPassword, DemoUsers: true,
	})
	if err != nil {
		_ = s.Stop()
		cleanup(s, false, func(f string, a ...any) { fmt.Fprintf(os.Stderr, f+"\n", a...) })
		return nil, fmt.Errorf("provision shared directus: %w", err)
	}
	return &Env{
		Server:        s,
		URL:           s.URL,
		AdminEmail:    s.AdminEmail,
		AdminPassword: s.AdminPassword,
		Users:         rep.DemoUsers,
		Report:        rep,
	}, nil
}

// Main runs the tests and then stops the shared server, if one was started.
// Use it as the package's TestMain:
//
//	func TestMain(m *testing.M) { devservertest.Main(m) }
func Main(m *testing.M) {
	code := m.Run()
	if env := shared.env; env != nil {
		if err := env.Server.Stop(); err != nil {
			fmt.Fprintf(os.Stderr, "devservertest: stop shared directus: %v\n", err)
		}
		cleanup(env.Server, code == 0, func(f string, a ...any) { fmt.Fprintf(os.Stderr, f+"\n", a...) })
	}
	os.Exit(code)
}

// SkipIfShort skips t under -short (make unit): t needs a Directus. Start
// and Shared call it; a test that needs only the installed Directus calls it
// itself.
func SkipIfShort(t testing.TB) {
	t.Helper()
	if testing.Short() {
		t.Skip("needs a Directus: skipped under -short")
	}
}

// skipOrFail skips the test when Directus is not installed, unless CI=true,
// and fails it on every other error.
func skipOrFail(t testing.TB, err error) {
	t.Helper()
	if errors.Is(err, devserver.ErrNotInstalled) && os.Getenv("CI") != "true" {
		t.Skip(err)
	}
	t.Fatal(err)
}

// GeneralChannel returns the id of setup's general channel, read over REST
// with a user's (or the admin's) access token.
func GeneralChannel(t testing.TB, url, token string) string {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url+"/items/channels?filter[name][_eq]=general&fields=id", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("the general channel: %v", err)
	}
	defer resp.Body.Close()
	var out struct {
		Data []struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || len(out.Data) != 1 {
		t.Fatalf("the general channel: %s, %v, %d found", resp.Status, err, len(out.Data))
	}
	return out.Data[0].ID
}
