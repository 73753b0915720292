package ui

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"directuschat/devserver/devservertest"
	"directuschat/realtime"
	"directuschat/remember"
	"directuschat/store"
	"directuschat/timeline"
)

// overlayTexts are the label texts of the dialogs over the window.
func overlayTexts(w fyne.Window) []string {
	var out []string
	for _, o := range w.Canvas().Overlays().List() {
		for _, obj := range test.LaidOutObjects(o) {
			if l, ok := obj.(*widget.Label); ok && l.Visible() {
				out = append(out, l.Text)
			}
		}
	}
	return out
}

// countOverlayText counts the dialog labels over the window that contain s.
func countOverlayText(w fyne.Window, s string) int {
	n := 0
	for _, t := range overlayTexts(w) {
		if strings.Contains(t, s) {
			n++
		}
	}
	return n
}

// tapOverlayButton taps the dialog button labelled text.
func tapOverlayButton(t *testing.T, w fyne.Window, text string) {
	t.Helper()
	for _, o := range w.Canvas().Overlays().List() {
		for _, obj := range test.LaidOutObjects(o) {
			if b, ok := obj.(*widget.Button); ok && b.Text == text && b.Visible() {
				test.Tap(b)
				return
			}
		}
	}
	t.Fatalf("no %q button in a dialog (texts: %q)", text, overlayTexts(w))
}

// A state file cut in half (as a crash or a full disk leaves it) no
// longer crashes the app: it is set aside and the window says so, once.
func TestDamagedStateFileIsSetAsideAndSaidOnceAtStart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	db, err := store.Open(path, quiet())
	if err != nil {
		t.Fatal(err)
	}
	ob := db.Outbox("http://127.0.0.1:1", "u-ada")
	for i := range 300 {
		m := realtime.Message{ID: fmt.Sprintf("m%03d", i), Text: strings.Repeat("unsent ", 60), Created: time.Now()}
		if err := ob.Put(m); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data[:len(data)/2], 0o600); err != nil {
		t.Fatal(err)
	}

	db, err = store.Open(path, quiet()) // panicked before: "invalid freelist page"
	if err != nil {
		t.Fatalf("open the damaged state file: %v", err)
	}
	defer db.Close()
	th := newUIThread()
	u := New(test.NewTempApp(t), Config{Dispatch: th.dispatch, Logger: quiet(), Damage: []DamageSource{db}})
	u.Window().Show()
	const sentence = "Your local data file was damaged and has been set aside"
	th.until(t, 5*time.Second, "the damage said in the window", func() bool { return countOverlayText(u.Window(), sentence) > 0 })
	// Whatever else is queued for the UI thread runs: still said once.
	for len(th.fns) > 0 {
		(<-th.fns)()
	}
	if n := countOverlayText(u.Window(), sentence); n != 1 {
		t.Fatalf("the damage is said %d times, want once: %q", n, overlayTexts(u.Window()))
	}
	aside, _ := filepath.Glob(path + ".corrupt-*")
	if len(aside) != 1 || countOverlayText(u.Window(), aside[0]) != 1 {
		t.Errorf("the sentence does not say where the file went (%v): %q", aside, overlayTexts(u.Window()))
	}
	if msgs, err := db.Outbox("http://127.0.0.1:1", "u-ada").Load(); err != nil {
		t.Errorf("the new state file does not work: %v (%d messages)", err, len(msgs))
	}
}

// failingOutbox is the real outbox whose writes fail while fail is set,
// as on a full disk.
type failingOutbox struct {
	*store.Outbox
	fail *atomic.Bool
}

func (f failingOutbox) Put(m realtime.Message) error {
	if f.fail.Load() {
		return errors.New("write state.db: no space left on device")
	}
	return f.Outbox.Put(m)
}

// offlineChat shows the chat of a remembered session whose server does not
// answer (a closed port), so what is typed stays unsent; its outbox is
// the real one in db, with writes failing while fail is set.
func offlineChat(t *testing.T, db *store.DB, fail *atomic.Bool) (*App, *uiThread) {
	t.Helper()
	th := newUIThread()
	u := New(test.NewTempApp(t), Config{Dispatch: th.dispatch, Logger: quiet()})
	u.Window().Resize(fyne.NewSize(480, 640))
	u.Window().Show()
	cfg := realtime.Config{Server: "http://127.0.0.1:1", Logger: quiet(),
		Outbox: func(server *url.URL, user realtime.User) (realtime.OutboxStore, error) {
			return failingOutbox{db.Outbox(server.String(), user.ID), fail}, nil
		}}
	s, err := realtime.Open(cfg, realtime.Remembered{RefreshToken: "unused", User: realtime.User{ID: "u-ada", FirstName: "Ada"}})
	if err != nil {
		t.Fatal(err)
	}
	u.showChat(s, account{server: "http://127.0.0.1:1", email: "ada@example.com"}, true)
	t.Cleanup(func() { endSession(t, u, th) })
	return u, th
}

func metaOf(c *chatView, text string) string {
	i := rowWith(c, text)
	if i < 0 {
		return ""
	}
	m, _ := localMeta(c.tl.At(i), "")
	return m
}

func TestSendingShowsOnlyOnceOnDiskAndQuitWarns(t *testing.T) {
	db, err := store.Open(filepath.Join(t.TempDir(), "state.db"), quiet())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var fail atomic.Bool
	u, th := offlineChat(t, db, &fail)
	c := u.chat

	kept := "kept " + time.Now().Format(time.RFC3339Nano)
	c.composer.SetText(kept)
	pressEnter(c.composer)
	if got := metaOf(c, kept); got != metaSaving {
		t.Fatalf("before the outbox write the row says %q, want %q", got, metaSaving)
	}
	th.until(t, 5*time.Second, "the row saying sending…", func() bool { return metaOf(c, kept) == metaSending })
	onDisk, err := db.Outbox("http://127.0.0.1:1", "u-ada").Load()
	if err != nil || len(onDisk) != 1 || onDisk[0].Text != kept {
		t.Fatalf("outbox file = %v, %v; want the message shown as sending", onDisk, err)
	}

	fail.Store(true) // the disk is full
	lost := "lost " + time.Now().Format(time.RFC3339Nano)
	c.composer.SetText(lost)
	pressEnter(c.composer)
	th.until(t, 5*time.Second, "the row saying it is not saved", func() bool { return metaOf(c, lost) == metaNotSaved })

	// Quitting asks first and says what happens to each.
	u.quit()
	want := "1 message is not sent and not saved: it will be lost if you quit. 1 other message will be sent the next time you sign in."
	if countOverlayText(u.Window(), want) != 1 {
		t.Fatalf("quit with unsent messages shows %q, want %q", overlayTexts(u.Window()), want)
	}
	select {
	case <-c.session.Done():
		t.Fatal("the app quit without asking")
	default:
	}
	tapOverlayButton(t, u.Window(), "Cancel")
	if u.chat != c {
		t.Fatal("Cancel did not keep the chat")
	}

	// The disk has room again: the next write saves the earlier one too.
	fail.Store(false)
	c.composer.SetText("after " + kept)
	pressEnter(c.composer)
	th.until(t, 5*time.Second, "both rows saying sending…", func() bool {
		return metaOf(c, lost) == metaSending && metaOf(c, "after "+kept) == metaSending
	})
	u.quit()
	want = "3 messages are not sent yet. They will be sent the next time you sign in."
	if countOverlayText(u.Window(), want) != 1 {
		t.Fatalf("quit shows %q, want %q", overlayTexts(u.Window()), want)
	}
	tapOverlayButton(t, u.Window(), "Quit")
	select {
	case <-c.session.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("Quit did not end the session")
	}
	onDisk, err = db.Outbox("http://127.0.0.1:1", "u-ada").Load()
	if err != nil || len(onDisk) != 3 {
		t.Fatalf("outbox after quit = %d messages, %v; want 3", len(onDisk), err)
	}
}

// gate holds every REST request until it is opened.
type gate struct {
	open chan struct{}
	next http.RoundTripper
}

func (g gate) RoundTrip(r *http.Request) (*http.Response, error) {
	select {
	case <-g.open:
	case <-r.Context().Done():
		return nil, r.Context().Err()
	}
	return g.next.RoundTrip(r)
}

// recordingOutbox is the real outbox, noting what was written.
type recordingOutbox struct {
	*store.Outbox
	mu  *sync.Mutex
	put *[]string
}

func (r recordingOutbox) Put(m realtime.Message) error {
	err := r.Outbox.Put(m)
	if err == nil {
		r.mu.Lock()
		*r.put = append(*r.put, m.ID)
		r.mu.Unlock()
	}
	return err
}

// A remembered session without a cached user opens its outbox only once
// the server says who the user is: what is typed before is shown as not
// saved, and written to the outbox as soon as it opens.
func TestTypedBeforeTheOutboxOpensIsWrittenWhenItOpens(t *testing.T) {
	env := devservertest.Shared(t)
	base, _ := realtime.ParseServerURL(env.URL)
	ada := env.Users[0]
	tok, err := realtime.NewREST(base, nil).Login(context.Background(), ada.Email, ada.Password, "")
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(filepath.Join(t.TempDir(), "state.db"), quiet())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var mu sync.Mutex
	var put []string
	g := gate{open: make(chan struct{}), next: http.DefaultTransport}
	cfg := realtime.Config{Server: env.URL, Logger: quiet(), HTTPClient: &http.Client{Transport: g, Timeout: time.Minute},
		Outbox: func(server *url.URL, user realtime.User) (realtime.OutboxStore, error) {
			return recordingOutbox{db.Outbox(server.String(), user.ID), &mu, &put}, nil
		}}
	th := newUIThread()
	u := New(test.NewTempApp(t), Config{Dispatch: th.dispatch, Logger: quiet()})
	u.Window().Show()
	s, err := realtime.Open(cfg, realtime.Remembered{RefreshToken: tok.Refresh})
	if err != nil {
		t.Fatal(err)
	}
	u.showChat(s, account{server: base.String(), email: ada.Email}, true)
	t.Cleanup(func() { endSession(t, u, th) })
	c := u.chat

	early := "typed before the outbox opened " + time.Now().Format(time.RFC3339Nano)
	c.composer.SetText(early)
	pressEnter(c.composer)
	th.until(t, 5*time.Second, "the row saying it is not saved yet", func() bool { return metaOf(c, early) == metaNotSaved })
	if w := quitWarning(c.unsent()); !strings.Contains(w, "will be lost if you quit") {
		t.Errorf("quit warning while not saved = %q", w)
	}

	close(g.open) // the server answers: the user is known, the outbox opens
	th.until(t, 30*time.Second, "the message delivered", func() bool {
		i := rowWith(c, early)
		return i >= 0 && c.tl.At(i).Status == timeline.Sent
	})
	mu.Lock()
	defer mu.Unlock()
	id := c.tl.At(rowWith(c, early)).ID
	if len(put) == 0 || put[0] != id {
		t.Fatalf("outbox writes = %v, want the early message %s written once the outbox opened", put, id)
	}
}

// cacheHolds reports whether any file in dir holds text in its raw bytes.
func cacheHolds(t *testing.T, dir, text string) []string {
	t.Helper()
	var hits []string
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err == nil && bytes.Contains(b, []byte(text)) {
			hits = append(hits, e.Name())
		}
	}
	return hits
}

func TestRememberedCacheLeavesNoTextAfterLogout(t *testing.T) {
	env := devservertest.Shared(t)
	dir := t.TempDir()
	caches, err := store.OpenCacheDir(dir, quiet())
	if err != nil {
		t.Fatal(err)
	}
	keys := remember.NewWithBackend(newMemKeyring(), keyringTimeout)
	u, th := newDesktopApp(t, test.NewTempApp(t), env.URL, keys, nil, func(c *Config) {
		c.Cache = func(server, email string) HistoryCache { return caches.Cache(server, email) }
	})
	u.login.remember.SetChecked(true)
	signIn(t, u, th, env.Users[2].Email, env.Users[2].Password)
	c := u.chat
	secret := "cached text " + time.Now().Format(time.RFC3339Nano)
	c.composer.SetText(secret)
	pressEnter(c.composer)
	th.until(t, 10*time.Second, "delivered", func() bool {
		i := rowWith(c, secret)
		return i >= 0 && c.tl.At(i).Status == timeline.Sent
	})
	u.saveCache()
	u.flushBackground()
	if hits := cacheHolds(t, dir, secret); len(hits) == 0 {
		t.Fatal("the remembered session's cache does not hold its messages: the check below would prove nothing")
	}
	u.logout()
	th.until(t, 10*time.Second, "the login form", func() bool { return u.login != nil })
	u.flushBackground()
	if hits := cacheHolds(t, dir, secret); len(hits) > 0 {
		t.Fatalf("after log out the text is still readable in %v", hits)
	}
}

func TestSessionNotRememberedKeepsNoCache(t *testing.T) {
	env := devservertest.Shared(t)
	dir := t.TempDir()
	caches, err := store.OpenCacheDir(dir, quiet())
	if err != nil {
		t.Fatal(err)
	}
	kevin := env.Users[1]
	server, _ := realtime.ParseServerURL(env.URL)
	// Left by an earlier, remembered run.
	old := "from a remembered run " + time.Now().Format(time.RFC3339Nano)
	if err := caches.Cache(server.String(), kevin.Email).Save(realtime.User{ID: "x"}, []realtime.Message{{ID: "old", Text: old, Created: time.Now()}}); err != nil {
		t.Fatal(err)
	}
	a := test.NewTempApp(t)
	a.Preferences().SetBool(prefRemember, true)
	keys := remember.NewWithBackend(newMemKeyring(), keyringTimeout)
	u, th := newDesktopApp(t, a, env.URL, keys, nil, func(c *Config) {
		c.Cache = func(server, email string) HistoryCache { return caches.Cache(server, email) }
	})
	u.login.remember.SetChecked(false)
	signIn(t, u, th, kevin.Email, kevin.Password)
	c := u.chat
	text := "not remembered " + time.Now().Format(time.RFC3339Nano)
	c.composer.SetText(text)
	pressEnter(c.composer)
	th.until(t, 10*time.Second, "delivered", func() bool {
		i := rowWith(c, text)
		return i >= 0 && c.tl.At(i).Status == timeline.Sent
	})
	u.saveCache() // as at closing to the tray, or quitting
	u.flushBackground()
	for _, s := range []string{old, text} {
		if hits := cacheHolds(t, dir, s); len(hits) > 0 {
			t.Errorf("a session not remembered left %q on disk in %v", s, hits)
		}
	}
}

// The server ends a remembered session (its token no longer works): the
// cached history goes with it.
func TestServerEndedSessionDeletesTheCache(t *testing.T) {
	env := devservertest.Shared(t)
	dir := t.TempDir()
	caches, err := store.OpenCacheDir(dir, quiet())
	if err != nil {
		t.Fatal(err)
	}
	grace := env.Users[2]
	base, _ := realtime.ParseServerURL(env.URL)
	rest := realtime.NewREST(base, nil)
	tok, err := rest.Login(context.Background(), grace.Email, grace.Password, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := rest.Logout(context.Background(), tok.Refresh); err != nil { // ended elsewhere
		t.Fatal(err)
	}
	kr := newMemKeyring()
	if err := kr.Set(remember.Service, remember.Key(base.String(), grace.Email), tok.Refresh); err != nil {
		t.Fatal(err)
	}
	text := "cached before the server ended it " + time.Now().Format(time.RFC3339Nano)
	if err := caches.Cache(base.String(), grace.Email).Save(realtime.User{ID: "g", FirstName: "Grace"}, []realtime.Message{{ID: "c1", Text: text, Created: time.Now()}}); err != nil {
		t.Fatal(err)
	}
	a := test.NewTempApp(t)
	p := a.Preferences()
	p.SetBool(prefRemember, true)
	p.SetString(prefServer, base.String())
	p.SetString(prefEmail, grace.Email)
	u, th := newDesktopApp(t, a, "", remember.NewWithBackend(kr, keyringTimeout), nil, func(c *Config) {
		c.Cache = func(server, email string) HistoryCache { return caches.Cache(server, email) }
	})
	th.until(t, 10*time.Second, "the cached chat", func() bool { return u.chat != nil && rowWith(u.chat, text) >= 0 })
	th.until(t, 30*time.Second, "signed out by the server", func() bool { return u.login != nil && !u.login.busy && u.chat == nil })
	u.flushBackground()
	if hits := cacheHolds(t, dir, text); len(hits) > 0 {
		t.Fatalf("the server ended the session but its text is still readable in %v (notice: %q)", hits, u.login.status.Text)
	}
}

// Drafts of conversations come back after a restart of a remembered session.
func TestDraftsOfConversationsSurviveARestart(t *testing.T) {
	env := devservertest.Shared(t)
	dir := t.TempDir()
	caches, err := store.OpenCacheDir(dir, quiet())
	if err != nil {
		t.Fatal(err)
	}
	keys := remember.NewWithBackend(newMemKeyring(), keyringTimeout)
	withCache := func(c *Config) {
		c.Cache = func(server, email string) HistoryCache { return caches.Cache(server, email) }
	}
	first := test.NewTempApp(t)
	u, th := newDesktopApp(t, first, env.URL, keys, nil, withCache)
	u.login.remember.SetChecked(true)
	signIn(t, u, th, env.Users[1].Email, env.Users[1].Password)
	c := u.chat
	th.until(t, 10*time.Second, "random in the sidebar", func() bool { _, ok := rowNamed(c, "random"); return ok })
	general, _ := rowNamed(c, "general")
	random, _ := rowNamed(c, "random")
	th.until(t, 10*time.Second, "general open", func() bool { return c.ch.open == general.ID })
	c.composer.SetText("draft for general")
	c.switchTo(random.ID)
	c.composer.SetText("draft for random")
	c.switchTo(general.ID)
	// general may hold no message yet (a fresh Directus): its draft is
	// kept all the same.
	u.saveCache()
	u.flushBackground()
	endSession(t, u, th)

	second := test.NewTempApp(t)
	p := second.Preferences()
	p.SetBool(prefRemember, true)
	p.SetString(prefServer, c.session.Server().String())
	p.SetString(prefEmail, env.Users[1].Email)
	u2, th2 := newDesktopApp(t, second, "", keys, nil, withCache)
	th2.until(t, 20*time.Second, "the remembered chat, online, in general", func() bool {
		return u2.chat != nil && u2.chat.channelsOn() && u2.chat.ch.open == general.ID
	})
	if got := u2.chat.composer.Text; got != "draft for general" {
		t.Errorf("general's draft after a restart = %q", got)
	}
	u2.chat.switchTo(random.ID)
	if got := u2.chat.composer.Text; got != "draft for random" {
		t.Errorf("random's draft after a restart = %q", got)
	}
}
