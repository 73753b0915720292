// Command bench measures Directus Chat against the pinned, real Directus
// and writes the results to docs/benchmarks.md, with the raw results beside
// it in docs/benchmarks/results.json (see issue 6):
//
//  1. delivery latency: send → applied to the app's timeline, against a bare
//     WebSocket client receiving the same events;
//  2. a burst of 1,000 messages: all arrive in order once; list refreshes and
//     time on the UI thread;
//  3. big history (100,000 messages): "auth ok" → newest page applied; Go heap
//     after paging back through 10,000 messages, with a heap profile;
//  4. the real app under Xvfb: start → login window, remembered session →
//     chat, memory (PSS, private) with 10,000 messages loaded, idle CPU;
//  5. the team chat (50 conversations, 101,500 messages): sign-in → sidebar
//     with the right unread counts, socket frames at start with 1 and 50
//     conversations, switching, Go heap after visiting 20 conversations.
//
// Plus micro-benchmarks (timeline Apply, frame decoding) summarised with
// benchstat. Scenarios 1–3 are Go benchmarks next to the code they drive
// (ui/app_bench_test.go, realtime/history_bench_test.go); this command
// starts the servers once, runs them with `go test -bench`, runs the app,
// and writes the report.
//
//	go run ./cmd/bench                 # everything (about 10 minutes; the first run
//	                                   # also fills the 100,000-message history: ~5 min)
//	go run ./cmd/bench -only latency,burst -no-write
//
// Without a display it re-runs itself under xvfb-run and dbus-run-session
// with an unlocked keyring (scripts/with-keyring.sh), as `make test` does.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"

	"directuschat/devserver"
	"directuschat/internal/bench"
	"directuschat/internal/memtune"
)

// benchstatPkg is the pinned benchstat, used when none is installed.
const benchstatPkg = "golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da"

var allScenarios = []string{"micro", "latency", "burst", "history", "app", "team"}

// extraScenarios run only when asked for with -only.
var extraScenarios = []string{"diagnose", "appteam", "apprich"}

type options struct {
	only     map[string]bool
	out      string
	results  string
	dir      string
	history  int
	messages int
	rate     int
	pageBack int
	idle     time.Duration
	noWrite  bool
	startN   int
}

func main() {
	os.Exit(run())
}

func run() int {
	var o options
	only := flag.String("only", strings.Join(allScenarios, ","), "scenarios to run: "+strings.Join(allScenarios, ","))
	flag.StringVar(&o.out, "out", "docs/benchmarks.md", "results page to write")
	flag.StringVar(&o.results, "results", "docs/benchmarks/results.json", "raw results to write (and to read the previous run from)")
	flag.StringVar(&o.dir, "dir", "", "directory for raw results and profiles (default .devserver/bench/<time>)")
	flag.IntVar(&o.history, "history", bench.DefaultHistory, "messages in the big history")
	flag.IntVar(&o.messages, "messages", 500, "messages in the latency run")
	flag.IntVar(&o.rate, "rate", 20, "messages per second in the latency run")
	flag.IntVar(&o.pageBack, "page-back", 10_000, "messages to page back through")
	flag.DurationVar(&o.idle, "idle", time.Minute, "how long to measure idle CPU")
	flag.IntVar(&o.startN, "starts", 5, "app starts to time")
	flag.BoolVar(&o.noWrite, "no-write", false, "print the table only; do not write the results file")
	render := flag.String("render", "", "measure nothing: write the results page and file from this run's report.json (in its -dir), or from the results file itself, against the previous run")
	flag.Parse()
	o.only = map[string]bool{}
	for _, s := range strings.Split(*only, ",") {
		if s = strings.TrimSpace(s); s != "" {
			if !slices.Contains(allScenarios, s) && !slices.Contains(extraScenarios, s) {
				fmt.Fprintf(os.Stderr, "bench: unknown scenario %q (have %s, and %s)\n", s, strings.Join(allScenarios, ","), strings.Join(extraScenarios, ","))
				return 2
			}
			o.only[s] = true
		}
	}
	root, err := devserver.RepoRoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		return 1
	}
	if err := os.Chdir(root); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		return 1
	}
	if *render != "" {
		if o.dir, err = filepath.Abs(filepath.Dir(*render)); err != nil { // the run's files
			fmt.Fprintln(os.Stderr, "bench:", err)
			return 1
		}
	}
	if *render == "" && (o.only["app"] || o.only["diagnose"] || o.only["appteam"] || o.only["apprich"]) && os.Getenv("DISPLAY") == "" && os.Getenv("BENCH_WRAPPED") == "" {
		return wrap()
	}
	if o.dir == "" {
		o.dir = filepath.Join(root, devserver.DirName, "bench", time.Now().UTC().Format("20060102-150405"))
	}
	if err := os.MkdirAll(o.dir, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var rep *Report
	if *render != "" {
		rep = &Report{}
		if b, err := os.ReadFile(*render); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			return 1
		} else if err := json.Unmarshal(b, rep); err != nil {
			fmt.Fprintf(os.Stderr, "bench: %s: %v\n", *render, err)
			return 1
		}
		rep.portable(root, o.dir) // a report written before reports were made portable
	} else if rep, err = measure(ctx, o); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
	}
	if rep == nil {
		return 1
	}
	if ctx.Err() != nil && !o.noWrite {
		fmt.Fprintln(os.Stderr, "bench: interrupted: the results file is left as it was")
		o.noWrite = true
	}
	rep.setBefore(readPrevious(o.results))
	table := renderTable(rep)
	fmt.Println(table)
	if !o.noWrite {
		link, err := filepath.Rel(filepath.Dir(o.out), o.results)
		if err != nil {
			link = o.results
		}
		doc := renderDoc(rep, table, readNotes(o.out), filepath.ToSlash(link))
		if err := writeResults(o.results, rep); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			return 1
		}
		if err := os.WriteFile(o.out, []byte(doc), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			return 1
		}
		fmt.Fprintf(os.Stderr, "bench: wrote %s and %s (the run's files in %s)\n", o.out, o.results, o.dir)
	}
	if err != nil {
		return 1
	}
	return 0
}

// wrap re-runs this command under a virtual X server and a private D-Bus
// session with an unlocked keyring (the app's remembered session needs
// one), as `make test` does.
func wrap() int {
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		return 1
	}
	for _, tool := range []string{"xvfb-run", "dbus-run-session", "xdotool", "xev"} {
		if _, err := exec.LookPath(tool); err != nil {
			fmt.Fprintf(os.Stderr, "bench: the app scenario needs %s (Debian: xvfb dbus gnome-keyring xdotool x11-utils); skip it with -only\n", tool)
			return 1
		}
	}
	args := append([]string{"-a", "-s", "-screen 0 1280x800x24", "dbus-run-session", "--", "bash", "scripts/with-keyring.sh", self}, os.Args[1:]...)
	cmd := exec.Command("xvfb-run", args...)
	cmd.Env = append(os.Environ(), "BENCH_WRAPPED=1")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode()
		}
		fmt.Fprintln(os.Stderr, "bench:", err)
		return 1
	}
	return 0
}

// Report is everything one run measured; it is also the results file
// (docs/benchmarks/results.json), so the next run can show before/after.
type Report struct {
	Date      string           `json:"date"`
	Commit    string           `json:"commit"`
	Machine   Machine          `json:"machine"`
	Directus  string           `json:"directus"`
	Loads     []string         `json:"loads"` // "scenario: load averages" as each started
	Latency   *bench.Latency   `json:"latency,omitempty"`
	Burst     *bench.Burst     `json:"burst,omitempty"`
	Burst1s   *bench.Burst     `json:"burst_scripted,omitempty"`
	Populated *bench.Populated `json:"populated,omitempty"`
	Model     *bench.History   `json:"history_model,omitempty"`
	UI        *bench.History   `json:"history_ui,omitempty"`
	App       *AppResult       `json:"app,omitempty"`
	AppRich   *AppRich         `json:"app_rich,omitempty"`
	Team      *bench.TeamChat  `json:"team,omitempty"`
	AppTeam   *AppTeam         `json:"app_team,omitempty"`
	TeamData  *bench.Populated `json:"team_populated,omitempty"`
	Diag      *Diag            `json:"diagnose,omitempty"`
	Micro     string           `json:"micro,omitempty"`     // raw go test -bench output
	Benchstat string           `json:"benchstat,omitempty"` // its summary
	Errors    []string         `json:"errors,omitempty"`
	// Before is what the previous run measured, for the results page's
	// "Before" column (set when the results are written).
	Before *Before `json:"before,omitempty"`
}

// Machine describes where the numbers were taken.
type Machine struct {
	CPU    string `json:"cpu"`
	Cores  int    `json:"cores"`
	Memory string `json:"memory"`
	OS     string `json:"os"`
	Kernel string `json:"kernel"`
	Go     string `json:"go"`
	GL     string `json:"gl,omitempty"`
}

func (r *Report) load(scenario string) {
	l := fmt.Sprintf("%s: %s", scenario, bench.Loadavg())
	r.Loads = append(r.Loads, l)
	fmt.Fprintf(os.Stderr, "bench: == %s (load %s)\n", scenario, bench.Loadavg())
}

func (r *Report) fail(scenario string, err error) {
	msg := fmt.Sprintf("%s: %v", scenario, err)
	r.Errors = append(r.Errors, msg)
	fmt.Fprintln(os.Stderr, "bench: FAILED", msg)
}

func measure(ctx context.Context, o options) (*Report, error) {
	rep := &Report{
		Date:    time.Now().UTC().Format("2006-01-02 15:04 MST"),
		Commit:  commit(),
		Machine: machine(),
	}
	logw := os.Stderr

	if o.only["micro"] {
		rep.load("micro")
		if err := runMicro(ctx, o, rep); err != nil {
			rep.fail("micro", err)
		}
	}

	var fresh *bench.Env
	if o.only["latency"] || o.only["burst"] {
		var err error
		fresh, err = bench.StartFresh(ctx, logw)
		if err != nil {
			return rep, fmt.Errorf("start directus: %w", err)
		}
		defer fresh.Close()
		rep.Directus = directusVersion(ctx, fresh)
	}
	if o.only["latency"] {
		rep.load("latency")
		var res bench.Latency
		err := goBench(ctx, o, "./ui", "BenchmarkDeliveryLatency", "latency", &res, map[string]string{
			bench.EnvURL: fresh.URL, bench.EnvMessages: fmt.Sprint(o.messages), bench.EnvRate: fmt.Sprint(o.rate),
		})
		if err != nil {
			rep.fail("latency", err)
		} else {
			rep.Latency = &res
		}
	}
	if o.only["burst"] {
		rep.load("burst")
		var res bench.Burst
		if err := goBench(ctx, o, "./ui", "BenchmarkBurst", "burst", &res, map[string]string{bench.EnvURL: fresh.URL}); err != nil {
			rep.fail("burst", err)
		}
		if res.Messages > 0 {
			rep.Burst = &res
		}
		var res1 bench.Burst
		if err := goBench(ctx, o, "./ui", "BenchmarkBurstScripted", "burst-scripted", &res1, nil); err != nil {
			rep.fail("burst (scripted)", err)
		}
		if res1.Messages > 0 {
			rep.Burst1s = &res1
		}
	}
	if fresh != nil {
		_ = fresh.Close()
	}

	var hist *bench.Env
	if o.only["history"] || o.only["app"] || o.only["diagnose"] {
		rep.load("history data")
		var pop bench.Populated
		var err error
		hist, pop, err = bench.StartHistory(ctx, o.history, logw)
		if err != nil {
			return rep, fmt.Errorf("start the big-history directus: %w", err)
		}
		defer hist.Close()
		rep.Populated = &pop
		if rep.Directus == "" {
			rep.Directus = directusVersion(ctx, hist)
		}
	}
	if o.only["history"] {
		env := map[string]string{bench.EnvHistoryURL: hist.URL, bench.EnvPageBack: fmt.Sprint(o.pageBack)}
		rep.load("history (model)")
		var model bench.History
		if err := goBench(ctx, o, "./realtime", "BenchmarkHistoryModel", "history-model", &model, env); err != nil {
			rep.fail("history (model)", err)
		} else {
			model.Top, model.TopLines = heapTop(ctx, model.Profile)
			model.TopApp = heapTopApp(ctx, model.Profile)
			rep.Model = &model
		}
		rep.load("history (ui)")
		var ui bench.History
		// The UI runs with the memory settings the app's main sets.
		uiEnv := map[string]string{"FYNE_CACHE": memtune.CacheLifetime, "GOGC": fmt.Sprint(memtune.GCPercent)}
		maps.Copy(uiEnv, env)
		if err := goBench(ctx, o, "./ui", "BenchmarkHistoryUI", "history-ui", &ui, uiEnv); err != nil {
			rep.fail("history (ui)", err)
		} else {
			ui.Top, ui.TopLines = heapTop(ctx, ui.Profile)
			ui.TopApp = heapTopApp(ctx, ui.Profile)
			ui.TopIdle, _ = heapTop(ctx, ui.ProfileIdle)
			rep.UI = &ui
		}
	}
	if o.only["app"] {
		rep.load("app under Xvfb")
		res, err := runApp(ctx, o, hist)
		if err != nil {
			rep.fail("app", err)
		}
		rep.App = res
		if res != nil {
			rep.Machine.GL = res.GL
		}
	}
	if o.only["team"] {
		if err := runTeam(ctx, o, rep, logw); err != nil {
			rep.fail("team", err)
		}
	}
	if o.only["appteam"] {
		rep.load("team chat in the app under Xvfb")
		res, err := runAppTeam(ctx, o, bench.EnvInt(bench.EnvTeamVisits, 20), bench.EnvInt(bench.EnvTeamPageBack, 1000))
		if err != nil {
			rep.fail("appteam", err)
		}
		rep.AppTeam = res
	}
	if o.only["apprich"] {
		rep.load("rich history in the app under Xvfb")
		res, err := runAppRich(ctx, o)
		if err != nil {
			rep.fail("apprich", err)
		}
		rep.AppRich = res
	}
	if o.only["diagnose"] {
		rep.load("diagnose (profiled app)")
		d, err := runDiagnose(ctx, o, hist)
		if err != nil {
			rep.fail("diagnose", err)
		}
		rep.Diag = d
	}
	rep.portable(repoRoot(), o.dir)
	if err := bench.WriteJSON(o.dir, "report", rep); err != nil {
		return rep, err
	}
	if len(rep.Errors) > 0 {
		return rep, fmt.Errorf("%d scenario(s) failed", len(rep.Errors))
	}
	return rep, nil
}

// runTeam starts the team-chat Directus and runs scenario 5 against it.
func runTeam(ctx context.Context, o options, rep *Report, logw io.Writer) error {
	rep.load("team data")
	env, team, err := bench.StartTeam(ctx, bench.DefaultTeam(), logw)
	if err != nil {
		return fmt.Errorf("start the team-chat directus: %w", err)
	}
	defer env.Close()
	pop := team.Populated
	rep.TeamData = &pop
	if rep.Directus == "" {
		rep.Directus = directusVersion(ctx, env)
	}
	file := filepath.Join(o.dir, "team-server.json")
	if err := bench.WriteTeam(file, team); err != nil {
		return err
	}
	rep.load("team (ui)")
	var res bench.TeamChat
	// The UI runs with the memory settings the app's main sets.
	err = goBench(ctx, o, "./ui", "BenchmarkTeamChat", "team", &res, map[string]string{
		bench.EnvTeam: file, "FYNE_CACHE": memtune.CacheLifetime, "GOGC": fmt.Sprint(memtune.GCPercent),
	})
	if err != nil {
		return err
	}
	rep.Team = &res
	return nil
}

// goBench runs one scenario benchmark in its own test process and reads the
// JSON result it writes.
func goBench(ctx context.Context, o options, pkg, name, result string, v any, env map[string]string) error {
	args := []string{"test", "-run", "^$", "-bench", "^" + name + "$", "-benchtime", "1x", "-count", "1", "-timeout", "60m", pkg}
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Env = append(os.Environ(), bench.EnvOut+"="+o.dir, "LANG=en_US.UTF-8")
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var buf bytes.Buffer
	w := io.MultiWriter(&buf, prefixWriter("  | "))
	cmd.Stdout, cmd.Stderr = w, w
	err := cmd.Run()
	_ = os.WriteFile(filepath.Join(o.dir, result+".txt"), buf.Bytes(), 0o644)
	if rerr := bench.ReadJSON(o.dir, result, v); rerr != nil {
		if err == nil {
			err = rerr
		}
		return fmt.Errorf("go %s: %w", strings.Join(args, " "), err)
	}
	if err != nil {
		return fmt.Errorf("go %s: %w (the result was written; see %s.txt)", strings.Join(args, " "), err, result)
	}
	return nil
}

// runMicro runs the micro-benchmarks six times and summarises them with
// benchstat, against the previous run's raw output when there is one.
func runMicro(ctx context.Context, o options, rep *Report) error {
	cmd := exec.CommandContext(ctx, "go", "test", "-run", "^$", "-bench", "^Benchmark(Apply|Decode)", "-benchmem", "-count", "6", "./timeline", "./realtime")
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, io.MultiWriter(&buf, os.Stderr)
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("micro-benchmarks: %w\n%s", err, buf.String())
	}
	rep.Micro = buf.String()
	now := filepath.Join(o.dir, "micro.txt")
	if err := os.WriteFile(now, buf.Bytes(), 0o644); err != nil {
		return err
	}
	files := []string{"now=micro.txt"}
	if prev := readPrevious(o.results); prev != nil && prev.Micro != "" {
		before := filepath.Join(o.dir, "micro-before.txt")
		if err := os.WriteFile(before, []byte(prev.Micro), 0o644); err == nil {
			files = []string{"before=micro-before.txt", "now=micro.txt"}
		}
	}
	out, err := benchstat(ctx, o.dir, files...)
	if err != nil {
		return err
	}
	rep.Benchstat = out
	return nil
}

func benchstat(ctx context.Context, dir string, files ...string) (string, error) {
	var cmd *exec.Cmd
	if p, err := exec.LookPath("benchstat"); err == nil {
		cmd = exec.CommandContext(ctx, p, files...)
	} else if gp, err := exec.Command("go", "env", "GOPATH").Output(); err == nil && fileExists(filepath.Join(strings.TrimSpace(string(gp)), "bin", "benchstat")) {
		cmd = exec.CommandContext(ctx, filepath.Join(strings.TrimSpace(string(gp)), "bin", "benchstat"), files...)
	} else {
		cmd = exec.CommandContext(ctx, "go", append([]string{"run", benchstatPkg}, files...)...)
	}
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("benchstat: %w: %s", err, out)
	}
	return string(out), nil
}

// heapTop summarises a heap profile: the top of `go tool pprof -top` by
// function and by line (in use space).
func heapTop(ctx context.Context, profile string) (funcs, lines []bench.HeapEntry) {
	if profile == "" {
		return nil, nil
	}
	top := func(extra ...string) []bench.HeapEntry {
		args := append([]string{"tool", "pprof", "-top", "-nodecount=12", "-sample_index=inuse_space"}, extra...)
		out, err := exec.CommandContext(ctx, "go", append(args, profile)...).Output()
		if err != nil {
			return nil
		}
		return parseTop(string(out))
	}
	return top(), top("-lines")
}

var cpuLine = regexp.MustCompile(`^\s*([\d.]+(?:ms|s|us|µs|ns|min|h)?)\s+([\d.]+%)\s+[\d.]+%\s+([\d.]+(?:ms|s|us|µs|ns|min|h)?)\s+([\d.]+%)\s+(.+)$`)

func parseCPUTop(out string) []bench.HeapEntry {
	var es []bench.HeapEntry
	for _, line := range strings.Split(out, "\n") {
		if m := cpuLine.FindStringSubmatch(line); m != nil {
			es = append(es, bench.HeapEntry{Flat: m[1], FlatPct: m[2], Cum: m[3], CumPct: m[4], Where: portableWhere(m[5], repoRoot())})
		}
	}
	return es
}

// heapTopApp lists the app's own functions (not the benchmark's) by
// cumulative in-use space: which of its calls hold the memory.
func heapTopApp(ctx context.Context, profile string) []bench.HeapEntry {
	if profile == "" {
		return nil
	}
	out, err := exec.CommandContext(ctx, "go", "tool", "pprof", "-top", "-cum", "-lines", "-nodecount=400", "-sample_index=inuse_space", profile).Output()
	if err != nil {
		return nil
	}
	var es []bench.HeapEntry
	for _, e := range parseTop(string(out)) {
		w := e.Where
		if !strings.Contains(w, "directuschat/") || strings.Contains(w, "_test.go") || strings.Contains(w, "directuschat/internal/bench.") {
			continue
		}
		es = append(es, e)
		if len(es) == 12 {
			break
		}
	}
	return es
}

var topLine = regexp.MustCompile(`^\s*([\d.]+[kMG]?B)\s+([\d.]+%)\s+[\d.]+%\s+([\d.]+[kMG]?B)\s+[\d.]+%\s+(.+)$`)

func parseTop(out string) []bench.HeapEntry {
	var es []bench.HeapEntry
	for _, line := range strings.Split(out, "\n") {
		if m := topLine.FindStringSubmatch(line); m != nil {
			es = append(es, bench.HeapEntry{Flat: m[1], FlatPct: m[2], Cum: m[3], Where: portableWhere(m[4], repoRoot())})
		}
	}
	return es
}

// repoRoot is the repository's directory ("" when it cannot be found).
func repoRoot() string {
	r, _ := devserver.RepoRoot()
	return r
}

func directusVersion(ctx context.Context, env *bench.Env) string {
	tok, err := bench.Login(ctx, env.URL, env.AdminEmail, env.AdminPassword)
	if err == nil {
		if v, err := bench.ServerVersion(ctx, env.URL, tok); err == nil && v != "" {
			return v
		}
	}
	return env.Version
}

func commit() string {
	out, err := exec.Command("git", "rev-parse", "--short", "HEAD").Output()
	if err != nil {
		return "?"
	}
	c := strings.TrimSpace(string(out))
	if st, err := exec.Command("git", "status", "--porcelain", "--untracked-files=no").Output(); err == nil && len(bytes.TrimSpace(st)) > 0 {
		c += "+changes"
	}
	return c
}

func machine() Machine {
	m := Machine{Cores: runtime.NumCPU(), Go: runtime.Version()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "model name"); ok {
				m.CPU = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		sc := bufio.NewScanner(bytes.NewReader(b))
		for sc.Scan() {
			if v, ok := strings.CutPrefix(sc.Text(), "MemTotal:"); ok {
				var kb int64
				fmt.Sscan(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), &kb)
				m.Memory = fmt.Sprintf("%.1f GiB", float64(kb)/(1<<20))
			}
		}
	}
	if b, err := os.ReadFile("/etc/os-release"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "PRETTY_NAME="); ok {
				m.OS = strings.Trim(v, `"`)
			}
		}
	}
	if out, err := exec.Command("uname", "-sr").Output(); err == nil {
		m.Kernel = strings.TrimSpace(string(out))
	}
	return m
}

// Hand-written findings live between these markers in the results file;
// a new run keeps them.
const notesStart, notesEnd = "<!-- notes: kept by cmd/bench -->", "<!-- /notes -->"

func readNotes(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	i := bytes.Index(b, []byte(notesStart))
	j := bytes.Index(b, []byte(notesEnd))
	if i < 0 || j < i {
		return ""
	}
	return string(b[i : j+len(notesEnd)])
}

// readPrevious reads the previous run's results file (nil without one).
func readPrevious(path string) *Report {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	var r Report
	if json.Unmarshal(b, &r) != nil {
		return nil
	}
	return &r
}

// writeResults writes r as the results file.
func writeResults(path string, r *Report) error {
	data, err := json.MarshalIndent(r, "", " ")
	if err != nil {
		return fmt.Errorf("results: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("results: %w", err)
	}
	return os.WriteFile(path, append(data, '\n'), 0o644)
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// prefixWriter writes lines to stderr with a prefix.
type lineWriter struct {
	prefix string
	buf    []byte
}

func prefixWriter(prefix string) io.Writer { return &lineWriter{prefix: prefix} }

func (w *lineWriter) Write(p []byte) (int, error) {
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			break
		}
		line := string(w.buf[:i])
		w.buf = w.buf[i+1:]
		if strings.Contains(line, "Fyne error") || strings.HasPrefix(strings.TrimSpace(line), "Cause:") || strings.HasPrefix(strings.TrimSpace(line), "At:") {
			continue
		}
		fmt.Fprintln(os.Stderr, w.prefix+line)
	}
	return len(p), nil
}
