package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

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
	var out, errOut bytes.Buffer
	if code := run([]string{"version"}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d, stderr %q", code, errOut.String())
	}
	want := "Directus Chat " + metadata.Details.Version + " (build "
	if !strings.HasPrefix(out.String(), want) {
		t.Errorf("version printed %q, want prefix %q", out.String(), want)
	}
}

// Fyne reads FYNE_CACHE once, when its cache package is initialised:
// memtune must set it before that, in the app as built (see memtune's doc).
func TestMemtuneRunsBeforeFyneReadsItsCacheLifetime(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "directus-chat")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
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
}
