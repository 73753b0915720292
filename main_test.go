package main

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"directuschat/internal/instance"
)

// TestMain removes the app binary that appBinary built.
func TestMain(m *testing.M) {
	code := m.Run()
	if built.dir != "" {
		os.RemoveAll(built.dir)
	}
	os.Exit(code)
}

// built is the app binary, built once for the tests that run it.
var built struct {
	once sync.Once
	dir  string
	bin  string
	err  error
}

// appBinary builds the app from this tree (once per test run).
func appBinary(t *testing.T) string {
	t.Helper()
	built.once.Do(func() {
		if built.dir, built.err = os.MkdirTemp("", "directus-chat-test"); built.err != nil {
			return
		}
		built.bin = filepath.Join(built.dir, "directus-chat")
		if out, err := exec.Command("go", "build", "-o", built.bin, ".").CombinedOutput(); err != nil {
			built.err = fmt.Errorf("go build: %w\n%s", err, out)
		}
	})
	if built.err != nil {
		t.Fatal(built.err)
	}
	return built.bin
}

func TestParseAppInfo(t *testing.T) {
	info, err := parseAppInfo(`
# a comment
Website = "https://example.com"

[Details]
  Icon = "assets/icon.png"
  Name = "Directus Chat"
  ID = "io.example.chat"
  Version = "1.2.3"
  Build = 42

[LinuxAndBSD]
  Categories = ["Network", "Chat"]

[Migrations]
  fyneDo = true
`)
	if err != nil {
		t.Fatal(err)
	}
	d := info.Details
	if d.Name != "Directus Chat" || d.ID != "io.example.chat" || d.Version != "1.2.3" || d.Build != 42 {
		t.Errorf("Details = %+v", d)
	}
	if !info.Migrations["fyneDo"] {
		t.Errorf("Migrations = %v, want fyneDo", info.Migrations)
	}
}

func TestParseAppInfoDefaultsBuildToOne(t *testing.T) {
	info, err := parseAppInfo("[Details]\nVersion = \"0.2\"\n")
	if err != nil {
		t.Fatal(err)
	}
	if info.Details.Build != 1 {
		t.Errorf("Build = %d, want 1 (as fyne package assumes)", info.Details.Build)
	}
}

func TestParseAppInfoErrors(t *testing.T) {
	for name, text := range map[string]string{
		"no version":  "[Details]\nName = \"x\"\n",
		"bad toml":    "[Details\nVersion = \"1\"\n",
		"build words": "[Details]\nVersion = \"1\"\nBuild = \"one\"\n",
	} {
		if _, err := parseAppInfo(text); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// The embedded FyneApp.toml is the one fyne package uses: it must agree
// with the app ID the code uses and carry a version fyne accepts.
func TestEmbeddedFyneAppTOML(t *testing.T) {
	d := metadata.Details
	if d.ID != appID {
		t.Errorf("FyneApp.toml ID = %q, main.go appID = %q", d.ID, appID)
	}
	if d.Name != "Directus Chat" {
		t.Errorf("FyneApp.toml Name = %q", d.Name)
	}
	if !regexp.MustCompile(`^\d+\.\d+\.\d+$`).MatchString(d.Version) {
		t.Errorf("FyneApp.toml Version = %q, want x.y.z", d.Version)
	}
	if d.Build < 1 {
		t.Errorf("FyneApp.toml Build = %d", d.Build)
	}
}

func TestVersionSubcommand(t *testing.T) {
	for _, arg := range []string{"version", "-version", "--version"} {
		var out, errOut bytes.Buffer
		if code := run([]string{arg}, &out, &errOut); code != 0 {
			t.Fatalf("%s: exit %d, stderr %q", arg, code, errOut.String())
		}
		want := "Directus Chat " + metadata.Details.Version + " (build "
		if !strings.HasPrefix(out.String(), want) {
			t.Errorf("%s printed %q, want prefix %q", arg, out.String(), want)
		}
		if !strings.HasSuffix(out.String(), ")\n") || strings.Count(out.String(), "\n") != 1 {
			t.Errorf("%s printed %q, want one line ending in a newline", arg, out.String())
		}
	}
}

// -h and help list the subcommands with what they do, and the flags.
func TestHelpListsSubcommands(t *testing.T) {
	check := func(name, text string) {
		t.Helper()
		for _, want := range []*regexp.Regexp{
			regexp.MustCompile(`(?m)^\s+directus-chat setup \[flags\]\s+provision a Directus server for chat`),
			regexp.MustCompile(`(?m)^\s+directus-chat version\s+print the version$`),
			regexp.MustCompile(`(?m)^\s+-server URL$`),
			regexp.MustCompile(`(?m)^\s+-debug$`),
		} {
			if !want.MatchString(text) {
				t.Errorf("%s: no line matching %s in\n%s", name, want, text)
			}
		}
	}
	for _, args := range [][]string{{"-h"}, {"-help"}, {"--help"}} {
		var out, errOut bytes.Buffer
		if code := run(args, &out, &errOut); code != 0 {
			t.Errorf("%s: exit %d, want 0", args, code)
		}
		check(args[0], errOut.String())
	}
	var out, errOut bytes.Buffer
	if code := run([]string{"help"}, &out, &errOut); code != 0 {
		t.Errorf("help: exit %d, want 0", code)
	}
	check("help", out.String())

	// An unknown command is an error, not a start of the app.
	out.Reset()
	errOut.Reset()
	if code := run([]string{"hlep"}, &out, &errOut); code != 2 {
		t.Errorf("hlep: exit %d, want 2", code)
	}
	if !strings.Contains(errOut.String(), `unknown command "hlep"`) {
		t.Errorf("hlep: stderr %q", errOut.String())
	}
}

// The built app: -h lists the subcommands and version ends in a newline.
func TestBuiltAppHelpAndVersion(t *testing.T) {
	bin := appBinary(t)
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(bin, "-h")
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("-h: %v\n%s", err, stderr.String())
	}
	for _, want := range []string{"directus-chat setup", "directus-chat version"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("-h does not list %q:\n%s", want, stderr.String())
		}
	}
	out, err := exec.Command(bin, "version").Output()
	if err != nil {
		t.Fatalf("version: %v", err)
	}
	if !strings.HasSuffix(string(out), "\n") {
		t.Errorf("version printed %q, without a final newline", out)
	}
}

// localeEnvs are locales Fyne has to cope with: C, POSIX and none (the
// issue), and what Fyne 2.8.1 by itself still logs an error for.
var localeEnvs = [][]string{
	{"LANG=C"},
	{"LC_ALL=C"},
	{"LANG=POSIX"},
	{"LC_ALL=POSIX"},
	{"LANG=C.UTF-8"},
	{}, // no locale at all
	{"LANG=POSIX.UTF-8"},
	{"LANG=sr_RS@latin"},
	{"LANG=ca_ES.UTF-8", "LC_MESSAGES=ca_ES@valencia"},
	{"LANG=sr_RS.UTF-8", "LANGUAGE=sr@latin:en"},
	{"LANG=xx_YY.UTF-8"},
}

// withLocale is the environment without any locale variable, plus env.
func withLocale(env ...string) []string {
	var out []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if name != "LANG" && name != "LANGUAGE" && !strings.HasPrefix(name, "LC_") {
			out = append(out, kv)
		}
	}
	return append(out, env...)
}

// Fyne parses the user's locale when its language package is initialised,
// in every run of the app: none of these may make it log an error.
func TestNoLocaleErrorAtStart(t *testing.T) {
	bin := appBinary(t)
	for _, env := range localeEnvs {
		cmd := exec.Command(bin, "version")
		cmd.Env = withLocale(env...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("%v: %v\n%s", env, err, stderr.String())
		}
		if stderr.Len() > 0 {
			t.Errorf("with %v the app logs:\n%s", env, stderr.String())
		}
	}
}

// failingWriter is stderr in a Windows GUI app.
type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("the handle is invalid") }

// The log file is written when stderr fails.
func TestLogFileWrittenWhenStderrFails(t *testing.T) {
	cache := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", cache)
	out, closeLog := openLog(failingWriter{})
	slog.New(slog.NewTextHandler(out, nil)).Info("hello from a GUI app")
	closeLog()
	b, err := os.ReadFile(filepath.Join(cache, "directus-chat", "directus-chat.log"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "hello from a GUI app") {
		t.Errorf("the log file holds %q, not the line logged", b)
	}
}

// A running copy that does not answer: the second start says so, and why,
// and fails.
func TestSecondStartSaysWhyItCannotBringTheFirstForward(t *testing.T) {
	dir := t.TempDir()
	place := instance.Place{Lock: filepath.Join(dir, "instance.lock"), Socket: filepath.Join(dir, "instance.sock")}
	first, err := instance.Acquire(place)
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close() // never serves: a hung first instance
	var out, errOut bytes.Buffer
	if code := bringForward(place, 200*time.Millisecond, &out, &errOut); code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	if !strings.Contains(errOut.String(), "Directus Chat is already running for this user, but its window could not be brought forward") ||
		!strings.Contains(errOut.String(), "Quit it") {
		t.Errorf("stderr %q does not say what happened and what to do", errOut.String())
	}
}

// Fyne reads FYNE_CACHE once, when its cache package is initialised, and the
// locale when its language package is: memtune and localeenv must set them
// before that, in the app as built (see their docs).
func TestEnvPackagesRunBeforeFyneReadsTheEnv(t *testing.T) {
	bin := appBinary(t)
	cmd := exec.Command(bin, "version")
	cmd.Env = []string{"GODEBUG=inittrace=1"}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "FYNE_CACHE=") && !strings.HasPrefix(kv, "GODEBUG=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s version: %v\n%s", bin, err, out)
	}
	order := func(pkg string) int {
		i := bytes.Index(out, []byte("init "+pkg+" @"))
		if i < 0 {
			t.Fatalf("the init trace has no %s", pkg)
		}
		return i
	}
	if order("directuschat/internal/memtune") > order("fyne.io/fyne/v2/internal/cache") {
		t.Error("Fyne's cache package is initialised before memtune sets FYNE_CACHE: the cache lifetime stays a minute")
	}
	// And localeenv (its doc says why) before Fyne's language package.
	if order("directuschat/internal/localeenv") > order("fyne.io/fyne/v2/lang") {
		t.Error("Fyne's language package is initialised before localeenv sets LANGUAGE")
	}
}
