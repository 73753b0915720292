package realtime

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

func TestWebSocketURLFromWhatPeopleType(t *testing.T) {
	for raw, want := range map[string]string{
		"https://chat.example.com":             "wss://chat.example.com/websocket",
		"https://chat.example.com/":            "wss://chat.example.com/websocket",
		"http://127.0.0.1:8055":                "ws://127.0.0.1:8055/websocket",
		"  http://127.0.0.1:8055//  ":          "ws://127.0.0.1:8055/websocket",
		"chat.example.com":                     "wss://chat.example.com/websocket",
		"localhost:8055":                       "ws://localhost:8055/websocket",
		"https://example.com/directus/":        "wss://example.com/directus/websocket",
		"wss://example.com/directus/websocket": "wss://example.com/directus/websocket",
		"https://example.com/admin?x=1#frag":   "wss://example.com/admin/websocket",
	} {
		u, err := ParseServerURL(raw)
		if err != nil {
			t.Errorf("%q: %v", raw, err)
			continue
		}
		if got := WebSocketURL(u); got != want {
			t.Errorf("WebSocketURL(%q) = %q, want %q", raw, got, want)
		}
	}
	for _, bad := range []string{"", "   ", "ftp://example.com", "http://"} {
		if _, err := ParseServerURL(bad); KindOf(err) != KindBadURL {
			t.Errorf("ParseServerURL(%q) err = %v, want KindBadURL", bad, err)
		}
	}
}

func TestDecodeMessagesAndIDs(t *testing.T) {
	msgs, err := decodeMessages(json.RawMessage(`[
		{"id":"a","text":"hi","date_created":"2026-11-28T09:00:00.123Z","user_created":{"id":"u1","first_name":"Ada"}},
		{"id":7,"text":null,"date_created":"2026-11-28T09:00:01","date_updated":"2026-11-28T09:05:00Z","user_created":"u2"}]`))
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 2 {
		t.Fatalf("got %d messages", len(msgs))
	}
	a, b := msgs[0], msgs[1]
	if a.ID != "a" || a.Text != "hi" || a.AuthorName != "Ada" || a.AuthorID != "u1" ||
		!a.Created.Equal(time.Date(2026, 11, 28, 9, 0, 0, 123e6, time.UTC)) || a.Edited() {
		t.Errorf("first = %+v", a)
	}
	if b.ID != "7" || b.AuthorID != "u2" || b.AuthorName != "" || !b.Edited() {
		t.Errorf("second = %+v", b)
	}
	if _, err := decodeMessages(json.RawMessage(`[{"text":"no id"}]`)); err == nil {
		t.Error("a message without id was accepted")
	}
	// A single item object (an items reply) decodes too.
	one, err := decodeMessages(json.RawMessage(`{"id":"x","text":"t","date_created":"2026-11-28T09:00:00Z"}`))
	if err != nil || len(one) != 1 || one[0].ID != "x" {
		t.Errorf("single item = %+v, %v", one, err)
	}
	// Delete events carry ids as strings or numbers depending on who deleted.
	if got := decodeIDs(json.RawMessage(`["a", 2, {"id":"c"}]`)); len(got) != 3 || got[0] != "a" || got[1] != "2" || got[2] != "c" {
		t.Errorf("decodeIDs = %v", got)
	}
}

func TestDecodeFrameRejectsGarbage(t *testing.T) {
	for _, junk := range []string{"", "nope", "[]", `{"no":"type"}`, "\x00"} {
		if _, err := decodeFrame([]byte(junk)); err == nil {
			t.Errorf("decodeFrame(%q) accepted", junk)
		}
	}
	f, err := decodeFrame([]byte(`{"type":"items","uid":5,"status":"error","error":{"code":"RECORD_NOT_UNIQUE"}}`))
	if err != nil || f.uid() != "5" || f.Error.Code != "RECORD_NOT_UNIQUE" {
		t.Errorf("frame = %+v, %v", f, err)
	}
}

func FuzzDecodeFrame(f *testing.F) {
	f.Add([]byte(`{"type":"subscription","event":"create","uid":"s","data":[{"id":"a","text":"x"}]}`))
	f.Add([]byte(`{"type":"subscription","event":"delete","data":[1,"2"]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		fr, err := decodeFrame(data)
		if err != nil {
			return
		}
		_, _ = decodeMessages(fr.Data)
		_ = decodeIDs(fr.Data)
	})
}

func TestInternationalAndIPv6Addresses(t *testing.T) {
	for raw, want := range map[string]string{
		// Non-ASCII host names are dialled in their punycode form.
		"https://Bücher.example:8443/x": "https://xn--bcher-kva.example:8443/x",
		"dirеctus.example":              "https://xn--dirctus-9gg.example", // Cyrillic е
		"https://ＥＸＡＭＰＬＥ.com":           "https://example.com",             // full-width letters map to ASCII
		"https://xn--bcher-kva.example": "https://xn--bcher-kva.example",
		"https://a_b.example":           "https://a_b.example", // ASCII names stay as typed
		// IPv6 literals.
		"http://[::1]:8055":   "http://[::1]:8055",
		"[::1]:8055":          "http://[::1]:8055",
		"::1":                 "http://[::1]",
		"[fd00::2]:8055/chat": "https://[fd00::2]:8055/chat",
		"fd00::2":             "https://[fd00::2]",
		"ws://[::1]:8055/":    "http://[::1]:8055",
	} {
		u, err := ParseServerURL(raw)
		if err != nil {
			t.Errorf("%q: %v", raw, err)
			continue
		}
		if got := u.String(); got != want {
			t.Errorf("ParseServerURL(%q) = %q, want %q", raw, got, want)
		}
	}
	u, _ := ParseServerURL("http://[::1]:8055")
	if got := WebSocketURL(u); got != "ws://[::1]:8055/websocket" {
		t.Errorf("WebSocketURL = %q", got)
	}
	for _, bad := range []string{"https://\u0301a.example", "https://a\u200db.example", "https://bü\u2028.example"} {
		if _, err := ParseServerURL(bad); KindOf(err) != KindBadURL {
			t.Errorf("ParseServerURL(%q) err = %v, want KindBadURL", bad, err)
		}
	}
	_, err := ParseServerURL("http://::1:8055")
	if !strings.Contains(Describe(err), "brackets") {
		t.Errorf("an IPv6 address without brackets: %q, want a hint about brackets", Describe(err))
	}
}

// A person must see the look-alike: the host shown is the ASCII form
// that is dialled, with the Unicode spelling beside it.
func TestDisplayHostShowsPunycode(t *testing.T) {
	for raw, want := range map[string]string{
		"https://dirеctus.example":        "xn--dirctus-9gg.example (dirеctus.example)",
		"https://bücher.example:8443":     "xn--bcher-kva.example:8443 (bücher.example:8443)",
		"https://xn--bcher-kva.example":   "xn--bcher-kva.example (bücher.example)",
		"https://directus.example":        "directus.example",
		"http://[::1]:8055":               "[::1]:8055",
		"https://xn--a.example":           "xn--a.example", // not a valid encoding
		"https://chat.xn--p1ai/directus/": "chat.xn--p1ai (chat.рф)",
	} {
		u, err := ParseServerURL(raw)
		if err != nil {
			t.Fatalf("%q: %v", raw, err)
		}
		if got := DisplayHost(u); got != want {
			t.Errorf("DisplayHost(%q) = %q, want %q", raw, got, want)
		}
	}
}

// selfSignedFor makes a certificate valid only for host, and a pool that
// trusts it.
func selfSignedFor(t *testing.T, host string) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: host},
		DNSNames:              []string{host},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}

// pingAndSocket answers /server/ping and upgrades /websocket.
func pingAndSocket() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/server/ping", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("pong")) })
	mux.HandleFunc("/websocket", func(w http.ResponseWriter, r *http.Request) {
		up := websocket.Upgrader{}
		ws, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer ws.Close()
		for {
			if _, _, err := ws.ReadMessage(); err != nil {
				return
			}
		}
	})
	return mux
}

// An internationalised server name is dialled, sent as the TLS server name
// and checked against the certificate in its ASCII form, for REST and for
// the WebSocket (whose dialer does no IDNA conversion of its own).
func TestIDNServerIsDialledAndVerifiedInPunycode(t *testing.T) {
	const ascii = "xn--bcher-kva.example"
	cert, pool := selfSignedFor(t, ascii)
	var mu sync.Mutex
	var serverNames, dialled []string
	srv := httptest.NewUnstartedServer(pingAndSocket())
	srv.TLS = &tls.Config{GetCertificate: func(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
		mu.Lock()
		serverNames = append(serverNames, hello.ServerName)
		mu.Unlock()
		return &cert, nil
	}}
	srv.StartTLS()
	defer srv.Close()
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	// Every name resolves to the test server; the dialled address is kept.
	dialTo := func(ctx context.Context, network, addr string) (net.Conn, error) {
		mu.Lock()
		dialled = append(dialled, addr)
		mu.Unlock()
		var d net.Dialer
		return d.DialContext(ctx, network, srv.Listener.Addr().String())
	}
	tlsConf := &tls.Config{RootCAs: pool}

	base, err := ParseServerURL("https://Bücher.example:" + port)
	if err != nil {
		t.Fatal(err)
	}
	rest := NewREST(base, &http.Client{Transport: &http.Transport{DialContext: dialTo, TLSClientConfig: tlsConf}})
	if err := rest.Probe(t.Context()); err != nil {
		t.Fatalf("REST: %v", err)
	}
	c, err := dial(t.Context(), &websocket.Dialer{NetDialContext: dialTo, TLSClientConfig: tlsConf}, base, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("WebSocket: %v", err)
	}
	c.close()
	mu.Lock()
	defer mu.Unlock()
	for _, a := range dialled {
		if a != net.JoinHostPort(ascii, port) {
			t.Errorf("dialled %q, want %s:%s", a, ascii, port)
		}
	}
	for _, n := range serverNames {
		if n != ascii {
			t.Errorf("TLS server name %q, want %s", n, ascii)
		}
	}
	if len(dialled) < 2 || len(serverNames) < 2 {
		t.Errorf("%d dials and %d TLS handshakes, want REST and WebSocket each", len(dialled), len(serverNames))
	}
}

// An IPv6 literal address reaches a server listening on [::1], for REST
// and for the WebSocket.
func TestIPv6LiteralServer(t *testing.T) {
	l, err := net.Listen("tcp6", "[::1]:0")
	if err != nil {
		t.Fatalf("listen on [::1]: %v", err)
	}
	srv := &httptest.Server{Listener: l, Config: &http.Server{Handler: pingAndSocket()}}
	srv.Start()
	defer srv.Close()
	_, port, _ := net.SplitHostPort(l.Addr().String())
	for _, typed := range []string{srv.URL, "[::1]:" + port} {
		base, err := ParseServerURL(typed)
		if err != nil {
			t.Fatal(err)
		}
		if err := NewREST(base, nil).Probe(t.Context()); err != nil {
			t.Errorf("%s: REST: %v", typed, err)
		}
		c, err := dial(t.Context(), &websocket.Dialer{}, base, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Errorf("%s: WebSocket: %v", typed, err)
			continue
		}
		c.close()
	}
}
