package store

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"directuschat/realtime"
)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func TestOutboxSurvivesReopenInOrder(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	db, err := Open(path, quiet())
	if err != nil {
		t.Fatal(err)
	}
	ob := db.Outbox("http://x", "u1")
	t0 := time.Now()
	for i, id := range []string{"c", "a", "b"} {
		if err := ob.Put(realtime.Message{ID: id, Text: "m" + id, Created: t0.Add(time.Duration(i) * time.Millisecond)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := ob.Remove("a"); err != nil {
		t.Fatal(err)
	}
	// Another account's outbox is separate.
	if err := db.Outbox("http://x", "u2").Put(realtime.Message{ID: "z", Created: t0}); err != nil {
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
	msgs, err := db.Outbox("http://x", "u1").Load()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range msgs {
		got = append(got, m.ID+"="+m.Text)
	}
	if strings.Join(got, ",") != "c=mc,b=mb" {
		t.Fatalf("outbox after reopen = %v, want c then b", got)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("state file mode = %v, want 0600", fi.Mode().Perm())
	}
}

func TestCorruptFileIsSetAsideNotFatal(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "state.db")
	if err := os.WriteFile(path, []byte(strings.Repeat("garbage", 1000)), 0o600); err != nil {
		t.Fatal(err)
	}
	db, err := Open(path, quiet())
	if err != nil {
		t.Fatalf("open corrupt file: %v", err)
	}
	defer db.Close()
	if msgs, err := db.Outbox("s", "u").Load(); err != nil || len(msgs) != 0 {
		t.Fatalf("fresh outbox = %v, %v", msgs, err)
	}
	aside, _ := filepath.Glob(path + ".corrupt-*")
	if len(aside) != 1 {
		t.Fatalf("corrupt file not kept aside: %v", aside)
	}
}

func TestCacheKeepsNewestAndIsDeletedAtLogout(t *testing.T) {
	db, err := OpenCacheDir(t.TempDir(), quiet())
	if err != nil {
		t.Fatal(err)
	}
	c := db.Cache("http://x", "ada@example.com")
	t0 := time.Now().UTC()
	var msgs []realtime.Message
	for i := range CacheSize + 50 {
		msgs = append(msgs, realtime.Message{ID: fmt.Sprintf("m%04d", i), Text: "t", AuthorName: "Ada", Created: t0.Add(time.Duration(i) * time.Second)})
	}
	if err := c.Save(realtime.User{ID: "u1", FirstName: "Ada"}, msgs); err != nil {
		t.Fatal(err)
	}
	user, got, err := c.Load()
	if err != nil {
		t.Fatal(err)
	}
	if user.FirstName != "Ada" || len(got) != CacheSize || got[0].ID != "m0050" || got[len(got)-1].ID != fmt.Sprintf("m%04d", CacheSize+49) {
		t.Fatalf("loaded %q with %d messages (%s..%s)", user.FirstName, len(got), got[0].ID, got[len(got)-1].ID)
	}
	if err := c.Delete(); err != nil {
		t.Fatal(err)
	}
	if _, got, _ := c.Load(); len(got) != 0 {
		t.Fatalf("%d messages left after delete", len(got))
	}
}

func TestCacheKeepsConversationsDraftsAndChannels(t *testing.T) {
	db, err := OpenCacheDir(t.TempDir(), quiet())
	if err != nil {
		t.Fatal(err)
	}
	c := db.Cache("http://x", "ada@example.com")
	msgs := []realtime.Message{{ID: "m1", Text: "hi", Channel: "general-id", Created: time.Now().UTC()}}
	drafts := map[string]string{"general-id": "half a thought", "random-id": "another"}
	if err := c.SaveWithDrafts(realtime.User{ID: "u1"}, msgs, drafts); err != nil {
		t.Fatal(err)
	}
	_, got, err := c.Load()
	if err != nil || len(got) != 1 || got[0].Channel != "general-id" {
		t.Fatalf("loaded %+v, %v: want the message with its channel", got, err)
	}
	if d := c.Drafts(); d["general-id"] != "half a thought" || d["random-id"] != "another" {
		t.Fatalf("drafts %q", d)
	}
	if err := c.Delete(); err != nil {
		t.Fatal(err)
	}
	if d := c.Drafts(); d != nil {
		t.Fatalf("drafts %q left after delete", d)
	}
}

func TestOutboxKeepsEachMessagesConversation(t *testing.T) {
	db, err := Open(filepath.Join(t.TempDir(), "state.db"), quiet())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ob := db.Outbox("http://x", "u1")
	if err := ob.Put(realtime.Message{ID: "a", Text: "to random", Channel: "random-id", Created: time.Now()}); err != nil {
		t.Fatal(err)
	}
	got, err := ob.Load()
	if err != nil || len(got) != 1 || got[0].Channel != "random-id" {
		t.Fatalf("loaded %+v, %v: want the message with its channel", got, err)
	}
}
