package provision

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"github.com/google/uuid"
)

// Channels setup creates.
const (
	GeneralChannel = "general"
	RandomChannel  = "random"
)

// movePage is how many messages one request moves into general.
const movePage = 500

// channelRow is a channel as setup reads it.
type channelRow struct {
	ID   string `json:"id"`
	Kind string `json:"kind"`
}

// ensureChannels migrates a single-room install and keeps the channels setup
// owns: a public "general" (created, with every user of the chat role as a
// member, when no channel of that name exists), every message without a
// channel moved into it, and with demo users a public "random" of the demo
// users; demo users are members of both.
func ensureChannels(ctx context.Context, c *client, demo bool, rep *Report) error {
	roleUsers, err := roleUserIDs(ctx, c, rep.RoleID)
	if err != nil {
		return err
	}
	demoIDs, err := demoUserIDs(ctx, c, rep)
	if err != nil {
		return err
	}
	general, err := ensureChannel(ctx, c, GeneralChannel, "Everyone (created by directuschat setup)", roleUsers,
		fmt.Sprintf("every user of role %q", RoleName), rep)
	if err != nil {
		return err
	}
	if err := moveOrphans(ctx, c, general, rep); err != nil {
		return err
	}
	if err := ensureMembers(ctx, c, general, GeneralChannel, demoIDs, rep); err != nil {
		return err
	}
	rep.Channels = append(rep.Channels, GeneralChannel)
	if !demo {
		return nil
	}
	random, err := ensureChannel(ctx, c, RandomChannel, "Anything goes (created by directuschat setup)", demoIDs, "the demo users", rep)
	if err != nil {
		return err
	}
	if err := ensureMembers(ctx, c, random, RandomChannel, demoIDs, rep); err != nil {
		return err
	}
	rep.Channels = append(rep.Channels, RandomChannel)
	return nil
}

// ensureChannel returns the channel called name, creating a public one with
// these members (in the same request, so in one transaction) when there is
// none.
func ensureChannel(ctx context.Context, c *client, name, topic string, members []string, who string, rep *Report) (channelRow, error) {
	var found []channelRow
	q := filterQuery(map[string]any{"name": eq(name)}, "id,kind")
	if err := c.do(ctx, http.MethodGet, "/items/"+ChannelsCollection+q, nil, &found); err != nil {
		return channelRow{}, fmt.Errorf("find channel %s: %w", name, err)
	}
	if len(found) > 0 {
		if found[0].Kind != KindPublic {
			rep.Notes = append(rep.Notes, fmt.Sprintf("channel %s exists and is %s, not public: left as found", name, found[0].Kind))
		}
		return found[0], nil
	}
	ch := channelRow{ID: uuid.NewString(), Kind: KindPublic}
	rows := make([]map[string]any, 0, len(members))
	for _, u := range members {
		rows = append(rows, membership(ch.ID, u))
	}
	body := map[string]any{"id": ch.ID, "name": name, "topic": topic, "kind": KindPublic, "members": rows}
	if err := c.do(ctx, http.MethodPost, "/items/"+ChannelsCollection, body, nil); err != nil {
		return channelRow{}, fmt.Errorf("create channel %s: %w", name, err)
	}
	rep.Changes = append(rep.Changes, fmt.Sprintf("created public channel %s with %d members (%s)", name, len(members), who))
	return ch, nil
}

func membership(channel, user string) map[string]any {
	return map[string]any{"id": uuid.NewString(), "channel": channel, "user": user, "member_key": channel + ":" + user}
}

// ensureMembers adds the users that are not members of ch.
func ensureMembers(ctx context.Context, c *client, ch channelRow, name string, users []string, rep *Report) error {
	if len(users) == 0 {
		return nil
	}
	var have []struct {
		User string `json:"user"`
	}
	q := filterQuery(map[string]any{"channel": eq(ch.ID)}, "user")
	if err := c.do(ctx, http.MethodGet, "/items/"+MembersCollection+q, nil, &have); err != nil {
		return fmt.Errorf("read members of %s: %w", name, err)
	}
	var add []map[string]any
	for _, u := range users {
		if !slices.ContainsFunc(have, func(m struct {
			User string `json:"user"`
		}) bool {
			return m.User == u
		}) {
			add = append(add, membership(ch.ID, u))
		}
	}
	if len(add) == 0 {
		return nil
	}
	if err := c.do(ctx, http.MethodPost, "/items/"+MembersCollection, add, nil); err != nil {
		return fmt.Errorf("add members to %s: %w", name, err)
	}
	rep.Changes = append(rep.Changes, fmt.Sprintf("added %d demo users to channel %s", len(add), name))
	return nil
}

// moveOrphans moves every message without a channel (written before
// channels existed) into general. It leaves date_updated as it was: the
// app marks messages with a date_updated as edited, and Directus sets it on
// every update of a field with special date-updated, so the special is
// taken off messages.date_updated for the move and put back after it.
func moveOrphans(ctx context.Context, c *client, general channelRow, rep *Report) (err error) {
	page := func() ([]string, error) {
		var rows []struct {
			ID string `json:"id"`
		}
		f, _ := json.Marshal(map[string]any{"channel": map[string]any{"_null": true}})
		q := "?" + url.Values{"filter": {string(f)}, "fields": {"id"}, "limit": {strconv.Itoa(movePage)}}.Encode()
		if err := c.do(ctx, http.MethodGet, "/items/"+Collection+q, nil, &rows); err != nil {
			return nil, fmt.Errorf("find messages without a channel: %w", err)
		}
		ids := make([]string, len(rows))
		for i, r := range rows {
			ids[i] = r.ID
		}
		return ids, nil
	}
	ids, err := page()
	if err != nil || len(ids) == 0 {
		return err
	}

	var f existingField
	if err := c.do(ctx, http.MethodGet, "/fields/"+Collection+"/date_updated", nil, &f); err != nil {
		return fmt.Errorf("read messages.date_updated: %w", err)
	}
	var specials []string
	if f.Meta != nil {
		specials = f.Meta.Special
	}
	setSpecial := func(s []string) error {
		if s == nil {
			s = []string{}
		}
		return c.do(ctx, http.MethodPatch, "/fields/"+Collection+"/date_updated", map[string]any{"meta": map[string]any{"special": s}}, nil)
	}
	if slices.Contains(specials, "date-updated") {
		if err := setSpecial(slices.DeleteFunc(slices.Clone(specials), func(s string) bool { return s == "date-updated" })); err != nil {
			return fmt.Errorf("keep date_updated while moving messages: %w", err)
		}
		defer func() {
			// Put it back even when the move failed; the next setup run
			// would put it back too (ensureFields).
			if rerr := setSpecial(specials); rerr != nil && err == nil {
				err = fmt.Errorf("put back special date-updated on messages.date_updated: %w", rerr)
			}
		}()
	}
	moved := 0
	for len(ids) > 0 {
		body := map[string]any{"keys": ids, "data": map[string]any{"channel": general.ID}}
		if err = c.do(ctx, http.MethodPatch, "/items/"+Collection, body, nil); err != nil {
			return fmt.Errorf("move messages into %s: %w", GeneralChannel, err)
		}
		moved += len(ids)
		if ids, err = page(); err != nil {
			return err
		}
	}
	rep.Changes = append(rep.Changes, fmt.Sprintf("moved %d messages without a channel into %s", moved, GeneralChannel))
	return err
}

// roleUserIDs lists the users of the chat role.
func roleUserIDs(ctx context.Context, c *client, roleID string) ([]string, error) {
	var users []struct {
		ID string `json:"id"`
	}
	q := filterQuery(map[string]any{"role": eq(roleID)}, "id")
	if err := c.do(ctx, http.MethodGet, "/users"+q, nil, &users); err != nil {
		return nil, fmt.Errorf("list users of role %q: %w", RoleName, err)
	}
	ids := make([]string, len(users))
	for i, u := range users {
		ids[i] = u.ID
	}
	return ids, nil
}

// demoUserIDs finds the ids of rep.DemoUsers.
func demoUserIDs(ctx context.Context, c *client, rep *Report) ([]string, error) {
	var ids []string
	for _, u := range rep.DemoUsers {
		var found []struct {
			ID string `json:"id"`
		}
		q := filterQuery(map[string]any{"email": eq(u.Email)}, "id")
		if err := c.do(ctx, http.MethodGet, "/users"+q, nil, &found); err != nil {
			return nil, fmt.Errorf("find user %s: %w", u.Email, err)
		}
		if len(found) > 0 {
			ids = append(ids, found[0].ID)
		}
	}
	return ids, nil
}
