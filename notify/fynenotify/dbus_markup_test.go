//go:build linux && cgo && !ci

package fynenotify

import (
	"sync"
	"testing"

	"github.com/godbus/dbus/v5"
)

// markupServer is a notification server that parses body markup, as
// GNOME Shell, KDE Plasma and most daemons announce.
type markupServer struct {
	mu     sync.Mutex
	bodies []string
}

func (s *markupServer) Notify(_ string, _ uint32, _, _, body string, _ []string,
	_ map[string]dbus.Variant, _ int32) (uint32, *dbus.Error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.bodies = append(s.bodies, body)
	return uint32(len(s.bodies)), nil
}

func (s *markupServer) GetCapabilities() ([]string, *dbus.Error) {
	return []string{"body", "body-markup", "body-hyperlinks", "body-images"}, nil
}

// The app's notifier, over the real session bus Fyne uses, sends a body
// that a markup-parsing server shows literally.
func TestMarkupServerShowsTextLiterally(t *testing.T) {
	requireDesktop(t)
	conn, err := dbus.SessionBusPrivateNoAutoStartup()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if err := conn.Auth(nil); err != nil {
		t.Fatal(err)
	}
	if err := conn.Hello(); err != nil {
		t.Fatal(err)
	}
	srv := &markupServer{}
	if err := conn.Export(srv, "/org/freedesktop/Notifications", "org.freedesktop.Notifications"); err != nil {
		t.Fatal(err)
	}
	if reply, err := conn.RequestName("org.freedesktop.Notifications", dbus.NameFlagDoNotQueue); err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("claiming org.freedesktop.Notifications: %v %v", reply, err)
	}

	n := New(fyneApp)
	n.Notify("Ada", `<b>x</b> <a href="http://evil">y</a> <img src="file:///etc/passwd"/> &amp;`)
	n.Close() // the server has answered
	srv.mu.Lock()
	defer srv.mu.Unlock()
	want := `&lt;b&gt;x&lt;/b&gt; &lt;a href="http://evil"&gt;y&lt;/a&gt; &lt;img src="file:///etc/passwd"/&gt; &amp;amp;`
	if len(srv.bodies) != 1 || srv.bodies[0] != want {
		t.Fatalf("bodies over D-Bus %q, want [%q]", srv.bodies, want)
	}
}
