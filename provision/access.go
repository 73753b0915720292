package provision

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// ownMessages is the rule "the message was created by the current user".
func ownMessages() map[string]any {
	return map[string]any{"user_created": map[string]any{"_eq": "$CURRENT_USER"}}
}

// MyChannels is the list of the current user's channels, as a Directus
// dynamic variable: the channel of each row of the user's chat_memberships
// (the one-to-many alias of channel_members.user on directus_users).
// Directus reads it per request, so a new membership counts at once.
//
// A rule written through channels.members (one-to-many) makes Directus join
// every message to the channel's members and group the rows by message
// before sorting: 0.5–0.7 s for any page of a 100,000-message server on
// SQLite, whatever the indexes. This form is a plain `channel IN (...)`.
const MyChannels = "$CURRENT_USER." + UserMembershipsField + ".channel"

// memberOf is the rule "the current user is a member of the channel", with
// path the field that holds the channel ("" for channels itself).
func memberOf(path string) map[string]any {
	if path == "" {
		path = "id"
	}
	return map[string]any{path: map[string]any{"_in": MyChannels}}
}

// visibleChannel is the rule "the channel is public, or the current user is
// a member of it", with path as for memberOf.
func visibleChannel(path string) map[string]any {
	public := map[string]any{"kind": map[string]any{"_eq": KindPublic}}
	if path != "" {
		public = map[string]any{path: public}
	}
	return map[string]any{"_or": []any{public, memberOf(path)}}
}

// ownMembership is the rule "the membership is the current user's".
func ownMembership() map[string]any {
	return map[string]any{"user": map[string]any{"_eq": "$CURRENT_USER"}}
}

// permission is a Directus permission row of the chat policy.
type permission struct {
	ID          json.Number    `json:"id,omitempty"`
	Policy      string         `json:"policy,omitempty"`
	Collection  string         `json:"collection"`
	Action      string         `json:"action"`
	Fields      []string       `json:"fields"`
	Permissions map[string]any `json:"permissions"`
	Validation  map[string]any `json:"validation"`
	Presets     map[string]any `json:"presets"`
}

// grant is one permission the chat role should have, and what to do when the
// server refuses its narrow form (Directus 12 without a license answers
// RESOURCE_RESTRICTED to anything but "all fields, no rule").
type grant struct {
	want permission
	// fallback is granted instead when want is refused; nil means grant
	// nothing rather than something wider.
	fallback *permission
	// wider says, for a person, what the fallback allows beyond want.
	wider string
}

// restrictedNote ends every Wider and Omitted line.
const restrictedNote = " (the server refuses the narrow form: RESOURCE_RESTRICTED, e.g. Directus 12 without a license)"

func grants() []grant {
	all := []string{"*"}
	allOf := func(collection, action string) *permission {
		return &permission{Collection: collection, Action: action, Fields: all}
	}
	return []grant{
		{
			want:     permission{Collection: Collection, Action: "read", Fields: all, Permissions: visibleChannel("channel")},
			fallback: allOf(Collection, "read"),
			wider: "read on messages: every chat user can read every message of every channel, private and direct ones included " +
				"(REST, history and realtime), instead of the messages of public channels and of the user's own channels",
		},
		{
			// files is the alias of directus_files.chat_message: a message
			// is created with its attachments in one request.
			want:     permission{Collection: Collection, Action: "create", Fields: []string{"id", "text", "channel", "reply_to", "files"}},
			fallback: allOf(Collection, "create"),
			wider: "create on messages: all fields instead of id, text, channel, reply_to, files (user_created and date_created are still set by the server; " +
				"the flow " + strconvQuote(FlowMessages) + " still refuses a post by a non-member)",
		},
		{want: permission{Collection: Collection, Action: "update", Fields: []string{"text"}, Permissions: ownMessages()}},
		{want: permission{Collection: Collection, Action: "delete", Fields: all, Permissions: ownMessages()}},
		{
			// Its creator reads a channel too: the read-back of a new
			// private or direct channel comes before its first member.
			want: permission{Collection: ChannelsCollection, Action: "read", Fields: all, Permissions: map[string]any{"_or": append(
				visibleChannel("")["_or"].([]any), map[string]any{"user_created": map[string]any{"_eq": "$CURRENT_USER"}})}},
			fallback: allOf(ChannelsCollection, "read"),
			wider: "read on channels: every chat user can read every channel, private and direct ones included (name, topic, " +
				"direct_key = the two people's user ids), instead of public channels, the user's own and the ones the user created",
		},
		{
			want:     permission{Collection: ChannelsCollection, Action: "create", Fields: []string{"id", "name", "topic", "kind", "direct_key"}},
			fallback: allOf(ChannelsCollection, "create"),
			wider: "create on channels: all fields instead of id, name, topic, kind, direct_key (user_created and the dates are still set by the server; " +
				"the flow " + strconvQuote(FlowChannels) + " still checks kind, name and direct_key)",
		},
		{
			want:     permission{Collection: ChannelsCollection, Action: "update", Fields: []string{"name", "topic"}, Permissions: memberOf("")},
			fallback: allOf(ChannelsCollection, "update"),
			wider: "update on channels: the permission allows every field of every channel; only the flow " + strconvQuote(FlowChannels) +
				" refuses changes by non-members and to fields other than name and topic",
		},
		{
			// As for channels, the creator's read-back of the first
			// members comes before the creator is one.
			want: permission{Collection: MembersCollection, Action: "read", Fields: all, Permissions: map[string]any{"_or": append(
				visibleChannel("channel")["_or"].([]any), map[string]any{"channel": map[string]any{"user_created": map[string]any{"_eq": "$CURRENT_USER"}}})}},
			fallback: allOf(MembersCollection, "read"),
			wider: "read on channel_members: every chat user can see who is in every channel, private and direct ones included, " +
				"and everyone's read markers, instead of the members of public channels, of the user's own channels and of the ones the user created",
		},
		{
			want:     permission{Collection: MembersCollection, Action: "create", Fields: []string{"id", "channel", "user", "member_key", "last_read_at", "muted"}},
			fallback: allOf(MembersCollection, "create"),
			wider: "create on channel_members: all fields instead of id, channel, user, member_key, last_read_at, muted " +
				"(the flow " + strconvQuote(FlowChannels) + " still decides who may add whom)",
		},
		{
			want:     permission{Collection: MembersCollection, Action: "update", Fields: []string{"last_read_at", "muted"}, Permissions: ownMembership()},
			fallback: allOf(MembersCollection, "update"),
			wider: "update on channel_members: the permission allows every field of every membership; only the flow " + strconvQuote(FlowChannels) +
				" refuses changes to another user's membership and to fields other than last_read_at and muted",
		},
		{
			want:     permission{Collection: MembersCollection, Action: "delete", Fields: all, Permissions: ownMembership()},
			fallback: allOf(MembersCollection, "delete"),
			wider: "delete on channel_members: the permission allows deleting any membership; only the flow " + strconvQuote(FlowChannels) +
				" refuses deleting another user's membership",
		},
		{
			// A reaction is read where its message is.
			want:     permission{Collection: ReactionsCollection, Action: "read", Fields: all, Permissions: map[string]any{"message": visibleChannel("channel")}},
			fallback: allOf(ReactionsCollection, "read"),
			wider: "read on reactions: every chat user can see who reacted how to every message, private and direct ones included, " +
				"instead of the reactions to messages the user can read",
		},
		{
			want:     permission{Collection: ReactionsCollection, Action: "create", Fields: []string{"id", "message", "emoji", "reaction_key"}},
			fallback: allOf(ReactionsCollection, "create"),
			wider: "create on reactions: all fields instead of id, message, emoji, reaction_key (user and date_created are still set by the server; " +
				"the flow " + strconvQuote(FlowReactions) + " still refuses a reaction by a non-member or with a wrong key)",
		},
		{
			want:     permission{Collection: ReactionsCollection, Action: "delete", Fields: all, Permissions: map[string]any{"user": map[string]any{"_eq": "$CURRENT_USER"}}},
			fallback: allOf(ReactionsCollection, "delete"),
			wider: "delete on reactions: the permission allows deleting anyone's reaction; only the flow " + strconvQuote(FlowReactions) +
				" refuses deleting another user's",
		},
		{
			want:     permission{Collection: "directus_users", Action: "read", Fields: []string{"id", "first_name", "last_name"}},
			fallback: &permission{Collection: "directus_users", Action: "read", Fields: all},
			wider: "read on directus_users: every field of every user (email, role, status, last access, provider, ...; " +
				"password, token and tfa_secret stay masked) instead of id, first_name, last_name",
		},
	}
}

func strconvQuote(s string) string { return fmt.Sprintf("%q", s) }

// describe names a permission for a person.
func (p permission) describe() string {
	s := fmt.Sprintf("%s on %s, fields %s", p.Action, p.Collection, strings.Join(p.Fields, ", "))
	if len(p.Permissions) > 0 {
		b, _ := json.Marshal(p.Permissions)
		s += ", rule " + string(b)
	}
	return s
}

// same reports whether two permissions grant the same.
func (p permission) same(q permission) bool {
	a, b := slices.Clone(p.Fields), slices.Clone(q.Fields)
	slices.Sort(a)
	slices.Sort(b)
	return p.Collection == q.Collection && p.Action == q.Action && slices.Equal(a, b) &&
		sameJSON(p.Permissions, q.Permissions) && sameJSON(p.Validation, q.Validation) && sameJSON(p.Presets, q.Presets)
}

// sameJSON compares two JSON objects, treating nil and {} alike.
func sameJSON(a, b map[string]any) bool {
	if len(a) == 0 && len(b) == 0 {
		return true
	}
	ja, err1 := json.Marshal(a)
	jb, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && string(ja) == string(jb)
}

// ensureAccess creates the chat policy, its permissions and the chat role.
func ensureAccess(ctx context.Context, c *client, rep *Report) error {
	policyID, err := ensurePolicy(ctx, c, rep)
	if err != nil {
		return err
	}
	rep.PolicyID = policyID
	if err := ensurePermissions(ctx, c, policyID, rep); err != nil {
		return err
	}
	roleID, err := ensureRole(ctx, c, policyID, rep)
	if err != nil {
		return err
	}
	rep.RoleID = roleID
	return nil
}

func filterQuery(filter map[string]any, fields string) string {
	f, _ := json.Marshal(filter)
	q := url.Values{"filter": {string(f)}, "fields": {fields}, "limit": {"-1"}}
	return "?" + q.Encode()
}

func eq(v string) map[string]any { return map[string]any{"_eq": v} }

func ensurePolicy(ctx context.Context, c *client, rep *Report) (string, error) {
	var found []struct {
		ID          string `json:"id"`
		AppAccess   bool   `json:"app_access"`
		AdminAccess bool   `json:"admin_access"`
	}
	q := filterQuery(map[string]any{"name": eq(PolicyName)}, "id,app_access,admin_access")
	if err := c.do(ctx, http.MethodGet, "/policies"+q, nil, &found); err != nil {
		return "", fmt.Errorf("find policy %q: %w", PolicyName, err)
	}
	if len(found) > 0 {
		p := found[0]
		if p.AppAccess || p.AdminAccess {
			body := map[string]any{"app_access": false, "admin_access": false}
			if err := c.do(ctx, http.MethodPatch, "/policies/"+p.ID, body, nil); err != nil {
				return "", fmt.Errorf("update policy %q: %w", PolicyName, err)
			}
			rep.Changes = append(rep.Changes, fmt.Sprintf("policy %q: turned off app and admin access", PolicyName))
		}
		return p.ID, nil
	}
	body := map[string]any{
		"name":         PolicyName,
		"icon":         "forum",
		"description":  "Chat app users: read and write messages (created by directuschat setup)",
		"app_access":   false,
		"admin_access": false,
		"enforce_tfa":  false,
	}
	var created struct {
		ID string `json:"id"`
	}
	if err := c.do(ctx, http.MethodPost, "/policies", body, &created); err != nil {
		return "", fmt.Errorf("create policy %q: %w", PolicyName, err)
	}
	rep.Changes = append(rep.Changes, fmt.Sprintf("created policy %q (no app access, no admin access)", PolicyName))
	return created.ID, nil
}

func ensurePermissions(ctx context.Context, c *client, policyID string, rep *Report) error {
	var have []permission
	q := filterQuery(map[string]any{"policy": eq(policyID)}, "id,collection,action,fields,permissions,validation,presets")
	if err := c.do(ctx, http.MethodGet, "/permissions"+q, nil, &have); err != nil {
		return fmt.Errorf("read permissions of policy %q: %w", PolicyName, err)
	}
	for _, g := range grants() {
		var cur *permission
		for i := range have {
			if have[i].Collection == g.want.Collection && have[i].Action == g.want.Action {
				cur = &have[i]
				break
			}
		}
		if err := ensureGrant(ctx, c, policyID, g, cur, rep); err != nil {
			return err
		}
	}
	return nil
}

// ensureGrant makes the policy's permission for g's collection and action
// (cur, nil if there is none) the intended one, or the allowed fallback.
func ensureGrant(ctx context.Context, c *client, policyID string, g grant, cur *permission, rep *Report) error {
	if cur != nil && cur.same(g.want) {
		return nil
	}
	want := g.want
	want.Policy = policyID
	err := writePermission(ctx, c, cur, want)
	switch {
	case err == nil:
		rep.Changes = append(rep.Changes, changeVerb(cur)+" permission "+want.describe())
		return nil
	case !isCode(err, "RESOURCE_RESTRICTED"):
		return fmt.Errorf("grant %s: %w", want.describe(), err)
	}
	// The server refuses the narrow form.
	if g.fallback == nil {
		if cur != nil {
			rep.Notes = append(rep.Notes, fmt.Sprintf("left as found: %s (the server refuses %s: RESOURCE_RESTRICTED)", cur.describe(), want.describe()))
			return nil
		}
		rep.Omitted = append(rep.Omitted, fmt.Sprintf("%s (the server refuses rules and field lists: RESOURCE_RESTRICTED, e.g. Directus 12 without a license)", want.describe()))
		return nil
	}
	rep.Wider = append(rep.Wider, g.wider+restrictedNote)
	if cur != nil && cur.same(*g.fallback) {
		return nil
	}
	fb := *g.fallback
	fb.Policy = policyID
	if err := writePermission(ctx, c, cur, fb); err != nil {
		return fmt.Errorf("grant %s: %w", fb.describe(), err)
	}
	rep.Changes = append(rep.Changes, changeVerb(cur)+" permission "+fb.describe())
	return nil
}

func changeVerb(cur *permission) string {
	if cur == nil {
		return "granted"
	}
	return "changed"
}

// writePermission creates p, or updates cur to p.
func writePermission(ctx context.Context, c *client, cur *permission, p permission) error {
	body := map[string]any{
		"policy":      p.Policy,
		"collection":  p.Collection,
		"action":      p.Action,
		"fields":      p.Fields,
		"permissions": p.Permissions,
		"validation":  p.Validation,
		"presets":     p.Presets,
	}
	if cur == nil {
		return c.do(ctx, http.MethodPost, "/permissions", body, nil)
	}
	return c.do(ctx, http.MethodPatch, "/permissions/"+cur.ID.String(), body, nil)
}

func ensureRole(ctx context.Context, c *client, policyID string, rep *Report) (string, error) {
	var roles []struct {
		ID string `json:"id"`
	}
	q := filterQuery(map[string]any{"name": eq(RoleName)}, "id")
	if err := c.do(ctx, http.MethodGet, "/roles"+q, nil, &roles); err != nil {
		return "", fmt.Errorf("find role %q: %w", RoleName, err)
	}
	if len(roles) == 0 {
		body := map[string]any{
			"name":        RoleName,
			"icon":        "forum",
			"description": "People who use the chat app (created by directuschat setup)",
			"policies":    map[string]any{"create": []map[string]any{{"policy": policyID}}},
		}
		var created struct {
			ID string `json:"id"`
		}
		if err := c.do(ctx, http.MethodPost, "/roles", body, &created); err != nil {
			return "", fmt.Errorf("create role %q: %w", RoleName, err)
		}
		rep.Changes = append(rep.Changes, fmt.Sprintf("created role %q with policy %q", RoleName, PolicyName))
		return created.ID, nil
	}
	roleID := roles[0].ID
	var links []struct {
		ID string `json:"id"`
	}
	q = filterQuery(map[string]any{"role": eq(roleID), "policy": eq(policyID)}, "id")
	if err := c.do(ctx, http.MethodGet, "/access"+q, nil, &links); err != nil {
		return "", fmt.Errorf("read policies of role %q: %w", RoleName, err)
	}
	if len(links) == 0 {
		body := map[string]any{"role": roleID, "policy": policyID}
		if err := c.do(ctx, http.MethodPost, "/access", body, nil); err != nil {
			return "", fmt.Errorf("attach policy %q to role %q: %w", PolicyName, RoleName, err)
		}
		rep.Changes = append(rep.Changes, fmt.Sprintf("attached policy %q to role %q", PolicyName, RoleName))
	}
	return roleID, nil
}

// ensureDemoUsers creates the demo users that do not exist. An existing user
// is left as found (its password is not reset).
func ensureDemoUsers(ctx context.Context, c *client, rep *Report) error {
	for _, u := range DemoUsers() {
		var found []struct {
			ID   string  `json:"id"`
			Role *string `json:"role"`
		}
		q := filterQuery(map[string]any{"email": eq(u.Email)}, "id,role")
		if err := c.do(ctx, http.MethodGet, "/users"+q, nil, &found); err != nil {
			return fmt.Errorf("find user %s: %w", u.Email, err)
		}
		if len(found) > 0 {
			if found[0].Role == nil || *found[0].Role != rep.RoleID {
				rep.Notes = append(rep.Notes, fmt.Sprintf("user %s exists with another role: left as found", u.Email))
				continue
			}
			rep.DemoUsers = append(rep.DemoUsers, u)
			continue
		}
		body := map[string]any{
			"email":      u.Email,
			"password":   u.Password,
			"first_name": u.FirstName,
			"last_name":  u.LastName,
			"role":       rep.RoleID,
			"status":     "active",
		}
		if err := c.do(ctx, http.MethodPost, "/users", body, nil); err != nil {
			return fmt.Errorf("create user %s: %w", u.Email, err)
		}
		rep.Changes = append(rep.Changes, fmt.Sprintf("created demo user %s (%s)", u.Email, u.FirstName))
		rep.DemoUsers = append(rep.DemoUsers, u)
	}
	return nil
}
