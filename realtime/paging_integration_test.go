package realtime_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"directuschat/devserver/devservertest"
	"directuschat/realtime"
)

// bulkInsert stores texts as the admin over REST, in chunks (many share a
// date_created millisecond, which is what paging must cope with).
func bulkInsert(t *testing.T, base, email, password string, texts []string) {
	t.Helper()
	u, err := realtime.ParseServerURL(base)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := realtime.NewREST(u, nil).Login(context.Background(), email, password, "")
	if err != nil {
		t.Fatal(err)
	}
	general := devservertest.GeneralChannel(t, base, tok.Access)
	for start := 0; start < len(texts); start += 500 {
		var items []map[string]string
		for _, text := range texts[start:min(start+500, len(texts))] {
			items = append(items, map[string]string{"text": text, "channel": general})
		}
		body, _ := json.Marshal(items)
		req, _ := http.NewRequest(http.MethodPost, base+"/items/messages", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+tok.Access)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusNoContent {
			t.Fatalf("bulk insert: HTTP %d", resp.StatusCode)
		}
	}
}

func TestPagingThousandsOfMessagesHasNoGapsOrDuplicates(t *testing.T) {
	env := devservertest.Shared(t)
	const total = 3000
	prefix := unique("bulk")
	var texts []string
	for i := range total {
		texts = append(texts, fmt.Sprintf("%s %05d", prefix, i))
	}
	bulkInsert(t, env.URL, env.AdminEmail, env.AdminPassword, texts)

	grace := env.Users[2]
	r := connect(t, realtime.Config{Server: env.URL, PageSize: 200}, grace.Email, grace.Password)
	r.waitFor(10*time.Second, "the first page", func(c *client) bool { return c.tl.Len() > 0 })
	for pages := 0; r.countPrefix(prefix) < total; pages++ {
		if pages > 100 {
			t.Fatalf("still %d of %d after 100 pages", r.countPrefix(prefix), total)
		}
		r.mu.Lock()
		n, more := r.tl.Len(), r.tl.HasOlder()
		oldest, tied, _ := r.tl.OldestTied()
		r.mu.Unlock()
		if !more {
			t.Fatalf("the server says there is nothing older, with %d of %d loaded", r.countPrefix(prefix), total)
		}
		r.s.LoadOlder(oldest, tied)
		r.waitFor(10*time.Second, "an older page", func(c *client) bool { return c.tl.Len() > n || !c.tl.HasOlder() })
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	seen := map[string]int{}
	var prev realtime.Message
	for i := 0; i < r.tl.Len(); i++ {
		e := r.tl.At(i)
		if i > 0 && e.Created.Before(prev.Created) {
			t.Fatalf("row %d (%s) is older than row %d (%s)", i, e.Created, i-1, prev.Created)
		}
		prev = e.Message
		if strings.HasPrefix(e.Text, prefix) {
			seen[e.Text]++
		}
	}
	for _, text := range texts {
		if seen[text] != 1 {
			t.Fatalf("%q loaded %d times, want once", text, seen[text])
		}
	}
}
