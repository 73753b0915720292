//go:build cluster && linux

package cluster_test

import (
	"context"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"directuschat/devserver"
	"directuschat/devserver/cluster"
	"directuschat/devserver/cluster/clustertest"
)

// TestClusterStartsServesThroughTheBalancerAndStopsClean: two instances on
// one PostgreSQL and Redis behind HAProxy; the balancer answers, both
// instances are up and health-checked; a killed instance is marked down and
// back up after a restart; Stop leaves no process behind.
func TestClusterStartsServesThroughTheBalancerAndStopsClean(t *testing.T) {
	c, _ := clustertest.Start(t, cluster.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	client := &http.Client{Timeout: 5 * time.Second}
	if err := devserver.Ping(ctx, client, c.URL); err != nil {
		t.Fatalf("balancer: %v", err)
	}
	for i, s := range c.Instances {
		if err := devserver.Ping(ctx, client, s.URL); err != nil {
			t.Fatalf("instance %d: %v", i, err)
		}
	}
	st := c.State()
	pids := []int{st.BalancerPID, st.PostgresPID, st.RedisPID}
	for _, in := range st.Instances {
		pids = append(pids, in.PID)
	}
	for _, pid := range pids {
		if !devserver.ProcessAlive(pid) {
			t.Fatalf("pid %d of %+v is not running", pid, st)
		}
	}

	if err := c.Instances[0].Kill(); err != nil {
		t.Fatal(err)
	}
	if err := c.WaitInstanceStatus(ctx, 0, "DOWN"); err != nil {
		t.Fatal(err)
	}
	if err := devserver.Ping(ctx, client, c.URL); err != nil {
		t.Fatalf("balancer with d0 down: %v", err)
	}
	if err := c.Instances[0].Restart(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.WaitInstanceStatus(ctx, 0, "UP"); err != nil {
		t.Fatal(err)
	}
	pids = append(pids, c.Instances[0].PID())

	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	for _, pid := range pids {
		if devserver.ProcessAlive(pid) {
			t.Errorf("pid %d still runs after Stop", pid)
		}
	}
	if out, _ := exec.Command("ps", "-eo", "pid,args").Output(); strings.Contains(string(out), c.Dir) {
		t.Errorf("a process still names %s after Stop:\n%s", c.Dir, grep(string(out), c.Dir))
	}
}

func grep(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
