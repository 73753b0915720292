package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/google/uuid"

	"directuschat/provision"
)

// The team chat (issue #12): one user in many conversations, the messages
// spread over them, some unread in each.

// TeamLayout says how the team-chat server is filled.
type TeamLayout struct {
	Conversations int `json:"conversations"` // of the benchmark user (Ada): general, random and team-NN channels
	Big           int `json:"big"`           // the first Big of them hold BigSize messages each
	BigSize       int `json:"big_size"`
	SmallSize     int `json:"small_size"` // the others hold SmallSize each
}

// DefaultTeam is 50 conversations: 20 with 5,000 messages (enough to page
// back through 5,000 in each of 20), 30 with 50; 101,500 messages.
func DefaultTeam() TeamLayout {
	return TeamLayout{Conversations: 50, Big: 20, BigSize: 5000, SmallSize: 50}
}

// Messages is how many messages the layout holds.
func (l TeamLayout) Messages() int {
	return l.Big*l.BigSize + (l.Conversations-l.Big)*l.SmallSize
}

func (l TeamLayout) size(j int) int {
	if j < l.Big {
		return l.BigSize
	}
	return l.SmallSize
}

// TeamChannel is one conversation of the benchmark user as filled.
type TeamChannel struct {
	ID       string    `json:"id"`
	Name     string    `json:"name"`
	Messages int       `json:"messages"`
	Newest   time.Time `json:"newest"`    // its newest message
	LastRead time.Time `json:"last_read"` // Ada's read marker as filled
	Unread   int       `json:"unread"`    // messages after it not written by Ada: what the app must count
	Member   string    `json:"member"`    // Ada's membership id
}

// Team is the filled team-chat server.
type Team struct {
	Layout   TeamLayout    `json:"layout"`
	Channels []TeamChannel `json:"channels"` // Ada's conversations, general first
	// Solo is a chat user who is a member of general only: the same server
	// with one conversation.
	SoloEmail    string    `json:"solo_email"`
	SoloPassword string    `json:"solo_password"`
	URL          string    `json:"url"`
	Populated    Populated `json:"populated"`
}

// EnvTeam is the file cmd/bench writes the started team server's Team to.
const EnvTeam = "BENCH_TEAM"

// Team chat constants.
const (
	soloEmail = "solo@example.com"
	// LivePrefix starts the text of messages the benchmarks post while
	// they run; StartTeam deletes them, so every run starts from the fill.
	LivePrefix = "live "
	teamFile   = ".bench-team.json"
)

// ReadTeam reads a Team written by WriteTeam.
func ReadTeam(path string) (*Team, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var t Team
	if err := json.Unmarshal(b, &t); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &t, nil
}

// WriteTeam writes t as JSON to path.
func WriteTeam(path string, t *Team) error {
	b, err := json.MarshalIndent(t, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}

// StartTeam starts the team-chat Directus: Ada (and Kevin, Grace) in
// l.Conversations public channels (setup's general and random, and
// team-03 …), l.Messages() messages spread over them in time (the
// conversations take turns at random, seeded), Ada's read markers such
// that conversation j has 1 + 7j mod 23 of its newest messages unread
// (those written by others count), and a user in general only. The data
// directory is kept between runs; each start puts Ada's read markers back
// and deletes what earlier runs posted.
func StartTeam(ctx context.Context, l TeamLayout, log io.Writer) (*Env, *Team, error) {
	if log == nil {
		log = io.Discard
	}
	name := fmt.Sprintf("bench-team-%d-%d-%d-%d", l.Conversations, l.Big, l.BigSize, l.SmallSize)
	env, dir, cached, err := startData(ctx, name, log)
	if err != nil {
		return nil, nil, err
	}
	t, err := ReadTeam(filepath.Join(dir, teamFile))
	if err != nil || t.Layout != l {
		start := time.Now()
		if t, err = fillTeam(ctx, env, l, log); err != nil {
			_ = env.Close()
			return nil, nil, fmt.Errorf("fill the team chat: %w", err)
		}
		t.Populated = Populated{Messages: l.Messages(), Inserted: l.Messages(), Took: time.Since(start), Chunk: historyChunk}
		if err := WriteTeam(filepath.Join(dir, teamFile), t); err != nil {
			_ = env.Close()
			return nil, nil, err
		}
	} else {
		t.Populated.Inserted = 0
	}
	t.URL = env.URL
	t.Populated.DataDir, t.Populated.Cached = dir, cached
	if err := t.Reset(ctx, env); err != nil {
		_ = env.Close()
		return nil, nil, err
	}
	return env, t, nil
}

// Reset puts Ada's read markers back as filled and deletes the messages
// the benchmarks posted (LivePrefix).
func (t *Team) Reset(ctx context.Context, env *Env) error {
	admin, err := Login(ctx, env.URL, env.AdminEmail, env.AdminPassword)
	if err != nil {
		return err
	}
	q := url.Values{}
	q.Set("filter[text][_starts_with]", LivePrefix)
	q.Set("fields", "id")
	q.Set("limit", "-1")
	var live []struct {
		ID string `json:"id"`
	}
	if err := do(ctx, http.MethodGet, env.URL+"/items/messages?"+q.Encode(), admin, nil, &live); err != nil {
		return fmt.Errorf("find live messages: %w", err)
	}
	if len(live) > 0 {
		ids := make([]string, len(live))
		for i, m := range live {
			ids[i] = m.ID
		}
		if err := do(ctx, http.MethodDelete, env.URL+"/items/messages", admin, ids, nil); err != nil {
			return fmt.Errorf("delete live messages: %w", err)
		}
	}
	marks := make([]map[string]any, 0, len(t.Channels))
	for _, c := range t.Channels {
		marks = append(marks, map[string]any{"id": c.Member, "last_read_at": FormatTime(c.LastRead), "muted": false})
	}
	if err := do(ctx, http.MethodPatch, env.URL+"/items/channel_members", admin, marks, nil); err != nil {
		return fmt.Errorf("put the read markers back: %w", err)
	}
	return nil
}

// Expected is the unread count per conversation id the app must show.
func (t *Team) Expected() map[string]int {
	out := map[string]int{}
	for _, c := range t.Channels {
		out[c.ID] = c.Unread
	}
	return out
}

func fillTeam(ctx context.Context, env *Env, l TeamLayout, log io.Writer) (*Team, error) {
	admin, err := Login(ctx, env.URL, env.AdminEmail, env.AdminPassword)
	if err != nil {
		return nil, err
	}
	users := map[string]string{} // email → id
	var found []struct {
		ID    string `json:"id"`
		Email string `json:"email"`
	}
	if err := do(ctx, http.MethodGet, env.URL+"/users?fields=id,email&limit=-1", admin, nil, &found); err != nil {
		return nil, err
	}
	for _, u := range found {
		users[u.Email] = u.ID
	}
	var demo []string // ada, kevin, grace
	for _, u := range env.Users {
		if users[u.Email] == "" {
			return nil, fmt.Errorf("no user %s", u.Email)
		}
		demo = append(demo, users[u.Email])
	}
	ada := demo[0]

	// The conversations: general and random (setup's), then team-03 … .
	t := &Team{Layout: l, SoloEmail: soloEmail, SoloPassword: provision.DemoPassword}
	for _, name := range []string{provision.GeneralChannel, provision.RandomChannel} {
		id, err := ChannelID(ctx, env.URL, admin, name)
		if err != nil {
			return nil, err
		}
		t.Channels = append(t.Channels, TeamChannel{ID: id, Name: name})
	}
	var create []map[string]any
	for j := len(t.Channels); j < l.Conversations; j++ {
		name := fmt.Sprintf("team-%02d", j+1)
		id, err := ChannelID(ctx, env.URL, admin, name)
		if err == nil {
			t.Channels = append(t.Channels, TeamChannel{ID: id, Name: name})
			continue
		}
		id = uuid.NewString()
		var members []map[string]any
		for _, u := range demo {
			members = append(members, map[string]any{"id": uuid.NewString(), "channel": id, "user": u, "member_key": id + ":" + u})
		}
		create = append(create, map[string]any{"id": id, "name": name, "kind": provision.KindPublic, "topic": "benchmark", "members": members})
		t.Channels = append(t.Channels, TeamChannel{ID: id, Name: name})
	}
	if len(create) > 0 {
		if err := do(ctx, http.MethodPost, env.URL+"/items/channels", admin, create, nil); err != nil {
			return nil, fmt.Errorf("create channels: %w", err)
		}
	}
	fmt.Fprintf(log, "bench: %d conversations (%d created)\n", len(t.Channels), len(create))

	// The user in general only.
	if users[soloEmail] == "" {
		role, err := chatRole(ctx, env.URL, admin)
		if err != nil {
			return nil, err
		}
		var u struct {
			ID string `json:"id"`
		}
		body := map[string]any{"email": soloEmail, "password": provision.DemoPassword, "first_name": "Solo", "last_name": "Reader", "role": role}
		if err := do(ctx, http.MethodPost, env.URL+"/users?fields=id", admin, body, &u); err != nil {
			return nil, fmt.Errorf("create %s: %w", soloEmail, err)
		}
		g := t.Channels[0].ID
		m := map[string]any{"id": uuid.NewString(), "channel": g, "user": u.ID, "member_key": g + ":" + u.ID}
		if err := do(ctx, http.MethodPost, env.URL+"/items/channel_members", admin, m, nil); err != nil {
			return nil, fmt.Errorf("make %s a member of general: %w", soloEmail, err)
		}
	}

	// The messages: each conversation's share, in an order drawn with a
	// fixed seed, one every HistoryTime step.
	var order []int
	for j := range l.Conversations {
		for range l.size(j) {
			order = append(order, j)
		}
	}
	rng := rand.New(rand.NewPCG(12, 2026))
	rng.Shuffle(len(order), func(a, b int) { order[a], order[b] = order[b], order[a] })
	type msg struct {
		at     time.Time
		author string
	}
	per := make([][]msg, l.Conversations)
	for i, j := range order {
		per[j] = append(per[j], msg{HistoryTime(i), demo[i%len(demo)]})
	}
	admin2, err := Login(ctx, env.URL, env.AdminEmail, env.AdminPassword)
	if err != nil {
		return nil, err
	}
	have, err := Count(ctx, env.URL, admin2)
	if err != nil {
		return nil, err
	}
	if have > len(order) {
		return nil, fmt.Errorf("the team chat's data directory holds %d messages, more than %d: delete it to fill it again", have, len(order))
	}
	if have < len(order) { // chunks are created whole and in order: go on after them
		item := func(i int) map[string]any {
			return map[string]any{
				"text":         HistoryText(i),
				"date_created": FormatTime(HistoryTime(i)),
				"user_created": demo[i%len(demo)],
				"channel":      t.Channels[order[i]].ID,
			}
		}
		if _, err := insertMessages(ctx, env, have, len(order), historyChunk, item, log); err != nil {
			return nil, err
		}
	}

	// Ada's read markers: the newest 1 + 7j mod 23 messages of
	// conversation j are after it.
	var mine []struct {
		ID      string `json:"id"`
		Channel string `json:"channel"`
	}
	q := url.Values{}
	q.Set("filter[user][_eq]", ada)
	q.Set("fields", "id,channel")
	q.Set("limit", "-1")
	if err := do(ctx, http.MethodGet, env.URL+"/items/channel_members?"+q.Encode(), admin2, nil, &mine); err != nil {
		return nil, err
	}
	for j := range t.Channels {
		c := &t.Channels[j]
		ms := per[j]
		c.Messages = len(ms)
		c.Newest = ms[len(ms)-1].at
		k := min(1+(7*j)%23, len(ms)-1)
		c.LastRead = ms[len(ms)-1-k].at
		for _, m := range ms[len(ms)-k:] {
			if m.author != ada {
				c.Unread++
			}
		}
		i := slices.IndexFunc(mine, func(m struct {
			ID      string `json:"id"`
			Channel string `json:"channel"`
		}) bool {
			return m.Channel == c.ID
		})
		if i < 0 {
			return nil, fmt.Errorf("ada is not a member of %s", c.Name)
		}
		c.Member = mine[i].ID
	}
	return t, nil
}

// chatRole is the id of setup's chat role.
func chatRole(ctx context.Context, base, token string) (string, error) {
	q := url.Values{}
	q.Set("filter[name][_eq]", provision.RoleName)
	q.Set("fields", "id")
	var out []struct {
		ID string `json:"id"`
	}
	if err := do(ctx, http.MethodGet, base+"/roles?"+q.Encode(), token, nil, &out); err != nil {
		return "", err
	}
	if len(out) == 0 {
		return "", fmt.Errorf("no role %q", provision.RoleName)
	}
	return out[0].ID, nil
}
