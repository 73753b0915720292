package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"directuschat/internal/bench"
)

// AppResult is scenario 4: the real app, built with go build, under Xvfb.
type AppResult struct {
	BinaryMB float64 `json:"binary_mb"`
	GL       string  `json:"gl,omitempty"`
	// StartToLogin is process start → login window mapped, per start; the
	// first with an empty HOME (cold caches), the rest with the same HOME.
	StartToLogin []float64   `json:"start_to_login_ms"`
	LoginMem     bench.Smaps `json:"login_mem_kb"`
	// SignIn: Return pressed in the form → chat window (title shows the
	// server), and → the newest page through the socket.
	SignInToChat float64     `json:"sign_in_to_chat_ms"`
	SignInToPage float64     `json:"sign_in_to_page_ms"`
	SignedInMem  bench.Smaps `json:"signed_in_mem_kb"`
	// Paging back with the mouse wheel, as a reader does.
	Target  int     `json:"target"`
	Loaded  int     `json:"loaded"` // messages the app was given (counted at the socket)
	ScrollS float64 `json:"scroll_s"`
	SettleS float64 `json:"settle_s"` // after the last page, until the app was quiet
	Wheel   int     `json:"wheel_clicks"`
	// PageGaps is the time between consecutive older pages arriving, per
	// 1,000 messages loaded (mean of the gaps in that stretch), in ms.
	PageGaps []float64   `json:"page_gaps_ms"`
	Mem      bench.Smaps `json:"loaded_mem_kb"`
	MemAfter bench.Smaps `json:"loaded_mem_after_idle_kb"`
	Threads  int         `json:"threads"`
	// GoHeap is the live Go heap after the last GC before the memory was
	// read, from the runtime's own gctrace (GODEBUG=gctrace=1).
	GoHeap GCTrace `json:"go_heap"`
	// After both idle minutes (Fyne drops renderers unused for a minute).
	MemIdle    bench.Smaps `json:"mem_after_idle_kb"`
	GoHeapIdle GCTrace     `json:"go_heap_after_idle"`
	// Idle CPU, untouched: at the login window; signed in with the
	// messages loaded and the window focused (the composer's cursor
	// blinks); and with another window focused.
	LoginIdle     Idle `json:"login_idle"`
	Idle          Idle `json:"idle"`
	IdleUnfocused Idle `json:"idle_unfocused"`
	// Remembered session: process start → chat window, → newest page from
	// the server (through the socket), per start.
	RememberedMapped []float64 `json:"remembered_mapped_ms"`
	RememberedToChat []float64 `json:"remembered_to_chat_ms"`
	RememberedToPage []float64 `json:"remembered_to_page_ms"`
	RememberedNote   string    `json:"remembered_note,omitempty"`
	Notes            []string  `json:"notes,omitempty"`
	Load             string    `json:"load"`
}

// Idle is the CPU a process used over a while, with the share of each
// thread name (Go's threads carry the binary's name; Mesa's rasteriser
// threads are llvmpipe-*).
type Idle struct {
	Seconds float64          `json:"s"`
	Ticks   int64            `json:"ticks"`
	Pct     float64          `json:"pct"`
	Threads map[string]int64 `json:"threads"`
}

func (i Idle) String() string {
	var parts []string
	for k, v := range i.Threads {
		parts = append(parts, fmt.Sprintf("%s %d", k, v))
	}
	slices.Sort(parts)
	return fmt.Sprintf("%.2f %% over %.0f s (%d ticks of 10 ms: %s)", i.Pct, i.Seconds, i.Ticks, strings.Join(parts, ", "))
}

// idleCPU measures a process's CPU over d.
func idleCPU(ctx context.Context, pid int, d time.Duration) (Idle, error) {
	th0 := bench.ThreadTicks(pid)
	t0, err := bench.CPUTicks(pid)
	if err != nil {
		return Idle{}, err
	}
	start := time.Now()
	select {
	case <-time.After(d):
	case <-ctx.Done():
		return Idle{}, ctx.Err()
	}
	t1, err := bench.CPUTicks(pid)
	if err != nil {
		return Idle{}, err
	}
	i := Idle{Seconds: time.Since(start).Seconds(), Ticks: t1 - t0, Threads: bench.SubTicks(bench.ThreadTicks(pid), th0)}
	i.Pct = float64(i.Ticks) / bench.UserHZ / i.Seconds * 100
	return i, nil
}

// GCTrace is one line of GODEBUG=gctrace=1 output.
type GCTrace struct {
	Line   string  `json:"line"`
	LiveMB float64 `json:"live_mb"` // heap marked live by that GC
	GoalMB float64 `json:"goal_mb"`
	AgoS   float64 `json:"ago_s"` // how long before the reading it ran
}

var gcLine = regexp.MustCompile(`^gc \d+ @([\d.]+)s .* (\d+)->(\d+)->(\d+) MB, (\d+) MB goal`)

// lastGC reads the last gctrace line the app wrote to its log.
func lastGC(p *appProc) GCTrace {
	b, err := os.ReadFile(p.log)
	if err != nil {
		return GCTrace{}
	}
	var g GCTrace
	for _, line := range strings.Split(string(b), "\n") {
		if m := gcLine.FindStringSubmatch(line); m != nil {
			at, _ := strconv.ParseFloat(m[1], 64)
			live, _ := strconv.ParseFloat(m[4], 64)
			goal, _ := strconv.ParseFloat(m[5], 64)
			g = GCTrace{Line: line, LiveMB: live, GoalMB: goal, AgoS: time.Since(p.started).Seconds() - at}
		}
	}
	return g
}

// settle waits until the process has used under a third of a core for two
// seconds in a row (a page still being applied is not idle), at most max.
func settle(ctx context.Context, pid int, max time.Duration) time.Duration {
	start := time.Now()
	quiet := 0
	for time.Since(start) < max && quiet < 2 {
		t0, err := bench.CPUTicks(pid)
		if err != nil {
			break
		}
		select {
		case <-time.After(time.Second):
		case <-ctx.Done():
			return time.Since(start)
		}
		t1, _ := bench.CPUTicks(pid)
		if t1-t0 < bench.UserHZ/3 {
			quiet++
		} else {
			quiet = 0
		}
	}
	return time.Since(start)
}

// appProc is one run of the app binary.
type appProc struct {
	cmd     *exec.Cmd
	started time.Time
	win     string // X window id (hex)
	mapped  time.Time
	exited  chan struct{}
	log     string
}

func (p *appProc) pid() int { return p.cmd.Process.Pid }

// stop asks the app to quit (SIGTERM: Fyne quits the app) and waits.
func (p *appProc) stop() {
	select {
	case <-p.exited:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(15 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.exited
	}
}

// launch starts the binary with its own HOME and waits for its window to be
// mapped, watching X events (no polling).
func launch(ctx context.Context, bin, home, logPath string, args ...string) (*appProc, error) {
	w, err := bench.WatchRoot(ctx)
	if err != nil {
		return nil, err
	}
	defer w.Stop()
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = appEnv(home)
	cmd.Stdout, cmd.Stderr = logf, logf
	p := &appProc{cmd: cmd, exited: make(chan struct{}), log: logPath}
	p.started = time.Now()
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, err
	}
	go func() {
		_ = cmd.Wait()
		logf.Close()
		close(p.exited)
	}()
	deadline := time.After(60 * time.Second)
	for {
		select {
		case ev, ok := <-w.Events:
			if !ok {
				p.stop()
				return nil, errors.New("xev ended")
			}
			if os.Getenv("BENCH_DEBUG") != "" {
				fmt.Fprintf(os.Stderr, "bench: x event %+v %q\n", ev, bench.WindowName(ev.Window))
			}
			if ev.Kind != "MapNotify" || ev.Window == "" {
				continue
			}
			if name := bench.WindowName(ev.Window); strings.Contains(name, "Directus Chat") || strings.Contains(name, "127.0.0.1") {
				p.win, p.mapped = ev.Window, ev.At
				return p, nil
			}
		case <-p.exited:
			return nil, fmt.Errorf("the app exited before showing a window (log %s)", logPath)
		case <-deadline:
			tree, _ := exec.Command("xwininfo", "-root", "-tree").CombinedOutput()
			if os.Getenv("BENCH_DEBUG") != "" {
				_ = p.cmd.Process.Signal(syscall.SIGQUIT)
				time.Sleep(time.Second)
			}
			p.stop()
			return nil, fmt.Errorf("no window within 60 s (log %s); windows:\n%s", logPath, tree)
		}
	}
}

func appEnv(home string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch {
		// FYNE_CACHE and GOGC: the app sets its own (importing memtune
		// set FYNE_CACHE in this process too).
		case k == "HOME" || k == "LANG" || k == "FYNE_CACHE" || k == "GOGC" || strings.HasPrefix(k, "XDG_CONFIG") || strings.HasPrefix(k, "XDG_CACHE") || strings.HasPrefix(k, "XDG_DATA") || strings.HasPrefix(k, "BENCH_"):
			continue
		}
		env = append(env, kv)
	}
	env = append(env, "HOME="+home, "LANG=en_US.UTF-8")
	if gctrace {
		env = append(env, "GODEBUG=gctrace=1")
	}
	if profEnv != "" {
		env = append(env, profEnv)
	}
	return env
}

// gctrace makes the next launch log every GC (the runtime's own account of
// the Go heap).
var gctrace bool

// waitTitle waits until the window's title contains s, watching property
// changes; it returns when the title was seen.
func waitTitle(ctx context.Context, p *appProc, s string, timeout time.Duration) (time.Time, error) {
	w, err := bench.WatchProperties(ctx, p.win)
	if err != nil {
		return time.Time{}, err
	}
	defer w.Stop()
	if strings.Contains(bench.WindowName(p.win), s) {
		return time.Now(), nil
	}
	deadline := time.After(timeout)
	for {
		select {
		case ev, ok := <-w.Events:
			if !ok {
				return time.Time{}, errors.New("xev ended")
			}
			if ev.Kind == "PropertyNotify" && (ev.Atom == "WM_NAME" || ev.Atom == "_NET_WM_NAME") && strings.Contains(bench.WindowName(p.win), s) {
				return ev.At, nil
			}
		case <-p.exited:
			return time.Time{}, fmt.Errorf("the app exited (log %s)", p.log)
		case <-deadline:
			return time.Time{}, fmt.Errorf("title %q did not contain %q within %v", bench.WindowName(p.win), s, timeout)
		}
	}
}

// waitPage waits until the proxy has passed the open conversation's newest
// page since since: on a server with channels the reply to the app's first
// read of messages (OpenChannel; the subscription's page before it holds
// the newest messages of all conversations), else the subscription's.
func waitPage(px *bench.Proxy, since time.Time, timeout time.Duration) (time.Time, error) {
	deadline := time.After(timeout)
	for {
		if c := px.Counts(); c.FirstRead.After(since) {
			return c.FirstRead, nil
		}
		select {
		case <-px.Changed():
		case <-time.After(100 * time.Millisecond):
		case <-deadline:
			return time.Time{}, errors.New("no newest page of the open conversation through the socket")
		}
	}
}

func runApp(ctx context.Context, o options, hist *bench.Env) (*AppResult, error) {
	res := &AppResult{Target: o.pageBack, Load: bench.Loadavg()}
	bin := filepath.Join(o.dir, "directus-chat")
	fmt.Fprintln(os.Stderr, "bench: go build -o", bin, ".")
	if out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		return nil, fmt.Errorf("go build: %v: %s", err, out)
	}
	if st, err := os.Stat(bin); err == nil {
		res.BinaryMB = float64(st.Size()) / (1 << 20)
	}
	if out, err := exec.Command("glxinfo", "-B").Output(); err == nil {
		if m := regexp.MustCompile(`OpenGL renderer string: (.+)`).FindSubmatch(out); m != nil {
			res.GL = strings.TrimSpace(string(m[1]))
		}
	}

	// 1. Process start → login window, cold then warm.
	home := filepath.Join(o.dir, "home-start")
	if err := os.MkdirAll(home, 0o700); err != nil {
		return nil, err
	}
	for i := range o.startN {
		p, err := launch(ctx, bin, home, filepath.Join(o.dir, fmt.Sprintf("app-start-%d.log", i)))
		if err != nil {
			return res, fmt.Errorf("start %d: %w", i, err)
		}
		res.StartToLogin = append(res.StartToLogin, bench.MS(p.mapped.Sub(p.started)))
		fmt.Fprintf(os.Stderr, "bench: start %d: login window mapped after %.0f ms\n", i, res.StartToLogin[i])
		if i == o.startN-1 {
			time.Sleep(3 * time.Second)
			res.LoginMem, _ = bench.ReadSmaps(p.pid())
			res.LoginIdle, _ = idleCPU(ctx, p.pid(), 20*time.Second)
			fmt.Fprintf(os.Stderr, "bench: login window idle: %s\n", res.LoginIdle)
		}
		p.stop()
	}

	// 2. Typed sign-in with Remember me, through a counting proxy.
	u, err := url.Parse(hist.URL)
	if err != nil {
		return res, err
	}
	px, err := bench.StartProxy(u.Host)
	if err != nil {
		return res, err
	}
	defer px.Close()
	pu, _ := url.Parse(px.URL())
	host := pu.Host
	home = filepath.Join(o.dir, "home-user")
	if err := os.MkdirAll(home, 0o700); err != nil {
		return res, err
	}
	gctrace = true
	p, err := launch(ctx, bin, home, filepath.Join(o.dir, "app-signin.log"), "-server", px.URL())
	gctrace = false
	if err != nil {
		return res, err
	}
	defer p.stop()
	user := hist.Users[0]
	if err := fillSignIn(p, user.Email, user.Password, true); err != nil {
		return res, err
	}
	px.Reset()
	pressed := time.Now()
	if err := bench.Xdotool("key", "Return"); err != nil {
		return res, err
	}
	chat, err := waitTitle(ctx, p, host, time.Minute)
	if err != nil {
		return res, fmt.Errorf("typed sign-in: %w", err)
	}
	res.SignInToChat = bench.MS(chat.Sub(pressed))
	if page, err := waitPage(px, pressed, 30*time.Second); err == nil {
		res.SignInToPage = bench.MS(page.Sub(pressed))
	}
	fmt.Fprintf(os.Stderr, "bench: signed in: chat window after %.0f ms\n", res.SignInToChat)
	time.Sleep(3 * time.Second)
	res.SignedInMem, _ = bench.ReadSmaps(p.pid())

	// 3. Page back with the mouse wheel until the target is loaded.
	if err := scrollBack(ctx, p, px, res); err != nil {
		res.Notes = append(res.Notes, "scrolling back: "+err.Error())
	}
	res.PageGaps = pageGaps(px.Pages())
	_ = bench.Xdotool("mousemove", "1270", "790") // off the window: no hover effects
	// Wheel clicks still queued may ask for a page or two more: wait until
	// no page has come for 10 s and the app is quiet.
	settleStart := time.Now()
	for time.Since(settleStart) < 5*time.Minute {
		settle(ctx, p.pid(), 2*time.Minute)
		pages := px.Pages()
		if len(pages) == 0 || time.Since(pages[len(pages)-1]) > 10*time.Second {
			break
		}
		time.Sleep(2 * time.Second)
	}
	res.SettleS = time.Since(settleStart).Seconds()
	res.Loaded = px.Counts().Loaded()
	shot(p, "loaded")
	res.Mem, _ = bench.ReadSmaps(p.pid())
	res.Threads = bench.Threads(p.pid())
	fmt.Fprintf(os.Stderr, "bench: %d messages loaded: PSS %d MB, private %d MB; idle CPU for %v…\n", res.Loaded, res.Mem.Pss>>10, res.Mem.Private()>>10, o.idle)

	// 4. Idle CPU, untouched: focused, then with another window focused
	// (xev's own window stands in for another application).
	if res.Idle, err = idleCPU(ctx, p.pid(), o.idle); err != nil {
		return res, err
	}
	fmt.Fprintf(os.Stderr, "bench: idle, focused: %s\n", res.Idle)
	res.MemAfter, _ = bench.ReadSmaps(p.pid())
	res.GoHeap = lastGC(p)
	other := exec.CommandContext(ctx, "xev", "-geometry", "200x200+900+500", "-name", "other-app")
	if err := other.Start(); err == nil {
		time.Sleep(time.Second)
		_ = bench.Xdotool("search", "--sync", "--name", "other-app", "windowfocus")
		time.Sleep(2 * time.Second)
		if res.IdleUnfocused, err = idleCPU(ctx, p.pid(), o.idle); err != nil {
			return res, err
		}
		fmt.Fprintf(os.Stderr, "bench: idle, another window focused: %s\n", res.IdleUnfocused)
		res.MemIdle, _ = bench.ReadSmaps(p.pid())
		res.GoHeapIdle = lastGC(p)
		shot(p, "idle")
		_ = other.Process.Kill()
		_ = other.Wait()
	}
	p.stop()

	// 5. Remembered session: start again with the same HOME (preferences)
	// and keyring; no flags, as from the desktop menu.
	for i := range 3 {
		px.Reset()
		p, err := launch(ctx, bin, home, filepath.Join(o.dir, fmt.Sprintf("app-remembered-%d.log", i)))
		if err != nil {
			res.RememberedNote = err.Error()
			break
		}
		chat, err := waitTitle(ctx, p, host, 30*time.Second)
		if err != nil {
			res.RememberedNote = fmt.Sprintf("the remembered session did not open (%v); log: %s", err, tail(p.log))
			p.stop()
			break
		}
		res.RememberedMapped = append(res.RememberedMapped, bench.MS(p.mapped.Sub(p.started)))
		res.RememberedToChat = append(res.RememberedToChat, bench.MS(chat.Sub(p.started)))
		if page, err := waitPage(px, p.started, 30*time.Second); err == nil {
			res.RememberedToPage = append(res.RememberedToPage, bench.MS(page.Sub(p.started)))
		}
		fmt.Fprintf(os.Stderr, "bench: remembered start %d: chat window after %.0f ms\n", i, res.RememberedToChat[i])
		time.Sleep(2 * time.Second) // let the rotated refresh token be stored
		p.stop()
	}
	return res, nil
}

// fillSignIn types the email and password into the login form, ticking
// Remember me if asked, and leaves the focus in a field (Return signs in).
func fillSignIn(p *appProc, email, password string, remember bool) error {
	_ = bench.Xdotool("windowfocus", "--sync", bench.XdotoolID(p.win))
	time.Sleep(500 * time.Millisecond) // let the form take the focus
	// The focus is in the first empty field, Email; then Password; then
	// the Remember me check (Space ticks it); Shift+Tab back.
	steps := [][]string{{"type", "--delay", "10", email}, {"key", "Tab"}, {"type", "--delay", "10", password}}
	if remember {
		steps = append(steps, []string{"key", "Tab"}, []string{"key", "space"}, []string{"key", "shift+Tab"})
	}
	for _, s := range steps {
		if err := bench.Xdotool(s...); err != nil {
			return err
		}
	}
	return nil
}

// scrollBack turns the mouse wheel up over the message list until the app
// has been given the target number of messages (counted at the socket).
func scrollBack(ctx context.Context, p *appProc, px *bench.Proxy, res *AppResult) error {
	geo, err := exec.Command("xdotool", "getwindowgeometry", "--shell", bench.XdotoolID(p.win)).Output()
	if err != nil {
		return err
	}
	vals := map[string]int{}
	for _, line := range strings.Split(string(geo), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			vals[k], _ = strconv.Atoi(v)
		}
	}
	x, y := vals["X"]+vals["WIDTH"]/2, vals["Y"]+vals["HEIGHT"]/3
	if err := bench.Xdotool("mousemove", strconv.Itoa(x), strconv.Itoa(y)); err != nil {
		return err
	}
	start := time.Now()
	want := res.Target + px.Counts().Distinct
	last, stalled := 0, time.Now()
	for {
		c := px.Counts()
		res.Loaded = c.Loaded()
		if res.Loaded >= want {
			break
		}
		if res.Loaded > last {
			if res.Loaded/1000 > last/1000 {
				fmt.Fprintf(os.Stderr, "bench: scrolled back: %d messages after %.0f s\n", res.Loaded, time.Since(start).Seconds())
			}
			last, stalled = res.Loaded, time.Now()
		}
		if time.Since(stalled) > 3*time.Minute {
			res.ScrollS = time.Since(start).Seconds()
			shot(p, "stall")
			return fmt.Errorf("no older page for 3 min at %d messages", res.Loaded)
		}
		if time.Since(start) > 15*time.Minute {
			res.ScrollS = time.Since(start).Seconds()
			shot(p, "stall")
			return fmt.Errorf("gave up after 15 min at %d messages", res.Loaded)
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err := bench.Xdotool("click", "--repeat", "20", "--delay", "8", "4"); err != nil {
			return err
		}
		res.Wheel += 20
	}
	res.ScrollS = time.Since(start).Seconds()
	return nil
}

// pageGaps is the mean time between older pages, per 20 pages.
func pageGaps(pages []time.Time) []float64 {
	var out []float64
	for i := 1; i < len(pages); i += 20 {
		j := min(i+20, len(pages))
		out = append(out, bench.MS(pages[j-1].Sub(pages[i-1]))/float64(j-i))
	}
	return out
}

// shot saves a screenshot of the app's window next to its log.
func shot(p *appProc, name string) {
	_ = exec.Command("import", "-window", bench.XdotoolID(p.win), strings.TrimSuffix(p.log, ".log")+"-"+name+".png").Run()
	// The memory map beside the screenshot, mapping by mapping, to see what
	// holds the private memory (the Go heap, glibc's heap, GL buffers).
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/smaps", p.pid())); err == nil {
		_ = os.WriteFile(strings.TrimSuffix(p.log, ".log")+"-"+name+".smaps", b, 0o644)
	}
}

func tail(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	if len(b) > 600 {
		b = b[len(b)-600:]
	}
	return strings.TrimSpace(string(b))
}
