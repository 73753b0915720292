package ui

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"directuschat/devserver/devservertest"
	"directuschat/realtime"
	"directuschat/timeline"
)

func TestMain(m *testing.M) { devservertest.Main(m) }

// uiThread plays the UI thread in tests: everything the app dispatches runs
// on the test goroutine, so tests read widgets without data races.
type uiThread struct{ fns chan func() }

func newUIThread() *uiThread { return &uiThread{fns: make(chan func(), 1024)} }

func (u *uiThread) dispatch(fn func()) { u.fns <- fn }

// until runs dispatched work until cond holds, failing after timeout. cond
// is checked after each piece of work and also every 20 ms, so a state the
// widgets reach without more dispatched work is seen too.
func (u *uiThread) until(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	look := time.NewTicker(20 * time.Millisecond)
	defer look.Stop()
	for !cond() {
		select {
		case fn := <-u.fns:
			fn()
		case <-look.C:
		case <-deadline.C:
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
	}
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func newTestApp(t *testing.T, server string) (*App, *uiThread) {
	t.Helper()
	a := test.NewTempApp(t)
	th := newUIThread()
	u := New(a, Config{Server: server, Dispatch: th.dispatch, Logger: quiet()})
	u.Window().Resize(fyne.NewSize(480, 640))
	u.Window().Show()
	t.Cleanup(func() { endSession(t, u, th) })
	return u, th
}

func signIn(t *testing.T, u *App, th *uiThread, email, password string) {
	t.Helper()
	l := u.login
	test.Type(l.email, email)
	test.Type(l.password, password)
	test.Tap(l.signIn)
	th.until(t, 30*time.Second, "the chat view", func() bool { return u.chat != nil || l.status.Text != "" && !l.busy })
	if u.chat == nil {
		t.Fatalf("sign-in failed: %s", l.status.Text)
	}
	if u.chat.session.Permissions().Channels {
		th.until(t, 10*time.Second, "the open conversation", func() bool { return u.chat.ch.open != "" })
	}
}

func pressEnter(c *composer) { c.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn}) }

func TestSignInReplacesFormWithChat(t *testing.T) {
	env := devservertest.Shared(t)
	u, th := newTestApp(t, env.URL)
	if u.login == nil || u.chat != nil {
		t.Fatal("the app must open at the login form")
	}
	if u.login.server.Text != env.URL {
		t.Errorf("server field = %q, want pre-filled %q", u.login.server.Text, env.URL)
	}
	signIn(t, u, th, env.Users[0].Email, env.Users[0].Password)
	if u.login != nil {
		t.Error("login form still referenced after sign-in")
	}
	if !strings.Contains(u.Window().Title(), "127.0.0.1") {
		t.Errorf("title = %q, want the server host", u.Window().Title())
	}
	if got := u.chat.status.Text; !strings.Contains(got, "Online") {
		t.Errorf("status line = %q, want Online", got)
	}
}

func TestWrongPasswordShowsClearErrorInForm(t *testing.T) {
	env := devservertest.Shared(t)
	u, th := newTestApp(t, env.URL)
	l := u.login
	test.Type(l.email, env.Users[0].Email)
	test.Type(l.password, "wrong-password")
	test.Tap(l.signIn)
	th.until(t, 30*time.Second, "an error in the form", func() bool { return !l.busy && l.status.Text != "" })
	if u.chat != nil {
		t.Fatal("signed in with a wrong password")
	}
	if got := l.status.Text; got != "Wrong email or password." {
		t.Errorf("error = %q", got)
	}
	if l.email.Text != env.Users[0].Email {
		t.Error("the email was lost after a failed sign-in")
	}
}

func TestEmptyFieldsAreRefusedBeforeAnyRequest(t *testing.T) {
	u, _ := newTestApp(t, "")
	test.Tap(u.login.signIn)
	if got := u.login.status.Text; !strings.Contains(got, "address of your Directus server") {
		t.Errorf("error = %q", got)
	}
	test.Type(u.login.server, "http://127.0.0.1:1")
	test.Tap(u.login.signIn)
	if got := u.login.status.Text; !strings.Contains(got, "email and password") {
		t.Errorf("error = %q", got)
	}
	if u.login.busy {
		t.Error("the form started signing in with empty fields")
	}
}

func TestEnterSendsShiftEnterAddsLineBlankIsNotSent(t *testing.T) {
	env := devservertest.Shared(t)
	u, th := newTestApp(t, env.URL)
	signIn(t, u, th, env.Users[1].Email, env.Users[1].Password)
	c := u.chat

	before := c.tl.Len()
	test.Type(c.composer, "   ")
	pressEnter(c.composer)
	if c.tl.Len() != before {
		t.Fatal("a blank message was sent")
	}

	c.composer.SetText("")
	test.Type(c.composer, "first line")
	c.composer.KeyDown(&fyne.KeyEvent{Name: desktop.KeyShiftLeft})
	pressEnter(c.composer)
	c.composer.KeyUp(&fyne.KeyEvent{Name: desktop.KeyShiftLeft})
	test.Type(c.composer, "second line")
	if got := c.composer.Text; got != "first line\nsecond line" {
		t.Fatalf("after Shift+Enter the entry holds %q", got)
	}
	if c.tl.Len() != before {
		t.Fatal("Shift+Enter sent the message")
	}
	text := c.composer.Text
	pressEnter(c.composer)
	if c.composer.Text != "" {
		t.Errorf("entry not cleared after Enter: %q", c.composer.Text)
	}
	row := c.tl.Len() - 1
	if e := c.tl.At(row); e.Text != text || e.Status != timeline.Pending {
		t.Fatalf("last row after Enter = %+v, want the message pending", e)
	}
	th.until(t, 10*time.Second, "the message delivered", func() bool {
		i := c.tl.Index(c.tl.At(c.tl.Len() - 1).ID)
		return i >= 0 && c.tl.At(i).Text == text && c.tl.At(i).Status == timeline.Sent
	})
}

func TestIncomingMessageShowsInList(t *testing.T) {
	env := devservertest.Shared(t)
	u, th := newTestApp(t, env.URL)
	signIn(t, u, th, env.Users[0].Email, env.Users[0].Password)
	c := u.chat

	kevin := otherClient(t, env, 1) // Kevin writes from another client
	text := "Kevin says hi " + time.Now().Format(time.RFC3339Nano)
	kevin.Send(text)

	// Through Kevin's outbox, Directus and Ada's session: on a loaded CI
	// machine (every package testing at once, -race) that took over 10 s
	// once.
	th.until(t, 30*time.Second, "Kevin's message in the list", func() bool { return shownText(c.list, text) })
	last := c.tl.At(c.tl.Len() - 1)
	if last.Text != text || last.AuthorName != "Kevin" {
		t.Errorf("newest row = %q by %q, want %q by Kevin", last.Text, last.AuthorName, text)
	}
	if !shownText(c.list, "Kevin") {
		t.Error("the author's name is not shown")
	}
}

func TestNewestMessageFullyInViewAfterSignInWithLongMessages(t *testing.T) {
	env := devservertest.Shared(t)
	words := strings.Repeat("a message long enough to wrap over several lines ", 6)
	var texts []string
	for i := range 12 {
		texts = append(texts, fmt.Sprintf("long %d %d %s", i, time.Now().UnixNano(), words))
	}
	sendAsAndWait(t, env, 1, texts)
	last := texts[len(texts)-1]

	u, th := newTestApp(t, env.URL)
	signIn(t, u, th, env.Users[0].Email, env.Users[0].Password)
	c := u.chat
	th.until(t, 10*time.Second, "Kevin's last message in the newest page", func() bool { return rowWith(c, last) >= 0 })
	// Rows are measured as they come into view, taller than the template:
	// the view must still end at the newest message, whole.
	th.until(t, 10*time.Second, "the newest message fully in view", func() bool {
		b := newestRowBottom(c)
		return b >= 0 && b <= listBottom(c)+1
	})
}

// sendAsAndWait sends texts as demo user i and returns once the server
// has stored them all.
func sendAsAndWait(t *testing.T, env *devservertest.Env, i int, texts []string) {
	t.Helper()
	s := connectAs(t, env, i)
	general := generalOf(t, s)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, text := range texts {
		s.SendIn(general, text)
	}
	for delivered := 0; delivered < len(texts); {
		select {
		case batch := <-s.Events():
			for _, ev := range batch {
				if st, ok := ev.(realtime.SendStatus); ok && st.State == realtime.SendDelivered {
					delivered++
				}
			}
		case <-ctx.Done():
			t.Fatalf("only %d of %d messages stored", delivered, len(texts))
		}
	}
}

// newestRowBottom is the bottom edge of the newest message's row on the
// canvas, or -1 when it is not laid out.
func newestRowBottom(c *chatView) float32 {
	newest := c.tl.At(c.tl.Len() - 1)
	for _, o := range test.LaidOutObjects(c.list) {
		if r, ok := o.(*messageRow); ok && r.shown.text == newest.Text && r.Visible() {
			pos := fyne.CurrentApp().Driver().AbsolutePositionForObject(r)
			return pos.Y + r.Size().Height
		}
	}
	return -1
}

func listBottom(c *chatView) float32 {
	return fyne.CurrentApp().Driver().AbsolutePositionForObject(c.list).Y + c.list.Size().Height
}

// shownText reports whether a rendered row of the list shows s.
func shownText(list *widget.List, s string) bool {
	for _, o := range test.LaidOutObjects(list) {
		switch o := o.(type) {
		case *widget.Label:
			if strings.Contains(o.Text, s) && o.Visible() {
				return true
			}
		case interface{ MinSize() fyne.Size }:
			if r, ok := o.(*messageRow); ok && r.shown.author == s {
				return true
			}
		}
	}
	return false
}

func TestScrollingToTopLoadsOlderPageWithoutJumping(t *testing.T) {
	env := devservertest.Shared(t)
	a := test.NewTempApp(t)
	th := newUIThread()
	u := New(a, Config{Server: env.URL, Dispatch: th.dispatch, Logger: quiet(), Session: realtime.Config{PageSize: 20}})
	u.Window().Resize(fyne.NewSize(480, 640))
	u.Window().Show()
	t.Cleanup(func() { endSession(t, u, th) })

	// Enough history for several pages.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	kevin, err := realtime.Connect(ctx, realtime.Config{Server: env.URL, Logger: quiet()},
		realtime.Credentials{Email: env.Users[1].Email, Password: env.Users[1].Password})
	if err != nil {
		t.Fatal(err)
	}
	general := generalOf(t, kevin)
	delivered := 0
	var last string
	for i := range 45 {
		last = fmt.Sprintf("history line %d %d", i, time.Now().UnixNano())
		kevin.SendIn(general, last)
	}
	for delivered < 45 {
		for _, ev := range <-kevin.Events() {
			if s, ok := ev.(realtime.SendStatus); ok {
				switch s.State {
				case realtime.SendDelivered:
					delivered++
				case realtime.SendFailed:
					t.Fatalf("Kevin's history message not sent: %v", s.Err)
				}
			}
		}
	}
	go func() {
		for range kevin.Events() {
		}
	}()
	defer kevin.Close()

	signIn(t, u, th, env.Users[0].Email, env.Users[0].Password)
	c := u.chat
	th.until(t, 10*time.Second, "the newest page", func() bool { return c.tl.Len() >= 20 && rowWith(c, last) >= 0 })
	before := c.tl.Len()
	c.list.ScrollToTop()
	c.list.Refresh() // lays out the rows now in view, as a frame would
	th.until(t, 10*time.Second, "an older page", func() bool { return c.tl.Len() > before })
	if off := c.list.GetScrollOffset(); off <= 0 {
		t.Errorf("scroll offset after the older page = %v: the view jumped to the new top", off)
	}
}

// otherClient signs in demo user i from a second, headless client whose
// events are drained; it writes into setup's general channel.
func otherClient(t *testing.T, env *devservertest.Env, i int) *peer {
	t.Helper()
	s := connectAs(t, env, i)
	p := &peer{s: s, general: generalOf(t, s)}
	go func() {
		for range s.Events() {
		}
	}()
	return p
}

// peer is another user's headless client.
type peer struct {
	s       *realtime.Session
	general string
}

// Send writes text into the general channel (or the single room).
func (p *peer) Send(text string) realtime.Message { return p.s.SendIn(p.general, text) }

// generalOf reads a fresh session's events until it knows setup's general
// channel; "" on a server without channels.
func generalOf(t *testing.T, s *realtime.Session) string {
	t.Helper()
	if !s.Permissions().Channels {
		return ""
	}
	deadline := time.After(10 * time.Second)
	for {
		select {
		case batch := <-s.Events():
			for _, ev := range batch {
				if ch, ok := ev.(realtime.ChannelsChanged); ok {
					for _, c := range ch.Channels {
						if c.Name == "general" {
							return c.ID
						}
					}
				}
			}
		case <-deadline:
			t.Fatal("no general channel in 10 s")
		}
	}
}

// connectAs signs in demo user i from a second, headless client, closed
// when the test ends.
func connectAs(t *testing.T, env *devservertest.Env, i int) *realtime.Session {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := realtime.Connect(ctx, realtime.Config{Server: env.URL, Logger: quiet()},
		realtime.Credentials{Email: env.Users[i].Email, Password: env.Users[i].Password})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}
