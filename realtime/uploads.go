package realtime

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// The upload of a message's files, before its create (see attachments.go
// for the rules). The loop starts one upload at a time, for the message at
// the head of the outbox; a goroutine sends its files one after another
// through Config.Uploader and hands the result back as a command.

// uploadProgressEvery is the least time between two UploadProgress events
// of a message.
const uploadProgressEvery = 100 * time.Millisecond

// deleteTimeout bounds the deletes of a discarded message's files.
const deleteTimeout = 30 * time.Second

// upload is one run of a message's uploads. discard is set (with the ids
// to delete) when the message is discarded while it runs: its goroutine
// deletes them once the upload has stopped, so a delete never races an
// upload of the same file.
type upload struct {
	cancel context.CancelFunc

	mu       sync.Mutex
	discard  []string
	gone     bool // discarded: the goroutine deletes discard
	finished bool // the goroutine is done: the loop deletes
}

// discarded cancels the upload and asks its goroutine to delete ids; it
// reports false when the goroutine has finished already (its result on
// its way to the loop): the caller deletes them.
func (u *upload) discarded(ids []string) bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.cancel()
	if u.finished {
		return false
	}
	u.discard, u.gone = ids, true
	return true
}

// finish marks the goroutine done; it returns the ids to delete when the
// message was discarded meanwhile.
func (u *upload) finish() ([]string, bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.finished = true
	return u.discard, u.gone
}

type (
	// cmdUploaded is the end of an upload run: the files it stored, and
	// the error that stopped it (nil when every file is stored).
	cmdUploaded struct {
		msg      string
		u        *upload
		uploaded []string
		err      error
	}
	cmdUploadProgress struct {
		msg         string
		u           *upload
		sent, total int64
	}
)

// uploadFailure is an upload's error with the name of its file (for the
// message a person reads: Error.Msg).
type uploadFailure struct {
	name string
	err  error
}

func (e *uploadFailure) Error() string { return e.err.Error() }
func (e *uploadFailure) Unwrap() error { return e.err }

// errNoUploader: the app gave the session no Uploader.
var errNoUploader = &Error{Kind: KindForbidden, Msg: "This app cannot send files (it has no uploader)."}

// errNoAttachments: the server has no attachments for this user.
var errNoAttachments = &Error{Kind: KindForbidden, Msg: "This server does not take files with messages (run setup; on Directus 12 attaching needs a license)."}

// canAttach says why a message with files cannot be sent, nil if it can.
func (s *Session) canAttach() error {
	switch {
	case !s.feat.files:
		return errNoAttachments
	case s.cfg.Uploader == nil:
		return errNoUploader
	}
	return nil
}

// startUpload starts uploading the files of o not uploaded yet in this
// run; it reports false when there are none (the create goes out).
func (s *Session) startUpload(o *outgoing) bool {
	var todo []Attachment
	var done, total int64
	for _, f := range o.msg.Files {
		total += f.Size
		if o.uploaded[f.ID] {
			done += f.Size
			continue
		}
		todo = append(todo, f)
	}
	if len(todo) == 0 {
		return false
	}
	ctx, cancel := context.WithCancel(s.ctx)
	u := &upload{cancel: cancel}
	o.state, o.upload, o.mayUpload = outUploading, u, true
	id, up := o.msg.ID, s.cfg.Uploader
	s.events.push(UploadProgress{Message: id, Sent: done, Total: total})
	go func() {
		defer cancel()
		var uploaded []string
		var err error
		var mu sync.Mutex // the progress callback may come from the transport's goroutine
		var last time.Time
		for _, f := range todo {
			base := done
			err = up.Upload(ctx, f, func(sent, _ int64) {
				mu.Lock()
				defer mu.Unlock()
				if now := time.Now(); now.Sub(last) >= uploadProgressEvery {
					last = now
					s.cmds.push(cmdUploadProgress{msg: id, u: u, sent: min(base+max(sent, 0), total), total: total})
				}
			})
			if err != nil {
				err = &uploadFailure{name: f.Name, err: err}
				break
			}
			done += f.Size
			uploaded = append(uploaded, f.ID)
		}
		if ids, gone := u.finish(); gone {
			deleteFiles(up, ids, s.log.Debug)
			return
		}
		s.cmds.push(cmdUploaded{msg: id, u: u, uploaded: uploaded, err: err})
	}()
	return true
}

// handleUploadCommand runs the commands above; it reports whether c was
// one.
func (s *Session) handleUploadCommand(c command) bool {
	switch c := c.(type) {
	case cmdUploadProgress:
		if o := s.findOutgoing(c.msg); o != nil && o.upload == c.u {
			s.events.push(UploadProgress{Message: c.msg, Sent: c.sent, Total: c.total})
		}
	case cmdUploaded:
		s.uploaded(c)
	default:
		return false
	}
	return true
}

// uploaded takes the end of an upload run.
func (s *Session) uploaded(c cmdUploaded) {
	o := s.findOutgoing(c.msg)
	if o == nil || o.upload != c.u {
		return // discarded, or stored after all
	}
	o.upload = nil
	if o.uploaded == nil {
		o.uploaded = map[string]bool{}
	}
	for _, id := range c.uploaded {
		o.uploaded[id] = true
	}
	switch {
	case c.err == nil:
		var total int64
		for _, f := range o.msg.Files {
			total += f.Size
		}
		s.events.push(UploadProgress{Message: c.msg, Sent: total, Total: total})
		o.state = outQueued
	case errors.Is(c.err, context.Canceled) && s.ctx.Err() != nil:
		o.state = outQueued // the session is ending
		return
	case errors.Is(c.err, ErrUploadRefused):
		s.log.Warn("realtime: a file was refused; the message is marked failed", "id", c.msg, "err", c.err)
		o.state = outFailed
		var uf *uploadFailure
		name := ""
		if errors.As(c.err, &uf) {
			name = uf.name
		}
		s.events.push(SendStatus{ID: c.msg, State: SendFailed, Err: &Error{Kind: KindRejected, Msg: fmt.Sprintf("The file %q could not be sent (%v).", name, c.err), Err: c.err}})
	default:
		s.sendLater(o, c.err)
	}
	s.pumpOutbox()
}

// discardUploads deletes the files a discarded message may have uploaded:
// at once, or, while its upload runs, once that has stopped.
func (s *Session) discardUploads(o *outgoing) {
	if !o.mayUpload || s.cfg.Uploader == nil {
		return
	}
	ids := fileIDs(o.msg.Files)
	if u := o.upload; u != nil {
		o.upload = nil
		if u.discarded(ids) {
			return
		}
	}
	go deleteFiles(s.cfg.Uploader, ids, s.log.Debug)
}

// deleteFiles deletes uploaded files no message holds. A file that was
// never stored (the server answers that it may not delete it) is no error
// worth more than a debug line.
func deleteFiles(up Uploader, ids []string, logf func(string, ...any)) {
	ctx, cancel := context.WithTimeout(context.Background(), deleteTimeout)
	defer cancel()
	for _, id := range ids {
		if err := up.Delete(ctx, id); err != nil {
			logf("realtime: could not delete a file of a discarded message (it may never have been stored)", "file", id, "err", err)
		}
	}
}
