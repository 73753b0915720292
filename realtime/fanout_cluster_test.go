//go:build cluster && linux

package realtime_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"directuschat/devserver/cluster"
	"directuschat/devserver/cluster/clustertest"
	"directuschat/provision"
	"directuschat/realtime"
)

// BenchmarkClusterFanOut: 200 headless sessions (CLUSTER_FANOUT_SESSIONS)
// spread over the instances, 20 messages a second (CLUSTER_FANOUT_RATE) for 20 s
// (CLUSTER_FANOUT_FOR) sent by 10 of them into general, which every session
// is in. Reports delivery latency (send call to live event at each other
// session) and Directus CPU per instance, with 1 and with 2 instances on the
// same PostgreSQL and Redis; CLUSTER_FANOUT_CACHE=1 turns Directus's data
// cache on (in Redis, not purged on writes). Run it alone:
//
//	go test -tags=no_animations,cluster -run '^$' -bench ClusterFanOut -benchtime 1x -v ./realtime/
func BenchmarkClusterFanOut(b *testing.B) {
	for _, instances := range []int{1, 2} {
		b.Run(fmt.Sprintf("instances=%d", instances), func(b *testing.B) {
			for range b.N {
				fanOut(b, instances)
			}
		})
	}
}

func fanOut(b *testing.B, instances int) {
	sessions := envInt(b, "CLUSTER_FANOUT_SESSIONS", 200)
	window := 20 * time.Second
	if v := os.Getenv("CLUSTER_FANOUT_FOR"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			b.Fatalf("CLUSTER_FANOUT_FOR: %v", err)
		}
		window = d
	}
	var env map[string]string
	if os.Getenv("CLUSTER_FANOUT_CACHE") != "" {
		// Directus's data cache in Redis, not purged on writes: it also
		// keeps the user data the read rules name ($CURRENT_USER.…).
		env = map[string]string{"CACHE_ENABLED": "true", "CACHE_STORE": "redis", "CACHE_AUTO_PURGE": "false"}
	}
	c, _ := clustertest.Start(b, cluster.Options{Instances: instances, Env: env})
	users := provision.DemoUsers()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()

	var sent sync.Map // text -> time.Time of the send call
	var mu sync.Mutex
	var lat []time.Duration
	var received atomic.Int64
	ss := make([]*realtime.Session, sessions)
	sem := make(chan struct{}, 25)
	var wg sync.WaitGroup
	var failed atomic.Int32
	start := time.Now()
	for i := range sessions {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			u := users[i%len(users)]
			// Pin sessions round-robin to the instances' own ports, so each
			// instance holds its share.
			url := c.Instances[i%len(c.Instances)].URL
			s, err := realtime.Connect(ctx, realtime.Config{Server: url, Logger: quietLogger()}, realtime.Credentials{Email: u.Email, Password: u.Password})
			if err != nil {
				if failed.Add(1) <= 3 {
					b.Errorf("session %d: %v", i, err)
				}
				return
			}
			ss[i] = s
			var general atomic.Value
			go func() {
				for batch := range s.Events() {
					now := time.Now()
					for _, ev := range batch {
						switch ev := ev.(type) {
						case realtime.ChannelsChanged:
							for _, ch := range ev.Channels {
								if ch.Name == "general" && general.Load() == nil {
									general.Store(ch.ID)
								}
							}
						case realtime.Loaded:
							if ev.Kind != realtime.LoadLive {
								continue
							}
							for _, m := range ev.Messages {
								if m.AuthorID == s.User().ID {
									continue
								}
								if at, ok := sent.Load(m.Text); ok {
									mu.Lock()
									lat = append(lat, now.Sub(at.(time.Time)))
									mu.Unlock()
									received.Add(1)
								}
							}
						}
					}
				}
			}()
		}()
	}
	wg.Wait()
	b.Cleanup(func() {
		for _, s := range ss {
			if s != nil {
				s.Close()
			}
		}
	})
	if failed.Load() > 0 {
		b.Fatalf("%d of %d sessions could not connect", failed.Load(), sessions)
	}
	b.Logf("%d sessions on %d instance(s) in %s", sessions, instances, time.Since(start).Round(time.Millisecond))

	// 10 senders, each alone on its own conversation's general: all in
	// general (setup puts every chat user in it).
	senders := make([]*client, 0, 10)
	for i := range 10 {
		u := users[i%len(users)]
		senders = append(senders, connect(b, realtime.Config{Server: c.Instances[i%len(c.Instances)].URL}, u.Email, u.Password))
	}
	rate := envInt(b, "CLUSTER_FANOUT_RATE", 20) // messages per second
	cpu0 := instanceCPU(b, c)
	tick := time.NewTicker(time.Second / time.Duration(rate))
	defer tick.Stop()
	prefix := unique("fanout")
	n := 0
	b.ResetTimer()
	began := time.Now()
	for time.Since(began) < window {
		<-tick.C
		text := fmt.Sprintf("%s #%d", prefix, n)
		sent.Store(text, time.Now())
		senders[n%len(senders)].send(text)
		n++
	}
	elapsed := time.Since(began)
	cpu1 := instanceCPU(b, c)
	// Every receiver except the author gets each message: sessions whose
	// user is the sender's user skip their own user's messages.
	perUser := map[int]int{}
	for i := range sessions {
		perUser[i%len(users)]++
	}
	want := int64(0)
	for j := range n {
		want += int64(sessions - perUser[j%len(senders)%len(users)])
	}
	deadline := time.Now().Add(2 * time.Minute)
	for received.Load() < want && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	b.StopTimer()
	mu.Lock()
	got := slices.Clone(lat)
	mu.Unlock()
	slices.Sort(got)
	if len(got) == 0 {
		b.Fatal("no deliveries")
	}
	p := func(q float64) time.Duration { return got[min(len(got)-1, int(q*float64(len(got))))] }
	b.ReportMetric(float64(p(0.5).Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(p(0.99).Microseconds())/1000, "p99-ms")
	var cpus []string
	for i := range c.Instances {
		pct := 100 * (cpu1[i] - cpu0[i]).Seconds() / elapsed.Seconds()
		b.ReportMetric(pct, fmt.Sprintf("cpu%%-%s", cluster.InstanceName(i)))
		cpus = append(cpus, fmt.Sprintf("%s %.0f%%", cluster.InstanceName(i), pct))
	}
	b.Logf("%d messages (%d/s) in %s to %d sessions on %d instance(s): %d of %d deliveries; latency p50 %s, p99 %s, max %s; Directus CPU while sending: %s",
		n, rate, elapsed.Round(time.Millisecond), sessions, instances, len(got), want, ms(p(0.5)), ms(p(0.99)), ms(got[len(got)-1]), strings.Join(cpus, ", "))
	if int64(len(got)) < want {
		b.Errorf("%d of %d deliveries arrived within 2 min after the last send", len(got), want)
	}
}

func envInt(b *testing.B, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		b.Fatalf("%s: %v", name, err)
	}
	return n
}

// instanceCPU reads the CPU time (user + system) each instance's process
// has used, from /proc (clock ticks of 10 ms).
func instanceCPU(b *testing.B, c *cluster.Cluster) []time.Duration {
	var out []time.Duration
	for _, s := range c.Instances {
		raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", s.PID()))
		if err != nil {
			b.Fatal(err)
		}
		// Fields after the command name (which is in parentheses).
		f := strings.Fields(string(raw[strings.LastIndexByte(string(raw), ')')+2:]))
		ut, _ := strconv.ParseInt(f[11], 10, 64)
		st, _ := strconv.ParseInt(f[12], 10, 64)
		out = append(out, time.Duration(ut+st)*10*time.Millisecond)
	}
	return out
}
