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
	ExpiresAt time.Time // when Access stops working
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
func NewREST(base *url.URL, client *http.Client) *REST {
	if client == nil {
		client = &http.Client{Timeout: 15 * time.Second}
	}
	return &REST{base: base, http: client}
}

// Base returns the server's base URL.
func (r *REST) Base() *url.URL { return r.base }

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
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode != http.StatusOK || strings.TrimSpace(strings.Trim(string(body), `"`)) != "pong" {
		return &Error{Kind: KindNotDirectus, Msg: fmt.Sprintf("%s answered, but it is not a Directus server (GET /server/ping gave HTTP %d).", r.base.Host, resp.StatusCode)}
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
		return &Error{Kind: KindNotDirectus, Msg: fmt.Sprintf("%s answered with something that is not Directus JSON.", r.base.Host), Err: err}
	}
	return nil
}

func (r *REST) endpoint(path string) string {
	return strings.TrimRight(r.base.String(), "/") + path
}

// httpError turns a non-2xx answer into an *Error.
func httpError(base *url.URL, status int, body []byte) error {
	var env struct {
		Errors []struct {
			Message    string `json:"message"`
			Extensions struct {
				Code string `json:"code"`
			} `json:"extensions"`
		} `json:"errors"`
	}
	if json.Unmarshal(body, &env) == nil && len(env.Errors) > 0 {
		e := env.Errors[0]
		return serverError(e.Extensions.Code, e.Message)
	}
	if status == http.StatusNotFound {
		return &Error{Kind: KindNotDirectus, Msg: fmt.Sprintf("%s answered HTTP 404: it is not a Directus server, or the address has a wrong path.", base.Host)}
	}
	return &Error{Kind: KindServer, Msg: fmt.Sprintf("%s answered HTTP %d.", base.Host, status)}
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
		return &Error{Kind: KindTLS, Msg: fmt.Sprintf("The certificate of %s is not from a trusted authority (self-signed?). The app does not connect to servers it cannot verify.", base.Host), Err: err}
	case errors.As(err, &hostname):
		return &Error{Kind: KindTLS, Msg: fmt.Sprintf("The certificate of %s is for another host name.", base.Host), Err: err}
	case errors.As(err, &invalid):
		return &Error{Kind: KindTLS, Msg: fmt.Sprintf("The certificate of %s is invalid or expired.", base.Host), Err: err}
	case errors.As(err, &verify):
		return &Error{Kind: KindTLS, Msg: fmt.Sprintf("The certificate of %s could not be verified.", base.Host), Err: err}
	case errors.As(err, &recordHeader):
		return &Error{Kind: KindTLS, Msg: fmt.Sprintf("%s does not speak https on that port: try http://.", base.Host), Err: err}
	}
	var netErr net.Error
	if errors.As(err, &netErr) && netErr.Timeout() || errors.Is(err, context.DeadlineExceeded) {
		return &Error{Kind: KindTimeout, Msg: fmt.Sprintf("%s did not answer in time.", base.Host), Err: err}
	}
	return &Error{Kind: KindUnreachable, Msg: fmt.Sprintf("Cannot reach %s. Check the address and your network.", base.Host), Err: err}
}
