package provision

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
)

// jsonBoolOrValue holds the "websocket" member of /server/info: false when
// realtime is off, an object ({"rest": {...} | false, ...}) when it is on.
type jsonBoolOrValue json.RawMessage

func (v *jsonBoolOrValue) UnmarshalJSON(b []byte) error {
	*v = append((*v)[:0], b...)
	return nil
}

// enabled reports whether the WebSocket REST-style interface the app uses
// is on.
func (v jsonBoolOrValue) enabled() bool {
	raw := bytes.TrimSpace(v)
	if len(raw) == 0 || bytes.Equal(raw, []byte("false")) || bytes.Equal(raw, []byte("null")) {
		return false
	}
	var ws struct {
		Rest json.RawMessage `json:"rest"`
	}
	if err := json.Unmarshal(raw, &ws); err != nil {
		return true // some other truthy shape
	}
	rest := bytes.TrimSpace(ws.Rest)
	return !bytes.Equal(rest, []byte("false")) && !bytes.Equal(rest, []byte("null"))
}

// field is the part of a Directus field definition setup cares about.
type field struct {
	Field  string         `json:"field"`
	Type   string         `json:"type"`
	Meta   map[string]any `json:"meta,omitempty"`
	Schema map[string]any `json:"schema,omitempty"`
}

// messageFields are the fields of the messages collection. The primary key
// is a UUID that clients may set on create (special "uuid" only fills it in
// when it is absent): a send's id is its idempotency key, so retrying a send
// can never store it twice.
func messageFields() []field {
	return []field{
		{
			Field: "id", Type: "uuid",
			Meta:   map[string]any{"special": []string{"uuid"}, "interface": "input", "readonly": true, "hidden": true},
			Schema: map[string]any{"is_primary_key": true, "length": 36, "has_auto_increment": false},
		},
		{
			Field: "date_created", Type: "timestamp",
			Meta: map[string]any{"special": []string{"date-created"}, "interface": "datetime", "readonly": true, "hidden": true,
				"width": "half", "display": "datetime", "display_options": map[string]any{"relative": true}},
			Schema: map[string]any{"is_indexed": true},
		},
		{
			// Lets clients mark edited messages.
			Field: "date_updated", Type: "timestamp",
			Meta: map[string]any{"special": []string{"date-updated"}, "interface": "datetime", "readonly": true, "hidden": true,
				"width": "half", "display": "datetime", "display_options": map[string]any{"relative": true}},
			Schema: map[string]any{},
		},
		{
			Field: "user_created", Type: "uuid",
			Meta: map[string]any{"special": []string{"user-created"}, "interface": "select-dropdown-m2o", "readonly": true, "hidden": true,
				"width": "half", "display": "user", "options": map[string]any{"template": "{{avatar}} {{first_name}} {{last_name}}"}},
			Schema: map[string]any{},
		},
		{
			// Required for new messages; rows from before channels are
			// moved to "general" by setup.
			Field: "channel", Type: "uuid",
			Meta: map[string]any{"special": []string{"m2o"}, "interface": "select-dropdown-m2o", "required": true,
				"width": "half", "display": "related-values", "display_options": map[string]any{"template": "{{name}}"}},
			Schema: map[string]any{"is_indexed": true},
		},
		{
			Field: "text", Type: "text",
			Meta: map[string]any{"interface": "input-multiline",
				"validation": TextValidation(), "validation_message": textValidationMessage},
			Schema: map[string]any{},
		},
		{
			// The message this one answers, in the same conversation (the
			// flow FlowMessages checks that); emptied when it is deleted.
			Field: "reply_to", Type: "uuid",
			Meta: map[string]any{"special": []string{"m2o"}, "interface": "select-dropdown-m2o", "width": "half",
				"note": "The message this one replies to (directuschat setup)"},
			Schema: map[string]any{"is_nullable": true},
		},
	}
}

// ReactionsCollection holds reactions to messages: one row per message,
// user and emoji.
const ReactionsCollection = "reactions"

// MaxEmojiUnits is the longest reaction the server accepts, in UTF-16 code
// units: enough for a family or flag sequence joined by ZWJ, too short for
// text.
const MaxEmojiUnits = 16

// reactionFields are the fields of reactions. reaction_key
// "<message id>:<user id>:<emoji>" is unique, so a double click (or two
// devices) cannot react twice with the same emoji; the flow FlowReactions
// checks that it is made of the row's own parts.
func reactionFields() []field {
	return []field{
		idField(),
		{
			Field: "message", Type: "uuid",
			Meta:   map[string]any{"special": []string{"m2o"}, "interface": "select-dropdown-m2o", "required": true, "width": "half"},
			Schema: map[string]any{"is_nullable": false, "is_indexed": true},
		},
		{
			Field: "user", Type: "uuid",
			Meta: map[string]any{"special": []string{"user-created"}, "interface": "select-dropdown-m2o", "readonly": true,
				"width": "half", "display": "user"},
			Schema: map[string]any{},
		},
		{
			Field: "emoji", Type: "string",
			Meta:   map[string]any{"interface": "input", "required": true, "width": "half"},
			Schema: map[string]any{"is_nullable": false, "max_length": 64},
		},
		{
			Field: "reaction_key", Type: "string",
			Meta:   map[string]any{"interface": "input", "readonly": true, "required": true, "note": "<message id>:<user id>:<emoji>"},
			Schema: map[string]any{"is_unique": true, "is_nullable": false, "max_length": 160},
		},
		dateCreatedField(),
	}
}

// Channel kinds.
const (
	KindPublic  = "public"
	KindPrivate = "private"
	KindDirect  = "direct"
)

// idField is a client-settable UUID primary key (special "uuid" only fills
// it in when it is absent).
func idField() field {
	return field{
		Field: "id", Type: "uuid",
		Meta:   map[string]any{"special": []string{"uuid"}, "interface": "input", "readonly": true, "hidden": true},
		Schema: map[string]any{"is_primary_key": true, "length": 36, "has_auto_increment": false},
	}
}

func dateCreatedField() field {
	return field{
		Field: "date_created", Type: "timestamp",
		Meta: map[string]any{"special": []string{"date-created"}, "interface": "datetime", "readonly": true, "hidden": true,
			"width": "half", "display": "datetime", "display_options": map[string]any{"relative": true}},
		Schema: map[string]any{},
	}
}

// channelFields are the fields of the channels collection. name is unique
// among named (public and private) channels; direct channels have no name
// and a direct_key "<lower user id>:<higher user id>", unique, so that two
// people have exactly one conversation.
func channelFields() []field {
	return []field{
		idField(),
		{
			Field: "name", Type: "string",
			Meta:   map[string]any{"interface": "input", "note": "Unique; empty for direct channels"},
			Schema: map[string]any{"is_unique": true, "is_nullable": true, "max_length": 255},
		},
		{
			Field: "topic", Type: "text",
			Meta:   map[string]any{"interface": "input-multiline"},
			Schema: map[string]any{"is_nullable": true},
		},
		{
			Field: "kind", Type: "string",
			Meta: map[string]any{"interface": "select-dropdown", "required": true, "width": "half",
				"options": map[string]any{"choices": []map[string]string{
					{"text": "Public", "value": KindPublic}, {"text": "Private", "value": KindPrivate}, {"text": "Direct", "value": KindDirect}}},
				"validation":         map[string]any{"_and": []any{map[string]any{"kind": map[string]any{"_in": []string{KindPublic, KindPrivate, KindDirect}}}}},
				"validation_message": "kind is public, private or direct (directuschat setup)."},
			Schema: map[string]any{"is_nullable": false, "default_value": KindPublic, "max_length": 16},
		},
		{
			Field: "direct_key", Type: "string",
			Meta:   map[string]any{"interface": "input", "readonly": true, "width": "half", "note": "Direct channels: the two user ids, sorted, joined by a colon"},
			Schema: map[string]any{"is_unique": true, "is_nullable": true, "max_length": 80},
		},
		dateCreatedField(),
		{
			Field: "date_updated", Type: "timestamp",
			Meta: map[string]any{"special": []string{"date-updated"}, "interface": "datetime", "readonly": true, "hidden": true,
				"width": "half", "display": "datetime", "display_options": map[string]any{"relative": true}},
			Schema: map[string]any{},
		},
		{
			Field: "user_created", Type: "uuid",
			Meta: map[string]any{"special": []string{"user-created"}, "interface": "select-dropdown-m2o", "readonly": true, "hidden": true,
				"width": "half", "display": "user"},
			Schema: map[string]any{},
		},
		{
			Field: "members", Type: "alias",
			Meta: map[string]any{"special": []string{"o2m"}, "interface": "list-o2m"},
		},
	}
}

// memberFields are the fields of channel_members. member_key
// "<channel id>:<user id>" is unique: Directus has no composite unique key.
func memberFields() []field {
	return []field{
		idField(),
		{
			Field: "channel", Type: "uuid",
			Meta:   map[string]any{"special": []string{"m2o"}, "interface": "select-dropdown-m2o", "required": true, "width": "half"},
			Schema: map[string]any{"is_nullable": false, "is_indexed": true},
		},
		{
			Field: "user", Type: "uuid",
			Meta:   map[string]any{"special": []string{"m2o"}, "interface": "select-dropdown-m2o", "required": true, "width": "half", "display": "user"},
			Schema: map[string]any{"is_nullable": false, "is_indexed": true},
		},
		{
			Field: "last_read_at", Type: "timestamp",
			Meta:   map[string]any{"interface": "datetime", "width": "half", "note": "Read marker"},
			Schema: map[string]any{"is_nullable": true},
		},
		{
			Field: "muted", Type: "boolean",
			Meta:   map[string]any{"special": []string{"cast-boolean"}, "interface": "boolean", "width": "half"},
			Schema: map[string]any{"default_value": false, "is_nullable": false},
		},
		{
			Field: "member_key", Type: "string",
			Meta:   map[string]any{"interface": "input", "readonly": true, "required": true, "note": "<channel id>:<user id>"},
			Schema: map[string]any{"is_unique": true, "is_nullable": false, "max_length": 80},
		},
		dateCreatedField(),
	}
}

// MaxTextUnits is the longest message text the server accepts, in UTF-16
// code units (what the JavaScript regular expression of the check counts).
// The app's composer sends at most 4,000 characters (ui.MaxMessageChars),
// which is at most 8,000 units whatever the script: everything the app
// sends passes, and a client that does not limit itself cannot store the
// multi-megabyte message that freezes the readers' windows.
const MaxTextUnits = 8000

const textValidationMessage = "A message is at most 8,000 UTF-16 code units long (directuschat setup)."

// TextValidation is the field validation setup puts on messages.text: a
// Directus filter, checked on every create and update by REST, GraphQL and
// the WebSocket, for admins too. Directus has no length operator; _regex
// is tested against the whole value.
func TextValidation() map[string]any {
	return map[string]any{"_and": []any{
		map[string]any{"text": map[string]any{"_regex": fmt.Sprintf(`^[\s\S]{0,%d}$`, MaxTextUnits)}},
	}}
}

// existingField is a field as GET /fields/<collection> describes it.
type existingField struct {
	Field  string `json:"field"`
	Type   string `json:"type"`
	Schema *struct {
		IsPrimaryKey bool `json:"is_primary_key"`
		IsIndexed    bool `json:"is_indexed"`
	} `json:"schema"`
	Meta *struct {
		Special    []string        `json:"special"`
		Validation json.RawMessage `json:"validation"`
		Required   bool            `json:"required"`
	} `json:"meta"`
}

// collectionSpec is a collection setup creates, with its fields.
type collectionSpec struct {
	Name   string
	Meta   map[string]any
	Fields []field
	// Summary describes the new collection in the report.
	Summary string
}

// collections are what setup creates, in order: channels before the
// memberships and messages that point at them, messages before reactions.
func collections() []collectionSpec {
	return []collectionSpec{
		{
			Name:    ChannelsCollection,
			Meta:    map[string]any{"icon": "forum", "note": "Chat channels: public, private and direct (created by directuschat setup)", "display_template": "{{name}}"},
			Fields:  channelFields(),
			Summary: "created collection channels (id uuid, name unique, topic, kind public|private|direct, direct_key unique, dates, user_created, members)",
		},
		{
			Name:    MembersCollection,
			Meta:    map[string]any{"icon": "group", "note": "Who is in which chat channel, and their read marker (created by directuschat setup)"},
			Fields:  memberFields(),
			Summary: "created collection channel_members (id uuid, channel, user, last_read_at, muted, member_key unique, date_created)",
		},
		{
			Name:    Collection,
			Meta:    map[string]any{"icon": "chat", "note": "Chat messages (created by directuschat setup)"},
			Fields:  messageFields(),
			Summary: fmt.Sprintf("created collection messages (id uuid, channel, date_created indexed, date_updated, user_created, text of at most %d UTF-16 units, reply_to)", MaxTextUnits),
		},
		{
			Name:    ReactionsCollection,
			Meta:    map[string]any{"icon": "add_reaction", "note": "Reactions to chat messages (created by directuschat setup)"},
			Fields:  reactionFields(),
			Summary: "created collection reactions (id uuid, message, user, emoji, reaction_key unique, date_created)",
		},
	}
}

// ensureSchema creates the collections, their missing fields and the
// relations between them and to directus_users.
func ensureSchema(ctx context.Context, c *client, rep *Report) error {
	have, err := existingCollections(ctx, c)
	if err != nil {
		return err
	}
	for _, spec := range collections() {
		if !have[spec.Name] {
			body := map[string]any{
				"collection": spec.Name,
				"meta":       spec.Meta,
				"schema":     map[string]any{},
				"fields":     spec.Fields,
			}
			if err := c.do(ctx, http.MethodPost, "/collections", body, nil); err != nil {
				return fmt.Errorf("create collection %s: %w", spec.Name, err)
			}
			rep.Changes = append(rep.Changes, spec.Summary)
		} else if err := ensureFields(ctx, c, spec, rep); err != nil {
			return err
		}
	}
	users := collectionSpec{Name: "directus_users", Fields: []field{{
		Field: UserMembershipsField, Type: "alias",
		Meta: map[string]any{"special": []string{"o2m"}, "interface": "list-o2m", "hidden": true,
			"note": "The user's chat channel memberships (directuschat setup: the chat's read rules use it)"},
	}}}
	if err := ensureFields(ctx, c, users, rep); err != nil {
		return err
	}
	for _, r := range relations() {
		if err := ensureRelation(ctx, c, r, rep); err != nil {
			return err
		}
	}
	return nil
}

func existingCollections(ctx context.Context, c *client) (map[string]bool, error) {
	var cols []struct {
		Collection string `json:"collection"`
	}
	if err := c.do(ctx, http.MethodGet, "/collections", nil, &cols); err != nil {
		return nil, fmt.Errorf("list collections: %w", err)
	}
	have := map[string]bool{}
	for _, col := range cols {
		have[col.Collection] = true
	}
	return have, nil
}

// ensureFields checks an existing collection and adds what is missing. It
// refuses to change a field of another type.
func ensureFields(ctx context.Context, c *client, spec collectionSpec, rep *Report) error {
	name := spec.Name
	var have []existingField
	if err := c.do(ctx, http.MethodGet, "/fields/"+name, nil, &have); err != nil {
		return fmt.Errorf("read fields of %s: %w", name, err)
	}
	byName := map[string]existingField{}
	for _, f := range have {
		byName[f.Field] = f
	}
	for _, want := range spec.Fields {
		got, ok := byName[want.Field]
		if !ok {
			if want.Field == "id" {
				return fmt.Errorf("collection %s exists without an `id` field: the app needs a UUID primary key `id`; rename that collection or remove it", name)
			}
			if err := c.do(ctx, http.MethodPost, "/fields/"+name, want, nil); err != nil {
				return fmt.Errorf("create field %s.%s: %w", name, want.Field, err)
			}
			rep.Changes = append(rep.Changes, fmt.Sprintf("created field %s.%s (%s)", name, want.Field, want.Type))
			continue
		}
		if !sameType(got.Type, want.Type) {
			return fmt.Errorf("field %s.%s is of type %s, the app needs %s: change it by hand or remove the collection", name, want.Field, got.Type, want.Type)
		}
		if want.Field == "id" && (got.Schema == nil || !got.Schema.IsPrimaryKey) {
			return fmt.Errorf("field %s.id is not the primary key: the app needs a UUID primary key `id`", name)
		}
		if special := specialOf(want); special != "" && (got.Meta == nil || !slices.Contains(got.Meta.Special, special)) {
			specials := []string{special}
			if got.Meta != nil {
				specials = append(slices.Clone(got.Meta.Special), special)
			}
			body := map[string]any{"meta": map[string]any{"special": specials}}
			if err := c.do(ctx, http.MethodPatch, "/fields/"+name+"/"+want.Field, body, nil); err != nil {
				return fmt.Errorf("set special %s on %s.%s: %w", special, name, want.Field, err)
			}
			rep.Changes = append(rep.Changes, fmt.Sprintf("set special %s on %s.%s", special, name, want.Field))
		}
		if name == Collection && want.Field == "text" {
			if err := ensureTextValidation(ctx, c, got, rep); err != nil {
				return err
			}
		}
		if required, _ := want.Meta["required"].(bool); required && (got.Meta == nil || !got.Meta.Required) {
			body := map[string]any{"meta": map[string]any{"required": true}}
			if err := c.do(ctx, http.MethodPatch, "/fields/"+name+"/"+want.Field, body, nil); err != nil {
				return fmt.Errorf("make %s.%s required: %w", name, want.Field, err)
			}
			rep.Changes = append(rep.Changes, fmt.Sprintf("made %s.%s required", name, want.Field))
		}
		if indexed, _ := want.Schema["is_indexed"].(bool); indexed && (got.Schema == nil || !got.Schema.IsIndexed) {
			body := map[string]any{"schema": map[string]any{"is_indexed": true}}
			if err := c.do(ctx, http.MethodPatch, "/fields/"+name+"/"+want.Field, body, nil); err != nil {
				return fmt.Errorf("index %s.%s: %w", name, want.Field, err)
			}
			rep.Changes = append(rep.Changes, fmt.Sprintf("created index on %s.%s", name, want.Field))
		}
	}
	return nil
}

// ensureTextValidation puts the length check on messages.text when the
// field has no validation; one set by someone else is left as found.
func ensureTextValidation(ctx context.Context, c *client, got existingField, rep *Report) error {
	var have map[string]any
	if got.Meta != nil && len(got.Meta.Validation) > 0 {
		if err := json.Unmarshal(got.Meta.Validation, &have); err != nil {
			return fmt.Errorf("read validation of %s.text: %w", Collection, err)
		}
	}
	want := TextValidation()
	if len(have) > 0 {
		if !sameJSON(have, want) {
			rep.Notes = append(rep.Notes, fmt.Sprintf("messages.text has its own validation, left as found: "+
				"the app sends up to %d UTF-16 units and expects the server to refuse much longer texts", MaxTextUnits))
		}
		return nil
	}
	body := map[string]any{"meta": map[string]any{"validation": want, "validation_message": textValidationMessage}}
	if err := c.do(ctx, http.MethodPatch, "/fields/"+Collection+"/text", body, nil); err != nil {
		return fmt.Errorf("limit the length of %s.text: %w", Collection, err)
	}
	rep.Changes = append(rep.Changes, fmt.Sprintf("limited messages.text to %d UTF-16 units (field validation)", MaxTextUnits))
	return nil
}

// sameType compares Directus field types. A uuid that is not a primary key
// reads back as "string" on SQLite (a char(36) column).
func sameType(got, want string) bool {
	return got == want || (want == "uuid" && got == "string")
}

func specialOf(f field) string {
	if s, ok := f.Meta["special"].([]string); ok && len(s) > 0 {
		return s[0]
	}
	return ""
}

// relation is a many-to-one field setup creates, with its related
// collection and what happens to the row when the related one is deleted.
type relation struct {
	Collection, Field, Related, OnDelete string
	// OneField is the one-to-many alias on the related collection, if any.
	OneField string
}

func relations() []relation {
	return []relation{
		{Collection: Collection, Field: "user_created", Related: "directus_users", OnDelete: "SET NULL"},
		{Collection: Collection, Field: "channel", Related: ChannelsCollection, OnDelete: "CASCADE"},
		{Collection: ChannelsCollection, Field: "user_created", Related: "directus_users", OnDelete: "SET NULL"},
		{Collection: MembersCollection, Field: "channel", Related: ChannelsCollection, OnDelete: "CASCADE", OneField: "members"},
		{Collection: MembersCollection, Field: "user", Related: "directus_users", OnDelete: "CASCADE", OneField: UserMembershipsField},
		{Collection: Collection, Field: "reply_to", Related: Collection, OnDelete: "SET NULL"},
		{Collection: ReactionsCollection, Field: "message", Related: Collection, OnDelete: "CASCADE"},
		{Collection: ReactionsCollection, Field: "user", Related: "directus_users", OnDelete: "CASCADE"},
	}
}

// ensureRelation creates r (a foreign key and Directus's relation row), so
// that e.g. user_created.first_name resolves and channel.members can be
// filtered on.
func ensureRelation(ctx context.Context, c *client, r relation, rep *Report) error {
	var rel struct {
		RelatedCollection string        `json:"related_collection"`
		Meta              *relationMeta `json:"meta"`
	}
	name := r.Collection + "." + r.Field
	err := c.do(ctx, http.MethodGet, "/relations/"+r.Collection+"/"+r.Field, nil, &rel)
	var e *APIError
	switch {
	case err == nil && rel.RelatedCollection == r.Related:
		return ensureOneField(ctx, c, r, rel.Meta != nil, oneFieldOf(rel.Meta), rep)
	case err == nil:
		return fmt.Errorf("%s is related to %q, the app needs %s", name, rel.RelatedCollection, r.Related)
	case errors.As(err, &e) && (e.Status == http.StatusNotFound || e.Status == http.StatusForbidden):
		// no relation yet
	default:
		return fmt.Errorf("read relation of %s: %w", name, err)
	}
	body := map[string]any{
		"collection":         r.Collection,
		"field":              r.Field,
		"related_collection": r.Related,
		"schema":             map[string]any{"on_delete": r.OnDelete},
	}
	if r.OneField != "" {
		body["meta"] = map[string]any{"one_field": r.OneField, "one_deselect_action": "delete"}
	}
	if err := c.do(ctx, http.MethodPost, "/relations", body, nil); err != nil {
		return fmt.Errorf("relate %s to %s: %w", name, r.Related, err)
	}
	msg := fmt.Sprintf("related %s to %s (on delete %s)", name, r.Related, r.OnDelete)
	if r.OneField != "" {
		msg += fmt.Sprintf(", alias %s.%s", r.Related, r.OneField)
	}
	rep.Changes = append(rep.Changes, msg)
	return nil
}

// relationMeta is the part of Directus's relation row setup reads.
type relationMeta struct {
	OneField string `json:"one_field"`
}

func oneFieldOf(meta *relationMeta) string {
	if meta == nil {
		return ""
	}
	return meta.OneField
}

// ensureOneField names the one-to-many alias of an existing relation (an
// install set up before the alias existed). Directus rebuilds the foreign
// key on any change of a relation, so its on-delete rule is sent again;
// the collection and field must be in the body too (without them Directus
// 11.17 crashes). Directus 11.17 also crashes when this PATCH is the first
// request after a schema change: that request gets the frozen schema the
// cache keeps, and the relation update writes into it ("Cannot assign to
// read only property 'constraint_name'"). The GET of the relation that
// ensureRelation makes just before is that first request.
func ensureOneField(ctx context.Context, c *client, r relation, hasMeta bool, have string, rep *Report) error {
	name := r.Collection + "." + r.Field
	switch {
	case r.OneField == "" || have == r.OneField:
		return nil
	case have != "":
		return fmt.Errorf("%s already has the alias %s.%s; the app needs it named %s: rename it by hand", name, r.Related, have, r.OneField)
	case !hasMeta:
		return fmt.Errorf("%s has no Directus relation row (a foreign key made outside Directus): remove it or relate it in Directus", name)
	}
	body := map[string]any{
		"collection":         r.Collection,
		"field":              r.Field,
		"related_collection": r.Related,
		"schema":             map[string]any{"on_delete": r.OnDelete},
		"meta":               map[string]any{"one_field": r.OneField},
	}
	if err := c.do(ctx, http.MethodPatch, "/relations/"+r.Collection+"/"+r.Field, body, nil); err != nil {
		return fmt.Errorf("name the alias %s.%s of %s: %w", r.Related, r.OneField, name, err)
	}
	rep.Changes = append(rep.Changes, fmt.Sprintf("named the alias %s.%s of %s", r.Related, r.OneField, name))
	return nil
}
