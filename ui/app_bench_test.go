package ui

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/data/binding"
	"fyne.io/fyne/v2/test"
	"github.com/google/uuid"

	"directuschat/devserver/devservertest"
	"directuschat/internal/bench"
	"directuschat/realtime"
	"directuschat/timeline"
)

// The scenario benchmarks drive the real ui.App on Fyne's test driver:
// sign-in through the login form, the session, the pump with its frame
// pacing, the chat view's apply, the timeline and the list binding. The
// UI thread is played by the benchmark goroutine, which times every
// function the app dispatches to it. The test driver does not paint: GL
// drawing is not part of these numbers (the Xvfb run of cmd/bench covers
// the real window).

// benchUI plays the UI thread and times what runs on it.
type benchUI struct {
	fns   chan func()
	spans []bench.Span
	cur   time.Time // start of the function running now
}

func newBenchUI() *benchUI { return &benchUI{fns: make(chan func(), 4096)} }

func (u *benchUI) dispatch(fn func()) { u.fns <- fn }

// run times one function on the UI thread.
func (u *benchUI) run(fn func()) {
	u.cur = time.Now()
	fn()
	u.spans = append(u.spans, bench.Span{Start: u.cur, Dur: time.Since(u.cur)})
}

// until runs dispatched functions until cond holds (cond is checked between
// them, untimed), failing after timeout.
func (u *benchUI) until(b testing.TB, timeout time.Duration, what string, cond func() bool) {
	b.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for !cond() {
		select {
		case fn := <-u.fns:
			u.run(fn)
		case <-deadline.C:
			b.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
	}
}

// drainFor keeps running dispatched functions for d.
func (u *benchUI) drainFor(d time.Duration) {
	end := time.After(d)
	for {
		select {
		case fn := <-u.fns:
			u.run(fn)
		case <-end:
			return
		}
	}
}

// summary is the UI thread's work since from, with the refreshes seen.
func (u *benchUI) summary(from time.Time, refreshes []time.Time) bench.UIThread {
	var spans []bench.Span
	var durs []time.Duration
	var busy time.Duration
	for _, s := range u.spans {
		if s.Start.Before(from) {
			continue
		}
		spans = append(spans, s)
		durs = append(durs, s.Dur)
		busy += s.Dur
	}
	st := bench.Stretches(spans, time.Millisecond)
	longest := time.Duration(0)
	if len(st) > 0 {
		longest = slices.Max(st)
	}
	var rs []time.Time
	for _, r := range refreshes {
		if !r.Before(from) {
			rs = append(rs, r)
		}
	}
	return bench.UIThread{
		Dispatches:         len(spans),
		BusyMS:             bench.MS(busy),
		Fn:                 bench.Summarize(durs),
		MaxStretch:         bench.MS(longest),
		Refreshes:          len(rs),
		MaxRefreshesPerSec: bench.MaxPerWindow(rs, time.Second),
	}
}

// benchEnv is a provisioned Directus for the live scenarios: cmd/bench's,
// or the test binary's shared one.
func benchEnv(b *testing.B) *bench.Env {
	b.Helper()
	if u := os.Getenv(bench.EnvURL); u != "" {
		return bench.External(u)
	}
	env := devservertest.Shared(b)
	e := bench.External(env.URL)
	e.Users = env.Users
	e.AdminEmail, e.AdminPassword = env.AdminEmail, env.AdminPassword
	return e
}

// benchApp is a ui.App on the test driver, with its UI thread, HTTP tracer
// and the times realtime.Connect started and returned.
type benchApp struct {
	u            *App
	th           *benchUI
	tr           *bench.Tracer
	connectStart time.Time
	connectEnd   time.Time
	refreshes    []time.Time
}

func newBenchApp(b *testing.B, server string) *benchApp {
	b.Helper()
	a := test.NewTempApp(b)
	ba := &benchApp{th: newBenchUI(), tr: &bench.Tracer{}}
	cfg := Config{Server: server, Dispatch: ba.th.dispatch, Logger: quiet()}
	cfg.Session.HTTPClient = ba.tr.Client()
	cfg.Connect = func(ctx context.Context, c realtime.Config, creds realtime.Credentials) (*realtime.Session, error) {
		ba.connectStart = time.Now()
		s, err := realtime.Connect(ctx, c, creds)
		ba.connectEnd = time.Now()
		return s, err
	}
	ba.u = New(a, cfg)
	ba.u.Window().Resize(fyne.NewSize(480, 640))
	ba.u.Window().Show()
	b.Cleanup(ba.close)
	return ba
}

// close ends the session, running the UI thread until it has.
func (ba *benchApp) close() {
	if ba.u.chat == nil {
		return
	}
	s := ba.u.chat.session
	go s.Close()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case fn := <-ba.th.fns:
			fn()
		case <-s.Done():
			return
		case <-deadline:
			return
		}
	}
}

// What signIn waits for once the chat view shows.
type waitFor int

const (
	// waitChat: the first events handled (a server without channels, the
	// scripted stand-in).
	waitChat waitFor = iota
	// waitOpen: a server with channels: the conversation the app opens
	// first (general) is open and its newest page was asked for.
	waitOpen
	// waitRows: waitOpen, and the open conversation's rows are shown;
	// signIn returns when (the first change of the timeline with rows).
	waitRows
)

// signIn is signInFor waiting for the newest page (history), or for the
// first events to be handled.
func (ba *benchApp) signIn(b *testing.B, email, password string, history bool) (applied time.Time, rows int) {
	b.Helper()
	if history {
		return ba.signInFor(b, email, password, waitRows)
	}
	return ba.signInFor(b, email, password, waitChat)
}

// signInFor types the credentials into the login form and taps Sign in,
// then waits as w says. With waitRows it returns when the open
// conversation's first rows were applied (and how many).
func (ba *benchApp) signInFor(b *testing.B, email, password string, w waitFor) (applied time.Time, rows int) {
	b.Helper()
	l := ba.u.login
	test.Type(l.email, email)
	test.Type(l.password, password)
	ba.tr.Reset()
	test.Tap(l.signIn)
	ba.th.until(b, time.Minute, "the chat view", func() bool { return ba.u.chat != nil || l.status.Text != "" && !l.busy })
	if ba.u.chat == nil {
		b.Fatalf("sign-in failed: %s", l.status.Text)
	}
	c := ba.u.chat
	c.tl.OnChange(func() {
		// On a server with channels the rows count once a conversation
		// is open (before, the timeline may show the subscription's
		// page of all conversations for a moment).
		if applied.IsZero() && c.tl.Len() > 0 && (c.ch.open != "" || !c.session.Permissions().Channels) {
			applied, rows = time.Now(), c.tl.Len()
		}
	})
	switch w {
	case waitRows:
		ba.th.until(b, time.Minute, "the open conversation's newest page", func() bool { return !applied.IsZero() })
	case waitOpen:
		ba.th.until(b, time.Minute, "a conversation opened", func() bool { return c.ch.open != "" })
		ba.th.drainFor(500 * time.Millisecond) // its newest page (the live scenarios start with an empty one)
	default:
		ba.th.drainFor(500 * time.Millisecond)
	}
	c.data.AddListener(binding.NewDataListener(func() { ba.refreshes = append(ba.refreshes, time.Now()) }))
	ba.refreshes = nil // AddListener calls it once at once
	return applied, rows
}

// BenchmarkDeliveryLatency is scenario 1: another client (Kevin, a bare
// socket) creates BENCH_MESSAGES messages at BENCH_RATE per second; each is
// timed from its send to being applied to the app's timeline (Ada, the
// real ui.App), and to its arrival at two bare gorilla/websocket clients
// (Grace), subscribed before and after the app.
func BenchmarkDeliveryLatency(b *testing.B) {
	env := benchEnv(b)
	n := bench.EnvInt(bench.EnvMessages, 500)
	rate := bench.EnvInt(bench.EnvRate, 20)
	var res bench.Latency
	for range b.N {
		res = runLatency(b, env, n, rate)
	}
	b.ReportMetric(res.App.P50, "app-p50-ms")
	b.ReportMetric(res.App.P99, "app-p99-ms")
	b.ReportMetric(res.Overhead.P50, "overhead-p50-ms")
	b.ReportMetric(res.Overhead.P99, "overhead-p99-ms")
	if err := bench.WriteJSON(os.Getenv(bench.EnvOut), "latency", res); err != nil {
		b.Fatal(err)
	}
}

func runLatency(b *testing.B, env *bench.Env, n, rate int) bench.Latency {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	ada, kevin, grace := env.Users[0], env.Users[1], env.Users[2]
	res := bench.Latency{Messages: n, Rate: float64(rate), Load: bench.Loadavg()}

	graceTok, err := bench.Login(ctx, env.URL, grace.Email, grace.Password)
	if err != nil {
		b.Fatal(err)
	}
	general, err := bench.ChannelID(ctx, env.URL, graceTok, "general")
	if err != nil {
		b.Fatal(err)
	}
	bare := func() (*bench.Bare, *[]bench.Received, *sync.Mutex) {
		c, err := bench.DialBare(ctx, env.URL, graceTok)
		if err != nil {
			b.Fatal(err)
		}
		if err := c.Subscribe(ctx, "bench-"+uuid.NewString()); err != nil {
			b.Fatal(err)
		}
		var got []bench.Received
		var mu sync.Mutex
		go func() {
			_ = c.Run(func(r bench.Received) {
				mu.Lock()
				got = append(got, r)
				mu.Unlock()
			})
		}()
		b.Cleanup(func() { c.Close() })
		return c, &got, &mu
	}
	_, before, beforeMu := bare()

	// With BENCH_LATENCY_FRAMES set the app goes through the counting
	// proxy, to see what it sends while the messages arrive (the proxy's
	// hop is then part of the app's time).
	server := env.URL
	var px *bench.Proxy
	if os.Getenv(bench.EnvLatencyFrames) != "" {
		u, err := url.Parse(env.URL)
		if err != nil {
			b.Fatal(err)
		}
		if px, err = bench.StartProxy(u.Host); err != nil {
			b.Fatal(err)
		}
		defer px.Close()
		server = px.URL()
	}
	ba := newBenchApp(b, server)
	ba.signInFor(b, ada.Email, ada.Password, waitOpen)
	c := ba.u.chat
	if c.ch.open != general {
		b.Fatalf("the app opened %q, not general (%s)", c.ch.open, general)
	}

	_, after, afterMu := bare()

	sent := bench.NewRecorder()
	applied := map[string]time.Time{}
	appliedFnStart := map[string]time.Time{}
	c.tl.OnChange(func() {
		now := time.Now()
		for i := c.tl.Len() - 1; i >= 0; i-- {
			id := c.tl.At(i).ID
			if _, ok := applied[id]; ok {
				break
			}
			if _, ok := sent.Get(id); ok {
				applied[id] = now
				appliedFnStart[id] = ba.th.cur
			}
		}
	})

	kevinTok, err := bench.Login(ctx, env.URL, kevin.Email, kevin.Password)
	if err != nil {
		b.Fatal(err)
	}
	sender, err := bench.DialBare(ctx, env.URL, kevinTok)
	if err != nil {
		b.Fatal(err)
	}
	defer sender.Close()
	go func() { _ = sender.Run(func(bench.Received) {}) }()

	from := time.Now()
	var firstSend, lastSend time.Time
	senderDone := make(chan error, 1)
	go func() {
		tick := time.NewTicker(time.Second / time.Duration(rate))
		defer tick.Stop()
		for i := range n {
			<-tick.C
			id := uuid.NewString()
			t := time.Now()
			sent.Record(id, t)
			if i == 0 {
				firstSend = t
			}
			lastSend = t
			if err := sender.Create(id, general, fmt.Sprintf("latency #%d", i)); err != nil {
				senderDone <- err
				return
			}
		}
		senderDone <- nil
	}()
	timeout := time.Duration(n/rate)*time.Second + time.Minute
	ba.th.until(b, timeout, "every message applied", func() bool { return len(applied) >= n })
	if err := <-senderDone; err != nil {
		b.Fatal(err)
	}
	ba.th.drainFor(500 * time.Millisecond) // stragglers at the bare clients
	res.SendWindow = lastSend.Sub(firstSend).Seconds()
	res.UI = ba.th.summary(from, ba.refreshes)
	if px != nil {
		res.AppFrames = map[string]int{}
		for _, f := range px.Sent() {
			if !f.At.Before(from) {
				res.AppFrames[strings.TrimSpace(f.Type+" "+f.Action+" "+f.Collection)]++
			}
		}
	}

	times := func(got *[]bench.Received, mu *sync.Mutex) map[string]time.Time {
		mu.Lock()
		defer mu.Unlock()
		m := map[string]time.Time{}
		for _, r := range *got {
			for _, id := range bench.CreatedIDs(r.Data) {
				if _, ok := m[id]; !ok {
					m[id] = r.At
				}
			}
		}
		return m
	}
	tb, ta := times(before, beforeMu), times(after, afterMu)
	var app, bb, baft, over, overB []time.Duration
	for id, at := range applied {
		s, _ := sent.Get(id)
		app = append(app, at.Sub(s))
		t1, ok1 := tb[id]
		t2, ok2 := ta[id]
		if ok1 {
			bb = append(bb, t1.Sub(s))
			overB = append(overB, at.Sub(t1))
		}
		if ok2 {
			baft = append(baft, t2.Sub(s))
		}
		if ok1 && ok2 {
			mid := t1.Add(t2.Sub(t1) / 2)
			over = append(over, at.Sub(mid))
		} else {
			res.Missing++
		}
	}
	res.App = bench.Summarize(app)
	res.BareBefore = bench.Summarize(bb)
	res.BareAfter = bench.Summarize(baft)
	res.Overhead = bench.Summarize(over)
	res.OverheadVsBefore = bench.Summarize(overB)
	return res
}

// BenchmarkBurst is scenario 2: 1,000 messages created within about a
// second by three other users with concurrent bulk REST requests, while
// the app (Ada) is signed in. All must arrive in the server's order, once;
// the UI thread's work and the list refreshes are recorded.
func BenchmarkBurst(b *testing.B) {
	env := benchEnv(b)
	var res bench.Burst
	for range b.N {
		res = runBurst(b, env)
	}
	b.ReportMetric(float64(res.UI.MaxRefreshesPerSec), "refreshes/s")
	b.ReportMetric(res.UI.MaxStretch, "max-ui-stretch-ms")
	b.ReportMetric(res.AllApplied, "all-applied-s")
	if err := bench.WriteJSON(os.Getenv(bench.EnvOut), "burst", res); err != nil {
		b.Fatal(err)
	}
	if res.Arrived != res.Messages || res.Duplicates != 0 || !res.InOrder {
		b.Errorf("burst: %d of %d arrived, %d duplicates, in order %v", res.Arrived, res.Messages, res.Duplicates, res.InOrder)
	}
}

func runBurst(b *testing.B, env *bench.Env) bench.Burst {
	const total, requests = 1000, 20
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	ada := env.Users[0]
	res := bench.Burst{Source: "directus", Messages: total, Requests: requests, Senders: 3, Load: bench.Loadavg()}

	type sender struct{ email, password string }
	senders := []sender{{env.Users[1].Email, env.Users[1].Password}, {env.Users[2].Email, env.Users[2].Password}, {env.AdminEmail, env.AdminPassword}}
	tokens := make([]string, len(senders))
	for i, s := range senders {
		var err error
		if tokens[i], err = bench.Login(ctx, env.URL, s.email, s.password); err != nil {
			b.Fatal(err)
		}
	}
	admin := tokens[2]
	general, err := bench.ChannelID(ctx, env.URL, admin, "general")
	if err != nil {
		b.Fatal(err)
	}

	ba := newBenchApp(b, env.URL)
	ba.signInFor(b, ada.Email, ada.Password, waitOpen)
	c := ba.u.chat
	if c.ch.open != general {
		b.Fatalf("the app opened %q, not general (%s)", c.ch.open, general)
	}
	prefix := "burst " + uuid.NewString()[:8] + " #"
	base := c.tl.Len()

	from := time.Now()
	var wg sync.WaitGroup
	var mu sync.Mutex
	var lastAnswer time.Time
	errs := make(chan error, requests)
	per := total / requests
	for r := range requests {
		wg.Add(1)
		go func() {
			defer wg.Done()
			time.Sleep(time.Until(from.Add(time.Duration(r) * time.Second / requests)))
			items := make([]map[string]string, per)
			for j := range items {
				items[j] = map[string]string{"text": fmt.Sprintf("%s%04d", prefix, r*per+j), "channel": general}
			}
			if err := bench.CreateMany(ctx, env.URL, tokens[r%len(tokens)], items); err != nil {
				errs <- err
				return
			}
			mu.Lock()
			lastAnswer = time.Now()
			mu.Unlock()
		}()
	}
	ba.th.until(b, 3*time.Minute, "the burst in the timeline", func() bool { return c.tl.Len() >= base+total })
	allApplied := time.Now()
	wg.Wait()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
	ba.th.drainFor(2 * time.Second) // late duplicates would show now
	res.CreateWindow = lastAnswer.Sub(from).Seconds()
	res.AllApplied = allApplied.Sub(from).Seconds()
	res.UI = ba.th.summary(from, ba.refreshes)

	seen := map[string]int{}
	var order []string
	for i := range c.tl.Len() {
		e := c.tl.At(i)
		if strings.HasPrefix(e.Text, prefix) {
			seen[e.ID]++
			if seen[e.ID] == 1 {
				order = append(order, e.ID)
			}
			if e.Status != timeline.Sent {
				b.Errorf("burst message %s is %v, want sent", e.ID, e.Status)
			}
		}
	}
	res.Arrived = len(seen)
	for _, k := range seen {
		res.Duplicates += k - 1
	}
	want, err := bench.IDsWithPrefix(ctx, env.URL, admin, prefix)
	if err != nil {
		b.Fatal(err)
	}
	res.InOrder = slices.Equal(order, want)
	return res
}

// BenchmarkBurstScripted is scenario 2 at the rate the issue asks for,
// which the real Directus cannot produce on a small machine: a stand-in
// server (bench.Scripted) sends 1,000 create events, one message each as
// Directus does, evenly over one second, to the real app.
func BenchmarkBurstScripted(b *testing.B) {
	var res bench.Burst
	for range b.N {
		res = runBurstScripted(b)
	}
	b.ReportMetric(float64(res.UI.MaxRefreshesPerSec), "refreshes/s")
	b.ReportMetric(res.UI.MaxStretch, "max-ui-stretch-ms")
	b.ReportMetric(res.AllApplied, "all-applied-s")
	if err := bench.WriteJSON(os.Getenv(bench.EnvOut), "burst-scripted", res); err != nil {
		b.Fatal(err)
	}
	if res.Arrived != res.Messages || res.Duplicates != 0 || !res.InOrder {
		b.Errorf("burst: %d of %d arrived, %d duplicates, in order %v", res.Arrived, res.Messages, res.Duplicates, res.InOrder)
	}
}

func runBurstScripted(b *testing.B) bench.Burst {
	const total = 1000
	srv := bench.NewScripted()
	defer srv.Close()
	res := bench.Burst{Source: "scripted", Messages: total, Requests: total, Senders: 1, Load: bench.Loadavg()}
	ba := newBenchApp(b, srv.URL)
	ba.signInFor(b, "ada@example.com", "chat-demo", waitChat)
	conn, err := srv.Subscribed(10 * time.Second)
	if err != nil {
		b.Fatal(err)
	}
	c := ba.u.chat
	base := c.tl.Len()
	prefix := "burst " + uuid.NewString()[:8] + " #"
	want := make([]string, total)
	t0 := time.Now().Add(-time.Hour) // distinct, increasing timestamps
	from := time.Now()
	var sentAll time.Time
	errs := make(chan error, 1)
	go func() {
		for i := range total {
			time.Sleep(time.Until(from.Add(time.Duration(i) * time.Second / total)))
			want[i] = fmt.Sprintf("burst-%s-%04d", prefix[6:14], i)
			err := conn.Create(bench.Item{ID: want[i], Text: fmt.Sprintf("%s%04d", prefix, i), AuthorID: "u-kevin", AuthorName: "Kevin",
				Created: t0.Add(time.Duration(i) * time.Millisecond)})
			if err != nil {
				errs <- err
				return
			}
		}
		sentAll = time.Now()
		errs <- nil
	}()
	ba.th.until(b, time.Minute, "the burst in the timeline", func() bool { return c.tl.Len() >= base+total })
	allApplied := time.Now()
	if err := <-errs; err != nil {
		b.Fatal(err)
	}
	ba.th.drainFor(2 * time.Second)
	res.CreateWindow = sentAll.Sub(from).Seconds()
	res.AllApplied = allApplied.Sub(from).Seconds()
	res.UI = ba.th.summary(from, ba.refreshes)
	seen := map[string]int{}
	var order []string
	for i := range c.tl.Len() {
		if e := c.tl.At(i); strings.HasPrefix(e.Text, prefix) {
			seen[e.ID]++
			if seen[e.ID] == 1 {
				order = append(order, e.ID)
			}
		}
	}
	res.Arrived = len(seen)
	for _, k := range seen {
		res.Duplicates += k - 1
	}
	res.InOrder = slices.Equal(order, want)
	return res
}

// BenchmarkHistoryUI is scenario 3 for the real app: sign in through the
// login form to a server with the big history (from "auth ok" to the newest
// page applied), then scroll to the top again and again, as a reader does,
// until BENCH_PAGE_BACK older messages are loaded; then the Go heap in use,
// with a heap profile.
func BenchmarkHistoryUI(b *testing.B) {
	env := historyEnvUI(b)
	pageBack := bench.EnvInt(bench.EnvPageBack, 10_000)
	out := os.Getenv(bench.EnvOut)
	runtime.MemProfileRate = 32 << 10
	var res bench.History
	for range b.N {
		res = runHistoryUI(b, env, pageBack, out)
	}
	b.ReportMetric(res.SignIns[0].AuthOKToAppliedMS, "first-authok-to-page-ms")
	b.ReportMetric(res.HeapInuse, "heap-inuse-MB")
	if err := bench.WriteJSON(out, "history-ui", res); err != nil {
		b.Fatal(err)
	}
}

func historyEnvUI(b *testing.B) *bench.Env {
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

func runHistoryUI(b *testing.B, env *bench.Env, pageBack int, out string) bench.History {
	user := env.Users[0]
	res := bench.History{Client: "ui.App on Fyne's test driver (no GL)", PageBack: pageBack, Load: bench.Loadavg()}
	if admin, err := bench.Login(context.Background(), env.URL, env.AdminEmail, env.AdminPassword); err == nil {
		res.Stored, _ = bench.Count(context.Background(), env.URL, admin)
	}
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	res.Baseline = mb(ms.HeapInuse)

	var ba *benchApp
	const signIns = 5
	for i := range signIns {
		ba = newBenchApp(b, env.URL)
		applied, rows := ba.signInFor(b, user.Email, user.Password, waitRows)
		si := bench.SplitSignIn(ba.tr, ba.connectStart, ba.connectEnd, applied, rows)
		for _, sp := range ba.th.spans {
			if !sp.Start.Before(ba.connectEnd) && sp.Start.Before(applied) {
				si.UIFns++
				si.UIBusyMS += bench.MS(sp.Dur)
				si.UIMaxMS = max(si.UIMaxMS, bench.MS(sp.Dur))
			}
		}
		res.SignIns = append(res.SignIns, si)
		if i < signIns-1 {
			ba.close()
		}
	}
	c := ba.u.chat
	first := res.SignIns[len(res.SignIns)-1].FirstPage

	from := time.Now()
	var pages []time.Duration
	var asked time.Time
	lastLen := c.tl.Len()
	c.tl.OnChange(func() {
		if c.tl.Len() > lastLen && !asked.IsZero() {
			pages = append(pages, time.Since(asked))
			asked = time.Time{}
		}
		lastLen = c.tl.Len()
	})
	// The GL driver cleans Fyne's caches as it paints (renderers unused
	// for a minute are dropped); the test driver only when a canvas is
	// captured. Capture every 10 s, as often as the GL driver may clean
	// (the capture itself is not timed as UI-thread work).
	lastClean := time.Now()
	for c.tl.Len() < pageBack+first && c.tl.HasOlder() {
		if time.Since(lastClean) > 10*time.Second {
			ba.u.Window().Canvas().Capture()
			lastClean = time.Now()
		}
		if !c.loadingOlder {
			asked = time.Now()
			scrollUp(b, ba)
		}
		n := c.tl.Len()
		ba.th.until(b, time.Minute, "an older page", func() bool { return c.tl.Len() > n || !c.loadingOlder })
	}
	res.Loaded = c.tl.Len()
	res.PagingS = time.Since(from).Seconds()
	res.Pages = len(pages)
	res.Page = bench.Summarize(pages)
	ui := ba.th.summary(from, ba.refreshes)
	res.UI = &ui

	heap := func(name string) (inuse, alloc, sys float64, profile string) {
		runtime.GC()
		runtime.GC()
		runtime.ReadMemStats(&ms)
		if out != "" {
			profile = filepath.Join(out, name)
			f, err := os.Create(profile)
			if err != nil {
				b.Fatal(err)
			}
			if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
				b.Error(err)
			}
			f.Close()
		}
		return mb(ms.HeapInuse), mb(ms.HeapAlloc), mb(ms.HeapSys), profile
	}
	res.HeapInuse, res.HeapAlloc, res.HeapSys, res.Profile = heap("heap-ui.pprof")
	// A minute later, idle, Fyne has dropped the renderers of rows no
	// longer shown: what stays.
	ba.th.drainFor(65 * time.Second)
	ba.u.Window().Canvas().Capture()
	res.HeapIdle, _, _, res.ProfileIdle = heap("heap-ui-idle.pprof")
	runtime.KeepAlive(ba)
	return res
}

func mb(n uint64) float64 { return float64(n) / (1 << 20) }

// scrollUp scrolls the list to the top, as a reader does, so that row 0 is
// bound and the list asks for older messages. A list already at the top
// (an older page that failed or brought nothing new leaves it there) does
// not bind row 0 again: the reader scrolls down a little and up again.
func scrollUp(b *testing.B, ba *benchApp) {
	b.Helper()
	c := ba.u.chat
	ba.th.run(c.list.ScrollToTop)
	if c.loadingOlder {
		return
	}
	ba.th.run(func() { c.list.ScrollTo(min(40, c.tl.Len()-1)) })
	ba.th.run(c.list.ScrollToTop)
	if !c.loadingOlder {
		b.Fatalf("scrolling to the top did not ask for older messages (%d rows in %q, has older %v, status %q)", c.tl.Len(), c.ch.open, c.tl.HasOlder(), c.status.Text)
	}
}

// BenchmarkTeamChat is scenario 5 (issue #12), the team chat: Ada in 50
// conversations holding 101,500 messages (bench.DefaultTeam), some unread
// in each. It times sign-in → the sidebar's unread counts all as expected
// (three sign-ins; the read markers are put back before each), counts the
// socket frames the app sends at start with 50 conversations and, for a
// user in one conversation, with 1; then visits 20 conversations, paging
// back BENCH_TEAM_PAGE_BACK (5,000) messages in each, timing each first
// visit (no page kept: the switch → its newest page), and compares the Go
// heap after one conversation with the heap after all 20. Last it goes back
// to each while a message came in it: the switch → the kept page shown,
// and → the server's page with the new message (reconciled).
func BenchmarkTeamChat(b *testing.B) {
	env, team := teamEnv(b)
	pageBack := bench.EnvInt(bench.EnvTeamPageBack, 5000)
	visits := min(bench.EnvInt(bench.EnvTeamVisits, 20), len(team.Channels))
	out := os.Getenv(bench.EnvOut)
	runtime.MemProfileRate = 32 << 10
	var res bench.TeamChat
	for range b.N {
		res = runTeamChat(b, env, team, pageBack, visits, out)
	}
	b.ReportMetric(res.SignIns[0].SidebarMS, "first-sidebar-ms")
	b.ReportMetric(float64(res.SignIns[0].Frames), "start-frames-50")
	b.ReportMetric(float64(res.Solo.Frames), "start-frames-1")
	b.ReportMetric(res.RevisitShown.P50, "revisit-shown-p50-ms")
	b.ReportMetric(res.HeapAll-res.HeapOne, "heap-20-minus-1-MB")
	if err := bench.WriteJSON(out, "team", res); err != nil {
		b.Fatal(err)
	}
}

// teamEnv is the team-chat Directus: cmd/bench's (BENCH_TEAM names the file
// describing it), or one this benchmark starts from its cached data
// directory (filled on first use, about 5 minutes).
func teamEnv(b *testing.B) (*bench.Env, *bench.Team) {
	b.Helper()
	if p := os.Getenv(bench.EnvTeam); p != "" {
		t, err := bench.ReadTeam(p)
		if err != nil {
			b.Fatal(err)
		}
		return bench.External(t.URL), t
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	env, t, err := bench.StartTeam(ctx, bench.DefaultTeam(), os.Stderr)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = env.Close() })
	return env, t
}

// countsMatch reports whether the sidebar shows every expected unread
// count. The open conversation may also show none: the app marks what is
// on screen read.
func countsMatch(c *chatView, want map[string]int) bool {
	if !c.channelsOn() {
		return false
	}
	for id, n := range want {
		if !c.ch.model.Member(id) {
			return false
		}
		got := c.ch.model.Unread(id)
		if got != n && !(id == c.ch.open && got == 0) {
			return false
		}
	}
	return true
}

// teamSignIn signs in through a counting proxy and waits for the sidebar:
// with want, until its counts match; without, until the user's one
// conversation (general) is open with its rows.
func teamSignIn(b *testing.B, px *bench.Proxy, email, password string, want map[string]int, general string) (*benchApp, bench.TeamSignIn) {
	b.Helper()
	ba := newBenchApp(b, px.URL())
	l := ba.u.login
	test.Type(l.email, email)
	test.Type(l.password, password)
	ba.tr.Reset()
	px.Reset()
	tap := time.Now()
	test.Tap(l.signIn)
	var rowsAt time.Time
	ba.th.until(b, time.Minute, "the chat view", func() bool { return ba.u.chat != nil || l.status.Text != "" && !l.busy })
	c := ba.u.chat
	if c == nil {
		b.Fatalf("sign-in failed: %s", l.status.Text)
	}
	c.tl.OnChange(func() {
		if rowsAt.IsZero() && c.ch.open != "" && c.tl.Len() > 0 {
			rowsAt = time.Now()
		}
	})
	if want != nil {
		ba.th.until(b, time.Minute, "the sidebar's unread counts", func() bool { return countsMatch(c, want) })
	} else {
		ba.th.until(b, time.Minute, "general open with its rows", func() bool {
			return c.channelsOn() && c.ch.model.Member(general) && c.ch.open == general && !rowsAt.IsZero()
		})
	}
	done := time.Now()
	ba.th.until(b, time.Minute, "the open conversation's rows", func() bool { return !rowsAt.IsZero() })
	c.data.AddListener(binding.NewDataListener(func() { ba.refreshes = append(ba.refreshes, time.Now()) }))
	ba.th.drainFor(2 * time.Second)
	si := bench.TeamSignIn{
		SidebarMS:  bench.MS(done.Sub(tap)),
		ConnectMS:  bench.MS(ba.connectEnd.Sub(ba.connectStart)),
		OpenRowsMS: bench.MS(rowsAt.Sub(tap)),
		Kinds:      map[string]int{},
		Requests:   px.Counts().Requests,
	}
	if login, ok := ba.tr.Last("/auth/login"); ok {
		si.AuthOKToSidebarMS = bench.MS(done.Sub(login.End))
	}
	for _, r := range c.ch.rows {
		if !r.Header {
			si.Conversations++
		}
	}
	si.Unread, _ = c.ch.model.Totals()
	for _, f := range px.Sent() {
		if f.Type == "ping" || f.Type == "pong" || f.At.After(done.Add(2*time.Second)) {
			continue
		}
		si.Frames++
		si.Kinds[strings.TrimSpace(f.Type+" "+f.Action+" "+f.Collection)]++
	}
	return ba, si
}

func runTeamChat(b *testing.B, env *bench.Env, team *bench.Team, pageBack, visits int, out string) bench.TeamChat {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	res := bench.TeamChat{Layout: team.Layout, PageBack: pageBack, Load: bench.Loadavg()}
	admin, err := bench.Login(ctx, env.URL, env.AdminEmail, env.AdminPassword)
	if err != nil {
		b.Fatal(err)
	}
	if res.Stored, err = bench.Count(ctx, env.URL, admin); err != nil {
		b.Fatal(err)
	}
	u, err := url.Parse(env.URL)
	if err != nil {
		b.Fatal(err)
	}
	px, err := bench.StartProxy(u.Host)
	if err != nil {
		b.Fatal(err)
	}
	defer px.Close()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	res.HeapBefore = mb(ms.HeapInuse)
	general := team.Channels[0].ID

	// The user in one conversation, then Ada in all of them, three times.
	if err := team.Reset(ctx, env); err != nil {
		b.Fatal(err)
	}
	ba, si := teamSignIn(b, px, team.SoloEmail, team.SoloPassword, nil, general)
	res.Solo = si
	ba.close()
	ada := env.Users[0]
	for range 3 {
		if err := team.Reset(ctx, env); err != nil {
			b.Fatal(err)
		}
		ba, si = teamSignIn(b, px, ada.Email, ada.Password, team.Expected(), general)
		res.SignIns = append(res.SignIns, si)
		ba.close()
	}
	// The visits run without the proxy, whose record of the messages
	// passed would be part of this process's heap.
	px.Close()
	px.Reset()
	if err := team.Reset(ctx, env); err != nil {
		b.Fatal(err)
	}
	ba = newBenchApp(b, env.URL)
	ba.signInFor(b, ada.Email, ada.Password, waitRows)
	c := ba.u.chat

	// Visit conversations, paging back in each, as a reader scrolls up.
	from := time.Now()
	lastClean := time.Now()
	pageIn := func() int {
		for c.tl.Len() < pageBack && c.tl.HasOlder() {
			// The GL driver cleans Fyne's caches as it paints; the test
			// driver when a canvas is captured (see BenchmarkHistoryUI).
			if time.Since(lastClean) > 10*time.Second {
				ba.u.Window().Canvas().Capture()
				lastClean = time.Now()
			}
			if !c.loadingOlder {
				scrollUp(b, ba)
			}
			n := c.tl.Len()
			ba.th.until(b, time.Minute, "an older page", func() bool { return c.tl.Len() > n || !c.loadingOlder })
		}
		return c.tl.Len()
	}
	heap := func(name string) (float64, string) {
		// Fyne drops renderers and textures unused for FYNE_CACHE (15 s
		// as the app sets it; cmd/bench passes it): wait that long, let
		// the test driver clean, then two GCs.
		ba.th.drainFor(16 * time.Second)
		ba.u.Window().Canvas().Capture()
		runtime.GC()
		runtime.GC()
		runtime.ReadMemStats(&ms)
		profile := ""
		if out != "" {
			profile = filepath.Join(out, name)
			f, err := os.Create(profile)
			if err != nil {
				b.Fatal(err)
			}
			if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
				b.Error(err)
			}
			f.Close()
		}
		return mb(ms.HeapInuse), profile
	}
	if c.ch.open != general {
		b.Fatalf("the app opened %q, not general (%s)", c.ch.open, general)
	}
	res.LoadedEach = append(res.LoadedEach, pageIn())
	res.HeapOne, _ = heap("heap-team-one.pprof")
	var first []time.Duration
	for _, ch := range team.Channels[1:visits] {
		want := min(50, ch.Messages)
		t0 := time.Now()
		ba.th.run(func() { c.switchTo(ch.ID) })
		if c.tl.Len() > 0 {
			b.Logf("%s showed %d rows at once on its first visit", ch.Name, c.tl.Len())
		}
		ba.th.until(b, time.Minute, "the newest page of "+ch.Name, func() bool { return c.tl.Len() >= want })
		first = append(first, time.Since(t0))
		res.LoadedEach = append(res.LoadedEach, pageIn())
	}
	res.Visited = visits
	res.FirstVisit = bench.Summarize(first)
	res.HeapAll, res.ProfileAll = heap("heap-team-all.pprof")

	// Back to each while Kevin wrote in it.
	kevin := env.Users[1]
	kevinTok, err := bench.Login(ctx, env.URL, kevin.Email, kevin.Password)
	if err != nil {
		b.Fatal(err)
	}
	var shown, reconciled []time.Duration
	for _, ch := range team.Channels[:visits-1] {
		before := c.ch.model.Unread(ch.ID)
		text := bench.LivePrefix + uuid.NewString()
		if err := bench.CreateMany(ctx, env.URL, kevinTok, []map[string]string{{"text": text, "channel": ch.ID}}); err != nil {
			b.Fatal(err)
		}
		ba.th.until(b, time.Minute, "Kevin's message counted in "+ch.Name, func() bool { return c.ch.model.Unread(ch.ID) > before })
		t0 := time.Now()
		ba.th.run(func() { c.switchTo(ch.ID) })
		if c.tl.Len() == 0 {
			b.Fatalf("%s showed no rows at once on going back to it", ch.Name)
		}
		shown = append(shown, time.Since(t0))
		has := func() bool {
			for i := c.tl.Len() - 1; i >= max(0, c.tl.Len()-5); i-- {
				if c.tl.At(i).Text == text {
					return true
				}
			}
			return false
		}
		ba.th.until(b, time.Minute, "the new message in "+ch.Name, has)
		reconciled = append(reconciled, time.Since(t0))
	}
	res.RevisitShown = bench.Summarize(shown)
	res.RevisitReconcile = bench.Summarize(reconciled)
	res.UI = ba.th.summary(from, ba.refreshes)
	runtime.KeepAlive(ba)
	return res
}
