package realtime

import "strings"

// A page of history is kept for as long as the chat is open: thousands of
// messages, each with its own small strings (id, text, author, channel,
// quote, file names), decoded while the JSON they came from is garbage.
// Go's heap never moves objects, so each small string left behind holds
// its whole span (8 KB or more) among the freed garbage: memory the
// process keeps although little of it is in use. packMessages and
// packReactions copy a decoded batch's strings into one block (a value
// that repeats, an author or a channel, once), its quotes into one array
// and its files into another: a handful of allocations per page instead
// of several per message.

// stringPack collects the strings of a batch and points them into one
// block.
type stringPack struct {
	b     strings.Builder
	at    map[string]int // a value's offset in b
	slots []packSlot
}

type packSlot struct {
	p      *string
	off, n int
}

// add notes *p to be moved into the block.
func (sp *stringPack) add(p *string) {
	s := *p
	if s == "" {
		return
	}
	off, ok := sp.at[s]
	if !ok {
		off = sp.b.Len()
		sp.b.WriteString(s)
		sp.at[s] = off
	}
	sp.slots = append(sp.slots, packSlot{p: p, off: off, n: len(s)})
}

// done points every noted string into the block.
func (sp *stringPack) done() {
	block := sp.b.String()
	for _, s := range sp.slots {
		*s.p = block[s.off : s.off+s.n]
	}
}

func newStringPack(size int) *stringPack {
	sp := &stringPack{at: make(map[string]int, size)}
	sp.b.Grow(size)
	return sp
}

// packMessages moves msgs' strings, quotes and files into one block, one
// array of quotes and one of files (see the top of this file). The
// messages' values do not change.
func packMessages(msgs []Message) {
	if len(msgs) < 2 {
		return
	}
	size, nQuotes, nFiles := 0, 0, 0
	for _, m := range msgs {
		size += len(m.ID) + len(m.Text) + len(m.AuthorID) + len(m.AuthorName) + len(m.Channel) + len(m.ReplyTo)
		if m.Quote != nil {
			nQuotes++
			size += len(m.Quote.ID) + len(m.Quote.AuthorID) + len(m.Quote.AuthorName) + len(m.Quote.Text)
		}
		nFiles += len(m.Files)
		for _, f := range m.Files {
			size += len(f.ID) + len(f.Name) + len(f.Type) + len(f.Path)
		}
	}
	quotes := make([]Quote, 0, nQuotes)
	files := make([]Attachment, 0, nFiles)
	sp := newStringPack(size)
	for i := range msgs {
		m := &msgs[i]
		if m.Quote != nil {
			quotes = append(quotes, *m.Quote)
			m.Quote = &quotes[len(quotes)-1]
		}
		if len(m.Files) > 0 {
			from := len(files)
			files = append(files, m.Files...)
			m.Files = files[from:len(files):len(files)] // an append to one message's files copies, never overwrites the next's
		}
		for _, p := range []*string{&m.ID, &m.Text, &m.AuthorID, &m.AuthorName, &m.Channel, &m.ReplyTo} {
			sp.add(p)
		}
		if q := m.Quote; q != nil {
			for _, p := range []*string{&q.ID, &q.AuthorID, &q.AuthorName, &q.Text} {
				sp.add(p)
			}
		}
		for j := range m.Files {
			f := &m.Files[j]
			for _, p := range []*string{&f.ID, &f.Name, &f.Type, &f.Path} {
				sp.add(p)
			}
		}
	}
	sp.done()
}

// packReactions moves rs' strings into one block (see the top of this
// file); a message's id, a user and an emoji that repeat are kept once.
func packReactions(rs []Reaction) {
	if len(rs) < 2 {
		return
	}
	size := 0
	for _, r := range rs {
		size += len(r.ID) + len(r.Message) + len(r.User) + len(r.Emoji)
	}
	sp := newStringPack(size)
	for i := range rs {
		r := &rs[i]
		for _, p := range []*string{&r.ID, &r.Message, &r.User, &r.Emoji} {
			sp.add(p)
		}
	}
	sp.done()
}
