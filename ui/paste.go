package ui

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode/utf8"

	"fyne.io/fyne/v2"
	_ "golang.org/x/image/bmp"  // a picture some programs put on the clipboard
	_ "golang.org/x/image/tiff" // and macOS's screenshots and Preview

	"directuschat/clipimage"
)

const (
	// pastedKeep is how long a pasted picture waits on disk to be sent.
	pastedKeep = 30 * 24 * time.Hour
	// maxPastedPixels bounds a pasted picture (decoded, it would take 4
	// bytes a pixel): 100 megapixels.
	maxPastedPixels = 100_000_000
)

// pasteShortcut takes a paste when the clipboard holds no text: its
// picture, if any, is attached like a file (Fyne's clipboard holds only
// text; clipimage reads the desktop's). "No text" includes bytes that are
// not text: a program that has only a picture may still answer a request
// for text with the picture's bytes (xclip does), and those never go into
// the composer. A paste of text goes on to the entry.
func (c *chatView) pasteShortcut(p *fyne.ShortcutPaste) bool {
	if p.Clipboard == nil {
		return false
	}
	if text := p.Clipboard.Content(); text != "" && utf8.ValidString(text) && !strings.ContainsRune(text, 0) {
		return false
	}
	if c.host.pastedDir == "" {
		return true
	}
	if !c.canAttach() {
		c.notice("Not pasted: this server does not take attachments.")
		return true
	}
	dir := c.host.pastedDir
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		img, err := clipimage.Read(ctx)
		var path string
		if err == nil {
			path, err = savePasted(dir, img, time.Now())
		}
		c.host.dispatch(func() {
			if c.detached {
				return
			}
			switch {
			case errors.Is(err, clipimage.ErrNoImage):
				// Nothing to paste: as in any entry.
			case errors.Is(err, clipimage.ErrUnsupported):
				c.notice("Pictures cannot be pasted here: attach them with the paperclip, or drop them on the window.")
			case err != nil:
				c.notice("Not pasted: " + err.Error())
			default:
				c.attach([]string{path})
			}
		})
	}()
	return true
}

// savePasted checks that img is a picture and writes it into dir as a
// file named for the time it was pasted (a picture not PNG, JPEG or GIF
// becomes a PNG, which the server makes thumbnails of); pictures pasted
// more than pastedKeep ago are deleted.
func savePasted(dir string, img clipimage.Image, now time.Time) (string, error) {
	cfg, format, err := image.DecodeConfig(bytes.NewReader(img.Data))
	if err != nil {
		return "", fmt.Errorf("the clipboard's picture could not be read (%s)", img.Type)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width*cfg.Height > maxPastedPixels {
		return "", fmt.Errorf("the clipboard's picture is %d×%d pixels: too big", cfg.Width, cfg.Height)
	}
	data, ext := img.Data, "."+format
	switch format {
	case "png", "gif":
	case "jpeg":
		ext = ".jpg"
	default:
		decoded, _, err := image.Decode(bytes.NewReader(img.Data))
		if err != nil {
			return "", fmt.Errorf("the clipboard's picture could not be read (%s)", img.Type)
		}
		var b bytes.Buffer
		if err := png.Encode(&b, decoded); err != nil {
			return "", fmt.Errorf("paste: %w", err)
		}
		data, ext = b.Bytes(), ".png"
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("paste: %w", err)
	}
	prunePasted(dir, now)
	base := "Pasted image " + now.Format("2006-01-02 15.04.05")
	for i := 1; ; i++ {
		name := base + ext
		if i > 1 {
			name = fmt.Sprintf("%s (%d)%s", base, i, ext)
		}
		path := filepath.Join(dir, name)
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, os.ErrExist) && i < 100 {
			continue
		}
		if err != nil {
			return "", fmt.Errorf("paste: %w", err)
		}
		_, err = f.Write(data)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			os.Remove(path)
			return "", fmt.Errorf("paste: %w", err)
		}
		return path, nil
	}
}

// prunePasted deletes the pictures pasted into dir more than pastedKeep
// before now (a message that held one and is still not sent fails its
// upload with a message saying the file is gone).
func prunePasted(dir string, now time.Time) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if !e.Type().IsRegular() || !strings.HasPrefix(e.Name(), "Pasted image ") {
			continue
		}
		if info, err := e.Info(); err == nil && now.Sub(info.ModTime()) > pastedKeep {
			os.Remove(filepath.Join(dir, e.Name()))
		}
	}
}
