package realtime_test

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"sync"
	"testing"
	"time"

	"directuschat/internal/bench"
	"directuschat/realtime"
	"directuschat/timeline"
)

// historyEnv is the Directus with the big history: cmd/bench's, or one this
// benchmark starts from the cached data directory (filled on first use).
func historyEnv(b *testing.B) *bench.Env {
	b.Helper()
	if u := os.Getenv(bench.EnvHistoryURL); u != "" {
		return bench.External(u)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	env, _, err := bench.StartHistory(ctx, bench.EnvInt(bench.EnvHistoryN, bench.DefaultHistory), os.Stderr)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = env.Close() })
	return env
}

// model is the app's model without its UI: a session whose events are
// applied to a timeline by one consumer goroutine, as ui.App's pump does
// (without frame pacing). On a server with channels it opens general, as
// the app does, and its timeline holds that conversation only: the
// subscription's page of all conversations (LoadCatchUp) is filtered to
// it, and OpenChannel's own newest page (LoadInitial) follows.
type model struct {
	s       *realtime.Session
	mu      sync.Mutex
	tl      timeline.Timeline
	changed chan struct{}
	open    string    // the conversation open ("" without channels)
	first   time.Time // the first Apply that showed rows
	firstN  int
	own     time.Time // the open conversation's own newest page applied
}

func startModel(s *realtime.Session, conversation string) *model {
	m := &model{s: s, changed: make(chan struct{}, 1)}
	go func() {
		for batch := range s.Events() {
			m.mu.Lock()
			batch, own := m.scope(batch, conversation)
			m.tl.Apply(batch)
			if m.first.IsZero() && m.tl.Len() > 0 {
				m.first, m.firstN = time.Now(), m.tl.Len()
			}
			if own && m.own.IsZero() {
				m.own = time.Now()
			}
			m.mu.Unlock()
			select {
			case m.changed <- struct{}{}:
			default:
			}
		}
		close(m.changed)
	}()
	return m
}

// scope keeps the events of the open conversation, opening the one named
// conversation when the conversations arrive; own says the batch holds the
// open conversation's own newest page.
func (m *model) scope(batch []realtime.Event, conversation string) (out []realtime.Event, own bool) {
	for _, ev := range batch {
		switch ev := ev.(type) {
		case realtime.ChannelsChanged:
			for _, c := range ev.Channels {
				if m.open == "" && c.Name == conversation {
					m.open = c.ID
					_ = m.s.OpenChannel(c.ID)
				}
			}
		case realtime.Loaded:
			if !m.s.Permissions().Channels {
				out = append(out, ev)
				continue
			}
			if m.open == "" || ev.Channel != "" && ev.Channel != m.open {
				continue
			}
			ev.Messages = slices.DeleteFunc(slices.Clone(ev.Messages), func(msg realtime.Message) bool { return msg.Channel != m.open })
			own = own || ev.Kind == realtime.LoadInitial
			out = append(out, ev)
		default:
			out = append(out, ev)
		}
	}
	return out, own
}

// wait blocks until cond holds (checked under the lock) or timeout.
func (m *model) wait(b *testing.B, timeout time.Duration, what string, cond func(tl *timeline.Timeline) bool) {
	b.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		m.mu.Lock()
		ok := cond(&m.tl)
		m.mu.Unlock()
		if ok {
			return
		}
		select {
		case _, open := <-m.changed:
			if !open {
				b.Fatalf("session ended while waiting for %s", what)
			}
		case <-deadline.C:
			b.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
	}
}

// BenchmarkHistoryModel is scenario 3 for the app's model: sign in to a
// server with the big history (time from "auth ok" to the newest page
// applied), then page back through BENCH_PAGE_BACK messages and measure the
// Go heap in use, with a heap profile.
func BenchmarkHistoryModel(b *testing.B) {
	env := historyEnv(b)
	user := env.Users[0]
	pageBack := bench.EnvInt(bench.EnvPageBack, 10_000)
	out := os.Getenv(bench.EnvOut)
	runtime.MemProfileRate = 32 << 10
	var res bench.History
	for range b.N {
		res = bench.History{Client: "model (realtime.Session + timeline.Timeline, no UI)", PageBack: pageBack, Load: bench.Loadavg()}
		if admin, err := bench.Login(context.Background(), env.URL, env.AdminEmail, env.AdminPassword); err == nil {
			res.Stored, _ = bench.Count(context.Background(), env.URL, admin)
		}
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		res.Baseline = mb(ms.HeapInuse)

		var m *model
		const signIns = 5
		for i := range signIns {
			tr := &bench.Tracer{}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			start := time.Now()
			s, err := realtime.Connect(ctx, realtime.Config{Server: env.URL, Logger: quietLogger(), HTTPClient: tr.Client()},
				realtime.Credentials{Email: user.Email, Password: user.Password})
			end := time.Now()
			cancel()
			if err != nil {
				b.Fatal(err)
			}
			m = startModel(s, "general")
			m.wait(b, time.Minute, "the newest page", func(tl *timeline.Timeline) bool { return tl.Len() > 0 && !m.own.IsZero() })
			m.mu.Lock()
			si := bench.SplitSignIn(tr, start, end, m.first, m.firstN)
			if login, ok := tr.Last("/auth/login"); ok {
				si.OwnPageMS = bench.MS(m.own.Sub(login.End))
			}
			res.SignIns = append(res.SignIns, si)
			m.mu.Unlock()
			if i < signIns-1 {
				s.Close()
			}
		}

		pagingStart := time.Now()
		var pages []time.Duration
		for {
			m.mu.Lock()
			n, more := m.tl.Len(), m.tl.HasOlder()
			oldest, tied, _ := m.tl.OldestTied()
			m.mu.Unlock()
			if n >= pageBack+res.SignIns[0].FirstPage || !more {
				res.Loaded = n
				break
			}
			t0 := time.Now()
			m.s.LoadOlder(oldest, tied)
			m.wait(b, time.Minute, "an older page", func(tl *timeline.Timeline) bool { return tl.Len() > n || !tl.HasOlder() })
			pages = append(pages, time.Since(t0))
		}
		res.PagingS = time.Since(pagingStart).Seconds()
		res.Pages = len(pages)
		res.Page = bench.Summarize(pages)

		runtime.GC()
		runtime.GC()
		runtime.ReadMemStats(&ms)
		res.HeapInuse, res.HeapAlloc, res.HeapSys = mb(ms.HeapInuse), mb(ms.HeapAlloc), mb(ms.HeapSys)
		if out != "" {
			res.Profile = filepath.Join(out, "heap-model.pprof")
			if err := writeHeapProfile(res.Profile); err != nil {
				b.Error(err)
			}
		}
		runtime.KeepAlive(m)
		m.s.Close()
	}
	b.ReportMetric(res.SignIns[0].AuthOKToAppliedMS, "first-authok-to-page-ms")
	b.ReportMetric(res.HeapInuse, "heap-inuse-MB")
	b.ReportMetric(res.Page.P50, "page-p50-ms")
	if err := bench.WriteJSON(out, "history-model", res); err != nil {
		b.Fatal(err)
	}
}

func mb(n uint64) float64 { return float64(n) / (1 << 20) }

func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return pprof.Lookup("heap").WriteTo(f, 0)
}
