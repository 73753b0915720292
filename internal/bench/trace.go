package bench

import (
	"io"
	"net/http"
	"sync"
	"time"
)

// Call is one HTTP request as the tracer saw it: from the start of the
// round trip to the close of the response body (the client has read it).
type Call struct {
	Path       string
	Start, End time.Time
}

// Tracer is an http.RoundTripper that records when each request started
// and ended, to split the app's sign-in into its requests.
type Tracer struct {
	Base  http.RoundTripper
	mu    sync.Mutex
	calls []Call
}

// Client returns an HTTP client using the tracer, with the app's timeout.
func (t *Tracer) Client() *http.Client { return &http.Client{Transport: t, Timeout: 15 * time.Second} }

// RoundTrip implements http.RoundTripper.
func (t *Tracer) RoundTrip(req *http.Request) (*http.Response, error) {
	base := t.Base
	if base == nil {
		base = http.DefaultTransport
	}
	c := Call{Path: req.URL.Path, Start: time.Now()}
	resp, err := base.RoundTrip(req)
	if err != nil {
		c.End = time.Now()
		t.add(c)
		return nil, err
	}
	resp.Body = &tracedBody{ReadCloser: resp.Body, done: func() {
		c.End = time.Now()
		t.add(c)
	}}
	return resp, nil
}

func (t *Tracer) add(c Call) {
	t.mu.Lock()
	t.calls = append(t.calls, c)
	t.mu.Unlock()
}

// Calls returns the calls recorded since the last Reset, in order of start.
func (t *Tracer) Calls() []Call {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]Call(nil), t.calls...)
}

// Reset forgets the recorded calls.
func (t *Tracer) Reset() {
	t.mu.Lock()
	t.calls = nil
	t.mu.Unlock()
}

// Last returns the last call to path.
func (t *Tracer) Last(path string) (Call, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for i := len(t.calls) - 1; i >= 0; i-- {
		if t.calls[i].Path == path {
			return t.calls[i], true
		}
	}
	return Call{}, false
}

type tracedBody struct {
	io.ReadCloser
	once sync.Once
	done func()
}

func (b *tracedBody) Close() error {
	err := b.ReadCloser.Close()
	b.once.Do(b.done)
	return err
}

// SplitSignIn fills the REST part of a sign-in split from the tracer's calls
// and the start and end of realtime.Connect; applied is when the newest page
// was applied to the timeline.
func SplitSignIn(t *Tracer, connectStart, connectEnd, applied time.Time, firstPage int) SignIn {
	var s SignIn
	d := func(path string) (float64, time.Time) {
		if c, ok := t.Last(path); ok {
			return MS(c.End.Sub(c.Start)), c.End
		}
		return 0, time.Time{}
	}
	s.ProbeMS, _ = d("/server/ping")
	var authOK time.Time
	s.LoginMS, authOK = d("/auth/login")
	if authOK.IsZero() {
		s.LoginMS, authOK = d("/auth/refresh")
	}
	s.MeMS, _ = d("/users/me")
	var restEnd time.Time
	s.PermsMS, restEnd = d("/permissions/me")
	if !restEnd.IsZero() {
		s.SocketMS = MS(connectEnd.Sub(restEnd))
	}
	s.ConnectMS = MS(connectEnd.Sub(connectStart))
	if !authOK.IsZero() {
		s.AuthOKToAppliedMS = MS(applied.Sub(authOK))
	}
	s.TotalMS = MS(applied.Sub(connectStart))
	s.ConnectToApplied = MS(applied.Sub(connectEnd))
	s.FirstPage = firstPage
	return s
}
