// Package bench holds what the benchmarks share: the pinned Directus they
// run against (a fresh one, or one with a cached big history), a bare
// WebSocket client to compare the app with, REST helpers to create messages
// in bulk, statistics, process accounting and the result types that
// cmd/bench turns into docs/benchmarks.md.
//
// The scenario benchmarks live next to the code they drive
// (ui/*_bench_test.go, realtime/*_bench_test.go); cmd/bench starts the
// servers once, runs them with `go test -bench` and passes the servers'
// addresses in the environment variables below. Run alone, each benchmark
// starts what it needs itself.
package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"directuschat/devserver"
	"directuschat/provision"
)

// Environment variables cmd/bench passes to the benchmarks.
const (
	EnvURL        = "BENCH_URL"         // a provisioned Directus for live scenarios
	EnvHistoryURL = "BENCH_HISTORY_URL" // a provisioned Directus with the big history
	EnvHistoryN   = "BENCH_HISTORY_N"   // messages in the big history [100000]
	EnvOut        = "BENCH_OUT"         // directory for JSON results and profiles
	EnvMessages   = "BENCH_MESSAGES"    // messages in the latency run [500]
	EnvRate       = "BENCH_RATE"        // messages per second in the latency run [20]
	EnvPageBack   = "BENCH_PAGE_BACK"   // messages to page back through [10000]
	EnvRichOnly   = "BENCH_RICH_ONLY"   // set: -only apprich measures the rich history only
	// The team chat (scenario 5).
	EnvTeamPageBack = "BENCH_TEAM_PAGE_BACK" // messages to page back through in each conversation visited [5000]
	EnvTeamVisits   = "BENCH_TEAM_VISITS"    // conversations to visit [20]
	// EnvLatencyFrames set: the latency run's app goes through the
	// counting proxy and the result says what it sent.
	EnvLatencyFrames = "BENCH_LATENCY_FRAMES"
)

// DefaultHistory is the size of the big history.
const DefaultHistory = 100_000

// Env is a provisioned Directus with the demo users.
type Env struct {
	URL                       string
	Version                   string
	AdminEmail, AdminPassword string
	Users                     []provision.DemoUser
	// Server is set when this process started it; Close stops it.
	Server *devserver.Server
	unlock func()
}

// Close stops the server if this process started it.
func (e *Env) Close() error {
	var err error
	if e.Server != nil {
		err = e.Server.Stop()
		if e.Server.TempData {
			_ = os.RemoveAll(e.Server.DataDir)
		}
		_ = os.Remove(e.Server.LogPath)
	}
	if e.unlock != nil {
		e.unlock()
	}
	return err
}

// External describes a server started elsewhere (by cmd/bench).
func External(url string) *Env {
	return &Env{
		URL:           strings.TrimRight(url, "/"),
		Version:       devserver.VersionFromEnv(),
		AdminEmail:    devserver.DefaultAdminEmail,
		AdminPassword: devserver.DefaultAdminPassword,
		Users:         provision.DemoUsers(),
	}
}

// StartFresh starts a new Directus with fresh data and provisions it.
func StartFresh(ctx context.Context, log io.Writer) (*Env, error) {
	s, err := devserver.Start(ctx, devserver.Options{Log: log})
	if err != nil {
		return nil, err
	}
	env, err := provisioned(ctx, s)
	if err != nil {
		_ = s.Stop()
		return nil, err
	}
	return env, nil
}

func provisioned(ctx context.Context, s *devserver.Server) (*Env, error) {
	rep, err := provision.Run(ctx, provision.Options{URL: s.URL, Email: s.AdminEmail, Password: s.AdminPassword, DemoUsers: true})
	if err != nil {
		return nil, err
	}
	// As the README asks of every deployment with long histories.
	if err := s.ExecSQL(ctx, provision.ConversationIndex); err != nil {
		return nil, err
	}
	return &Env{
		URL: s.URL, Version: s.Version, AdminEmail: s.AdminEmail, AdminPassword: s.AdminPassword,
		Users: rep.DemoUsers, Server: s,
	}, nil
}

// Populated says how the big history was made.
type Populated struct {
	Messages int           // messages in the collection
	Inserted int           // inserted by this call (0 when the cache had them)
	Took     time.Duration // how long inserting them took, this call or when the cache was made
	Chunk    int           // messages per bulk request
	DataDir  string
	Cached   bool // the data directory was reused
}

// historyChunk is how many messages one bulk request creates: 5,000 with
// their channel reach Directus's default 1 MB payload limit.
const historyChunk = 2500

// StartHistory starts the Directus whose data directory holds n messages,
// all in the public channel general (the one conversation setup creates
// for everyone, which the app opens first), creating and filling it on
// first use. The directory is kept under .devserver/data/ between runs
// (bulk-inserting 100,000 messages into SQLite takes minutes); a lock keeps
// two runs from sharing it at once. Its name says the layout: the
// single-room directories of earlier versions (bench-history-*) are left
// to the commits that made them.
func StartHistory(ctx context.Context, n int, log io.Writer) (*Env, Populated, error) {
	env, dir, cached, err := startData(ctx, fmt.Sprintf("bench-general-%d", n), log)
	if err != nil {
		return nil, Populated{}, err
	}
	pop, err := populate(ctx, env, n, dir, log)
	pop.Cached = cached
	if err != nil {
		_ = env.Close()
		return nil, pop, err
	}
	return env, pop, nil
}

// startData starts and provisions the Directus of the data directory
// .devserver/data/<name>-<version>, holding its lock until Close; cached
// says the directory was there already.
func startData(ctx context.Context, name string, log io.Writer) (env *Env, dir string, cached bool, err error) {
	if log == nil {
		log = io.Discard
	}
	root, err := devserver.DefaultRoot()
	if err != nil {
		return nil, "", false, err
	}
	dir = filepath.Join(root, "data", name+"-"+devserver.VersionFromEnv())
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return nil, "", false, err
	}
	unlock, err := lockFile(dir+".lock", log)
	if err != nil {
		return nil, "", false, err
	}
	_, statErr := os.Stat(filepath.Join(dir, ".bootstrapped"))
	s, err := devserver.Start(ctx, devserver.Options{DataDir: dir, Log: log})
	if err != nil {
		unlock()
		return nil, "", false, err
	}
	env, err = provisioned(ctx, s)
	if err != nil {
		_ = s.Stop()
		unlock()
		return nil, "", false, err
	}
	env.unlock = unlock
	return env, dir, statErr == nil, nil
}

// populate tops the messages up to n, as the demo users in turn.
func populate(ctx context.Context, env *Env, n int, dir string, log io.Writer) (Populated, error) {
	pop := Populated{Chunk: historyChunk, DataDir: dir}
	admin, err := Login(ctx, env.URL, env.AdminEmail, env.AdminPassword)
	if err != nil {
		return pop, err
	}
	have, err := Count(ctx, env.URL, admin)
	if err != nil {
		return pop, err
	}
	marker := filepath.Join(dir, ".bench-populated")
	// An interrupted fill may have left a special lifted: put it back.
	for _, f := range [][2]string{{"date_created", "date-created"}, {"user_created", "user-created"}} {
		if err := ensureSpecial(ctx, env.URL, admin, f[0], f[1]); err != nil {
			return pop, err
		}
	}
	if have >= n {
		pop.Messages = have
		if b, err := os.ReadFile(marker); err == nil {
			if d, err := time.ParseDuration(strings.TrimSpace(string(b))); err == nil {
				pop.Took = d
			}
		}
		return pop, nil
	}
	// Message i has the time HistoryTime(i) and the demo users in turn as
	// authors (see insertMessages).
	var users []struct {
		ID string `json:"id"`
	}
	if err := do(ctx, "GET", env.URL+"/users?fields=id&sort=email&filter[email][_ends_with]=@example.com&filter[email][_neq]="+env.AdminEmail, admin, nil, &users); err != nil {
		return pop, err
	}
	var authors []string
	for _, u := range users {
		authors = append(authors, u.ID)
	}
	if len(authors) == 0 {
		return pop, fmt.Errorf("no demo users to write the history")
	}
	general, err := ChannelID(ctx, env.URL, admin, provision.GeneralChannel)
	if err != nil {
		return pop, err
	}
	item := func(i int) map[string]any {
		return map[string]any{
			"text":         HistoryText(i),
			"date_created": FormatTime(HistoryTime(i)),
			"user_created": authors[i%len(authors)],
			"channel":      general,
		}
	}
	start := time.Now()
	if pop.Inserted, err = insertMessages(ctx, env, have, n, historyChunk, item, log); err != nil {
		return pop, err
	}
	pop.Took = time.Since(start)
	pop.Messages = have + pop.Inserted
	if have == 0 {
		_ = os.WriteFile(marker, []byte(pop.Took.String()+"\n"), 0o644)
	}
	return pop, nil
}

// FormatTime is how the benchmarks write a timestamp to Directus.
func FormatTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// insertMessages creates messages from..n-1 (item(i) is message i) in bulk
// requests of chunk, as the administrator. Directus stamps
// date_created and user_created itself (specials "date-created",
// "user-created"), which would crowd 100,000 messages into the minutes of
// inserting them, all by whoever inserts. A chat's history is spread out
// and has several authors: the specials are lifted while the administrator
// inserts, and put back after. So are setup's blocking Flows on messages
// (they pass administrators, but running them for every message made the
// fill four times slower); setup activates them again if a fill is cut
// short.
func insertMessages(ctx context.Context, env *Env, from, n, chunk int, item func(i int) map[string]any, log io.Writer) (inserted int, err error) {
	admin, err := Login(ctx, env.URL, env.AdminEmail, env.AdminPassword)
	if err != nil {
		return 0, err
	}
	var flows []struct {
		ID      string `json:"id"`
		Options struct {
			Collections []string `json:"collections"`
		} `json:"options"`
	}
	if err := do(ctx, http.MethodGet, env.URL+"/flows?fields=id,options&filter[status][_eq]=active&limit=-1", admin, nil, &flows); err != nil {
		return 0, fmt.Errorf("list flows: %w", err)
	}
	for _, f := range flows {
		if !slices.Contains(f.Options.Collections, "messages") {
			continue
		}
		if err := do(ctx, http.MethodPatch, env.URL+"/flows/"+f.ID, admin, map[string]any{"status": "inactive"}, nil); err != nil {
			return 0, fmt.Errorf("pause flow %s: %w", f.ID, err)
		}
		defer func() {
			tok, lerr := Login(context.Background(), env.URL, env.AdminEmail, env.AdminPassword)
			if lerr == nil {
				lerr = do(context.Background(), http.MethodPatch, env.URL+"/flows/"+f.ID, tok, map[string]any{"status": "active"}, nil)
			}
			if lerr != nil {
				fmt.Fprintf(log, "bench: could not activate flow %s again (setup will): %v\n", f.ID, lerr)
			}
		}()
	}
	for _, f := range [][2]string{{"date_created", "date-created"}, {"user_created", "user-created"}} {
		restore, err := liftSpecial(ctx, env.URL, admin, f[0], f[1])
		if err != nil {
			return 0, err
		}
		defer func() {
			if err := restore(); err != nil {
				fmt.Fprintf(log, "bench: could not restore the special of %s: %v\n", f[0], err)
			}
		}()
	}
	fmt.Fprintf(log, "bench: inserting %d messages into %s in chunks of %d (once; the data directory is kept)\n", n-from, env.URL, chunk)
	for i := from; i < n; {
		size := min(chunk, n-i)
		items := make([]map[string]any, size)
		for j := range items {
			items[j] = item(i + j)
		}
		chunkStart := time.Now()
		// Tokens expire (15 min by default): sign in again per chunk.
		tok, err := Login(ctx, env.URL, env.AdminEmail, env.AdminPassword)
		if err != nil {
			return inserted, err
		}
		if err := CreateMany(ctx, env.URL, tok, items); err != nil {
			return inserted, fmt.Errorf("insert messages %d..%d: %w", i, i+size, err)
		}
		i += size
		inserted += size
		fmt.Fprintf(log, "bench: %6d/%d messages (%d in %v)\n", i, n, size, time.Since(chunkStart).Round(time.Millisecond))
	}
	return inserted, nil
}

func fieldSpecial(ctx context.Context, base, token, field string) ([]string, error) {
	var f struct {
		Meta struct {
			Special []string `json:"special"`
		} `json:"meta"`
	}
	if err := do(ctx, "GET", base+"/fields/messages/"+field, token, nil, &f); err != nil {
		return nil, fmt.Errorf("read field %s: %w", field, err)
	}
	return f.Meta.Special, nil
}

func setSpecial(ctx context.Context, base, token, field string, special []string) error {
	if err := do(ctx, "PATCH", base+"/fields/messages/"+field, token, map[string]any{"meta": map[string]any{"special": special}}, nil); err != nil {
		return fmt.Errorf("set the special of %s: %w", field, err)
	}
	return nil
}

// liftSpecial removes one special of a field (keeping the others, such
// as SQLite's cast-timestamp) and returns how to put it back.
func liftSpecial(ctx context.Context, base, token, field, special string) (func() error, error) {
	have, err := fieldSpecial(ctx, base, token, field)
	if err != nil {
		return nil, err
	}
	var without []string
	for _, s := range have {
		if s != special {
			without = append(without, s)
		}
	}
	if err := setSpecial(ctx, base, token, field, without); err != nil {
		return nil, err
	}
	return func() error { return ensureSpecial(context.Background(), base, token, field, special) }, nil
}

// ensureSpecial adds special to a field's specials if it is missing.
func ensureSpecial(ctx context.Context, base, token, field, special string) error {
	have, err := fieldSpecial(ctx, base, token, field)
	if err != nil {
		return err
	}
	for _, s := range have {
		if s == special {
			return nil
		}
	}
	return setSpecial(ctx, base, token, field, append([]string{special}, have...))
}

// HistoryTime is when history message i was written: one every 37 s
// (about six weeks for 100,000), ending before the benchmarks' live
// messages.
func HistoryTime(i int) time.Time {
	return time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * 37 * time.Second)
}

// HistoryText is the text of history message i: lengths like a chat's,
// one in eight long enough to wrap over several lines.
func HistoryText(i int) string {
	words := []string{"the", "server", "message", "ok", "deploy", "tomorrow", "lunch", "realtime", "works", "again", "why", "not", "sure", "build", "green", "coffee", "review", "please", "thanks", "later"}
	n := 3 + (i*7)%12
	if i%8 == 0 {
		n = 40 + i%30
	}
	var b strings.Builder
	b.WriteString("#")
	b.WriteString(strconv.Itoa(i))
	for k := range n {
		b.WriteByte(' ')
		b.WriteString(words[(i*31+k*17)%len(words)])
	}
	return b.String()
}

// lockFile takes an exclusive lock on path, waiting (and saying so) while
// another run holds it.
func lockFile(path string, log io.Writer) (func(), error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			f.Close()
			return nil, err
		}
		fmt.Fprintf(log, "bench: waiting for another run to release %s\n", path)
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
			f.Close()
			return nil, err
		}
	}
	return func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}

// EnvInt reads an integer environment variable, def when unset or bad.
func EnvInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}
