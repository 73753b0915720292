package realtime

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"time"
)

// The types below hold a password, a one-time code or a token. Printed
// with fmt (%v, %+v, %#v, %s), logged with log/slog or encoded with
// encoding/json, they show whether each secret is set, never its value: a
// debug log or a crash report must not give a session away.

// redacted stands for a secret: whether it is set, never what it is.
func redacted(secret string) string {
	if secret == "" {
		return `""`
	}
	return "[redacted]"
}

func (t Tokens) String() string {
	return fmt.Sprintf("realtime.Tokens{Access:%s Refresh:%s ExpiresAt:%s}",
		redacted(t.Access), redacted(t.Refresh), t.ExpiresAt.Format(time.RFC3339))
}

// GoString is String, for %#v.
func (t Tokens) GoString() string { return t.String() }

// LogValue logs the expiry and which tokens are set.
func (t Tokens) LogValue() slog.Value {
	return slog.GroupValue(slog.String("access", redacted(t.Access)), slog.String("refresh", redacted(t.Refresh)),
		slog.Time("expires_at", t.ExpiresAt))
}

// MarshalJSON encodes t without its tokens.
func (t Tokens) MarshalJSON() ([]byte, error) {
	return json.Marshal(map[string]any{"Access": redacted(t.Access), "Refresh": redacted(t.Refresh), "ExpiresAt": t.ExpiresAt})
}

func (c Credentials) String() string {
	return fmt.Sprintf("realtime.Credentials{Email:%q Password:%s OTP:%s}", c.Email, redacted(c.Password), redacted(c.OTP))
}

// GoString is String, for %#v.
func (c Credentials) GoString() string { return c.String() }

// LogValue logs the email and which secrets are set.
func (c Credentials) LogValue() slog.Value {
	return slog.GroupValue(slog.String("email", c.Email), slog.String("password", redacted(c.Password)),
		slog.String("otp", redacted(c.OTP)))
}

// MarshalJSON encodes c without its password and code.
func (c Credentials) MarshalJSON() ([]byte, error) {
	return json.Marshal(map[string]string{"Email": c.Email, "Password": redacted(c.Password), "OTP": redacted(c.OTP)})
}

func (e TokensRotated) String() string {
	return "realtime.TokensRotated{RefreshToken:" + redacted(e.RefreshToken) + "}"
}

// GoString is String, for %#v.
func (e TokensRotated) GoString() string { return e.String() }

// LogValue logs only that a token is set.
func (e TokensRotated) LogValue() slog.Value {
	return slog.GroupValue(slog.String("refresh_token", redacted(e.RefreshToken)))
}

// MarshalJSON encodes e without its token.
func (e TokensRotated) MarshalJSON() ([]byte, error) {
	return json.Marshal(map[string]string{"RefreshToken": redacted(e.RefreshToken)})
}

func (r Remembered) String() string {
	return fmt.Sprintf("realtime.Remembered{RefreshToken:%s User:%+v Known:%d messages}", redacted(r.RefreshToken), r.User, len(r.Known))
}

// GoString is String, for %#v.
func (r Remembered) GoString() string { return r.String() }

// LogValue logs the user and how much is cached, not the token.
func (r Remembered) LogValue() slog.Value {
	return slog.GroupValue(slog.String("refresh_token", redacted(r.RefreshToken)), slog.String("user", r.User.ID),
		slog.Int("known", len(r.Known)))
}

// MarshalJSON encodes r without its token.
func (r Remembered) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		RefreshToken string
		User         User
		Known        []Message
	}{redacted(r.RefreshToken), r.User, r.Known})
}
