package realtime

import (
	"fmt"
	"net"
	"net/url"
	"strings"
)

// ParseServerURL turns what a person typed into the base URL of a Directus
// project. It accepts "https://chat.example.com/", "http://127.0.0.1:8055" and,
// without a scheme, "chat.example.com" (https) or "localhost:8055" (http, as
// loopback servers rarely have certificates). Paths are kept for Directus
// instances served below a prefix; trailing slashes, queries and fragments are
// dropped.
func ParseServerURL(raw string) (*url.URL, error) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return nil, &Error{Kind: KindBadURL, Msg: "enter the address of your Directus server"}
	}
	if !strings.Contains(s, "://") {
		scheme := "https://"
		host := s
		if i := strings.IndexAny(host, "/?#"); i >= 0 {
			host = host[:i]
		}
		if isLoopbackHost(hostOnly(host)) {
			scheme = "http://"
		}
		s = scheme + s
	}
	u, err := url.Parse(s)
	if err != nil {
		return nil, &Error{Kind: KindBadURL, Msg: fmt.Sprintf("%q is not a valid server address", raw), Err: err}
	}
	switch u.Scheme {
	case "http", "https":
	case "ws":
		u.Scheme = "http"
	case "wss":
		u.Scheme = "https"
	default:
		return nil, &Error{Kind: KindBadURL, Msg: fmt.Sprintf("%q is not an http or https address", raw)}
	}
	if u.Host == "" {
		return nil, &Error{Kind: KindBadURL, Msg: fmt.Sprintf("%q has no host name", raw)}
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.Path = strings.TrimSuffix(u.Path, "/websocket")
	u.RawPath = ""
	u.RawQuery = ""
	u.Fragment = ""
	u.User = nil
	return u, nil
}

// WebSocketURL is the realtime endpoint of a Directus base URL:
// http becomes ws, https becomes wss, and "/websocket" is appended to the path.
func WebSocketURL(base *url.URL) string {
	u := *base
	switch u.Scheme {
	case "https":
		u.Scheme = "wss"
	default:
		u.Scheme = "ws"
	}
	u.Path = strings.TrimRight(u.Path, "/") + "/websocket"
	return u.String()
}

// InsecureRemote reports whether credentials sent to base would cross a
// network in clear text: plain http to a host that is not loopback.
func InsecureRemote(base *url.URL) bool {
	return base.Scheme == "http" && !isLoopbackHost(base.Hostname())
}

func hostOnly(hostport string) string {
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		return h
	}
	return strings.Trim(hostport, "[]")
}

func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
