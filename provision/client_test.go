package provision_test

// A real Directus cannot be made to answer with a redirect: an httptest
// server plays one whose endpoint redirects to a second server, which
// records what it is sent and must never see the admin password or token.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"directuschat/provision"
)

type recorder struct {
	*httptest.Server
	mu   sync.Mutex
	seen []string
}

func newRecorder(t *testing.T) *recorder {
	r := &recorder{}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		var sb strings.Builder
		sb.WriteString(req.Method + " " + req.URL.Path + "\n")
		_ = req.Header.Write(&sb)
		sb.Write(body)
		r.mu.Lock()
		r.seen = append(r.seen, sb.String())
		r.mu.Unlock()
		_, _ = w.Write([]byte(`{"data":{"access_token":"evil","admin_access":true}}`))
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *recorder) mustNotHaveSeen(t *testing.T, secret string) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, req := range r.seen {
		if strings.Contains(req, secret) {
			first, _, _ := strings.Cut(req, "\n")
			t.Errorf("the redirect target received the secret in %s", first)
		}
	}
}

// redirectingDirectus answers /server/ping and redirects path to target.
func redirectingDirectus(t *testing.T, path string, status int, target string) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/server/ping":
			_, _ = w.Write([]byte("pong"))
		case path:
			http.Redirect(w, r, target+r.URL.Path, status)
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestSetupFollowsNoRedirectWithThePassword(t *testing.T) {
	for _, status := range []int{http.StatusTemporaryRedirect, http.StatusPermanentRedirect} {
		evil := newRecorder(t)
		srv := redirectingDirectus(t, "/auth/login", status, evil.URL)
		_, err := provision.Run(t.Context(), provision.Options{URL: srv.URL, Email: "admin@example.com", Password: "admin-secret-pw"})
		evil.mustNotHaveSeen(t, "admin-secret-pw")
		if err == nil || !strings.Contains(err.Error(), "redirected it to "+evil.URL) || !strings.Contains(err.Error(), "-url "+evil.URL) {
			t.Errorf("HTTP %d: err = %v, want one naming %s", status, err, evil.URL)
		}
	}
}

func TestSetupFollowsNoRedirectWithTheToken(t *testing.T) {
	evil := newRecorder(t)
	srv := redirectingDirectus(t, "/policies/me/globals", http.StatusFound, evil.URL)
	_, err := provision.Run(t.Context(), provision.Options{URL: srv.URL, Token: "static-admin-token"})
	evil.mustNotHaveSeen(t, "static-admin-token")
	if err == nil || !strings.Contains(err.Error(), "admin token") {
		t.Errorf("err = %v, want one saying the token would go elsewhere", err)
	}
}

// Options printed, logged or encoded by accident give away no secret.
func TestOptionsNeverShowTheirSecrets(t *testing.T) {
	o := provision.Options{URL: "https://x.example", Email: "admin@example.com", Password: "pw-secret-1", Token: "tok-secret-2"}
	var buf bytes.Buffer
	for _, f := range []string{"%v", "%+v", "%#v", "%s"} {
		fmt.Fprintf(&buf, f+"\n", o)
		fmt.Fprintf(&buf, f+"\n", &o)
	}
	slog.New(slog.NewTextHandler(&buf, nil)).Info("setup", "options", o)
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("setup", "options", o)
	b, err := json.Marshal(o)
	if err != nil {
		t.Fatal(err)
	}
	buf.Write(b)
	out := buf.String()
	for _, secret := range []string{"pw-secret-1", "tok-secret-2"} {
		if strings.Contains(out, secret) {
			t.Errorf("a secret of %d bytes shows in the output", len(secret))
		}
	}
	if !strings.Contains(out, "admin@example.com") || !strings.Contains(out, "[redacted]") {
		t.Error("the output no longer describes the options (email, [redacted])")
	}
}

// When the admin's access token expires mid-run (a short ACCESS_TOKEN_TTL
// on a slow machine), setup signs in again without the expired token:
// Directus refuses a sign-in that carries one. (A real server expires it
// only by timing, so a fake one does it on the first request.)
func TestSetupSignsInAgainWithoutTheExpiredToken(t *testing.T) {
	var mu sync.Mutex
	logins, expired := 0, false
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		tokenExpired := func() {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"errors":[{"message":"Token expired.","extensions":{"code":"TOKEN_EXPIRED"}}]}`))
		}
		switch r.URL.Path {
		case "/server/ping":
			_, _ = w.Write([]byte("pong"))
		case "/auth/login":
			if r.Header.Get("Authorization") != "" {
				tokenExpired()
				return
			}
			logins++
			_, _ = w.Write([]byte(`{"data":{"access_token":"tok-` + fmt.Sprint(logins) + `"}}`))
		case "/policies/me/globals":
			if !expired {
				expired = true
				tokenExpired()
				return
			}
			_, _ = w.Write([]byte(`{"data":{"admin_access":true}}`))
		case "/server/info":
			_, _ = w.Write([]byte(`{"data":{"version":"11.0.0","websocket":false}}`))
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	_, err := provision.Run(ctx, provision.Options{URL: srv.URL, Email: "admin@example.com", Password: "pw"})
	// Getting as far as the realtime check means the second sign-in worked.
	if err == nil || !strings.Contains(err.Error(), "realtime is off") {
		msg := fmt.Sprint(err)
		if len(msg) > 300 {
			msg = msg[:300] + "…"
		}
		t.Fatalf("err = %s, want the run to reach the realtime check", msg)
	}
	mu.Lock()
	defer mu.Unlock()
	if logins != 2 {
		t.Errorf("signed in %d times, want 2", logins)
	}
}
