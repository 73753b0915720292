package ui

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"github.com/google/uuid"
	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"

	"directuschat/clipimage"
	"directuschat/devserver/devservertest"
	"directuschat/internal/displaytest"
)

func encodePNG(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for x := range w {
		for y := range h {
			img.Set(x, y, color.RGBA{uint8(x), uint8(y), 90, 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// Ada copies a picture in another program and pastes it into the composer
// (the clipboard holds no text, or bytes that are not text): it waits
// above the composer as a file
// named for the time, and goes with her message to the server, which Kevin
// reads as a picture. With text on the clipboard, a paste pastes the text.
func TestPastedPictureIsSent(t *testing.T) {
	env := devservertest.Shared(t)
	display := displaytest.Private(t) // the clipboard is display-wide
	t.Setenv("DISPLAY", display)
	u, th := newTestApp(t, env.URL)
	u.cfg.PastedDir = t.TempDir()
	signIn(t, u, th, env.Users[0].Email, env.Users[0].Password)
	c := u.chat
	picture := encodePNG(t, 300, 200)
	displaytest.Clipboard(t, display, "image/png", picture)

	// xclip, which has only the picture, answers a request for text with
	// its bytes: the text the window's clipboard reads is the PNG's.
	clip := u.fyne.Clipboard()
	clip.SetContent(string(picture))
	c.composer.TypedShortcut(&fyne.ShortcutPaste{Clipboard: clip})
	th.until(t, 10*time.Second, "the pasted picture above the composer", func() bool {
		return len(c.attachments.files) == 1 || c.status.Text != "" && strings.Contains(c.status.Text, "past")
	})
	if len(c.attachments.files) != 1 {
		t.Fatalf("nothing attached; the status line says %q", c.status.Text)
	}
	a := c.attachments.files[0]
	if !strings.HasPrefix(a.Name, "Pasted image ") || !strings.HasSuffix(a.Name, ".png") || a.Type != "image/png" ||
		filepath.Dir(a.Path) != u.cfg.PastedDir {
		t.Errorf("attached %q (%s) at %s", a.Name, a.Type, a.Path)
	}
	if got, err := os.ReadFile(a.Path); err != nil || !bytes.Equal(got, picture) {
		t.Errorf("the pasted file holds %d bytes (%v); want the clipboard's %d", len(got), err, len(picture))
	}
	if c.composer.Text != "" {
		t.Errorf("the composer holds %q after pasting a picture", c.composer.Text)
	}

	text := "pasted " + uuid.NewString()
	c.composer.SetText(text)
	c.composer.send()
	kevin := restAs(t, env, env.Users[1].Email, env.Users[1].Password)
	th.until(t, 30*time.Second, "the message stored with the picture, seen by Kevin", func() bool {
		var out struct {
			Data []struct {
				Files []struct {
					Type  string `json:"type"`
					Name  string `json:"filename_download"`
					Width int    `json:"width"`
				} `json:"files"`
			} `json:"data"`
		}
		kevin.do(http.MethodGet, "/items/messages?fields=files.type,files.filename_download,files.width&filter[text][_eq]="+url.QueryEscape(text), nil, &out)
		return len(out.Data) == 1 && len(out.Data[0].Files) == 1 && out.Data[0].Files[0].Type == "image/png" &&
			out.Data[0].Files[0].Name == a.Name && out.Data[0].Files[0].Width == 300
	})

	// Text on the clipboard: the paste is the entry's.
	clip.SetContent("just words")
	c.composer.TypedShortcut(&fyne.ShortcutPaste{Clipboard: clip})
	if c.composer.Text != "just words" || len(c.attachments.files) != 0 {
		t.Errorf("pasting text: composer %q, %d files attached", c.composer.Text, len(c.attachments.files))
	}
}

// What savePasted keeps of a clipboard picture: PNG as it is; BMP turned
// into PNG; bytes that are no picture, or a picture of too many pixels,
// refused before decoding; pictures pasted over a month ago deleted.
func TestSavePasted(t *testing.T) {
	dir := t.TempDir()
	now := time.Date(2026, 12, 2, 9, 30, 5, 0, time.Local)
	pic := encodePNG(t, 40, 30)
	path, err := savePasted(dir, clipimage.Image{Data: pic, Type: "image/png"}, now)
	if err != nil || filepath.Base(path) != "Pasted image 2026-12-02 09.30.05.png" {
		t.Fatalf("saved %q, %v", path, err)
	}
	again, err := savePasted(dir, clipimage.Image{Data: pic, Type: "image/png"}, now)
	if err != nil || filepath.Base(again) != "Pasted image 2026-12-02 09.30.05 (2).png" {
		t.Errorf("the same second again: %q, %v", again, err)
	}

	var b bytes.Buffer
	src := image.NewRGBA(image.Rect(0, 0, 7, 5))
	src.Set(3, 2, color.RGBA{200, 10, 20, 255})
	if err := bmp.Encode(&b, src); err != nil {
		t.Fatal(err)
	}
	path, err = savePasted(dir, clipimage.Image{Data: b.Bytes(), Type: "image/bmp"}, now.Add(time.Second))
	if err != nil || filepath.Ext(path) != ".png" {
		t.Fatalf("a BMP saved as %q, %v", path, err)
	}
	f, _ := os.Open(path)
	got, err := png.Decode(f)
	f.Close()
	if err != nil || got.Bounds().Dx() != 7 || color.RGBAModel.Convert(got.At(3, 2)) != (color.RGBA{200, 10, 20, 255}) {
		t.Errorf("the BMP's PNG: %v, %v", got, err)
	}

	// TIFF (what macOS screenshots and Preview often put there) too.
	b.Reset()
	if err := tiff.Encode(&b, src, nil); err != nil {
		t.Fatal(err)
	}
	path, err = savePasted(dir, clipimage.Image{Data: b.Bytes(), Type: "image/tiff"}, now.Add(3*time.Second))
	if err != nil || filepath.Ext(path) != ".png" {
		t.Fatalf("a TIFF saved as %q, %v", path, err)
	}
	f, _ = os.Open(path)
	got, err = png.Decode(f)
	f.Close()
	if err != nil || got.Bounds().Dx() != 7 || color.RGBAModel.Convert(got.At(3, 2)) != (color.RGBA{200, 10, 20, 255}) {
		t.Errorf("the TIFF's PNG: %v, %v", got, err)
	}

	if _, err := savePasted(dir, clipimage.Image{Data: []byte("<script>no picture</script>"), Type: "image/png"}, now); err == nil {
		t.Error("bytes that are no picture were saved")
	}
	// A PNG header of 20000×20000 pixels (and nothing after): refused on
	// its size, before anything is decoded.
	huge := encodePNG(t, 1, 1)
	huge[16], huge[17], huge[18], huge[19] = 0, 0, 0x4e, 0x20 // width 20000
	huge[20], huge[21], huge[22], huge[23] = 0, 0, 0x4e, 0x20 // height
	binary.BigEndian.PutUint32(huge[29:], crc32.ChecksumIEEE(huge[12:29]))
	if _, err := savePasted(dir, clipimage.Image{Data: huge, Type: "image/png"}, now); err == nil || !strings.Contains(err.Error(), "20000×20000") {
		t.Errorf("a 20000×20000 picture: %v", err)
	}

	old := filepath.Join(dir, "Pasted image 2026-10-01 10.00.00.png")
	if err := os.WriteFile(old, pic, 0o600); err != nil {
		t.Fatal(err)
	}
	_ = os.Chtimes(old, now.Add(-31*24*time.Hour), now.Add(-31*24*time.Hour))
	if _, err := savePasted(dir, clipimage.Image{Data: pic, Type: "image/png"}, now.Add(2*time.Second)); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(old); !os.IsNotExist(err) {
		t.Errorf("a picture pasted 31 days ago is still there (%v)", err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 5 { // two PNGs, the BMP's, the TIFF's, the last
		t.Errorf("%d files in the pasted folder; want 5", len(entries))
	}
}
