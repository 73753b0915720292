package ui

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"github.com/google/uuid"

	"directuschat/devserver/devservertest"
	"directuschat/provision"
	"directuschat/realtime"
)

// postAs stores text in general as user over REST and removes it when the
// test ends.
func postAs(t *testing.T, env *devservertest.Env, user provision.DemoUser, text string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	base, _ := realtime.ParseServerURL(env.URL)
	rest := realtime.NewREST(base, nil)
	tok, err := rest.Login(ctx, user.Email, user.Password, "")
	if err != nil {
		t.Fatal(err)
	}
	id := uuid.NewString()
	body, _ := json.Marshal(map[string]any{"id": id, "text": text, "channel": devservertest.GeneralChannel(t, env.URL, tok.Access)})
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, env.URL+"/items/messages", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+tok.Access)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s posts %q: HTTP %d", user.FirstName, text, resp.StatusCode)
	}
	t.Cleanup(func() { deleteAsAdmin(t, env, id) })
	return id
}

// objectsIn are the objects drawn under o (through widgets' renderers).
func objectsIn(o fyne.CanvasObject) []fyne.CanvasObject {
	var out []fyne.CanvasObject
	var walk func(o fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		if !o.Visible() {
			return
		}
		out = append(out, o)
		switch x := o.(type) {
		case *fyne.Container:
			for _, c := range x.Objects {
				walk(c)
			}
		case fyne.Widget:
			for _, c := range test.WidgetRenderer(x).Objects() {
				walk(c)
			}
		}
	}
	walk(o)
	return out
}

func linkHits(r *messageRow) []*linkHit {
	var out []*linkHit
	for _, o := range objectsIn(r) {
		if h, ok := o.(*linkHit); ok {
			out = append(out, h)
		}
	}
	return out
}

func drawnText(r *messageRow) string {
	var b strings.Builder
	for _, tx := range textsIn(r) {
		b.WriteString(tx.Text)
		b.WriteByte('|')
	}
	return b.String()
}

// Kevin writes formatted messages, a deceptive link and a hostile one; Ada
// sees them drawn rich, her mention by name and highlighted, Kevin's
// messages under one header; a link opens in the browser, the deceptive
// one only after a dialog that shows where it goes, the hostile one is
// text; the row menu shows the full date and copies the text as typed,
// with her name; a code block's Copy copies the code; rows are as high as
// predicted.
func TestRichMessagesFromAnotherUser(t *testing.T) {
	env := devservertest.Shared(t)
	u, th := newTestApp(t, env.URL)
	u.fyne.Settings().SetTheme(theme.DefaultTheme())
	signIn(t, u, th, env.Users[0].Email, env.Users[0].Password)
	c := u.chat
	var opened []string
	c.host.openURL = func(u *url.URL) error { opened = append(opened, u.String()); return nil }
	ada := c.session.User().ID
	kevin := env.Users[1]

	first := "Deploy **failed** on `staging`, see [the log](https://ci.example.com/job/1), <@" + ada + ">:\n```\nexit status 1\n```"
	second := "[https://bank.example](https://evil.example/login) is the bank"
	third := "[click me](javascript:alert(1)) is *harmless*"
	ids := []string{postAs(t, env, kevin, first), postAs(t, env, kevin, second), postAs(t, env, kevin, third)}
	rows := make([]*messageRow, 3)
	th.until(t, 20*time.Second, "Kevin's three messages shown", func() bool {
		for i, id := range ids {
			if rows[i] = rowOf(c, id); rows[i] == nil {
				return false
			}
		}
		return true
	})
	th.drain()
	for i, id := range ids {
		rows[i] = rowOf(c, id)
	}

	// Drawn rich: styles, the mention by name, highlighted.
	r := rows[0]
	if r.shown.body == nil {
		t.Fatalf("the formatted message is drawn as plain text %q", r.shown.text)
	}
	name, _ := c.ch.personName(ada)
	drawn := drawnText(r)
	for _, want := range []string{"failed", "staging", "the log", "@" + name, "exit status 1"} {
		if !strings.Contains(drawn, want) {
			t.Errorf("row draws %q, without %q", drawn, want)
		}
	}
	for _, tx := range textsIn(r) {
		if tx.Text == "@"+name && tx.Color != theme.Color(theme.ColorNamePrimary) {
			t.Errorf("the mention of Ada is drawn in %v", tx.Color)
		}
		if strings.Contains(tx.Text, "**") || strings.Contains(tx.Text, "<@") {
			t.Errorf("markup shows as typed: %q", tx.Text)
		}
	}
	if !r.shown.mentionsMe || r.shown.grouped {
		t.Errorf("the message mentioning Ada: mentions me %v, grouped %v", r.shown.mentionsMe, r.shown.grouped)
	}
	// One header for Kevin's three messages.
	for i, r := range rows[1:] {
		if !r.shown.grouped || r.parts.header.Visible() {
			t.Errorf("Kevin's message %d has a header of its own", i+2)
		}
	}

	// A plain link opens at once.
	hits := linkHits(rows[0])
	if len(hits) != 1 {
		t.Fatalf("%d link areas in the first message", len(hits))
	}
	// Over a link, the status line says where it goes, then what it said.
	before := c.status.Text
	hits[0].MouseIn(nil)
	if c.status.Text != linkHoverPrefix+"https://ci.example.com/job/1" {
		t.Errorf("over the link the status line says %q", c.status.Text)
	}
	hits[0].MouseOut()
	if c.status.Text != before {
		t.Errorf("after the link the status line says %q, not %q again", c.status.Text, before)
	}
	test.Tap(hits[0])
	if len(opened) != 1 || opened[0] != "https://ci.example.com/job/1" {
		t.Fatalf("opened %q", opened)
	}
	// A link whose text names another address asks first, showing the
	// real target.
	hits = linkHits(rows[1])
	if len(hits) != 1 || !hits[0].link.deceptive {
		t.Fatalf("the deceptive link: %d areas", len(hits))
	}
	test.Tap(hits[0])
	if len(opened) != 1 {
		t.Fatalf("the deceptive link opened without asking: %q", opened)
	}
	if countOverlayText(u.Window(), "https://evil.example/login") != 1 {
		t.Fatalf("the dialog does not show the real target: %q", overlayTexts(u.Window()))
	}
	tapOverlayButton(t, u.Window(), "Open")
	if len(opened) != 2 || opened[1] != "https://evil.example/login" {
		t.Fatalf("opened %q", opened)
	}
	// A javascript: link is text.
	if hits := linkHits(rows[2]); len(hits) != 0 {
		t.Errorf("the javascript: link is tappable")
	}
	if !strings.Contains(drawnText(rows[2]), "click me") {
		t.Errorf("the javascript: link's text is not shown: %q", drawnText(rows[2]))
	}

	// The row menu: the full date and time, and Copy text as typed with
	// Ada's name.
	i := c.tl.Index(ids[0])
	items := c.rowMenu(ids[0], nil)
	if len(items) == 0 || items[0].Label != fullTime(c.tl.At(i).Created) {
		t.Fatalf("menu starts with %+v", items[0])
	}
	var copyItem *fyne.MenuItem
	for _, it := range items {
		if it.Label == "Copy text" {
			copyItem = it
		}
	}
	if copyItem == nil {
		t.Fatal("no Copy text in the menu")
	}
	copyItem.Action()
	if got, want := u.fyne.Clipboard().Content(), strings.ReplaceAll(first, "<@"+ada+">", "@"+name); got != want {
		t.Errorf("Copy text copied %q, want %q", got, want)
	}
	// A secondary tap opens the menu over the window.
	test.TapSecondary(rows[0])
	found := false
	for _, o := range u.Window().Canvas().Overlays().List() {
		for _, obj := range test.LaidOutObjects(o) {
			if tx, ok := obj.(*canvas.Text); ok && tx.Text == fullTime(c.tl.At(i).Created) {
				found = true
			}
		}
	}
	if !found {
		t.Error("a secondary tap on the row shows no menu with the message's date")
	}
	u.Window().Canvas().Overlays().Top().Hide()

	// The code block's Copy button.
	for _, o := range objectsIn(rows[0]) {
		if cv, ok := o.(*codeView); ok {
			test.Tap(cv.copy)
		}
	}
	if got := u.fyne.Clipboard().Content(); got != "exit status 1" {
		t.Errorf("the code block's Copy copied %q", got)
	}

	// Each row is as high as the list was told.
	width := c.list.Size().Width
	for k, id := range ids {
		i := c.tl.Index(id)
		want, ok := c.heights.applied[i]
		if !ok {
			want = c.heights.template
		}
		if got := rows[k].MinSize().Height; got < want-1 || got > want+1 || rows[k].Size().Width != width {
			t.Errorf("message %d: row min height %v (width %v), the list's %v (width %v)", k+1, got, rows[k].Size().Width, want, width)
		}
	}
}

// A link is opened only for http and https with a host, and mailto with
// an address, whatever reached the click.
func TestOpenableURL(t *testing.T) {
	for _, c := range []struct {
		in string
		ok bool
	}{
		{"https://example.com/a?b#c", true},
		{"HTTP://example.com", true},
		{"mailto:bob@example.com", true},
		{"javascript:alert(1)", false},
		{"JavaScript:alert(1)", false},
		{"data:text/html,<script>alert(1)</script>", false},
		{"file:///etc/passwd", false},
		{"/relative", false},
		{"//evil.example", false},
		{"https:evil.example", false},
		{"http://", false},
		{"mailto:", false},
		{"ftp://example.com", false},
		{"https://exa mple.com", false},
		{"https://example.com/%00", true},
		{"https://example.com/\n", false},
	} {
		if _, ok := openableURL(c.in); ok != c.ok {
			t.Errorf("openableURL(%q) = %v, want %v", c.in, ok, c.ok)
		}
	}
}
