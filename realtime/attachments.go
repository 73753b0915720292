package realtime

import "context"

// Attachments (issue #13): a message's files are rows of Directus's
// directus_files whose chat_message points at the message (setup's
// provision/files.go). A message typed here with files uploads each file
// first, with the id the client gave it (an upload retried after a crash
// finds it there), then creates the message with "files": [ids], which
// attaches them in the message's own transaction.

// Attachment is one file of a message.
type Attachment struct {
	ID     string // the directus_files id (chosen by the client for uploads)
	Name   string // the file's name as uploaded (filename_download): text from anyone
	Type   string // MIME type as the server has it
	Size   int64  // bytes
	Width  int    // pixels, for images the server measured; else 0
	Height int
	// Path is the local file a message typed here uploads; "" for files
	// on the server.
	Path string
}

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
type Uploader interface {
	Upload(ctx context.Context, a Attachment, progress func(sent, total int64)) error
	Delete(ctx context.Context, id string) error
}

// UploadProgress reports the upload of a message's files: Sent of Total
// bytes of all its files.
type UploadProgress struct {
	Message     string
	Sent, Total int64
}

func (UploadProgress) event() {}

// fileFields are read besides messageFields on servers with attachments.
var fileFields = []string{"files.id", "files.filename_download", "files.type", "files.filesize", "files.width", "files.height"}
