package ui

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
	"github.com/google/uuid"

	"directuschat/devserver/devservertest"
	"directuschat/provision"
	"directuschat/realtime"
	"directuschat/timeline"
)

// The composer sends at most MaxMessageChars characters: it counts near
// the limit, says why over it, and Enter then keeps the text.
func TestComposerCapsMessageLength(t *testing.T) {
	test.NewTempApp(t)
	var sent []string
	c := newComposer(func(s string) { sent = append(sent, s) })
	w := test.NewTempWindow(t, c)
	w.Resize(fyne.NewSize(480, 200))

	c.SetText("hello")
	if c.hint.Visible() {
		t.Errorf("hint shown for a short message: %q", c.hint.Text)
	}
	c.SetText(strings.Repeat("a", composerHintFrom))
	if !c.hint.Visible() || c.hint.Text != "3,600 / 4,000 characters" {
		t.Errorf("near the limit: hint %q (visible %v), want the count", c.hint.Text, c.hint.Visible())
	}

	over := strings.Repeat("é", MaxMessageChars) + "!"
	c.SetText(over)
	if !c.hint.Visible() || !strings.Contains(c.hint.Text, "4,001 / 4,000 characters: too long to send") {
		t.Errorf("over the limit: hint %q (visible %v)", c.hint.Text, c.hint.Visible())
	}
	pressEnter(c)
	c.send() // the send button
	if len(sent) != 0 {
		t.Fatalf("an over-long message was sent (%d runes)", utf8.RuneCountInString(sent[0]))
	}
	if c.Text != over {
		t.Fatal("Enter on an over-long message changed what was typed")
	}

	// A paste that would make the text far too long is refused, not cut:
	// the clipboard keeps it, and what was typed stays.
	clip := fyne.CurrentApp().Clipboard()
	c.SetText("typed ")
	clip.SetContent(strings.Repeat("lorem ipsum ", 100<<10/12))
	c.TypedShortcut(&fyne.ShortcutPaste{Clipboard: clip})
	if c.Text != "typed " {
		t.Fatalf("a 100 KB paste went into the composer (%d runes)", utf8.RuneCountInString(c.Text))
	}
	if !c.hint.Visible() || !strings.HasPrefix(c.hint.Text, "Not pasted: the clipboard holds 102,396 characters") {
		t.Errorf("after a refused paste the hint is %q (visible %v)", c.hint.Text, c.hint.Visible())
	}
	clip.SetContent("pasted")
	c.TypedShortcut(&fyne.ShortcutPaste{Clipboard: clip})
	if c.Text != "pastedtyped " { // at the cursor, which SetText left at the start
		t.Errorf("a short paste gave %q", c.Text)
	}

	limit := strings.Repeat("😀", MaxMessageChars) // whitespace around it does not count
	c.SetText("  " + limit + "\n")
	pressEnter(c)
	if len(sent) != 1 || sent[0] != limit {
		t.Fatalf("a message of exactly %d characters was not sent", MaxMessageChars)
	}
	if c.Text != "" || c.hint.Visible() {
		t.Errorf("after sending: entry %d runes, hint %q visible %v", utf8.RuneCountInString(c.Text), c.hint.Text, c.hint.Visible())
	}
}

// postLongAsKevin stores text as Kevin over REST on a server whose length
// check is lifted for the moment (as on a server set up before it
// existed), and removes the message when the test ends.
func postLongAsKevin(t testing.TB, url, adminEmail, adminPassword string, kevin provision.DemoUser, text string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	base, _ := realtime.ParseServerURL(url)
	rest := realtime.NewREST(base, nil)
	admin, err := rest.Login(ctx, adminEmail, adminPassword, "")
	if err != nil {
		t.Fatal(err)
	}
	kevinTok, err := rest.Login(ctx, kevin.Email, kevin.Password, "")
	if err != nil {
		t.Fatal(err)
	}
	do := func(token, method, path string, body any) int {
		b, _ := json.Marshal(body)
		req, _ := http.NewRequestWithContext(ctx, method, url+path, bytes.NewReader(b))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	setCheck := func(v any) {
		if st := do(admin.Access, http.MethodPatch, "/fields/messages/text", map[string]any{"meta": map[string]any{"validation": v}}); st != http.StatusOK {
			t.Fatalf("set the length check of messages.text: HTTP %d", st)
		}
	}
	general := devservertest.GeneralChannel(t, url, kevinTok.Access) // where the app opens
	setCheck(nil)
	id := uuid.NewString()
	st := do(kevinTok.Access, http.MethodPost, "/items/messages", map[string]any{"id": id, "text": text, "channel": general})
	setCheck(provision.TextValidation())
	if st != http.StatusOK {
		t.Fatalf("Kevin posts %d bytes: HTTP %d", len(text), st)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodDelete, url+"/items/messages/"+id, nil)
		req.Header.Set("Authorization", "Bearer "+admin.Access)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
	})
	return id
}

// drain runs the work dispatched to the UI thread so far.
func (u *uiThread) drain() {
	for {
		select {
		case fn := <-u.fns:
			fn()
		default:
			return
		}
	}
}

// rowOf is the shown row showing message id, or nil. It walks the list
// as the window laid it out (test.LaidOutObjects would lay the list out at
// its minimum size first, sending rows back to the list's pool and making
// new ones: a row's pictures would never stay long enough to load).
func rowOf(c *chatView, id string) *messageRow {
	if c.tl.Index(id) < 0 {
		return nil
	}
	for _, o := range objectsIn(c.list) {
		if r, ok := o.(*messageRow); ok && r.parts != nil && r.Visible() && r.id == id {
			return r
		}
	}
	return nil
}

// A 100 KB message from another user arrives folded: the row holds and is
// measured from a bounded text; Show more expands it to a bounded text in
// bounded labels, Copy all copies the whole, Show less folds it again.
func TestLongMessageFromOtherUserIsFolded(t *testing.T) {
	env := devservertest.Shared(t)
	u, th := newTestApp(t, env.URL)
	signIn(t, u, th, env.Users[0].Email, env.Users[0].Password)
	c := u.chat

	text := uuid.NewString() + " " + strings.Repeat("lorem ipsum dolor sit amet ", 100<<10/27)
	id := postLongAsKevin(t, env.URL, env.AdminEmail, env.AdminPassword, env.Users[1], text)
	var r *messageRow
	th.until(t, 20*time.Second, "Kevin's long message in the list", func() bool { r = rowOf(c, id); return r != nil })

	if r.shown.fold != foldFolded {
		t.Fatalf("the row's fold state is %v, want folded", r.shown.fold)
	}
	labels := rowTexts(r)
	if len(labels) != 1 || utf8.RuneCountInString(labels[0]) > foldChars+2 || lines(labels[0]) > foldLines {
		t.Fatalf("folded row shows %d labels, the first of %d runes", len(labels), utf8.RuneCountInString(labels[0]))
	}
	index := c.tl.Index(id)
	if h := c.heights.applied[index]; h > 400 {
		t.Errorf("folded row is %v px high", h)
	}
	if !r.parts.toggle.Visible() || r.parts.toggle.Text != "Show more" {
		t.Fatalf("no Show more: %q", r.parts.toggle.Text)
	}

	th.drain() // a scroll to the newest row, dispatched as the row grew on arrival
	test.Tap(r.parts.toggle)
	r = rowOf(c, id)
	if r == nil || r.shown.fold != foldCapped {
		t.Fatal("Show more did not expand the row")
	}
	if !strings.HasSuffix(r.shown.text, " …") {
		t.Error("the expanded text of a longer message does not end with an ellipsis")
	}
	// The reader goes on at the start of the message, not at its end.
	th.drain()
	pad := c.list.Theme().Size(theme.SizeNamePadding)
	if got, want := c.list.GetScrollOffset(), c.heights.rowTop(c.tl.Index(id), pad); got < want-1 || got > want+1 {
		t.Errorf("after Show more the list is scrolled to %v, the message starts at %v", got, want)
	}
	total := 0
	for i, l := range rowTexts(r) {
		if n := utf8.RuneCountInString(l); n > chunkChars || lines(l) > chunkLines {
			t.Fatalf("expanded label %d has %d runes, %d lines", i, n, lines(l))
		}
		total += utf8.RuneCountInString(l)
	}
	if total > expandChars+2 || total < expandChars*9/10 {
		t.Errorf("expanded row shows %d runes, want up to %d", total, expandChars)
	}
	if !r.parts.copyAll.Visible() || r.parts.copyAll.Text != "Copy all "+thousands(utf8.RuneCountInString(text))+" characters" {
		t.Errorf("copy button %q (visible %v)", r.parts.copyAll.Text, r.parts.copyAll.Visible())
	}
	test.Tap(r.parts.copyAll)
	if got := u.fyne.Clipboard().Content(); got != text {
		t.Errorf("clipboard holds %d bytes, want the whole %d", len(got), len(text))
	}

	test.Tap(r.parts.toggle)
	if r = rowOf(c, id); r == nil || r.shown.fold != foldFolded {
		t.Fatal("Show less did not fold the row")
	}
}

// The edit dialog cannot make a message longer than the composer can send:
// Save is disabled and the entry says why.
func TestEditCannotMakeMessageOverlong(t *testing.T) {
	env := devservertest.Shared(t)
	u, th := newTestApp(t, env.URL)
	signIn(t, u, th, env.Users[0].Email, env.Users[0].Password)
	c := u.chat
	c.composer.SetText("to be edited " + uuid.NewString())
	text := strings.TrimSpace(c.composer.Text)
	pressEnter(c.composer)
	th.until(t, 10*time.Second, "the message stored", func() bool {
		i := rowWith(c, text)
		return i >= 0 && c.tl.At(i).Status == timeline.Sent
	})
	c.editMessage(c.tl.At(rowWith(c, text)))

	var entry *widget.Entry
	var save *widget.Button
	for _, o := range test.LaidOutObjects(u.win.Canvas().Overlays().Top()) {
		switch o := o.(type) {
		case *widget.Entry:
			if o.MultiLine {
				entry = o
			}
		case *widget.Button:
			if o.Text == "Save" {
				save = o
			}
		}
	}
	if entry == nil || save == nil {
		t.Fatal("no entry or Save button in the edit dialog")
	}
	test.Type(entry, "x")
	if save.Disabled() {
		t.Fatal("Save is disabled for a short text")
	}
	entry.SetText(strings.Repeat("y", MaxMessageChars+1))
	if !save.Disabled() {
		t.Error("Save is enabled for a text over the limit")
	}
	if err := entry.Validate(); err == nil || !strings.Contains(err.Error(), "4,001 characters: at most 4,000") {
		t.Errorf("the entry's error is %v", err)
	}
}
