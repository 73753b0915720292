package realtime

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"

	"github.com/google/uuid"
)

// Attachments (issue #13): a message's files are rows of Directus's
// directus_files whose chat_message points at the message (setup's
// provision/files.go). A message typed here with files uploads each file
// first, with the id the client gave it (an upload retried after a crash
// finds it there), then creates the message with "files": [ids], which
// attaches them in the message's own transaction.
//
// In the outbox (outbox.go) a message with files goes out like any other,
// in order and one at a time: first every file not yet uploaded in this
// run, through Config.Uploader, off the loop (UploadProgress events, at
// most about 10 a second), then the create. A restart uploads the files
// of a message left in the outbox again: Upload is idempotent by id, so a
// file already stored whole is not sent twice.
//
// Upload errors: an error that wraps ErrUploadRefused (see RefusedUpload)
// is permanent (the server refused the file, it is too big, the local file
// is gone): the message fails at once (SendFailed). Any other error is
// taken as transient (network, 5xx, timeouts, an expired token): the
// message waits and is tried again with the backoff of sends the server
// could not store, and fails after Config.SendRetryFor of such failures.
//
// Discard of a message whose files are uploading cancels the upload; then,
// as for a failed message discarded, the files it may have uploaded are
// deleted (Uploader.Delete): the server lets only the uploader see such
// orphans, and only the uploader may delete them.

// Attachment is one file of a message.
type Attachment struct {
	ID     string `json:"id"`             // the directus_files id (chosen by the client for uploads)
	Name   string `json:"name,omitempty"` // the file's name as uploaded (filename_download): text from anyone
	Type   string `json:"type,omitempty"` // MIME type as the server has it
	Size   int64  `json:"size,omitempty"` // bytes
	Width  int    `json:"width,omitempty"`
	Height int    `json:"height,omitempty"` // pixels, for images the server measured; else 0
	// Path is the local file a message typed here uploads; "" for files
	// on the server.
	Path string `json:"path,omitempty"`
}

// NewAttachmentID is a new id for a file to attach: ids made one after
// another sort in the order they were made (UUID version 7), and a
// message's files are shown in the order of their ids, so in the order
// they were attached, on every client (the server lists them in no
// order of its own).
func NewAttachmentID() string { return uuid.Must(uuid.NewV7()).String() }

// IsImage reports whether the server can show a thumbnail of a.
func (a Attachment) IsImage() bool {
	switch a.Type {
	case "image/jpeg", "image/png", "image/webp", "image/gif", "image/tiff", "image/avif":
		return a.Width > 0 && a.Height > 0
	}
	return false
}

// Uploader stores attachments' files on the server (files.Client through
// a small adapter): Upload is idempotent by a.ID, Delete removes a file
// the user uploaded and no message holds (a cancelled send).
//
// Upload returns an error wrapping ErrUploadRefused (RefusedUpload) when
// trying again cannot help; any other error is retried. It must stop soon
// after ctx is cancelled.
type Uploader interface {
	Upload(ctx context.Context, a Attachment, progress func(sent, total int64)) error
	Delete(ctx context.Context, id string) error
}

// ErrUploadRefused marks an upload error that sending again cannot fix:
// the server refused the file (403), it is too big, the local file cannot
// be read. The message fails at once.
var ErrUploadRefused = errors.New("the upload was refused")

// RefusedUpload marks err as permanent: errors.Is(result, ErrUploadRefused)
// holds, and the result says what err says and unwraps to it.
func RefusedUpload(err error) error {
	if err == nil {
		return nil
	}
	return refusedUpload{err}
}

type refusedUpload struct{ err error }

func (r refusedUpload) Error() string        { return r.err.Error() }
func (r refusedUpload) Unwrap() error        { return r.err }
func (r refusedUpload) Is(target error) bool { return target == ErrUploadRefused }

// UploadProgress reports the upload of a message's files: Sent of Total
// bytes of all its files (files uploaded by an earlier attempt count as
// sent). It comes at most about 10 times a second per message, and once
// when every file is uploaded (Sent == Total), before the message is
// created.
type UploadProgress struct {
	Message     string
	Sent, Total int64
}

func (UploadProgress) event() {}

// fileFields are read besides messageFields on servers with attachments.
var fileFields = []string{"files.id", "files.filename_download", "files.type", "files.filesize", "files.width", "files.height"}

// wireFile is one entry of a message's files (directus_files) as read
// with fileFields.
type wireFile struct {
	ID       json.RawMessage `json:"id"`
	Name     *string         `json:"filename_download"`
	Type     *string         `json:"type"`
	Filesize json.RawMessage `json:"filesize"` // a number, or a string (bigInteger on some databases)
	Width    json.RawMessage `json:"width"`
	Height   json.RawMessage `json:"height"`
}

// decodeFiles reads a message's files: an array of objects, or of bare ids
// when the fields are not asked for. Anything else is no files (a garbled
// list does not make the message unreadable).
func decodeFiles(raw json.RawMessage) []Attachment {
	if v := strings.TrimSpace(string(raw)); !strings.HasPrefix(v, "[") {
		return nil
	}
	var items []json.RawMessage
	if json.Unmarshal(raw, &items) != nil {
		return nil
	}
	var out []Attachment
	for _, it := range items {
		if !strings.HasPrefix(strings.TrimSpace(string(it)), "{") {
			if id := rawIDString(it); id != "" {
				out = append(out, Attachment{ID: id})
			}
			continue
		}
		var w wireFile
		if json.Unmarshal(it, &w) != nil {
			continue
		}
		a := Attachment{ID: rawIDString(w.ID), Size: flexInt(w.Filesize), Width: int(flexInt(w.Width)), Height: int(flexInt(w.Height))}
		if a.ID == "" {
			continue
		}
		if w.Name != nil {
			a.Name = *w.Name
		}
		if w.Type != nil {
			a.Type = *w.Type
		}
		out = append(out, a)
	}
	slices.SortStableFunc(out, func(a, b Attachment) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// flexInt reads a non-negative integer sent as a number or a string; 0
// for null, anything else or out of range.
func flexInt(raw json.RawMessage) int64 {
	s := strings.TrimSpace(string(raw))
	if strings.HasPrefix(s, `"`) {
		if json.Unmarshal(raw, &s) != nil {
			return 0
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || n > 1<<53 {
		return 0
	}
	return n
}

// fileIDs are the ids of files, for a create.
func fileIDs(files []Attachment) []string {
	ids := make([]string, len(files))
	for i, f := range files {
		ids[i] = f.ID
	}
	return ids
}
