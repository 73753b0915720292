package realtime

import (
	"fmt"
	"net"
	"net/url"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// ParseServerURL turns what a person typed into the base URL of a Directus
// project. It accepts "https://chat.example.com/", "http://127.0.0.1:8055" and,
// without a scheme, "chat.example.com" (https) or "localhost:8055" (http, as
// loopback servers rarely have certificates). Paths are kept for Directus
// instances served below a prefix; trailing slashes, queries and fragments are
// dropped.
//
// IPv6 literals are written in brackets ("http://[::1]:8055"); a bare one
// without scheme or port ("::1") gets them added. A host name with non-ASCII
// letters (an internationalised domain name) is converted to its ASCII
// (punycode, "xn--") form, which is what is dialled, sent as the TLS server
// name and shown (see DisplayHost), so that look-alike letters are visible.
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
		if ip := net.ParseIP(host); ip != nil && strings.Contains(host, ":") {
			// A bare IPv6 literal: brackets keep its colons from reading as a port.
			s = "[" + host + "]" + s[len(host):]
			host = "[" + host + "]"
		}
		if isLoopbackHost(hostOnly(host)) {
			scheme = "http://"
		}
		s = scheme + s
	}
	u, err := url.Parse(s)
	if err != nil {
		msg := fmt.Sprintf("%q is not a valid server address", raw)
		if strings.Count(s, ":") > 2 && !strings.Contains(s, "[") {
			msg += " (write IPv6 addresses in brackets, e.g. http://[::1]:8055)"
		}
		return nil, &Error{Kind: KindBadURL, Msg: msg, Err: err}
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
	if u.Host == "" || u.Hostname() == "" {
		return nil, &Error{Kind: KindBadURL, Msg: fmt.Sprintf("%q has no host name", raw)}
	}
	if err := asciiHost(u); err != nil {
		return nil, &Error{Kind: KindBadURL, Msg: fmt.Sprintf("%q has a host name that is not a valid internationalised domain name", raw), Err: err}
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

// asciiHost replaces a host name with non-ASCII letters by its punycode
// form (IDNA 2008, lookup profile: "Bücher.example" becomes
// "xn--bcher-kva.example"). ASCII names and IP literals are left as typed.
func asciiHost(u *url.URL) error {
	host := u.Hostname()
	if isASCII(host) {
		return nil
	}
	a, err := idna.Lookup.ToASCII(host)
	if err != nil {
		return err
	}
	if port := u.Port(); port != "" {
		u.Host = net.JoinHostPort(a, port)
	} else {
		u.Host = a
	}
	return nil
}

// DisplayHost is the host (and port) of base as a person should see it
// before trusting it with a password: the ASCII form that is actually
// dialled, followed by the Unicode spelling in parentheses when the name is
// internationalised, e.g. "xn--dirctus-9gg.example (dirеctus.example)".
// The Cyrillic "е" that looks like a Latin "e" cannot hide in the first form.
func DisplayHost(base *url.URL) string {
	host := base.Host
	name := base.Hostname()
	if !strings.Contains(strings.ToLower(name), "xn--") {
		return host
	}
	uni, err := idna.Display.ToUnicode(name)
	if err != nil || uni == name {
		return host
	}
	if back, err := idna.Lookup.ToASCII(uni); err != nil || !strings.EqualFold(back, name) {
		return host // not a valid encoding: its decoding would only mislead
	}
	if port := base.Port(); port != "" {
		uni = net.JoinHostPort(uni, port)
	}
	return host + " (" + uni + ")"
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
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
