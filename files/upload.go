package files

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
)

// Source is what Upload sends: a name, a size known in advance, and a way
// to read the bytes (called once per attempt, streamed, never read whole
// into memory).
type Source struct {
	// Name is stored as the file's filename_download; it is made safe
	// with SafeFileName (no directories, no control characters).
	Name string
	Size int64
	// Type is the MIME type; "" means from the name's extension, else
	// application/octet-stream.
	Type string
	Open func() (io.ReadCloser, error)
}

// FileSource is the file at path. Its type comes from its extension, else
// from its first 512 bytes.
func FileSource(path string) (Source, error) {
	f, err := os.Open(path)
	if err != nil {
		return Source{}, fmt.Errorf("upload: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return Source{}, fmt.Errorf("upload: %w", err)
	}
	if !st.Mode().IsRegular() {
		return Source{}, fmt.Errorf("upload: %s is not a regular file", filepath.Base(path))
	}
	src := Source{Name: filepath.Base(path), Size: st.Size(), Type: typeByName(filepath.Base(path))}
	if src.Type == "" {
		head := make([]byte, 512)
		n, _ := io.ReadFull(f, head)
		src.Type = mediaType(http.DetectContentType(head[:n]))
	}
	src.Open = func() (io.ReadCloser, error) { return os.Open(path) }
	return src, nil
}

// ReaderSource is r, of size bytes, named name. It can be sent once: an
// upload that has to start again fails.
func ReaderSource(r io.Reader, name string, size int64) Source {
	var used atomic.Bool
	return Source{Name: name, Size: size, Open: func() (io.ReadCloser, error) {
		if used.Swap(true) {
			return nil, errors.New("the reader was already sent once")
		}
		return io.NopCloser(r), nil
	}}
}

func typeByName(name string) string {
	return mediaType(mime.TypeByExtension(strings.ToLower(filepath.Ext(name))))
}

// mediaType drops parameters (charset) from a MIME type.
func mediaType(t string) string {
	mt, _, err := mime.ParseMediaType(t)
	if err != nil {
		return ""
	}
	return mt
}

// Limits returns the largest upload the server accepts, 0 when it is not
// known. Directus's /server/info does not give FILES_MAX_UPLOAD_SIZE
// (11.17.4 and 12.4.0), but a server with resumable uploads on (TUS_ENABLED,
// which /server/info says as uploads.tus) announces it in the TUS
// protocol's Tus-Max-Size header, answered to OPTIONS /files/tus/<id> for
// a user who may read files. Otherwise the limit is the one the
// application configured (Config.MaxUploadBytes) or, once the server
// refused a file as too big (HTTP 413, from Directus or a proxy before it),
// an upper bound learned from it: later files at least that big are
// refused before a byte is sent.
func (c *Client) Limits(ctx context.Context) (maxUploadBytes int64, err error) {
	var info struct {
		Files struct {
			// Not given by Directus 11 or 12; read should a later one.
			MaxUploadSize json.RawMessage `json:"maxUploadSize"`
		} `json:"files"`
		Uploads struct {
			TUS bool `json:"tus"`
		} `json:"uploads"`
	}
	if err := c.getJSON(ctx, "read the server's limits", "/server/info", nil, &info); err != nil {
		return 0, err
	}
	var n flexInt
	if len(info.Files.MaxUploadSize) > 0 && json.Unmarshal(info.Files.MaxUploadSize, &n) == nil && n.set && n.n > 0 {
		c.setLimit(n.n)
	} else if info.Uploads.TUS {
		if max, err := c.tusMaxSize(ctx); err != nil {
			return 0, err
		} else if max > 0 {
			c.setLimit(max)
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.limit, nil
}

// setLimit records the server's exact limit.
func (c *Client) setLimit(n int64) {
	c.mu.Lock()
	c.limit, c.exact = n, true
	c.mu.Unlock()
}

// tusMaxSize asks the server's TUS endpoint for its Tus-Max-Size (0: it
// gives none, as when FILES_MAX_UPLOAD_SIZE is not set).
func (c *Client) tusMaxSize(ctx context.Context) (int64, error) {
	const op = "read the server's upload limit"
	// OPTIONS is answered for any id (the TUS discovery request): a new
	// one names nothing.
	req, err := c.request(ctx, op, http.MethodOptions, "/files/tus/"+uuid.NewString(), nil, nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Tus-Resumable", "1.0.0")
	resp, err := c.send(op, req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	h := resp.Header.Get("Tus-Max-Size")
	if h == "" {
		return 0, nil
	}
	max, err := strconv.ParseInt(strings.TrimSpace(h), 10, 64)
	if err != nil || max <= 0 {
		return 0, fmt.Errorf("%s: Tus-Max-Size %q is no size", op, oneLineHeader(h))
	}
	return max, nil
}

// oneLineHeader is a header value fit for an error message.
func oneLineHeader(s string) string {
	if len(s) > 40 {
		s = s[:40] + "…"
	}
	return strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return -1
		}
		return r
	}, s)
}

// knownLimit is the limit known now, and whether it is exact.
func (c *Client) knownLimit() (int64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.limit, c.exact
}

// learnRefused records that the server refused size bytes as too big.
func (c *Client) learnRefused(size int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if size <= 0 || (c.exact && c.limit > 0) {
		return
	}
	if c.limit == 0 || size-1 < c.limit {
		c.limit = size - 1
	}
}

// Upload sends src as the file id (a UUID the caller chose) into folder
// ("" for none: the chat's is provision.FilesFolderID). progress, if not
// nil, is called from another goroutine with the bytes of the file sent so
// far; it reaches total when all are sent.
//
// id makes a retry idempotent: when a file with this id is already stored
// whole (same size), it is returned without sending anything; when one is
// there but incomplete (an upload killed mid-way), it is deleted and sent
// again. A file over the server's known limit is refused before a byte is
// sent (a *TooBigError, errors.Is ErrTooBig). Canceling ctx stops the
// upload and deletes the partial file the server made.
func (c *Client) Upload(ctx context.Context, id string, src Source, folder string, progress func(sent, total int64)) (File, error) {
	name := SafeFileName(src.Name)
	op := fmt.Sprintf("upload %q", name)
	if err := checkID(op, id); err != nil {
		return File{}, err
	}
	if folder != "" {
		if err := checkID(op, folder); err != nil {
			return File{}, fmt.Errorf("%s: folder: %w", op, err)
		}
	}
	if src.Size < 0 || src.Open == nil {
		return File{}, fmt.Errorf("%s: no size or no reader", op)
	}
	if limit, exact := c.knownLimit(); limit > 0 && src.Size > limit {
		return File{}, &TooBigError{Name: name, Size: src.Size, Limit: limit, Exact: exact}
	}

	// An earlier attempt may have stored it, whole or in part.
	have, err := c.stat(ctx, op, id)
	switch {
	case err == nil && have.complete() && have.Filesize.n == src.Size:
		return have.file(), nil
	case err == nil:
		// Incomplete (uploaded_on is set only once the whole file is
		// written), or another size: replace it. A DELETE and a new POST
		// need only the narrow permissions; PATCH /files/<id> with a file
		// would need update on storage, title, filename_download, ....
		if err := c.removePartial(ctx, id); err != nil {
			return File{}, fmt.Errorf("%s: remove the incomplete earlier attempt: %w", op, err)
		}
	case KindOf(err) == KindForbidden || KindOf(err) == KindNotFound:
		// Not there (Directus answers 403 for a missing file).
	default:
		return File{}, err
	}

	f, err := c.post(ctx, op, id, name, src, folder, progress)
	if err == nil {
		return f, nil
	}
	if KindOf(err) == KindCanceled {
		c.cleanUp(ctx, id)
		return File{}, err
	}
	var e *Error
	if errors.As(err, &e) && e.Code == "RECORD_NOT_UNIQUE" {
		// Stored meanwhile by an attempt still running on the server.
		if have, serr := c.stat(ctx, op, id); serr == nil && have.complete() && have.Filesize.n == src.Size {
			return have.file(), nil
		}
	}
	if errors.As(err, &e) && e.Kind == KindTooBig {
		c.learnRefused(src.Size)
		limit, exact := c.knownLimit()
		if exact {
			limit = 0 // the configured limit was wrong; say nothing about it
		}
		return File{}, &TooBigError{Name: name, Size: src.Size, Limit: limit, Sent: true}
	}
	return File{}, err
}

// cleanUp deletes what a canceled upload left: Directus creates the file's
// row when the file part begins and, when the client goes away mid-way,
// never finishes nor removes it (11.17.4: the row stays with no size). The
// row may appear a moment after the cancel (the server reads what arrived
// before it): a missing row is looked for again a few times.
func (c *Client) cleanUp(ctx context.Context, id string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	for _, wait := range []time.Duration{0, 200 * time.Millisecond, 500 * time.Millisecond, time.Second} {
		if wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
		}
		err := c.removePartial(ctx, id)
		if err == nil {
			return
		}
		if k := KindOf(err); k != KindForbidden && k != KindNotFound {
			return
		}
	}
}

// removePartial deletes the row of an upload that did not finish.
// Directus (11.17.4 and 12.4.0) deletes the row, then fails with HTTP 500
// on its missing filename_disk (path.parse(null) in FilesService.deleteMany,
// which runs after the row's delete, outside a transaction): so an
// answer 500 is checked by reading the row again.
func (c *Client) removePartial(ctx context.Context, id string) error {
	err := c.Delete(ctx, id)
	if KindOf(err) != KindServer {
		return err
	}
	if _, serr := c.stat(ctx, "delete file", id); KindOf(serr) == KindForbidden || KindOf(serr) == KindNotFound {
		return nil // gone
	}
	return err
}

// post sends the multipart POST /files: the fields first (Directus needs
// them before the file), then the file, with an exact Content-Length.
func (c *Client) post(ctx context.Context, op, id, name string, src Source, folder string, progress func(sent, total int64)) (File, error) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	if err := mw.WriteField("id", id); err != nil {
		return File{}, fmt.Errorf("%s: %w", op, err)
	}
	if folder != "" {
		if err := mw.WriteField("folder", folder); err != nil {
			return File{}, fmt.Errorf("%s: %w", op, err)
		}
	}
	typ := mediaType(src.Type)
	if typ == "" {
		typ = typeByName(name)
	}
	if typ == "" {
		typ = "application/octet-stream"
	}
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", mime.FormatMediaType("form-data", map[string]string{"name": "file", "filename": name}))
	h.Set("Content-Type", typ)
	if _, err := mw.CreatePart(h); err != nil {
		return File{}, fmt.Errorf("%s: %w", op, err)
	}
	headLen := buf.Len()
	if err := mw.Close(); err != nil {
		return File{}, fmt.Errorf("%s: %w", op, err)
	}
	head, tail := buf.Bytes()[:headLen], buf.Bytes()[headLen:]

	rc, err := src.Open()
	if err != nil {
		return File{}, fmt.Errorf("%s: %w", op, err)
	}
	defer rc.Close()
	// The transport may still read the body after Do returns (canceled):
	// no progress call after Upload returns.
	counter := &countingReader{r: io.LimitReader(rc, src.Size), total: src.Size, progress: progress, exact: true}
	defer counter.stop()
	body := io.MultiReader(bytes.NewReader(head), counter, bytes.NewReader(tail))

	q := url.Values{"fields": {fileFields}}
	req, err := c.request(ctx, op, http.MethodPost, "/files", q, io.NopCloser(body))
	if err != nil {
		return File{}, err
	}
	req.ContentLength = int64(len(head)) + src.Size + int64(len(tail))
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Accept", "application/json")
	resp, err := c.send(op, req)
	if err != nil {
		return File{}, err
	}
	defer resp.Body.Close()
	var a apiFile
	if err := decodeData(op, resp, &a); err != nil {
		return File{}, err
	}
	if a.ID != id {
		return File{}, &Error{Kind: KindNotDirectus, Op: op, Msg: "the server stored the file under another id"}
	}
	if a.Filesize.n != src.Size {
		return File{}, fmt.Errorf("%s: the server stored %d bytes of %d", op, a.Filesize.n, src.Size)
	}
	return a.file(), nil
}

// countingReader reports the bytes read through it, until stopped.
type countingReader struct {
	r        io.Reader
	n, total int64
	progress func(sent, total int64)
	exact    bool // a read that ends before total is an error

	mu      sync.Mutex
	stopped bool
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if n > 0 {
		c.mu.Lock()
		c.n += int64(n)
		if c.progress != nil && !c.stopped {
			c.progress(c.n, c.total)
		}
		c.mu.Unlock()
	}
	if err == io.EOF && c.exact && c.n < c.total {
		return n, fmt.Errorf("the file ended after %d of %d bytes", c.n, c.total)
	}
	return n, err
}

// stop ends the progress calls: none is running or made after it returns.
func (c *countingReader) stop() {
	c.mu.Lock()
	c.stopped = true
	c.mu.Unlock()
}
