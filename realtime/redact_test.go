package realtime_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"directuschat/realtime"
)

// Every type that holds a password, a code or a token shows none of them
// however it is printed, logged or encoded.
func TestSecretsNeverPrintedLoggedOrEncoded(t *testing.T) {
	secrets := []string{"pw-secret-1", "otp-secret-2", "access-secret-3", "refresh-secret-4", "rotated-secret-5", "remembered-secret-6"}
	values := []any{
		realtime.Credentials{Email: "ada@example.com", Password: secrets[0], OTP: secrets[1]},
		realtime.Tokens{Access: secrets[2], Refresh: secrets[3], ExpiresAt: time.Now()},
		realtime.TokensRotated{RefreshToken: secrets[4]},
		realtime.Remembered{RefreshToken: secrets[5], User: realtime.User{ID: "u-ada"}},
	}
	var buf bytes.Buffer
	text := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	js := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	for _, v := range values {
		for _, f := range []string{"%v", "%+v", "%#v", "%s"} {
			fmt.Fprintf(&buf, f+"\n", v)
		}
		fmt.Fprintln(&buf, []any{v}, struct{ V any }{v}) // inside other values
		text.Debug("value", "v", v)
		js.Debug("value", "v", v)
		text.Debug("value", "group", []any{v})
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatalf("%T: %v", v, err)
		}
		buf.Write(b)
		b, _ = json.Marshal(map[string]any{"nested": v})
		buf.Write(b)
	}
	out := buf.String()
	for _, s := range secrets {
		if strings.Contains(out, s) {
			t.Errorf("a secret (%s…) shows in the output", s[:len(s)-9])
		}
	}
	if !strings.Contains(out, "ada@example.com") || !strings.Contains(out, "[redacted]") || !strings.Contains(out, "u-ada") {
		t.Error("the output no longer describes the values (email, user, [redacted])")
	}
}
