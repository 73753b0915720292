//go:build !linux

package main

import (
	"fmt"
	"io"
)

// runCluster: the cluster runs Debian's PostgreSQL, Redis and HAProxy; it is
// supported on Linux only.
func runCluster(args []string, _, stderr io.Writer) int {
	fmt.Fprintf(stderr, "devserver %s: the cluster commands run on Linux only\n", args[0])
	return 1
}
