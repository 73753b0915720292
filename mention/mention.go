// Package mention stores @mentions inside message text so that every client
// resolves them to the same user, even after that user is renamed.
//
// The wire form is Slack's: <@USER-UUID>, where USER-UUID is the
// directus_users id. Only a 36-character id made of hex digits and dashes
// makes a token, so any other "<@...>" text stays plain text. The composer
// shows "@Ada Lovelace" while the user writes; Encode turns the names the
// user picked into tokens when the message is sent, and Display turns tokens
// back into "@Name" with the names known at display time.
//
// Everything here is pure string work (no Fyne), safe for concurrent use,
// and linear in the length of the text, whatever the text holds.
package mention

import (
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// Person is someone who can be mentioned.
type Person struct {
	ID   string // directus_users id
	Name string // "First Last", as shown
}

// idLen is the length of a user id in a token: a UUID's 36 characters.
const idLen = 36

const (
	tokenOpen  = "<@"
	tokenClose = '>'
	tokenLen   = len(tokenOpen) + idLen + 1
)

// UnknownName is shown (after "@") for a token whose user is not known.
const UnknownName = "unknown user"

// ValidID reports whether id can be carried in a token: exactly 36
// characters, each a hex digit or a dash.
func ValidID(id string) bool {
	if len(id) != idLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		if !isIDByte(id[i]) {
			return false
		}
	}
	return true
}

func isIDByte(b byte) bool {
	return b >= '0' && b <= '9' || b >= 'a' && b <= 'f' || b >= 'A' && b <= 'F' || b == '-'
}

// Token is the wire form of a mention of userID. It does not check the id:
// a token made from an id that ValidID refuses is read back as plain text.
func Token(userID string) string {
	return tokenOpen + userID + string(tokenClose)
}

// tokenAt reports whether a valid token starts at text[i].
func tokenAt(text string, i int) bool {
	if len(text)-i < tokenLen || text[i] != '<' || text[i+1] != '@' || text[i+tokenLen-1] != tokenClose {
		return false
	}
	return ValidID(text[i+len(tokenOpen) : i+tokenLen-1])
}

// Span is one part of a message's text: plain text (UserID "") or a mention,
// whose Text is the raw token and UserID the id in it, in lower case as
// Directus writes ids.
type Span struct {
	Text   string
	UserID string
}

// Split cuts text into plain parts and mentions, in order. Plain parts are
// never empty and never adjacent; joining every Text gives text back.
func Split(text string) []Span {
	if text == "" {
		return nil
	}
	spans := make([]Span, 0, 2*countTokens(text)+1)
	plain := 0 // start of the plain text not yet emitted
	for i := 0; i < len(text); {
		j := strings.Index(text[i:], tokenOpen)
		if j < 0 {
			break
		}
		i += j
		if !tokenAt(text, i) {
			i++
			continue
		}
		if plain < i {
			spans = append(spans, Span{Text: text[plain:i]})
		}
		tok := text[i : i+tokenLen]
		spans = append(spans, Span{Text: tok, UserID: strings.ToLower(tok[len(tokenOpen) : tokenLen-1])})
		i += tokenLen
		plain = i
	}
	if plain < len(text) {
		spans = append(spans, Span{Text: text[plain:]})
	}
	return spans
}

// countTokens is the number of valid tokens in text.
func countTokens(text string) int {
	n := 0
	for i := 0; i < len(text); {
		j := strings.Index(text[i:], tokenOpen)
		if j < 0 {
			break
		}
		i += j
		if tokenAt(text, i) {
			n++
			i += tokenLen
			continue
		}
		i++
	}
	return n
}

// Mentions reports whether text mentions userID (ids compared without
// regard to case).
func Mentions(text, userID string) bool {
	if !ValidID(userID) {
		return false
	}
	for i := 0; i < len(text); {
		j := strings.Index(text[i:], tokenOpen)
		if j < 0 {
			return false
		}
		i += j
		if tokenAt(text, i) && strings.EqualFold(text[i+len(tokenOpen):i+tokenLen-1], userID) {
			return true
		}
		i++
	}
	return false
}

// Display is text as shown: each token becomes "@" and the user's name as
// name gives it, or "@unknown user" when name does not know the id (or
// gives an empty name). name gets ids in lower case.
func Display(text string, name func(id string) (string, bool)) string {
	spans := Split(text)
	if len(spans) == 1 && spans[0].UserID == "" {
		return text
	}
	var b strings.Builder
	b.Grow(len(text))
	for _, s := range spans {
		if s.UserID == "" {
			b.WriteString(s.Text)
			continue
		}
		b.WriteByte('@')
		if n, ok := name(s.UserID); ok && n != "" {
			b.WriteString(n)
		} else {
			b.WriteString(UnknownName)
		}
	}
	return b.String()
}

// Encode turns the composer's text into the wire form: each "@Name" of a
// picked person becomes that person's token. Only picked people are
// encoded (someone who typed "@Ada Lovelace" by hand did not pick her),
// the longest names are tried first (so "@Ada Lovelace" wins over "@Ada"),
// and only at word boundaries: the "@" starts the text or follows a
// character that is not part of a word, and the name is followed by the
// end of the text or by such a character. Names are matched exactly.
// People with an empty name or an id ValidID refuses are left as text, and
// tokens already in the text are kept as they are.
func Encode(text string, picked []Person) string {
	var people []Person
	seen := map[Person]bool{}
	for _, p := range picked {
		if p.Name == "" || !ValidID(p.ID) || seen[p] {
			continue
		}
		seen[p] = true
		people = append(people, p)
	}
	if len(people) == 0 || !strings.Contains(text, "@") {
		return text
	}
	sort.SliceStable(people, func(i, j int) bool { return len(people[i].Name) > len(people[j].Name) })

	var b strings.Builder
	b.Grow(len(text))
	for _, s := range Split(text) {
		if s.UserID != "" {
			b.WriteString(s.Text)
			continue
		}
		encodePlain(&b, s.Text, people)
	}
	return b.String()
}

// encodePlain writes plain text with the names of people (longest first)
// turned into tokens.
func encodePlain(b *strings.Builder, text string, people []Person) {
	last := 0 // text[last:] is not written yet
	for i := 0; i < len(text); {
		j := strings.IndexByte(text[i:], '@')
		if j < 0 {
			break
		}
		i += j
		if i > 0 {
			if r, _ := utf8.DecodeLastRuneInString(text[:i]); isWordRune(r) {
				i++
				continue
			}
		}
		rest := text[i+1:]
		matched := false
		for _, p := range people {
			if !strings.HasPrefix(rest, p.Name) {
				continue
			}
			if after := rest[len(p.Name):]; after != "" {
				if r, _ := utf8.DecodeRuneInString(after); isWordRune(r) {
					continue
				}
			}
			b.WriteString(text[last:i])
			b.WriteString(Token(p.ID))
			i += 1 + len(p.Name)
			last = i
			matched = true
			break
		}
		if !matched {
			i++
		}
	}
	b.WriteString(text[last:])
}

// isWordRune reports whether r continues a word: a letter, digit,
// combining mark or underscore.
func isWordRune(r rune) bool {
	return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.M, r)
}

// MaxQuery is the most characters of a name Typing takes as a mention being
// written.
const MaxQuery = 30

// Typing reports whether the user is writing a mention right before the
// cursor, given the text before it: an "@" at the start of the text or after
// whitespace, followed by at most MaxQuery characters that are not
// whitespace, except single spaces between them (not first, not two in a
// row), and no line break. query is what follows the "@" (the partial name
// for the picker) and start the byte offset of the "@" in textBeforeCursor.
func Typing(textBeforeCursor string) (query string, start int, ok bool) {
	end := len(textBeforeCursor)
	i := end
	for n := 0; n <= MaxQuery && i > 0; n++ {
		r, size := utf8.DecodeLastRuneInString(textBeforeCursor[:i])
		i -= size
		if r != '@' {
			if r == ' ' {
				if i > 0 && textBeforeCursor[i-1] == ' ' {
					return "", 0, false // two spaces in a row
				}
				continue
			}
			if unicode.IsSpace(r) || r == utf8.RuneError && size == 1 {
				return "", 0, false
			}
			continue
		}
		if i > 0 {
			if p, _ := utf8.DecodeLastRuneInString(textBeforeCursor[:i]); !unicode.IsSpace(p) {
				return "", 0, false
			}
		}
		query = textBeforeCursor[i+1 : end]
		if strings.HasPrefix(query, " ") {
			return "", 0, false
		}
		return query, i, true
	}
	return "", 0, false
}

// Match is the people whose name matches query, best first, at most limit
// of them (all when limit <= 0). Letter case and accents are ignored
// ("jose" finds "José Núñez"). Names where query starts the first or last
// name (or any word of it, or the whole name) come before names merely
// containing it; then by name, then in the order given. An empty query
// matches everyone.
func Match(people []Person, query string, limit int) []Person {
	q := fold(strings.TrimLeft(query, " "))
	type hit struct {
		p    Person
		rank int
		key  string
	}
	var hits []hit
	for _, p := range people {
		name := fold(p.Name)
		rank := matchRank(name, q)
		if rank < 0 {
			continue
		}
		hits = append(hits, hit{p: p, rank: rank, key: name})
	}
	sort.SliceStable(hits, func(i, j int) bool {
		if hits[i].rank != hits[j].rank {
			return hits[i].rank < hits[j].rank
		}
		return hits[i].key < hits[j].key
	})
	if limit > 0 && len(hits) > limit {
		hits = hits[:limit]
	}
	out := make([]Person, len(hits))
	for i, h := range hits {
		out[i] = h.p
	}
	return out
}

// matchRank is 0 when q starts name or one of its words, 1 when name
// contains q elsewhere, -1 when it does not contain q. Both are folded.
func matchRank(name, q string) int {
	if q == "" || strings.HasPrefix(name, q) {
		return 0
	}
	at := strings.Index(name, q)
	if at < 0 {
		return -1
	}
	for ; at >= 0; at = nextIndex(name, q, at) {
		if r, _ := utf8.DecodeLastRuneInString(name[:at]); unicode.IsSpace(r) || r == '-' {
			return 0
		}
	}
	return 1
}

// nextIndex is the index of q in name after the occurrence at at, or -1.
func nextIndex(name, q string, at int) int {
	_, size := utf8.DecodeRuneInString(name[at:])
	j := strings.Index(name[at+size:], q)
	if j < 0 {
		return -1
	}
	return at + size + j
}

// Fold is s as Match compares it: accents removed, case folded, in NFC.
func Fold(s string) string { return fold(s) }

func fold(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		return strings.ToLower(s)
	}
	t := transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC, cases.Fold())
	out, _, err := transform.String(t, s)
	if err != nil {
		return strings.ToLower(s)
	}
	return out
}
