package main

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"directuschat/internal/bench"
)

// metric is one row of the results table.
type metric struct {
	key    string // stable, for before/after
	group  string
	name   string
	value  float64
	unit   string // "ms", "MB", "%", "/s", "s", "" (count), "bool"
	target string
	ok     *bool // nil: no target
	note   string
}

func yes(b bool) *bool { return &b }

func (m metric) show(v float64) string {
	switch m.unit {
	case "bool":
		if v != 0 {
			return "yes"
		}
		return "**no**"
	case "ms":
		if v < 10 {
			return fmt.Sprintf("%.2f ms", v)
		}
		return fmt.Sprintf("%.0f ms", v)
	case "MB":
		return fmt.Sprintf("%.1f MB", v)
	case "%":
		return fmt.Sprintf("%.2f %%", v)
	case "s":
		return fmt.Sprintf("%.1f s", v)
	case "/s":
		return fmt.Sprintf("%.0f /s", v)
	}
	return fmt.Sprintf("%.0f", v)
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	sort.Float64s(s)
	return s[len(s)/2]
}

func kbToMB(kb int64) float64 { return float64(kb) / 1024 }

func metrics(r *Report) []metric {
	var ms []metric
	add := func(m metric) { ms = append(ms, m) }
	if l := r.Latency; l != nil {
		g := fmt.Sprintf("1. Delivery latency (%d messages at %.0f/s)", l.Messages, l.Rate)
		add(metric{key: "lat.app.p50", group: g, name: "send → applied to the app's timeline, p50", value: l.App.P50, unit: "ms"})
		add(metric{key: "lat.app.p99", group: g, name: "… p99", value: l.App.P99, unit: "ms"})
		add(metric{key: "lat.app.max", group: g, name: "… max", value: l.App.Max, unit: "ms"})
		add(metric{key: "lat.bare.p50", group: g, name: "send → bare WebSocket client, p50 (subscribed before / after the app)", value: l.BareBefore.P50, unit: "ms", note: fmt.Sprintf("%.2f / %.2f ms", l.BareBefore.P50, l.BareAfter.P50)})
		add(metric{key: "lat.bare.p99", group: g, name: "… p99", value: l.BareBefore.P99, unit: "ms", note: fmt.Sprintf("%.2f / %.2f ms", l.BareBefore.P99, l.BareAfter.P99)})
		add(metric{key: "lat.over.p50", group: g, name: "app's overhead (per message, vs the bare clients' mean), p50", value: l.Overhead.P50, unit: "ms", target: "< 1 ms", ok: yes(l.Overhead.P50 < 1)})
		add(metric{key: "lat.over.p99", group: g, name: "app's overhead, p99", value: l.Overhead.P99, unit: "ms", target: "< 5 ms", ok: yes(l.Overhead.P99 < 5)})
		add(metric{key: "lat.missing", group: g, name: "messages not seen by all three clients", value: float64(l.Missing), target: "0", ok: yes(l.Missing == 0)})
	}
	burst := func(b *bench.Burst, key, g string) {
		add(metric{key: key + ".create", group: g, name: "created / sent within", value: b.CreateWindow, unit: "s", target: "≈ 1 s", ok: yes(b.CreateWindow < 2)})
		add(metric{key: key + ".ok", group: g, name: "all arrived, once, in the server's order", value: b2f(b.Arrived == b.Messages && b.Duplicates == 0 && b.InOrder), unit: "bool", target: "yes", ok: yes(b.Arrived == b.Messages && b.Duplicates == 0 && b.InOrder), note: fmt.Sprintf("%d arrived, %d duplicates, in order: %v", b.Arrived, b.Duplicates, b.InOrder)})
		add(metric{key: key + ".applied", group: g, name: "first sent → all in the timeline", value: b.AllApplied, unit: "s"})
		add(metric{key: key + ".refresh", group: g, name: "list refreshes, most in any 1 s", value: float64(b.UI.MaxRefreshesPerSec), unit: "/s", target: "≤ 60 /s", ok: yes(b.UI.MaxRefreshesPerSec <= 61), note: fmt.Sprintf("%d in all", b.UI.Refreshes)})
		add(metric{key: key + ".stretch", group: g, name: "longest busy stretch of the UI thread", value: b.UI.MaxStretch, unit: "ms", target: "≤ 50 ms", ok: yes(b.UI.MaxStretch <= 50)})
		add(metric{key: key + ".busy", group: g, name: "UI thread busy in all", value: b.UI.BusyMS, unit: "ms", note: fmt.Sprintf("%d dispatches, p50 %.2f ms, p99 %.2f ms", b.UI.Dispatches, b.UI.Fn.P50, b.UI.Fn.P99)})
	}
	if b := r.Burst; b != nil {
		burst(b, "burst", fmt.Sprintf("2. Burst from the real Directus (%d messages, %d bulk REST requests 50 ms apart by %d users)", b.Messages, b.Requests, b.Senders))
	}
	if b := r.Burst1s; b != nil {
		burst(b, "burst1s", fmt.Sprintf("2b. Burst of %d messages within 1 s from a scripted stand-in server (one create event each)", b.Messages))
	}
	hist := func(h *bench.History, key, who string) {
		g := fmt.Sprintf("3. Big history (%d messages stored) — %s", h.Stored, who)
		if len(h.SignIns) > 0 {
			first := h.SignIns[0]
			var all []float64
			for _, s := range h.SignIns {
				all = append(all, s.AuthOKToAppliedMS)
			}
			add(metric{key: key + ".authok.first", group: g, name: "\"auth ok\" → newest page applied, first sign-in", value: first.AuthOKToAppliedMS, unit: "ms", target: "< 300 ms", ok: yes(first.AuthOKToAppliedMS < 300),
				note: signInNote(first)})
			add(metric{key: key + ".authok.median", group: g, name: fmt.Sprintf("… median of %d sign-ins", len(all)), value: median(all), unit: "ms", target: "< 300 ms", ok: yes(median(all) < 300)})
			add(metric{key: key + ".login", group: g, name: "sign-in request (POST /auth/login), first", value: first.LoginMS, unit: "ms"})
		}
		add(metric{key: key + ".page", group: g, name: "older page: asked → applied, p50", value: h.Page.P50, unit: "ms", note: fmt.Sprintf("p99 %.1f ms, %d pages, %.1f s in all", h.Page.P99, h.Pages, h.PagingS)})
		add(metric{key: key + ".heap", group: g, name: fmt.Sprintf("Go heap in use after paging back to %d messages", h.Loaded), value: h.HeapInuse, unit: "MB", target: "< 30 MB", ok: yes(h.HeapInuse < 30), note: fmt.Sprintf("%.1f MB before signing in; %.1f MB live (HeapAlloc)", h.Baseline, h.HeapAlloc)})
		if h.HeapIdle > 0 {
			add(metric{key: key + ".heap.idle", group: g, name: "… a minute later, idle (Fyne's renderer cache expired)", value: h.HeapIdle, unit: "MB", target: "< 30 MB", ok: yes(h.HeapIdle < 30)})
		}
	}
	if r.Model != nil {
		hist(r.Model, "hist.model", "the app's model (realtime + timeline)")
	}
	if r.UI != nil {
		hist(r.UI, "hist.ui", "the app (ui.App, test driver)")
		if r.UI.UI != nil {
			add(metric{key: "hist.ui.stretch", group: ms[len(ms)-1].group, name: "longest UI-thread stretch while paging", value: r.UI.UI.MaxStretch, unit: "ms", target: "≤ 50 ms", ok: yes(r.UI.UI.MaxStretch <= 50)})
		}
	}
	if a := r.App; a != nil {
		g := "4. The real app under Xvfb"
		if a.GL != "" {
			g += " (" + a.GL + ")"
		}
		if len(a.StartToLogin) > 0 {
			add(metric{key: "app.start.cold", group: g, name: "process start → login window mapped, first start (empty HOME)", value: a.StartToLogin[0], unit: "ms"})
			if len(a.StartToLogin) > 1 {
				add(metric{key: "app.start.warm", group: g, name: fmt.Sprintf("… median of the next %d", len(a.StartToLogin)-1), value: median(a.StartToLogin[1:]), unit: "ms"})
			}
		}
		if a.SignInToChat > 0 {
			add(metric{key: "app.signin", group: g, name: "typed sign-in: Return → chat window", value: a.SignInToChat, unit: "ms", note: fmt.Sprintf("newest page through the socket after %.0f ms", a.SignInToPage)})
		}
		if len(a.RememberedToChat) > 0 {
			add(metric{key: "app.remembered", group: g, name: "remembered session: process start → chat window, median", value: median(a.RememberedToChat), unit: "ms", note: fmt.Sprintf("each: %s ms; window mapped at %s ms; newest page from the server through the socket at %s ms", joinF(a.RememberedToChat), joinF(a.RememberedMapped), joinF(a.RememberedToPage))})
		} else if a.RememberedNote != "" {
			add(metric{key: "app.remembered", group: g, name: "remembered session: process start → chat window", unit: "bool", note: "not measured: " + a.RememberedNote})
		}
		memNote := func(s bench.Smaps) string {
			return fmt.Sprintf("PSS %.1f MB (anonymous %.1f); private clean+dirty %.1f MB (with the GL driver's libraries no other process maps); RSS %.1f MB",
				kbToMB(s.Pss), kbToMB(s.PssAnon), kbToMB(s.Private()), kbToMB(s.Rss))
		}
		add(metric{key: "app.login.anon", group: g, name: "private anonymous memory at the login window", value: kbToMB(a.LoginMem.Anonymous), unit: "MB", note: memNote(a.LoginMem)})
		add(metric{key: "app.signedin.anon", group: g, name: "… signed in, newest page", value: kbToMB(a.SignedInMem.Anonymous), unit: "MB", note: memNote(a.SignedInMem)})
		add(metric{key: "app.loaded.anon", group: g, name: fmt.Sprintf("… with %d messages loaded (target %d), once the app was quiet (%.0f s after the last page)", a.Loaded, a.Target, a.SettleS), value: kbToMB(a.Mem.Anonymous), unit: "MB", target: "< 80 MB", ok: yes(a.Loaded >= a.Target && kbToMB(a.Mem.Anonymous) < 80), note: memNote(a.Mem)})
		if a.MemIdle.Rss > 0 {
			add(metric{key: "app.idle.anon", group: g, name: "… the same after two idle minutes", value: kbToMB(a.MemIdle.Anonymous), unit: "MB", target: "< 80 MB", ok: yes(a.Loaded >= a.Target && kbToMB(a.MemIdle.Anonymous) < 80), note: memNote(a.MemIdle)})
		}
		add(metric{key: "app.loaded.pss", group: g, name: "PSS with them loaded", value: kbToMB(a.Mem.Pss), unit: "MB"})
		if a.GoHeap.Line != "" {
			add(metric{key: "app.goheap", group: g, name: "Go heap live after the last GC (gctrace), messages loaded", value: a.GoHeap.LiveMB, unit: "MB", target: "< 30 MB", ok: yes(a.Loaded >= a.Target && a.GoHeap.LiveMB < 30),
				note: fmt.Sprintf("that GC ran %.0f s before; heap goal %.0f MB", a.GoHeap.AgoS, a.GoHeap.GoalMB)})
		}
		if a.GoHeapIdle.Line != "" && a.GoHeapIdle.Line != a.GoHeap.Line {
			add(metric{key: "app.goheap.idle", group: g, name: "… after two idle minutes", value: a.GoHeapIdle.LiveMB, unit: "MB", target: "< 30 MB", ok: yes(a.Loaded >= a.Target && a.GoHeapIdle.LiveMB < 30),
				note: fmt.Sprintf("that GC ran %.0f s before", a.GoHeapIdle.AgoS)})
		}
		if len(a.PageGaps) > 0 {
			add(metric{key: "app.pagegap.last", group: g, name: "time between older pages while scrolling back, last 1,000 messages", value: a.PageGaps[len(a.PageGaps)-1], unit: "ms",
				note: fmt.Sprintf("per 1,000 messages: %s ms; %.0f s and %d wheel clicks in all", joinF(a.PageGaps), a.ScrollS, a.Wheel)})
		}
		idle := func(key, name string, i Idle) {
			add(metric{key: key, group: g, name: name, value: i.Pct, unit: "%", target: "< 1 %", ok: yes(i.Pct < 1), note: i.String()})
		}
		idle("app.idle.login", "idle CPU at the login window", a.LoginIdle)
		idle("app.idle", "idle CPU signed in, messages loaded, window focused", a.Idle)
		idle("app.idle.unfocused", "… another window focused", a.IdleUnfocused)
	}
	if a := r.AppRich; a != nil && a.Plain.Mem.Rss > 0 && a.Rich.Mem.Rss > 0 {
		g := "4b. Rich history in the real app under Xvfb (formatted, a reply in 7, reactions on 1 in 5, a picture in 20)"
		run := func(r AppRichRun) string {
			return fmt.Sprintf("%d messages paged back in %.0f s (%d wheel clicks); Go heap live %.0f MB", r.Loaded, r.ScrollS, r.Wheel, r.GoHeap.LiveMB)
		}
		add(metric{key: "apprich.plain", group: g, name: "private anonymous memory, plain history paged back, quiet", value: kbToMB(a.Plain.Mem.Anonymous), unit: "MB", note: run(a.Plain)})
		add(metric{key: "apprich.rich", group: g, name: "… rich history", value: kbToMB(a.Rich.Mem.Anonymous), unit: "MB", note: run(a.Rich)})
		d := kbToMB(a.Rich.Mem.Anonymous) - kbToMB(a.Plain.Mem.Anonymous)
		add(metric{key: "apprich.diff", group: g, name: "… the difference", value: d, unit: "MB", target: "≤ 20 MB", ok: yes(d <= 20)})
		if a.Plain.MemIdle.Rss > 0 && a.Rich.MemIdle.Rss > 0 {
			di := kbToMB(a.Rich.MemIdle.Anonymous) - kbToMB(a.Plain.MemIdle.Anonymous)
			add(metric{key: "apprich.idle.diff", group: g, name: "… the difference after two idle minutes", value: di, unit: "MB", target: "≤ 20 MB", ok: yes(di <= 20),
				note: fmt.Sprintf("plain %.1f MB, rich %.1f MB", kbToMB(a.Plain.MemIdle.Anonymous), kbToMB(a.Rich.MemIdle.Anonymous))})
		}
	}
	if t := r.Team; t != nil {
		team(t, add)
	}
	if a := r.AppTeam; a != nil && a.MemOne.Rss > 0 {
		g := fmt.Sprintf("5b. Team chat in the real app under Xvfb (%d messages paged back with the wheel in each conversation)", a.PerConversation)
		add(metric{key: "appteam.one", group: g, name: "private anonymous memory, one conversation", value: kbToMB(a.MemOne.Anonymous), unit: "MB", note: fmt.Sprintf("%d messages; Go heap live %.0f MB", head(a.Loaded), a.GoHeapOne.LiveMB)})
		if a.MemAll.Rss > 0 {
			d := kbToMB(a.MemAll.Anonymous) - kbToMB(a.MemOne.Anonymous)
			add(metric{key: "appteam.all", group: g, name: fmt.Sprintf("… after %d conversations", a.Visited), value: kbToMB(a.MemAll.Anonymous), unit: "MB", note: fmt.Sprintf("%d messages in all (%s); Go heap live %.0f MB", sum(a.Loaded), joinI(a.Loaded), a.GoHeapAll.LiveMB)})
			add(metric{key: "appteam.diff", group: g, name: "… the difference", value: d, unit: "MB", target: "≤ 20 MB", ok: yes(d <= 20)})
		}
	}
	return ms
}

func joinI(xs []int) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = fmt.Sprint(x)
	}
	return strings.Join(s, ", ")
}

// team adds the rows of scenario 5.
func team(t *bench.TeamChat, add func(metric)) {
	l := t.Layout
	g := fmt.Sprintf("5. Team chat (%d conversations, %d messages stored: %d × %d and %d × %d) — ui.App, test driver", l.Conversations, t.Stored, l.Big, l.BigSize, l.Conversations-l.Big, l.SmallSize)
	if len(t.SignIns) > 0 {
		first := t.SignIns[0]
		var all []float64
		for _, s := range t.SignIns {
			all = append(all, s.SidebarMS)
		}
		add(metric{key: "team.sidebar.first", group: g, name: "Sign in tapped → sidebar with every unread count right, first sign-in", value: first.SidebarMS, unit: "ms", target: "< 1 s", ok: yes(first.SidebarMS < 1000),
			note: fmt.Sprintf("%d conversations, %d unread; realtime.Connect %.0f ms; \"auth ok\" → sidebar %.0f ms; open conversation's first rows at %.0f ms", first.Conversations, first.Unread, first.ConnectMS, first.AuthOKToSidebarMS, first.OpenRowsMS)})
		add(metric{key: "team.sidebar.median", group: g, name: fmt.Sprintf("… median of %d sign-ins", len(all)), value: median(all), unit: "ms", target: "< 1 s", ok: yes(median(all) < 1000), note: "each: " + joinF(all) + " ms"})
		// A read-marker write follows what is unread on screen, not how
		// many conversations there are: the target compares the rest.
		asks := func(si bench.TeamSignIn) int { return si.Frames - si.Kinds["items update channel_members"] }
		add(metric{key: "team.frames.50", group: g, name: fmt.Sprintf("socket frames the app sends at start, %d conversations", first.Conversations), value: float64(first.Frames), note: kinds(first.Kinds) + fmt.Sprintf("; %d HTTP requests", first.Requests)})
		add(metric{key: "team.frames.1", group: g, name: fmt.Sprintf("… %d conversation", t.Solo.Conversations), value: float64(t.Solo.Frames), note: kinds(t.Solo.Kinds) + fmt.Sprintf("; %d HTTP requests", t.Solo.Requests)})
		add(metric{key: "team.frames.asks", group: g, name: fmt.Sprintf("… reads and subscriptions (without read-marker writes), %d / %d conversations", first.Conversations, t.Solo.Conversations), value: float64(asks(first)), target: "same", ok: yes(asks(first) == asks(t.Solo)),
			note: fmt.Sprintf("%d / %d frames; HTTP requests %d / %d", asks(first), asks(t.Solo), first.Requests, t.Solo.Requests)})
	}
	add(metric{key: "team.first.p50", group: g, name: "switch to a conversation not opened before → its newest page applied, p50", value: t.FirstVisit.P50, unit: "ms", note: fmt.Sprintf("max %.1f ms, %d switches", t.FirstVisit.Max, t.FirstVisit.N)})
	add(metric{key: "team.revisit.shown.p50", group: g, name: "switch back to a conversation → its kept newest page shown, p50", value: t.RevisitShown.P50, unit: "ms", target: "< 100 ms", ok: yes(t.RevisitShown.Max < 100), note: fmt.Sprintf("max %.1f ms, %d switches (switchTo on the UI thread; no paint)", t.RevisitShown.Max, t.RevisitShown.N)})
	add(metric{key: "team.revisit.reconciled.p50", group: g, name: "… → the message that came meanwhile shown, p50", value: t.RevisitReconcile.P50, unit: "ms", note: fmt.Sprintf("max %.1f ms (the kept page is kept up to date with live messages since 0f5f6e1: it is there at once)", t.RevisitReconcile.Max)})
	add(metric{key: "team.heap.one", group: g, name: fmt.Sprintf("Go heap in use, one conversation with %d messages paged in", head(t.LoadedEach)), value: t.HeapOne, unit: "MB", note: fmt.Sprintf("%.1f MB before signing in", t.HeapBefore)})
	add(metric{key: "team.heap.all", group: g, name: fmt.Sprintf("… after visiting %d conversations, paging back in each (%d messages in all)", t.Visited, sum(t.LoadedEach)), value: t.HeapAll, unit: "MB"})
	add(metric{key: "team.heap.diff", group: g, name: fmt.Sprintf("… %d conversations minus one", t.Visited), value: t.HeapAll - t.HeapOne, unit: "MB", target: "≤ 20 MB", ok: yes(t.HeapAll-t.HeapOne <= 20)})
	add(metric{key: "team.stretch", group: g, name: "longest UI-thread stretch while switching and paging", value: t.UI.MaxStretch, unit: "ms", target: "≤ 50 ms", ok: yes(t.UI.MaxStretch <= 50)})
}

func kinds(k map[string]int) string {
	var parts []string
	for name, n := range k {
		parts = append(parts, fmt.Sprintf("%s %d", name, n))
	}
	slices.Sort(parts)
	return strings.Join(parts, ", ")
}

func head(xs []int) int {
	if len(xs) == 0 {
		return 0
	}
	return xs[0]
}

func sum(xs []int) int {
	n := 0
	for _, x := range xs {
		n += x
	}
	return n
}

func signInNote(s bench.SignIn) string {
	n := fmt.Sprintf("me %.1f + permissions %.1f + socket (dial, auth, subscribe with the page) %.1f ms; Connect returned → applied %.1f ms",
		s.MeMS, s.PermsMS, s.SocketMS, s.ConnectToApplied)
	if s.UIFns > 0 {
		n += fmt.Sprintf(", of it %.1f ms on the UI thread in %d functions (longest %.1f ms)", s.UIBusyMS, s.UIFns, s.UIMaxMS)
	}
	return n
}

func joinF(xs []float64) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = fmt.Sprintf("%.0f", x)
	}
	return strings.Join(s, ", ")
}

func status(m metric) string {
	switch {
	case m.ok == nil:
		return ""
	case *m.ok:
		return "✅"
	default:
		return "❌"
	}
}

// Before is what the previous run measured, as the results table shows it.
type Before struct {
	Label  string             `json:"label"`           // "commit, date", or "no earlier run"
	Values map[string]float64 `json:"values"`          // by metric key
	Micro  bool               `json:"micro,omitempty"` // it had micro-benchmarks (benchstat compared them)
}

// setBefore sets r.Before from the previous run's results, prev (nil: none).
// When prev is r itself (the results file rendered again), r keeps the
// Before it was written with.
func (r *Report) setBefore(prev *Report) {
	switch {
	case prev == nil:
		r.Before = &Before{Label: "no earlier run"}
	case prev.Commit == r.Commit && prev.Date == r.Date:
		if r.Before == nil {
			r.Before = prev.Before
		}
	default:
		b := &Before{Label: prev.Commit + ", " + prev.Date, Values: map[string]float64{}, Micro: prev.Micro != ""}
		for _, m := range metrics(prev) {
			b.Values[m.key] = m.value
		}
		r.Before = b
	}
}

// renderTable is the results table (markdown; also readable as text),
// with r.Before's figures beside this run's.
func renderTable(r *Report) string {
	var b strings.Builder
	before := &Before{Label: "no earlier run"}
	if r.Before != nil {
		before = r.Before
	}
	group := ""
	fmt.Fprintf(&b, "| Measure | Result | Target | | Before (%s) |\n|---|---|---|---|---|\n", before.Label)
	for _, m := range metrics(r) {
		if m.group != group {
			group = m.group
			fmt.Fprintf(&b, "| **%s** | | | | |\n", group)
		}
		val := m.show(m.value)
		if m.unit == "bool" && m.note != "" && m.value == 0 && m.ok == nil {
			val = "—"
		}
		if m.note != "" {
			val += " <br><sub>" + m.note + "</sub>"
		}
		was := ""
		if v, ok := before.Values[m.key]; ok {
			was = m.show(v)
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", m.name, val, m.target, status(m), was)
	}
	return b.String()
}

// renderDoc is the results page: the run, the table, the findings kept from
// the page (notes), profiles, the method; the raw results are in the results
// file, linked as results.
func renderDoc(r *Report, table, notes, results string) string {
	var b strings.Builder
	b.WriteString("# Benchmarks\n\n")
	b.WriteString("Written by `make bench` (`go run ./cmd/bench`): the app against the pinned, real Directus on this\n")
	b.WriteString("machine's loopback. Every number is what one run measured; see [how it is measured](#how-it-is-measured)\n")
	b.WriteString("and [reproduce](#reproduce). The \"Before\" column is the previous run recorded here. Raw results\n")
	fmt.Fprintf(&b, "(every figure of this run, and the previous run's table figures): [%s](%s).\n\n", results, results)
	fmt.Fprintf(&b, "- **Date:** %s, commit `%s`\n", r.Date, r.Commit)
	fmt.Fprintf(&b, "- **Machine:** %s, %d cores, %s, %s, %s, %s\n", r.Machine.CPU, r.Machine.Cores, r.Machine.Memory, r.Machine.OS, r.Machine.Kernel, r.Machine.Go)
	if r.Machine.GL != "" {
		fmt.Fprintf(&b, "- **GL (Xvfb):** %s\n", r.Machine.GL)
	}
	fmt.Fprintf(&b, "- **Directus:** %s (SQLite, on the same machine)\n", r.Directus)
	fmt.Fprintf(&b, "- **Load average (1, 5, 15 min) as each scenario started:** %s\n", strings.Join(r.Loads, "; "))
	b.WriteString("  The machine is shared (CI jobs, other work): latencies and start times move with the load.\n")
	if r.Populated != nil {
		p := r.Populated
		how := fmt.Sprintf("inserted over REST in bulk requests of %d, which took %s", p.Chunk, p.Took.Round(1e9))
		if p.Inserted == 0 {
			how = fmt.Sprintf("from the cached data directory (filling it took %s, bulk requests of %d)", p.Took.Round(1e9), p.Chunk)
		}
		fmt.Fprintf(&b, "- **Big history:** %d messages, %s\n", p.Messages, how)
	}
	if r.TeamData != nil {
		p := r.TeamData
		how := fmt.Sprintf("filled over REST in bulk requests of %d, which took %s", p.Chunk, p.Took.Round(1e9))
		if p.Inserted == 0 {
			how = fmt.Sprintf("from the cached data directory (filling it took %s, bulk requests of %d)", p.Took.Round(1e9), p.Chunk)
		}
		fmt.Fprintf(&b, "- **Team chat:** %d messages, %s\n", p.Messages, how)
	}
	if len(r.Errors) > 0 {
		b.WriteString("\n**Failures in this run:**\n\n")
		for _, e := range r.Errors {
			fmt.Fprintf(&b, "- %s\n", strings.ReplaceAll(e, "\n", " "))
		}
	}
	b.WriteString("\n## Results\n\n")
	b.WriteString(table)
	if notes == "" {
		notes = notesStart + "\n" + notesEnd
	}
	b.WriteString("\n" + notes + "\n")

	heap := func(h *bench.History, title string) {
		if h == nil || len(h.Top) == 0 {
			return
		}
		fmt.Fprintf(&b, "\n### Heap profile: %s\n\n", title)
		fmt.Fprintf(&b, "In use after paging back to %d messages (`go tool pprof -top -sample_index=inuse_space`), by function:\n\n", h.Loaded)
		b.WriteString("| flat | flat% | cum | function |\n|---|---|---|---|\n")
		for _, e := range h.Top[:min(10, len(h.Top))] {
			fmt.Fprintf(&b, "| %s | %s | %s | `%s` |\n", e.Flat, e.FlatPct, e.Cum, e.Where)
		}
		if len(h.TopApp) > 0 {
			b.WriteString("\nthe app's own calls, by cumulative space (`-cum -lines`):\n\n| cum | line |\n|---|---|\n")
			for _, e := range h.TopApp {
				fmt.Fprintf(&b, "| %s | `%s` |\n", e.Cum, e.Where)
			}
		}
		if len(h.TopIdle) > 0 {
			b.WriteString("\na minute later, idle (what stays):\n\n| flat | flat% | cum | function |\n|---|---|---|---|\n")
			for _, e := range h.TopIdle[:min(10, len(h.TopIdle))] {
				fmt.Fprintf(&b, "| %s | %s | %s | `%s` |\n", e.Flat, e.FlatPct, e.Cum, e.Where)
			}
		}
		if len(h.TopLines) > 0 {
			b.WriteString("\nby line (`-lines`):\n\n| flat | flat% | line |\n|---|---|---|\n")
			for _, e := range h.TopLines[:min(10, len(h.TopLines))] {
				fmt.Fprintf(&b, "| %s | %s | `%s` |\n", e.Flat, e.FlatPct, e.Where)
			}
		}
	}
	if r.App != nil && len(r.App.Notes) > 0 {
		b.WriteString("\n**Notes on the app run:** " + strings.Join(r.App.Notes, "; ") + "\n")
	}
	heap(r.Model, "the app's model (realtime + timeline)")
	heap(r.UI, "the app (ui.App on the test driver)")

	if d := r.Diag; d != nil {
		b.WriteString("\n### Diagnosis: CPU profiles of the real app\n\n")
		b.WriteString("The app built with a profiling hook added at build time (`go build -overlay`, no source change;\n")
		b.WriteString("`-only diagnose`), under Xvfb as above. Functions of the app and of Fyne by cumulative CPU time:\n")
		for _, ph := range d.Phases {
			fmt.Fprintf(&b, "\n**%s** — %s\n\n| cum | cum%% | function |\n|---|---|---|\n", ph.Name, ph.CPU)
			for _, e := range ph.Top {
				fmt.Fprintf(&b, "| %s | %s | `%s` |\n", e.Cum, e.CumPct, e.Where)
			}
			if len(ph.Flat) > 0 {
				b.WriteString("\nflat: ")
				var fs []string
				for _, e := range ph.Flat[:min(8, len(ph.Flat))] {
					fs = append(fs, fmt.Sprintf("`%s` %s", e.Where, e.FlatPct))
				}
				b.WriteString(strings.Join(fs, ", ") + "\n")
			}
		}
	}
	if r.Benchstat != "" {
		b.WriteString("\n### Micro-benchmarks (benchstat")
		if r.Before != nil && r.Before.Micro {
			fmt.Fprintf(&b, ", before = %s", r.Before.Label)
		}
		b.WriteString(")\n\n```\n")
		b.WriteString(strings.TrimSpace(r.Benchstat))
		b.WriteString("\n```\n")
	}
	b.WriteString(methodText)
	return b.String()
}

const methodText = `
## How it is measured

Since issue #12 the server has channels: ` + "`setup`" + ` creates the public channel general (every chat user
and the demo users are members) and random, and every message belongs to a conversation. The app
subscribes to the messages of the user's conversations (filter
` + "`{\"channel\":{\"members\":{\"user\":{\"_eq\":\"$CURRENT_USER\"}}}}`" + `) and to its conversations and
memberships, opens general first and reads its newest page (` + "`OpenChannel`" + `). The scenarios below run
in general; the figures of runs before that change measured a single room.

1. **Delivery latency** (` + "`ui/app_bench_test.go`" + `, BenchmarkDeliveryLatency). Kevin, on a bare socket in the same
   process, creates messages in general at a steady rate over the WebSocket; each send time is kept by id
   (monotonic clock). Ada is the real ` + "`ui.App`" + ` on Fyne's test driver, signed in through its login form, with
   general open: the session, the pump with its frame pacing, the chat view's apply, the timeline and the
   list binding are the app's own code. A message counts as applied when the timeline's change listener
   sees it (after the list's binding was notified). Two bare gorilla/websocket clients (auth + the same
   subscription as the app's, with the same filter on the user's conversations, nothing else) time the
   raw frame before decoding. Directus serves subscribers one after another, each with its own query, so
   one bare client subscribes before the app and one after; the app's overhead is, per message, its time
   minus the mean of the two.
2. **Burst** (BenchmarkBurst). 20 bulk REST requests of 50 messages into general, one every 50 ms, from
   three users (Kevin, Grace, the admin), while Ada's app is signed in with general open. SQLite Directus
   on this machine creates (and publishes) only a few hundred messages a second, so the burst reaches the
   app over several seconds; BenchmarkBurstScripted therefore also plays 1,000 create events within one
   second from a stand-in server (` + "`internal/bench/scripted.go`" + `, a server without channels) to the same real
   app. Every function the app dispatches to the UI thread is timed; stretches are dispatched functions
   less than 1 ms apart; list refreshes are the list binding's change notifications. The order is
   checked against the server's (date_created, id).
3. **Big history** (BenchmarkHistoryModel in ` + "`realtime/history_bench_test.go`" + `, BenchmarkHistoryUI). A
   Directus with 100,000 messages, all in general (kept in ` + "`.devserver/data/bench-general-<n>-<version>`" + `
   between runs). Sign-in is split with a tracing HTTP transport: "auth ok" is the end of POST /auth/login;
   "applied" is the first change of the timeline with rows of the open conversation (the subscription's
   page of the user's conversations brings them; the model also records its own newest page, from
   ` + "`OpenChannel`" + `, as "own page"). Five sign-ins in a row, each a new session; the first is what a person
   waits for after the server has been idle. Then older pages (50 each, within general) until 10,000 more
   are loaded: the model asks with LoadOlder, the app is scrolled to the top again and again (the list
   asks itself). Heap after two GCs (` + "`runtime.ReadMemStats`" + ` HeapInuse), profile with MemProfileRate 32 KiB.
4. **The real app** (` + "`cmd/bench/app.go`" + `). ` + "`go build`" + `, then under ` + "`xvfb-run`" + ` (Mesa llvmpipe) and a D-Bus session
   with an unlocked gnome-keyring, against the big history. Window mapping and title changes are read from
   X events (` + "`xev`" + `), not polled. Sign-in is typed with xdotool, with Remember me ticked; older messages are
   loaded with the mouse wheel over the list, as a reader does, and counted at a pass-through proxy that
   reads the WebSocket frames both ways: only replies to the app's reads of messages and its message
   subscription count (not its reads of conversations, memberships, people or counts). "Newest page
   through the socket" is the reply to the app's first read of messages (general's newest page).
   Memory from ` + "`/proc/PID/smaps_rollup`" + ` (private = Private_Clean + Private_Dirty); CPU from
   ` + "`/proc/PID/stat`" + ` utime+stime. The remembered session is the app started again with the same HOME and
   keyring, without flags.
5. **Team chat** (BenchmarkTeamChat, issue #12). A Directus (` + "`.devserver/data/bench-team-…`" + `) where Ada,
   Kevin and Grace are members of 50 public channels (general, random, team-03 … team-50): 20 hold
   5,000 messages, 30 hold 50 (101,500), written by the three in turn at times 37 s apart, the channels
   taking turns in a seeded random order. Ada's read marker in conversation j leaves its newest
   1 + 7j mod 23 messages after it; the expected unread count is those not written by Ada. A fourth
   user is a member of general only. Every sign-in starts from these markers (put back over REST) and
   the app's messages of earlier runs deleted. ` + "`ui.App`" + ` on the test driver, through the proxy of 4:
   - sign-in: from tapping Sign in to the first moment, checked after every function run on the UI
     thread, when the sidebar's unread count of every conversation equals the expected one (the open
     one may show none: it is on screen). Three sign-ins, each a new session.
   - frames at start: the socket frames the app sent from the tap until 2 s after the sidebar was
     right (pings and pongs left out), for Ada (50 conversations) and for the user in one.
   - switching: Ada visits 20 conversations from the sidebar's code path (` + "`chatView.switchTo`" + `), timing
     the switch to its newest page applied (a first visit keeps no page), and pages back 5,000 messages
     in each as BenchmarkHistoryUI does. Then Kevin writes in each over REST; once the app counted it
     unread, Ada switches back: the switch → the kept page shown (switchTo's own time on the UI thread;
     the test driver does not paint) and → the server's newest page with Kevin's message applied.
   - memory: the Go heap in use (two GCs, after waiting out Fyne's 15 s cache and letting the test
     driver clean it) after paging in general, and after all 20 visits.

The Fyne test driver does not paint: scenarios 1–3 and 5 do not include GL drawing, which the real window
does on its own thread after each change; scenario 4 includes everything.

## Reproduce

` + "```sh" + `
make bench                                   # all scenarios, writes this file and the raw results (~30 min; the first run +10 min to fill the two histories)
make bench BENCHFLAGS="-only team -no-write" # the team chat alone (~5 min)
BENCH_TEAM_PAGE_BACK=1000 make bench BENCHFLAGS="-only appteam -no-write"   # the team chat in the real app under Xvfb (~10 min)
make bench BENCHFLAGS="-only app -no-write"  # the real app under Xvfb alone (~9 min); memory maps kept beside the screenshots
go run ./cmd/bench -render .devserver/bench/<time>/report.json   # rewrite this file and the raw results from a run's report
go run ./cmd/bench -render docs/benchmarks/results.json           # rewrite this file from the raw results (after editing the text)
go run ./cmd/bench -only latency,burst -no-write
go test -run xxx -bench . -benchtime 1x ./ui ./realtime ./timeline   # the benchmarks alone (they start their own Directus)
go tool pprof -top -sample_index=inuse_space .devserver/bench/<time>/heap-model.pprof
` + "```" + `
`
