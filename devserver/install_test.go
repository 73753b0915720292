package devserver

import (
	"slices"
	"strings"
	"testing"
)

func TestVersionsHaveLockfiles(t *testing.T) {
	got := Versions()
	for _, want := range []string{"11.17.4", "12.4.0"} {
		if !slices.Contains(got, want) {
			t.Errorf("Versions() = %q, missing %s", got, want)
		}
	}
	if !slices.Contains(got, DefaultVersion) {
		t.Errorf("no lockfile for the default version %s", DefaultVersion)
	}
	for _, v := range got {
		lock, err := lockfiles.ReadFile("npm/" + v + "/package-lock.json")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(lock), `"node_modules/directus": {`+"\n"+`      "version": "`+v+`"`) {
			t.Errorf("package-lock.json of %s does not pin directus %s", v, v)
		}
		if _, err := findIsolatedVM(lock); err != nil {
			t.Errorf("%s: %v", v, err)
		}
	}
}

func TestNodeMajor(t *testing.T) {
	for in, want := range map[string]int{"v22.23.3": 22, "v20.20.2": 20, "22.1.0": 22, "": 0, "vX": 0} {
		if got := nodeMajor(in); got != want {
			t.Errorf("nodeMajor(%q) = %d, want %d", in, got, want)
		}
	}
}

func TestFindIsolatedVM(t *testing.T) {
	lock := []byte(`{"packages":{"":{},"node_modules/@directus/api/node_modules/isolated-vm":{},"node_modules/a/node_modules/b/node_modules/isolated-vm":{}}}`)
	got, err := findIsolatedVM(lock)
	if err != nil || got != "node_modules/@directus/api/node_modules/isolated-vm" {
		t.Fatalf("got %q, %v", got, err)
	}
	if _, err := findIsolatedVM([]byte(`{"packages":{}}`)); err == nil {
		t.Fatal("no error without isolated-vm")
	}
}

func TestWithPath(t *testing.T) {
	got := withPath([]string{"HOME=/h", "PATH=/usr/bin"}, "/node/bin")
	if !slices.Equal(got, []string{"HOME=/h", "PATH=/node/bin:/usr/bin"}) {
		t.Fatalf("got %q", got)
	}
	if got := withPath(nil, "/node/bin"); !slices.Equal(got, []string{"PATH=/node/bin"}) {
		t.Fatalf("got %q", got)
	}
}
