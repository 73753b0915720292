//go:build windows || linux || freebsd || openbsd || netbsd

package fynenotify

import (
	"bytes"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"fyne.io/fyne/v2"
)

// osAppID is the id the OS knows the app by, as Fyne chooses it.
func osAppID(a fyne.App) string {
	id := a.UniqueID()
	if id == "" || strings.HasPrefix(id, "missing-id") {
		id = a.Metadata().Name
	}
	return id
}

// iconFile writes the app's icon, once, to a file in the user's cache
// directory that the OS can show next to the notification; it returns the
// file's path, or "" if there is no icon or it cannot be written.
type iconFile struct {
	app  fyne.App
	once sync.Once
	path string
}

func (f *iconFile) get() string {
	f.once.Do(func() {
		icon := f.app.Icon()
		if icon == nil {
			return
		}
		path, err := writeIcon(osAppID(f.app), icon.Content())
		if err != nil {
			slog.Warn("notifications will show no app icon", "err", err)
			return
		}
		f.path = path
	})
	return f.path
}

func writeIcon(id string, png []byte) (string, error) {
	dir, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("notification icon: %w", err)
	}
	dir = filepath.Join(dir, "fyne", id)
	path := filepath.Join(dir, "notification-icon.png")
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, png) {
		return path, nil
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("notification icon: %w", err)
	}
	tmp, err := os.CreateTemp(dir, "notification-icon-*.png")
	if err != nil {
		return "", fmt.Errorf("notification icon: %w", err)
	}
	_, err = tmp.Write(png)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		_ = os.Remove(tmp.Name())
		return "", fmt.Errorf("notification icon: %w", err)
	}
	return path, nil
}
