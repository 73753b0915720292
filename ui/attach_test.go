package ui

import (
	"context"
	"crypto/rand"
	"errors"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"directuschat/devserver"
	"directuschat/devserver/devservertest"
	"directuschat/timeline"
)

// thumbsIn and cardsIn are the attachments drawn in row r.
func thumbsIn(r *messageRow) []*thumbView {
	var out []*thumbView
	for _, o := range objectsIn(r) {
		if t, ok := o.(*thumbView); ok {
			out = append(out, t)
		}
	}
	return out
}

func drawsText(r *messageRow, s string) bool {
	for _, tx := range textsIn(r) {
		if tx.Text == s {
			return true
		}
	}
	return false
}

// Ada attaches a picture and a text file and sends them with a message:
// the server stores the message once with both files; her window shows
// the picture as a thumbnail the server made (no bigger than its box) and
// the text file as a card. A big file she cancels while it uploads leaves
// no message and no file on the server.
func TestAttachmentsSentShownAndCancelled(t *testing.T) {
	env := devservertest.Shared(t)
	u, th := newTestApp(t, env.URL)
	// Uploads stop after 1 MB until they are cancelled: the picture and
	// the notes are smaller, the big file below is not.
	u.wrapUpload = func(ctx context.Context, r io.ReadCloser) io.ReadCloser {
		return &heldReader{ctx: ctx, r: r, closed: make(chan struct{})}
	}
	signIn(t, u, th, env.Users[0].Email, env.Users[0].Password)
	c := u.chat
	if !c.session.Permissions().Files {
		t.Fatalf("permissions %+v: no attachments on a server set up by setup", c.session.Permissions())
	}
	dir := t.TempDir()
	pic := filepath.Join(dir, "chart.png")
	img := image.NewRGBA(image.Rect(0, 0, 640, 320))
	for x := range 640 {
		for y := range 320 {
			img.Set(x, y, color.RGBA{uint8(x), uint8(y), 200, 255})
		}
	}
	f, _ := os.Create(pic)
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
	f.Close()
	notes := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(notes, []byte("the notes\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	// The paperclip opens the file dialog (it panicked in Fyne 2.8.1 when
	// sized before it was shown).
	c.chooseFiles()
	if u.win.Canvas().Overlays().Top() == nil || len(c.host.dialogs.open) != 1 {
		t.Fatal("the paperclip shows no file dialog")
	}
	c.host.dialogs.closeNewest()

	c.attach([]string{pic, notes})
	if len(c.attachments.files) != 2 || !c.attachments.box.Visible() {
		t.Fatalf("attached %d files, bar shown %v", len(c.attachments.files), c.attachments.box.Visible())
	}
	text := "with files " + uuid.NewString()
	c.composer.SetText(text)
	c.composer.send()
	if len(c.attachments.files) != 0 || c.attachments.box.Visible() {
		t.Error("the files stay above the composer after sending")
	}

	kevin := restAs(t, env, env.Users[1].Email, env.Users[1].Password)
	th.until(t, 30*time.Second, "the message stored with its two files, seen by Kevin", func() bool {
		var out struct {
			Data []struct {
				Files []struct {
					Type string `json:"type"`
				} `json:"files"`
			} `json:"data"`
		}
		kevin.do(http.MethodGet, "/items/messages?fields=files.type&filter[text][_eq]="+url.QueryEscape(text), nil, &out)
		return len(out.Data) == 1 && len(out.Data[0].Files) == 2
	})
	var row *messageRow
	th.until(t, 20*time.Second, "the picture drawn as a thumbnail and the text file as a card", func() bool {
		for i := 0; i < c.tl.Len(); i++ {
			if e := c.tl.At(i); e.Text == text && e.Status == timeline.Sent {
				row = rowOf(c, e.ID)
			}
		}
		if row == nil {
			return false
		}
		thumbs := thumbsIn(row)
		if len(thumbs) == 1 && thumbs[0].err != nil {
			t.Fatalf("the thumbnail failed: %v", thumbs[0].err)
		}
		return len(thumbs) == 1 && thumbs[0].img != nil && thumbs[0].img.Image != nil && drawsText(row, "notes.txt")
	})
	thumb := thumbsIn(row)[0]
	if b := thumb.img.Image.Bounds(); b.Dx() > int(thumb.Size().Width)+1 || b.Dy() > int(thumb.Size().Height)+1 || b.Dx() < 100 {
		t.Errorf("thumbnail %v for a box of %v", b, thumb.Size())
	}

	// A file over the server's limit (the dev server's 100 MB, which its
	// TUS endpoint says) is refused when attached, with the sizes.
	th.until(t, 20*time.Second, "the server's upload limit", func() bool { return c.uploadLimit > 0 })
	if c.uploadLimit != devserver.MaxUploadBytes {
		t.Fatalf("upload limit %d, want the dev server's %d", c.uploadLimit, devserver.MaxUploadBytes)
	}
	huge := filepath.Join(dir, "huge.iso")
	if err := os.WriteFile(huge, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(huge, devserver.MaxUploadBytes+1); err != nil { // sparse: no 100 MB written
		t.Fatal(err)
	}
	c.attach([]string{huge})
	if len(c.attachments.files) != 0 {
		t.Fatalf("a file over the server's limit was attached: %+v", c.attachments.files)
	}
	if got := c.status.Text; !strings.Contains(got, `"huge.iso" is too big`) || !strings.Contains(got, "100 MB") {
		t.Errorf("status after attaching a file over the limit: %q", got)
	}

	// A big file, cancelled while it uploads (held after 1 MB).
	big := filepath.Join(dir, "big.bin")
	data := make([]byte, 4<<20)
	_, _ = rand.Read(data)
	if err := os.WriteFile(big, data, 0o600); err != nil {
		t.Fatal(err)
	}
	c.attach([]string{big})
	id := c.attachments.files[0].ID
	cancelled := "cancelled " + uuid.NewString()
	c.composer.SetText(cancelled)
	c.composer.send()
	var pending timeline.Entry
	th.until(t, 20*time.Second, "the upload under way", func() bool {
		for i := 0; i < c.tl.Len(); i++ {
			if e := c.tl.At(i); e.Text == cancelled {
				pending = e
			}
		}
		_, up := c.uploads[pending.ID]
		return pending.ID != "" && up
	})
	c.rowTapped(pending)
	tapOverlayButton(t, u.Window(), "Yes")
	if c.tl.Index(pending.ID) >= 0 {
		t.Error("the cancelled message is still shown")
	}
	ada := restAs(t, env, env.Users[0].Email, env.Users[0].Password)
	th.until(t, 20*time.Second, "no file left of the cancelled upload", func() bool {
		return ada.do(http.MethodGet, "/files/"+id+"?fields=id", nil, nil) != http.StatusOK
	})
	var out struct {
		Data []struct{} `json:"data"`
	}
	ada.do(http.MethodGet, "/items/messages?fields=id&filter[text][_eq]="+url.QueryEscape(cancelled), nil, &out)
	if len(out.Data) != 0 {
		t.Error("the cancelled message was stored")
	}
	if strings.Contains(c.status.Text, "fail") {
		t.Errorf("status line: %q", c.status.Text)
	}
}

// heldReader passes the first MB, then blocks until the upload is
// cancelled or the body closed. (A read that waited only for Close could
// block for ever: when the server drops the connection first, net/http
// waits for the body's read to end before it returns, and closes the body
// only after.)
type heldReader struct {
	ctx    context.Context
	r      io.ReadCloser
	n      int
	closed chan struct{}
	once   sync.Once
}

func (h *heldReader) Read(p []byte) (int, error) {
	if h.n >= 1<<20 {
		select {
		case <-h.closed:
		case <-h.ctx.Done():
		}
		return 0, errors.New("cancelled")
	}
	n, err := h.r.Read(p[:min(len(p), 1<<20-h.n)])
	h.n += n
	return n, err
}

func (h *heldReader) Close() error {
	h.once.Do(func() { close(h.closed) })
	return h.r.Close()
}
