package store

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"directuschat/realtime"
)

func testFiles(i int) []realtime.Attachment {
	return []realtime.Attachment{
		{ID: fmt.Sprintf("f-%04d-a", i), Name: "photo ü.png", Type: "image/png", Size: 48_000 + int64(i), Width: 800, Height: 600, Path: "/home/ada/Pictures/photo ü.png"},
		{ID: fmt.Sprintf("f-%04d-b", i), Name: "notes.txt", Type: "text/plain", Size: 12, Path: "/tmp/notes.txt"},
	}
}

// An unsent message keeps its attachments, with the local files they are
// read from, across a reopen of the state file.
func TestOutboxKeepsAttachments(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	db, err := Open(path, quiet())
	if err != nil {
		t.Fatal(err)
	}
	m := realtime.Message{ID: "a", Text: "", Channel: "general-id", Created: time.Now(), Files: testFiles(1)}
	if err := db.Outbox("http://x", "u1").Put(m); err != nil {
		t.Fatal(err)
	}
	if err := db.Outbox("http://x", "u1").Put(realtime.Message{ID: "b", Text: "no files", Created: time.Now().Add(time.Second)}); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db, err = Open(path, quiet())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	got, err := db.Outbox("http://x", "u1").Load()
	if err != nil || len(got) != 2 {
		t.Fatalf("loaded %+v, %v", got, err)
	}
	if !slices.Equal(got[0].Files, m.Files) {
		t.Errorf("files after reopen = %+v, want %+v", got[0].Files, m.Files)
	}
	if got[1].Files != nil {
		t.Errorf("a message without files came back with %+v", got[1].Files)
	}
}

// The history cache keeps the files of messages (what the server said of
// them), by plain struct conversion from realtime.Message.
func TestCacheKeepsAttachments(t *testing.T) {
	cd, err := OpenCacheDir(t.TempDir(), quiet())
	if err != nil {
		t.Fatal(err)
	}
	c := cd.Cache("http://x", "ada@example.com")
	files := testFiles(2)
	files[0].Path = ""
	msgs := []realtime.Message{{ID: "m1", Text: "look", Channel: "general-id", Created: time.Now().UTC(), Files: files}}
	if err := c.Save(realtime.User{ID: "u1"}, msgs); err != nil {
		t.Fatal(err)
	}
	_, got, err := c.Load()
	if err != nil || len(got) != 1 || !got[0].Equal(msgs[0]) {
		t.Fatalf("loaded %+v, %v: want %+v", got, err, msgs)
	}
}

// A damaged state file whose unsent messages carry attachments is set
// aside, and what is salvaged keeps each message's files as stored.
func TestDamagedStateFileKeepsTheAttachmentsOfWhatIsRecovered(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "healthy.db")
	db, err := Open(path, quiet())
	if err != nil {
		t.Fatal(err)
	}
	ob := db.Outbox(testServer, testUser)
	want := map[string][]realtime.Attachment{}
	t0 := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	for i := range 300 {
		m := realtime.Message{ID: fmt.Sprintf("id-%04d", i), Text: fmt.Sprintf("message %d", i), Created: t0.Add(time.Duration(i) * time.Second), Files: testFiles(i)}
		if err := ob.Put(m); err != nil {
			t.Fatal(err)
		}
		want[m.ID] = m.Files
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	used := usedSize(t, data)
	recovered := 0
	for _, cut := range []int{used - 1, used - 4096, used * 3 / 4, used / 2} {
		name := fmt.Sprintf("cut at %d of %d", cut, used)
		loaded, dmg := openDamaged(t, name, data[:cut])
		if len(dmg) != 1 {
			t.Errorf("%s: %d damages reported, want 1", name, len(dmg))
		}
		for _, m := range loaded {
			if !slices.Equal(m.Files, want[m.ID]) {
				t.Errorf("%s: recovered %s with files %+v, want %+v", name, m.ID, m.Files, want[m.ID])
			}
		}
		recovered += len(loaded)
		t.Logf("%s: %d of 300 messages recovered with their files", name, len(loaded))
	}
	if recovered == 0 {
		t.Fatal("nothing recovered from any cut")
	}
}
