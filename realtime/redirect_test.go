package realtime_test

// A real Directus cannot be made to answer with a redirect, so these tests
// put the stand-in (internal/fakedirectus) in its place: it answers one
// endpoint with a redirect to a second server, which records everything it
// is sent. The
// second server must never see the password, the refresh token or the
// bearer token.

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"directuschat/internal/fakedirectus"
	"directuschat/realtime"
)

// recorder is the server a redirect points to: it keeps every request.
type recorder struct {
	*httptest.Server
	mu   sync.Mutex
	seen []string // method, path, headers and body of each request
}

func newRecorder(t *testing.T) *recorder {
	r := &recorder{}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		var sb strings.Builder
		sb.WriteString(req.Method + " " + req.URL.String() + "\n")
		_ = req.Header.Write(&sb)
		sb.Write(body)
		r.mu.Lock()
		r.seen = append(r.seen, sb.String())
		r.mu.Unlock()
		// Answer like a Directus would, so that a client that followed
		// the redirect would carry on.
		switch req.URL.Path {
		case "/server/ping":
			_, _ = w.Write([]byte("pong"))
		case "/auth/login", "/auth/refresh":
			_, _ = w.Write([]byte(`{"data":{"access_token":"evil-a","refresh_token":"evil-r","expires":900000}}`))
		default:
			_, _ = w.Write([]byte(`{"data":{"id":"u-ada","first_name":"Ada"}}`))
		}
	}))
	t.Cleanup(r.Close)
	return r
}

// mustNotHaveSeen fails the test if any recorded request contains a secret.
func (r *recorder) mustNotHaveSeen(t *testing.T, secrets ...string) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, req := range r.seen {
		for _, s := range secrets {
			if strings.Contains(req, s) {
				first, _, _ := strings.Cut(req, "\n")
				t.Errorf("the redirect target received a secret (%d bytes) in %s", len(s), first)
			}
		}
	}
}

// redirecting is the stand-in Directus (internal/fakedirectus) whose
// endpoint at path answers with status and a Location on target (same
// path); the rest works.
func redirecting(t *testing.T, path string, status int, target string, tls bool) *fakedirectus.Server {
	srv := fakedirectus.New(fakedirectus.Options{Redirect: fakedirectus.Redirect{Path: path, Status: status, Target: target}, TLS: tls})
	t.Cleanup(srv.Close)
	return srv
}

// wantRedirectError checks err is KindRedirected and its message names the
// target and contains every part of want.
func wantRedirectError(t *testing.T, err error, want ...string) {
	t.Helper()
	if realtime.KindOf(err) != realtime.KindRedirected {
		t.Fatalf("err = %v (kind %v), want KindRedirected", err, realtime.KindOf(err))
	}
	msg := realtime.Describe(err)
	for _, w := range want {
		if !strings.Contains(msg, w) {
			t.Errorf("message %q does not contain %q", msg, w)
		}
	}
	t.Logf("message: %s", msg)
}

func TestSignInRedirectDoesNotSendThePasswordElsewhere(t *testing.T) {
	for _, status := range []int{http.StatusTemporaryRedirect, http.StatusPermanentRedirect, http.StatusFound} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			evil := newRecorder(t)
			srv := redirecting(t, "/auth/login", status, evil.URL, false)
			_, err := realtime.Connect(t.Context(), realtime.Config{Server: srv.URL, Logger: quietLogger()},
				realtime.Credentials{Email: "ada@example.com", Password: "correct horse battery", OTP: "123456"})
			evil.mustNotHaveSeen(t, "correct horse battery", "123456", "ada@example.com")
			host := strings.TrimPrefix(evil.URL, "http://")
			wantRedirectError(t, err, "redirected the sign-in to "+host, "your password", "Use "+evil.URL+" as the server address")
		})
	}
}

func TestRefreshRedirectDoesNotSendTheRefreshTokenElsewhere(t *testing.T) {
	evil := newRecorder(t)
	srv := redirecting(t, "/auth/refresh", http.StatusPermanentRedirect, evil.URL, false)
	base, err := realtime.ParseServerURL(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	_, err = realtime.NewREST(base, nil).Refresh(t.Context(), "the-refresh-token-secret")
	evil.mustNotHaveSeen(t, "the-refresh-token-secret")
	wantRedirectError(t, err, "session renewal", "session token")
}

func TestRedirectDoesNotCarryTheBearerToken(t *testing.T) {
	evil := newRecorder(t)
	// Both servers are on 127.0.0.1, where Go's client would keep the
	// Authorization header across the redirect (same host, other port).
	srv := redirecting(t, "/users/me", http.StatusFound, evil.URL, false)
	_, err := realtime.Connect(t.Context(), realtime.Config{Server: srv.URL, Logger: quietLogger()},
		realtime.Credentials{Email: "ada@example.com", Password: "pw"})
	evil.mustNotHaveSeen(t, fakedirectus.AccessToken, "Bearer")
	wantRedirectError(t, err, "access token")
}

// A redirect from https to plain http would also skip the warning the app
// shows before sending a password in clear text.
func TestRedirectToPlainHTTPIsRefused(t *testing.T) {
	evil := newRecorder(t)
	srv := redirecting(t, "/auth/login", http.StatusTemporaryRedirect, evil.URL, true)
	_, err := realtime.Connect(t.Context(), realtime.Config{Server: srv.URL, HTTPClient: srv.Client(), Logger: quietLogger()},
		realtime.Credentials{Email: "ada@example.com", Password: "correct horse battery"})
	evil.mustNotHaveSeen(t, "correct horse battery")
	wantRedirectError(t, err, "to "+evil.URL, "not encrypted")
}

// Redirects are refused even when the caller's client would follow them.
func TestRedirectRefusedWithACallerClient(t *testing.T) {
	evil := newRecorder(t)
	srv := redirecting(t, "/auth/login", http.StatusTemporaryRedirect, evil.URL, false)
	follow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return nil }}
	_, err := realtime.Connect(t.Context(), realtime.Config{Server: srv.URL, HTTPClient: follow, Logger: quietLogger()},
		realtime.Credentials{Email: "ada@example.com", Password: "correct horse battery"})
	evil.mustNotHaveSeen(t, "correct horse battery")
	wantRedirectError(t, err)
}

// A server that moved (http to https, another host) says so at the first
// request, with the address to use instead.
func TestProbeRedirectNamesTheNewAddress(t *testing.T) {
	srv := redirecting(t, "/server/ping", http.StatusMovedPermanently, "https://chat.example.org/directus", false)
	_, err := realtime.Connect(t.Context(), realtime.Config{Server: srv.URL, Logger: quietLogger()},
		realtime.Credentials{Email: "ada@example.com", Password: "pw"})
	wantRedirectError(t, err, "to https://chat.example.org", "Use https://chat.example.org/directus as the server address")
}

func TestWebSocketUpgradeRedirectIsExplained(t *testing.T) {
	evil := newRecorder(t)
	srv := redirecting(t, "/websocket", http.StatusFound, evil.URL, false)
	_, err := realtime.Connect(t.Context(), realtime.Config{Server: srv.URL, Logger: quietLogger()},
		realtime.Credentials{Email: "ada@example.com", Password: "pw"})
	evil.mustNotHaveSeen(t, fakedirectus.AccessToken)
	wantRedirectError(t, err, "realtime connection", strings.TrimPrefix(evil.URL, "http://"))
}
