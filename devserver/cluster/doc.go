// Package cluster runs the project's pinned Directus as a small cluster on
// this machine, the way a team that outgrows one server deploys it: N
// Directus instances (default 2) on one PostgreSQL, with Redis as their
// shared bus and synchronization store, behind an HAProxy load balancer that
// health-checks each instance (GET /server/ping) and passes WebSockets
// through.
//
// PostgreSQL, Redis and HAProxy are Debian's packages (see Packages), run as
// ordinary child processes with their own configuration, ports and data, never
// the system services. Everything lives under one folder, by default
// .devserver/cluster/<name>/:
//
//	pg/               PostgreSQL data (initdb; trust auth on 127.0.0.1 only)
//	redis/            Redis working directory (nothing is persisted)
//	uploads/          STORAGE_LOCAL_ROOT shared by every instance
//	instances/d<i>/   each instance's devserver data directory
//	haproxy.cfg       the balancer's configuration; haproxy.sock its runtime API
//	secret            the SECRET every instance shares
//	logs/             postgres.log, redis.log, haproxy.log
//
// The Directus instances are started with devserver.Start (the same install,
// Node runtime and logs as the single dev server). The package runs on Linux.
package cluster
