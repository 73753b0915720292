package ui

import (
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
)

// While signing in, the form names the server by the ASCII (punycode) form
// of its host, with the Unicode spelling beside it, so that a look-alike
// name (here a Cyrillic "е" in place of a Latin "e") is visible.
func TestSignInShowsThePunycodeHost(t *testing.T) {
	u, th := newTestApp(t, "https://dirеctus.example")
	l := u.login
	test.Type(l.email, "ada@example.com")
	test.Type(l.password, "pw")
	test.Tap(l.signIn)
	const want = "xn--dirctus-9gg.example (dirеctus.example)"
	if got := l.status.Text; !strings.Contains(got, "Connecting to "+want) {
		t.Errorf("status while signing in = %q, want it to name %s", got, want)
	}
	// The name does not resolve: the error names the same host.
	th.until(t, 30*time.Second, "the sign-in to fail", func() bool { return !l.busy })
	if got := l.status.Text; !strings.Contains(got, want) {
		t.Errorf("error = %q, want it to name %s", got, want)
	}
}
