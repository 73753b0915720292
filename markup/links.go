package markup

import (
	"net/url"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/yuin/goldmark/util"
	"golang.org/x/net/idna"
)

// safeTarget is dest as a link may open it, and whether it may: an
// absolute http or https URL with a valid host name, or a mailto URL with
// an address; bidi controls removed, the host in its ASCII (IDNA) form, so
// that a look-alike letter shows as what it is ("xn--pple-43d.com"), and
// the rest as the URL parser writes it back (percent-encoded).
func safeTarget(dest string) (string, bool) {
	dest = strings.TrimSpace(stripBidi(dest))
	u, err := url.Parse(dest)
	if err != nil {
		return "", false
	}
	switch u.Scheme {
	case "http", "https":
		if u.Host == "" || u.Opaque != "" {
			return "", false
		}
		if host := u.Hostname(); !strings.Contains(host, ":") { // not an IPv6 literal
			ascii, err := hostProfile.ToASCII(host)
			if err != nil || ascii == "" {
				return "", false
			}
			if port := u.Port(); port != "" {
				ascii += ":" + port
			}
			u.Host = ascii
		}
	case "mailto":
		if u.Opaque == "" {
			return "", false
		}
	default:
		return "", false
	}
	return u.String(), true
}

// hostProfile maps host names to their ASCII form as browsers look them
// up (IDNA 2008 with UTS #46 mapping), but allows "_" as browsers do.
var hostProfile = idna.New(idna.MapForLookup(), idna.BidiRule(), idna.CheckJoiners(true), idna.StrictDomainName(false))

// isBidiControl reports whether r is a bidirectional embedding, override or
// isolate control (U+202A–U+202E, U+2066–U+2069), which can make text show
// in another order than it reads.
func isBidiControl(r rune) bool {
	return r >= 0x202A && r <= 0x202E || r >= 0x2066 && r <= 0x2069
}

// stripBidi is s without bidi controls.
func stripBidi(s string) string {
	if !strings.ContainsFunc(s, isBidiControl) {
		return s
	}
	return strings.Map(func(r rune) rune {
		if isBidiControl(r) {
			return -1
		}
		return r
	}, s)
}

// deceptive reports whether a link showing text and opening target (a
// safeTarget) could mislead: target hides a user name before its host, or
// has an internationalized host name (whose letters may look like others:
// "аpple.com" with a Cyrillic "а"), or a word of text looks like an
// address (a URL, a domain, an email address) that is not target's. It
// errs on the side of saying so ("node.js" looks like a domain): all that
// follows is that the UI shows the target.
func deceptive(text, target string) bool {
	t, err := url.Parse(target)
	if err != nil {
		return true
	}
	if t.User != nil || strings.Contains(t.Hostname(), "xn--") {
		return true
	}
	for w := range strings.FieldsSeq(stripFormat(text)) {
		a, ok := address(trimWord(w))
		if ok && !sameAddress(a, t) {
			return true
		}
	}
	return false
}

// trimWord is w without the punctuation around it that is not part of an
// address: quotes, brackets, a sentence's ".,;:!?", and a ")" only when it
// closes no "(" in w ("(see a.com)" but "wiki/Go_(language)").
func trimWord(w string) string {
	for {
		n := len(w)
		w = strings.TrimLeft(w, "<([{\"'")
		w = strings.TrimRight(w, ">]}\"'.,;:!?*_~`")
		if strings.HasSuffix(w, ")") && strings.Count(w, ")") > strings.Count(w, "(") {
			w = w[:len(w)-1]
		}
		if len(w) == n {
			return w
		}
	}
}

// sameAsTarget reports whether a link's text already says its target (as
// an autolink's does), so that plain text need not repeat it.
func sameAsTarget(text, target string) bool {
	if text == target {
		return true
	}
	t, err := url.Parse(target)
	if err != nil {
		return false
	}
	a, ok := address(strings.TrimSpace(stripFormat(text)))
	return ok && sameAddress(a, t) && strings.TrimSuffix(a.Path, "/") == strings.TrimSuffix(t.Path, "/") &&
		a.RawQuery == t.RawQuery && a.Fragment == t.Fragment
}

// stripFormat is s without format characters (zero-width spaces and
// joiners, bidi controls, soft hyphens…), which are invisible and so do not
// count when comparing what text says with where a link goes.
func stripFormat(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.Is(unicode.Cf, r) {
			return -1
		}
		return r
	}, s)
}

// address is w read as an address, if it looks like one: a URL with a
// scheme and a host, a mailto URL, an email address, or a domain name
// (with or without a path).
func address(w string) (*url.URL, bool) {
	if w == "" {
		return nil, false
	}
	lower := strings.ToLower(w)
	switch {
	case strings.Contains(w, "://"):
		u, err := url.Parse(w)
		if err != nil || u.Host == "" {
			// It says it is a URL but is not one: not the target.
			return &url.URL{Scheme: "invalid"}, true
		}
		return u, true
	case strings.HasPrefix(lower, "mailto:"):
		u, err := url.Parse(w)
		if err != nil {
			return &url.URL{Scheme: "invalid"}, true
		}
		return u, true
	}
	if at := strings.LastIndexByte(w, '@'); at > 0 && isDomain(w[at+1:]) {
		return &url.URL{Scheme: "mailto", Opaque: w}, true
	}
	host := w
	if i := strings.IndexAny(w, "/?#"); i >= 0 {
		host = w[:i]
	}
	if h, _, ok := strings.Cut(host, ":"); ok {
		if _, err := strconv.Atoi(host[len(h)+1:]); err != nil {
			return nil, false
		}
		host = h
	}
	if !isDomain(host) {
		return nil, false
	}
	u, err := url.Parse("http://" + w)
	if err != nil {
		return &url.URL{Scheme: "invalid"}, true
	}
	return u, true
}

// isDomain reports whether s looks like a domain name: two or more labels
// of letters (any script), digits and dashes, the last of two or more
// letters.
func isDomain(s string) bool {
	labels := strings.Split(s, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if l == "" || strings.ContainsFunc(l, func(r rune) bool {
			return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '-'
		}) {
			return false
		}
	}
	tld := labels[len(labels)-1]
	return utf8.RuneCountInString(tld) >= 2 && !strings.ContainsFunc(tld, func(r rune) bool { return !unicode.IsLetter(r) })
}

// sameAddress reports whether a (an address read from a link's text) is t
// (its target) or a part of it: http and https alike, the same host (case,
// a leading "www." and the IDNA form aside), the same port, and, where a
// names a path or query, the same path or query.
func sameAddress(a, t *url.URL) bool {
	if a.Scheme == "mailto" || t.Scheme == "mailto" {
		return a.Scheme == t.Scheme && strings.EqualFold(mailbox(a), mailbox(t))
	}
	web := func(s string) bool { return s == "http" || s == "https" }
	if !web(a.Scheme) || !web(t.Scheme) {
		return false
	}
	if a.User != nil || normHost(a.Hostname()) != normHost(t.Hostname()) || a.Port() != t.Port() {
		return false
	}
	if p := strings.TrimSuffix(a.Path, "/"); p != "" && p != strings.TrimSuffix(t.Path, "/") {
		return false
	}
	if a.RawQuery != "" && a.RawQuery != t.RawQuery {
		return false
	}
	return true
}

// mailbox is the address of a mailto URL, without its query.
func mailbox(u *url.URL) string {
	addr, _, _ := strings.Cut(u.Opaque, "?")
	if s, err := url.PathUnescape(addr); err == nil {
		return s
	}
	return addr
}

// normHost is a host name in a form to compare: its ASCII (IDNA) form
// where it has one, lower case, without a leading "www." and a trailing
// dot.
func normHost(h string) string {
	h = strings.TrimSuffix(h, ".")
	if a, err := hostProfile.ToASCII(h); err == nil {
		h = a
	}
	h = strings.ToLower(h)
	return strings.TrimPrefix(h, "www.")
}

// unescape resolves what goldmark leaves in text for its renderer to
// resolve: backslash escapes of ASCII punctuation, entity and numeric
// character references, and NUL (which becomes U+FFFD).
func unescape(s string) string {
	if !strings.ContainsAny(s, "\\&\x00") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s) && util.IsPunct(s[i+1]):
			b.WriteByte(s[i+1])
			i++
		case c == 0:
			b.WriteRune(utf8.RuneError)
		case c == '&':
			if r, n := reference(s[i:]); n > 0 {
				b.WriteString(r)
				i += n - 1
			} else {
				b.WriteByte(c)
			}
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// reference reads the entity or numeric character reference at the start
// of s ("&amp;", "&#123;", "&#x1F600;"), giving what it stands for and its
// length, or a length of 0 when there is none.
func reference(s string) (string, int) {
	end := strings.IndexByte(s[:min(len(s), 40)], ';')
	if end < 2 {
		return "", 0
	}
	body := s[1:end]
	if body[0] == '#' {
		digits, base, most := body[1:], 10, 7
		if len(digits) > 0 && (digits[0] == 'x' || digits[0] == 'X') {
			digits, base, most = digits[1:], 16, 6
		}
		if digits == "" || len(digits) > most {
			return "", 0
		}
		v, err := strconv.ParseUint(digits, base, 32)
		if err != nil {
			return "", 0
		}
		return string(util.ToValidRune(rune(v))), end + 1
	}
	for i := 0; i < len(body); i++ {
		if !util.IsAlphaNumeric(body[i]) {
			return "", 0
		}
	}
	if e, ok := util.LookUpHTML5EntityByName(body); ok {
		return string(e.Characters), end + 1
	}
	return "", 0
}
