package realtime

import (
	"context"
	"fmt"
	"net/http"
	"slices"
)

// Permissions says what the signed-in user may do to messages, as the
// server reports it (GET /permissions/me). "Own" is what a rule such as
// user_created = $CURRENT_USER allows; "Any" is unrestricted access (admins).
type Permissions struct {
	EditOwn, EditAny     bool
	DeleteOwn, DeleteAny bool

	// Channels is set when the server has channels the user can read
	// (setup's team-chat schema): messages belong to conversations.
	Channels bool
	// PrivateChannels is set when the server limits who reads a channel
	// (a read rule on channels): only then are private channels and direct
	// messages private, so only then does the app offer them. Directus 12
	// without a license refuses such rules.
	PrivateChannels bool

	// Replies is set when a message can be created as a reply (setup's
	// reply_to field; servers set up before it have none).
	Replies bool
	// Reactions is set when the user can read and add reactions (setup's
	// reactions collection).
	Reactions bool
	// Files is set when messages can carry attachments: the user may
	// create messages with files (setup's messages.files alias) and may
	// create and update directus_files (an upload, then the create's
	// nested update of chat_message). Directus 12 without a license grants
	// no update on directus_files: attaching is impossible there.
	Files bool
}

// features are the parts of the schema the session uses.
func (p Permissions) features() features {
	return features{channels: p.Channels, replies: p.Channels && p.Replies, reactions: p.Channels && p.Reactions, files: p.Channels && p.Files}
}

// features say which parts of setup's schema a server has: conversations,
// replies, reactions, attachments.
type features struct{ channels, replies, reactions, files bool }

// CanEdit reports whether the user may edit m.
func (p Permissions) CanEdit(m Message, userID string) bool {
	return p.EditAny || p.EditOwn && m.AuthorID == userID
}

// CanDelete reports whether the user may delete m.
func (p Permissions) CanDelete(m Message, userID string) bool {
	return p.DeleteAny || p.DeleteOwn && m.AuthorID == userID
}

// filesCollection is Directus's own collection of uploaded files.
const filesCollection = "directus_files"

type accessLevel struct {
	Access string   `json:"access"` // "none", "partial" or "full"
	Fields []string `json:"fields"` // the fields allowed; "*" is all
}

// allowed reports whether the action is allowed at all.
func (a accessLevel) allowed() bool { return a.Access == "partial" || a.Access == "full" }

// hasField reports whether the action is allowed on field f.
func (a accessLevel) hasField(f string) bool {
	return a.allowed() && (slices.Contains(a.Fields, f) || slices.Contains(a.Fields, "*"))
}

// Permissions reads what the user may do to the collection. Directus 10,
// which has no /permissions/me, yields no edit or delete rights.
func (r *REST) Permissions(ctx context.Context, accessToken, collection string) (Permissions, error) {
	var out struct {
		Data map[string]map[string]accessLevel `json:"data"`
	}
	if err := r.do(ctx, http.MethodGet, "/permissions/me", accessToken, nil, &out); err != nil {
		return Permissions{}, fmt.Errorf("read permissions: %w", err)
	}
	actions := out.Data[collection]
	level := func(action string) string { return actions[action].Access }
	channels := out.Data[channelsCollection]["read"].Access
	reactions := out.Data[reactionsCollection]
	files := out.Data[filesCollection]
	return Permissions{
		Replies:         actions["create"].hasField("reply_to"),
		Reactions:       reactions["read"].allowed() && reactions["create"].allowed(),
		Files:           actions["create"].hasField("files") && files["create"].allowed() && files["update"].allowed(),
		EditOwn:         level("update") == "partial" || level("update") == "full",
		EditAny:         level("update") == "full",
		DeleteOwn:       level("delete") == "partial" || level("delete") == "full",
		DeleteAny:       level("delete") == "full",
		Channels:        channels == "partial" || channels == "full",
		PrivateChannels: channels == "partial",
	}, nil
}
