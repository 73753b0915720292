package realtime

import (
	"encoding/json"
	"testing"
	"time"
)

func TestWebSocketURLFromWhatPeopleType(t *testing.T) {
	for raw, want := range map[string]string{
		"https://chat.example.com":             "wss://chat.example.com/websocket",
		"https://chat.example.com/":            "wss://chat.example.com/websocket",
		"http://127.0.0.1:8055":                "ws://127.0.0.1:8055/websocket",
		"  http://127.0.0.1:8055//  ":          "ws://127.0.0.1:8055/websocket",
		"chat.example.com":                     "wss://chat.example.com/websocket",
		"localhost:8055":                       "ws://localhost:8055/websocket",
		"https://example.com/directus/":        "wss://example.com/directus/websocket",
		"wss://example.com/directus/websocket": "wss://example.com/directus/websocket",
		"https://example.com/admin?x=1#frag":   "wss://example.com/admin/websocket",
	} {
		u, err := ParseServerURL(raw)
		if err != nil {
			t.Errorf("%q: %v", raw, err)
			continue
		}
		if got := WebSocketURL(u); got != want {
			t.Errorf("WebSocketURL(%q) = %q, want %q", raw, got, want)
		}
	}
	for _, bad := range []string{"", "   ", "ftp://example.com", "http://"} {
		if _, err := ParseServerURL(bad); KindOf(err) != KindBadURL {
			t.Errorf("ParseServerURL(%q) err = %v, want KindBadURL", bad, err)
		}
	}
}

func TestDecodeMessagesAndIDs(t *testing.T) {
	msgs, err := decodeMessages(json.RawMessage(`[
		{"id":"a","text":"hi","date_created":"2026-11-28T09:00:00.123Z","user_created":{"id":"u1","first_name":"Ada"}},
		{"id":7,"text":null,"date_created":"2026-11-28T09:00:01","date_updated":"2026-11-28T09:05:00Z","user_created":"u2"}]`))
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 2 {
		t.Fatalf("got %d messages", len(msgs))
	}
	a, b := msgs[0], msgs[1]
	if a.ID != "a" || a.Text != "hi" || a.AuthorName != "Ada" || a.AuthorID != "u1" ||
		!a.Created.Equal(time.Date(2026, 11, 28, 9, 0, 0, 123e6, time.UTC)) || a.Edited() {
		t.Errorf("first = %+v", a)
	}
	if b.ID != "7" || b.AuthorID != "u2" || b.AuthorName != "" || !b.Edited() {
		t.Errorf("second = %+v", b)
	}
	if _, err := decodeMessages(json.RawMessage(`[{"text":"no id"}]`)); err == nil {
		t.Error("a message without id was accepted")
	}
	// A single item object (an items reply) decodes too.
	one, err := decodeMessages(json.RawMessage(`{"id":"x","text":"t","date_created":"2026-11-28T09:00:00Z"}`))
	if err != nil || len(one) != 1 || one[0].ID != "x" {
		t.Errorf("single item = %+v, %v", one, err)
	}
	// Delete events carry ids as strings or numbers depending on who deleted.
	if got := decodeIDs(json.RawMessage(`["a", 2, {"id":"c"}]`)); len(got) != 3 || got[0] != "a" || got[1] != "2" || got[2] != "c" {
		t.Errorf("decodeIDs = %v", got)
	}
}

func TestDecodeFrameRejectsGarbage(t *testing.T) {
	for _, junk := range []string{"", "nope", "[]", `{"no":"type"}`, "\x00"} {
		if _, err := decodeFrame([]byte(junk)); err == nil {
			t.Errorf("decodeFrame(%q) accepted", junk)
		}
	}
	f, err := decodeFrame([]byte(`{"type":"items","uid":5,"status":"error","error":{"code":"RECORD_NOT_UNIQUE"}}`))
	if err != nil || f.uid() != "5" || f.Error.Code != "RECORD_NOT_UNIQUE" {
		t.Errorf("frame = %+v, %v", f, err)
	}
}

func FuzzDecodeFrame(f *testing.F) {
	f.Add([]byte(`{"type":"subscription","event":"create","uid":"s","data":[{"id":"a","text":"x"}]}`))
	f.Add([]byte(`{"type":"subscription","event":"delete","data":[1,"2"]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		fr, err := decodeFrame(data)
		if err != nil {
			return
		}
		_, _ = decodeMessages(fr.Data)
		_ = decodeIDs(fr.Data)
	})
}
