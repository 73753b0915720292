package realtime

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"
)

// wireFrame is a subscription frame as Directus 11 sends it, with n
// messages in the shape the app asks for.
func wireFrame(event string, n int) []byte {
	items := make([]map[string]any, n)
	t := time.Date(2026, 11, 28, 5, 0, 0, 0, time.UTC)
	for i := range items {
		items[i] = map[string]any{
			"id":           fmt.Sprintf("0b9c2f7e-5a1d-4c3b-9e8f-%012d", i),
			"text":         fmt.Sprintf("#%d the server message ok deploy tomorrow lunch realtime works again", i),
			"date_created": t.Add(time.Duration(i) * time.Millisecond).Format("2006-01-02T15:04:05.000Z"),
			"date_updated": nil,
			"user_created": map[string]any{"id": "5f0c7e52-8a9e-4d7b-b8a4-0d3c2e1f6a70", "first_name": "Kevin"},
		}
	}
	b, _ := json.Marshal(map[string]any{"type": "subscription", "event": event, "uid": "messages-1", "data": items})
	return b
}

// BenchmarkDecodeLiveFrame is the socket reader's and the session loop's
// decoding of one live message: the frame, then its data.
func BenchmarkDecodeLiveFrame(b *testing.B) {
	data := wireFrame("create", 1)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		f, err := decodeFrame(data)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := decodeMessages(f.Data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodePage is the same for a page of 50 (the newest page at
// sign-in, or an older page).
func BenchmarkDecodePage(b *testing.B) {
	data := wireFrame("init", 50)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		f, err := decodeFrame(data)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := decodeMessages(f.Data); err != nil {
			b.Fatal(err)
		}
	}
}
