package files

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
)

func pngOf(t testing.TB, w, h int) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, color.NRGBA{uint8(x), uint8(y), uint8(x ^ y), 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// bombPNG is a PNG header claiming w×h pixels with no pixel data.
func bombPNG(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	chunk := func(typ string, data []byte) {
		_ = binary.Write(&b, binary.BigEndian, uint32(len(data)))
		b.WriteString(typ)
		b.Write(data)
		_ = binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(append([]byte(typ), data...)))
	}
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 6 // 8-bit RGBA
	chunk("IHDR", ihdr)
	chunk("IDAT", []byte{0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01})
	chunk("IEND", nil)
	return b.Bytes()
}

func TestDecodeThumbnail(t *testing.T) {
	img, err := DecodeThumbnail(pngOf(t, 40, 30))
	if err != nil || img.Bounds().Dx() != 40 || img.Bounds().Dy() != 30 {
		t.Fatalf("40×30 PNG: %v, %v", img, err)
	}
	for _, c := range []struct {
		name string
		b    []byte
	}{
		{"100000×100000 header", bombPNG(100000, 100000)},
		{"4097×1", bombPNG(MaxThumbnailSide+1, 1)},
		{"1×4097", bombPNG(1, MaxThumbnailSide+1)},
		{"not an image", []byte("%PDF-1.4 hello")},
		{"empty", nil},
	} {
		if _, err := DecodeThumbnail(c.b); !errors.Is(err, ErrNotThumbnail) {
			t.Errorf("%s: %v, want ErrNotThumbnail", c.name, err)
		}
	}
}

// thumbServer serves a PNG of the requested size for any /assets/<id> and
// counts the requests per id and size.
type thumbServer struct {
	*httptest.Server
	mu   sync.Mutex
	hits map[string]int
}

func newThumbServer(t *testing.T) *thumbServer {
	s := &thumbServer{hits: map[string]int{}}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, ok := strings.CutPrefix(r.URL.Path, "/assets/")
		if !ok {
			http.NotFound(w, r)
			return
		}
		wd, _ := strconv.Atoi(r.URL.Query().Get("width"))
		ht, _ := strconv.Atoi(r.URL.Query().Get("height"))
		s.mu.Lock()
		s.hits[id+" "+strconv.Itoa(wd)]++
		s.mu.Unlock()
		w.Header().Set("Content-Type", "image/png")
		_, _ = w.Write(pngOf(t, wd, ht))
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *thumbServer) hit(id string, w int) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits[id+" "+strconv.Itoa(w)]
}

func dirSize(t *testing.T, dir string) (n int64, files int) {
	t.Helper()
	des, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, de := range des {
		info, err := de.Info()
		if err != nil {
			t.Fatal(err)
		}
		n += info.Size()
		files++
	}
	return n, files
}

// TestThumbnailCacheEvictsLeastRecentlyUsed: the cache keeps at most its
// bound on disk, and drops the thumbnail used longest ago first, also
// across a restart (a new Client on the same folder).
func TestThumbnailCacheEvictsLeastRecentlyUsed(t *testing.T) {
	srv := newThumbServer(t)
	dir := filepath.Join(t.TempDir(), "thumbs")
	size := int64(len(pngOf(t, 32, 32)))
	bound := 3*size + size/2 // room for three
	newClient := func() *Client {
		c, err := New(Config{BaseURL: srv.URL, Token: staticToken("t"), CacheDir: dir, CacheBytes: bound})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	c := newClient()
	ctx := context.Background()
	ids := []string{uuid.NewString(), uuid.NewString(), uuid.NewString(), uuid.NewString()}
	get := func(c *Client, id string) {
		t.Helper()
		b, err := c.Thumbnail(ctx, id, 32, 32)
		if err != nil {
			t.Fatal(err)
		}
		if img, err := DecodeThumbnail(b); err != nil || img.Bounds().Dx() != 32 {
			t.Fatalf("decode: %v", err)
		}
	}
	get(c, ids[0])
	get(c, ids[1])
	get(c, ids[2])
	get(c, ids[0]) // cached, and now the most recently used
	if n := srv.hit(ids[0], 32); n != 1 {
		t.Fatalf("a cached thumbnail was read %d times from the server", n)
	}
	get(c, ids[3]) // over the bound: ids[1] goes
	if n, files := dirSize(t, dir); n > bound {
		t.Fatalf("cache holds %d bytes in %d files, bound %d", n, files, bound)
	}
	get(c, ids[0])
	get(c, ids[2])
	if srv.hit(ids[0], 32) != 1 || srv.hit(ids[2], 32) != 1 {
		t.Fatalf("recently used thumbnails were evicted: %v", srv.hits)
	}
	get(c, ids[1])
	if n := srv.hit(ids[1], 32); n != 2 {
		t.Fatalf("the least recently used thumbnail was read %d times, want 2 (evicted, read again)", n)
	}
	// Another size is another entry.
	get(c, ids[1])
	if _, err := c.Thumbnail(ctx, ids[1], 16, 16); err != nil || srv.hit(ids[1], 16) != 1 {
		t.Fatalf("another size: %v, %d reads", err, srv.hit(ids[1], 16))
	}

	// After a restart the order of use is read back from the folder.
	c2 := newClient()
	if n, _ := dirSize(t, dir); n > bound {
		t.Fatalf("cache holds %d bytes after a restart, bound %d", n, bound)
	}
	before := srv.hit(ids[1], 32)
	get(c2, ids[1]) // the most recently used one: still cached
	if srv.hit(ids[1], 32) != before {
		t.Fatalf("after a restart the most recently used thumbnail is not cached")
	}
	// File names are hashes, never text from the server.
	des, _ := os.ReadDir(dir)
	for _, de := range des {
		if strings.Contains(de.Name(), ids[0][:8]) || strings.Contains(de.Name(), "127.0.0.1") {
			t.Fatalf("cache file named after the request: %s", de.Name())
		}
	}
}

func staticToken(tok string) func(context.Context) (string, error) {
	return func(context.Context) (string, error) { return tok, nil }
}

// TestRedirectRefused: no request follows a redirect, so the token never
// reaches the place the server points at.
func TestRedirectRefused(t *testing.T) {
	var elsewhere sync.Map
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		elsewhere.Store(r.Method+" "+r.URL.Path, r.Header.Get("Authorization"))
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"data":{}}`))
	}))
	defer target.Close()
	for _, code := range []int{http.StatusMovedPermanently, http.StatusFound, http.StatusTemporaryRedirect, http.StatusPermanentRedirect} {
		origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, target.URL+r.URL.RequestURI(), code)
		}))
		c, err := New(Config{BaseURL: origin.URL, Token: staticToken("secret-token"), CacheDir: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		id := uuid.NewString()
		src := ReaderSource(strings.NewReader("hello"), "a.txt", 5)
		checks := map[string]error{}
		_, checks["limits"] = c.Limits(ctx)
		_, checks["stat"] = c.Stat(ctx, id)
		_, checks["upload"] = c.Upload(ctx, id, src, "", nil)
		_, checks["thumbnail"] = c.Thumbnail(ctx, id, 10, 10)
		_, checks["download"] = c.Download(ctx, id, t.TempDir(), nil)
		checks["delete"] = c.Delete(ctx, id)
		for what, err := range checks {
			if KindOf(err) != KindRedirected || !strings.Contains(err.Error(), target.URL) {
				t.Errorf("HTTP %d, %s: %v, want a refused redirect naming %s", code, what, err, target.URL)
			}
		}
		origin.Close()
	}
	elsewhere.Range(func(k, v any) bool {
		t.Errorf("the redirect target got %s (Authorization %q)", k, v)
		return true
	})
}

func TestXDGUserDir(t *testing.T) {
	home := filepath.FromSlash("/home/ada")
	conf := []byte("# comment\nXDG_DESKTOP_DIR=\"$HOME/Desktop\"\nXDG_DOWNLOAD_DIR=\"$HOME/Téléchargements\"\n")
	if p, ok := xdgUserDir(conf, "DOWNLOAD", home); !ok || p != filepath.Join(home, "Téléchargements") {
		t.Errorf("got %q %t", p, ok)
	}
	for _, c := range []string{
		`XDG_DOWNLOAD_DIR="$HOME"`, `XDG_DOWNLOAD_DIR="$HOME/"`, `XDG_DOWNLOAD_DIR=relative`, `XDG_DOWNLOAD_DIR="relative/x"`, ``,
	} {
		if p, ok := xdgUserDir([]byte(c), "DOWNLOAD", home); ok {
			t.Errorf("%q: got %q, want not set", c, p)
		}
	}
	if p, ok := xdgUserDir([]byte(`XDG_DOWNLOAD_DIR="/data/dl"`), "DOWNLOAD", home); !ok || p != filepath.FromSlash("/data/dl") {
		t.Errorf("absolute: %q %t", p, ok)
	}
}

func TestDownloadsDir(t *testing.T) {
	if runtime.GOOS == "windows" || runtime.GOOS == "darwin" {
		t.Skip("XDG user dirs are read on Linux and the BSDs")
	}
	home := t.TempDir()
	t.Setenv("HOME", home)
	cfg := filepath.Join(home, "cfg")
	t.Setenv("XDG_CONFIG_HOME", cfg)
	if p, err := DownloadsDir(); err != nil || p != filepath.Join(home, "Downloads") {
		t.Fatalf("no user-dirs.dirs: %q %v", p, err)
	}
	if err := os.MkdirAll(cfg, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(cfg, "user-dirs.dirs"), []byte("XDG_DOWNLOAD_DIR=\"$HOME/Mes téléchargements\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if p, err := DownloadsDir(); err != nil || p != filepath.Join(home, "Mes téléchargements") {
		t.Fatalf("with user-dirs.dirs: %q %v", p, err)
	}
}

func TestHasThumbnail(t *testing.T) {
	for _, c := range []struct {
		f    File
		want bool
	}{
		{File{Type: "image/png", Width: 600, Height: 400}, true},
		{File{Type: "image/jpeg", Width: 6000, Height: 10}, true},
		{File{Type: "image/jpeg", Width: 6001, Height: 10}, false},
		{File{Type: "image/png"}, false},
		{File{Type: "image/gif", Width: 100, Height: 100, Size: 1 << 20}, true},
		{File{Type: "image/gif", Width: 100, Height: 100, Size: 64 << 20}, false},
		{File{Type: "image/svg+xml", Width: 100, Height: 100}, false},
		{File{Type: "application/pdf", Width: 100, Height: 100}, false},
	} {
		if got := HasThumbnail(c.f); got != c.want {
			t.Errorf("HasThumbnail(%+v) = %t", c.f, got)
		}
	}
}

// TestLimitsFromTUS: the limit is read from the TUS endpoint's
// Tus-Max-Size only when /server/info says TUS is on; a header that is no
// size is an error, not a limit.
func TestLimitsFromTUS(t *testing.T) {
	for _, tc := range []struct {
		name, info, header string
		want               int64
		wantErr            bool
		wantOptions        bool
	}{
		{"tus off", `{"data":{"uploads":{"maxConcurrency":5}}}`, "5242880", 0, false, false},
		{"tus on", `{"data":{"uploads":{"tus":true,"chunkSize":8388608}}}`, "5242880", 5 << 20, false, true},
		{"tus on, no limit set", `{"data":{"uploads":{"tus":true}}}`, "", 0, false, true},
		{"tus on, garbage", `{"data":{"uploads":{"tus":true}}}`, "lots\x1b[31m", 0, true, true},
		{"tus on, negative", `{"data":{"uploads":{"tus":true}}}`, "-1", 0, true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var options atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				switch {
				case r.Method == http.MethodGet && r.URL.Path == "/server/info":
					w.Header().Set("Content-Type", "application/json")
					_, _ = w.Write([]byte(tc.info))
				case r.Method == http.MethodOptions && strings.HasPrefix(r.URL.Path, "/files/tus/"):
					options.Add(1)
					if r.Header.Get("Authorization") != "Bearer tok" || r.Header.Get("Tus-Resumable") != "1.0.0" {
						t.Errorf("OPTIONS without the token or Tus-Resumable: %v", r.Header)
					}
					if tc.header != "" {
						w.Header().Set("Tus-Max-Size", tc.header)
					}
					w.WriteHeader(http.StatusNoContent)
				default:
					http.NotFound(w, r)
				}
			}))
			defer srv.Close()
			c, err := New(Config{BaseURL: srv.URL, Token: staticToken("tok")})
			if err != nil {
				t.Fatal(err)
			}
			got, err := c.Limits(context.Background())
			if (err != nil) != tc.wantErr || got != tc.want {
				t.Errorf("Limits = %d, %v; want %d (error: %v)", got, err, tc.want, tc.wantErr)
			}
			if err != nil && strings.ContainsRune(err.Error(), 0x1b) {
				t.Errorf("the error carries the header's control bytes: %q", err)
			}
			if (options.Load() > 0) != tc.wantOptions {
				t.Errorf("OPTIONS asked %d times; want asked: %v", options.Load(), tc.wantOptions)
			}
		})
	}
}

// A cache folder over a smaller bound than it was filled with (the bound
// changed between versions) is cut down to it as it is opened: the
// thumbnails used longest ago go, the recent ones stay cached.
func TestThumbnailCacheOpenedOverItsBound(t *testing.T) {
	srv := newThumbServer(t)
	dir := filepath.Join(t.TempDir(), "thumbs")
	size := int64(len(pngOf(t, 32, 32)))
	open := func(bound int64) *Client {
		c, err := New(Config{BaseURL: srv.URL, Token: staticToken("t"), CacheDir: dir, CacheBytes: bound})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	ctx := context.Background()
	c := open(10 * size)
	ids := []string{uuid.NewString(), uuid.NewString(), uuid.NewString(), uuid.NewString()}
	start := time.Now().Add(-time.Hour)
	for i, id := range ids {
		if _, err := c.Thumbnail(ctx, id, 32, 32); err != nil {
			t.Fatal(err)
		}
		// The order of use, on disk: a minute apart.
		at := start.Add(time.Duration(i) * time.Minute)
		if err := os.Chtimes(filepath.Join(dir, c.cacheKey(id, 32, 32)+cacheExt), at, at); err != nil {
			t.Fatal(err)
		}
	}
	bound := 2*size + size/2
	c2 := open(bound)
	for _, id := range ids[2:] {
		if _, err := c2.Thumbnail(ctx, id, 32, 32); err != nil || srv.hit(id, 32) != 1 {
			t.Errorf("a recent thumbnail was read again from the server (%v)", err)
		}
	}
	if n, files := dirSize(t, dir); n > bound || files != 2 {
		t.Errorf("the cache holds %d bytes in %d files, bound %d", n, files, bound)
	}
}
