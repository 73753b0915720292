package cluster

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"time"
)

// backendName is the HAProxy backend of the Directus instances; each server
// in it is named by InstanceName.
const backendName = "directus"

// InstanceName is the balancer's name for instance i: d0, d1, ...
func InstanceName(i int) string { return "d" + strconv.Itoa(i) }

// writeHAProxyConfig writes the balancer's configuration: HTTP mode (a
// WebSocket upgrade becomes a tunnel, kept for an hour of silence), least
// connections, an active health check of every instance (GET /server/ping
// must answer pong within 5 s, every 2 s; three failures take an instance
// out, two successes bring it back; a refused connection fails a check at
// once, and checks come every 500 ms while an instance changes state), and
// a failed connect retried on another instance (what clients of a killed
// instance meet before the check notices). Sessions on an instance marked
// down are not cut. Both because a busy instance on a loaded machine
// misses checks while serving its sockets well: with 500 sign-ins at once a
// 500 ms check (and later a 3 s one) took a working instance out, cutting
// all its sessions; the app's own pings find a hung instance. The connection to an instance closes after each
// response (the client's stays open), so an instance's open sessions on the
// balancer are its WebSockets and the requests in flight.
func writeHAProxyConfig(path, socket string, port int, instancePorts []int) error {
	var b strings.Builder
	fmt.Fprintf(&b, `# written by devserver/cluster
global
    maxconn 4096
    stats socket %s mode 600 level admin
    log stdout format raw local0 notice

defaults
    mode http
    log global
    option dontlognull
    timeout connect 2s
    timeout client 60s
    timeout server 60s
    timeout http-request 10s
    timeout tunnel 1h
    timeout client-fin 5s
    option redispatch
    option http-server-close
    retries 3

frontend chat
    bind 127.0.0.1:%d
    default_backend %s

backend %s
    balance leastconn
    option httpchk GET /server/ping
    http-check expect string pong
    timeout check 5s
    default-server check inter 2s fastinter 500ms downinter 1s fall 3 rise 2
`, socket, port, backendName, backendName)
	for i, p := range instancePorts {
		fmt.Fprintf(&b, "    server %s 127.0.0.1:%d\n", InstanceName(i), p)
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

// haproxyCommand sends one command to HAProxy's runtime API and returns its
// answer.
func haproxyCommand(ctx context.Context, socket, command string) (string, error) {
	var d net.Dialer
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	c, err := d.DialContext(ctx, "unix", socket)
	if err != nil {
		return "", fmt.Errorf("haproxy runtime API: %w", err)
	}
	defer c.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = c.SetDeadline(dl)
	}
	if _, err := io.WriteString(c, command+"\n"); err != nil {
		return "", fmt.Errorf("haproxy runtime API %q: %w", command, err)
	}
	b, err := io.ReadAll(c)
	if err != nil {
		return "", fmt.Errorf("haproxy runtime API %q: %w", command, err)
	}
	return string(b), nil
}

// ServerStat is what the balancer reports about one of its servers (an
// instance) or, with Name "FRONTEND", about its front end.
type ServerStat struct {
	Name string
	// Status is UP, DOWN, DRAIN, MAINT, "no check", or OPEN for the
	// front end (with transitional forms such as "UP 1/2").
	Status string
	// Current and Total count sessions (a WebSocket is one session for its
	// whole life; an HTTP request on a kept-alive connection is one too).
	Current, Total int
	// Rate is sessions started in the last second, RateMax the highest
	// Rate seen since the balancer started (or since ClearCounters).
	Rate, RateMax int
}

// parseStats reads `show stat` CSV for the chat front end and the directus
// back end's servers.
func parseStats(out string) (map[string]ServerStat, error) {
	out = strings.TrimPrefix(strings.TrimSpace(out), "# ")
	r := csv.NewReader(strings.NewReader(out))
	r.FieldsPerRecord = -1
	rows, err := r.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("parse haproxy stats: %w", err)
	}
	if len(rows) < 2 {
		return nil, fmt.Errorf("parse haproxy stats: no rows in %q", out)
	}
	col := map[string]int{}
	for i, name := range rows[0] {
		col[name] = i
	}
	for _, need := range []string{"pxname", "svname", "status", "scur", "stot", "rate", "rate_max"} {
		if _, ok := col[need]; !ok {
			return nil, fmt.Errorf("parse haproxy stats: no %s column", need)
		}
	}
	num := func(row []string, name string) int {
		n, _ := strconv.Atoi(row[col[name]])
		return n
	}
	stats := map[string]ServerStat{}
	for _, row := range rows[1:] {
		if len(row) < len(rows[0]) {
			continue
		}
		px, sv := row[col["pxname"]], row[col["svname"]]
		if !(px == backendName && sv != "BACKEND") && !(px == "chat" && sv == "FRONTEND") {
			continue
		}
		stats[sv] = ServerStat{
			Name:    sv,
			Status:  row[col["status"]],
			Current: num(row, "scur"),
			Total:   num(row, "stot"),
			Rate:    num(row, "rate"),
			RateMax: num(row, "rate_max"),
		}
	}
	return stats, nil
}
