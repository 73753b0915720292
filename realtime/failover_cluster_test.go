//go:build cluster && linux

// Tests against a Directus cluster (two instances on one PostgreSQL and
// Redis behind HAProxy; see devserver/cluster). Built only with the
// `cluster` tag: `make cluster-test`.

package realtime_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	neturl "net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"directuschat/devserver/cluster"
	"directuschat/devserver/cluster/clustertest"
	"directuschat/provision"
	"directuschat/realtime"
	"directuschat/store"
	"directuschat/timeline"
)

// liveDeliveries counts how often the server pushed the message with text
// as a live create event (lock held). The timeline merges by id, so a
// doubled event would not show there; this does.
func (c *client) liveDeliveries(text string) int {
	n := 0
	for _, ev := range c.events {
		if l, ok := ev.(realtime.Loaded); ok && l.Kind == realtime.LoadLive {
			for _, m := range l.Messages {
				if m.Text == text {
					n++
				}
			}
		}
	}
	return n
}

// hasAll reports whether every text is in c's timeline, and sent when c
// sent it (lock held).
func (c *client) hasAll(texts []string) bool {
	for _, text := range texts {
		e, ok := c.entry(text)
		if !ok || e.Status != timeline.Sent {
			return false
		}
	}
	return true
}

// waitUntil is waitFor that reports instead of failing the test.
func waitUntil(c *client, timeout time.Duration, cond func(c *client) bool) bool {
	deadline := time.AfterFunc(timeout, func() {
		c.mu.Lock()
		c.changed.Broadcast()
		c.mu.Unlock()
	})
	defer deadline.Stop()
	start := time.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	for !cond(c) {
		if time.Since(start) >= timeout || c.ended {
			return false
		}
		c.changed.Wait()
	}
	return true
}

// sendHistory describes the send states seen for the texts that were not
// confirmed delivered (lock held).
func (c *client) sendHistory(texts []string) string {
	ids := map[string]string{} // id -> text
	for _, text := range texts {
		if e, ok := c.entry(text); ok {
			ids[e.ID] = text
		}
	}
	states := map[string][]string{}
	delivered := map[string]bool{}
	for _, ev := range c.events {
		if st, ok := ev.(realtime.SendStatus); ok {
			if _, mine := ids[st.ID]; !mine {
				continue
			}
			desc := fmt.Sprint(st.State)
			if st.Err != nil {
				desc += " (" + st.Err.Error() + ")"
			}
			states[st.ID] = append(states[st.ID], desc)
			if st.State == realtime.SendDelivered {
				delivered[st.ID] = true
			}
		}
	}
	var b strings.Builder
	for id, text := range ids {
		if !delivered[id] {
			fmt.Fprintf(&b, "\n  %q: %v", text, states[id])
		}
	}
	return b.String()
}

// waitHeld waits until the balancer's open sessions on each instance
// (WebSockets, and REST requests in flight) satisfy ok, and returns them.
func waitHeld(t *testing.T, c *cluster.Cluster, what string, ok func(held map[string]int) bool) map[string]int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	held := map[string]int{}
	for {
		stats, err := c.Stats(ctx)
		if err == nil {
			for i := range c.Instances {
				held[cluster.InstanceName(i)] = stats[cluster.InstanceName(i)].Current
			}
			if ok(held) {
				return held
			}
		}
		select {
		case <-ctx.Done():
			t.Fatalf("the balancer's sessions never showed %s: last %v (%v)", what, held, err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// storedTimes reads, as the administrator over REST through url, how many
// rows the server holds of each message whose text starts with prefix.
func storedTimes(t *testing.T, url, email, password, prefix string) map[string]int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	base, err := realtime.ParseServerURL(url)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := realtime.NewREST(base, nil).Login(ctx, email, password, "")
	if err != nil {
		t.Fatal(err)
	}
	q := neturl.Values{}
	q.Set("fields", "text")
	q.Set("limit", "-1")
	q.Set("filter", fmt.Sprintf(`{"text":{"_starts_with":%q}}`, prefix))
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url+"/items/messages?"+q.Encode(), nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+tok.Access)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Data []struct {
			Text string `json:"text"`
		} `json:"data"`
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /items/messages: HTTP %d", resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	n := map[string]int{}
	for _, d := range body.Data {
		n[d.Text]++
	}
	return n
}

// TestClusterMessageCrossesInstancesOnce: sessions pinned to instance d0
// and d1 (connected to each instance's own port) and one through the
// balancer each send; every session sees every message once, and each one
// written on the other instance arrived as exactly one live event (over
// Directus's Redis bus).
func TestClusterMessageCrossesInstancesOnce(t *testing.T) {
	c, _ := clustertest.Start(t, cluster.Options{})
	users := provision.DemoUsers()
	onA := connect(t, realtime.Config{Server: c.Instances[0].URL}, users[0].Email, users[0].Password)
	onB := connect(t, realtime.Config{Server: c.Instances[1].URL}, users[1].Email, users[1].Password)
	viaLB := connect(t, realtime.Config{Server: c.URL}, users[2].Email, users[2].Password)
	held := waitHeld(t, c, "the balanced client's socket alone", func(h map[string]int) bool { return h["d0"]+h["d1"] == 1 })
	t.Logf("the balanced session is on %v", held)

	prefix := unique("cross")
	senders := map[string]*client{"A": onA, "B": onB, "LB": viaLB}
	var all []string
	byWho := map[string][]string{}
	for round := range 10 {
		for _, who := range []string{"A", "B", "LB"} {
			text := fmt.Sprintf("%s from %s #%d", prefix, who, round)
			senders[who].send(text)
			all = append(all, text)
			byWho[who] = append(byWho[who], text)
		}
	}
	for who, cl := range senders {
		cl.waitFor(30*time.Second, "every message at "+who, func(cl *client) bool { return cl.hasAll(all) })
	}
	// A last message from each side: events from one instance reach the
	// others in order, so a doubled earlier event would be in by now.
	fences := []string{prefix + " fence A", prefix + " fence B"}
	onA.send(fences[0])
	onB.send(fences[1])
	for who, cl := range senders {
		cl.waitFor(30*time.Second, "the fences at "+who, func(cl *client) bool { return cl.hasAll(fences) })
	}
	for who, cl := range senders {
		cl.exactlyOnce(t, who, all)
		cl.mu.Lock()
		for from, texts := range byWho {
			if from == who {
				continue
			}
			for _, text := range texts {
				if n := cl.liveDeliveries(text); n != 1 {
					t.Errorf("%s got %q as %d live events, want 1", who, text, n)
				}
			}
		}
		cl.mu.Unlock()
	}
	for text, n := range storedTimes(t, c.URL, c.AdminEmail, c.AdminPassword, prefix) {
		if n != 1 {
			t.Errorf("the server holds %q %d times", text, n)
		}
	}
}

// TestClusterKill9OfTheInstanceHoldingTheSocket: three people chat at 20
// messages a second; Ada (the app's session, with its durable outbox) and
// Grace are held by d0 through the balancer, Kevin is on d1's own port.
// d0 is killed with SIGKILL mid-chat. Ada and Grace reconnect through the
// balancer (to d1), nobody loses or doubles a message in either direction,
// Ada's outbox drains, and the server holds every message once.
func TestClusterKill9OfTheInstanceHoldingTheSocket(t *testing.T) {
	c, _ := clustertest.Start(t, cluster.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	users := provision.DemoUsers()

	db, err := store.Open(filepath.Join(t.TempDir(), "state.db"), quietLogger())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// The app's reconnect settings, scaled down for a test: quick backoff and
	// pings; a reconciliation every 2 s (the app: 2 min) so that a row the
	// dying instance committed but never announced reaches Kevin, who stays
	// connected, within the test.
	cfg := func(url string) realtime.Config {
		cfg := fastReconnect(url)
		cfg.ReconcileInterval = 2 * time.Second
		return cfg
	}
	adaCfg := cfg(c.URL)
	adaCfg.Outbox = func(server *neturl.URL, user realtime.User) (realtime.OutboxStore, error) {
		return db.Outbox(server.String(), user.ID), nil
	}

	// Pin the balanced sessions to d0: d1 takes no new connections while
	// they connect.
	if err := c.SetInstanceState(ctx, 1, "drain"); err != nil {
		t.Fatal(err)
	}
	ada := connect(t, adaCfg, users[0].Email, users[0].Password)
	grace := connect(t, cfg(c.URL), users[2].Email, users[2].Password)
	if err := c.SetInstanceState(ctx, 1, "ready"); err != nil {
		t.Fatal(err)
	}
	kevin := connect(t, cfg(c.Instances[1].URL), users[1].Email, users[1].Password)
	waitHeld(t, c, "Ada's and Grace's sockets on d0", func(h map[string]int) bool { return h["d0"] == 2 && h["d1"] == 0 })

	prefix := unique("failover")
	people := []*client{ada, kevin, grace}
	names := []string{"Ada", "Kevin", "Grace"}
	var all []string
	tick := time.NewTicker(50 * time.Millisecond) // 20 messages a second in all
	defer tick.Stop()
	const before, total = 40, 140 // 2 s before the kill, 5 s from it
	var killedAt time.Time
	for i := range total {
		<-tick.C
		if i == before {
			killedAt = time.Now()
			if err := c.Instances[0].Kill(); err != nil {
				t.Fatal(err)
			}
		}
		text := fmt.Sprintf("%s %s #%d", prefix, names[i%3], i)
		people[i%3].send(text)
		all = append(all, text)
	}
	for i, p := range people {
		p.waitFor(90*time.Second, "every message at "+names[i], func(c *client) bool { return c.hasAll(all) })
	}
	t.Logf("all %d messages everywhere %s after the kill", len(all), time.Since(killedAt).Round(time.Millisecond))
	for i, p := range people {
		p.exactlyOnce(t, names[i], all)
	}
	for _, p := range []*client{ada, grace} {
		p.mu.Lock()
		wentOffline, online := false, false
		for _, ev := range p.events {
			if s, ok := ev.(realtime.StateChanged); ok {
				switch {
				case s.State == realtime.StateOffline || s.State == realtime.StateConnecting:
					wentOffline = true
				case s.State == realtime.StateOnline && wentOffline:
					online = true
				}
			}
		}
		p.mu.Unlock()
		if !wentOffline || !online {
			t.Errorf("%s: lost its socket %v, back online %v", p.s.User().FirstName, wentOffline, online)
		}
	}
	waitHeld(t, c, "Ada's and Grace's sockets on d1 after the kill", func(h map[string]int) bool { return h["d0"] == 0 && h["d1"] == 2 })
	var adas []string
	for i := 0; i < total; i += 3 {
		adas = append(adas, all[i])
	}
	if !waitUntil(ada, 15*time.Second, func(c *client) bool { return c.deliveredCount() >= len(adas) }) {
		ada.mu.Lock()
		t.Errorf("Ada's session confirmed %d of her %d messages; the others: %s", ada.deliveredCount(), len(adas), ada.sendHistory(adas))
		ada.mu.Unlock()
	}
	if left, err := db.Outbox(c.URL, ada.s.User().ID).Load(); err != nil || len(left) != 0 {
		t.Errorf("Ada's outbox holds %d messages after delivery (%v)", len(left), err)
	}
	stored := storedTimes(t, c.URL, c.AdminEmail, c.AdminPassword, prefix)
	for _, text := range all {
		if stored[text] != 1 {
			t.Errorf("the server holds %q %d times", text, stored[text])
		}
	}
	if len(stored) != len(all) {
		t.Errorf("the server holds %d messages of this test, want %d", len(stored), len(all))
	}
}
