package linuxnotify

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"directuschat/internal/dbustest"
)

// hostileBody is markup a notification server would act on: bold text, a
// link, an image that loads a local file, and an entity.
const hostileBody = `<b>x</b> <a href="http://evil">y</a> <img src="file:///etc/passwd"/> &amp;`

// server plays org.freedesktop.Notifications on a private bus: it
// announces caps and records what Notify receives.
type server struct {
	caps  []string
	mu    sync.Mutex
	calls [][2]string // summary, body
}

func (s *server) GetCapabilities() ([]string, *dbus.Error) { return s.caps, nil }

func (s *server) Notify(_ string, _ uint32, _, summary, body string, _ []string,
	_ map[string]dbus.Variant, _ int32) (uint32, *dbus.Error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, [2]string{summary, body})
	return uint32(len(s.calls)), nil
}

func (s *server) last(t *testing.T) (summary, body string) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.calls) == 0 {
		t.Fatal("the server received no Notify call")
	}
	c := s.calls[len(s.calls)-1]
	return c[0], c[1]
}

// setup starts a private bus with a notification server announcing caps
// and returns a client connection to it.
func setup(t *testing.T, caps ...string) (*server, *dbus.Conn) {
	t.Helper()
	addr := dbustest.PrivateBus(t)
	srvConn, err := dbus.Connect(addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srvConn.Close() })
	srv := &server{caps: caps}
	if err := srvConn.Export(srv, busPath, iface); err != nil {
		t.Fatal(err)
	}
	if reply, err := srvConn.RequestName(busName, dbus.NameFlagDoNotQueue); err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("claiming %s: %v %v", busName, reply, err)
	}
	client, err := dbus.Connect(addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	return srv, client
}

func send(t *testing.T, conn *dbus.Conn, summary, body string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := Send(ctx, conn, Notification{AppName: "test", Summary: summary, Body: body}); err != nil {
		t.Fatal(err)
	}
}

// unescape is how a markup-parsing server reads a body with no tags.
var unescape = strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&")

// A server that parses body markup receives the body escaped, so it shows
// the text, tags and entity included, literally.
func TestMarkupServerGetsEscapedBody(t *testing.T) {
	srv, conn := setup(t, "body", "body-markup", "body-hyperlinks", "body-images")
	send(t, conn, "Ada <b>", hostileBody)
	summary, body := srv.last(t)
	want := `&lt;b&gt;x&lt;/b&gt; &lt;a href="http://evil"&gt;y&lt;/a&gt; &lt;img src="file:///etc/passwd"/&gt; &amp;amp;`
	if body != want {
		t.Fatalf("body over D-Bus\n got %q\nwant %q", body, want)
	}
	if strings.ContainsAny(body, "<>") {
		t.Fatalf("body %q still holds markup", body)
	}
	if got := unescape.Replace(body); got != hostileBody {
		t.Fatalf("the server shows %q, want %q", got, hostileBody)
	}
	if summary != "Ada <b>" {
		t.Fatalf("summary %q: the spec makes it plain text, it must arrive as is", summary)
	}
}

// A server without body-markup shows the body as it is: escaping it would
// show "&lt;" to the user.
func TestPlainServerGetsTextAsIs(t *testing.T) {
	srv, conn := setup(t, "body")
	send(t, conn, "Ada", hostileBody)
	if _, body := srv.last(t); body != hostileBody {
		t.Fatalf("body %q, want %q", body, hostileBody)
	}
}

// NUL and invalid UTF-8 are not allowed in D-Bus strings: they arrive as
// U+FFFD, and the connection stays usable.
func TestInvalidStringsKeepTheConnection(t *testing.T) {
	srv, conn := setup(t, "body", "body-markup")
	send(t, conn, "A\x00da\xff", "one\x00two\xc3 <i>")
	summary, body := srv.last(t)
	if summary != "A\uFFFDda\uFFFD" || body != "one\uFFFDtwo\uFFFD &lt;i&gt;" {
		t.Fatalf("got %q / %q", summary, body)
	}
	send(t, conn, "Ada", "still connected")
	if _, body := srv.last(t); body != "still connected" {
		t.Fatalf("second notification: %q", body)
	}
}

func TestLongBodyIsCut(t *testing.T) {
	srv, conn := setup(t, "body")
	send(t, conn, "Ada", strings.Repeat("x", 10*1024))
	if _, body := srv.last(t); len([]rune(body)) != MaxBodyRunes || !strings.HasSuffix(body, "…") {
		t.Fatalf("body of %d runes", len([]rune(body)))
	}
}
