package provision

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// Names of the Flows setup creates. Directus 11.17.4 does not apply item
// rules to creates (a non-member's post into a private channel was
// written), and Directus 12 without a license accepts no rules at all, so
// the checks that must hold on create (and, on 12, on update and delete)
// are blocking Flows: an event hook of type "filter" runs inside the
// request's transaction before the write, and a Flow that ends on a
// rejected operation throws that operation's error to the caller (REST
// and WebSocket alike). Callers with admin accountability (the Data Studio,
// setup, static admin tokens) and internal calls without accountability
// pass.
const (
	FlowMessages  = "Chat: only members post"
	FlowChannels  = "Chat: channel and membership rules"
	FlowReactions = "Chat: reactions by members"
)

// flowMarker starts the part of a Flow's description that records which
// definition setup wrote, so a changed definition is replaced.
const flowMarker = "directuschat setup, definition "

// flowOp is one operation of a Flow. Resolve and Reject name the key of the
// next operation ("" ends the Flow).
type flowOp struct {
	Key, Name, Type string
	Options         map[string]any
	Resolve, Reject string
}

// flowDef is a blocking Flow on item events.
type flowDef struct {
	Name, Note  string
	Scope       []string // e.g. items.create
	Collections []string
	Ops         []flowOp // the first one runs first
}

// trustedCaller passes admins and calls without accountability.
func trustedCaller(next string) flowOp {
	return flowOp{
		Key: "trusted", Name: "Admin or internal?", Type: "condition",
		Options: map[string]any{"filter": map[string]any{"_or": []any{
			map[string]any{"$accountability": map[string]any{"_null": true}},
			map[string]any{"$accountability": map[string]any{"admin": map[string]any{"_eq": true}}},
		}}},
		Reject: next,
	}
}

// verdict and refuse end every Flow: the check script's answer {ok, reason}
// lets the write through or refuses it with FORBIDDEN and the reason.
func verdict() []flowOp {
	return []flowOp{
		{
			Key: "allowed", Name: "Allowed?", Type: "condition",
			Options: map[string]any{"filter": map[string]any{"check": map[string]any{"ok": map[string]any{"_eq": true}}}},
			Reject:  "refuse",
		},
		{
			Key: "refuse", Name: "Refuse", Type: "throw-error",
			Options: map[string]any{"code": "FORBIDDEN", "status": "403", "message": "{{check.reason}}"},
		},
	}
}

// readFull is an item-read operation with full access (the caller may not
// be allowed to read what the check needs).
func readFull(key, name, collection string, query map[string]any, next string) flowOp {
	return flowOp{
		Key: key, Name: name, Type: "item-read",
		Options: map[string]any{"collection": collection, "permissions": "$full", "emitEvents": false, "query": query},
		Resolve: next,
	}
}

// messagesFlow refuses a message from a non-member of its channel, and a
// reply to a message of another conversation.
func messagesFlow() flowDef {
	ops := []flowOp{
		trustedCaller("input"),
		{Key: "input", Name: "What to read", Type: "exec", Options: map[string]any{"code": strings.ReplaceAll(messagesInputScript, "NONE", noID)}, Resolve: "member"},
		// member_key is "<channel>:<user>" (checked by the other Flow), so
		// a template inside a string can never become an object.
		readFull("member", "Membership of the poster", MembersCollection, map[string]any{
			"filter": map[string]any{"member_key": map[string]any{"_eq": "{{$trigger.payload.channel}}:{{$accountability.user}}"}},
			"fields": []string{"channel", "user"},
			"limit":  1,
		}, "original"),
		readFull("original", "The message replied to", Collection, map[string]any{
			"filter": map[string]any{"id": map[string]any{"_eq": "{{input.reply_to}}"}},
			"fields": []string{"id", "channel"},
			"limit":  1,
		}, "check"),
		{Key: "check", Name: "Member of the channel?", Type: "exec", Options: map[string]any{"code": messagesCheckScript}, Resolve: "allowed"},
	}
	return flowDef{
		Name:        FlowMessages,
		Note:        "Refuses a new message unless its author is a member of its channel and it replies to a message of the same channel",
		Scope:       []string{"items.create"},
		Collections: []string{Collection},
		Ops:         append(ops, verdict()...),
	}
}

// noID is a UUID that matches nothing: a read's filter gets it instead of
// a value that is not a UUID (PostgreSQL refuses to compare a uuid column
// with other text).
const noID = "00000000-0000-0000-0000-000000000000"

// messagesInputScript gives the reads the message's reply_to as a UUID, or
// NONE.
const messagesInputScript = `module.exports = function (data) {
  var p = (data.$trigger && data.$trigger.payload) || {};
  var uuid = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
  return { reply_to: typeof p.reply_to === "string" && uuid.test(p.reply_to) ? p.reply_to : "NONE" };
};`

const messagesCheckScript = `module.exports = function (data) {
  var p = (data.$trigger && data.$trigger.payload) || {};
  var me = data.$accountability && data.$accountability.user;
  if (!me) return { ok: false, reason: "Sign in to post." };
  if (typeof p.channel !== "string" || p.channel === "") return { ok: false, reason: "A message needs a channel." };
  var rows = Array.isArray(data.member) ? data.member : [];
  var member = false;
  for (var i = 0; i < rows.length; i++) {
    if (rows[i].channel === p.channel && rows[i].user === me) member = true;
  }
  if (!member) return { ok: false, reason: "Only members of a channel can post in it." };
  if (p.reply_to !== undefined && p.reply_to !== null) {
    var o = Array.isArray(data.original) ? data.original[0] : null;
    if (!o || o.id !== p.reply_to) return { ok: false, reason: "The message replied to does not exist." };
    if (o.channel !== p.channel) return { ok: false, reason: "A reply goes in the conversation of the message it answers." };
  }
  return { ok: true, reason: "" };
};`

// reactionsFlow refuses a reaction by a non-member of the message's
// channel, one whose key is not its own parts or whose emoji is text, and
// (for Directus 12, whose delete permission cannot have a rule) deleting
// another user's reaction.
func reactionsFlow() flowDef {
	ops := []flowOp{
		trustedCaller("input"),
		{Key: "input", Name: "What to read", Type: "exec", Options: map[string]any{"code": strings.ReplaceAll(reactionsInputScript, "NONE", noID)}, Resolve: "msg"},
		readFull("msg", "The message and whether the caller is in its channel", Collection, map[string]any{
			"filter": map[string]any{"id": map[string]any{"_eq": "{{input.message}}"}},
			"fields": []string{"id", "channel.id", "channel.members.user"},
			"deep": map[string]any{"channel": map[string]any{"members": map[string]any{
				"_filter": map[string]any{"user": map[string]any{"_eq": "{{input.me}}"}}, "_limit": 1}}},
			"limit": 1,
		}, "rows"),
		readFull("rows", "Reactions deleted", ReactionsCollection, map[string]any{
			"filter": map[string]any{"id": map[string]any{"_in": "{{input.rows}}"}},
			"fields": []string{"id", "user"},
			"limit":  -1,
		}, "check"),
		{Key: "check", Name: "Allowed?", Type: "exec", Options: map[string]any{"code": strings.ReplaceAll(reactionsCheckScript, "MAX", strconv.Itoa(MaxEmojiUnits))}, Resolve: "allowed"},
	}
	return flowDef{
		Name:        FlowReactions,
		Note:        "Refuses a reaction unless its author is a member of the message's channel and its key is <message>:<user>:<emoji>; only one's own reaction is removed",
		Scope:       []string{"items.create", "items.delete"},
		Collections: []string{ReactionsCollection},
		Ops:         append(ops, verdict()...),
	}
}

const reactionsInputScript = `module.exports = function (data) {
  var t = data.$trigger || {};
  var p = t.payload;
  var uuid = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
  var id = function (v) { return typeof v === "string" && uuid.test(v) ? v : "NONE"; };
  var out = { me: id(data.$accountability && data.$accountability.user), message: "NONE", rows: ["NONE"] };
  if (String(t.event) === "reactions.items.create") out.message = id(p && p.message);
  if (String(t.event) === "reactions.items.delete") {
    var rows = (Array.isArray(p) ? p : []).filter(function (v) { return typeof v === "string" && uuid.test(v); });
    if (rows.length > 0) out.rows = rows;
  }
  return out;
};`

// reactionsCheckScript: an emoji is 1 to MAX UTF-16 units with no letter,
// digit, punctuation, space or control character of ASCII, and no
// formatting character but the emoji joiner and variation selectors (no
// bidirectional overrides).
const reactionsCheckScript = `module.exports = function (data) {
  var t = data.$trigger || {};
  var ev = String(t.event || "");
  var p = t.payload || {};
  var me = data.$accountability && data.$accountability.user;
  var ok = { ok: true, reason: "" };
  var deny = function (reason) { return { ok: false, reason: reason }; };
  if (!me) return deny("Sign in first.");
  if (ev === "reactions.items.create") {
    var e = p.emoji;
    if (typeof e !== "string" || e.length < 1 || e.length > MAX) return deny("A reaction is one emoji.");
    if (/[\u0000-\u007f\u0080-\u00a0\u00ad\u061c\u115f\u1160\u180e\u2000-\u200c\u200e-\u200f\u2028-\u202f\u205f-\u206f\u3000\u3164\ufeff\ufff9-\ufffb]/.test(e.replace(/[#*0-9]\ufe0f?\u20e3/g, ""))) return deny("A reaction is one emoji.");
    if (p.reaction_key !== p.message + ":" + me + ":" + e) return deny("reaction_key must be <message id>:<user id>:<emoji>.");
    var m = Array.isArray(data.msg) ? data.msg[0] : null;
    if (!m || m.id !== p.message || !m.channel) return deny("No such message.");
    var members = Array.isArray(m.channel.members) ? m.channel.members : [];
    for (var i = 0; i < members.length; i++) {
      if (members[i].user === me) return ok;
    }
    return deny("Only members of a channel can react in it.");
  }
  if (ev === "reactions.items.delete") {
    var want = Array.isArray(p) ? p : [];
    var rows = Array.isArray(data.rows) ? data.rows : [];
    for (var j = 0; j < want.length; j++) {
      var row = rows.filter(function (r) { return r.id === want[j]; })[0];
      if (row && row.user !== me) return deny("Only your own reaction can be removed.");
    }
    return ok;
  }
  return deny("Not a change this flow knows.");
};`

// channelsFlow checks new channels (kind, name, direct_key), changes to
// channels (members only, name and topic only) and memberships (who may
// add whom; only one's own read marker, mute and leaving).
func channelsFlow() flowDef {
	ops := []flowOp{
		trustedCaller("input"),
		{Key: "input", Name: "What to read", Type: "exec", Options: map[string]any{"code": strings.ReplaceAll(channelsInputScript, "NONE", noID)}, Resolve: "channel"},
		readFull("channel", "The membership's channel", ChannelsCollection, map[string]any{
			"filter": map[string]any{"id": map[string]any{"_eq": "{{input.channel}}"}},
			"fields": []string{"id", "kind", "user_created", "direct_key"},
			"limit":  1,
		}, "mine"),
		readFull("mine", "The caller's memberships among them", MembersCollection, map[string]any{
			"filter": map[string]any{"_and": []any{
				map[string]any{"channel": map[string]any{"_in": "{{input.channels}}"}},
				map[string]any{"user": map[string]any{"_eq": "{{input.me}}"}},
			}},
			"fields": []string{"channel"},
			"limit":  -1,
		}, "any"),
		readFull("any", "Has the channel members?", MembersCollection, map[string]any{
			"filter": map[string]any{"channel": map[string]any{"_eq": "{{input.channel}}"}},
			"fields": []string{"id"},
			"limit":  1,
		}, "rows"),
		readFull("rows", "Memberships changed", MembersCollection, map[string]any{
			"filter": map[string]any{"id": map[string]any{"_in": "{{input.rows}}"}},
			"fields": []string{"id", "user"},
			"limit":  -1,
		}, "check"),
		{Key: "check", Name: "Allowed?", Type: "exec", Options: map[string]any{"code": channelsCheckScript}, Resolve: "allowed"},
	}
	return flowDef{
		Name: FlowChannels,
		Note: "Checks new channels, changes to channels and memberships: who may add whom, " +
			"only members change a channel, only one's own membership is changed or left",
		Scope:       []string{"items.create", "items.update", "items.delete"},
		Collections: []string{ChannelsCollection, MembersCollection},
		Ops:         append(ops, verdict()...),
	}
}

// channelsInputScript turns the trigger into values that are safe to put
// into the reads' filters: user ids and channel ids that are UUIDs, or
// NONE, which matches nothing.
const channelsInputScript = `module.exports = function (data) {
  var t = data.$trigger || {};
  var ev = String(t.event || "");
  var p = t.payload;
  var uuid = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
  var id = function (v) { return typeof v === "string" && uuid.test(v) ? v : "NONE"; };
  var ids = function (a) {
    var out = (Array.isArray(a) ? a : []).filter(function (v) { return typeof v === "string" && uuid.test(v); });
    return out.length > 0 ? out : ["NONE"];
  };
  var out = { event: ev, me: id(data.$accountability && data.$accountability.user), channel: "NONE", channels: ["NONE"], rows: ["NONE"] };
  if (ev === "channel_members.items.create") {
    out.channel = id(p && p.channel);
    out.channels = [out.channel];
  } else if (ev === "channels.items.update") {
    out.channels = ids(t.keys);
  } else if (ev === "channel_members.items.update") {
    out.rows = ids(t.keys);
  } else if (ev === "channel_members.items.delete") {
    out.rows = ids(p);
  }
  return out;
};`

const channelsCheckScript = `module.exports = function (data) {
  var t = data.$trigger || {};
  var ev = String(t.event || "");
  var p = t.payload || {};
  var me = data.$accountability && data.$accountability.user;
  var uuid = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
  var ok = { ok: true, reason: "" };
  var deny = function (reason) { return { ok: false, reason: reason }; };
  var only = function (obj, allowed) {
    return Object.keys(obj).every(function (k) { return allowed.indexOf(k) >= 0; });
  };
  var absent = function (v) { return v === undefined || v === null; };
  var mine = (Array.isArray(data.mine) ? data.mine : []).map(function (r) { return r.channel; });
  if (!me) return deny("Sign in first.");

  if (ev === "channels.items.create") {
    if (p.kind === "public" || p.kind === "private") {
      if (typeof p.name !== "string" || p.name.trim() === "") return deny("A public or private channel needs a name.");
      if (!absent(p.direct_key)) return deny("Only a direct channel has a direct_key.");
      return ok;
    }
    if (p.kind === "direct") {
      if (!absent(p.name)) return deny("A direct channel has no name.");
      var k = typeof p.direct_key === "string" ? p.direct_key.split(":") : [];
      if (k.length !== 2 || !uuid.test(k[0]) || !uuid.test(k[1])) return deny("direct_key must be the two user ids joined by a colon.");
      if (!(k[0] < k[1])) return deny("direct_key must list the two user ids in ascending order.");
      if (k[0] !== me && k[1] !== me) return deny("A direct channel must include the user who creates it.");
      return ok;
    }
    return deny("kind must be public, private or direct.");
  }

  if (ev === "channels.items.update") {
    if (!only(p, ["name", "topic"])) return deny("Only a channel's name and topic can be changed.");
    var keys = Array.isArray(t.keys) ? t.keys : [];
    for (var i = 0; i < keys.length; i++) {
      if (mine.indexOf(keys[i]) < 0) return deny("Only members can change a channel.");
    }
    return ok;
  }

  if (ev === "channel_members.items.create") {
    if (typeof p.channel !== "string" || typeof p.user !== "string") return deny("A membership needs a channel and a user.");
    if (p.member_key !== p.channel + ":" + p.user) return deny("member_key must be <channel id>:<user id>.");
    var ch = Array.isArray(data.channel) ? data.channel[0] : null;
    if (!ch || ch.id !== p.channel) return deny("No such channel.");
    var member = mine.indexOf(p.channel) >= 0;
    var empty = !(Array.isArray(data.any) && data.any.length > 0);
    var creator = ch.user_created === me;
    if (ch.kind === "public") {
      if (p.user === me || (creator && (member || empty))) return ok;
      return deny("Join a public channel yourself.");
    }
    if (ch.kind === "private") {
      if (member || (creator && (empty || p.user === me))) return ok;
      return deny("Only members can add people to a private channel.");
    }
    if (ch.kind === "direct") {
      var two = String(ch.direct_key || "").split(":");
      if (two.indexOf(me) >= 0 && two.indexOf(p.user) >= 0) return ok;
      return deny("A direct channel's members are its two people.");
    }
    return deny("The channel has an unknown kind.");
  }

  if (ev === "channel_members.items.update" || ev === "channel_members.items.delete") {
    if (ev === "channel_members.items.update" && !only(p, ["last_read_at", "muted"])) return deny("Only last_read_at and muted can be changed.");
    var want = ev === "channel_members.items.update" ? t.keys : p;
    want = Array.isArray(want) ? want : [];
    var rows = Array.isArray(data.rows) ? data.rows : [];
    for (var j = 0; j < want.length; j++) {
      var row = rows.filter(function (r) { return r.id === want[j]; })[0];
      if (!row || row.user !== me) return deny("Only your own membership can be changed or left.");
    }
    return ok;
  }
  return deny("Not a change this flow knows.");
};`

// flows are the Flows setup keeps.
func flows() []flowDef { return []flowDef{messagesFlow(), channelsFlow(), reactionsFlow()} }

// fingerprint identifies a definition.
func (f flowDef) fingerprint() string {
	b, _ := json.Marshal(f)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}

func (f flowDef) description() string {
	return f.Note + " (" + flowMarker + f.fingerprint() + ")"
}

// ensureFlows creates the Flows, replaces ones whose definition changed and
// activates inactive ones.
func ensureFlows(ctx context.Context, c *client, rep *Report) error {
	for _, f := range flows() {
		if err := ensureFlow(ctx, c, f, rep); err != nil {
			return err
		}
	}
	return nil
}

func ensureFlow(ctx context.Context, c *client, f flowDef, rep *Report) error {
	var found []struct {
		ID          string  `json:"id"`
		Status      string  `json:"status"`
		Description *string `json:"description"`
		Operation   *string `json:"operation"`
	}
	q := filterQuery(map[string]any{"name": eq(f.Name)}, "id,status,description,operation")
	if err := c.do(ctx, http.MethodGet, "/flows"+q, nil, &found); err != nil {
		return fmt.Errorf("find flow %q: %w", f.Name, err)
	}
	replaced := false
	for _, old := range found {
		if old.Description != nil && *old.Description == f.description() && old.Operation != nil {
			if old.Status != "active" {
				if err := c.do(ctx, http.MethodPatch, "/flows/"+old.ID, map[string]any{"status": "active"}, nil); err != nil {
					return fmt.Errorf("activate flow %q: %w", f.Name, err)
				}
				rep.Changes = append(rep.Changes, fmt.Sprintf("activated flow %q", f.Name))
			}
			return nil
		}
		// Another definition (an older setup's, or edited by hand):
		// replaced, operations and all.
		if err := c.do(ctx, http.MethodDelete, "/flows/"+old.ID, nil, nil); err != nil {
			return fmt.Errorf("replace flow %q: %w", f.Name, err)
		}
		replaced = true
	}
	if err := createFlow(ctx, c, f); err != nil {
		return err
	}
	verb := "created"
	if replaced {
		verb = "replaced"
	}
	rep.Changes = append(rep.Changes, fmt.Sprintf("%s flow %q (blocking, on %s of %s)", verb, f.Name,
		strings.Join(f.Scope, ", "), strings.Join(f.Collections, ", ")))
	return nil
}

// createFlow creates f inactive, its operations from the last to the first
// (each points at the ones after it), then points the Flow at its first
// operation and activates it: no request passes a half-built Flow.
func createFlow(ctx context.Context, c *client, f flowDef) error {
	body := map[string]any{
		"name":           f.Name,
		"icon":           "shield",
		"color":          "#E35169",
		"description":    f.description(),
		"status":         "inactive",
		"trigger":        "event",
		"accountability": nil, // no activity row per message
		"options":        map[string]any{"type": "filter", "scope": f.Scope, "collections": f.Collections},
	}
	var created struct {
		ID string `json:"id"`
	}
	if err := c.do(ctx, http.MethodPost, "/flows", body, &created); err != nil {
		return fmt.Errorf("create flow %q: %w", f.Name, err)
	}
	ids := map[string]string{}
	ref := func(key string) any {
		if key == "" {
			return nil
		}
		return ids[key]
	}
	for i := len(f.Ops) - 1; i >= 0; i-- {
		op := f.Ops[i]
		body := map[string]any{
			"flow":       created.ID,
			"key":        op.Key,
			"name":       op.Name,
			"type":       op.Type,
			"position_x": 19 + 20*i,
			"position_y": 1,
			"options":    op.Options,
			"resolve":    ref(op.Resolve),
			"reject":     ref(op.Reject),
		}
		var o struct {
			ID string `json:"id"`
		}
		if err := c.do(ctx, http.MethodPost, "/operations", body, &o); err != nil {
			return fmt.Errorf("create operation %s of flow %q: %w", op.Key, f.Name, err)
		}
		ids[op.Key] = o.ID
	}
	patch := map[string]any{"operation": ids[f.Ops[0].Key], "status": "active"}
	if err := c.do(ctx, http.MethodPatch, "/flows/"+created.ID, patch, nil); err != nil {
		return fmt.Errorf("activate flow %q: %w", f.Name, err)
	}
	return nil
}
