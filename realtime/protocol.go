package realtime

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Message is one chat message as the server stores it.
type Message struct {
	ID         string    // primary key (a UUID on servers provisioned by setup)
	Text       string    // the message body
	AuthorID   string    // directus_users id of the author, "" if unknown
	AuthorName string    // the author's first name, "" if not readable
	Created    time.Time // date_created, set by the server
	Updated    time.Time // date_updated when the server tracks edits, else zero
	Channel    string    // the conversation's id on servers with channels, else ""
	// ReplyTo is the id of the message this one answers, "" if none (or
	// if the reader may not read it).
	ReplyTo string
	// Quote is the start of the message replied to, as this reader may
	// read it; nil when there is none.
	Quote *Quote
	// Files are the message's attachments (on servers with them): as the
	// server has them, or, for a message typed here and not yet stored,
	// as typed (with Path).
	Files []Attachment
}

// Quote is what a reply shows of the message it answers: who wrote it and
// how it starts.
type Quote struct {
	ID         string
	AuthorID   string
	AuthorName string
	Text       string // at most QuoteRunes runes of the original's text
	Created    time.Time
}

// QuoteRunes is how much of a replied-to message a reply keeps: a line's
// worth, not the original's 8,000 units again for every reply.
const QuoteRunes = 200

// Equal reports whether m and o are the same message in every field
// (quotes compared by value). Message is not comparable with == (Files).
func (m Message) Equal(o Message) bool {
	if m.ID != o.ID || m.Text != o.Text || m.AuthorID != o.AuthorID || m.AuthorName != o.AuthorName ||
		!m.Created.Equal(o.Created) || !m.Updated.Equal(o.Updated) || m.Channel != o.Channel || m.ReplyTo != o.ReplyTo {
		return false
	}
	if (m.Quote == nil) != (o.Quote == nil) || m.Quote != nil && *m.Quote != *o.Quote {
		return false
	}
	return slices.Equal(m.Files, o.Files)
}

// Edited reports whether the message was changed after it was created.
func (m Message) Edited() bool { return !m.Updated.IsZero() && m.Updated.After(m.Created) }

// messageFields is what the client asks for in subscriptions and reads.
var messageFields = []string{"id", "text", "date_created", "date_updated", "user_created.id", "user_created.first_name"}

// MessageFields returns (a copy of) the fields the client asks for in its
// subscription and reads, for a client measured beside it (cmd/bench) to ask
// the server for the same work.
func MessageFields() []string { return append([]string(nil), messageFields...) }

// replyFields are read besides messageFields on servers with replies: the
// original of a reply, with the reader's permissions (null when it may not
// read it).
var replyFields = []string{"reply_to.id", "reply_to.text", "reply_to.date_created", "reply_to.user_created.id", "reply_to.user_created.first_name"}

// frame is one decoded server frame. Only the fields the client uses are kept.
type frame struct {
	Type   string          `json:"type"`
	Status string          `json:"status"`
	Event  string          `json:"event"`
	UID    json.RawMessage `json:"uid"`
	Data   json.RawMessage `json:"data"`
	Error  *frameError     `json:"error"`
}

type frameError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// uid returns the frame's uid as a string: servers echo it as a string or a number.
func (f *frame) uid() string {
	return rawIDString(f.UID)
}

// decodeFrame parses one text frame. A frame that is not a JSON object with a
// type is an error: the caller logs and drops it.
func decodeFrame(data []byte) (*frame, error) {
	var f frame
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("decode frame: %w", err)
	}
	if f.Type == "" {
		return nil, fmt.Errorf("decode frame: no type")
	}
	return &f, nil
}

// wireMessage is a messages item as Directus sends it. user_created is an
// object when the relational field is requested, a bare id otherwise.
type wireMessage struct {
	ID          json.RawMessage `json:"id"`
	Text        *string         `json:"text"`
	DateCreated string          `json:"date_created"`
	DateUpdated *string         `json:"date_updated"`
	UserCreated json.RawMessage `json:"user_created"`
	Channel     json.RawMessage `json:"channel"`
	ReplyTo     json.RawMessage `json:"reply_to"`
	Files       json.RawMessage `json:"files"`
}

// wireQuote is the reply_to object of a reply.
type wireQuote struct {
	ID          json.RawMessage `json:"id"`
	Text        *string         `json:"text"`
	DateCreated string          `json:"date_created"`
	UserCreated json.RawMessage `json:"user_created"`
}

type wireUser struct {
	ID        json.RawMessage `json:"id"`
	FirstName *string         `json:"first_name"`
}

// decodeMessages parses the data of an init/create/update event or an items
// reply: an array of items, or a single item object.
func decodeMessages(data json.RawMessage) ([]Message, error) {
	trimmed := strings.TrimSpace(string(data))
	if trimmed == "" || trimmed == "null" {
		return nil, nil
	}
	var wire []wireMessage
	if strings.HasPrefix(trimmed, "{") {
		var one wireMessage
		if err := json.Unmarshal(data, &one); err != nil {
			return nil, fmt.Errorf("decode message: %w", err)
		}
		wire = []wireMessage{one}
	} else if err := json.Unmarshal(data, &wire); err != nil {
		return nil, fmt.Errorf("decode messages: %w", err)
	}
	out := make([]Message, 0, len(wire))
	for _, w := range wire {
		m, err := w.message()
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	packMessages(out)
	return out, nil
}

func (w wireMessage) message() (Message, error) {
	m := Message{ID: rawIDString(w.ID)}
	if m.ID == "" {
		return Message{}, fmt.Errorf("decode message: no id")
	}
	if w.Text != nil {
		m.Text = *w.Text
	}
	if w.DateCreated != "" {
		t, err := parseTime(w.DateCreated)
		if err != nil {
			return Message{}, fmt.Errorf("decode message %s: %w", m.ID, err)
		}
		m.Created = t
	}
	if w.DateUpdated != nil && *w.DateUpdated != "" {
		if t, err := parseTime(*w.DateUpdated); err == nil {
			m.Updated = t
		}
	}
	m.Channel = relatedID(w.Channel)
	m.AuthorID, m.AuthorName = author(w.UserCreated)
	m.ReplyTo = relatedID(w.ReplyTo)
	m.Files = decodeFiles(w.Files)
	if r := strings.TrimSpace(string(w.ReplyTo)); m.ReplyTo != "" && strings.HasPrefix(r, "{") {
		var wq wireQuote
		if json.Unmarshal(w.ReplyTo, &wq) == nil {
			q := &Quote{ID: m.ReplyTo}
			if wq.Text != nil {
				q.Text = cutRunes(*wq.Text, QuoteRunes)
			}
			if t, err := parseTime(wq.DateCreated); err == nil {
				q.Created = t
			}
			q.AuthorID, q.AuthorName = author(wq.UserCreated)
			m.Quote = q
		}
	}
	return m, nil
}

// author reads a user_created field: an object when its fields are
// requested, a bare id otherwise.
func author(raw json.RawMessage) (id, firstName string) {
	if u := strings.TrimSpace(string(raw)); !strings.HasPrefix(u, "{") {
		return rawIDString(raw), ""
	}
	var wu wireUser
	if json.Unmarshal(raw, &wu) != nil {
		return "", ""
	}
	if wu.FirstName != nil {
		firstName = *wu.FirstName
	}
	return rawIDString(wu.ID), firstName
}

// cutRunes returns s cut to at most n runes.
func cutRunes(s string, n int) string {
	for i := range s {
		if n == 0 {
			return s[:i]
		}
		n--
	}
	return s
}

// decodeIDs parses the data of a delete event: ids as strings or numbers,
// or items carrying an id.
func decodeIDs(data json.RawMessage) []string {
	var raw []json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		if id := rawIDString(data); id != "" {
			return []string{id}
		}
		return nil
	}
	ids := make([]string, 0, len(raw))
	for _, r := range raw {
		if strings.HasPrefix(strings.TrimSpace(string(r)), "{") {
			var obj struct {
				ID json.RawMessage `json:"id"`
			}
			if json.Unmarshal(r, &obj) == nil {
				r = obj.ID
			}
		}
		if id := rawIDString(r); id != "" {
			ids = append(ids, id)
		}
	}
	return ids
}

// rawIDString normalises a JSON id (string or number) to a string.
func rawIDString(raw json.RawMessage) string {
	s := strings.TrimSpace(string(raw))
	if s == "" || s == "null" {
		return ""
	}
	if strings.HasPrefix(s, `"`) {
		var v string
		if json.Unmarshal(raw, &v) == nil {
			return v
		}
		return ""
	}
	if _, err := strconv.ParseFloat(s, 64); err == nil {
		return s
	}
	return ""
}

// parseTime reads Directus timestamps: RFC 3339 with a zone, or the
// zone-less "2006-01-02T15:04:05" form SQLite returns, which is UTC.
func parseTime(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("parse time %q", s)
}

// relatedID reads a many-to-one field sent as a bare id or as an object
// with an id.
func relatedID(raw json.RawMessage) string {
	if v := strings.TrimSpace(string(raw)); strings.HasPrefix(v, "{") {
		var obj struct {
			ID json.RawMessage `json:"id"`
		}
		if json.Unmarshal(raw, &obj) != nil {
			return ""
		}
		return rawIDString(obj.ID)
	}
	return rawIDString(raw)
}

// formatTime writes a timestamp in the form Directus filters accept.
func formatTime(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}

// The frames the client sends, as typed structs: their shape is written
// once, here, and the compiler checks every use.

// authFrame authenticates the socket (first frame, and again after each
// token refresh: subscriptions survive it). It carries the access token:
// never log it.
type authFrame struct {
	Type        string `json:"type"` // "auth"
	AccessToken string `json:"access_token"`
}

func authMsg(accessToken string) authFrame { return authFrame{Type: "auth", AccessToken: accessToken} }

// pingFrame is a ping (with a uid, to match the pong) or a pong.
type pingFrame struct {
	Type string `json:"type"` // "ping" or "pong"
	UID  string `json:"uid,omitempty"`
}

func pingMsg(uid string) pingFrame { return pingFrame{Type: "ping", UID: uid} }
func pongMsg() pingFrame           { return pingFrame{Type: "pong"} }

// subscribeFrame asks for the newest page (the init event) and every later
// change of a collection.
type subscribeFrame struct {
	Type       string         `json:"type"` // "subscribe"
	Collection string         `json:"collection"`
	UID        string         `json:"uid"`
	Query      subscribeQuery `json:"query"`
}

// subscribeQuery is the query of a subscription. Its limit is always sent:
// 0 asks for events only (an empty init page), -1 for every item.
type subscribeQuery struct {
	Fields []string `json:"fields,omitempty"`
	Filter filter   `json:"filter,omitempty"`
	Sort   []string `json:"sort,omitempty"`
	Limit  int      `json:"limit"`
}

func subscribeMsg(collection, uid string, fields []string, where filter, limit int) subscribeFrame {
	return subscribeFrame{Type: "subscribe", Collection: collection, UID: uid,
		Query: subscribeQuery{Fields: fields, Filter: where, Sort: []string{"-date_created", "-id"}, Limit: limit}}
}

// itemsFrame is a create, read, update or delete request on a collection.
// The session sets UID when it sends it.
type itemsFrame struct {
	Type       string      `json:"type"` // "items"
	Collection string      `json:"collection"`
	Action     string      `json:"action"` // "create", "read", "update" or "delete"
	UID        string      `json:"uid"`
	ID         string      `json:"id,omitempty"`    // update, delete
	Data       any         `json:"data,omitempty"`  // create, update: an item or a list of items
	Query      *itemsQuery `json:"query,omitempty"` // create, update (fields returned), read
}

// itemData is the part of a message the client writes. ID is empty on
// collections with integer keys: the server picks them.
type itemData struct {
	ID      string `json:"id,omitempty"`
	Text    string `json:"text"`
	Channel string `json:"channel,omitempty"`  // on servers with channels
	ReplyTo string `json:"reply_to,omitempty"` // on servers with replies
	// Files are the ids of the files uploaded for the message (on servers
	// with attachments): Directus sets their chat_message in the create's
	// own transaction.
	Files []string `json:"files,omitempty"`
}

// itemsQuery is a Directus query: fields, filter, sort, limit, offset.
type itemsQuery struct {
	Fields    []string            `json:"fields,omitempty"`
	Filter    filter              `json:"filter,omitempty"`
	Sort      []string            `json:"sort,omitempty"`
	Limit     int                 `json:"limit,omitempty"`
	Offset    int                 `json:"offset,omitempty"`
	Aggregate map[string][]string `json:"aggregate,omitempty"`
	GroupBy   []string            `json:"groupBy,omitempty"`
}

// filter is a Directus filter: {"field": {"_op": value}}, a relational
// path {"channel": {"members": {...}}}, or {"_and"/"_or": [filter, ...]}.
type filter map[string]any

// where is the filter "field op value", e.g. where("date_created", "_gte", t).
func where(field, op string, value any) filter { return filter{field: map[string]any{op: value}} }

// and joins filters; nil ones are left out.
func and(fs ...filter) filter {
	var all []filter
	for _, f := range fs {
		if len(f) > 0 {
			all = append(all, f)
		}
	}
	switch len(all) {
	case 0:
		return nil
	case 1:
		return all[0]
	}
	return filter{"_and": all}
}

// or is the filter that any of fs holds.
func or(fs ...filter) filter { return filter{"_or": fs} }

func createItem(collection string, data itemData, fields []string) itemsFrame {
	return itemsFrame{Type: "items", Collection: collection, Action: "create", Data: &data, Query: &itemsQuery{Fields: fields}}
}

func updateItem(collection, id, text string, fields []string) itemsFrame {
	return itemsFrame{Type: "items", Collection: collection, Action: "update", ID: id, Data: &itemData{Text: text}, Query: &itemsQuery{Fields: fields}}
}

// createOne creates one item of any collection; createMany several.
func createOne(collection string, data map[string]any, fields []string) itemsFrame {
	return itemsFrame{Type: "items", Collection: collection, Action: "create", Data: data, Query: &itemsQuery{Fields: fields}}
}

func createMany(collection string, rows []map[string]any, fields []string) itemsFrame {
	return itemsFrame{Type: "items", Collection: collection, Action: "create", Data: rows, Query: &itemsQuery{Fields: fields}}
}

// updateOne changes fields of one item of any collection.
func updateOne(collection, id string, data map[string]any, fields []string) itemsFrame {
	return itemsFrame{Type: "items", Collection: collection, Action: "update", ID: id, Data: data, Query: &itemsQuery{Fields: fields}}
}

func deleteItem(collection, id string) itemsFrame {
	return itemsFrame{Type: "items", Collection: collection, Action: "delete", ID: id}
}

// actionRead is the items action that changes nothing (the others are
// writes: requests.go gives an error without a uid that only a write can
// get to a write waiting).
const actionRead = "read"

func readItems(collection string, q itemsQuery) itemsFrame {
	return itemsFrame{Type: "items", Collection: collection, Action: actionRead, Query: &q}
}
