package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"directuschat/devserver"
	"directuschat/devserver/cluster"
	"directuschat/provision"
)

const clusterUsage = `Usage: devserver cluster-COMMAND [-port N] [-instances N] [-version V]

Cluster commands (N Directus instances on PostgreSQL + Redis behind HAProxy, data in .devserver/cluster/):
  cluster-install  install the pinned Directus and, as root, the Debian packages (%s)
  cluster-up       cluster-install + start (balancer on 127.0.0.1:%d) + setup with demo users
  cluster-status   say what runs, where, the balancer's view of each instance
  cluster-down     stop everything it started; nothing is left running
  cluster-reset    cluster-down and delete its data
`

// clusterConfig is what every cluster command needs.
type clusterConfig struct {
	root      string
	port      int
	instances int
	version   string
	stdout    io.Writer
	stderr    io.Writer
}

// dir is the long-lived dev cluster's data: one per version.
func (c clusterConfig) dir() string {
	return filepath.Join(c.root, cluster.DirName, "dev-"+c.version)
}

// runCluster runs the cluster-* commands.
func runCluster(args []string, stdout, stderr io.Writer) int {
	command := args[0]
	fl := flag.NewFlagSet("devserver "+command, flag.ContinueOnError)
	fl.SetOutput(stderr)
	port := fl.Int("port", cluster.DefaultPort, "balancer port on 127.0.0.1")
	instances := fl.Int("instances", cluster.DefaultInstances, "number of Directus instances")
	version := fl.String("version", devserver.VersionFromEnv(), "Directus version (env "+devserver.VersionEnv+")")
	fl.Usage = func() { fmt.Fprintf(stderr, clusterUsage, strings.Join(cluster.Packages, " "), cluster.DefaultPort) }
	if err := fl.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	root, err := devserver.DefaultRoot()
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	c := clusterConfig{root: root, port: *port, instances: *instances, version: *version, stdout: stdout, stderr: stderr}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	switch command {
	case "cluster-install":
		err = c.install(ctx)
	case "cluster-up":
		err = c.up(ctx)
	case "cluster-status":
		if !c.status(ctx) {
			return 3
		}
	case "cluster-down":
		err = c.down(ctx)
	case "cluster-reset":
		err = c.reset(ctx)
	default:
		fmt.Fprintf(stderr, "devserver: unknown command %q\n", command)
		fl.Usage()
		return 2
	}
	if err != nil {
		fmt.Fprintf(stderr, "devserver %s: %v\n", command, err)
		return 1
	}
	return 0
}

// install installs the pinned Directus and the Debian packages the cluster
// needs (apt-get, as root; otherwise it says what to run).
func (c clusterConfig) install(ctx context.Context) error {
	if err := devserver.Install(ctx, c.root, c.version, c.stderr); err != nil {
		return err
	}
	missing := cluster.MissingPackages()
	if len(missing) == 0 {
		fmt.Fprintf(c.stdout, "directus %s and %s are installed\n", c.version, strings.Join(cluster.Packages, ", "))
		return nil
	}
	if os.Geteuid() != 0 {
		return fmt.Errorf("%s not installed: run as root: apt-get update && %s", strings.Join(missing, ", "), cluster.AptCommand)
	}
	fmt.Fprintf(c.stderr, "installing %s from Debian\n", strings.Join(missing, " "))
	for _, args := range [][]string{{"update", "-q"}, append([]string{"install", "-y", "-q", "--no-install-recommends"}, missing...)} {
		cmd := exec.CommandContext(ctx, "apt-get", args...)
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		cmd.Stdout, cmd.Stderr = c.stderr, c.stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("apt-get %s: %w", strings.Join(args, " "), err)
		}
	}
	if missing := cluster.MissingPackages(); len(missing) > 0 {
		return fmt.Errorf("still missing after apt-get: %s", strings.Join(missing, ", "))
	}
	return nil
}

func (c clusterConfig) up(ctx context.Context) error {
	if st, ok, err := cluster.ReadState(c.dir()); err != nil {
		return err
	} else if ok {
		fmt.Fprintf(c.stdout, "already running: %d instances of directus %s behind %s (`go run ./cmd/devserver cluster-status`)\n", len(st.Instances), st.Version, st.URL)
		if st.BalancerPort != c.port {
			return fmt.Errorf("the cluster runs behind port %d, not %d: stop it first (cluster-down)", st.BalancerPort, c.port)
		}
		return nil
	}
	if err := c.install(ctx); err != nil {
		return err
	}
	start := time.Now()
	cl, err := cluster.Start(ctx, cluster.Options{
		Version: c.version, Root: c.root, Dir: c.dir(), Instances: c.instances, Port: c.port,
		Log: c.stderr, Detached: true,
	})
	if err != nil {
		return err
	}
	rep, err := provision.Run(ctx, provision.Options{
		URL: cl.URL, Email: cl.AdminEmail, Password: cl.AdminPassword, DemoUsers: true,
	})
	if err != nil {
		_ = cl.Stop()
		return fmt.Errorf("setup through the balancer: %w", err)
	}
	rep.Print(c.stdout)
	fmt.Fprintf(c.stdout, "\ncluster up in %s: %d instances of directus %s behind %s\n", time.Since(start).Round(time.Second), len(cl.Instances), cl.Version, cl.URL)
	for i, s := range cl.Instances {
		fmt.Fprintf(c.stdout, "  %s %s (pid %d, log %s)\n", cluster.InstanceName(i), s.URL, s.PID(), s.LogPath)
	}
	fmt.Fprintf(c.stdout, "  postgres 127.0.0.1:%d, redis 127.0.0.1:%d, data %s\n", cl.PostgresPort, cl.RedisPort, cl.Dir)
	fmt.Fprintf(c.stdout, "ready: sign in at %s as one of", cl.URL)
	for _, u := range rep.DemoUsers {
		fmt.Fprintf(c.stdout, " %s", u.Email)
	}
	fmt.Fprintf(c.stdout, " (demo password %q)\n", provision.DemoPassword)
	return nil
}

func (c clusterConfig) status(ctx context.Context) bool {
	st, ok, err := cluster.ReadState(c.dir())
	if err != nil {
		fmt.Fprintln(c.stderr, err)
		return false
	}
	if !ok {
		fmt.Fprintf(c.stdout, "no cluster running from %s\n", c.dir())
		return false
	}
	fmt.Fprintf(c.stdout, "cluster: directus %s behind %s (haproxy pid %d)\n", st.Version, st.URL, st.BalancerPID)
	sctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	stats, err := cluster.StatsIn(sctx, st.Dir)
	if err != nil {
		fmt.Fprintf(c.stdout, "balancer does not answer: %v\n", err)
	}
	for _, in := range st.Instances {
		s := stats[in.Name]
		fmt.Fprintf(c.stdout, "  %s %s pid %d: balancer says %s, %d open sessions (log %s)\n", in.Name, in.URL, in.PID, s.Status, s.Current, in.LogPath)
	}
	fmt.Fprintf(c.stdout, "  postgres 127.0.0.1:%d (pid %d), redis 127.0.0.1:%d (pid %d)\n", st.PostgresPort, st.PostgresPID, st.RedisPort, st.RedisPID)
	logs := append([]string(nil), st.Logs...)
	sort.Strings(logs)
	fmt.Fprintf(c.stdout, "logs:\n  %s\n", strings.Join(logs, "\n  "))
	return true
}

func (c clusterConfig) down(ctx context.Context) error {
	st, ok, err := cluster.ReadState(c.dir())
	if err != nil {
		return err
	}
	if !ok {
		fmt.Fprintf(c.stdout, "no cluster running from %s\n", c.dir())
		return nil
	}
	if err := cluster.StopDetached(ctx, c.dir()); err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "stopped the cluster behind %s (%d instances, redis, postgres)\n", st.URL, len(st.Instances))
	return nil
}

func (c clusterConfig) reset(ctx context.Context) error {
	if err := c.down(ctx); err != nil {
		return err
	}
	if err := os.RemoveAll(c.dir()); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	fmt.Fprintf(c.stdout, "deleted %s\n", c.dir())
	return nil
}
