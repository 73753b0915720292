package clustertest

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"directuschat/devserver"
	"directuschat/devserver/cluster"
	"directuschat/provision"
)

// startTimeout bounds starting and provisioning one cluster.
const startTimeout = 5 * time.Minute

// Start starts a cluster with o (2 instances, free ports and a fresh folder
// unless o says otherwise), runs setup with demo users through its balancer,
// and stops it when the test ends. Its data and logs are deleted after a
// passing test and kept (and named) after a failing one.
func Start(t testing.TB, o cluster.Options) (*cluster.Cluster, provision.Report) {
	t.Helper()
	if testing.Short() {
		t.Skip("needs a Directus cluster: skipped under -short")
	}
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	started := time.Now()
	c, err := cluster.Start(ctx, o)
	if err != nil {
		if (errors.Is(err, devserver.ErrNotInstalled) || errors.Is(err, cluster.ErrMissingPackages)) && os.Getenv("CI") != "true" {
			t.Skip(err)
		}
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := c.Stop(); err != nil {
			t.Errorf("stop cluster: %v", err)
		}
		if t.Failed() {
			t.Logf("cluster logs kept:\n  %s", strings.Join(c.LogPaths(), "\n  "))
			return
		}
		if c.TempDir {
			if err := c.Remove(); err != nil {
				t.Errorf("remove cluster data: %v", err)
			}
		}
	})
	up := time.Since(started)
	rep, err := provision.Run(ctx, provision.Options{URL: c.URL, Email: c.AdminEmail, Password: c.AdminPassword, DemoUsers: true})
	if err != nil {
		t.Fatalf("provision the cluster at %s: %v", c.URL, err)
	}
	t.Logf("cluster of %d up at %s in %s, provisioned in %s", len(c.Instances), c.URL, up.Round(time.Millisecond), (time.Since(started) - up).Round(time.Millisecond))
	return c, rep
}
