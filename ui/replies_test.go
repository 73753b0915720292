package ui

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"github.com/google/uuid"

	"directuschat/devserver/devservertest"
	"directuschat/reactions"
	"directuschat/realtime"
)

// restClient talks to the test server as one user over REST.
type restClient struct {
	t     *testing.T
	url   string
	token string
	user  string // the user's id
}

func restAs(t *testing.T, env *devservertest.Env, email, password string) *restClient {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	base, _ := realtime.ParseServerURL(env.URL)
	rest := realtime.NewREST(base, nil)
	tok, err := rest.Login(ctx, email, password, "")
	if err != nil {
		t.Fatal(err)
	}
	c := &restClient{t: t, url: env.URL, token: tok.Access}
	var me struct {
		Data struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	c.do(http.MethodGet, "/users/me?fields=id", nil, &me)
	c.user = me.Data.ID
	return c
}

func (c *restClient) do(method, path string, body, out any) int {
	c.t.Helper()
	var rd *bytes.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	req, _ := http.NewRequest(method, c.url+path, rd)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil && resp.StatusCode == http.StatusOK {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			c.t.Fatal(err)
		}
	}
	return resp.StatusCode
}

// post stores messages (text, reply_to) in channel in one request and
// removes them, as admin, when the test ends.
func (c *restClient) post(env *devservertest.Env, channel string, msgs ...map[string]any) []string {
	c.t.Helper()
	ids := make([]string, len(msgs))
	for i, m := range msgs {
		ids[i] = uuid.NewString()
		m["id"], m["channel"] = ids[i], channel
	}
	if code := c.do(http.MethodPost, "/items/messages", msgs, nil); code != http.StatusOK && code != http.StatusNoContent {
		c.t.Fatalf("post %d messages: HTTP %d", len(msgs), code)
	}
	c.t.Cleanup(func() {
		admin := restAs(c.t, env, env.AdminEmail, env.AdminPassword)
		admin.do(http.MethodDelete, "/items/messages", ids, nil)
	})
	return ids
}

func (c *restClient) react(message, emoji string) {
	c.t.Helper()
	body := map[string]any{"message": message, "emoji": emoji, "reaction_key": realtime.ReactionKey(message, c.user, emoji)}
	if code := c.do(http.MethodPost, "/items/reactions", body, nil); code != http.StatusOK && code != http.StatusNoContent {
		c.t.Fatalf("react %s: HTTP %d", emoji, code)
	}
}

// reactions counts the reactions with emoji to message on the server.
func (c *restClient) reactions(message, emoji string) int {
	c.t.Helper()
	var out struct {
		Data []struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	c.do(http.MethodGet, fmt.Sprintf("/items/reactions?fields=id&filter[message][_eq]=%s&filter[emoji][_eq]=%s", message, url.QueryEscape(emoji)), nil, &out)
	return len(out.Data)
}

// chipOf is the chip of emoji in row r, or nil.
func chipOf(r *messageRow, emoji string) *chip {
	for _, o := range objectsIn(r) {
		if ch, ok := o.(*chip); ok && ch.emoji == emoji {
			return ch
		}
	}
	return nil
}

func quoteOf(r *messageRow) *quoteLine {
	for _, o := range objectsIn(r) {
		if q, ok := o.(*quoteLine); ok {
			return q
		}
	}
	return nil
}

// Kevin answers a message of his from long ago and reacts to his answer;
// Ada sees the answer with a quote of the original and Kevin's 👍; her
// click on the chip adds her 👍 on the server and a second click takes it
// back; a click on the quote loads older pages until the original is
// there and highlights it; she answers Kevin from the row menu, and the
// server stores her message as a reply; rows are as high as predicted.
func TestRepliesAndReactionsInTheWindow(t *testing.T) {
	env := devservertest.Shared(t)
	kevin := restAs(t, env, env.Users[1].Email, env.Users[1].Password)
	general := devservertest.GeneralChannel(t, env.URL, kevin.token)
	original := "The **original** question, " + uuid.NewString()
	origID := kevin.post(env, general, map[string]any{"text": original})[0]
	// More than a page after it: the original is not in the first page.
	var filler []map[string]any
	for i := range 60 {
		filler = append(filler, map[string]any{"text": fmt.Sprintf("filler %d", i)})
	}
	kevin.post(env, general, filler...)

	u, th := newTestApp(t, env.URL)
	signIn(t, u, th, env.Users[0].Email, env.Users[0].Password)
	c := u.chat
	ada := c.session.User().ID
	if p := c.session.Permissions(); !p.Replies || !p.Reactions {
		t.Fatalf("permissions %+v: no replies or reactions", p)
	}
	answerID := kevin.post(env, general, map[string]any{"text": "the answer", "reply_to": origID})[0]
	kevin.react(answerID, "👍")

	var row *messageRow
	th.until(t, 20*time.Second, "Kevin's answer with its quote and his 👍", func() bool {
		row = rowOf(c, answerID)
		return row != nil && row.shown.quote != "" && chipOf(row, "👍") != nil
	})
	if c.tl.Index(origID) >= 0 {
		t.Fatal("the original is loaded already: the jump would not page")
	}
	if want := "Kevin: The original question, "; !strings.HasPrefix(row.shown.quote, want) {
		t.Errorf("quote line %q, want it to start with %q (plain text, no **)", row.shown.quote, want)
	}
	thumbs := chipOf(row, "👍")
	if thumbs.label != "1" || thumbs.mine {
		t.Errorf("Kevin's 👍: %q mine %v", thumbs.label, thumbs.mine)
	}

	// Hovering says who.
	thumbs.MouseIn(nil)
	if !strings.Contains(c.status.Text, "Kevin") {
		t.Errorf("over the chip the status line says %q", c.status.Text)
	}
	thumbs.MouseOut()

	// Ada's click adds hers, at once and on the server; a second takes it
	// back.
	test.Tap(thumbs)
	th.drain()
	row = rowOf(c, answerID)
	if ch := chipOf(row, "👍"); ch == nil || ch.label != "2" || !ch.mine {
		t.Fatalf("after Ada's click: %+v", ch)
	}
	th.until(t, 10*time.Second, "Ada's 👍 on the server", func() bool { return kevin.reactions(answerID, "👍") == 2 })
	test.Tap(chipOf(rowOf(c, answerID), "👍"))
	th.until(t, 10*time.Second, "Ada's 👍 gone from the server", func() bool { return kevin.reactions(answerID, "👍") == 1 })
	th.until(t, 10*time.Second, "Kevin's 👍 alone in the window", func() bool {
		ch := chipOf(rowOf(c, answerID), "👍")
		return ch != nil && ch.label == "1" && !ch.mine
	})
	// The picker adds one too.
	c.pickReaction(answerID)
	var party *emojiButton
	for _, o := range test.LaidOutObjects(u.Window().Canvas().Overlays().Top()) {
		if b, ok := o.(*emojiButton); ok && b.emoji == "🎉" {
			party = b
		}
	}
	if party == nil {
		t.Fatal("the picker has no 🎉")
	}
	test.Tap(party)
	th.until(t, 10*time.Second, "Ada's 🎉 on the server", func() bool { return kevin.reactions(answerID, "🎉") == 1 })

	// The quote: older pages until the original is there, highlighted.
	test.Tap(quoteOf(rowOf(c, answerID)))
	th.until(t, 20*time.Second, "the original, highlighted", func() bool {
		r := rowOf(c, origID)
		return r != nil && r.shown.highlight
	})

	// Ada answers from the row menu; the server has it as a reply.
	var replyItem *fyne.MenuItem
	for _, it := range c.rowMenu(answerID, nil) {
		if it.Label == "Reply" {
			replyItem = it
		}
	}
	if replyItem == nil {
		t.Fatal("no Reply in the row menu")
	}
	replyItem.Action()
	if !c.reply.box.Visible() || !strings.Contains(c.reply.label.Text, "Kevin: the answer") {
		t.Errorf("reply bar %v %q", c.reply.box.Visible(), c.reply.label.Text)
	}
	text := "my answer " + uuid.NewString()
	c.composer.SetText(text)
	c.composer.send()
	if c.reply.box.Visible() {
		t.Error("the reply bar stays after sending")
	}
	th.until(t, 10*time.Second, "Ada's answer stored as a reply", func() bool {
		var out struct {
			Data []struct {
				ReplyTo string `json:"reply_to"`
			} `json:"data"`
		}
		kevin.do(http.MethodGet, "/items/messages?fields=reply_to&filter[text][_eq]="+url.QueryEscape(text), nil, &out)
		return len(out.Data) == 1 && out.Data[0].ReplyTo == answerID
	})
	var mine string
	th.until(t, 10*time.Second, "Ada's answer shown with its quote", func() bool {
		for i := 0; i < c.tl.Len(); i++ {
			if e := c.tl.At(i); e.Text == text && e.AuthorID == ada {
				mine = e.ID
			}
		}
		r := rowOf(c, mine)
		return r != nil && strings.HasPrefix(r.shown.quote, "Kevin: the answer")
	})
	// Escape in the composer cancels a reply being written.
	c.startReply(c.tl.At(c.tl.Index(answerID)))
	c.composer.TypedKey(&fyne.KeyEvent{Name: fyne.KeyEscape})
	if c.reply.target != nil || c.reply.box.Visible() {
		t.Error("Escape does not cancel the reply")
	}

	// Each row is as high as the list was told.
	th.drain()
	for _, id := range []string{answerID, mine} {
		r := rowOf(c, id)
		if r == nil {
			continue
		}
		i := c.tl.Index(id)
		want, ok := c.heights.applied[i]
		if !ok {
			want = c.heights.template
		}
		if got := r.MinSize().Height; got < want-1 || got > want+1 {
			t.Errorf("row %d: min height %v, the list's %v", i, got, want)
		}
	}
}

// A reaction that is text, or carries a direction override, is not shown.
func TestHostileReactionsAreNotShown(t *testing.T) {
	tl := reactions.New("me")
	tl.Apply([]realtime.Event{realtime.ReactionsChanged{Added: []realtime.Reaction{
		{ID: "1", Message: "m", User: "u", Emoji: "\u202eevil"},
		{ID: "2", Message: "m", User: "u", Emoji: strings.Repeat("😀", 100)},
		{ID: "3", Message: "m", User: "u", Emoji: "👍"},
	}}})
	if chips := tl.Of("m"); len(chips) != 1 || chips[0].Emoji != "👍" {
		t.Errorf("chips %+v", chips)
	}
}
