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
			Field: "text", Type: "text",
			Meta: map[string]any{"interface": "input-multiline",
				"validation": TextValidation(), "validation_message": textValidationMessage},
			Schema: map[string]any{},
		},
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

// existingField is a field as GET /fields/messages describes it.
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
	} `json:"meta"`
}

// ensureSchema creates the messages collection, its missing fields, the
// index on date_created and the user_created relation.
func ensureSchema(ctx context.Context, c *client, rep *Report) error {
	exists, err := collectionExists(ctx, c)
	if err != nil {
		return err
	}
	if !exists {
		body := map[string]any{
			"collection": Collection,
			"meta":       map[string]any{"icon": "chat", "note": "Chat messages (created by directuschat setup)"},
			"schema":     map[string]any{},
			"fields":     messageFields(),
		}
		if err := c.do(ctx, http.MethodPost, "/collections", body, nil); err != nil {
			return fmt.Errorf("create collection %s: %w", Collection, err)
		}
		rep.Changes = append(rep.Changes, fmt.Sprintf("created collection messages (id uuid, date_created indexed, date_updated, user_created, text of at most %d UTF-16 units)", MaxTextUnits))
	} else if err := ensureFields(ctx, c, rep); err != nil {
		return err
	}
	return ensureRelation(ctx, c, rep)
}

func collectionExists(ctx context.Context, c *client) (bool, error) {
	var cols []struct {
		Collection string `json:"collection"`
	}
	if err := c.do(ctx, http.MethodGet, "/collections", nil, &cols); err != nil {
		return false, fmt.Errorf("list collections: %w", err)
	}
	for _, col := range cols {
		if col.Collection == Collection {
			return true, nil
		}
	}
	return false, nil
}

// ensureFields checks an existing messages collection and adds what is
// missing. It refuses to change a field of another type.
func ensureFields(ctx context.Context, c *client, rep *Report) error {
	var have []existingField
	if err := c.do(ctx, http.MethodGet, "/fields/"+Collection, nil, &have); err != nil {
		return fmt.Errorf("read fields of %s: %w", Collection, err)
	}
	byName := map[string]existingField{}
	for _, f := range have {
		byName[f.Field] = f
	}
	for _, want := range messageFields() {
		got, ok := byName[want.Field]
		if !ok {
			if want.Field == "id" {
				return errors.New("collection messages exists without an `id` field: the app needs a UUID primary key `id`; rename that collection or remove it")
			}
			if err := c.do(ctx, http.MethodPost, "/fields/"+Collection, want, nil); err != nil {
				return fmt.Errorf("create field %s.%s: %w", Collection, want.Field, err)
			}
			rep.Changes = append(rep.Changes, fmt.Sprintf("created field messages.%s (%s)", want.Field, want.Type))
			continue
		}
		if !sameType(got.Type, want.Type) {
			return fmt.Errorf("field messages.%s is of type %s, the app needs %s: change it by hand or remove the collection", want.Field, got.Type, want.Type)
		}
		if want.Field == "id" && (got.Schema == nil || !got.Schema.IsPrimaryKey) {
			return errors.New("field messages.id is not the primary key: the app needs a UUID primary key `id`")
		}
		if special := specialOf(want); special != "" && (got.Meta == nil || !slices.Contains(got.Meta.Special, special)) {
			specials := []string{special}
			if got.Meta != nil {
				specials = append(slices.Clone(got.Meta.Special), special)
			}
			body := map[string]any{"meta": map[string]any{"special": specials}}
			if err := c.do(ctx, http.MethodPatch, "/fields/"+Collection+"/"+want.Field, body, nil); err != nil {
				return fmt.Errorf("set special %s on %s.%s: %w", special, Collection, want.Field, err)
			}
			rep.Changes = append(rep.Changes, fmt.Sprintf("set special %s on messages.%s", special, want.Field))
		}
		if want.Field == "text" {
			if err := ensureTextValidation(ctx, c, got, rep); err != nil {
				return err
			}
		}
		if want.Field == "date_created" && (got.Schema == nil || !got.Schema.IsIndexed) {
			body := map[string]any{"schema": map[string]any{"is_indexed": true}}
			if err := c.do(ctx, http.MethodPatch, "/fields/"+Collection+"/date_created", body, nil); err != nil {
				return fmt.Errorf("index %s.date_created: %w", Collection, err)
			}
			rep.Changes = append(rep.Changes, "created index on messages.date_created")
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

// ensureRelation links messages.user_created to directus_users, so
// user_created.first_name resolves.
func ensureRelation(ctx context.Context, c *client, rep *Report) error {
	var rel struct {
		RelatedCollection string `json:"related_collection"`
	}
	err := c.do(ctx, http.MethodGet, "/relations/"+Collection+"/user_created", nil, &rel)
	var e *APIError
	switch {
	case err == nil && rel.RelatedCollection == "directus_users":
		return nil
	case err == nil:
		return fmt.Errorf("messages.user_created is related to %q, the app needs directus_users", rel.RelatedCollection)
	case errors.As(err, &e) && (e.Status == http.StatusNotFound || e.Status == http.StatusForbidden):
		// no relation yet
	default:
		return fmt.Errorf("read relation of messages.user_created: %w", err)
	}
	body := map[string]any{
		"collection":         Collection,
		"field":              "user_created",
		"related_collection": "directus_users",
		"schema":             map[string]any{"on_delete": "SET NULL"},
	}
	if err := c.do(ctx, http.MethodPost, "/relations", body, nil); err != nil {
		return fmt.Errorf("relate messages.user_created to directus_users: %w", err)
	}
	rep.Changes = append(rep.Changes, "related messages.user_created to directus_users")
	return nil
}
