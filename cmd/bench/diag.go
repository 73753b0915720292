package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"directuschat/internal/bench"
)

// profHook is added to the app's main package at build time (go build
// -overlay: the repository is not changed) for the diagnose scenario only:
// SIGUSR1 starts a CPU profile, SIGUSR2 stops it and writes a heap profile.
// The measured runs use the plain binary.
const profHook = `package main

import (
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"syscall"
)

func init() {
	dir := os.Getenv("BENCH_PROFILE_DIR")
	if dir == "" {
		return
	}
	runtime.MemProfileRate = 32 << 10
	c := make(chan os.Signal, 4)
	signal.Notify(c, syscall.SIGUSR1, syscall.SIGUSR2)
	go func() {
		var f *os.File
		n := 0
		for s := range c {
			switch s {
			case syscall.SIGUSR1:
				n++
				f, _ = os.Create(fmt.Sprintf("%s/cpu-%d.pprof", dir, n))
				_ = pprof.StartCPUProfile(f)
			case syscall.SIGUSR2:
				pprof.StopCPUProfile()
				if f != nil {
					f.Close()
				}
				runtime.GC()
				h, _ := os.Create(fmt.Sprintf("%s/heap-%d.pprof", dir, n))
				_ = pprof.Lookup("heap").WriteTo(h, 0)
				h.Close()
			}
		}
	}()
}
`

// Diag is what the diagnose scenario found: CPU profiles of the real app
// in the states where the targets are missed.
type Diag struct {
	Phases []DiagPhase `json:"phases"`
}

// DiagPhase is one profiled stretch.
type DiagPhase struct {
	Name    string            `json:"name"`
	Seconds float64           `json:"s"`
	CPU     Idle              `json:"cpu"`
	Profile string            `json:"profile"`
	Top     []bench.HeapEntry `json:"top"` // by cumulative time, the app's and Fyne's functions
	Flat    []bench.HeapEntry `json:"flat"`
}

// runDiagnose builds the app with the profiling hook and profiles it:
// idle at the newest page, scrolling back, and idle with the messages
// loaded (focused and not).
func runDiagnose(ctx context.Context, o options, hist *bench.Env) (*Diag, error) {
	dir := filepath.Join(o.dir, "diagnose")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	hook := filepath.Join(dir, "zz_benchprof.go")
	if err := os.WriteFile(hook, []byte(profHook), 0o644); err != nil {
		return nil, err
	}
	root, _ := os.Getwd()
	overlay, _ := json.Marshal(map[string]any{"Replace": map[string]string{filepath.Join(root, "zz_benchprof.go"): hook}})
	ov := filepath.Join(dir, "overlay.json")
	if err := os.WriteFile(ov, overlay, 0o644); err != nil {
		return nil, err
	}
	bin := filepath.Join(dir, "directus-chat-prof")
	if out, err := exec.CommandContext(ctx, "go", "build", "-overlay", ov, "-o", bin, ".").CombinedOutput(); err != nil {
		return nil, fmt.Errorf("go build -overlay: %v: %s", err, out)
	}
	u, _ := url.Parse(hist.URL)
	px, err := bench.StartProxy(u.Host)
	if err != nil {
		return nil, err
	}
	defer px.Close()
	home := filepath.Join(dir, "home")
	if err := os.MkdirAll(home, 0o700); err != nil {
		return nil, err
	}
	profEnv = "BENCH_PROFILE_DIR=" + dir
	p, err := launch(ctx, bin, home, filepath.Join(dir, "app.log"), "-server", px.URL())
	profEnv = ""
	if err != nil {
		return nil, err
	}
	defer p.stop()
	user := hist.Users[0]
	_ = bench.Xdotool("windowfocus", "--sync", bench.XdotoolID(p.win))
	time.Sleep(500 * time.Millisecond)
	for _, s := range [][]string{{"type", "--delay", "10", user.Email}, {"key", "Tab"}, {"type", "--delay", "10", user.Password}, {"key", "Return"}} {
		if err := bench.Xdotool(s...); err != nil {
			return nil, err
		}
	}
	pu, _ := url.Parse(px.URL())
	if _, err := waitTitle(ctx, p, pu.Host, time.Minute); err != nil {
		return nil, err
	}
	time.Sleep(3 * time.Second)
	d := &Diag{}
	n := 0
	phase := func(name string, dur time.Duration, during func() error) error {
		n++
		_ = p.cmd.Process.Signal(syscall.SIGUSR1)
		cpu := make(chan Idle, 1)
		go func() {
			i, _ := idleCPU(ctx, p.pid(), dur)
			cpu <- i
		}()
		if during != nil {
			if err := during(); err != nil {
				return err
			}
		}
		i := <-cpu
		_ = p.cmd.Process.Signal(syscall.SIGUSR2)
		time.Sleep(2 * time.Second) // the profile is written
		prof := filepath.Join(dir, fmt.Sprintf("cpu-%d.pprof", n))
		ph := DiagPhase{Name: name, Seconds: dur.Seconds(), CPU: i, Profile: prof}
		ph.Top = cpuTop(ctx, bin, prof, true)
		ph.Flat = cpuTop(ctx, bin, prof, false)
		d.Phases = append(d.Phases, ph)
		fmt.Fprintf(os.Stderr, "bench: diagnose %s: %s\n", name, i)
		return nil
	}
	_ = bench.Xdotool("mousemove", "1270", "790")
	if err := phase("idle, focused, newest page", 20*time.Second, nil); err != nil {
		return d, err
	}
	target := 3000
	if err := phase(fmt.Sprintf("scrolling back to %d messages", target), 60*time.Second, func() error {
		res := &AppResult{Target: target}
		return scrollBack(ctx, p, px, res)
	}); err != nil {
		return d, err
	}
	_ = bench.Xdotool("mousemove", "1270", "790")
	time.Sleep(2 * time.Second)
	settle(ctx, p.pid(), 2*time.Minute)
	if err := phase(fmt.Sprintf("idle, focused, %d messages", px.Counts().Loaded()), 20*time.Second, nil); err != nil {
		return d, err
	}
	return d, nil
}

// profEnv, when set, is added to the next launch's environment.
var profEnv string

// cpuTop summarises a CPU profile: by cumulative time (the app's and
// Fyne's functions) or by flat time.
func cpuTop(ctx context.Context, bin, prof string, cum bool) []bench.HeapEntry {
	args := []string{"tool", "pprof", "-top", "-nodecount=60"}
	if cum {
		args = append(args, "-cum")
	}
	out, err := exec.CommandContext(ctx, "go", append(args, bin, prof)...).Output()
	if err != nil {
		return nil
	}
	var es []bench.HeapEntry
	for _, e := range parseCPUTop(string(out)) {
		if cum && !(strings.Contains(e.Where, "directuschat/") || strings.Contains(e.Where, "fyne.io/")) {
			continue
		}
		es = append(es, e)
		if len(es) == 15 {
			break
		}
	}
	return es
}
