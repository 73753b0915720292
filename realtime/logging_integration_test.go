package realtime_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"directuschat/devserver"
	"directuschat/devserver/devservertest"
	"directuschat/provision"
	"directuschat/realtime"
	"directuschat/timeline"
)

// lockedBuffer is a log destination shared by the session's goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// tokenSpy is an http.RoundTripper that notes every token the server hands
// out in sign-in and refresh answers, so the test knows what to look for.
type tokenSpy struct {
	mu     sync.Mutex
	tokens []string
}

func (s *tokenSpy) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil || !strings.HasPrefix(req.URL.Path, "/auth/") {
		return resp, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if err != nil {
		return resp, nil
	}
	var out struct {
		Data struct {
			Access  string `json:"access_token"`
			Refresh string `json:"refresh_token"`
		} `json:"data"`
	}
	if json.Unmarshal(body, &out) == nil {
		s.mu.Lock()
		for _, tok := range []string{out.Data.Access, out.Data.Refresh} {
			if tok != "" {
				s.tokens = append(s.tokens, tok)
			}
		}
		s.mu.Unlock()
	}
	return resp, nil
}

func (s *tokenSpy) seen() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.tokens...)
}

// rotations counts TokensRotated events (lock held).
func (c *client) rotations() int {
	n := 0
	for _, ev := range c.events {
		if _, ok := ev.(realtime.TokensRotated); ok {
			n++
		}
	}
	return n
}

// TestDebugLogOfAWholeSessionHoldsNoSecret signs in, lets the access token
// be refreshed (a 3 s TTL), survives a server crash and restart, sends, and
// logs out, all with a debug-level log in text and JSON; the log must hold
// neither the password nor any access or refresh token seen during the run.
// The server listens on all addresses and the client uses its IPv6 loopback
// literal, so this also runs the client against a real Directus over IPv6.
func TestDebugLogOfAWholeSessionHoldsNoSecret(t *testing.T) {
	srv := devservertest.Start(t, devserver.Options{Env: map[string]string{"ACCESS_TOKEN_TTL": "3s", "HOST": "::"}})
	devservertest.Provision(t, srv)
	ada := provision.DemoUsers()[0]
	password := "pw-" + uuid.NewString()
	setPassword(t, srv, ada, password)

	var logs lockedBuffer
	opts := &slog.HandlerOptions{Level: slog.LevelDebug}
	logger := slog.New(slog.NewMultiHandler(slog.NewTextHandler(&logs, opts), slog.NewJSONHandler(&logs, opts)))
	spy := &tokenSpy{}
	cfg := fastReconnect("http://[::1]:" + strconv.Itoa(srv.Port))
	cfg.Logger = logger
	cfg.HTTPClient = &http.Client{Transport: spy, Timeout: 15 * time.Second}

	c := connect(t, cfg, ada.Email, password)
	if host := c.s.Server().Host; host != "[::1]:"+strconv.Itoa(srv.Port) {
		t.Fatalf("server host = %q, want the IPv6 literal", host)
	}
	c.waitFor(20*time.Second, "a token refresh", func(c *client) bool { return c.rotations() >= 2 })
	before := unique("before the crash")
	c.send(before)
	c.waitFor(20*time.Second, "delivery", func(c *client) bool { return c.sentAll([]string{before}) })

	if err := srv.Kill(); err != nil {
		t.Fatal(err)
	}
	c.waitFor(20*time.Second, "offline after kill -9", func(c *client) bool {
		s, _ := c.state()
		return s.State != realtime.StateOnline
	})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := srv.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	after := unique("after the restart")
	c.send(after)
	c.waitFor(60*time.Second, "delivery after the restart", func(c *client) bool {
		e, ok := c.entry(after)
		return ok && e.Status == timeline.Sent
	})
	rotatedBeforeLogout := 0
	c.mu.Lock()
	rotatedBeforeLogout = c.rotations()
	c.mu.Unlock()
	c.s.Logout()
	c.waitFor(20*time.Second, "signed out", func(c *client) bool { return c.ended })

	secrets := append([]string{password}, spy.seen()...)
	c.mu.Lock()
	for _, ev := range c.events {
		if r, ok := ev.(realtime.TokensRotated); ok {
			secrets = append(secrets, r.RefreshToken)
		}
	}
	c.mu.Unlock()
	if n := len(spy.seen()); n < 2*rotatedBeforeLogout {
		t.Fatalf("saw %d tokens in %d sign-in and refresh answers: the spy missed some", n, rotatedBeforeLogout)
	}
	out := logs.String()
	for i, s := range secrets {
		if len(s) < 8 {
			t.Fatalf("a secret of %d bytes is too short to look for", len(s))
		}
		if strings.Contains(out, s) {
			t.Errorf("the debug log holds secret #%d of %d (%d bytes; #0 is the password)", i, len(secrets), len(s))
		}
	}
	// The run must have been logged at debug level, or this test proves nothing.
	for _, want := range []string{"level=DEBUG", `"level":"DEBUG"`, "tokens refreshed", "signing in", "connection lost", "[redacted]"} {
		if !strings.Contains(out, want) {
			t.Errorf("the log has no %q: the run was not logged as expected", want)
		}
	}
	t.Logf("checked %d secrets against %d bytes of debug log (%d token rotations)", len(secrets), len(out), rotatedBeforeLogout)
}

// setPassword gives a demo user a password unique to this run.
func setPassword(t *testing.T, srv *devserver.Server, u provision.DemoUser, password string) {
	t.Helper()
	base, _ := realtime.ParseServerURL(srv.URL)
	rest := realtime.NewREST(base, nil)
	tok, err := rest.Login(t.Context(), u.Email, u.Password, "")
	if err != nil {
		t.Fatal(err)
	}
	me, err := rest.Me(t.Context(), tok.Access)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(map[string]string{"password": password})
	adminREST(t, srv, http.MethodPatch, "/users/"+me.ID, string(body))
}
