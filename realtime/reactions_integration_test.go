package realtime_test

import (
	"strings"
	"testing"
	"time"

	"directuschat/reactions"
	"directuschat/realtime"
	"directuschat/timeline"
)

// tally is what the client's reaction events add up to (lock held).
func (c *client) tally() *reactions.Tally {
	t := reactions.New(c.s.User().ID)
	t.Apply(c.events)
	return t
}

// chip returns the chip of emoji under message (lock held).
func (c *client) chip(message, emoji string) reactions.Chip {
	for _, ch := range c.tally().Of(message) {
		if ch.Emoji == emoji {
			return ch
		}
	}
	return reactions.Chip{}
}

func TestRepliesAndReactionsBetweenTwoUsersLive(t *testing.T) {
	env := channelsEnv(t)
	ada, kevin, grace := env.Users[0], env.Users[1], env.Users[2]
	a := connect(t, realtime.Config{Server: env.URL}, ada.Email, ada.Password)
	k := connect(t, realtime.Config{Server: env.URL}, kevin.Email, kevin.Password)
	if p := a.s.Permissions(); !p.Replies || !p.Reactions {
		t.Fatalf("the server set up by setup offers no replies or reactions: %+v", p)
	}

	// Kevin writes; Ada answers it.
	original := unique("**the original** with a long tail " + strings.Repeat("x", 300))
	k.send(original)
	a.waitFor(10*time.Second, "Kevin's message at Ada", func(c *client) bool { return c.count(original) == 1 })
	a.mu.Lock()
	orig, _ := a.entry(original)
	a.mu.Unlock()
	answer := unique("the answer")
	sent := a.s.Reply(orig.Message, answer)
	a.mu.Lock()
	a.tl.AddPending(sent)
	a.mu.Unlock()
	if sent.Quote == nil || sent.Quote.AuthorName != "Kevin" {
		t.Fatalf("the reply as typed quotes %+v, want Kevin's message", sent.Quote)
	}

	// Kevin sees it live as a reply, with the start of his message.
	k.waitFor(10*time.Second, "Ada's reply at Kevin", func(c *client) bool { return c.count(answer) == 1 })
	k.mu.Lock()
	reply, _ := k.entry(answer)
	k.mu.Unlock()
	if reply.ReplyTo != orig.ID || reply.Quote == nil {
		t.Fatalf("Kevin's copy of the reply: reply_to %q quote %+v, want %s", reply.ReplyTo, reply.Quote, orig.ID)
	}
	if q := reply.Quote; q.AuthorName != "Kevin" || !strings.HasPrefix(original, q.Text) || len([]rune(q.Text)) != realtime.QuoteRunes {
		t.Errorf("quote = %q by %q, want the first %d runes of Kevin's message", q.Text, q.AuthorName, realtime.QuoteRunes)
	}
	a.waitFor(10*time.Second, "Ada's reply stored", func(c *client) bool { e, ok := c.entry(answer); return ok && e.Status == timeline.Sent })

	// Kevin reacts to the reply, Ada too (twice: a double click), then
	// she takes hers back; each side sees the counts live.
	if err := k.s.React(reply.ID, "👍"); err != nil {
		t.Fatal(err)
	}
	a.waitFor(10*time.Second, "Kevin's 👍 at Ada", func(c *client) bool { return c.chip(reply.ID, "👍").Count() == 1 })
	_ = a.s.React(reply.ID, "👍")
	_ = a.s.React(reply.ID, "👍")
	_ = a.s.React(reply.ID, "🎉")
	k.waitFor(10*time.Second, "two 👍 and Ada's 🎉 at Kevin", func(c *client) bool {
		return c.chip(reply.ID, "👍").Count() == 2 && c.chip(reply.ID, "🎉").Count() == 1
	})
	k.mu.Lock()
	thumbs := k.chip(reply.ID, "👍")
	k.mu.Unlock()
	if !thumbs.Mine || len(thumbs.Users) != 2 || thumbs.Users[0] != k.s.User().ID || thumbs.Users[1] != a.s.User().ID {
		t.Errorf("👍 at Kevin = %+v, want Kevin then Ada, Kevin's own", thumbs)
	}
	// Kevin having Ada's 🎉 does not mean Ada's own session has its
	// event yet.
	a.waitFor(10*time.Second, "Ada's 🎉, hers, at Ada", func(c *client) bool { _, ok := c.tally().Mine(reply.ID, "🎉"); return ok })
	a.mu.Lock()
	mine, _ := a.tally().Mine(reply.ID, "🎉")
	a.mu.Unlock()
	_ = a.s.Unreact(mine)
	k.waitFor(10*time.Second, "Ada's 🎉 gone at Kevin", func(c *client) bool { return c.chip(reply.ID, "🎉").Count() == 0 })

	// Someone who opens the conversation later reads them with the page.
	g := connect(t, realtime.Config{Server: env.URL}, grace.Email, grace.Password)
	g.waitFor(10*time.Second, "the reply and its reactions read at Grace", func(c *client) bool {
		e, ok := c.entry(answer)
		return ok && e.Quote != nil && e.Quote.ID == orig.ID && c.chip(reply.ID, "👍").Count() == 2 && len(c.tally().Of(reply.ID)) == 1
	})
	// Nothing failed on the way.
	for _, c := range []*client{a, k, g} {
		c.mu.Lock()
		for _, ev := range c.events {
			if f, ok := ev.(realtime.ReactionFailed); ok {
				t.Errorf("%s: reaction failed: %v", c.s.User().FirstName, f.Err)
			}
		}
		c.mu.Unlock()
	}
}

// TestReactionsStayInTheirConversation: a reaction in a direct
// conversation reaches its two people and no one else, live or read.
func TestReactionsStayInTheirConversation(t *testing.T) {
	env := channelsEnv(t)
	ada, kevin, grace := env.Users[0], env.Users[1], env.Users[2]
	a := connect(t, realtime.Config{Server: env.URL}, ada.Email, ada.Password)
	if !a.s.Permissions().PrivateChannels {
		t.Logf("Directus %s offers no private conversations (no read rules): nothing private to keep", env.Server.Version)
		return
	}
	k := connect(t, realtime.Config{Server: env.URL}, kevin.Email, kevin.Password)
	g := connect(t, realtime.Config{Server: env.URL}, grace.Email, grace.Password)

	_ = a.s.Direct(k.s.User().ID)
	a.waitFor(10*time.Second, "the direct conversation", func(c *client) bool { _, ok := c.actionDone(realtime.ActionDirect); return ok })
	a.mu.Lock()
	done, _ := a.actionDone(realtime.ActionDirect)
	a.mu.Unlock()
	if done.Err != nil {
		t.Fatal(done.Err)
	}
	secret := unique("between us")
	a.sendTo(done.Channel, secret)
	k.waitFor(10*time.Second, "Ada's direct message at Kevin", func(c *client) bool { return c.count(secret) == 1 })
	k.mu.Lock()
	m, _ := k.entry(secret)
	k.mu.Unlock()
	_ = k.s.React(m.ID, "👀")
	a.waitFor(10*time.Second, "Kevin's 👀 at Ada", func(c *client) bool { return c.chip(m.ID, "👀").Count() == 1 })

	// A marker after it in general: once Grace has it, she would have had
	// the reaction's event too.
	marker := unique("marker")
	k.send(marker)
	g.waitFor(10*time.Second, "the marker at Grace", func(c *client) bool { return c.count(marker) == 1 })
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, ev := range g.events {
		if ch, ok := ev.(realtime.ReactionsChanged); ok {
			for _, r := range ch.Added {
				if r.Message == m.ID {
					t.Errorf("Grace got a reaction to a direct message of Ada and Kevin: %+v", r)
				}
			}
		}
	}
}
