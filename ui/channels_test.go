package ui

import (
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"

	"directuschat/conversations"
	"directuschat/devserver/devservertest"
	"directuschat/mention"
	"directuschat/realtime"
)

// rowNamed is the sidebar row of a conversation.
func rowNamed(c *chatView, label string) (conversations.Row, bool) {
	for _, r := range c.ch.rows {
		if !r.Header && r.Label == label {
			return r, true
		}
	}
	return conversations.Row{}, false
}

func TestSidebarListsConversationsAndSwitchingKeepsEachDraft(t *testing.T) {
	env := devservertest.Shared(t)
	u, th := newTestApp(t, env.URL)
	u.Window().Resize(fyne.NewSize(1000, 700))
	signIn(t, u, th, env.Users[0].Email, env.Users[0].Password)
	c := u.chat
	th.until(t, 10*time.Second, "general and random in the sidebar", func() bool {
		_, g := rowNamed(c, "general")
		_, r := rowNamed(c, "random")
		return g && r
	})
	general, _ := rowNamed(c, "general")
	random, _ := rowNamed(c, "random")
	if c.ch.open != general.ID {
		t.Fatalf("opened %q first, want general", c.ch.open)
	}
	if !strings.Contains(c.ch.title.Text, "general") {
		t.Errorf("header %q, want the channel's name", c.ch.title.Text)
	}

	// A message in random, then a draft in general.
	kevin := otherClient(t, env, 1)
	inRandom := "only in random " + time.Now().Format(time.RFC3339Nano)
	kevin.s.SendIn(random.ID, inRandom)
	c.composer.SetText("half-typed in general")

	c.switchTo(random.ID)
	if c.composer.Text != "" {
		t.Errorf("composer in random = %q, want empty (general's draft stays with general)", c.composer.Text)
	}
	th.until(t, 10*time.Second, "random's messages", func() bool { return hasText(c, inRandom) })
	for i := 0; i < c.tl.Len(); i++ {
		if ch := c.tl.At(i).Channel; ch != random.ID {
			t.Fatalf("row %d of random belongs to conversation %q", i, ch)
		}
	}

	// Ctrl+Up goes back to the conversation above: general, with its draft.
	c.composer.TypedShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyUp, Modifier: fyne.KeyModifierControl})
	if c.ch.open != general.ID {
		t.Fatalf("Ctrl+Up opened %q, want general", c.ch.open)
	}
	if c.composer.Text != "half-typed in general" {
		t.Errorf("general's draft = %q after coming back", c.composer.Text)
	}
	if hasText(c, inRandom) {
		t.Error("random's message shows in general")
	}
}

func hasText(c *chatView, text string) bool {
	for i := 0; i < c.tl.Len(); i++ {
		if c.tl.At(i).Text == text {
			return true
		}
	}
	return false
}

func TestUnreadElsewhereShowsInSidebarAndTitleAndClearsOnVisit(t *testing.T) {
	env := devservertest.Shared(t)
	u, th := newTestApp(t, env.URL)
	u.Window().Resize(fyne.NewSize(1000, 700))
	start := time.Now()
	signIn(t, u, th, env.Users[2].Email, env.Users[2].Password)
	t.Logf("signed in after %v", time.Since(start).Round(time.Millisecond))
	c := u.chat
	focus(u.fyne, true)
	th.until(t, 10*time.Second, "random in the sidebar", func() bool { _, ok := rowNamed(c, "random"); return ok })
	random, _ := rowNamed(c, "random")
	// Whatever was unread in random before this test is read first.
	th.until(t, 10*time.Second, "the unread counts", func() bool { return c.ch.counted })
	c.switchTo(random.ID)
	th.until(t, 10*time.Second, "random read", func() bool {
		r, _ := rowNamed(c, "random")
		ms, _ := c.ch.model.Membership(random.ID)
		return r.Unread == 0 && c.tl.Len() > 0 && !ms.LastRead.Before(c.tl.At(c.tl.Len()-1).Created)
	})
	general, _ := rowNamed(c, "general")
	c.switchTo(general.ID)

	kevin := otherClient(t, env, 1)
	for _, text := range []string{"one", "two"} {
		kevin.s.SendIn(random.ID, text+" "+time.Now().Format(time.RFC3339Nano))
	}
	sent := time.Now()
	th.until(t, 10*time.Second, "2 unread in random", func() bool { r, _ := rowNamed(c, "random"); return r.Unread == 2 })
	t.Logf("2 unread shown %v after sending", time.Since(sent).Round(time.Millisecond))
	if !strings.HasPrefix(u.Window().Title(), "(2) ") {
		t.Errorf("title %q, want the unread count", u.Window().Title())
	}

	c.switchTo(random.ID)
	th.until(t, 10*time.Second, "the New messages line above the first unread", func() bool {
		i := c.tl.Index(c.firstUnread)
		return i >= 0 && strings.HasPrefix(c.tl.At(i).Text, "one ")
	})
	th.until(t, 10*time.Second, "random read on visiting it", func() bool { r, _ := rowNamed(c, "random"); return r.Unread == 0 })
	th.until(t, 5*time.Second, "the title without a count", func() bool { return !strings.HasPrefix(u.Window().Title(), "(") })
}

func TestNarrowWindowFoldsTheSidebarAway(t *testing.T) {
	env := devservertest.Shared(t)
	u, th := newTestApp(t, env.URL) // 480 wide
	signIn(t, u, th, env.Users[0].Email, env.Users[0].Password)
	c := u.chat
	th.until(t, 10*time.Second, "conversations", func() bool { return c.channelsOn() })
	c.layoutChannels()
	if _, split := c.body.Objects[0].(*container.Split); split {
		t.Fatal("a 480-pixel window shows the sidebar beside the conversation")
	}
	u.Window().Resize(fyne.NewSize(1000, 700))
	c.layoutChannels()
	if _, split := c.body.Objects[0].(*container.Split); !split {
		t.Fatal("a 1000-pixel window has no sidebar")
	}
	if !c.ch.sidebar.Visible() || c.ch.sidebar.Size().Width < 150 {
		t.Fatalf("sidebar visible %v, %v wide", c.ch.sidebar.Visible(), c.ch.sidebar.Size().Width)
	}
}

func TestMutedConversationNotifiesOnlyMentionsByName(t *testing.T) {
	env := devservertest.Shared(t)
	n := &notifications{}
	u, th := newDesktopApp(t, test.NewTempApp(t), env.URL, nil, n)
	u.Window().Resize(fyne.NewSize(1000, 700))
	signIn(t, u, th, env.Users[2].Email, env.Users[2].Password) // Grace
	c := u.chat
	th.until(t, 10*time.Second, "random in the sidebar", func() bool { _, ok := rowNamed(c, "random"); return ok })
	random, _ := rowNamed(c, "random")
	if err := c.session.SetMuted(random.ID, true); err != nil {
		t.Fatal(err)
	}
	th.until(t, 10*time.Second, "random muted", func() bool { r, _ := rowNamed(c, "random"); return r.Muted })
	t.Cleanup(func() { _ = c.session.SetMuted(random.ID, false) })
	focus(u.fyne, false)

	kevin := otherClient(t, env, 1)
	stamp := time.Now().Format(time.RFC3339Nano)
	kevin.s.SendIn(random.ID, "plain, muted "+stamp)
	kevin.s.SendIn(random.ID, "ping "+mention.Token(c.session.User().ID)+" "+stamp)
	th.until(t, 10*time.Second, "the mention notified", func() bool { return len(n.list()) > 0 })
	th.until(t, 10*time.Second, "one mention counted", func() bool { return u.desk.mentions == 1 })
	for _, s := range n.list() {
		if strings.Contains(s, "plain, muted") {
			t.Errorf("a muted conversation notified a plain message: %q", s)
		}
		if strings.Contains(s, "<@") {
			t.Errorf("the notification shows the mention's wire form: %q", s)
		}
	}
	if got := n.list(); !strings.Contains(got[0], "@Grace") {
		t.Errorf("notification %q, want the mention shown as @Grace", got[0])
	}
	if !strings.Contains(u.Window().Title(), "@1") {
		t.Errorf("title %q, want the mention counted apart", u.Window().Title())
	}
}

func TestCreatingAChannelOpensItAndLeavingReturnsToGeneral(t *testing.T) {
	env := devservertest.Shared(t)
	u, th := newTestApp(t, env.URL)
	u.Window().Resize(fyne.NewSize(1000, 700))
	signIn(t, u, th, env.Users[0].Email, env.Users[0].Password)
	c := u.chat
	th.until(t, 10*time.Second, "the people", func() bool { return len(c.ch.model.People()) > 0 })
	name := "plans " + time.Now().Format("150405.000000")
	kevin := otherClient(t, env, 1)
	if err := c.session.CreateChannel(name, "what next", "public", []string{kevin.s.User().ID}); err != nil {
		t.Fatal(err)
	}
	th.until(t, 10*time.Second, "the new channel open, in the sidebar", func() bool {
		r, ok := rowNamed(c, name)
		return ok && c.ch.open == r.ID && strings.Contains(c.ch.title.Text, name)
	})
	if got := c.ch.topic.Text; got != "what next" {
		t.Errorf("topic %q", got)
	}
	th.until(t, 10*time.Second, "2 members shown", func() bool { return c.ch.membersBtn.Text == "2" })

	id := c.ch.open
	if err := c.session.Leave(id); err != nil {
		t.Fatal(err)
	}
	th.until(t, 10*time.Second, "back in general", func() bool {
		_, still := rowNamed(c, name)
		g, _ := rowNamed(c, "general")
		return !still && c.ch.open == g.ID
	})
	// Still there to browse and join again: it is public.
	found := false
	for _, ch := range c.ch.model.Browse() {
		found = found || ch.ID == id
	}
	if !found {
		t.Error("the channel left is not offered in Browse channels")
	}
}

func TestOneLineKeepsNamesFromOthersToOneShortLine(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"general", "general"},
		{"  two\n\nlines\tand  tabs ", "two lines and tabs"},
		{"evil\u202Egnp.exe", "evilgnp.exe"},
		{"\u2066isolated\u2069", "isolated"},
		{strings.Repeat("x", 100), strings.Repeat("x", 19) + "…"},
		{"01234567890123456789", "01234567890123456789"},
	} {
		if got := oneLine(tc.in, 20); got != tc.want {
			t.Errorf("oneLine(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// Someone who joins the open conversation and writes in it shows in its
// header's member count without reopening it.
func TestNewcomerWritingUpdatesTheMemberCount(t *testing.T) {
	env := devservertest.Shared(t)
	u, th := newTestApp(t, env.URL)
	u.Window().Resize(fyne.NewSize(1000, 700))
	signIn(t, u, th, env.Users[0].Email, env.Users[0].Password)
	c := u.chat
	name := "drop-in " + time.Now().Format("150405.000000")
	if err := c.session.CreateChannel(name, "", "public", nil); err != nil {
		t.Fatal(err)
	}
	th.until(t, 10*time.Second, "the new channel open with 1 member", func() bool {
		r, ok := rowNamed(c, name)
		return ok && c.ch.open == r.ID && c.ch.membersBtn.Text == "1"
	})
	id := c.ch.open
	kevin := connectAs(t, env, 1)
	joined := make(chan struct{})
	go func() {
		member := false
		for batch := range kevin.Events() {
			for _, ev := range batch {
				m, ok := ev.(realtime.MembershipsChanged)
				if !ok || member {
					continue
				}
				for _, ms := range m.Memberships {
					if ms.Channel == id && !member {
						member = true
						close(joined)
					}
				}
			}
		}
	}()
	if err := kevin.Join(id); err != nil {
		t.Fatal(err)
	}
	select {
	case <-joined:
	case <-time.After(10 * time.Second):
		t.Fatal("kevin did not become a member")
	}
	kevin.SendIn(id, "hello, I just joined")
	th.until(t, 10*time.Second, "2 members shown", func() bool { return c.ch.membersBtn.Text == "2" })
}
