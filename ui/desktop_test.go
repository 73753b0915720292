package ui

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"github.com/zalando/go-keyring"

	"directuschat/devserver/devservertest"
	"directuschat/realtime"
	"directuschat/remember"
	"directuschat/store"
	"directuschat/timeline"
)

// notifications records what would go to the desktop. The D-Bus path itself
// is tested in notify/fynenotify against a real session bus.
type notifications struct {
	mu   sync.Mutex
	sent []string
}

func (n *notifications) Notify(title, body string) {
	n.mu.Lock()
	n.sent = append(n.sent, title+": "+body)
	n.mu.Unlock()
}

func (n *notifications) list() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]string(nil), n.sent...)
}

// memKeyring is an in-memory keyring safe for concurrent use (go-keyring's
// mock is not). The real Secret Service is tested in package remember.
type memKeyring struct {
	mu      sync.Mutex
	secrets map[string]string
}

func newMemKeyring() *memKeyring { return &memKeyring{secrets: map[string]string{}} }

func (k *memKeyring) Set(service, user, secret string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.secrets[service+"/"+user] = secret
	return nil
}

func (k *memKeyring) Get(service, user string) (string, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	s, ok := k.secrets[service+"/"+user]
	if !ok {
		return "", keyring.ErrNotFound
	}
	return s, nil
}

func (k *memKeyring) Delete(service, user string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if _, ok := k.secrets[service+"/"+user]; !ok {
		return keyring.ErrNotFound
	}
	delete(k.secrets, service+"/"+user)
	return nil
}

func focus(a fyne.App, focused bool) {
	l := a.Lifecycle().(interface {
		OnEnteredForeground() func()
		OnExitedForeground() func()
	})
	if focused {
		l.OnEnteredForeground()()
	} else {
		l.OnExitedForeground()()
	}
}

// newDesktopApp is newTestApp with a keyring, a notifier and a given fyne app
// (so a second window can share the first one's preferences).
func newDesktopApp(t *testing.T, a fyne.App, server string, keys *remember.Store, n *notifications, options ...func(*Config)) (*App, *uiThread) {
	t.Helper()
	th := newUIThread()
	cfg := Config{Server: server, Dispatch: th.dispatch, Logger: quiet(), Keyring: keys}
	if n != nil {
		cfg.Notifier = n
	}
	for _, o := range options {
		o(&cfg)
	}
	u := New(a, cfg)
	u.Window().Show()
	t.Cleanup(func() { endSession(t, u, th) })
	return u, th
}

// endSession closes the app's session, running the UI thread until it has
// ended (the pump delivers its last batch).
func endSession(t *testing.T, u *App, th *uiThread) {
	if u.chat == nil {
		return
	}
	s := u.chat.session
	go s.Close()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case fn := <-th.fns:
			fn()
		case <-s.Done():
			return
		case <-deadline:
			t.Error("the session did not end")
			return
		}
	}
}

func TestRememberMeRestoresFromCacheAtOnceAndLogoutForgetsIt(t *testing.T) {
	env := devservertest.Shared(t)
	kr := newMemKeyring()
	keys := remember.NewWithBackend(kr, keyringTimeout)
	db, err := store.OpenCacheDir(t.TempDir(), quiet())
	if err != nil {
		t.Fatal(err)
	}
	withCache := func(c *Config) {
		c.Cache = func(server, email string) HistoryCache { return db.Cache(server, email) }
	}
	a := test.NewTempApp(t)
	ada := env.Users[0]

	u, th := newDesktopApp(t, a, env.URL, keys, nil, withCache)
	l := u.login
	if !l.remember.Visible() {
		t.Fatal("no Remember me checkbox")
	}
	l.remember.SetChecked(true)
	signIn(t, u, th, ada.Email, ada.Password)
	c := u.chat
	key := remember.Key(c.account.server, ada.Email)
	th.until(t, 5*time.Second, "the session in the keyring", func() bool {
		_, err := kr.Get(remember.Service, key)
		return err == nil
	})
	kept, gone := "kept "+time.Now().Format(time.RFC3339Nano), "deleted while away "+time.Now().Format(time.RFC3339Nano)
	for _, text := range []string{kept, gone} {
		c.composer.SetText(text)
		pressEnter(c.composer)
	}
	th.until(t, 10*time.Second, "both delivered", func() bool {
		return rowWith(c, kept) >= 0 && c.tl.At(rowWith(c, kept)).Status == timeline.Sent &&
			rowWith(c, gone) >= 0 && c.tl.At(rowWith(c, gone)).Status == timeline.Sent
	})
	goneID := c.tl.At(rowWith(c, gone)).ID
	u.quit() // saves the cache, closes the session
	before, _ := kr.Get(remember.Service, key)

	// While the app is closed, the admin deletes a message.
	deleteAsAdmin(t, env, goneID)

	// Next launch: the chat shows at once, from the cache, before the server answers.
	u2, th2 := newDesktopApp(t, a, "", keys, nil, withCache)
	if u2.login == nil || !u2.login.busy {
		t.Fatal("a remembered session must start signing in at once")
	}
	th2.until(t, 10*time.Second, "the chat from the cache", func() bool { return u2.chat != nil || (u2.login != nil && !u2.login.busy) })
	if u2.chat == nil {
		t.Fatalf("restore failed: %s", u2.login.status.Text)
	}
	c2 := u2.chat
	th2.until(t, 5*time.Second, "cached messages shown", func() bool { return rowWith(c2, kept) >= 0 })
	th2.until(t, 30*time.Second, "online and reconciled", func() bool {
		return strings.Contains(c2.status.Text, "Online") && rowWith(c2, gone) < 0
	})
	if got := c2.session.User().FirstName; got != ada.FirstName {
		t.Errorf("restored as %q, want %q", got, ada.FirstName)
	}
	// The refresh token rotated on restore: the keyring holds the new one.
	th2.until(t, 5*time.Second, "the rotated token stored", func() bool {
		s, err := kr.Get(remember.Service, key)
		return err == nil && s != "" && s != before
	})

	u2.logout()
	th2.until(t, 10*time.Second, "the login form after log out", func() bool { return u2.login != nil })
	th2.until(t, 5*time.Second, "the keyring entry removed", func() bool {
		_, err := kr.Get(remember.Service, key)
		return err == keyring.ErrNotFound
	})
	u2.flushBackground()
	if _, msgs, _ := db.Cache(c.account.server, ada.Email).Load(); len(msgs) != 0 {
		t.Errorf("log out left %d cached messages", len(msgs))
	}
	if u2.login.email.Text != ada.Email {
		t.Errorf("email not kept for the next sign-in: %q", u2.login.email.Text)
	}
}

func rowWith(c *chatView, text string) int {
	for i := 0; i < c.tl.Len(); i++ {
		if c.tl.At(i).Text == text {
			return i
		}
	}
	return -1
}

func deleteAsAdmin(t *testing.T, env *devservertest.Env, id string) {
	t.Helper()
	base, _ := realtime.ParseServerURL(env.URL)
	tok, err := realtime.NewREST(base, nil).Login(context.Background(), env.AdminEmail, env.AdminPassword, "")
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodDelete, env.URL+"/items/messages/"+id, nil)
	req.Header.Set("Authorization", "Bearer "+tok.Access)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("delete as admin: HTTP %d", resp.StatusCode)
	}
}

func TestUncheckingRememberMeRemovesTheStoredSession(t *testing.T) {
	env := devservertest.Shared(t)
	kr := newMemKeyring()
	keys := remember.NewWithBackend(kr, keyringTimeout)
	grace := env.Users[2]
	server, _ := realtime.ParseServerURL(env.URL)
	key := remember.Key(server.String(), grace.Email)
	// A session remembered by an earlier run.
	if err := kr.Set(remember.Service, key, "old-refresh-token"); err != nil {
		t.Fatal(err)
	}
	a := test.NewTempApp(t)
	a.Preferences().SetBool(prefRemember, true)

	u, th := newDesktopApp(t, a, env.URL, keys, nil)
	if !u.login.remember.Checked {
		t.Fatal("the checkbox does not show the remembered choice")
	}
	u.login.remember.SetChecked(false)
	signIn(t, u, th, grace.Email, grace.Password)
	// Keyring jobs run in order: once a later job has run, earlier ones have too.
	done := make(chan struct{})
	u.desk.keyring <- func() { close(done) }
	<-done
	if _, err := kr.Get(remember.Service, key); err != keyring.ErrNotFound {
		t.Errorf("keyring still holds the session after unchecking Remember me (err=%v)", err)
	}
	if a.Preferences().Bool(prefRemember) {
		t.Error("the unchecked choice was not saved")
	}
}

func TestUnfocusedWindowCountsUnreadAndNotifies(t *testing.T) {
	env := devservertest.Shared(t)
	n := &notifications{}
	u, th := newDesktopApp(t, test.NewTempApp(t), env.URL, nil, n)
	signIn(t, u, th, env.Users[0].Email, env.Users[0].Password)
	c := u.chat
	th.until(t, 10*time.Second, "online", func() bool { return strings.Contains(c.status.Text, "Online") })

	// The user switches to another window.
	focus(u.fyne, false)
	if u.desk.focused {
		t.Fatal("focus not tracked")
	}
	// What earlier tests left unread in other conversations counts too.
	th.until(t, 10*time.Second, "the unread counts", func() bool { return c.ch.counted })
	g, _ := rowNamed(c, "general")
	others := u.desk.unread - g.Unread

	kevin := otherClient(t, env, 1) // Kevin writes from another client
	own := "my own " + time.Now().Format(time.RFC3339Nano)
	c.composer.SetText(own)
	pressEnter(c.composer)
	texts := []string{"one " + own, "two " + own, "three " + own}
	for _, text := range texts {
		kevin.Send(text)
	}
	th.until(t, 10*time.Second, "three unread in general", func() bool {
		g, _ := rowNamed(c, "general")
		return g.Unread == 3 && u.desk.unread == others+3
	})
	if want := fmt.Sprintf("(%d", others+3); !strings.HasPrefix(u.Window().Title(), want) {
		t.Errorf("title = %q, want the unread count %d", u.Window().Title(), others+3)
	}
	if c.firstUnread == "" || c.tl.At(c.tl.Index(c.firstUnread)).Text != texts[0] {
		t.Errorf("the unread divider is not above the first unread message")
	}
	sent := n.list()
	if len(sent) == 0 || !strings.HasPrefix(sent[0], "Kevin: ") {
		t.Fatalf("notifications = %q, want one from Kevin", sent)
	}
	for _, s := range sent {
		if strings.Contains(s, own) && !strings.Contains(s, "one "+own) && !strings.Contains(s, "two ") && !strings.Contains(s, "three ") {
			t.Errorf("own message notified: %q", s)
		}
	}
	if len(sent) > 2 {
		t.Errorf("%d notifications for a burst of 3, want them coalesced", len(sent))
	}

	// Back to the app, newest message in view: read (the session moves
	// the read marker and says so).
	focus(u.fyne, true)
	th.until(t, 5*time.Second, "general read after focusing the window at the bottom", func() bool {
		g, _ := rowNamed(c, "general")
		return g.Unread == 0 && u.desk.unread == others
	})
}

func TestDoNotDisturbCountsButStaysSilent(t *testing.T) {
	env := devservertest.Shared(t)
	n := &notifications{}
	u, th := newDesktopApp(t, test.NewTempApp(t), env.URL, nil, n)
	signIn(t, u, th, env.Users[2].Email, env.Users[2].Password)
	c := u.chat
	// Grace reads general first (her newest marker wins over any an earlier
	// session of hers may still be writing: a marker never moves back).
	focus(u.fyne, true)
	th.until(t, 10*time.Second, "general read", func() bool {
		g, _ := rowNamed(c, "general")
		ms, _ := c.ch.model.Membership(g.ID)
		return c.ch.counted && g.Unread == 0 && c.tl.Len() > 0 && !ms.LastRead.Before(c.tl.At(c.tl.Len()-1).Created)
	})
	u.setDoNotDisturb(true)
	focus(u.fyne, false)

	kevin := otherClient(t, env, 1) // Kevin writes from another client
	kevin.Send("shh " + time.Now().Format(time.RFC3339Nano))
	th.until(t, 10*time.Second, "one unread in general, in the title too", func() bool {
		g, _ := rowNamed(c, "general")
		return g.Unread == 1 && strings.HasPrefix(u.Window().Title(), "(")
	})
	if sent := n.list(); len(sent) != 0 {
		t.Errorf("notifications while do not disturb: %q", sent)
	}
}
