package realtime

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Tokens are what Directus hands out at sign-in and refresh. The refresh
// token is single use: every refresh returns a new one and kills the old.
type Tokens struct {
	Access    string
	Refresh   string
	ExpiresAt time.Time     // when Access stops working
	Lifetime  time.Duration // how long Access was valid when issued (the server's ACCESS_TOKEN_TTL)
}

// User is the signed-in account.
type User struct {
	ID        string `json:"id"`
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
	Email     string `json:"email"`
}

// REST is a small client for the Directus REST endpoints the chat needs.
type REST struct {
	base *url.URL
	http *http.Client
}

// NewREST returns a client for the Directus at base. A nil client means a
// default with sensible timeouts. TLS certificates are always verified.
//
// The client never follows a redirect, whatever client says: a 307 or 308
// would re-send the password or refresh token in the body, and any redirect
// the Authorization header, to wherever the server points (possibly over
// plain http, past the clear-text warning). A redirect answer becomes an
// *Error of KindRedirected naming the target instead.
func NewREST(base *url.URL, client *http.Client) *REST {
	var c http.Client
	if client != nil {
		c = *client
	} else {
		c.Timeout = 15 * time.Second
	}
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &REST{base: base, http: &c}
}

// Probe checks that base is a reachable Directus: GET /server/ping answers "pong".
func (r *REST) Probe(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.endpoint("/server/ping"), nil)
	if err != nil {
		return fmt.Errorf("probe: %w", err)
	}
	resp, err := r.http.Do(req)
	if err != nil {
		return transportError(r.base, err)
	}
	defer resp.Body.Close()
	if isRedirect(resp.StatusCode) {
		return redirectError(r.base, "/server/ping", resp)
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode != http.StatusOK || strings.TrimSpace(strings.Trim(string(body), `"`)) != "pong" {
		return &Error{Kind: KindNotDirectus, Msg: fmt.Sprintf("%s answered, but it is not a Directus server (GET /server/ping gave HTTP %d).", DisplayHost(r.base), resp.StatusCode)}
	}
	return nil
}

// Login signs in with email and password (and a one-time code when the
// account uses two-factor authentication).
func (r *REST) Login(ctx context.Context, email, password, otp string) (Tokens, error) {
	body := map[string]string{"email": email, "password": password, "mode": "json"}
	if otp != "" {
		body["otp"] = otp
	}
	t, err := r.tokens(ctx, "/auth/login", body)
	if otp == "" && isCode(err, "INVALID_OTP") {
		// Directus answers a missing code like a wrong one: ask for it.
		return Tokens{}, &Error{Kind: KindOTPRequired, Code: "INVALID_OTP",
			Msg: "This account uses two-factor authentication: enter the one-time code."}
	}
	if err != nil {
		return Tokens{}, fmt.Errorf("sign in: %w", err)
	}
	return t, nil
}

// Refresh trades a refresh token for new tokens. The old one is dead after.
func (r *REST) Refresh(ctx context.Context, refreshToken string) (Tokens, error) {
	t, err := r.tokens(ctx, "/auth/refresh", map[string]string{"refresh_token": refreshToken, "mode": "json"})
	switch KindOf(err) {
	case KindInvalidCredentials, KindSessionExpired:
		// Directus says INVALID_CREDENTIALS for a revoked or expired refresh
		// token and for a suspended user: not the person's typing.
		return Tokens{}, &Error{Kind: KindSessionExpired, Code: "INVALID_CREDENTIALS",
			Msg: "Your session is no longer valid (it was ended on the server, it expired, or the account was suspended). Sign in again.", Err: err}
	}
	if err != nil {
		return Tokens{}, fmt.Errorf("refresh: %w", err)
	}
	return t, nil
}

// Logout ends the session on the server.
func (r *REST) Logout(ctx context.Context, refreshToken string) error {
	if err := r.do(ctx, http.MethodPost, "/auth/logout", "", map[string]string{"refresh_token": refreshToken, "mode": "json"}, nil); err != nil {
		return fmt.Errorf("log out: %w", err)
	}
	return nil
}

// Me returns the signed-in user. It asks only for fields a chat user may
// read: when one field of the list is forbidden, Directus answers with the
// id alone (seen on 11.17.4).
func (r *REST) Me(ctx context.Context, accessToken string) (User, error) {
	var out struct {
		Data User `json:"data"`
	}
	if err := r.do(ctx, http.MethodGet, "/users/me?fields=id,first_name,last_name", accessToken, nil, &out); err != nil {
		return User{}, fmt.Errorf("read current user: %w", err)
	}
	return out.Data, nil
}

// People reads the users the signed-in user can see (the WebSocket's items
// requests do not serve system collections such as directus_users).
func (r *REST) People(ctx context.Context, accessToken string) ([]User, error) {
	var out struct {
		Data []User `json:"data"`
	}
	if err := r.do(ctx, http.MethodGet, "/users?fields=id,first_name,last_name&limit=-1", accessToken, nil, &out); err != nil {
		return nil, fmt.Errorf("read people: %w", err)
	}
	return out.Data, nil
}

func (r *REST) tokens(ctx context.Context, path string, body any) (Tokens, error) {
	start := time.Now()
	var out struct {
		Data struct {
			AccessToken  string `json:"access_token"`
			RefreshToken string `json:"refresh_token"`
			Expires      int64  `json:"expires"`
		} `json:"data"`
	}
	if err := r.do(ctx, http.MethodPost, path, "", body, &out); err != nil {
		return Tokens{}, err
	}
	if out.Data.AccessToken == "" {
		return Tokens{}, &Error{Kind: KindNotDirectus, Msg: "The server's sign-in answer had no token: is this a Directus server?"}
	}
	return Tokens{
		Access:    out.Data.AccessToken,
		Refresh:   out.Data.RefreshToken,
		ExpiresAt: start.Add(time.Duration(out.Data.Expires) * time.Millisecond),
		Lifetime:  time.Duration(out.Data.Expires) * time.Millisecond,
	}, nil
}

// do sends a JSON request and decodes a JSON answer. Errors from Directus
// become *Error with the server's code; nothing secret is ever put in them.
func (r *REST) do(ctx context.Context, method, path, accessToken string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, r.endpoint(path), rd)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if accessToken != "" {
		req.Header.Set("Authorization", "Bearer "+accessToken)
	}
	resp, err := r.http.Do(req)
	if err != nil {
		return transportError(r.base, err)
	}
	defer resp.Body.Close()
	if isRedirect(resp.StatusCode) {
		return redirectError(r.base, path, resp)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return transportError(r.base, err)
	}
	if resp.StatusCode >= 300 {
		return httpError(r.base, resp.StatusCode, data)
	}
	if out == nil || len(data) == 0 {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return &Error{Kind: KindNotDirectus, Msg: fmt.Sprintf("%s answered with something that is not Directus JSON.", DisplayHost(r.base)), Err: err}
	}
	return nil
}

func (r *REST) endpoint(path string) string {
	return strings.TrimRight(r.base.String(), "/") + path
}

func isRedirect(status int) bool {
	return status >= 300 && status < 400 && status != http.StatusNotModified
}

// redirectedWhat names the request that was redirected and what following
// the redirect would have given away, for redirectError.
func redirectedWhat(path string) (what, risk string) {
	p, _, _ := strings.Cut(path, "?")
	switch p {
	case "/server/ping":
		return "the connection", ""
	case "/websocket":
		return "the realtime connection", ""
	case "/auth/login":
		return "the sign-in", "your password"
	case "/auth/refresh":
		return "the session renewal", "your session token"
	case "/auth/logout":
		return "the sign-out", "your session token"
	}
	return "a request", "your access token"
}

// redirectError explains a redirect the client did not follow: where the
// server tried to send it, and which address to type instead if the person
// trusts that place. The target is shown with its host in ASCII (punycode)
// so that look-alike names are visible; its path and query are not shown.
func redirectError(base *url.URL, path string, resp *http.Response) error {
	from := DisplayHost(base)
	what, risk := redirectedWhat(path)
	loc := resp.Header.Get("Location")
	reqURL := base
	if resp.Request != nil && resp.Request.URL != nil {
		reqURL = resp.Request.URL
	}
	target, err := reqURL.Parse(loc)
	if loc == "" || err != nil || target.Host == "" {
		return &Error{Kind: KindRedirected, Msg: fmt.Sprintf("The server at %s answered %s with a redirect (HTTP %d), which the app does not follow.", from, what, resp.StatusCode)}
	}
	where := DisplayHost(target)
	if target.Scheme != base.Scheme {
		where = target.Scheme + "://" + where
	}
	msg := fmt.Sprintf("The server at %s redirected %s to %s; not following it", from, what, where)
	if risk != "" {
		msg += fmt.Sprintf(" (it would send %s there)", risk)
	}
	if target.Scheme == "http" && base.Scheme == "https" {
		msg += ". That address is not encrypted: ask the server's administrator."
	} else {
		msg += fmt.Sprintf(". Use %s as the server address if you trust it.", suggestedBase(target, path))
	}
	return &Error{Kind: KindRedirected, Msg: msg}
}

// suggestedBase guesses the server address a redirect points to: the target
// without the endpoint path that was asked for ("https://b.example/x/auth/login"
// for "/auth/login" gives "https://b.example/x"), or just its origin.
func suggestedBase(target *url.URL, path string) string {
	p, _, _ := strings.Cut(path, "?")
	u := url.URL{Scheme: target.Scheme, Host: target.Host}
	if prefix, ok := strings.CutSuffix(target.Path, p); ok {
		u.Path = strings.TrimRight(prefix, "/")
	}
	if a, err := ParseServerURL(u.String()); err == nil {
		return a.String()
	}
	return u.String()
}

// httpError turns a non-2xx answer into an *Error.
func httpError(base *url.URL, status int, body []byte) error {
	if errs := DecodeErrors(body); len(errs) > 0 {
		return serverError(errs[0].Code, errs[0].Message)
	}
	if status == http.StatusNotFound {
		return &Error{Kind: KindNotDirectus, Msg: fmt.Sprintf("%s answered HTTP 404: it is not a Directus server, or the address has a wrong path.", DisplayHost(base))}
	}
	return &Error{Kind: KindServer, Msg: fmt.Sprintf("%s answered HTTP %d.", DisplayHost(base), status)}
}

// transportError explains a failure to talk to the server at all.
func transportError(base *url.URL, err error) error {
	if errors.Is(err, context.Canceled) {
		return err
	}
	var unknownAuthority x509.UnknownAuthorityError
	var hostname x509.HostnameError
	var invalid x509.CertificateInvalidError
	var verify *tls.CertificateVerificationError
	var recordHeader tls.RecordHeaderError
	switch {
	case errors.As(err, &unknownAuthority):
		return &Error{Kind: KindTLS, Msg: fmt.Sprintf("The certificate of %s is not from a trusted authority (self-signed?). The app does not connect to servers it cannot verify.", DisplayHost(base)), Err: err}
	case errors.As(err, &hostname):
		return &Error{Kind: KindTLS, Msg: fmt.Sprintf("The certificate of %s is for another host name.", DisplayHost(base)), Err: err}
	case errors.As(err, &invalid):
		return &Error{Kind: KindTLS, Msg: fmt.Sprintf("The certificate of %s is invalid or expired.", DisplayHost(base)), Err: err}
	case errors.As(err, &verify):
		return &Error{Kind: KindTLS, Msg: fmt.Sprintf("The certificate of %s could not be verified.", DisplayHost(base)), Err: err}
	case errors.As(err, &recordHeader):
		return &Error{Kind: KindTLS, Msg: fmt.Sprintf("%s does not speak https on that port: try http://.", DisplayHost(base)), Err: err}
	}
	var netErr net.Error
	if errors.As(err, &netErr) && netErr.Timeout() || errors.Is(err, context.DeadlineExceeded) {
		return &Error{Kind: KindTimeout, Msg: fmt.Sprintf("%s did not answer in time.", DisplayHost(base)), Err: err}
	}
	return &Error{Kind: KindUnreachable, Msg: fmt.Sprintf("Cannot reach %s. Check the address and your network.", DisplayHost(base)), Err: err}
}
