//go:build !windows

package wintoast

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestNoProcessCanStart proves from the build for Windows that this
// package cannot start a process: neither it nor anything it imports uses
// os/exec, and its code names no Windows call that runs a program.
func TestNoProcessCanStart(t *testing.T) {
	cmd := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}", ".")
	cmd.Env = append(os.Environ(), "GOOS=windows", "GOARCH=amd64", "CGO_ENABLED=0")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 5 || deps[len(deps)-1] != "directuschat/notify/wintoast" {
		t.Fatalf("unexpected go list output: %q", deps)
	}
	for _, d := range deps {
		if d == "os/exec" {
			t.Errorf("the Windows build of wintoast depends on os/exec: %q", deps)
		}
	}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, call := range []string{"CreateProcess", "ShellExecute", "WinExec", "StartProcess", "powershell", "cmd.exe"} {
			if strings.Contains(strings.ToLower(string(src)), strings.ToLower(call)) {
				t.Errorf("%s mentions %s", f, call)
			}
		}
	}
}
