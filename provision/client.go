package provision

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"directuschat/realtime"
)

// APIError is an error answer of the Directus REST API.
type APIError struct {
	Method, Path string
	Status       int
	Code         string // extensions.code, e.g. INVALID_CREDENTIALS
	Message      string
}

func (e *APIError) Error() string {
	msg := e.Message
	if e.Code != "" {
		msg = e.Code + ": " + msg
	}
	return fmt.Sprintf("%s %s: %d %s", e.Method, e.Path, e.Status, msg)
}

// isCode reports whether err is an APIError with this code.
func isCode(err error, code string) bool {
	var e *APIError
	return errors.As(err, &e) && e.Code == code
}

// client is a minimal Directus REST client authenticated with a bearer token.
// It never puts the token or request bodies into errors.
type client struct {
	base  string // no trailing slash
	token string
	http  *http.Client
	// relogin gets a fresh token when the current one expires mid-run
	// (servers with a short ACCESS_TOKEN_TTL); nil for static tokens.
	relogin func(ctx context.Context) error
}

// do sends a JSON request and decodes the "data" member of the answer into
// out (if out is not nil). An expired session token is renewed once.
func (c *client) do(ctx context.Context, method, path string, body, out any) error {
	err := c.once(ctx, method, path, body, out)
	if isCode(err, "TOKEN_EXPIRED") && c.relogin != nil && !isLogin(path) {
		if lerr := c.relogin(ctx); lerr != nil {
			return fmt.Errorf("%w (and signing in again failed: %v)", err, lerr)
		}
		err = c.once(ctx, method, path, body, out)
	}
	return err
}

func (c *client) once(ctx context.Context, method, path string, body, out any) error {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("%s %s: encode: %w", method, path, err)
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, r)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" && !isLogin(path) {
		// Directus refuses a sign-in that carries an expired token.
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.noRedirects().Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 && resp.StatusCode < 400 && resp.StatusCode != http.StatusNotModified {
		return redirectError(c.base, method, path, resp)
	}
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return fmt.Errorf("%s %s: read answer: %w", method, path, err)
	}
	if resp.StatusCode >= 300 {
		return apiError(method, path, resp, raw)
	}
	if out == nil || resp.StatusCode == http.StatusNoContent || len(bytes.TrimSpace(raw)) == 0 {
		return nil
	}
	var env struct {
		Data json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(raw, &env); err != nil {
		return fmt.Errorf("%s %s: answer is not Directus JSON: %w", method, path, err)
	}
	if err := json.Unmarshal(env.Data, out); err != nil {
		return fmt.Errorf("%s %s: decode data: %w", method, path, err)
	}
	return nil
}

// isLogin reports whether path signs in: it must carry no old token, and
// its failure must not trigger another sign-in (that recursed until the
// deadline once the first token had expired).
func isLogin(path string) bool { return stripQuery(path) == "/auth/login" }

// noRedirects is c.http set never to follow a redirect: a 307 or 308 would
// re-send the admin password in the body, and any redirect the bearer token,
// to wherever the server points.
func (c *client) noRedirects() *http.Client {
	hc := *c.http
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &hc
}

// redirectError says where the server tried to send a request that carried
// credentials, and which -url to use if that place is trusted.
func redirectError(base, method, path string, resp *http.Response) error {
	p := stripQuery(path)
	secret := "the admin token"
	if p == "/auth/login" {
		secret = "the admin password"
	}
	loc := resp.Header.Get("Location")
	target, err := resp.Request.URL.Parse(loc)
	if loc == "" || err != nil || target.Host == "" {
		return fmt.Errorf("%s %s: the server answered with a redirect (HTTP %d), which setup does not follow", method, p, resp.StatusCode)
	}
	suggest := url.URL{Scheme: target.Scheme, Host: target.Host}
	if prefix, ok := strings.CutSuffix(target.Path, p); ok {
		suggest.Path = strings.TrimRight(prefix, "/")
	}
	return fmt.Errorf("%s %s: the server at %s redirected it to %s; not following it (it would send %s there). Use -url %s if you trust it",
		method, p, base, suggest.Scheme+"://"+suggest.Host, secret, suggest.String())
}

func apiError(method, path string, resp *http.Response, raw []byte) error {
	e := &APIError{Method: method, Path: stripQuery(path), Status: resp.StatusCode}
	if errs := realtime.DecodeErrors(raw); len(errs) > 0 {
		e.Message, e.Code = errs[0].Message, errs[0].Code
		return e
	}
	e.Message = http.StatusText(resp.StatusCode)
	if ct := resp.Header.Get("Content-Type"); ct != "" && !strings.Contains(ct, "json") {
		e.Message += " (" + ct + ", not a Directus JSON answer)"
	}
	return e
}

func stripQuery(path string) string {
	p, _, _ := strings.Cut(path, "?")
	return p
}

// String describes o without its password or token, so that logging or
// printing Options by accident gives neither away.
func (o Options) String() string {
	return fmt.Sprintf("provision.Options{URL:%q Email:%q Password:%s Token:%s DemoUsers:%t}",
		o.URL, o.Email, redacted(o.Password), redacted(o.Token), o.DemoUsers)
}

// GoString is String, for %#v.
func (o Options) GoString() string { return o.String() }

// LogValue is what log/slog records for o: no password or token.
func (o Options) LogValue() slog.Value {
	return slog.GroupValue(slog.String("url", o.URL), slog.String("email", o.Email),
		slog.String("password", redacted(o.Password)), slog.String("token", redacted(o.Token)),
		slog.Bool("demo_users", o.DemoUsers))
}

// MarshalJSON encodes o without its password or token.
func (o Options) MarshalJSON() ([]byte, error) {
	return json.Marshal(map[string]any{"URL": o.URL, "Email": o.Email,
		"Password": redacted(o.Password), "Token": redacted(o.Token), "DemoUsers": o.DemoUsers})
}

// redacted stands for a secret in logs: whether it is set, never what it is.
func redacted(secret string) string {
	if secret == "" {
		return `""`
	}
	return "[redacted]"
}
