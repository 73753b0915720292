// Package files is chat attachments over the Directus Files REST API
// (issue #13): uploading a file with a client-chosen id (so a retry is
// idempotent) into the chat's folder, reading thumbnails through a
// size-bounded disk cache, downloading a file to a safe, unique name in a
// folder, and deleting an own upload that was never attached.
//
// A message's attachments are rows of directus_files whose chat_message
// points at it (see provision.FileMessageField); a message is created with
// its already-uploaded files in one request ("files": [ids]). Who may read a
// file is decided by the server: its uploader, and the members of the
// channel of the message it is attached to.
//
// The client never follows a redirect (it would carry the access token to
// wherever the server points) and sends the token only in the Authorization
// header, never in a URL. Names that come from the server are hostile:
// SafeFileName makes them fit for a local file system, and downloads never
// write outside the folder they are given. It imports neither Fyne nor the
// WebSocket package: decoding a thumbnail (DecodeThumbnail) is bounded
// against decompression bombs, displaying it is the UI's job.
package files
