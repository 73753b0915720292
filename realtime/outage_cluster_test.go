//go:build cluster && linux

package realtime_test

import (
	"context"
	"fmt"
	"log/slog"
	neturl "net/url"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"sync"
	"testing"
	"time"

	"directuschat/devserver/cluster"
	"directuschat/devserver/cluster/clustertest"
	"directuschat/provision"
	"directuschat/realtime"
	"directuschat/store"
	"directuschat/timeline"
)

// chatters are three people on a cluster; Ada is the app's session, with
// its durable outbox.
type chatters struct {
	t      *testing.T
	c      *cluster.Cluster
	db     *store.DB
	people []*client
	names  []string
	logs   []*sessionLog // each person's session log, shown when a check fails
}

// sessionLog keeps a session's log lines (debug and up: connection states,
// reconnects, sends refused) for a failure message.
type sessionLog struct {
	mu    sync.Mutex
	lines []string
}

func (l *sessionLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// tail is the last n lines, indented.
func (l *sessionLog) tail(n int) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	from := max(0, len(l.lines)-n)
	return "\n    " + strings.Join(l.lines[from:], "\n    ")
}

// dumpGoroutines writes every goroutine's stack to a file kept after the
// test, for a session that stopped moving.
func dumpGoroutines(t *testing.T) {
	f, err := os.CreateTemp("", "cluster-goroutines-*.txt")
	if err != nil {
		t.Log(err)
		return
	}
	defer f.Close()
	if err := pprof.Lookup("goroutine").WriteTo(f, 2); err != nil {
		t.Log(err)
	}
	t.Logf("goroutines: %s", f.Name())
}

func (l *sessionLog) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// clusterConfig is the app's reconnect settings scaled down for a test:
// quick backoff and pings, and a reconciliation every 2 s (the app: 2 min),
// which is what fills events a session's own instance never got.
func clusterConfig(url string) realtime.Config {
	cfg := fastReconnect(url)
	cfg.ReconcileInterval = 2 * time.Second
	return cfg
}

// threeChatters connects Ada, Kevin and Grace to urls[0], urls[1], urls[2].
func threeChatters(t *testing.T, c *cluster.Cluster, urls [3]string) *chatters {
	db, err := store.Open(filepath.Join(t.TempDir(), "state.db"), quietLogger())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	users := provision.DemoUsers()
	adaCfg := clusterConfig(urls[0])
	adaCfg.Outbox = func(server *neturl.URL, user realtime.User) (realtime.OutboxStore, error) {
		return db.Outbox(server.String(), user.ID), nil
	}
	ch := &chatters{t: t, c: c, db: db, names: []string{"Ada", "Kevin", "Grace"}}
	cfgs := []realtime.Config{adaCfg, clusterConfig(urls[1]), clusterConfig(urls[2])}
	for i, cfg := range cfgs {
		log := &sessionLog{}
		cfg.Logger = log.logger()
		ch.logs = append(ch.logs, log)
		ch.people = append(ch.people, connect(t, cfg, users[i].Email, users[i].Password))
	}
	return ch
}

// chatWhile has the three take turns at 20 messages a second in all: for
// lead before disrupt starts, while it runs (in its own goroutine), and for
// lead after it returned. It returns the texts sent.
func (ch *chatters) chatWhile(prefix string, lead time.Duration, disrupt func()) []string {
	var all []string
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	say := func(until <-chan time.Time, done <-chan struct{}) {
		for {
			select {
			case <-until:
				return
			case <-done:
				return
			case <-tick.C:
			}
			i := len(all)
			text := fmt.Sprintf("%s %s #%d", prefix, ch.names[i%3], i)
			ch.people[i%3].send(text)
			all = append(all, text)
		}
	}
	say(time.After(lead), nil)
	done := make(chan struct{})
	go func() {
		defer close(done)
		disrupt()
	}()
	say(nil, done)
	say(time.After(lead), nil)
	return all
}

// missing describes the texts c lacks or has not seen sent, with the send
// states of its own (lock held).
func (c *client) missing(texts []string) string {
	var b strings.Builder
	var own []string
	n := 0
	for _, text := range texts {
		e, ok := c.entry(text)
		switch {
		case !ok:
			n++
			if n <= 10 {
				fmt.Fprintf(&b, "\n  missing %q", text)
			}
		case e.Status != timeline.Sent:
			own = append(own, text)
		}
	}
	fmt.Fprintf(&b, "\n  %d missing, %d of its own not sent:%s", n, len(own), c.sendHistory(own))
	if s, ok := c.state(); ok {
		fmt.Fprintf(&b, "\n  state %v: %v", s.State, realtime.Describe(s.Err))
	}
	return b.String()
}

// waitDrained waits until c has every text, sent, for as long as it keeps
// getting closer: it gives up once none more arrived or was sent for
// stall, or after drainLimit in all. A session sends one message at a
// time (to keep their order), so the backlog an outage leaves drains at
// the server's pace, which on a busy machine is slower than the chat's 20
// a second; what must not happen is that it stops.
func waitDrained(c *client, all []string, stall time.Duration) bool {
	const drainLimit = 5 * time.Minute
	start := time.Now()
	c.mu.Lock()
	done := c.countDone(all)
	c.mu.Unlock()
	for done < len(all) {
		if time.Since(start) >= drainLimit || !waitUntil(c, stall, func(c *client) bool { return c.countDone(all) != done }) {
			return false
		}
		c.mu.Lock()
		done = c.countDone(all)
		c.mu.Unlock()
	}
	return true
}

// countDone counts the texts c has, sent (lock held).
func (c *client) countDone(texts []string) int {
	n := 0
	for _, text := range texts {
		if e, ok := c.entry(text); ok && e.Status == timeline.Sent {
			n++
		}
	}
	return n
}

// verify waits until every person has every message, sent, for as long as
// they keep coming (waitDrained: it fails once none more came for stall), then checks
// that each sees each once, Ada's outbox is empty and the server holds each
// once. It returns how many messages each person got only from a catch-up
// or reconciliation read (never as a live event).
func (ch *chatters) verify(prefix string, all []string, stall time.Duration) map[string]int {
	t := ch.t
	t.Helper()
	for i, p := range ch.people {
		if !waitDrained(p, all, stall) {
			p.mu.Lock()
			missing := p.missing(all)
			p.mu.Unlock()
			t.Errorf("%s does not have every message sent: none more for %v: %s\n  the session's loop: %s\n  the session's last log lines:%s",
				ch.names[i], stall, missing, realtime.Inspect(p.s), ch.logs[i].tail(40))
		}
	}
	if t.Failed() {
		dumpGoroutines(t)
		t.FailNow()
	}
	onlyCaughtUp := map[string]int{}
	for i, p := range ch.people {
		p.exactlyOnce(t, ch.names[i], all)
		p.mu.Lock()
		for j, text := range all {
			if j%3 != i && p.liveDeliveries(text) == 0 {
				onlyCaughtUp[ch.names[i]]++
			}
		}
		p.mu.Unlock()
	}
	ada := ch.people[0]
	var adas []string
	for i := 0; i < len(all); i += 3 {
		adas = append(adas, all[i])
	}
	if !waitUntil(ada, 15*time.Second, func(c *client) bool { return c.deliveredCount() >= len(adas) }) {
		ada.mu.Lock()
		t.Errorf("Ada's session confirmed %d of her %d messages; the others: %s", ada.deliveredCount(), len(adas), ada.sendHistory(adas))
		ada.mu.Unlock()
	}
	if left, err := ch.db.Outbox(ada.s.Server().String(), ada.s.User().ID).Load(); err != nil || len(left) != 0 {
		t.Errorf("Ada's outbox holds %d messages after delivery (%v)", len(left), err)
	}
	stored := storedTimes(t, ch.c.URL, ch.c.AdminEmail, ch.c.AdminPassword, prefix)
	for _, text := range all {
		if stored[text] != 1 {
			t.Errorf("the server holds %q %d times", text, stored[text])
		}
	}
	if len(stored) != len(all) {
		t.Errorf("the server holds %d messages of this test, want %d", len(stored), len(all))
	}
	return onlyCaughtUp
}

// TestClusterRedisRestartMidChat: Redis (the instances' bus) is killed and
// started again while Ada on d0 and Kevin on d1 (each on its instance's own
// port) and Grace through the balancer chat. Redis keeps nothing for an
// instance that was away: what was published during the gap reaches the
// other instance's sessions only through their catch-up, and must.
func TestClusterRedisRestartMidChat(t *testing.T) {
	c, _ := clustertest.Start(t, cluster.Options{})
	ch := threeChatters(t, c, [3]string{c.Instances[0].URL, c.Instances[1].URL, c.URL})
	prefix := unique("redis")
	all := ch.chatWhile(prefix, 2*time.Second, func() {
		if err := c.KillRedis(); err != nil {
			t.Error(err)
			return
		}
		time.Sleep(2 * time.Second) // the outage itself, not a synchronisation
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := c.StartRedis(ctx); err != nil {
			t.Error(err)
		}
	})
	caught := ch.verify(prefix, all, 30*time.Second)
	t.Logf("%d messages; received only by catch-up: %v", len(all), caught)
}

// TestClusterRollingRestart: every instance in turn is taken out of the
// balancer (drain), restarted (SIGTERM, start) and put back once healthy,
// while all three chat through the balancer. Sessions on the restarting
// instance reconnect to another; nothing is lost or doubled.
func TestClusterRollingRestart(t *testing.T) {
	c, _ := clustertest.Start(t, cluster.Options{})
	ch := threeChatters(t, c, [3]string{c.URL, c.URL, c.URL})
	prefix := unique("rolling")
	all := ch.chatWhile(prefix, 2*time.Second, func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		for i, s := range c.Instances {
			if err := c.SetInstanceState(ctx, i, "drain"); err != nil {
				t.Error(err)
				return
			}
			if err := s.Restart(ctx); err != nil {
				t.Error(err)
				return
			}
			if err := c.SetInstanceState(ctx, i, "ready"); err != nil {
				t.Error(err)
				return
			}
			if err := c.WaitInstanceStatus(ctx, i, "UP"); err != nil {
				t.Error(err)
				return
			}
		}
	})
	caught := ch.verify(prefix, all, 30*time.Second)
	t.Logf("%d messages; received only by catch-up: %v", len(all), caught)
}

// TestClusterPostgresBrieflyUnavailable: PostgreSQL stops for a few
// seconds mid-chat. Sends wait and go out once when it is back; the
// sessions say what happened (a status other than a silent hang).
func TestClusterPostgresBrieflyUnavailable(t *testing.T) {
	c, _ := clustertest.Start(t, cluster.Options{})
	ch := threeChatters(t, c, [3]string{c.URL, c.Instances[1].URL, c.URL})
	prefix := unique("postgres")
	all := ch.chatWhile(prefix, 2*time.Second, func() {
		if err := c.StopPostgres(); err != nil {
			t.Error(err)
			return
		}
		time.Sleep(3 * time.Second) // the outage itself, not a synchronisation
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := c.StartPostgres(ctx); err != nil {
			t.Error(err)
		}
	})
	caught := ch.verify(prefix, all, 30*time.Second)
	t.Logf("%d messages; received only by catch-up: %v", len(all), caught)
	for i, p := range ch.people {
		p.mu.Lock()
		var seen []string
		for _, ev := range p.events {
			switch ev := ev.(type) {
			case realtime.StateChanged:
				if ev.State != realtime.StateOnline {
					seen = append(seen, fmt.Sprintf("%v: %v", ev.State, realtime.Describe(ev.Err)))
				}
			case realtime.SendStatus:
				if ev.State == realtime.SendFailed {
					seen = append(seen, "send failed: "+realtime.Describe(ev.Err))
				}
			case realtime.Problem:
				seen = append(seen, "problem: "+realtime.Describe(ev.Err))
			}
		}
		p.mu.Unlock()
		t.Logf("%s saw: %v", ch.names[i], seen)
	}
}
