package files

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
)

// DefaultCacheBytes bounds the thumbnail cache when Config.CacheBytes is 0.
const DefaultCacheBytes = 64 << 20

// Config says which server a Client talks to and how.
type Config struct {
	// BaseURL of the Directus, e.g. https://chat.example.com.
	BaseURL string
	// HTTPClient is copied; whatever it says, redirects are never
	// followed. nil means a client with connect and answer timeouts but
	// no overall one (uploads and downloads take as long as they take;
	// cancel them with the context).
	HTTPClient *http.Client
	// Token returns the current access token (the session refreshes it).
	// It is sent only in the Authorization header.
	Token func(ctx context.Context) (string, error)
	// CacheDir holds the thumbnail cache; "" means no cache.
	CacheDir string
	// CacheBytes bounds the cache's total size; 0 means DefaultCacheBytes.
	CacheBytes int64
	// MaxUploadBytes is the server's upload limit when the application
	// knows it (Directus does not tell signed-in users: see Limits);
	// 0 means not known.
	MaxUploadBytes int64
}

// Client talks to the Directus Files REST API for one signed-in user.
// It is safe for concurrent use.
type Client struct {
	base  *url.URL
	http  *http.Client
	token func(ctx context.Context) (string, error)
	cache *diskCache // nil: no cache

	mu sync.Mutex
	// limit is the server's upload limit: configured, or learned from an
	// answer; exact says it is the limit, not an upper bound learned
	// from a refusal (413). 0: not known.
	limit int64
	exact bool
}

// New returns a client for cfg.
func New(cfg Config) (*Client, error) {
	base, err := url.Parse(strings.TrimSpace(cfg.BaseURL))
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, fmt.Errorf("files: server URL %q: want http(s)://host", cfg.BaseURL)
	}
	base.Path = strings.TrimRight(base.Path, "/")
	base.RawQuery, base.Fragment, base.User = "", "", nil
	if cfg.Token == nil {
		return nil, errors.New("files: no Token function")
	}
	var hc http.Client
	if cfg.HTTPClient != nil {
		hc = *cfg.HTTPClient
	} else {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.DialContext = (&net.Dialer{Timeout: 15 * time.Second, KeepAlive: 30 * time.Second}).DialContext
		// Counted from the end of the request: Directus reads an
		// upload's image metadata before it answers.
		tr.ResponseHeaderTimeout = 2 * time.Minute
		hc.Transport = tr
	}
	// A redirect would carry the Authorization header (Go keeps it for
	// the same host, and a 307/308 the upload's body) to wherever the
	// server points: refuse it, as realtime.REST does.
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	c := &Client{base: base, http: &hc, token: cfg.Token}
	if cfg.MaxUploadBytes > 0 {
		c.limit, c.exact = cfg.MaxUploadBytes, true
	}
	if cfg.CacheDir != "" {
		max := cfg.CacheBytes
		if max <= 0 {
			max = DefaultCacheBytes
		}
		c.cache = newDiskCache(cfg.CacheDir, max)
	}
	return c, nil
}

// endpoint is the URL of path (which starts with a slash) with query q.
func (c *Client) endpoint(path string, q url.Values) string {
	u := *c.base
	u.Path = c.base.Path + path
	u.RawQuery = q.Encode()
	return u.String()
}

// request makes an authenticated request. body may be nil.
func (c *Client) request(ctx context.Context, op, method, path string, q url.Values, body io.Reader) (*http.Request, error) {
	tok, err := c.token(ctx)
	if err != nil {
		if isContextErr(err) {
			return nil, &Error{Kind: KindCanceled, Op: op, Msg: "canceled", Err: errCanceled}
		}
		return nil, fmt.Errorf("%s: access token: %w", op, err)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.endpoint(path, q), body)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	return req, nil
}

// send does req and returns the answer when it is a success (2xx); any
// other answer is closed and mapped to an error.
func (c *Client) send(op string, req *http.Request) (*http.Response, error) {
	resp, err := c.http.Do(req)
	if err != nil {
		if ctxErr := req.Context().Err(); ctxErr != nil {
			return nil, &Error{Kind: KindCanceled, Op: op, Msg: "canceled", Err: errCanceled}
		}
		return nil, transportError(op, c.base, err)
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return resp, nil
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		return nil, redirectError(op, resp)
	}
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	return nil, statusError(op, resp, raw)
}

// getJSON does a GET and decodes the answer's data into out.
func (c *Client) getJSON(ctx context.Context, op, path string, q url.Values, out any) error {
	req, err := c.request(ctx, op, http.MethodGet, path, q, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.send(op, req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	return decodeData(op, resp, out)
}

// decodeData decodes the "data" member of a Directus answer.
func decodeData(op string, resp *http.Response, out any) error {
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return transportError(op, resp.Request.URL, err)
	}
	var env struct {
		Data json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(raw, &env); err != nil || len(env.Data) == 0 {
		return &Error{Kind: KindNotDirectus, Op: op, Status: resp.StatusCode,
			Msg: fmt.Sprintf("the server's answer (HTTP %d%s) is not one of a Directus", resp.StatusCode, contentTypeNote(resp))}
	}
	if err := json.Unmarshal(env.Data, out); err != nil {
		return &Error{Kind: KindNotDirectus, Op: op, Status: resp.StatusCode, Msg: "unexpected answer", Err: err}
	}
	return nil
}

// File is an uploaded file as the chat shows it.
type File struct {
	ID string
	// Name is the file's name as the server has it (filename_download):
	// text from another user, never a path: see SafeFileName.
	Name string
	// Type is the MIME type the uploader's client declared.
	Type string
	Size int64
	// Width and Height are the image's, 0 when it is not one.
	Width, Height int
}

// fileFields are the fields read for a File.
const fileFields = "id,filename_download,type,filesize,width,height,uploaded_on"

// apiFile is a directus_files row as read with fileFields.
type apiFile struct {
	ID               string  `json:"id"`
	FilenameDownload string  `json:"filename_download"`
	Type             string  `json:"type"`
	Filesize         flexInt `json:"filesize"`
	Width            flexInt `json:"width"`
	Height           flexInt `json:"height"`
	UploadedOn       *string `json:"uploaded_on"`
}

func (a apiFile) file() File {
	return File{ID: a.ID, Name: a.FilenameDownload, Type: a.Type, Size: a.Filesize.n, Width: int(a.Width.n), Height: int(a.Height.n)}
}

// complete reports whether the server finished storing the file: it sets
// filesize and uploaded_on only once the whole file is written.
func (a apiFile) complete() bool { return a.Filesize.set && a.UploadedOn != nil }

// flexInt is a JSON integer that may be a number, a string (bigInteger
// columns on PostgreSQL) or null.
type flexInt struct {
	n   int64
	set bool
}

func (f *flexInt) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(bytes.TrimSpace(b)), `"`)
	if s == "null" || s == "" {
		*f = flexInt{}
		return nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return fmt.Errorf("not an integer: %.40q", s)
	}
	*f = flexInt{n: n, set: true}
	return nil
}

// Stat reads a file's description. Errors: KindForbidden when the file
// does not exist or the user may not read it.
func (c *Client) Stat(ctx context.Context, id string) (File, error) {
	a, err := c.stat(ctx, "read file", id)
	if err != nil {
		return File{}, err
	}
	return a.file(), nil
}

func (c *Client) stat(ctx context.Context, op, id string) (apiFile, error) {
	if err := checkID(op, id); err != nil {
		return apiFile{}, err
	}
	var a apiFile
	if err := c.getJSON(ctx, op, "/files/"+id, url.Values{"fields": {fileFields}}, &a); err != nil {
		return apiFile{}, err
	}
	if a.ID != id {
		return apiFile{}, &Error{Kind: KindNotDirectus, Op: op, Msg: "the server answered with another file"}
	}
	return a, nil
}

// Delete deletes a file: the chat user's own upload that is not attached
// to a message (a canceled send, an orphan). Errors: KindForbidden when it
// is someone else's, attached, or already gone.
func (c *Client) Delete(ctx context.Context, id string) error {
	const op = "delete file"
	if err := checkID(op, id); err != nil {
		return err
	}
	req, err := c.request(ctx, op, http.MethodDelete, "/files/"+id, nil, nil)
	if err != nil {
		return err
	}
	resp, err := c.send(op, req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	return nil
}

// checkID refuses anything but a UUID: ids go into URL paths.
func checkID(op, id string) error {
	if _, err := uuid.Parse(id); err != nil || len(id) != 36 {
		return fmt.Errorf("%s: %.60q is not a file id (a UUID)", op, id)
	}
	return nil
}

func isContextErr(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}
