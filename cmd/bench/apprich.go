package main

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"directuschat/internal/bench"
)

// AppRich is the rich history in the real app under Xvfb (-only apprich,
// issue #13): the same reader paging back through the same number of
// messages, once in plain text and once formatted, with replies,
// reactions and a picture in twenty; the private memory of each once the
// app is quiet, and after two idle minutes.
type AppRich struct {
	Plain AppRichRun `json:"plain"`
	Rich  AppRichRun `json:"rich"`
	Load  string     `json:"load"`
}

// AppRichRun is one history paged back.
type AppRichRun struct {
	Loaded     int         `json:"loaded"` // messages the app was given (counted at the socket)
	ScrollS    float64     `json:"scroll_s"`
	Wheel      int         `json:"wheel_clicks"`
	Mem        bench.Smaps `json:"loaded_mem_kb"`
	MemIdle    bench.Smaps `json:"idle_mem_kb"` // two minutes later, untouched
	GoHeap     GCTrace     `json:"go_heap"`
	GoHeapIdle GCTrace     `json:"go_heap_idle"`
	Notes      []string    `json:"notes,omitempty"`
}

// runAppRich measures the plain big history, then the rich one, in the
// built app.
func runAppRich(ctx context.Context, o options) (*AppRich, error) {
	res := &AppRich{Load: bench.Loadavg()}
	bin := filepath.Join(o.dir, "directus-chat")
	if out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		return nil, fmt.Errorf("go build: %v: %s", err, out)
	}
	if os.Getenv(bench.EnvRichOnly) == "" {
		plain, _, err := bench.StartHistory(ctx, o.history, os.Stderr)
		if err != nil {
			return nil, fmt.Errorf("the plain history: %w", err)
		}
		res.Plain, err = pageBackIn(ctx, o, bin, plain, "plain")
		_ = plain.Close()
		if err != nil {
			return res, fmt.Errorf("plain: %w", err)
		}
	}
	rich, _, err := bench.StartRichHistory(ctx, o.pageBack+1000, os.Stderr)
	if err != nil {
		return res, fmt.Errorf("the rich history: %w", err)
	}
	res.Rich, err = pageBackIn(ctx, o, bin, rich, "rich")
	_ = rich.Close()
	if err != nil {
		return res, fmt.Errorf("rich: %w", err)
	}
	return res, nil
}

// pageBackIn signs the first demo user in to env with the form, pages
// back o.pageBack messages with the mouse wheel, and reads the memory once
// the app is quiet and two minutes later.
func pageBackIn(ctx context.Context, o options, bin string, env *bench.Env, name string) (AppRichRun, error) {
	var run AppRichRun
	u, err := url.Parse(env.URL)
	if err != nil {
		return run, err
	}
	px, err := bench.StartProxy(u.Host)
	if err != nil {
		return run, err
	}
	defer px.Close()
	pu, _ := url.Parse(px.URL())
	home := filepath.Join(o.dir, "home-"+name)
	if err := os.MkdirAll(home, 0o700); err != nil {
		return run, err
	}
	gctrace = true
	p, err := launch(ctx, bin, home, filepath.Join(o.dir, "app-"+name+".log"), "-server", px.URL())
	gctrace = false
	if err != nil {
		return run, err
	}
	defer p.stop()
	if err := fillSignIn(p, env.Users[0].Email, env.Users[0].Password, false); err != nil {
		return run, err
	}
	if err := bench.Xdotool("key", "Return"); err != nil {
		return run, err
	}
	if _, err := waitTitle(ctx, p, pu.Host, time.Minute); err != nil {
		return run, fmt.Errorf("sign-in: %w", err)
	}
	if _, err := waitPage(px, time.Time{}, 30*time.Second); err != nil {
		return run, err
	}
	time.Sleep(3 * time.Second) // the first pictures and reactions
	scroll := &AppResult{Target: o.pageBack}
	if err := scrollBack(ctx, p, px, scroll); err != nil {
		run.Notes = append(run.Notes, "scrolling back: "+err.Error())
	}
	run.Loaded, run.ScrollS, run.Wheel = scroll.Loaded, scroll.ScrollS, scroll.Wheel
	_ = bench.Xdotool("mousemove", "1270", "790") // off the window: no hover effects
	quietFor(ctx, p, px)
	run.Loaded = px.Counts().Loaded()
	shot(p, "loaded")
	run.Mem, _ = bench.ReadSmaps(p.pid())
	run.GoHeap = lastGC(p)
	fmt.Fprintf(os.Stderr, "bench: %s: %d messages loaded: private anonymous %.1f MB; idle for two minutes…\n", name, run.Loaded, kbToMB(run.Mem.Anonymous))
	select {
	case <-time.After(2 * time.Minute):
	case <-ctx.Done():
		return run, ctx.Err()
	}
	run.MemIdle, _ = bench.ReadSmaps(p.pid())
	run.GoHeapIdle = lastGC(p)
	shot(p, "idle")
	fmt.Fprintf(os.Stderr, "bench: %s: after two idle minutes: private anonymous %.1f MB\n", name, kbToMB(run.MemIdle.Anonymous))
	return run, nil
}

// quietFor waits until no older page has come for 10 s and the app is
// quiet (wheel clicks still queued may ask for a page or two more), at
// most five minutes.
func quietFor(ctx context.Context, p *appProc, px *bench.Proxy) {
	start := time.Now()
	for time.Since(start) < 5*time.Minute && ctx.Err() == nil {
		settle(ctx, p.pid(), 2*time.Minute)
		pages := px.Pages()
		if len(pages) == 0 || time.Since(pages[len(pages)-1]) > 10*time.Second {
			return
		}
		time.Sleep(2 * time.Second)
	}
}
