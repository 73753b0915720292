package cluster

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
)

// Packages are the Debian packages the cluster runs on.
var Packages = []string{"postgresql", "redis-server", "haproxy"}

// AptCommand is the command that installs Packages on Debian.
var AptCommand = "apt-get install -y --no-install-recommends " + strings.Join(Packages, " ")

// ErrMissingPackages is returned (wrapped) when PostgreSQL, Redis or HAProxy
// is not installed. The error text names the command that installs them.
var ErrMissingPackages = errors.New("cluster: system packages missing")

// binaries are the programs the cluster runs, found once.
type binaries struct {
	pgBin   string // directory with initdb, postgres, pg_isready, createdb
	redis   string
	haproxy string
}

// findBinaries looks for the programs of Packages: PostgreSQL's in Debian's
// versioned directory (/usr/lib/postgresql/<major>/bin, not on PATH) or on
// PATH; redis-server and haproxy on PATH or in /usr/bin, /usr/sbin.
func findBinaries() (binaries, error) {
	var b binaries
	var missing []string
	if dir, ok := postgresBinDir(); ok {
		b.pgBin = dir
	} else {
		missing = append(missing, "postgresql")
	}
	if p, ok := findProgram("redis-server"); ok {
		b.redis = p
	} else {
		missing = append(missing, "redis-server")
	}
	if p, ok := findProgram("haproxy"); ok {
		b.haproxy = p
	} else {
		missing = append(missing, "haproxy")
	}
	if len(missing) > 0 {
		return b, fmt.Errorf("%w: %s not found; install with (as root, after apt-get update): %s, or run `go run ./cmd/devserver cluster-install`",
			ErrMissingPackages, strings.Join(missing, ", "), AptCommand)
	}
	return b, nil
}

// MissingPackages lists the packages of Packages whose programs are not
// found.
func MissingPackages() []string {
	var missing []string
	if _, ok := postgresBinDir(); !ok {
		missing = append(missing, "postgresql")
	}
	if _, ok := findProgram("redis-server"); !ok {
		missing = append(missing, "redis-server")
	}
	if _, ok := findProgram("haproxy"); !ok {
		missing = append(missing, "haproxy")
	}
	return missing
}

func postgresBinDir() (string, bool) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return majorOf(dirs[i]) > majorOf(dirs[j]) })
	for _, d := range dirs {
		if isExecutable(filepath.Join(d, "initdb")) && isExecutable(filepath.Join(d, "postgres")) {
			return d, true
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		d := filepath.Dir(p)
		if real, err := filepath.EvalSymlinks(p); err == nil {
			d = filepath.Dir(real)
		}
		if isExecutable(filepath.Join(d, "postgres")) {
			return d, true
		}
	}
	return "", false
}

func majorOf(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

func findProgram(name string) (string, bool) {
	if p, err := exec.LookPath(name); err == nil {
		return p, true
	}
	for _, d := range []string{"/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin"} {
		if p := filepath.Join(d, name); isExecutable(p) {
			return p, true
		}
	}
	return "", false
}

func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0
}

// postgresUser is who PostgreSQL runs as: the current user, or, for root
// (PostgreSQL refuses to run as root), the `postgres` user that Debian's
// package creates. It returns nil credentials for the current user.
func postgresUser() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("running as root, PostgreSQL needs an unprivileged user to run as; the postgresql package creates `postgres`: %w", err)
	}
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("uid of postgres: %w", err)
	}
	gid, err := strconv.ParseUint(u.Gid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("gid of postgres: %w", err)
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), NoSetGroups: true}, nil
}
