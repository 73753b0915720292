// Package localeenv gives Fyne a locale it can parse, in an init function
// that runs before Fyne's language package reads it.
//
// On Linux and the BSDs Fyne reads the user's locale from the environment
// through github.com/jeandeaual/go-locale: the first of LC_ALL,
// LC_MESSAGES and LANG that is set, or LANGUAGE (a colon-separated list)
// unless that first one is exactly C or POSIX. Each entry loses its
// codeset (".UTF-8") and becomes a BCP 47 tag; an entry that does not
// parse as one makes Fyne log "Error parsing user locale" at every start
// and fall back to no language at all. Fyne 2.8 already accepts C, POSIX,
// C.UTF-8 and no locale; what it still cannot parse are glibc modifiers
// (sr_RS@latin, ca_ES@valencia, de_DE@euro), POSIX.UTF-8, empty entries
// and unknown languages. For those, and only those, this package sets
// LANGUAGE, which go-locale then reads instead, to the same list with the
// modifiers dropped and the entries Fyne cannot read left out, or "en"
// when none is left. LANGUAGE only chooses the language of translated
// messages (gettext); the locale the C library uses for formats and
// character types (LC_*, LANG) is left as it is.
//
// Go initialises packages in import-path order among those whose imports
// are done: "directuschat/…" sorts before "fyne.io/…", and this package
// imports only what Fyne's language package imports too. A test of package
// main checks the order in the built app.
package localeenv

import (
	"strings"

	"golang.org/x/text/language"
)

// fallback is the language used when no entry can be read.
const fallback = "en"

// Language returns the LANGUAGE value that lets Fyne read the locale that
// getenv describes, and whether one is needed at all.
func Language(getenv func(string) string) (string, bool) {
	var primary string
	for _, name := range [...]string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if primary = getenv(name); primary != "" {
			break
		}
	}
	if primary == "C" || primary == "POSIX" {
		return "", false // go-locale reads nothing else, and Fyne uses English
	}
	list := getenv("LANGUAGE")
	if list == "" {
		list = primary
	}
	if list == "" {
		return "", false
	}
	var kept []string
	changed := false
	for _, entry := range strings.Split(list, ":") {
		if readable(entry) {
			kept = append(kept, entry)
			continue
		}
		changed = true
		if e, _, _ := strings.Cut(entry, "@"); e != "" && readable(e) {
			kept = append(kept, e)
		}
	}
	if !changed {
		return "", false
	}
	if len(kept) == 0 {
		kept = []string{fallback}
	}
	return strings.Join(kept, ":"), true
}

// readable reports whether Fyne reads entry without an error: its tag (as
// go-locale makes it) parses, or is C, which Fyne skips.
func readable(entry string) bool {
	t := tag(entry)
	if t == "C" {
		return true
	}
	_, err := language.Parse(t)
	return err == nil
}

// tag is what go-locale makes of an entry: the codeset cut off, and
// language_TERRITORY joined with a hyphen.
func tag(entry string) string {
	l, _, _ := strings.Cut(entry, ".")
	l = strings.ReplaceAll(l, "-", "_")
	lang, territory, _ := strings.Cut(l, "_")
	if territory != "" {
		return lang + "-" + territory
	}
	return lang
}
