package files

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// Kind sorts the errors of this package for the UI.
type Kind int

// Kinds of errors.
const (
	KindOther Kind = iota
	// KindForbidden: the server refused (HTTP 403). Directus answers a
	// file that does not exist the same way to users who are not admins.
	KindForbidden
	// KindNotFound: HTTP 404.
	KindNotFound
	// KindTooBig: larger than the server accepts (HTTP 413, or known
	// before sending: see TooBigError).
	KindTooBig
	// KindUnauthorized: the access token was not accepted (HTTP 401).
	KindUnauthorized
	// KindNotDirectus: the answer is not one a Directus gives.
	KindNotDirectus
	// KindNetwork: the server could not be reached, or the connection
	// broke.
	KindNetwork
	// KindRedirected: the server answered with a redirect, which is not
	// followed.
	KindRedirected
	// KindServer: the server failed (HTTP 5xx).
	KindServer
	// KindCanceled: the context was canceled or its deadline passed.
	KindCanceled
)

// Error is an error of a request to the server, with a message for a
// person. It never contains the access token.
type Error struct {
	Kind   Kind
	Op     string // what was being done, e.g. `upload "photo.jpg"`
	Status int    // HTTP status, 0 when there was no answer
	Code   string // Directus's extensions.code, e.g. FORBIDDEN
	Msg    string
	Err    error
}

func (e *Error) Error() string {
	s := e.Op + ": " + e.Msg
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// KindOf returns the Kind of err: KindTooBig for a TooBigError,
// KindCanceled for a context error, KindOther when err is none of this
// package's.
func KindOf(err error) Kind {
	var e *Error
	var tb *TooBigError
	switch {
	case err == nil:
		return KindOther
	case errors.As(err, &tb):
		return KindTooBig
	case errors.As(err, &e):
		return e.Kind
	case errors.Is(err, errCanceled):
		return KindCanceled
	}
	return KindOther
}

var errCanceled = errors.New("canceled")

// ErrTooBig is what a TooBigError is (errors.Is).
var ErrTooBig = errors.New("file too big")

// TooBigError says a file is larger than the server accepts.
type TooBigError struct {
	Name string
	Size int64 // the file's size
	// Limit is the largest size the server accepts, when known (0: not
	// known). When !Exact it is an upper bound: the server refused a file
	// of Limit+1 bytes before.
	Limit int64
	Exact bool
	// Sent is false when nothing was sent: the limit was known before.
	Sent bool
}

func (e *TooBigError) Error() string {
	switch {
	case e.Sent:
		return fmt.Sprintf("%q is too big for the server: it refused the file (%s)", e.Name, FormatSize(e.Size))
	case e.Exact:
		return fmt.Sprintf("%q is too big: %s, the server accepts at most %s", e.Name, FormatSize(e.Size), FormatSize(e.Limit))
	}
	return fmt.Sprintf("%q is too big: %s, the server refused a file of %s before", e.Name, FormatSize(e.Size), FormatSize(e.Limit+1))
}

// Is makes errors.Is(err, ErrTooBig) true.
func (e *TooBigError) Is(target error) bool { return target == ErrTooBig }

// FormatSize writes a byte count for a person: 512 B, 1.5 KB, 12 MB
// (powers of 1024, as file managers mostly show).
func FormatSize(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 4; m /= unit {
		div *= unit
		exp++
	}
	v := float64(n) / float64(div)
	suffix := "KMGTP"[exp : exp+1]
	if v < 10 {
		return fmt.Sprintf("%.1f %sB", v, suffix)
	}
	return fmt.Sprintf("%.0f %sB", v, suffix)
}

// directusErrors decodes a Directus error answer: the first error's code
// and message, "" when raw is not one.
func directusErrors(raw []byte) (code, msg string, ok bool) {
	var env struct {
		Errors []struct {
			Message    string `json:"message"`
			Extensions struct {
				Code string `json:"code"`
			} `json:"extensions"`
		} `json:"errors"`
	}
	if err := json.Unmarshal(raw, &env); err != nil || len(env.Errors) == 0 {
		return "", "", false
	}
	return env.Errors[0].Extensions.Code, env.Errors[0].Message, true
}

// statusError maps an error answer to an *Error. raw is the start of the
// answer's body.
func statusError(op string, resp *http.Response, raw []byte) *Error {
	e := &Error{Op: op, Status: resp.StatusCode}
	code, msg, isDirectus := directusErrors(raw)
	e.Code = code
	switch resp.StatusCode {
	case http.StatusUnauthorized:
		e.Kind, e.Msg = KindUnauthorized, "the session was not accepted (signed out or expired)"
	case http.StatusForbidden:
		e.Kind, e.Msg = KindForbidden, "not allowed (or no such file)"
	case http.StatusNotFound:
		e.Kind, e.Msg = KindNotFound, "not found"
	case http.StatusRequestEntityTooLarge:
		e.Kind, e.Msg = KindTooBig, "too big for the server"
	default:
		switch {
		case !isDirectus:
			e.Kind = KindNotDirectus
			e.Msg = fmt.Sprintf("the server's answer (HTTP %d%s) is not one of a Directus", resp.StatusCode, contentTypeNote(resp))
		case resp.StatusCode >= 500:
			e.Kind, e.Msg = KindServer, fmt.Sprintf("the server failed (HTTP %d)", resp.StatusCode)
		default:
			e.Msg = fmt.Sprintf("refused (HTTP %d)", resp.StatusCode)
		}
	}
	if isDirectus && msg != "" {
		if code != "" {
			msg = code + ": " + msg
		}
		e.Msg += " (" + clip(msg, 300) + ")"
	}
	return e
}

func contentTypeNote(resp *http.Response) string {
	if ct := resp.Header.Get("Content-Type"); ct != "" {
		return ", " + clip(ct, 60)
	}
	return ""
}

// transportError says why a request got no answer.
func transportError(op string, base *url.URL, err error) error {
	if isContextErr(err) {
		return &Error{Kind: KindCanceled, Op: op, Msg: "canceled", Err: errCanceled}
	}
	return &Error{Kind: KindNetwork, Op: op, Msg: "cannot reach " + base.Host, Err: scrubURLError(err)}
}

// redirectError says where the server tried to send a request; it is not
// followed: the request carried the access token.
func redirectError(op string, resp *http.Response) error {
	target := "another address"
	if loc, err := resp.Request.URL.Parse(resp.Header.Get("Location")); err == nil && loc.Host != "" {
		target = loc.Scheme + "://" + loc.Host
	}
	return &Error{Kind: KindRedirected, Op: op, Status: resp.StatusCode,
		Msg: fmt.Sprintf("the server redirected the request to %s; not following it (it would carry the session's token there)", clip(target, 200))}
}

// scrubURLError drops the request URL from a *url.Error: this package puts
// no secret in URLs, but keeping errors short keeps them readable.
func scrubURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

func clip(s string, n int) string {
	s = strings.ToValidUTF8(s, "?")
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }
