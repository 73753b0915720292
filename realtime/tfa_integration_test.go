package realtime_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base32"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"directuschat/devserver"
	"directuschat/devserver/devservertest"
	"directuschat/realtime"
)

// totp computes the RFC 6238 code (SHA-1, 6 digits, 30 s) for a base32 secret.
func totp(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	key, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(strings.ToUpper(strings.TrimRight(secret, "=")))
	if err != nil {
		t.Fatalf("decode TOTP secret: %v", err)
	}
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], uint64(at.Unix()/30))
	mac := hmac.New(sha1.New, key)
	mac.Write(msg[:])
	sum := mac.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	code := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	return fmt.Sprintf("%06d", code%1_000_000)
}

// userREST calls the REST API with a bearer token and decodes data into out.
func userREST(t *testing.T, base, token, method, path string, body any, out any) {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, base+path, strings.NewReader(string(b)))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		t.Fatalf("%s %s: HTTP %d", method, path, resp.StatusCode)
	}
	if out != nil {
		var env struct{ Data json.RawMessage }
		if err := json.NewDecoder(resp.Body).Decode(&env); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(env.Data, out); err != nil {
			t.Fatal(err)
		}
	}
}

func TestTwoFactorAccountAsksForTheCodeAndSignsInWithIt(t *testing.T) {
	srv := devservertest.Start(t, devserver.Options{})
	devservertest.Provision(t, srv)
	// Chat users may not change their own account; the admin may.
	admin := struct{ Email, Password, FirstName string }{srv.AdminEmail, srv.AdminPassword, ""}
	base, _ := realtime.ParseServerURL(srv.URL)
	rest := realtime.NewREST(base, nil)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	// The admin turns on two-factor authentication.
	tok, err := rest.Login(ctx, admin.Email, admin.Password, "")
	if err != nil {
		t.Fatal(err)
	}
	var gen struct {
		Secret string `json:"secret"`
	}
	userREST(t, srv.URL, tok.Access, http.MethodPost, "/users/me/tfa/generate", map[string]string{"password": admin.Password}, &gen)
	userREST(t, srv.URL, tok.Access, http.MethodPost, "/users/me/tfa/enable", map[string]string{"secret": gen.Secret, "otp": totp(t, gen.Secret, time.Now())}, nil)

	cfg := realtime.Config{Server: srv.URL, Logger: quietLogger()}
	_, err = realtime.Connect(ctx, cfg, realtime.Credentials{Email: admin.Email, Password: admin.Password})
	if realtime.KindOf(err) != realtime.KindOTPRequired {
		t.Fatalf("without a code: err = %v (kind %v), want KindOTPRequired", err, realtime.KindOf(err))
	}
	_, err = realtime.Connect(ctx, cfg, realtime.Credentials{Email: admin.Email, Password: admin.Password, OTP: "000000"})
	if k := realtime.KindOf(err); k != realtime.KindInvalidOTP {
		t.Fatalf("with a wrong code: err = %v (kind %v), want KindInvalidOTP", err, k)
	}
	s, err := realtime.Connect(ctx, cfg, realtime.Credentials{Email: admin.Email, Password: admin.Password, OTP: totp(t, gen.Secret, time.Now())})
	if err != nil {
		t.Fatalf("with the right code: %v", err)
	}
	defer s.Close()
	if s.User().ID == "" {
		t.Error("signed in without a user")
	}
}
