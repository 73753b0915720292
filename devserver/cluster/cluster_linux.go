package cluster

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"directuschat/devserver"
)

// DirName is the folder under the devserver root (.devserver) that holds
// the clusters' data.
const DirName = "cluster"

// DefaultPort is the balancer's port for `go run ./cmd/devserver cluster-up`.
const DefaultPort = 8060

// DefaultInstances is how many Directus instances a cluster runs unless told.
const DefaultInstances = 2

// BusNamespace is the REDIS_BUS_NAMESPACE every instance of a cluster shares.
const BusNamespace = "directus-chat:bus"

// Options configure Start.
type Options struct {
	// Version of Directus; "" means devserver.VersionFromEnv().
	Version string
	// Root is the .devserver folder; "" means devserver.DefaultRoot().
	Root string
	// Dir holds the cluster's data; "" means a fresh temporary folder
	// under Root/cluster (Cluster.TempDir is then true).
	Dir string
	// Instances is the number of Directus instances; 0 means 2.
	Instances int
	// Port of the balancer on 127.0.0.1; 0 picks a free one. Every other
	// port (instances, PostgreSQL, Redis) is picked free.
	Port int
	// Env adds or overrides Directus settings on every instance.
	Env map[string]string
	// Log receives progress lines; nil discards them.
	Log io.Writer
	// Detached keeps everything running after the starting process exits
	// (cmd/devserver cluster-up; StopDetached stops it). Otherwise, on Linux,
	// all of it dies with the process that started it.
	Detached bool
}

// Cluster is a running (or stopped) cluster started by Start.
type Cluster struct {
	// URL of the balancer, e.g. http://127.0.0.1:8060: what the app and
	// setup use.
	URL     string
	Version string
	Dir     string
	// TempDir is true when Start created Dir for this cluster.
	TempDir bool
	// Instances are the Directus instances, in balancer order (d0, d1, ...).
	// Kill, Stop and Restart them directly; the balancer notices within a
	// second.
	Instances []*devserver.Server
	// AdminEmail and AdminPassword of the administrator bootstrap created.
	AdminEmail, AdminPassword string
	// Ports on 127.0.0.1.
	BalancerPort, PostgresPort, RedisPort int

	bin      binaries
	log      io.Writer
	pg       *proc
	redis    *proc
	balancer *proc
	socket   string // HAProxy runtime API
}

// Start brings a cluster up: PostgreSQL (initdb on first use, database
// `directus`), Redis, the first Directus instance (which bootstraps the
// shared database), the others, then the balancer, and returns when the
// balancer reports every instance healthy and answers /server/ping. It fails
// with ErrMissingPackages when PostgreSQL, Redis or HAProxy is not
// installed, and with devserver.ErrNotInstalled when Directus is not.
func Start(ctx context.Context, o Options) (*Cluster, error) {
	c, err := prepare(o)
	if err != nil {
		return nil, fmt.Errorf("cluster: %w", err)
	}
	if err := c.start(ctx, o); err != nil {
		_ = c.Stop()
		if c.TempDir {
			_ = os.RemoveAll(c.Dir)
		}
		return nil, fmt.Errorf("cluster: %w", err)
	}
	if err := c.writeState(); err != nil {
		_ = c.Stop()
		return nil, fmt.Errorf("cluster: %w", err)
	}
	return c, nil
}

func prepare(o Options) (*Cluster, error) {
	bin, err := findBinaries()
	if err != nil {
		return nil, err
	}
	if o.Version == "" {
		o.Version = devserver.VersionFromEnv()
	}
	if o.Root == "" {
		root, err := devserver.DefaultRoot()
		if err != nil {
			return nil, err
		}
		o.Root = root
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	if !devserver.Installed(o.Root, o.Version) {
		return nil, fmt.Errorf("%w: directus %s in %s; install it with: go run ./cmd/devserver install (DIRECTUS_VERSION=%s)",
			devserver.ErrNotInstalled, o.Version, o.Root, o.Version)
	}
	c := &Cluster{Version: o.Version, bin: bin, log: o.Log,
		AdminEmail: devserver.DefaultAdminEmail, AdminPassword: devserver.DefaultAdminPassword}
	if o.Dir == "" {
		base := filepath.Join(o.Root, DirName)
		if err := os.MkdirAll(base, 0o755); err != nil {
			return nil, err
		}
		dir, err := os.MkdirTemp(base, "tmp-")
		if err != nil {
			return nil, err
		}
		o.Dir, c.TempDir = dir, true
	}
	if c.Dir, err = filepath.Abs(o.Dir); err != nil {
		return nil, err
	}
	// 0755: PostgreSQL runs as another user when we are root and must
	// reach pg/ inside.
	for _, d := range []string{c.Dir, filepath.Join(c.Dir, "logs"), filepath.Join(c.Dir, "uploads"), filepath.Join(c.Dir, "instances")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, err
		}
		if err := os.Chmod(d, 0o755); err != nil {
			return nil, err
		}
	}
	if o.Port != 0 {
		if err := portFree(o.Port); err != nil {
			return nil, err
		}
	}
	return c, nil
}

func (c *Cluster) logf(format string, args ...any) {
	fmt.Fprintf(c.log, format+"\n", args...)
}

func (c *Cluster) start(ctx context.Context, o Options) error {
	started := time.Now()
	n := o.Instances
	if n <= 0 {
		n = DefaultInstances
	}
	var err error
	c.BalancerPort = o.Port
	for _, p := range []*int{&c.BalancerPort, &c.PostgresPort, &c.RedisPort} {
		if *p == 0 {
			if *p, err = freePort(); err != nil {
				return err
			}
		}
	}
	c.URL = "http://127.0.0.1:" + strconv.Itoa(c.BalancerPort)
	logs := filepath.Join(c.Dir, "logs")

	// PostgreSQL and Redis together.
	cred, err := postgresUser()
	if err != nil {
		return err
	}
	pgDir := filepath.Join(c.Dir, "pg")
	pgLog := filepath.Join(logs, "postgres.log")
	if err := initPostgres(ctx, c.bin.pgBin, pgDir, pgLog, cred); err != nil {
		return err
	}
	c.pg = &proc{name: "postgres", path: filepath.Join(c.bin.pgBin, "postgres"), args: postgresArgs(pgDir, c.PostgresPort),
		logPath: pgLog, cred: cred, detach: o.Detached}
	redisConf := filepath.Join(c.Dir, "redis.conf")
	if err := writeRedisConfig(redisConf, filepath.Join(c.Dir, "redis"), c.RedisPort); err != nil {
		return err
	}
	c.redis = &proc{name: "redis", path: c.bin.redis, args: []string{redisConf},
		logPath: filepath.Join(logs, "redis.log"), detach: o.Detached}
	if err := c.StartPostgres(ctx); err != nil {
		return err
	}
	if err := createDatabase(ctx, c.bin.pgBin, c.PostgresPort, c.Dir, pgLog); err != nil {
		return err
	}
	if err := c.StartRedis(ctx); err != nil {
		return err
	}
	c.logf("postgres on 127.0.0.1:%d, redis on 127.0.0.1:%d (%s)", c.PostgresPort, c.RedisPort, time.Since(started).Round(time.Millisecond))

	secret, err := loadSecret(c.Dir)
	if err != nil {
		return err
	}
	env := map[string]string{
		"DB_CLIENT":   "pg",
		"DB_HOST":     "127.0.0.1",
		"DB_PORT":     strconv.Itoa(c.PostgresPort),
		"DB_DATABASE": dbName,
		"DB_USER":     "postgres",
		"SECRET":      secret,
		// Redis by host and port, not the REDIS URL: with REDIS set, Directus
		// passes only the URL to ioredis and ignores every REDIS_* option.
		// ioredis 5.8.2 (in Directus 11.17.4) can send its ready check (INFO)
		// on a connection already in subscriber mode and the unhandled error
		// kills Directus, at start or when Redis comes back (seen here;
		// directus/directus#27190, redis/ioredis#2037): no ready check, no
		// CLIENT SETINFO.
		"REDIS_HOST":                "127.0.0.1",
		"REDIS_PORT":                strconv.Itoa(c.RedisPort),
		"REDIS_ENABLE_READY_CHECK":  "false",
		"REDIS_DISABLE_CLIENT_INFO": "true",
		"SYNCHRONIZATION_STORE":     "redis",
		"REDIS_BUS_NAMESPACE":       BusNamespace,
		"CACHE_ENABLED":             "false",
		"STORAGE_LOCAL_ROOT":        filepath.Join(c.Dir, "uploads"),
		"WEBSOCKETS_ENABLED":        "true",
		"PUBLIC_URL":                c.URL,
	}
	for k, v := range o.Env {
		env[k] = v
	}
	instOpts := func(i int) devserver.Options {
		return devserver.Options{Version: c.Version, Root: o.Root, DataDir: filepath.Join(c.Dir, "instances", InstanceName(i)),
			Env: env, Log: c.log, Detached: o.Detached}
	}
	// The first instance bootstraps the shared database; the others must
	// not (devserver bootstraps a data directory without its .bootstrapped
	// marker; were that marker ever renamed, they would bootstrap an already
	// bootstrapped database, which Directus allows, only slower).
	first, err := devserver.Start(ctx, instOpts(0))
	if err != nil {
		return fmt.Errorf("instance %s: %w", InstanceName(0), err)
	}
	c.Instances = append(c.Instances, first)
	c.logf("instance %s bootstrapped and up at %s (%s)", InstanceName(0), first.URL, time.Since(started).Round(time.Millisecond))
	rest := make([]*devserver.Server, n-1)
	errs := make([]error, n-1)
	var wg sync.WaitGroup
	for i := 1; i < n; i++ {
		o := instOpts(i)
		if err := os.MkdirAll(o.DataDir, 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(o.DataDir, ".bootstrapped"), []byte("shared database, bootstrapped by "+InstanceName(0)+"\n"), 0o644); err != nil {
			return err
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			rest[i-1], errs[i-1] = devserver.Start(ctx, o)
		}()
	}
	wg.Wait()
	for i, s := range rest {
		if s != nil {
			c.Instances = append(c.Instances, s)
		}
		if errs[i] != nil {
			return fmt.Errorf("instance %s: %w", InstanceName(i+1), errs[i])
		}
	}
	c.logf("%d instances up (%s)", n, time.Since(started).Round(time.Millisecond))

	c.socket = filepath.Join(c.Dir, "haproxy.sock")
	_ = removeIfExists(c.socket)
	ports := make([]int, len(c.Instances))
	for i, s := range c.Instances {
		ports[i] = s.Port
	}
	cfg := filepath.Join(c.Dir, "haproxy.cfg")
	if err := writeHAProxyConfig(cfg, c.socket, c.BalancerPort, ports); err != nil {
		return err
	}
	c.balancer = &proc{name: "haproxy", path: c.bin.haproxy, args: []string{"-db", "-f", cfg},
		logPath: filepath.Join(logs, "haproxy.log"), detach: o.Detached}
	if err := c.balancer.start(); err != nil {
		return err
	}
	if err := c.waitBalancer(ctx); err != nil {
		return err
	}
	c.logf("cluster of %d directus %s up at %s in %s", n, c.Version, c.URL, time.Since(started).Round(time.Millisecond))
	return nil
}

// waitBalancer waits until the balancer reports every instance UP and
// answers /server/ping.
func (c *Cluster) waitBalancer(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	var last error
	for {
		last = c.checkBalancer(ctx)
		if last == nil {
			return nil
		}
		select {
		case <-c.balancer.exitedChan():
			return fmt.Errorf("haproxy exited while starting (log %s):\n%s", c.balancer.logPath, tailFile(c.balancer.logPath))
		case <-ctx.Done():
			return fmt.Errorf("balancer not ready: %v (log %s):\n%s", last, c.balancer.logPath, tailFile(c.balancer.logPath))
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func (c *Cluster) checkBalancer(ctx context.Context) error {
	stats, err := c.Stats(ctx)
	if err != nil {
		return err
	}
	for i := range c.Instances {
		if st := stats[InstanceName(i)]; st.Status != "UP" {
			return fmt.Errorf("instance %s is %q", InstanceName(i), st.Status)
		}
	}
	return devserver.Ping(ctx, &http.Client{Timeout: 2 * time.Second}, c.URL)
}

// Stats returns the balancer's counters for each instance (by
// InstanceName) and its front end ("FRONTEND").
func (c *Cluster) Stats(ctx context.Context) (map[string]ServerStat, error) {
	out, err := haproxyCommand(ctx, c.socket, "show stat")
	if err != nil {
		return nil, err
	}
	return parseStats(out)
}

// ClearCounters resets the balancer's counters (totals, maximum rates).
func (c *Cluster) ClearCounters(ctx context.Context) error {
	_, err := haproxyCommand(ctx, c.socket, "clear counters all")
	return err
}

// SetInstanceState sets instance i's administrative state on the balancer:
// "ready", "drain" (no new connections, existing ones stay) or "maint".
// Tests use drain to pin new sessions to the other instances.
func (c *Cluster) SetInstanceState(ctx context.Context, i int, state string) error {
	out, err := haproxyCommand(ctx, c.socket, fmt.Sprintf("set server %s/%s state %s", backendName, InstanceName(i), state))
	if err != nil {
		return err
	}
	if s := strings.TrimSpace(out); s != "" {
		return fmt.Errorf("haproxy: set server %s state %s: %s", InstanceName(i), state, s)
	}
	return nil
}

// WaitInstanceStatus waits until the balancer reports instance i with a
// status that starts with status ("UP", "DOWN", ...).
func (c *Cluster) WaitInstanceStatus(ctx context.Context, i int, status string) error {
	for {
		stats, err := c.Stats(ctx)
		if err == nil && strings.HasPrefix(stats[InstanceName(i)].Status, status) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("instance %s not %s on the balancer (last %+v, %v): %w", InstanceName(i), status, stats[InstanceName(i)], err, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// StartPostgres starts PostgreSQL (again) and waits until it accepts
// connections.
func (c *Cluster) StartPostgres(ctx context.Context) error {
	if err := c.pg.start(); err != nil {
		return err
	}
	return waitPostgres(ctx, c.bin.pgBin, c.PostgresPort, c.pg)
}

// StopPostgres shuts PostgreSQL down fast (SIGINT: open transactions are
// rolled back, clients disconnected).
func (c *Cluster) StopPostgres() error {
	if c.pg == nil {
		return nil
	}
	return c.pg.stop(syscall.SIGINT, 20*time.Second)
}

// StartRedis starts Redis (again) and waits until it answers PING.
func (c *Cluster) StartRedis(ctx context.Context) error {
	if err := c.redis.start(); err != nil {
		return err
	}
	return waitRedis(ctx, c.RedisPort, c.redis)
}

// StopRedis stops Redis (SIGTERM; it keeps nothing).
func (c *Cluster) StopRedis() error {
	if c.redis == nil {
		return nil
	}
	return c.redis.stop(syscall.SIGTERM, 10*time.Second)
}

// KillRedis kills Redis with SIGKILL.
func (c *Cluster) KillRedis() error {
	if c.redis == nil {
		return nil
	}
	return c.redis.kill()
}

// Stop stops the balancer, every instance, Redis and PostgreSQL, and
// returns once all are gone. Its data stays (see Remove).
func (c *Cluster) Stop() error {
	var errs []error
	if c.balancer != nil {
		errs = append(errs, c.balancer.stop(syscall.SIGTERM, 10*time.Second))
	}
	var wg sync.WaitGroup
	ierrs := make([]error, len(c.Instances))
	for i, s := range c.Instances {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ierrs[i] = s.Stop()
		}()
	}
	wg.Wait()
	errs = append(errs, ierrs...)
	errs = append(errs, c.StopRedis(), c.StopPostgres())
	_ = removeIfExists(filepath.Join(c.Dir, stateFile))
	return errors.Join(errs...)
}

// Remove deletes a stopped cluster's data and its instances' logs.
func (c *Cluster) Remove() error {
	for _, s := range c.Instances {
		_ = os.Remove(s.LogPath)
	}
	return os.RemoveAll(c.Dir)
}

// LogPaths lists every log of the cluster: the services' and the
// instances'.
func (c *Cluster) LogPaths() []string {
	var ps []string
	for _, p := range []*proc{c.pg, c.redis, c.balancer} {
		if p != nil {
			ps = append(ps, p.logPath)
		}
	}
	for _, s := range c.Instances {
		ps = append(ps, s.LogPath)
	}
	return ps
}

// loadSecret returns the cluster's SECRET, creating it once.
func loadSecret(dir string) (string, error) {
	p := filepath.Join(dir, "secret")
	b, err := os.ReadFile(p)
	if err == nil && len(strings.TrimSpace(string(b))) > 0 {
		return strings.TrimSpace(string(b)), nil
	}
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", err
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", err
	}
	secret := hex.EncodeToString(raw)
	return secret, os.WriteFile(p, []byte(secret+"\n"), 0o600)
}

// stateFile, in the cluster's folder, records what runs, for StopDetached.
const stateFile = "state.json"

// State is what a running cluster records in its folder.
type State struct {
	URL          string          `json:"url"`
	Version      string          `json:"version"`
	Dir          string          `json:"dir"`
	BalancerPort int             `json:"balancer_port"`
	PostgresPort int             `json:"postgres_port"`
	RedisPort    int             `json:"redis_port"`
	BalancerPID  int             `json:"balancer_pid"`
	PostgresPID  int             `json:"postgres_pid"`
	RedisPID     int             `json:"redis_pid"`
	Instances    []InstanceState `json:"instances"`
	Logs         []string        `json:"logs"`
}

// InstanceState is one Directus instance in State.
type InstanceState struct {
	Name    string `json:"name"`
	URL     string `json:"url"`
	PID     int    `json:"pid"`
	LogPath string `json:"log_path"`
}

// State returns what runs now.
func (c *Cluster) State() State {
	st := State{URL: c.URL, Version: c.Version, Dir: c.Dir, BalancerPort: c.BalancerPort,
		PostgresPort: c.PostgresPort, RedisPort: c.RedisPort, Logs: c.LogPaths()}
	if c.balancer != nil {
		st.BalancerPID = c.balancer.pid()
	}
	if c.pg != nil {
		st.PostgresPID = c.pg.pid()
	}
	if c.redis != nil {
		st.RedisPID = c.redis.pid()
	}
	for i, s := range c.Instances {
		st.Instances = append(st.Instances, InstanceState{Name: InstanceName(i), URL: s.URL, PID: s.PID(), LogPath: s.LogPath})
	}
	return st
}

func (c *Cluster) writeState() error {
	b, err := json.MarshalIndent(c.State(), "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(c.Dir, stateFile), append(b, '\n'), 0o644)
}

// ReadState reads the state a running cluster left in dir. ok is false when
// there is none or none of its processes is alive.
func ReadState(dir string) (st State, ok bool, err error) {
	b, err := os.ReadFile(filepath.Join(dir, stateFile))
	if errors.Is(err, fs.ErrNotExist) {
		return State{}, false, nil
	}
	if err != nil {
		return State{}, false, err
	}
	if err := json.Unmarshal(b, &st); err != nil {
		return State{}, false, fmt.Errorf("cluster: read %s: %w", filepath.Join(dir, stateFile), err)
	}
	for _, pid := range st.pids() {
		if alive(pid.pid, pid.program) {
			return st, true, nil
		}
	}
	return st, false, nil
}

type namedPID struct {
	pid     int
	program string // part of its command line, against recycled pids
}

func (st State) pids() []namedPID {
	ps := []namedPID{{st.BalancerPID, "haproxy"}, {st.RedisPID, "redis"}, {st.PostgresPID, "postgres"}}
	for _, in := range st.Instances {
		ps = append(ps, namedPID{in.PID, "directus"})
	}
	return ps
}

// alive reports whether pid runs and is program (by its command line).
func alive(pid int, program string) bool {
	if !devserver.ProcessAlive(pid) {
		return false
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	return err == nil && strings.Contains(string(b), program)
}

// StopDetached stops a cluster that another process started detached, from
// the state in dir: balancer, instances, Redis, then PostgreSQL; it returns
// once every process is gone.
func StopDetached(ctx context.Context, dir string) error {
	st, _, err := ReadState(dir)
	if err != nil {
		return err
	}
	var errs []error
	stop := func(p namedPID, sig syscall.Signal) {
		if !alive(p.pid, p.program) {
			return
		}
		if err := syscall.Kill(p.pid, sig); err != nil && !errors.Is(err, syscall.ESRCH) {
			errs = append(errs, fmt.Errorf("stop %s (pid %d): %w", p.program, p.pid, err))
			return
		}
		if err := devserver.StopProcessGroup(ctx, p.pid, 20*time.Second); err != nil {
			errs = append(errs, fmt.Errorf("stop %s (pid %d): %w", p.program, p.pid, err))
		}
	}
	stop(namedPID{st.BalancerPID, "haproxy"}, syscall.SIGTERM)
	for _, in := range st.Instances {
		stop(namedPID{in.PID, "directus"}, syscall.SIGTERM)
	}
	stop(namedPID{st.RedisPID, "redis"}, syscall.SIGTERM)
	stop(namedPID{st.PostgresPID, "postgres"}, syscall.SIGINT)
	if len(errs) == 0 {
		_ = removeIfExists(filepath.Join(dir, stateFile))
	}
	return errors.Join(errs...)
}

// StatsIn returns the balancer's counters of the cluster running from dir
// (through its runtime API socket), for a process that did not start it.
func StatsIn(ctx context.Context, dir string) (map[string]ServerStat, error) {
	out, err := haproxyCommand(ctx, filepath.Join(dir, "haproxy.sock"), "show stat")
	if err != nil {
		return nil, err
	}
	return parseStats(out)
}
