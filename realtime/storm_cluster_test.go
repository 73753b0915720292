//go:build cluster && linux

package realtime_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"directuschat/devserver/cluster"
	"directuschat/devserver/cluster/clustertest"
	"directuschat/provision"
	"directuschat/realtime"
)

// stormSession is a headless session (the realtime package without UI)
// that records only what the storm test measures.
type stormSession struct {
	s *realtime.Session

	mu        sync.Mutex
	lost      bool      // its socket went away after the kill
	attempt   time.Time // its first reconnect attempt after the kill
	back      time.Time // online again after the kill
	gotMarker time.Time // the message sent during the outage arrived
}

// TestClusterReconnectStorm: 500 headless sessions (CLUSTER_STORM sets
// another number) held by d0 through the balancer, with the app's own
// reconnect settings; d0 is killed. The sessions must come back through the
// balancer (to d1) spread over the backoff window, not in lockstep, and
// each must get the message sent while it was away. Figures: the spread of
// the first attempts, the peak connection rate the balancer saw, and the
// time until all are back and caught up.
func TestClusterReconnectStorm(t *testing.T) {
	n := 500
	if v := os.Getenv("CLUSTER_STORM"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil {
			t.Fatalf("CLUSTER_STORM: %v", err)
		}
	}
	c, _ := clustertest.Start(t, cluster.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	users := provision.DemoUsers()

	var killed atomic.Bool
	var marker atomic.Value
	marker.Store("")
	if err := c.SetInstanceState(ctx, 1, "drain"); err != nil {
		t.Fatal(err)
	}
	sessions := make([]*stormSession, n)
	start := time.Now()
	sem := make(chan struct{}, 25) // logins stall 500 ms each (LOGIN_STALL_TIME)
	var wg sync.WaitGroup
	var failed atomic.Int32
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			u := users[i%len(users)]
			cctx, ccancel := context.WithTimeout(ctx, 2*time.Minute)
			defer ccancel()
			s, err := realtime.Connect(cctx, realtime.Config{Server: c.URL, Logger: quietLogger()}, realtime.Credentials{Email: u.Email, Password: u.Password})
			if err != nil {
				if failed.Add(1) <= 3 {
					t.Errorf("session %d: %v", i, err)
				}
				return
			}
			ss := &stormSession{s: s}
			sessions[i] = ss
			go func() {
				for batch := range s.Events() {
					now := time.Now()
					ss.mu.Lock()
					for _, ev := range batch {
						switch ev := ev.(type) {
						case realtime.StateChanged:
							if !killed.Load() {
								continue
							}
							switch ev.State {
							case realtime.StateOffline:
								ss.lost = true
							case realtime.StateConnecting:
								ss.lost = true
								if ss.attempt.IsZero() {
									ss.attempt = now
								}
							case realtime.StateOnline:
								if ss.lost && ss.back.IsZero() {
									ss.back = now
								}
							}
						case realtime.Loaded:
							m := marker.Load().(string)
							for _, msg := range ev.Messages {
								if m != "" && msg.Text == m && ss.gotMarker.IsZero() {
									ss.gotMarker = now
								}
							}
						}
					}
					ss.mu.Unlock()
				}
			}()
		}()
	}
	wg.Wait()
	t.Cleanup(func() {
		for _, ss := range sessions {
			if ss != nil {
				ss.s.Close()
			}
		}
	})
	if failed.Load() > 0 {
		t.Fatalf("%d of %d sessions could not connect", failed.Load(), n)
	}
	t.Logf("%d sessions connected through the balancer in %s", n, time.Since(start).Round(time.Millisecond))
	waitHeld(t, c, fmt.Sprintf("the %d sockets on d0", n), func(h map[string]int) bool { return h["d0"] == n && h["d1"] == 0 })
	if err := c.SetInstanceState(ctx, 1, "ready"); err != nil {
		t.Fatal(err)
	}
	kevin := connect(t, realtime.Config{Server: c.Instances[1].URL}, users[1].Email, users[1].Password)
	if err := c.ClearCounters(ctx); err != nil {
		t.Fatal(err)
	}

	killed.Store(true)
	killedAt := time.Now()
	if err := c.Instances[0].Kill(); err != nil {
		t.Fatal(err)
	}
	text := unique("storm marker")
	marker.Store(text)
	kevin.send(text)

	// Poll the sessions' records (a condition, not a fixed sleep).
	deadline := time.Now().Add(5 * time.Minute)
	var back, caught int
	for {
		back, caught = 0, 0
		for _, ss := range sessions {
			ss.mu.Lock()
			if !ss.back.IsZero() {
				back++
			}
			if !ss.gotMarker.IsZero() {
				caught++
			}
			ss.mu.Unlock()
		}
		if back == n && caught == n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %s: %d of %d sessions back online, %d have the message sent while they were away",
				time.Since(killedAt).Round(time.Millisecond), back, n, caught)
		}
		time.Sleep(100 * time.Millisecond)
	}
	var attempts, backs, caughts []time.Duration
	for _, ss := range sessions {
		ss.mu.Lock()
		attempts = append(attempts, ss.attempt.Sub(killedAt))
		backs = append(backs, ss.back.Sub(killedAt))
		caughts = append(caughts, ss.gotMarker.Sub(killedAt))
		ss.mu.Unlock()
	}
	for _, d := range [][]time.Duration{attempts, backs, caughts} {
		slices.Sort(d)
	}
	peak100 := peakIn(attempts, 100*time.Millisecond)
	peak1s := peakIn(backs, time.Second)
	stats, err := c.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("first reconnect attempts after the kill: %s .. %s (p50 %s); at most %d in one 100 ms",
		ms(attempts[0]), ms(attempts[n-1]), ms(attempts[n/2]), peak100)
	t.Logf("back online: p50 %s, p99 %s, all %s; at most %d came online in one second",
		ms(backs[n/2]), ms(backs[n*99/100]), ms(backs[n-1]), peak1s)
	t.Logf("caught up (have the message sent during the outage): p50 %s, all %s", ms(caughts[n/2]), ms(caughts[n-1]))
	t.Logf("balancer: front end at most %d new sessions/s, d1 at most %d/s; now d1 holds %d",
		stats["FRONTEND"].RateMax, stats["d1"].RateMax, stats["d1"].Current)
	// Lockstep would put (nearly) all first attempts in one instant; the
	// app's backoff jitter (±30 % of the first 500 ms) spreads them over
	// about 300 ms.
	if peak100 > n*6/10 {
		t.Errorf("%d of %d sessions attempted to reconnect within the same 100 ms: in lockstep", peak100, n)
	}
}

// peakIn is the most offsets that fall in one window of width w.
func peakIn(sorted []time.Duration, w time.Duration) int {
	best, j := 0, 0
	for i := range sorted {
		for sorted[i]-sorted[j] >= w {
			j++
		}
		best = max(best, i-j+1)
	}
	return best
}

func ms(d time.Duration) string { return d.Round(time.Millisecond).String() }
