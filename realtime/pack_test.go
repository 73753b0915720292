package realtime

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"
	"unsafe"
)

// richPage is a page of n messages as Directus sends it: replies with
// their quote, files, two authors, one channel.
func richPage(n int) json.RawMessage {
	items := make([]map[string]any, n)
	t := time.Date(2026, 11, 28, 5, 0, 0, 0, time.UTC)
	authors := []map[string]any{
		{"id": "5f0c7e52-8a9e-4d7b-b8a4-0d3c2e1f6a70", "first_name": "Kevin"},
		{"id": "23b309f0-3aad-4508-81f1-e642fb8cc890", "first_name": "Ada"},
	}
	for i := range items {
		it := map[string]any{
			"id":           fmt.Sprintf("0b9c2f7e-5a1d-4c3b-9e8f-%012d", i),
			"text":         fmt.Sprintf("#%d **deploy** tomorrow, see `make test`", i),
			"date_created": t.Add(time.Duration(i) * time.Second).Format("2006-01-02T15:04:05.000Z"),
			"user_created": authors[i%2],
			"channel":      "7d1e0c55-0000-4000-8000-000000000001",
		}
		if i%3 == 1 {
			it["reply_to"] = map[string]any{"id": fmt.Sprintf("0b9c2f7e-5a1d-4c3b-9e8f-%012d", i-1),
				"text": "the one before", "date_created": "2026-11-28T04:59:00.000Z", "user_created": authors[(i-1)%2]}
		}
		if i%4 == 2 {
			it["files"] = []any{
				map[string]any{"id": fmt.Sprintf("f%03d-a", i), "filename_download": "photo.png", "type": "image/png", "filesize": 48000, "width": 800, "height": 600},
				map[string]any{"id": fmt.Sprintf("f%03d-b", i), "filename_download": "notes.txt", "type": "text/plain", "filesize": "12"},
			}
		}
		items[i] = it
	}
	b, _ := json.Marshal(items)
	return b
}

// spans is the lowest and highest address the strings' bytes take.
func spans(ss []string) (lo, hi uintptr) {
	for _, s := range ss {
		if s == "" {
			continue
		}
		p := uintptr(unsafe.Pointer(unsafe.StringData(s)))
		if lo == 0 || p < lo {
			lo = p
		}
		if e := p + uintptr(len(s)); e > hi {
			hi = e
		}
	}
	return lo, hi
}

// TestDecodedPageIsPacked: a decoded page's strings all lie in one block
// no longer than their distinct values (a repeated author or channel is
// kept once), its quotes in one array and its files in another; the
// messages read the same as before packing, and appending a file to one
// message leaves the next one's files alone.
func TestDecodedPageIsPacked(t *testing.T) {
	msgs, err := decodeMessages(richPage(60))
	if err != nil {
		t.Fatal(err)
	}
	var ss []string
	distinct := map[string]bool{}
	var quotes []*Quote
	var files []*Attachment
	for i := range msgs {
		m := &msgs[i]
		ss = append(ss, m.ID, m.Text, m.AuthorID, m.AuthorName, m.Channel, m.ReplyTo)
		if q := m.Quote; q != nil {
			ss = append(ss, q.ID, q.AuthorID, q.AuthorName, q.Text)
			quotes = append(quotes, q)
		}
		for j := range m.Files {
			f := &m.Files[j]
			ss = append(ss, f.ID, f.Name, f.Type)
			files = append(files, f)
		}
	}
	size := 0
	for _, s := range ss {
		if !distinct[s] {
			distinct[s] = true
			size += len(s)
		}
	}
	if lo, hi := spans(ss); hi-lo > uintptr(size) {
		t.Errorf("the page's strings span %d bytes, want at most their %d distinct bytes in one block", hi-lo, size)
	}
	if len(quotes) != 20 || len(files) != 30 {
		t.Fatalf("%d quotes and %d files decoded, want 20 and 30", len(quotes), len(files))
	}
	for i := 1; i < len(quotes); i++ {
		if d := uintptr(unsafe.Pointer(quotes[i])) - uintptr(unsafe.Pointer(quotes[i-1])); d != unsafe.Sizeof(Quote{}) {
			t.Fatalf("quote %d is %d bytes after the one before, want them side by side in one array", i, d)
		}
	}
	for i := 1; i < len(files); i++ {
		if d := uintptr(unsafe.Pointer(files[i])) - uintptr(unsafe.Pointer(files[i-1])); d != unsafe.Sizeof(Attachment{}) {
			t.Fatalf("file %d is %d bytes after the one before, want them side by side in one array", i, d)
		}
	}

	// The same page, decoded item by item (nothing to pack with), reads the same.
	var items []json.RawMessage
	if err := json.Unmarshal(richPage(60), &items); err != nil {
		t.Fatal(err)
	}
	for i, it := range items {
		one, err := decodeMessages(it)
		if err != nil || len(one) != 1 {
			t.Fatalf("item %d: %v", i, err)
		}
		if !one[0].Equal(msgs[i]) {
			t.Errorf("message %d packed reads %+v, want %+v", i, msgs[i], one[0])
		}
	}

	next := msgs[6].Files[0]
	msgs[2].Files = append(msgs[2].Files, Attachment{ID: "added"})
	if msgs[6].Files[0] != next {
		t.Errorf("appending to message 2's files changed message 6's: %+v", msgs[6].Files[0])
	}
}

// TestDecodedReactionsArePacked: a batch of reactions keeps its strings in
// one block, a repeated message id, user or emoji once.
func TestDecodedReactionsArePacked(t *testing.T) {
	var items []map[string]any
	for i := range 40 {
		items = append(items, map[string]any{"id": fmt.Sprint(1000 + i), "message": fmt.Sprintf("m%d", i/4),
			"user": []string{"u-ada", "u-kevin"}[i%2], "emoji": []string{"👍", "🎉"}[i%2]})
	}
	raw, _ := json.Marshal(items)
	rs, err := decodeReactions(raw)
	if err != nil || len(rs) != 40 {
		t.Fatalf("decoded %d reactions: %v", len(rs), err)
	}
	var ss []string
	distinct := map[string]bool{}
	size := 0
	for i, r := range rs {
		want := Reaction{ID: fmt.Sprint(1000 + i), Message: fmt.Sprintf("m%d", i/4), User: []string{"u-ada", "u-kevin"}[i%2], Emoji: []string{"👍", "🎉"}[i%2]}
		if r != want {
			t.Errorf("reaction %d reads %+v, want %+v", i, r, want)
		}
		for _, s := range []string{r.ID, r.Message, r.User, r.Emoji} {
			ss = append(ss, s)
			if !distinct[s] {
				distinct[s] = true
				size += len(s)
			}
		}
	}
	if lo, hi := spans(ss); hi-lo > uintptr(size) {
		t.Errorf("the reactions' strings span %d bytes, want at most their %d distinct bytes in one block", hi-lo, size)
	}
}
