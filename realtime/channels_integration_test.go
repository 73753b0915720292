package realtime_test

import (
	"strings"
	"testing"
	"time"

	"directuschat/devserver/devservertest"
	"directuschat/realtime"
	"directuschat/timeline"
)

// unread returns the last unread and mention counts seen (lock held).
func (c *client) unread() (unread, mentions map[string]int) {
	for i := len(c.events) - 1; i >= 0; i-- {
		if u, ok := c.events[i].(realtime.UnreadChanged); ok {
			return u.Unread, u.Mentions
		}
	}
	return nil, nil
}

// channels returns every conversation seen and the user's memberships
// (lock held).
func (c *client) channels() (map[string]realtime.Channel, map[string]realtime.Membership) {
	chans, mine := map[string]realtime.Channel{}, map[string]realtime.Membership{}
	for _, ev := range c.events {
		switch ev := ev.(type) {
		case realtime.ChannelsChanged:
			if ev.Full {
				clear(chans)
			}
			for _, ch := range ev.Channels {
				chans[ch.ID] = ch
			}
			for _, id := range ev.Removed {
				delete(chans, id)
			}
		case realtime.MembershipsChanged:
			if ev.Full {
				clear(mine)
			}
			for _, m := range ev.Memberships {
				mine[m.Channel] = m
			}
			for _, id := range ev.Removed {
				delete(mine, id)
			}
		}
	}
	return chans, mine
}

// named finds a conversation by name (lock held).
func (c *client) named(name string) (realtime.Channel, bool) {
	chans, _ := c.channels()
	for _, ch := range chans {
		if ch.Name == name {
			return ch, true
		}
	}
	return realtime.Channel{}, false
}

// actionDone returns the last ActionDone of an action (lock held).
func (c *client) actionDone(a realtime.Action) (realtime.ActionDone, bool) {
	for i := len(c.events) - 1; i >= 0; i-- {
		if d, ok := c.events[i].(realtime.ActionDone); ok && d.Action == a {
			return d, true
		}
	}
	return realtime.ActionDone{}, false
}

// sendTo types a message into a conversation.
func (c *client) sendTo(channel, text string) realtime.Message {
	m := c.s.SendIn(channel, text)
	c.mu.Lock()
	c.tl.AddPending(m)
	c.mu.Unlock()
	return m
}

func channelsEnv(t *testing.T) *devservertest.Env {
	env := devservertest.Shared(t)
	return env
}

func TestUnreadCountsAndReadMarkersAgreeAcrossTwoSessionsOfOneUser(t *testing.T) {
	env := channelsEnv(t)
	ada, kevin := env.Users[0], env.Users[1]
	phone := connect(t, realtime.Config{Server: env.URL}, ada.Email, ada.Password)
	desk := connect(t, realtime.Config{Server: env.URL}, ada.Email, ada.Password)
	k := connect(t, realtime.Config{Server: env.URL}, kevin.Email, kevin.Password)
	general := k.general

	// Start from nothing unread: the desk has read everything so far.
	var newest time.Time
	marker := unique("before")
	k.send(marker)
	desk.waitFor(10*time.Second, "Kevin's first message", func(c *client) bool { return c.count(marker) == 1 })
	desk.mu.Lock()
	e, _ := desk.entry(marker)
	newest = e.Created
	desk.mu.Unlock()
	desk.s.MarkRead(general, newest)
	phone.waitFor(5*time.Second, "nothing unread on the phone", func(c *client) bool {
		u, _ := c.unread()
		return u != nil && u[general] == 0
	})

	texts := []string{unique("one"), unique("two"), unique("three")}
	for _, text := range texts {
		k.send(text)
	}
	for _, c := range []*client{phone, desk} {
		c.waitFor(10*time.Second, "3 unread in general", func(c *client) bool {
			u, _ := c.unread()
			return u[general] == 3
		})
	}

	// Reading on the desk clears the phone's count within 2 seconds
	// (the marker is written after markDebounce, the phone recounts).
	desk.mu.Lock()
	last, _ := desk.entry(texts[2])
	desk.mu.Unlock()
	start := time.Now()
	desk.s.MarkRead(general, last.Created)
	phone.waitFor(2*time.Second, "the phone's count cleared by the desk's read", func(c *client) bool {
		u, _ := c.unread()
		return u[general] == 0
	})
	t.Logf("read on one device, cleared on the other after %v", time.Since(start).Round(time.Millisecond))

	// A new session of the user starts with the server's marker: nothing unread.
	fresh := connect(t, realtime.Config{Server: env.URL}, ada.Email, ada.Password)
	fresh.waitFor(5*time.Second, "counts of a new session", func(c *client) bool {
		u, _ := c.unread()
		return u != nil
	})
	fresh.mu.Lock()
	u, _ := fresh.unread()
	fresh.mu.Unlock()
	if u[general] != 0 {
		t.Fatalf("a new session counts %d unread in general after reading elsewhere", u[general])
	}
}

func TestMentionInAMutedChannelIsCountedApart(t *testing.T) {
	env := channelsEnv(t)
	ada, kevin := env.Users[0], env.Users[1]
	a := connect(t, realtime.Config{Server: env.URL}, ada.Email, ada.Password)
	k := connect(t, realtime.Config{Server: env.URL}, kevin.Email, kevin.Password)
	a.mu.Lock()
	random, ok := a.named("random")
	a.mu.Unlock()
	if !ok {
		t.Fatal("setup's demo channel random is not visible to Ada")
	}
	a.s.SetMuted(random.ID, true)
	a.waitFor(5*time.Second, "random muted", func(c *client) bool {
		_, mine := c.channels()
		return mine[random.ID].Muted
	})
	t.Cleanup(func() { a.s.SetMuted(random.ID, false) })

	k.sendTo(random.ID, unique("plain"))
	mention := unique("hey " + realtime.MentionToken(a.s.User().ID) + " look")
	k.sendTo(random.ID, mention)
	a.waitFor(10*time.Second, "one mention in random", func(c *client) bool {
		_, m := c.unread()
		return m[random.ID] == 1
	})
}

func TestDirectConversationIsOneForTwoPeople(t *testing.T) {
	env := channelsEnv(t)
	ada, grace := env.Users[0], env.Users[2]
	a := connect(t, realtime.Config{Server: env.URL}, ada.Email, ada.Password)
	g := connect(t, realtime.Config{Server: env.URL}, grace.Email, grace.Password)
	if private, want := a.s.Permissions().PrivateChannels, !strings.HasPrefix(env.Server.Version, "12."); private != want {
		t.Fatalf("private channels offered: %v on Directus %s, want %v (12 without a license refuses read rules)", private, env.Server.Version, want)
	}
	a.s.Direct(g.s.User().ID)
	a.waitFor(25*time.Second, "the direct conversation", func(c *client) bool {
		d, ok := c.actionDone(realtime.ActionDirect)
		return ok && d.Err == nil
	})
	a.mu.Lock()
	first, _ := a.actionDone(realtime.ActionDirect)
	a.mu.Unlock()
	g.s.Direct(a.s.User().ID)
	// Grace's side may take two requests (a create the unique key refuses,
	// then reading Ada's), each answered or timed out within RequestTimeout
	// (10 s): a loaded machine has seen it take longer than 10 s in all.
	g.waitFor(25*time.Second, "Grace's side of it", func(c *client) bool {
		_, ok := c.actionDone(realtime.ActionDirect)
		return ok
	})
	g.mu.Lock()
	second, _ := g.actionDone(realtime.ActionDirect)
	g.mu.Unlock()
	if second.Err != nil || second.Channel != first.Channel {
		t.Fatalf("Grace opened %q (err %v), Ada %q: want the same conversation", second.Channel, second.Err, first.Channel)
	}
	text := unique("just between us")
	a.sendTo(first.Channel, text)
	g.s.OpenChannel(first.Channel)
	g.waitFor(10*time.Second, "Ada's direct message at Grace", func(c *client) bool { return c.count(text) == 1 })
}

func TestSignInCountsUnreadPerConversationAndReadsPeople(t *testing.T) {
	env := channelsEnv(t)
	ada, kevin := env.Users[0], env.Users[1]
	k := connect(t, realtime.Config{Server: env.URL}, kevin.Email, kevin.Password)
	k.mu.Lock()
	random, ok := k.named("random")
	k.mu.Unlock()
	if !ok {
		t.Fatal("no random channel")
	}
	// Ada has read random up to Kevin's first message (a session of hers
	// marks it)...
	before := connect(t, realtime.Config{Server: env.URL}, ada.Email, ada.Password)
	first := unique("read this")
	k.sendTo(random.ID, first)
	before.waitFor(10*time.Second, "Kevin's first message", func(c *client) bool { return c.count(first) == 1 })
	before.mu.Lock()
	seen, _ := before.entry(first)
	before.mu.Unlock()
	before.s.MarkRead(random.ID, seen.Created)
	before.waitFor(5*time.Second, "random read", func(c *client) bool { u, _ := c.unread(); return u != nil && u[random.ID] == 0 })
	before.s.Close() // writes the marker first
	// ...then Kevin writes 2 messages there, one mentioning her.
	k.sendTo(random.ID, unique("plain"))
	last := unique("hi " + realtime.MentionToken(before.s.User().ID))
	k.sendTo(random.ID, last)
	k.waitFor(10*time.Second, "Kevin's messages stored", func(c *client) bool { e, ok := c.entry(last); return ok && e.Status == timeline.Sent })

	a := connect(t, realtime.Config{Server: env.URL}, ada.Email, ada.Password)
	a.waitFor(10*time.Second, "2 unread and 1 mention in random, counted at sign-in", func(c *client) bool {
		u, m := c.unread()
		return u[random.ID] == 2 && m[random.ID] == 1
	})
	a.waitFor(10*time.Second, "the people", func(c *client) bool {
		for _, ev := range c.events {
			if p, ok := ev.(realtime.PeopleLoaded); ok {
				for _, u := range p.People {
					if u.FirstName == kevin.FirstName {
						return true
					}
				}
			}
		}
		return false
	})
}

func TestChannelsMadeRenamedJoinedAndLeftElsewhereShowLive(t *testing.T) {
	env := channelsEnv(t)
	ada, kevin, grace := env.Users[0], env.Users[1], env.Users[2]
	a := connect(t, realtime.Config{Server: env.URL}, ada.Email, ada.Password)
	k := connect(t, realtime.Config{Server: env.URL}, kevin.Email, kevin.Password)
	g := connect(t, realtime.Config{Server: env.URL}, grace.Email, grace.Password)

	// Kevin makes a public channel: Ada sees it to browse, without being in it.
	name := unique("design")
	k.s.CreateChannel(name, "pixels", realtime.ChannelPublic, nil)
	a.waitFor(10*time.Second, "Kevin's new channel at Ada", func(c *client) bool { _, ok := c.named(name); return ok })
	a.mu.Lock()
	ch, _ := a.named(name)
	_, mine := a.channels()
	a.mu.Unlock()
	if _, member := mine[ch.ID]; member {
		t.Fatal("Ada is a member of a channel she never joined")
	}

	// Messages there do not reach Ada until she joins.
	k.waitFor(10*time.Second, "Kevin in his channel", func(c *client) bool { _, mine := c.channels(); _, ok := mine[ch.ID]; return ok })
	before := unique("before Ada joined")
	k.sendTo(ch.ID, before)
	k.waitFor(10*time.Second, "Kevin's first message stored", func(c *client) bool { e, ok := c.entry(before); return ok && e.Status == timeline.Sent })
	a.s.Join(ch.ID)
	a.waitFor(10*time.Second, "Ada joined", func(c *client) bool { _, mine := c.channels(); _, ok := mine[ch.ID]; return ok })
	after := unique("after Ada joined")
	k.sendTo(ch.ID, after)
	a.waitFor(10*time.Second, "the message sent after joining", func(c *client) bool { return c.count(after) == 1 })
	a.mu.Lock()
	leaked := a.count(before)
	a.mu.Unlock()
	if leaked != 0 {
		t.Errorf("a message of a channel Ada was not in reached her live")
	}

	// Renamed by Kevin: Ada's list follows.
	renamed := name + " (renamed)"
	k.s.Rename(ch.ID, renamed, "pixels and more")
	a.waitFor(10*time.Second, "the new name at Ada", func(c *client) bool { _, ok := c.named(renamed); return ok })

	// Ada leaves: nothing more arrives from there, Grace never saw any of it.
	a.s.Leave(ch.ID)
	a.waitFor(10*time.Second, "Ada left", func(c *client) bool { _, mine := c.channels(); _, ok := mine[ch.ID]; return !ok })
	gone := unique("after Ada left")
	k.sendTo(ch.ID, gone)
	marker := unique("marker in general")
	k.send(marker)
	a.waitFor(10*time.Second, "Kevin's later message in general", func(c *client) bool { return c.count(marker) == 1 })
	g.waitFor(10*time.Second, "the general marker at Grace", func(c *client) bool { return c.count(marker) == 1 })
	a.mu.Lock()
	n := a.count(gone)
	a.mu.Unlock()
	if n != 0 {
		t.Errorf("a message of a channel Ada left reached her")
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, text := range []string{before, after, gone} {
		if g.count(text) != 0 {
			t.Errorf("Grace, not a member, got %q", text)
		}
	}
}
