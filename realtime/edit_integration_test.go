package realtime_test

import (
	"strings"
	"testing"
	"time"

	"directuschat/devserver/devservertest"
	"directuschat/realtime"
	"directuschat/timeline"
)

// statusOf returns the last SendStatus for id (lock held).
func (c *client) statusOf(id string) (realtime.SendStatus, bool) {
	for i := len(c.events) - 1; i >= 0; i-- {
		if s, ok := c.events[i].(realtime.SendStatus); ok && s.ID == id {
			return s, true
		}
	}
	return realtime.SendStatus{}, false
}

func TestEditAndDeleteByAuthorAndAdminAppearLive(t *testing.T) {
	env := devservertest.Shared(t)
	ada, kevin := env.Users[0], env.Users[1]
	a := connect(t, realtime.Config{Server: env.URL}, ada.Email, ada.Password)
	k := connect(t, realtime.Config{Server: env.URL}, kevin.Email, kevin.Password)
	admin := connect(t, realtime.Config{Server: env.URL}, env.AdminEmail, env.AdminPassword)
	restricted := strings.HasPrefix(env.Server.Version, "12.") // no custom rules without a license

	pa, padmin := a.s.Permissions(), admin.s.Permissions()
	if !padmin.EditAny || !padmin.DeleteAny {
		t.Errorf("admin permissions = %+v, want edit and delete of any message", padmin)
	}
	if pa.EditAny || pa.DeleteAny {
		t.Errorf("Ada may edit or delete anyone's messages: %+v", pa)
	}
	if restricted {
		if pa.EditOwn || pa.DeleteOwn {
			t.Errorf("on %s setup grants no edits to chat users, yet permissions = %+v", env.Server.Version, pa)
		}
	} else if !pa.EditOwn || !pa.DeleteOwn {
		t.Errorf("Ada may not edit or delete her own messages: %+v", pa)
	}

	mine := unique("Ada's original")
	m := a.send(mine)
	theirs := unique("Kevin's message")
	km := k.send(theirs)
	for _, c := range []*client{a, k, admin} {
		c.waitFor(10*time.Second, "both messages", func(c *client) bool { return c.count(mine) == 1 && c.count(theirs) == 1 })
	}

	// Someone else's message: refused by the server for Kevin.
	k.s.Edit(m.ID, "Kevin was here")
	k.waitFor(10*time.Second, "the refused edit", func(c *client) bool {
		s, ok := c.statusOf(m.ID)
		return ok && s.State == realtime.SendFailed
	})
	k.s.Delete(m.ID)
	k.waitFor(10*time.Second, "the refused delete", func(c *client) bool {
		s, ok := c.statusOf(m.ID)
		return ok && s.State == realtime.SendFailed && c.count(mine) == 1
	})

	if !restricted {
		edited := mine + " (edited by Ada)"
		a.s.Edit(m.ID, edited)
		k.waitFor(10*time.Second, "Ada's edit at Kevin", func(c *client) bool {
			e, ok := c.entry(edited)
			return ok && e.Edited() && c.count(mine) == 0
		})
		a.s.Delete(m.ID)
		k.waitFor(10*time.Second, "Ada's delete at Kevin", func(c *client) bool { return c.count(edited) == 0 })
	}

	// The admin may change anyone's message.
	fixed := theirs + " (edited by admin)"
	admin.s.Edit(km.ID, fixed)
	a.waitFor(10*time.Second, "the admin's edit at Ada", func(c *client) bool {
		e, ok := c.entry(fixed)
		return ok && e.Edited() && e.Status == timeline.Sent
	})
	admin.s.Delete(km.ID)
	for _, c := range []*client{a, k} {
		c.waitFor(10*time.Second, "the admin's delete", func(c *client) bool { return c.count(fixed) == 0 })
	}
}
