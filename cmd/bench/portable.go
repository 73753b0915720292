package main

import (
	"path/filepath"
	"regexp"
	"strings"

	"directuschat/internal/bench"
)

// portable takes the machine's paths out of r, so that the results file,
// which is committed, says nothing of where the run was made: the run's
// files are named relative to its directory dir, the big history's data
// directory relative to the repository root, and source files in profile
// tables relative to the repository, the module cache or GOROOT. Free text
// (errors, notes) loses the root and dir prefixes.
func (r *Report) portable(root, dir string) {
	inRun := func(p string) string { return relTo(dir, p) }
	for _, h := range []*bench.History{r.Model, r.UI} {
		if h == nil {
			continue
		}
		h.Profile, h.ProfileIdle = inRun(h.Profile), inRun(h.ProfileIdle)
		for _, es := range [][]bench.HeapEntry{h.Top, h.TopLines, h.TopApp, h.TopIdle} {
			portableEntries(es, root)
		}
	}
	if p := r.Populated; p != nil {
		p.DataDir = relTo(root, p.DataDir)
	}
	if p := r.TeamData; p != nil {
		p.DataDir = relTo(root, p.DataDir)
	}
	if t := r.Team; t != nil {
		t.ProfileAll = inRun(t.ProfileAll)
	}
	if d := r.Diag; d != nil {
		for i := range d.Phases {
			ph := &d.Phases[i]
			ph.Profile = inRun(ph.Profile)
			portableEntries(ph.Top, root)
			portableEntries(ph.Flat, root)
		}
	}
	text := func(s string) string {
		for _, base := range []string{dir, root} {
			if base != "" && filepath.IsAbs(base) {
				s = strings.ReplaceAll(s, base+string(filepath.Separator), "")
			}
		}
		return s
	}
	for i, e := range r.Errors {
		r.Errors[i] = text(e)
	}
	if a := r.App; a != nil {
		a.RememberedNote = text(a.RememberedNote)
		for i, n := range a.Notes {
			a.Notes[i] = text(n)
		}
	}
}

// relTo names the absolute path p relative to base when it lies under it,
// else by its file name alone; other paths stay as they are.
func relTo(base, p string) string {
	if p == "" || !filepath.IsAbs(p) {
		return p
	}
	if base != "" {
		if r, err := filepath.Rel(base, p); err == nil && r != ".." && !strings.HasPrefix(r, ".."+string(filepath.Separator)) {
			return filepath.ToSlash(r)
		}
	}
	return filepath.Base(p)
}

func portableEntries(es []bench.HeapEntry, root string) {
	for i := range es {
		es[i].Where = portableWhere(es[i].Where, root)
	}
}

var (
	// modPath is the module cache's directory before "module@version/".
	modPath = regexp.MustCompile(`\S*/pkg/mod/`)
	// goSrc is an absolute directory up to the standard library's
	// "src/" (GOROOT, wherever Go is installed).
	goSrc = regexp.MustCompile(`(^|\s)/\S*?/src/`)
)

// portableWhere shortens the file names in a pprof line ("function file:line"):
// the repository's files relative to root, modules as module@version/file,
// the standard library's relative to GOROOT/src.
func portableWhere(s, root string) string {
	if root != "" {
		s = strings.ReplaceAll(s, root+"/", "")
	}
	s = modPath.ReplaceAllString(s, "")
	return goSrc.ReplaceAllString(s, "${1}")
}
