package realtime_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	neturl "net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"directuschat/devserver"
	"directuschat/devserver/devservertest"
	"directuschat/files"
	"directuschat/provision"
	"directuschat/realtime"
	"directuschat/store"
	"directuschat/timeline"
)

// testUploader is the session's Uploader as an app makes it: files.Client
// with the session's access token, refusals (403, too big, a local file
// that cannot be read) marked permanent. hold stops the first upload of a
// file after holdAfter bytes until its gate closes (or the upload is
// cancelled), telling held; deleted hears every Delete.
type testUploader struct {
	sess   atomic.Pointer[realtime.Session]
	client *files.Client

	uploads atomic.Int32 // Upload calls

	mu      sync.Mutex
	gates   map[string]chan struct{}
	held    chan string
	deleted chan string
}

const holdAfter = 256 << 10

func newTestUploader(t *testing.T, server string, maxUpload int64) *testUploader {
	t.Helper()
	u := &testUploader{gates: map[string]chan struct{}{}, held: make(chan string, 8), deleted: make(chan string, 64)}
	c, err := files.New(files.Config{BaseURL: server, MaxUploadBytes: maxUpload, Token: func(ctx context.Context) (string, error) {
		s := u.sess.Load()
		if s == nil {
			return "", errors.New("not signed in")
		}
		return s.AccessToken(ctx)
	}})
	if err != nil {
		t.Fatal(err)
	}
	u.client = c
	return u
}

// hold makes the first upload of file id wait half-way until the
// returned gate is closed.
func (u *testUploader) hold(id string) chan struct{} {
	u.mu.Lock()
	defer u.mu.Unlock()
	g := make(chan struct{})
	u.gates[id] = g
	return g
}

func (u *testUploader) Upload(ctx context.Context, a realtime.Attachment, progress func(sent, total int64)) error {
	u.uploads.Add(1)
	src, err := files.FileSource(a.Path)
	if err != nil {
		return realtime.RefusedUpload(err)
	}
	if a.Name != "" {
		src.Name = a.Name
	}
	if a.Type != "" {
		src.Type = a.Type
	}
	u.mu.Lock()
	gate, ok := u.gates[a.ID]
	delete(u.gates, a.ID)
	u.mu.Unlock()
	if ok {
		open := src.Open
		src.Open = func() (io.ReadCloser, error) {
			rc, err := open()
			if err != nil {
				return nil, err
			}
			return &heldReader{rc: rc, ctx: ctx, gate: gate, held: func() { u.held <- a.ID }}, nil
		}
	}
	_, err = u.client.Upload(ctx, a.ID, src, provision.FilesFolderID, progress)
	switch files.KindOf(err) {
	case files.KindForbidden, files.KindTooBig:
		return realtime.RefusedUpload(err)
	}
	return err
}

func (u *testUploader) Delete(ctx context.Context, id string) error {
	err := u.client.Delete(ctx, id)
	u.deleted <- id
	return err
}

// heldReader stops after holdAfter bytes until gate closes.
type heldReader struct {
	rc   io.ReadCloser
	ctx  context.Context
	gate chan struct{}
	held func()
	n    int
	told bool
}

func (r *heldReader) Read(p []byte) (int, error) {
	if r.n >= holdAfter {
		if !r.told {
			r.told = true
			r.held()
		}
		select {
		case <-r.gate:
		case <-r.ctx.Done():
			return 0, r.ctx.Err()
		}
	} else if len(p) > holdAfter-r.n {
		p = p[:holdAfter-r.n]
	}
	n, err := r.rc.Read(p)
	r.n += n
	return n, err
}

func (r *heldReader) Close() error { return r.rc.Close() }

// connectUploading signs in with u as the session's Uploader.
func connectUploading(t *testing.T, cfg realtime.Config, u *testUploader, email, password string) *client {
	t.Helper()
	cfg.Uploader = u
	c := connect(t, cfg, email, password)
	u.sess.Store(c.s)
	return c
}

// attachmentsOffered tells whether the server setup provisioned offers
// attachments, and checks what a user gets either way. Directus 11: setup
// grants them. Directus 12 without a license refuses the update rule on
// directus_files that attaching needs (setup reports it): there a message
// with a file fails at once, saying why, and not a byte is uploaded; the
// caller's attachment checks do not apply and it returns.
func attachmentsOffered(t *testing.T, version string, c *client, up *testUploader) bool {
	t.Helper()
	offered := c.s.Permissions().Files
	if !strings.HasPrefix(version, "12.") {
		if !offered {
			t.Fatalf("the server set up by setup (Directus %s) offers no attachments: %+v", version, c.s.Permissions())
		}
		return true
	}
	if offered {
		t.Fatalf("Directus %s without a license offers attachments (%+v): setup cannot grant the update rule they need", version, c.s.Permissions())
	}
	m := c.sendFiles(c.general, unique("no files here"), pngFile(t, 4, 4))
	c.waitFor(20*time.Second, "the message with a file refused", func(c *client) bool {
		s, ok := c.lastStatus(m.ID)
		return ok && s.State == realtime.SendFailed
	})
	c.mu.Lock()
	st, _ := c.lastStatus(m.ID)
	c.mu.Unlock()
	if realtime.KindOf(st.Err) != realtime.KindForbidden || !strings.Contains(realtime.Describe(st.Err), "license") {
		t.Errorf("on Directus %s a message with a file failed with %v, want a refusal naming the license", version, st.Err)
	}
	if n := up.uploads.Load(); n != 0 {
		t.Errorf("on Directus %s %d uploads were tried for a server without attachments", version, n)
	}
	t.Logf("Directus %s: attachments are off, as setup reports; a message with a file says: %s", version, realtime.Describe(st.Err))
	return false
}

// sendFiles types a message with files the way the UI does.
func (c *client) sendFiles(channel, text string, fs ...realtime.Attachment) realtime.Message {
	m := c.s.SendFiles(channel, text, fs)
	c.mu.Lock()
	c.tl.AddPending(m)
	c.mu.Unlock()
	return m
}

// status is the last SendStatus of message id (lock held).
func (c *client) lastStatus(id string) (realtime.SendStatus, bool) {
	for i := len(c.events) - 1; i >= 0; i-- {
		if s, ok := c.events[i].(realtime.SendStatus); ok && s.ID == id {
			return s, true
		}
	}
	return realtime.SendStatus{}, false
}

// pngFile writes a w×h PNG and returns it as an attachment to send.
func pngFile(t *testing.T, w, h int) realtime.Attachment {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for x := range w {
		for y := range h {
			img.Set(x, y, color.RGBA{uint8(x * 4), uint8(y * 4), 200, 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return localFile(t, "picture.png", "image/png", b.Bytes())
}

// randomFile is n random bytes as an attachment to send.
func randomFile(t *testing.T, name string, n int) realtime.Attachment {
	t.Helper()
	data := make([]byte, n)
	_, _ = rand.Read(data)
	return localFile(t, name, "application/octet-stream", data)
}

func localFile(t *testing.T, name, typ string, data []byte) realtime.Attachment {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return realtime.Attachment{Path: path, Name: name, Type: typ, Size: int64(len(data))}
}

// adminGet reads path as the server's administrator into out (the data
// of the answer), returning the HTTP status.
func adminGet(t *testing.T, server, email, password, path string, out any) int {
	t.Helper()
	base, _ := realtime.ParseServerURL(server)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	tok, err := realtime.NewREST(base, nil).Login(ctx, email, password, "")
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, server+path, nil)
	req.Header.Set("Authorization", "Bearer "+tok.Access)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusOK && out != nil {
		var env struct {
			Data json.RawMessage `json:"data"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&env); err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		if err := json.Unmarshal(env.Data, out); err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
	}
	return resp.StatusCode
}

type storedFileRow struct {
	ID          string          `json:"id"`
	ChatMessage *string         `json:"chat_message"`
	Filesize    json.RawMessage `json:"filesize"`
	Folder      *string         `json:"folder"`
}

// userUploads lists the files user uploaded into the chat folder.
func userUploads(t *testing.T, server, email, password, user string) []storedFileRow {
	t.Helper()
	q := neturl.Values{}
	q.Set("filter", `{"_and":[{"uploaded_by":{"_eq":"`+user+`"}},{"folder":{"_eq":"`+provision.FilesFolderID+`"}}]}`)
	q.Set("fields", "id,chat_message,filesize,folder")
	q.Set("limit", "-1")
	var rows []storedFileRow
	if st := adminGet(t, server, email, password, "/files?"+q.Encode(), &rows); st != http.StatusOK {
		t.Fatalf("list uploads: HTTP %d", st)
	}
	return rows
}

func TestImageSentWithAMessageReachesTheOtherUserLive(t *testing.T) {
	env := channelsEnv(t)
	ada, kevin := env.Users[0], env.Users[1]
	up := newTestUploader(t, env.URL, 0)
	a := connectUploading(t, realtime.Config{Server: env.URL}, up, ada.Email, ada.Password)
	k := connect(t, realtime.Config{Server: env.URL}, kevin.Email, kevin.Password)
	if !attachmentsOffered(t, env.Server.Version, a, up) {
		return
	}
	pic := pngFile(t, 64, 48)
	text := unique("a picture")
	m := a.sendFiles(a.general, text, pic)
	if len(m.Files) != 1 || m.Files[0].ID == "" || m.Files[0].Path != pic.Path {
		t.Fatalf("the message as typed carries %+v", m.Files)
	}

	k.waitFor(20*time.Second, "Ada's picture at Kevin", func(c *client) bool { return c.count(text) == 1 })
	k.mu.Lock()
	got, _ := k.entry(text)
	k.mu.Unlock()
	if len(got.Files) != 1 {
		t.Fatalf("Kevin's copy has files %+v, want the picture", got.Files)
	}
	f := got.Files[0]
	if f.ID != m.Files[0].ID || f.Name != "picture.png" || f.Type != "image/png" || f.Width != 64 || f.Height != 48 || f.Size != pic.Size || f.Path != "" || !f.IsImage() {
		t.Errorf("Kevin sees the file as %+v, want picture.png, image/png, 64×48, %d bytes", f, pic.Size)
	}

	// Five files come out in the order they were attached (the server
	// lists them by their random ids).
	var five []realtime.Attachment
	var order []string
	for i := range 5 {
		name := fmt.Sprintf("part-%d.bin", i+1)
		five = append(five, randomFile(t, name, 100))
		order = append(order, name)
	}
	ordered := unique("five files")
	a.sendFiles(a.general, ordered, five...)
	k.waitFor(20*time.Second, "the five files at Kevin", func(c *client) bool { return c.count(ordered) == 1 })
	k.mu.Lock()
	got, _ = k.entry(ordered)
	k.mu.Unlock()
	var names []string
	for _, f := range got.Files {
		names = append(names, f.Name)
	}
	if !slices.Equal(names, order) {
		t.Errorf("Kevin sees the files as %v, attached as %v", names, order)
	}

	a.waitFor(20*time.Second, "the picture stored", func(c *client) bool { e, ok := c.entry(text); return ok && e.Status == timeline.Sent })
	a.mu.Lock()
	defer a.mu.Unlock()
	st, _ := a.lastStatus(m.ID)
	if st.Stored == nil || len(st.Stored.Files) != 1 || st.Stored.Files[0].Width != 64 {
		t.Errorf("delivered with the server's copy %+v, want the measured picture", st.Stored)
	}
	var last realtime.UploadProgress
	n := 0
	for _, ev := range a.events {
		if p, ok := ev.(realtime.UploadProgress); ok && p.Message == m.ID {
			last, n = p, n+1
		}
	}
	if n == 0 || last.Sent != pic.Size || last.Total != pic.Size {
		t.Errorf("%d progress events, the last %+v; want one ending at %d of %d", n, last, pic.Size, pic.Size)
	}
}

func TestDiscardCancelsAnUploadAndDeletesItsFiles(t *testing.T) {
	env := channelsEnv(t)
	ada, kevin := env.Users[0], env.Users[1]
	up := newTestUploader(t, env.URL, 2<<20)
	a := connectUploading(t, realtime.Config{Server: env.URL}, up, ada.Email, ada.Password)
	if !attachmentsOffered(t, env.Server.Version, a, up) {
		return
	}
	me := a.s.User().ID

	// Two files: the first is stored whole, the second is held half-way
	// when the message is discarded.
	first, second := pngFile(t, 8, 8), randomFile(t, "big.bin", 1<<20)
	second.ID = uuid.NewString()
	gate := up.hold(second.ID)
	defer close(gate)
	text := unique("never mind")
	m := a.s.SendFiles(a.general, text, []realtime.Attachment{first, second})
	if m.Files[0].ID == "" || m.Files[1].ID != second.ID {
		t.Fatalf("ids as typed: %+v", m.Files)
	}
	select {
	case id := <-up.held:
		if id != m.Files[1].ID {
			t.Fatalf("held %s, want the second file", id)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the second file's upload never began")
	}
	if err := a.s.Discard(m.ID); err != nil {
		t.Fatal(err)
	}
	deleted := map[string]bool{}
	for len(deleted) < 2 {
		select {
		case id := <-up.deleted:
			deleted[id] = true
		case <-time.After(20 * time.Second):
			t.Fatalf("deleted %v, want both files of the discarded message", deleted)
		}
	}
	for _, f := range m.Files {
		if !deleted[f.ID] {
			t.Errorf("file %s was not deleted", f.ID)
		}
		if st := adminGet(t, env.URL, env.AdminEmail, env.AdminPassword, "/files/"+f.ID+"?fields=id", nil); st == http.StatusOK {
			t.Errorf("file %s of the discarded message is still on the server", f.ID)
		}
	}
	if st := adminGet(t, env.URL, env.AdminEmail, env.AdminPassword, "/items/messages/"+m.ID+"?fields=id", nil); st == http.StatusOK {
		t.Error("the discarded message was stored")
	}

	// A file over the limit fails its message at once, saying which file;
	// discarding it leaves nothing behind either.
	huge := randomFile(t, "huge.bin", 3<<20)
	tooBig := a.s.SendFiles(a.general, unique("too big"), []realtime.Attachment{huge})
	a.waitFor(20*time.Second, "the too big file refused", func(c *client) bool {
		s, ok := c.lastStatus(tooBig.ID)
		return ok && s.State == realtime.SendFailed
	})
	a.mu.Lock()
	st, _ := a.lastStatus(tooBig.ID)
	a.mu.Unlock()
	if !errors.Is(st.Err, realtime.ErrUploadRefused) || !errors.Is(st.Err, files.ErrTooBig) || !strings.Contains(realtime.Describe(st.Err), `"huge.bin"`) || !strings.Contains(realtime.Describe(st.Err), "too big") {
		t.Errorf("refused with %v, want a refusal saying huge.bin is too big", st.Err)
	}
	t.Logf("refused: %s", realtime.Describe(st.Err))
	if err := a.s.Discard(tooBig.ID); err != nil {
		t.Fatal(err)
	}
	select {
	case <-up.deleted:
	case <-time.After(20 * time.Second):
		t.Fatal("the refused message's file was not deleted at discard")
	}
	for _, f := range userUploads(t, env.URL, env.AdminEmail, env.AdminPassword, me) {
		if f.ChatMessage == nil {
			t.Errorf("an upload of Ada's holds no message: %s", f.ID)
		}
	}

	// An app with no uploader cannot send files: the message says so.
	k := connect(t, realtime.Config{Server: env.URL}, kevin.Email, kevin.Password)
	lone := k.s.SendFiles(k.general, "", []realtime.Attachment{pngFile(t, 4, 4)})
	k.waitFor(20*time.Second, "the message failed", func(c *client) bool {
		s, ok := c.lastStatus(lone.ID)
		return ok && s.State == realtime.SendFailed
	})
	k.mu.Lock()
	st, _ = k.lastStatus(lone.ID)
	k.mu.Unlock()
	if realtime.KindOf(st.Err) != realtime.KindForbidden || !strings.Contains(st.Err.Error(), "uploader") {
		t.Errorf("without an uploader the message failed with %v", st.Err)
	}
}

// TestFilesSentAcrossAKill9AreStoredOnce: one message's upload is cut by
// kill -9 of Directus half-way, another message with a file is typed
// while the server is down, and the app quits before it comes back. The
// next run sends both from the outbox: each is stored once with its file,
// and no upload is left without its message.
func TestFilesSentAcrossAKill9AreStoredOnce(t *testing.T) {
	srv := devservertest.Start(t, devserver.Options{})
	devservertest.Provision(t, srv)
	ada := provision.DemoUsers()[0]
	db, err := store.Open(filepath.Join(t.TempDir(), "state.db"), quietLogger())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	cfg := fastReconnect(srv.URL)
	cfg.Outbox = func(server *neturl.URL, user realtime.User) (realtime.OutboxStore, error) {
		return db.Outbox(server.String(), user.ID), nil
	}
	up := newTestUploader(t, srv.URL, 0)
	first := connectUploading(t, cfg, up, ada.Email, ada.Password)
	if !attachmentsOffered(t, srv.Version, first, up) {
		return
	}
	me := first.s.User().ID

	big := randomFile(t, "data.bin", 1<<20)
	big.ID = uuid.NewString()
	gate := up.hold(big.ID)
	cut := first.sendFiles(first.general, unique("cut by the crash"), big)
	select {
	case <-up.held:
	case <-time.After(20 * time.Second):
		t.Fatal("the upload never began")
	}
	if err := srv.Kill(); err != nil {
		t.Fatal(err)
	}
	close(gate) // the rest of the file meets a dead server
	first.waitFor(20*time.Second, "offline after kill -9", func(c *client) bool {
		s, _ := c.state()
		return s.State == realtime.StateOffline || s.State == realtime.StateConnecting
	})
	first.waitFor(20*time.Second, "the cut upload waiting to go again", func(c *client) bool {
		s, ok := c.lastStatus(cut.ID)
		return ok && s.State == realtime.SendPending && s.Err != nil
	})
	first.mu.Lock()
	pending, _ := first.lastStatus(cut.ID)
	first.mu.Unlock()
	if d := realtime.Describe(pending.Err); !strings.Contains(d, `"data.bin"`) || realtime.KindOf(pending.Err) != realtime.KindServer {
		t.Errorf("the cut upload waits with %q, want it to name data.bin", d)
	}
	t.Logf("the cut upload waits: %s (%v)", realtime.Describe(pending.Err), pending.Err)
	pic := pngFile(t, 32, 16)
	typed := first.sendFiles(first.general, unique("typed while down"), pic)
	first.waitFor(10*time.Second, "both on disk", func(c *client) bool {
		n := 0
		for _, ev := range c.events {
			if p, ok := ev.(realtime.Persisted); ok && p.Err == nil {
				for _, id := range p.IDs {
					if id == cut.ID || id == typed.ID {
						n++
					}
				}
			}
		}
		return n == 2
	})
	first.s.Close() // the app quits with both unsent

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := srv.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	second := connectUploading(t, cfg, up, ada.Email, ada.Password)
	sent := map[string]realtime.Attachment{cut.ID: big, typed.ID: pic}
	second.waitFor(60*time.Second, "both delivered", func(c *client) bool {
		for id := range sent {
			if s, ok := c.lastStatus(id); !ok || s.State != realtime.SendDelivered {
				return false
			}
		}
		return true
	})
	if left, _ := db.Outbox(srv.URL, me).Load(); len(left) != 0 {
		t.Errorf("outbox still holds %d messages after delivery", len(left))
	}

	// On the server: each message once, with its one file, whole.
	for id, local := range map[string]realtime.Message{cut.ID: cut, typed.ID: typed} {
		var msgs []struct {
			ID    string          `json:"id"`
			Files []storedFileRow `json:"files"`
		}
		q := neturl.Values{}
		q.Set("filter", `{"text":{"_eq":`+jsonString(local.Text)+`}}`)
		q.Set("fields", "id,files.id,files.filesize,files.chat_message")
		if st := adminGet(t, srv.URL, srv.AdminEmail, srv.AdminPassword, "/items/messages?"+q.Encode(), &msgs); st != http.StatusOK {
			t.Fatalf("read messages: HTTP %d", st)
		}
		if len(msgs) != 1 || msgs[0].ID != id {
			t.Errorf("%q is stored %d times, want once as %s", local.Text, len(msgs), id)
			continue
		}
		fs := msgs[0].Files
		if len(fs) != 1 || fs[0].ID != local.Files[0].ID || strings.Trim(string(fs[0].Filesize), `"`) != strconv.FormatInt(sent[id].Size, 10) {
			t.Errorf("%q holds files %+v, want %s of %d bytes", local.Text, fs, local.Files[0].ID, sent[id].Size)
		}
	}
	uploads := userUploads(t, srv.URL, srv.AdminEmail, srv.AdminPassword, me)
	if len(uploads) != 2 {
		t.Errorf("Ada has %d uploads in the chat folder, want the 2 sent: %+v", len(uploads), uploads)
	}
	for _, f := range uploads {
		if f.ChatMessage == nil {
			t.Errorf("upload %s holds no message (an orphan)", f.ID)
		}
	}
	// Someone else reads it once, with its file.
	r := connect(t, realtime.Config{Server: srv.URL}, provision.DemoUsers()[1].Email, provision.DemoUsers()[1].Password)
	r.waitFor(10*time.Second, "history", func(c *client) bool { return c.count(typed.Text) == 1 && c.count(cut.Text) == 1 })
	r.mu.Lock()
	defer r.mu.Unlock()
	if e, _ := r.entry(typed.Text); len(e.Files) != 1 || e.Files[0].Width != 32 || e.Files[0].Height != 16 {
		t.Errorf("Kevin reads the picture as %+v", e.Files)
	}
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
