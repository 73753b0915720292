package realtime

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
)

func TestMessagesDecodeTheirFiles(t *testing.T) {
	data := `[{"id":"m1","text":"","date_created":"2025-01-02T03:04:05.000Z","files":[
		{"id":"f1","filename_download":"photo.png","type":"image/png","filesize":"48213","width":800,"height":600},
		{"id":"f2","filename_download":"notes.txt","type":"text/plain","filesize":12,"width":null,"height":null},
		"f3", null, {"filename_download":"no id"}, 7]},
		{"id":"m2","text":"no files","files":[]},
		{"id":"m3","text":"garbled","files":{"id":"x"}},
		{"id":"m4","text":"odd sizes","files":[{"id":"f4","filesize":-5,"width":"12","height":1.5}]}]`
	msgs, err := decodeMessages(json.RawMessage(data))
	if err != nil {
		t.Fatal(err)
	}
	want := []Attachment{ // by id
		{ID: "7"},
		{ID: "f1", Name: "photo.png", Type: "image/png", Size: 48213, Width: 800, Height: 600},
		{ID: "f2", Name: "notes.txt", Type: "text/plain", Size: 12},
		{ID: "f3"},
	}
	if !slices.Equal(msgs[0].Files, want) {
		t.Errorf("files = %+v\nwant    %+v", msgs[0].Files, want)
	}
	if !msgs[0].Files[1].IsImage() || msgs[0].Files[2].IsImage() {
		t.Error("IsImage: want the measured PNG only")
	}
	if msgs[1].Files != nil || msgs[2].Files != nil {
		t.Errorf("no files or garbled files decoded as %+v, %+v", msgs[1].Files, msgs[2].Files)
	}
	if got := msgs[3].Files; len(got) != 1 || got[0] != (Attachment{ID: "f4", Width: 12}) {
		t.Errorf("odd sizes decoded as %+v", got)
	}
}

// The server lists a message's files by id, or in any order: they are
// shown in the order of their ids, and ids made by NewAttachmentID one
// after another (within the same millisecond too) sort in the order they
// were made, so files show in the order they were attached.
func TestFilesShowInTheOrderTheyWereAttached(t *testing.T) {
	var ids []string
	for range 50 {
		ids = append(ids, NewAttachmentID())
	}
	var files []string
	for i, j := range []int{31, 4, 17, 0, 49, 8} {
		files = append(files, fmt.Sprintf(`{"id":%q,"filename_download":"%d"}`, ids[j], i))
	}
	data := `[{"id":"m1","text":"","files":[` + strings.Join(files, ",") + `]}]`
	msgs, err := decodeMessages(json.RawMessage(data))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range msgs[0].Files {
		names = append(names, f.Name)
	}
	if want := []string{"3", "1", "5", "2", "0", "4"}; !slices.Equal(names, want) {
		t.Errorf("files shown as %v, want %v (by the order their ids were made)", names, want)
	}
}

func TestCreateCarriesFileIDs(t *testing.T) {
	b, err := json.Marshal(createItem("messages", itemData{ID: "m", Text: "t", Files: fileIDs([]Attachment{{ID: "a"}, {ID: "b"}})}, nil))
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Data map[string]any `json:"data"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(f.Data["files"]) != "[a b]" {
		t.Errorf("create data = %s", b)
	}
	b, _ = json.Marshal(createItem("messages", itemData{ID: "m", Text: "t"}, nil))
	var g struct {
		Data map[string]any `json:"data"`
	}
	if json.Unmarshal(b, &g) != nil || g.Data["files"] != nil {
		t.Errorf("a create without files sends %s", b)
	}
}

func TestRefusedUploadIsPermanentAndSaysWhy(t *testing.T) {
	cause := errors.New("HTTP 403: forbidden")
	err := fmt.Errorf("adapter: %w", RefusedUpload(cause))
	if !errors.Is(err, ErrUploadRefused) || !errors.Is(err, cause) || err.Error() != "adapter: HTTP 403: forbidden" {
		t.Errorf("RefusedUpload: %v (is refused %v, is cause %v)", err, errors.Is(err, ErrUploadRefused), errors.Is(err, cause))
	}
	if errors.Is(cause, ErrUploadRefused) || RefusedUpload(nil) != nil {
		t.Error("only marked errors are refusals")
	}
}

func TestMessagesEqualComparesFilesAndQuotesByValue(t *testing.T) {
	a := Message{ID: "m", Quote: &Quote{ID: "q", Text: "x"}, Files: []Attachment{{ID: "f", Size: 1}}}
	b := Message{ID: "m", Quote: &Quote{ID: "q", Text: "x"}, Files: []Attachment{{ID: "f", Size: 1}}}
	if !a.Equal(b) {
		t.Error("equal messages differ")
	}
	b.Files[0].Size = 2
	if a.Equal(b) {
		t.Error("a changed file is not seen")
	}
	b.Files = a.Files
	b.Quote = &Quote{ID: "q", Text: "y"}
	if a.Equal(b) {
		t.Error("a changed quote is not seen")
	}
}
