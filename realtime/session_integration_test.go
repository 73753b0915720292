package realtime_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"directuschat/devserver"
	"directuschat/devserver/devservertest"
	"directuschat/realtime"
	"directuschat/timeline"
)

func TestMain(m *testing.M) { devservertest.Main(m) }

func TestMessageReachesOtherUserOnceWithSenderName(t *testing.T) {
	env := devservertest.Shared(t)
	ada, kevin := env.Users[0], env.Users[1]
	a := connect(t, realtime.Config{Server: env.URL}, ada.Email, ada.Password)
	k := connect(t, realtime.Config{Server: env.URL}, kevin.Email, kevin.Password)

	text := unique("hello from Ada")
	sent := a.send(text)
	k.waitFor(10*time.Second, "Ada's message at Kevin", func(c *client) bool { return c.count(text) > 0 })
	a.waitFor(10*time.Second, "delivery at Ada", func(c *client) bool {
		e, ok := c.entry(text)
		return ok && e.Status == timeline.Sent
	})
	// Let both also see a later message, so a late duplicate would be caught.
	marker := unique("marker from Kevin")
	k.send(marker)
	a.waitFor(10*time.Second, "Kevin's marker at Ada", func(c *client) bool { return c.count(marker) > 0 })
	k.waitFor(10*time.Second, "Kevin's marker delivered", func(c *client) bool { return c.count(marker) == 1 })

	k.mu.Lock()
	e, _ := k.entry(text)
	n := k.count(text)
	k.mu.Unlock()
	if n != 1 {
		t.Errorf("Kevin sees Ada's message %d times, want once", n)
	}
	if e.AuthorName != ada.FirstName || e.ID != sent.ID {
		t.Errorf("Kevin sees author %q id %s, want %q id %s", e.AuthorName, e.ID, ada.FirstName, sent.ID)
	}
	a.mu.Lock()
	if n := a.count(text); n != 1 {
		t.Errorf("Ada sees her own message %d times, want once", n)
	}
	a.mu.Unlock()
}

func TestHistoryOpensWithNewestPageInOrder(t *testing.T) {
	env := devservertest.Shared(t)
	grace := env.Users[2]
	const pageSize = 10
	w := connect(t, realtime.Config{Server: env.URL}, grace.Email, grace.Password)
	prefix := unique("history")
	var texts []string
	for i := range pageSize + 5 {
		texts = append(texts, prefix+" #"+string(rune('a'+i)))
		w.send(texts[i])
	}
	last := texts[len(texts)-1]
	w.waitFor(20*time.Second, "all history messages delivered", func(c *client) bool {
		e, ok := c.entry(last)
		return ok && e.Status == timeline.Sent
	})

	r := connect(t, realtime.Config{Server: env.URL, PageSize: pageSize}, grace.Email, grace.Password)
	r.waitFor(10*time.Second, "initial page", func(c *client) bool { return c.tl.Len() > 0 })
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.tl.Len() != pageSize {
		t.Fatalf("initial page has %d messages, want %d (the newest page)", r.tl.Len(), pageSize)
	}
	want := texts[len(texts)-pageSize:]
	for i := range pageSize {
		if got := r.tl.At(i).Text; got != want[i] {
			t.Fatalf("row %d = %q, want %q (newest %d, oldest first)", i, got, want[i], pageSize)
		}
	}
	if !r.tl.HasOlder() {
		t.Error("a full page must leave older messages to load")
	}
}

func TestOlderPagesLoadWithoutGapsOrDuplicates(t *testing.T) {
	env := devservertest.Shared(t)
	grace := env.Users[2]
	w := connect(t, realtime.Config{Server: env.URL}, grace.Email, grace.Password)
	prefix := unique("paging")
	const total = 23
	var last string
	for i := range total {
		last = prefix + " " + string(rune('A'+i))
		w.send(last)
	}
	w.waitFor(20*time.Second, "paging messages delivered", func(c *client) bool {
		e, ok := c.entry(last)
		return ok && e.Status == timeline.Sent
	})

	r := connect(t, realtime.Config{Server: env.URL, PageSize: 5}, grace.Email, grace.Password)
	r.waitFor(10*time.Second, "initial page", func(c *client) bool { return c.tl.Len() == 5 })
	for {
		r.mu.Lock()
		n, more := r.tl.Len(), r.tl.HasOlder()
		oldest, tied, _ := r.tl.OldestTied()
		r.mu.Unlock()
		if !more || r.countPrefix(prefix) == total {
			break
		}
		r.s.LoadOlder(oldest, tied)
		r.waitFor(10*time.Second, "an older page", func(c *client) bool { return c.tl.Len() > n || !c.tl.HasOlder() })
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	var got []string
	for i := 0; i < r.tl.Len(); i++ {
		if e := r.tl.At(i); strings.HasPrefix(e.Text, prefix) {
			got = append(got, strings.TrimPrefix(e.Text, prefix+" "))
		}
	}
	if strings.Join(got, "") != "ABCDEFGHIJKLMNOPQRSTUVW" {
		t.Fatalf("paged history = %q, want A..W once each in order", strings.Join(got, ""))
	}
}

func (c *client) countPrefix(prefix string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for i := 0; i < c.tl.Len(); i++ {
		if strings.HasPrefix(c.tl.At(i).Text, prefix) {
			n++
		}
	}
	return n
}

func TestSignInErrorsSayWhatIsWrong(t *testing.T) {
	env := devservertest.Shared(t)
	ada := env.Users[0]

	notDirectus := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte("<html>nginx</html>"))
	}))
	defer notDirectus.Close()

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedPort := "http://" + l.Addr().String()
	l.Close()

	cases := []struct {
		name, server, email, password string
		kind                          realtime.Kind
		says                          string
	}{
		{"wrong password", env.URL, ada.Email, "not-the-password", realtime.KindInvalidCredentials, "Wrong email or password"},
		{"unknown user", env.URL, "nobody@example.com", "whatever", realtime.KindInvalidCredentials, "Wrong email or password"},
		{"nothing listening", closedPort, ada.Email, ada.Password, realtime.KindUnreachable, "Cannot reach"},
		{"not a Directus", notDirectus.URL, ada.Email, ada.Password, realtime.KindNotDirectus, "not a Directus server"},
		{"empty address", "  ", ada.Email, ada.Password, realtime.KindBadURL, "address"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			s, err := realtime.Connect(ctx, realtime.Config{Server: tc.server, Logger: quietLogger()},
				realtime.Credentials{Email: tc.email, Password: tc.password})
			if err == nil {
				s.Close()
				t.Fatal("sign-in succeeded")
			}
			if realtime.KindOf(err) != tc.kind {
				t.Errorf("kind = %v (%v), want %v", realtime.KindOf(err), err, tc.kind)
			}
			if msg := realtime.Describe(err); !strings.Contains(msg, tc.says) {
				t.Errorf("message %q does not say %q", msg, tc.says)
			}
			if strings.Contains(err.Error(), tc.password) && tc.password != "" {
				t.Errorf("error text contains the password")
			}
		})
	}
}

func TestRealtimeDisabledIsExplained(t *testing.T) {
	s := devservertest.Start(t, devserver.Options{Env: map[string]string{"WEBSOCKETS_ENABLED": "false"}})
	// setup refuses a server without realtime, so sign in as its admin.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, err := realtime.Connect(ctx, realtime.Config{Server: s.URL, Logger: quietLogger()},
		realtime.Credentials{Email: s.AdminEmail, Password: s.AdminPassword})
	if realtime.KindOf(err) != realtime.KindRealtimeDisabled {
		t.Fatalf("err = %v (kind %v), want KindRealtimeDisabled", err, realtime.KindOf(err))
	}
	if !strings.Contains(realtime.Describe(err), "WEBSOCKETS_ENABLED=true") {
		t.Errorf("message %q does not say how to enable realtime", realtime.Describe(err))
	}
}
