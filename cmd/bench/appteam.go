package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"directuschat/internal/bench"
)

// AppTeam is the team chat in the real app under Xvfb (-only appteam): the
// private memory after paging back in one conversation, and after visiting
// more, paging back as far in each.
type AppTeam struct {
	PerConversation int           `json:"per_conversation"` // messages to page back through in each
	Visited         int           `json:"visited"`
	Loaded          []int         `json:"loaded"` // messages the app was given in each (counted at the socket)
	MemOne          bench.Smaps   `json:"mem_one_kb"`
	MemAll          bench.Smaps   `json:"mem_all_kb"`
	GoHeapOne       GCTrace       `json:"go_heap_one"`
	GoHeapAll       GCTrace       `json:"go_heap_all"`
	SwitchMS        []float64     `json:"switch_ms"` // Alt+Down → the conversation's first read through the socket
	Notes           []string      `json:"notes,omitempty"`
	Load            string        `json:"load"`
	Took            time.Duration `json:"took"`
}

// messageReads is how many reads of messages the app has sent.
func messageReads(px *bench.Proxy) int {
	n := 0
	for _, f := range px.Sent() {
		if f.Type == "items" && f.Action == "read" && f.Collection == "messages" {
			n++
		}
	}
	return n
}

// runAppTeam signs Ada in to the team chat in the real app, pages back
// per messages in general with the mouse wheel, reads the memory once the
// app is quiet, then moves to the next conversations with Alt+Down (the
// sidebar's order), paging back as far in each, and reads it again.
func runAppTeam(ctx context.Context, o options, visits, per int) (*AppTeam, error) {
	start := time.Now()
	res := &AppTeam{PerConversation: per, Load: bench.Loadavg()}
	env, _, err := bench.StartTeam(ctx, bench.DefaultTeam(), os.Stderr)
	if err != nil {
		return nil, err
	}
	defer env.Close()
	bin := filepath.Join(o.dir, "directus-chat")
	if out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		return nil, fmt.Errorf("go build: %v: %s", err, out)
	}
	u, err := url.Parse(env.URL)
	if err != nil {
		return nil, err
	}
	px, err := bench.StartProxy(u.Host)
	if err != nil {
		return nil, err
	}
	defer px.Close()
	home := filepath.Join(o.dir, "home-team")
	if err := os.MkdirAll(home, 0o700); err != nil {
		return nil, err
	}
	gctrace = true
	p, err := launch(ctx, bin, home, filepath.Join(o.dir, "app-team.log"), "-server", px.URL())
	gctrace = false
	if err != nil {
		return nil, err
	}
	defer p.stop()
	user := env.Users[0]
	_ = bench.Xdotool("windowfocus", "--sync", bench.XdotoolID(p.win))
	time.Sleep(500 * time.Millisecond)
	for _, s := range [][]string{{"type", "--delay", "10", user.Email}, {"key", "Tab"}, {"type", "--delay", "10", user.Password}, {"key", "Return"}} {
		if err := bench.Xdotool(s...); err != nil {
			return res, err
		}
	}
	pu, _ := url.Parse(px.URL())
	if _, err := waitTitle(ctx, p, pu.Host, time.Minute); err != nil {
		return res, fmt.Errorf("sign-in: %w", err)
	}
	if _, err := waitPage(px, start, 30*time.Second); err != nil {
		return res, err
	}
	geo, err := exec.Command("xdotool", "getwindowgeometry", "--shell", bench.XdotoolID(p.win)).Output()
	if err != nil {
		return res, err
	}
	vals := map[string]int{}
	for _, line := range strings.Split(string(geo), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			vals[k], _ = strconv.Atoi(v)
		}
	}
	// Over the message list (right of the sidebar).
	x, y := vals["X"]+vals["WIDTH"]*2/3, vals["Y"]+vals["HEIGHT"]/3
	page := func() int {
		from := px.Counts().Distinct
		last, stalled := from, time.Now()
		for px.Counts().Distinct-from < per && time.Since(stalled) < 10*time.Second && ctx.Err() == nil {
			_ = bench.Xdotool("mousemove", strconv.Itoa(x), strconv.Itoa(y))
			_ = bench.Xdotool("click", "--repeat", "20", "--delay", "8", "4")
			if n := px.Counts().Distinct; n > last {
				last, stalled = n, time.Now()
			}
		}
		settle(ctx, p.pid(), time.Minute)
		return px.Counts().Distinct - from
	}
	quietMem := func() (bench.Smaps, GCTrace) {
		_ = bench.Xdotool("mousemove", "1270", "790")
		time.Sleep(20 * time.Second) // Fyne's 15 s cache lifetime, as the app sets it
		settle(ctx, p.pid(), time.Minute)
		m, _ := bench.ReadSmaps(p.pid())
		return m, lastGC(p)
	}
	res.Loaded = append(res.Loaded, page())
	res.MemOne, res.GoHeapOne = quietMem()
	fmt.Fprintf(os.Stderr, "bench: team, one conversation: %d messages, private anonymous %.1f MB\n", res.Loaded[0], kbToMB(res.MemOne.Anonymous))
	for i := 1; i < visits; i++ {
		n0 := messageReads(px)
		_ = bench.Xdotool("mousemove", strconv.Itoa(x), strconv.Itoa(y))
		t0 := time.Now()
		if err := bench.Xdotool("key", "alt+Down"); err != nil {
			return res, err
		}
		for messageReads(px) == n0 && time.Since(t0) < 10*time.Second {
			time.Sleep(20 * time.Millisecond)
		}
		if messageReads(px) == n0 {
			shot(p, "switch")
			return res, errors.New("Alt+Down did not open another conversation (no read of its messages within 10 s)")
		}
		res.SwitchMS = append(res.SwitchMS, bench.MS(time.Since(t0)))
		res.Loaded = append(res.Loaded, page())
		fmt.Fprintf(os.Stderr, "bench: team, conversation %d: %d messages\n", i+1, res.Loaded[i])
	}
	res.Visited = visits
	res.MemAll, res.GoHeapAll = quietMem()
	shot(p, "team")
	res.Took = time.Since(start)
	return res, nil
}
