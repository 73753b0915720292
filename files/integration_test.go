package files_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"image"
	"image/color"
	"image/png"
	"io"
	"mime/multipart"
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
	"directuschat/files"
	"directuschat/provision"
)

func TestMain(m *testing.M) { devservertest.Main(m) }

// ---- REST helpers (the test's own, not the package's) ----

type answer struct {
	Status int
	Code   string
	Data   json.RawMessage
}

func rest(t *testing.T, method, u, token string, body any) answer {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		r = bytes.NewReader(b)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, u, r)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	var env struct {
		Data   json.RawMessage `json:"data"`
		Errors []struct {
			Extensions struct {
				Code string `json:"code"`
			} `json:"extensions"`
		} `json:"errors"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&env)
	a := answer{Status: resp.StatusCode, Data: env.Data}
	if len(env.Errors) > 0 {
		a.Code = env.Errors[0].Extensions.Code
	}
	return a
}

func login(t *testing.T, base, email, password string) string {
	t.Helper()
	a := rest(t, http.MethodPost, base+"/auth/login", "", map[string]string{"email": email, "password": password, "mode": "json"})
	var out struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(a.Data, &out); err != nil || out.AccessToken == "" {
		t.Fatalf("login %s: %d %s", email, a.Status, a.Code)
	}
	return out.AccessToken
}

func userID(t *testing.T, base, token string) string {
	t.Helper()
	var me struct {
		ID string `json:"id"`
	}
	a := rest(t, http.MethodGet, base+"/users/me?fields=id", token, nil)
	if err := json.Unmarshal(a.Data, &me); err != nil || me.ID == "" {
		t.Fatalf("own id: %d %s", a.Status, a.Data)
	}
	return me.ID
}

// privateChannel creates, as admin, a private channel with these members.
func privateChannel(t *testing.T, base, admin string, members ...string) string {
	t.Helper()
	id := uuid.NewString()
	if a := rest(t, http.MethodPost, base+"/items/channels", admin, map[string]any{"id": id, "kind": provision.KindPrivate, "name": "files-" + id[:8]}); a.Status != http.StatusOK {
		t.Fatalf("create private channel: %d %s", a.Status, a.Code)
	}
	for _, m := range members {
		body := map[string]any{"id": uuid.NewString(), "channel": id, "user": m, "member_key": id + ":" + m}
		if a := rest(t, http.MethodPost, base+"/items/channel_members", admin, body); a.Status != http.StatusOK {
			t.Fatalf("add member: %d %s", a.Status, a.Code)
		}
	}
	return id
}

// fileRow reads a file's row as admin; ok is false when there is none.
func fileRow(t *testing.T, base, admin, id string) (row struct {
	ChatMessage *string `json:"chat_message"`
	Filesize    *int64  `json:"filesize"`
}, ok bool) {
	t.Helper()
	f, _ := json.Marshal(map[string]any{"id": map[string]any{"_eq": id}})
	a := rest(t, http.MethodGet, base+"/files?"+url.Values{"filter": {string(f)}, "fields": {"id,chat_message,filesize"}}.Encode(), admin, nil)
	var rows []json.RawMessage
	if err := json.Unmarshal(a.Data, &rows); err != nil {
		t.Fatalf("read file row: %d %s", a.Status, a.Data)
	}
	if len(rows) == 0 {
		return row, false
	}
	if err := json.Unmarshal(rows[0], &row); err != nil {
		t.Fatal(err)
	}
	return row, true
}

// ---- the client under test, with every request recorded ----

// recorder is the client's transport: it records each request's URL and
// Authorization header, to check that the token is never in a URL.
type recorder struct {
	mu   sync.Mutex
	reqs []string // "METHOD URL"
	auth []string
	next http.RoundTripper
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	r.mu.Lock()
	r.reqs = append(r.reqs, req.Method+" "+req.URL.String())
	r.auth = append(r.auth, req.Header.Get("Authorization"))
	r.mu.Unlock()
	return r.next.RoundTrip(req)
}

func (r *recorder) count(prefix string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, q := range r.reqs {
		if strings.HasPrefix(q, prefix) {
			n++
		}
	}
	return n
}

// checkTokens fails when a token appears in a URL, or a request went
// without one in its Authorization header.
func (r *recorder) checkTokens(t *testing.T, tokens ...string) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.reqs) == 0 {
		t.Fatal("no request recorded")
	}
	for i, q := range r.reqs {
		for _, tok := range tokens {
			if strings.Contains(q, tok) || strings.Contains(q, url.QueryEscape(tok)) {
				t.Errorf("a token is in the URL of request %d (%s ...)", i, strings.SplitN(q, "?", 2)[0])
			}
		}
		if !strings.HasPrefix(r.auth[i], "Bearer ") || len(r.auth[i]) < 20 {
			t.Errorf("request %d (%s) has no bearer token", i, strings.SplitN(q, "?", 2)[0])
		}
		if strings.Contains(q, "access_token") {
			t.Errorf("request %d has access_token in its URL", i)
		}
	}
	t.Logf("%d requests, none with a token in its URL", len(r.reqs))
}

func newClient(t *testing.T, base, token string, rec *recorder, cfg files.Config) *files.Client {
	t.Helper()
	cfg.BaseURL = base
	cfg.Token = func(context.Context) (string, error) { return token, nil }
	cfg.HTTPClient = &http.Client{Transport: rec}
	if cfg.CacheDir == "" {
		cfg.CacheDir = t.TempDir()
	}
	c, err := files.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func newRecorder() *recorder { return &recorder{next: http.DefaultTransport} }

func pngFile(t *testing.T, w, h int) (string, []byte) {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, color.NRGBA{uint8(x), uint8(y), 200, 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "photo.png")
	if err := os.WriteFile(p, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return p, b.Bytes()
}

func randomFile(t *testing.T, size int) (string, []byte) {
	t.Helper()
	b := make([]byte, size)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "data.bin")
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p, b
}

// progressLog records progress calls (made from the transport's goroutine).
type progressLog struct {
	mu    sync.Mutex
	calls int
	last  int64
	total int64
	back  bool // went backwards
}

func (p *progressLog) fn(done, total int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if done < p.last {
		p.back = true
	}
	p.calls++
	p.last, p.total = done, total
}

func (p *progressLog) check(t *testing.T, want int64) {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.calls == 0 || p.last != want || p.total != want || p.back {
		t.Fatalf("progress: %d calls, last %d of %d (backwards %t), want to reach %d", p.calls, p.last, p.total, p.back, want)
	}
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

type users struct {
	admin                string
	ada, kevin, grace    string // tokens
	adaID, kevinID, grID string
}

func signIn(t *testing.T, env *devservertest.Env) users {
	u := users{admin: login(t, env.URL, env.AdminEmail, env.AdminPassword)}
	u.ada = login(t, env.URL, env.Users[0].Email, env.Users[0].Password)
	u.kevin = login(t, env.URL, env.Users[1].Email, env.Users[1].Password)
	u.grace = login(t, env.URL, env.Users[2].Email, env.Users[2].Password)
	u.adaID, u.kevinID, u.grID = userID(t, env.URL, u.ada), userID(t, env.URL, u.kevin), userID(t, env.URL, u.grace)
	return u
}

func restricted(env *devservertest.Env) bool {
	return len(env.Report.Wider) > 0 || len(env.Report.Omitted) > 0
}

func wantKind(t *testing.T, what string, err error, k files.Kind) {
	t.Helper()
	if files.KindOf(err) != k {
		t.Fatalf("%s: %v (kind %d), want kind %d", what, err, files.KindOf(err), k)
	}
}

// TestAttachmentAccess: who reads, attaches and deletes what.
func TestAttachmentAccess(t *testing.T) {
	env := devservertest.Shared(t)
	u := signIn(t, env)
	ctx := ctxT(t)
	rec := newRecorder()
	ada := newClient(t, env.URL, u.ada, rec, files.Config{})
	kevin := newClient(t, env.URL, u.kevin, rec, files.Config{})
	grace := newClient(t, env.URL, u.grace, rec, files.Config{})
	priv := privateChannel(t, env.URL, u.admin, u.adaID, u.kevinID)
	if restricted(env) {
		// Directus 12 without a license: uploads work, every chat user
		// reads every file, and attaching is refused (no update
		// permission on directus_files: setup reports it).
		id := uuid.NewString()
		if _, err := ada.Upload(ctx, id, files.ReaderSource(strings.NewReader("hi"), "hi.txt", 2), provision.FilesFolderID, nil); err != nil {
			t.Fatalf("upload on a restricted server: %v", err)
		}
		if _, err := grace.Stat(ctx, id); err != nil {
			t.Fatalf("on a restricted server every chat user reads every file: %v", err)
		}
		a := rest(t, http.MethodPost, env.URL+"/items/messages", u.ada, map[string]any{"id": uuid.NewString(), "text": "x", "channel": priv, "files": []string{id}})
		if a.Status != http.StatusForbidden {
			t.Fatalf("attach on a restricted server: %d %s, want 403", a.Status, a.Code)
		}
		t.Skip("the server refuses narrow permissions (Directus 12 without a license): attaching is not granted")
	}

	path, img := pngFile(t, 600, 400)
	src, err := files.FileSource(path)
	if err != nil {
		t.Fatal(err)
	}
	var prog progressLog
	id := uuid.NewString()
	f, err := ada.Upload(ctx, id, src, provision.FilesFolderID, prog.fn)
	if err != nil {
		t.Fatal(err)
	}
	prog.check(t, int64(len(img)))
	if f.ID != id || f.Name != "photo.png" || f.Type != "image/png" || f.Size != int64(len(img)) || f.Width != 600 || f.Height != 400 {
		t.Fatalf("uploaded: %+v", f)
	}

	// The uploader reads the orphan; nobody else does.
	if _, err := ada.Stat(ctx, id); err != nil {
		t.Fatalf("the uploader reads the own orphan: %v", err)
	}
	_, err = kevin.Stat(ctx, id)
	wantKind(t, "another user reads the orphan", err, files.KindForbidden)
	_, err = kevin.Thumbnail(ctx, id, 100, 100)
	wantKind(t, "another user reads the orphan's thumbnail (/assets)", err, files.KindForbidden)
	_, err = kevin.Download(ctx, id, t.TempDir(), nil)
	wantKind(t, "another user downloads the orphan", err, files.KindForbidden)
	if a := rest(t, http.MethodGet, env.URL+"/assets/"+id, u.kevin, nil); a.Status != http.StatusForbidden && a.Status != http.StatusNotFound {
		t.Fatalf("another user GET /assets/<orphan>: %d", a.Status)
	}

	// Another user cannot attach it.
	a := rest(t, http.MethodPost, env.URL+"/items/messages", u.kevin, map[string]any{"id": uuid.NewString(), "text": "mine now", "channel": priv, "files": []string{id}})
	if a.Status != http.StatusForbidden {
		t.Fatalf("another user attaches the orphan: %d %s", a.Status, a.Code)
	}
	if row, ok := fileRow(t, env.URL, u.admin, id); !ok || row.ChatMessage != nil {
		t.Fatalf("after another user's attempt: %+v %t", row, ok)
	}

	// Sent with a message: in one request.
	msg := uuid.NewString()
	a = rest(t, http.MethodPost, env.URL+"/items/messages?fields=id,files.id", u.ada, map[string]any{"id": msg, "text": "a photo", "channel": priv, "files": []string{id}})
	if a.Status != http.StatusOK || !strings.Contains(string(a.Data), id) {
		t.Fatalf("create a message with the file: %d %s %s", a.Status, a.Code, a.Data)
	}

	// A member reads it, its thumbnail and its bytes.
	a = rest(t, http.MethodGet, env.URL+"/items/messages/"+msg+"?fields=files.id,files.filename_download,files.type,files.filesize,files.width,files.height", u.kevin, nil)
	var read struct {
		Files []struct {
			ID       string `json:"id"`
			Name     string `json:"filename_download"`
			Type     string `json:"type"`
			Filesize json.Number
			Width    int `json:"width"`
			Height   int `json:"height"`
		} `json:"files"`
	}
	if err := json.Unmarshal(a.Data, &read); err != nil || len(read.Files) != 1 || read.Files[0].ID != id || read.Files[0].Width != 600 {
		t.Fatalf("a member reads the message's files: %d %s (%v)", a.Status, a.Data, err)
	}
	if _, err := kevin.Stat(ctx, id); err != nil {
		t.Fatalf("a member reads the file: %v", err)
	}
	for _, box := range [][2]int{{120, 120}, {50, 200}, {2000, 2000}} {
		b, err := kevin.Thumbnail(ctx, id, box[0], box[1])
		if err != nil {
			t.Fatalf("a member reads the thumbnail: %v", err)
		}
		th, err := files.DecodeThumbnail(b)
		if err != nil {
			t.Fatal(err)
		}
		w, h := th.Bounds().Dx(), th.Bounds().Dy()
		if w > box[0] || h > box[1] || w > 600 || h > 400 || (w != box[0] && h != box[1] && w != 600) {
			t.Fatalf("thumbnail in %v: %d×%d", box, w, h)
		}
		t.Logf("thumbnail in %d×%d: %d×%d, %d bytes", box[0], box[1], w, h, len(b))
	}
	dir := t.TempDir()
	p, err := kevin.Download(ctx, id, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(p); !bytes.Equal(got, img) || filepath.Base(p) != "photo.png" {
		t.Fatalf("download: %s, %d bytes", p, len(got))
	}

	// Not a member of the private channel: refused.
	_, err = grace.Stat(ctx, id)
	wantKind(t, "a non-member reads the file", err, files.KindForbidden)
	_, err = grace.Thumbnail(ctx, id, 100, 100)
	wantKind(t, "a non-member reads the thumbnail", err, files.KindForbidden)
	_, err = grace.Download(ctx, id, t.TempDir(), nil)
	wantKind(t, "a non-member downloads", err, files.KindForbidden)

	// The uploader cannot move it to another message, nor detach or
	// delete it.
	a = rest(t, http.MethodPost, env.URL+"/items/messages", u.ada, map[string]any{"id": uuid.NewString(), "text": "again", "channel": priv, "files": []string{id}})
	if a.Status != http.StatusForbidden {
		t.Fatalf("re-attach an attached file: %d %s", a.Status, a.Code)
	}
	if a := rest(t, http.MethodPatch, env.URL+"/files/"+id, u.ada, map[string]any{"chat_message": nil}); a.Status != http.StatusForbidden {
		t.Fatalf("detach an attached file: %d %s", a.Status, a.Code)
	}
	wantKind(t, "delete an attached file", ada.Delete(ctx, id), files.KindForbidden)
	if row, ok := fileRow(t, env.URL, u.admin, id); !ok || row.ChatMessage == nil || *row.ChatMessage != msg {
		t.Fatalf("the attached file moved: %+v %t", row, ok)
	}

	// An upload cannot attach itself.
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	_ = mw.WriteField("id", uuid.NewString())
	_ = mw.WriteField("chat_message", msg)
	fw, _ := mw.CreateFormFile("file", "sneaky.txt")
	_, _ = fw.Write([]byte("hello"))
	_ = mw.Close()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, env.URL+"/files", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+u.ada)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("an upload that sets chat_message: %s", resp.Status)
	}

	// Deleting the message leaves the file an orphan its uploader may
	// delete.
	if a := rest(t, http.MethodDelete, env.URL+"/items/messages/"+msg, u.ada, nil); a.Status != http.StatusNoContent {
		t.Fatalf("delete the message: %d %s", a.Status, a.Code)
	}
	if row, ok := fileRow(t, env.URL, u.admin, id); !ok || row.ChatMessage != nil {
		t.Fatalf("after the message's delete: %+v %t", row, ok)
	}
	_, err = kevin.Stat(ctx, id)
	wantKind(t, "a member reads the orphan of a deleted message", err, files.KindForbidden)
	if err := ada.Delete(ctx, id); err != nil {
		t.Fatalf("the uploader deletes the orphan: %v", err)
	}
	if _, ok := fileRow(t, env.URL, u.admin, id); ok {
		t.Fatal("the deleted file is still there")
	}

	// Another's orphan cannot be deleted.
	gid := uuid.NewString()
	if _, err := grace.Upload(ctx, gid, files.ReaderSource(strings.NewReader("grace's"), "g.txt", 7), provision.FilesFolderID, nil); err != nil {
		t.Fatal(err)
	}
	wantKind(t, "delete another's orphan", ada.Delete(ctx, gid), files.KindForbidden)
	if err := grace.Delete(ctx, gid); err != nil {
		t.Fatal(err)
	}
	rec.checkTokens(t, u.ada, u.kevin, u.grace)
}

// TestUploadIsIdempotent: the same id again returns the stored file without
// sending it; an incomplete one (an upload killed mid-way) is replaced.
func TestUploadIsIdempotent(t *testing.T) {
	env := devservertest.Shared(t)
	if restricted(env) {
		t.Skip("no delete permission on a restricted server")
	}
	u := signIn(t, env)
	ctx := ctxT(t)
	rec := newRecorder()
	ada := newClient(t, env.URL, u.ada, rec, files.Config{})
	path, data := randomFile(t, 1<<20)
	src, err := files.FileSource(path)
	if err != nil {
		t.Fatal(err)
	}
	id := uuid.NewString()
	first, err := ada.Upload(ctx, id, src, provision.FilesFolderID, nil)
	if err != nil {
		t.Fatal(err)
	}
	var prog progressLog
	again, err := ada.Upload(ctx, id, src, provision.FilesFolderID, prog.fn)
	if err != nil || again != first {
		t.Fatalf("second upload: %+v %v, first %+v", again, err, first)
	}
	if prog.calls != 0 || rec.count(http.MethodPost+" ") != 1 {
		t.Fatalf("the second upload sent the file again (%d progress calls, %d POSTs)", prog.calls, rec.count(http.MethodPost+" "))
	}

	// An upload killed mid-way: its row stays, with no size.
	id2 := uuid.NewString()
	killed := killedUpload(t, env.URL, u.ada, id2, data[:256<<10])
	defer killed()
	for deadline := time.Now().Add(30 * time.Second); ; {
		if row, ok := fileRow(t, env.URL, u.admin, id2); ok && (row.Filesize == nil || *row.Filesize == 0) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the killed upload's row did not appear")
		}
		time.Sleep(20 * time.Millisecond) // polling the server, not ordering goroutines
	}
	killed()
	var prog2 progressLog
	f, err := ada.Upload(ctx, id2, src, provision.FilesFolderID, prog2.fn)
	if err != nil {
		t.Fatalf("retry after a killed upload: %v", err)
	}
	prog2.check(t, int64(len(data)))
	if row, ok := fileRow(t, env.URL, u.admin, id2); !ok || row.Filesize == nil || *row.Filesize != int64(len(data)) || f.Size != int64(len(data)) {
		t.Fatalf("after the retry: %+v %t, %+v", row, ok, f)
	}
	p, err := ada.Download(ctx, id2, t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(p); !bytes.Equal(got, data) {
		t.Fatal("the retried upload's bytes differ")
	}
	for _, x := range []string{id, id2} {
		if err := ada.Delete(ctx, x); err != nil {
			t.Fatal(err)
		}
	}
	rec.checkTokens(t, u.ada)
}

// killedUpload starts a multipart upload of file id that sends part and
// then waits; the returned function breaks its connection.
func killedUpload(t *testing.T, base, token, id string, part []byte) func() {
	t.Helper()
	var head bytes.Buffer
	mw := multipart.NewWriter(&head)
	_ = mw.WriteField("id", id)
	_ = mw.WriteField("folder", provision.FilesFolderID)
	if _, err := mw.CreateFormFile("file", "data.bin"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	stall := make(chan struct{})
	body := io.MultiReader(bytes.NewReader(head.Bytes()), bytes.NewReader(part), readerFunc(func([]byte) (int, error) {
		select {
		case <-stall:
		case <-ctx.Done():
		}
		return 0, errors.New("killed")
	}))
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/files", body)
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = int64(head.Len()+len(part)) + 1<<20
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+token)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			cancel()
			<-done
		})
	}
}

type readerFunc func([]byte) (int, error)

func (f readerFunc) Read(p []byte) (int, error) { return f(p) }

// zeros is a source of n zero bytes made on the fly.
func zeros(n int64) files.Source {
	return files.Source{Name: "big.bin", Size: n, Open: func() (io.ReadCloser, error) {
		return io.NopCloser(io.LimitReader(zeroReader{}, n)), nil
	}}
}

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// TestCancelLeavesNoRecord: canceling an upload mid-way leaves no file row
// (Directus itself would keep a row with no size forever).
func TestCancelLeavesNoRecord(t *testing.T) {
	env := devservertest.Shared(t)
	if restricted(env) {
		t.Skip("no delete permission on a restricted server")
	}
	u := signIn(t, env)
	rec := newRecorder()
	ada := newClient(t, env.URL, u.ada, rec, files.Config{})
	ctx, cancel := context.WithCancel(ctxT(t))
	defer cancel()
	id := uuid.NewString()
	var canceledAt int64
	_, err := ada.Upload(ctx, id, zeros(256<<20), provision.FilesFolderID, func(sent, total int64) {
		if sent >= 4<<20 && canceledAt == 0 {
			canceledAt = sent
			cancel()
		}
	})
	wantKind(t, "a canceled upload", err, files.KindCanceled)
	if canceledAt == 0 {
		t.Fatal("not canceled mid-way")
	}
	if row, ok := fileRow(t, env.URL, u.admin, id); ok {
		t.Fatalf("a canceled upload left its row: %+v", row)
	}
	rec.checkTokens(t, u.ada)
}

// TestTooBig: a server with a 100 KB limit and resumable uploads on. A
// client that has not asked for the limit sends the first file over it,
// refused (413, no row left); then a file at least as big is refused
// before a byte is sent. Limits reads the exact limit from the server's TUS
// endpoint (Tus-Max-Size), and a file over it is refused before it is
// sent. A limit the application knows is used from the start. A server
// without TUS says no limit.
func TestTooBig(t *testing.T) {
	s := devservertest.Start(t, devserver.Options{Env: map[string]string{"FILES_MAX_UPLOAD_SIZE": "100kb", "TUS_ENABLED": "true"}})
	rep := devservertest.Provision(t, s)
	if len(rep.Omitted) > 0 {
		t.Skip("no delete permission on a restricted server: Directus cannot remove a refused upload's row")
	}
	admin := login(t, s.URL, s.AdminEmail, s.AdminPassword)
	tok := login(t, s.URL, rep.DemoUsers[0].Email, rep.DemoUsers[0].Password)
	ctx := ctxT(t)
	rec := newRecorder()
	ada := newClient(t, s.URL, tok, rec, files.Config{})

	id := uuid.NewString()
	_, err := ada.Upload(ctx, id, zeros(300<<10), provision.FilesFolderID, nil)
	var tb *files.TooBigError
	if !errors.Is(err, files.ErrTooBig) || !errors.As(err, &tb) || !tb.Sent || tb.Size != 300<<10 {
		t.Fatalf("300 KB on a 100 KB server: %v", err)
	}
	t.Logf("first refusal: %v", err)
	if row, ok := fileRow(t, s.URL, admin, id); ok {
		t.Fatalf("a refused upload left its row: %+v", row)
	}

	posts := rec.count(http.MethodPost + " ")
	var prog progressLog
	_, err = ada.Upload(ctx, uuid.NewString(), zeros(300<<10), provision.FilesFolderID, prog.fn)
	if !errors.As(err, &tb) || tb.Sent || tb.Exact || tb.Limit != 300<<10-1 {
		t.Fatalf("300 KB again: %v", err)
	}
	if rec.count(http.MethodPost+" ") != posts || prog.calls != 0 {
		t.Fatalf("a file known to be too big was sent (%d POSTs, %d progress calls)", rec.count(http.MethodPost+" ")-posts, prog.calls)
	}
	t.Logf("refused before sending: %v", err)

	// The server says its limit (TUS on).
	if limit, err := ada.Limits(ctx); err != nil || limit != 100<<10 {
		t.Fatalf("limits from the server: %d %v, want %d", limit, err, 100<<10)
	}
	_, err = ada.Upload(ctx, uuid.NewString(), zeros(150<<10), provision.FilesFolderID, nil)
	if !errors.As(err, &tb) || tb.Sent || !tb.Exact || tb.Limit != 100<<10 || rec.count(http.MethodPost+" ") != posts {
		t.Fatalf("150 KB with the server's 100 KB limit known: %v", err)
	}
	if !strings.Contains(err.Error(), "150 KB") || !strings.Contains(err.Error(), "100 KB") {
		t.Fatalf("the error does not give the sizes: %v", err)
	}

	small := uuid.NewString()
	if _, err := ada.Upload(ctx, small, zeros(50<<10), provision.FilesFolderID, nil); err != nil {
		t.Fatalf("50 KB: %v", err)
	}

	known := newClient(t, s.URL, tok, rec, files.Config{MaxUploadBytes: 100 << 10})
	posts = rec.count(http.MethodPost + " ")
	_, err = known.Upload(ctx, uuid.NewString(), zeros(150<<10), provision.FilesFolderID, nil)
	if !errors.As(err, &tb) || tb.Sent || !tb.Exact || tb.Limit != 100<<10 || rec.count(http.MethodPost+" ") != posts {
		t.Fatalf("150 KB with a known 100 KB limit: %v", err)
	}
	rec.checkTokens(t, tok)

	// The dev server (README's run command, the shared test server) has
	// TUS on and a 100 MB limit: the app can say it before an upload.
	env := devservertest.Shared(t)
	u := signIn(t, env)
	shared := newClient(t, env.URL, u.ada, newRecorder(), files.Config{})
	if limit, err := shared.Limits(ctx); err != nil || limit != devserver.MaxUploadBytes {
		t.Fatalf("limits of the dev server: %d %v, want %d", limit, err, devserver.MaxUploadBytes)
	}
}

// TestDownloadHostileNames: names from the server are made safe, never
// leave the folder, and never replace a file.
func TestDownloadHostileNames(t *testing.T) {
	env := devservertest.Shared(t)
	u := signIn(t, env)
	ctx := ctxT(t)
	rec := newRecorder()
	ada := newClient(t, env.URL, u.ada, rec, files.Config{})
	content := []byte("the content")
	id := uuid.NewString()
	if _, err := ada.Upload(ctx, id, files.ReaderSource(bytes.NewReader(content), "ok.txt", int64(len(content))), provision.FilesFolderID, nil); err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	dl := filepath.Join(root, "dl")
	if err := os.Mkdir(dl, 0o755); err != nil {
		t.Fatal(err)
	}
	// A planted link where a download would go.
	victim := filepath.Join(root, "victim")
	if err := os.WriteFile(victim, []byte("keep"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(victim, filepath.Join(dl, "linked.txt")); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{
		"../../etc/passwd", `C:\x`, "CON.txt", strings.Repeat("n", 10<<10) + ".txt", "invoice\u202Etxt.exe",
		"..", "/", "linked.txt", "a/b/../../c.txt", "normal.txt", "normal.txt",
	} {
		if a := rest(t, http.MethodPatch, env.URL+"/files/"+id, u.admin, map[string]any{"filename_download": name}); a.Status != http.StatusOK {
			t.Fatalf("set name %.40q: %d %s", name, a.Status, a.Code)
		}
		p, err := ada.Download(ctx, id, dl, nil)
		if err != nil {
			t.Fatalf("download %.40q: %v", name, err)
		}
		base := filepath.Base(p)
		if filepath.Dir(p) != dl || len(base) > files.MaxNameBytes+8 || strings.ContainsAny(base, "/\\\u202E") || base == ".." {
			t.Fatalf("%.40q saved as %q", name, p)
		}
		if got, _ := os.ReadFile(p); !bytes.Equal(got, content) {
			t.Fatalf("%.40q: content differs", name)
		}
		t.Logf("%.40q -> %q", name, base)
	}
	if b, _ := os.ReadFile(victim); string(b) != "keep" {
		t.Fatal("the download wrote through the planted link")
	}
	for _, want := range []string{"_CON.txt", "normal.txt", "normal (2).txt", "linked (2).txt", "invoicetxt.exe", "download", "C__x"} {
		if _, err := os.Lstat(filepath.Join(dl, want)); err != nil {
			t.Errorf("no %q in the folder: %v", want, err)
		}
	}
	des, _ := os.ReadDir(root)
	if len(des) != 2 {
		t.Fatalf("something was written beside the folder: %v", des)
	}
	left, _ := filepath.Glob(filepath.Join(dl, ".directuschat-*"))
	if len(left) > 0 {
		t.Fatalf("temporary files left: %v", left)
	}
	if err := ada.Delete(ctx, id); err != nil && !restricted(env) {
		t.Fatal(err)
	}
	rec.checkTokens(t, u.ada)
}
