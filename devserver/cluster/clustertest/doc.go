// Package clustertest gives integration tests a private Directus cluster
// (see package cluster): Start runs one on free ports for one test,
// provisioned by setup, and stops it when the test ends.
//
// Like devservertest, tests are skipped under -short and when Directus or
// the system packages (PostgreSQL, Redis, HAProxy) are missing, with the
// command that installs them; under CI=true a missing one is a failure.
package clustertest
