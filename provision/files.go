package provision

import (
	"context"
	"errors"
	"fmt"
	"net/http"
)

// Attachments (issue #13): a chat message's files are rows of Directus's
// own directus_files with a custom many-to-one field chat_message (on
// delete SET NULL, so deleting a message leaves its files as orphans their
// uploader may delete) and the one-to-many alias messages.files. A client
// uploads each file first (multipart POST /files with its own id, into
// FilesFolderID), then creates the message with "files": [ids]: Directus's
// nested one-to-many update sets chat_message on those files in the same
// transaction, under the chat user's update permission on directus_files.
const (
	FilesCollection = "directus_files"
	// FileMessageField is the custom field of directus_files that points
	// at the message a file is attached to (null: not attached yet).
	FileMessageField = "chat_message"
	// MessageFilesField is the one-to-many alias on messages listing its
	// files: read a message's attachments as files.id, files.type, ...
	MessageFilesField = "files"
	// FilesFolderID is the id of the folder setup creates for uploads
	// (fixed, so clients know it without reading directus_folders, which
	// chat users cannot).
	FilesFolderID   = "a6f5065c-730f-4e85-9846-073a65550fc3"
	FilesFolderName = "Chat files"
)

// fileMessageRelation is directus_files.chat_message -> messages.
func fileMessageRelation() relation {
	return relation{Collection: FilesCollection, Field: FileMessageField, Related: Collection, OnDelete: "SET NULL", OneField: MessageFilesField}
}

// ownOrphan is the rule "the current user uploaded the file and it is not
// attached to a message yet".
func ownOrphan() map[string]any {
	return map[string]any{"_and": []any{
		map[string]any{"uploaded_by": map[string]any{"_eq": "$CURRENT_USER"}},
		map[string]any{FileMessageField: map[string]any{"_null": true}},
	}}
}

// fileGrants are the chat policy's permissions on directus_files.
func fileGrants() []grant {
	all := []string{"*"}
	return []grant{
		{
			// A file is readable by its uploader (an upload's read-back and
			// an idempotent retry come before it is attached) and by the
			// readers of the message it is attached to (members, and for a
			// public channel anyone who may browse it, like the message
			// itself). The same rule guards /assets/<id> (thumbnails and
			// downloads).
			want: permission{Collection: FilesCollection, Action: "read", Fields: all, Permissions: map[string]any{"_or": []any{
				map[string]any{"uploaded_by": map[string]any{"_eq": "$CURRENT_USER"}},
				map[string]any{FileMessageField: visibleChannel("channel")},
			}}},
			fallback: &permission{Collection: FilesCollection, Action: "read", Fields: all},
			wider: "read on directus_files: every chat user can read every uploaded file (the Files REST API and /assets), " +
				"attachments of private and direct conversations and files not attached to any message included, instead of " +
				"their own uploads and the files of messages in their channels",
		},
		{
			// What a multipart POST /files writes with the uploader's
			// permission (FilesService.uploadOne, Directus 11.17): the form's
			// fields before the file (id, folder), storage (always set by
			// the server, STORAGE_LOCATIONS[0]), title (derived from the file
			// name when absent), filename_download and type (the part's
			// name and Content-Type). filename_disk, filesize, width,
			// height, metadata and uploaded_on are written afterwards by the
			// server without the user's permissions; uploaded_by is
			// user-created. chat_message is not in the list, so an upload
			// cannot attach itself: only a message's create does that.
			want: permission{Collection: FilesCollection, Action: "create",
				Fields:  []string{"id", "storage", "folder", "title", "filename_download", "type"},
				Presets: map[string]any{"folder": FilesFolderID}},
			fallback: &permission{Collection: FilesCollection, Action: "create", Fields: all},
			wider: "create on directus_files: all fields instead of id, storage, folder, title, filename_download, type " +
				"(an upload may set chat_message itself, showing the file under any message whose id the user knows, and any other metadata; " +
				"uploaded_by is still set by the server)",
		},
		{
			// The nested update of a message's create sets chat_message on
			// each listed file with the author's permission: only on the
			// author's own files not attached yet. So one cannot attach
			// someone else's upload, nor move an attached file to another
			// message. No fallback: "every field of every file" would let
			// any chat user replace anyone's attachment (PATCH /files/<id>
			// with a new file).
			want: permission{Collection: FilesCollection, Action: "update", Fields: []string{FileMessageField}, Permissions: ownOrphan()},
		},
		{
			// Cancelling an upload, cleaning an own orphan; Directus itself
			// deletes the row with this permission when an upload fails
			// (too big, storage error). No fallback: deleting every file is
			// not something to grant every chat user.
			want: permission{Collection: FilesCollection, Action: "delete", Fields: all, Permissions: ownOrphan()},
		},
	}
}

// ensureFiles sets up attachments: the chat_message field and its relation,
// the messages.files alias, the "Chat files" folder and the chat policy's
// permissions on directus_files. It runs after ensureAccess (the policy).
func ensureFiles(ctx context.Context, c *client, rep *Report) error {
	fileFields := collectionSpec{Name: FilesCollection, Fields: []field{{
		Field: FileMessageField, Type: "uuid",
		Meta: map[string]any{"special": []string{"m2o"}, "interface": "select-dropdown-m2o", "hidden": true,
			"note": "directuschat setup: the chat message this file is attached to"},
		// Indexed: reading messages with their files is chat_message IN (...).
		Schema: map[string]any{"is_nullable": true, "is_indexed": true},
	}}}
	if err := ensureFields(ctx, c, fileFields, rep); err != nil {
		return err
	}
	messageFiles := collectionSpec{Name: Collection, Fields: []field{{
		Field: MessageFilesField, Type: "alias",
		Meta: map[string]any{"special": []string{"o2m"}, "interface": "files", "hidden": true,
			"note": "directuschat setup: the message's attachments"},
	}}}
	if err := ensureFields(ctx, c, messageFiles, rep); err != nil {
		return err
	}
	if err := ensureRelation(ctx, c, fileMessageRelation(), rep); err != nil {
		return err
	}
	if err := ensureFilesFolder(ctx, c, rep); err != nil {
		return err
	}
	if rep.PolicyID == "" {
		return errors.New("file permissions: no chat policy (ensureAccess must run first)")
	}
	var have []permission
	q := filterQuery(map[string]any{"policy": eq(rep.PolicyID), "collection": eq(FilesCollection)},
		"id,collection,action,fields,permissions,validation,presets")
	if err := c.do(ctx, http.MethodGet, "/permissions"+q, nil, &have); err != nil {
		return fmt.Errorf("read file permissions of policy %q: %w", PolicyName, err)
	}
	for _, g := range fileGrants() {
		var cur *permission
		for i := range have {
			if have[i].Action == g.want.Action {
				cur = &have[i]
				break
			}
		}
		if err := ensureGrant(ctx, c, rep.PolicyID, g, cur, rep); err != nil {
			return err
		}
	}
	return nil
}

// ensureFilesFolder creates the "Chat files" folder once, with its fixed
// id. A folder an administrator renamed or moved is left as found.
func ensureFilesFolder(ctx context.Context, c *client, rep *Report) error {
	var found []struct {
		ID string `json:"id"`
	}
	q := filterQuery(map[string]any{"id": eq(FilesFolderID)}, "id")
	if err := c.do(ctx, http.MethodGet, "/folders"+q, nil, &found); err != nil {
		return fmt.Errorf("find folder %q: %w", FilesFolderName, err)
	}
	if len(found) > 0 {
		return nil
	}
	body := map[string]any{"id": FilesFolderID, "name": FilesFolderName}
	if err := c.do(ctx, http.MethodPost, "/folders", body, nil); err != nil {
		return fmt.Errorf("create folder %q: %w", FilesFolderName, err)
	}
	rep.Changes = append(rep.Changes, fmt.Sprintf("created folder %q for chat uploads", FilesFolderName))
	return nil
}
