package bench

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// Smaps is a process's memory from /proc/PID/smaps_rollup, in kB.
type Smaps struct {
	Rss, Pss, PssAnon, PssFile, Anonymous, PrivateClean, PrivateDirty, SharedClean, SharedDirty int64
}

// Private is private clean + private dirty: the memory only this process uses.
func (s Smaps) Private() int64 { return s.PrivateClean + s.PrivateDirty }

// ReadSmaps reads /proc/PID/smaps_rollup.
func ReadSmaps(pid int) (Smaps, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/smaps_rollup", pid))
	if err != nil {
		return Smaps{}, err
	}
	var s Smaps
	fields := map[string]*int64{
		"Rss:": &s.Rss, "Pss:": &s.Pss, "Pss_Anon:": &s.PssAnon, "Pss_File:": &s.PssFile,
		"Anonymous:": &s.Anonymous, "Private_Clean:": &s.PrivateClean, "Private_Dirty:": &s.PrivateDirty,
		"Shared_Clean:": &s.SharedClean, "Shared_Dirty:": &s.SharedDirty,
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := splitFields(line)
		if len(f) >= 2 {
			if p, ok := fields[f[0]]; ok {
				*p, _ = strconv.ParseInt(f[1], 10, 64)
			}
		}
	}
	return s, nil
}

// CPUTicks is utime+stime of a process from /proc/PID/stat, in clock ticks
// (USER_HZ, 100 per second on Linux).
func CPUTicks(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name (field 2) may contain spaces: fields after the
	// closing parenthesis start at field 3 (state).
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, fmt.Errorf("unexpected /proc/%d/stat", pid)
	}
	f := splitFields(s[i+1:])
	if len(f) < 13 {
		return 0, fmt.Errorf("unexpected /proc/%d/stat", pid)
	}
	utime, _ := strconv.ParseInt(f[11], 10, 64) // field 14
	stime, _ := strconv.ParseInt(f[12], 10, 64) // field 15
	return utime + stime, nil
}

// UserHZ is the unit of CPUTicks.
const UserHZ = 100

// Threads is the number of threads of a process.
func Threads(pid int) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "Threads:"); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(v))
			return n
		}
	}
	return 0
}

func splitFields(s string) []string { return strings.Fields(s) }

// ThreadTicks is utime+stime per thread name (comm) of a process: Go's
// threads are all named after the binary, Mesa's llvmpipe rasteriser
// threads "llvmpipe-N", so this tells Go work from software GL drawing.
func ThreadTicks(pid int) map[string]int64 {
	out := map[string]int64{}
	dir := fmt.Sprintf("/proc/%d/task", pid)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return out
	}
	for _, e := range entries {
		b, err := os.ReadFile(dir + "/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		s := string(b)
		i, j := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
		if i < 0 || j < i {
			continue
		}
		name := s[i+1 : j]
		if k := strings.IndexAny(name, "0123456789"); k > 0 && strings.HasPrefix(name, "llvmpipe") {
			name = "llvmpipe-*"
		}
		f := splitFields(s[j+1:])
		if len(f) < 13 {
			continue
		}
		u, _ := strconv.ParseInt(f[11], 10, 64)
		st, _ := strconv.ParseInt(f[12], 10, 64)
		out[name] += u + st
	}
	return out
}

// SubTicks is after minus before, per name.
func SubTicks(after, before map[string]int64) map[string]int64 {
	d := map[string]int64{}
	for k, v := range after {
		if v-before[k] != 0 {
			d[k] = v - before[k]
		}
	}
	return d
}
