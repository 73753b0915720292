package files

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// DownloadsDir returns the user's downloads folder: on Linux and the BSDs
// the XDG user directory DOWNLOAD (XDG_DOWNLOAD_DIR in
// $XDG_CONFIG_HOME/user-dirs.dirs, what `xdg-user-dir DOWNLOAD` reads), on
// Windows the Downloads known folder, elsewhere (and as the fallback)
// ~/Downloads. It does not create the folder.
func DownloadsDir() (string, error) {
	if p, ok := platformDownloadsDir(); ok {
		return p, nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", err
	}
	if runtime.GOOS != "windows" && runtime.GOOS != "darwin" {
		cfg := os.Getenv("XDG_CONFIG_HOME")
		if cfg == "" || !filepath.IsAbs(cfg) {
			cfg = filepath.Join(home, ".config")
		}
		if b, err := os.ReadFile(filepath.Join(cfg, "user-dirs.dirs")); err == nil {
			if p, ok := xdgUserDir(b, "DOWNLOAD", home); ok {
				return p, nil
			}
		}
	}
	return filepath.Join(home, "Downloads"), nil
}

// xdgUserDir reads XDG_<name>_DIR from the contents of a user-dirs.dirs
// file: lines of the form XDG_DOWNLOAD_DIR="$HOME/Downloads" (a path
// relative to $HOME, or absolute). A directory set to $HOME itself means
// "not set" (what xdg-user-dirs-update writes for a disabled one).
func xdgUserDir(contents []byte, name, home string) (string, bool) {
	key := "XDG_" + name + "_DIR="
	sc := bufio.NewScanner(bytes.NewReader(contents))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		v, ok := strings.CutPrefix(line, key)
		if !ok {
			continue
		}
		v = strings.TrimSpace(v)
		if len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' {
			return "", false
		}
		v = strings.ReplaceAll(v[1:len(v)-1], `\"`, `"`)
		switch {
		case v == "$HOME" || v == "$HOME/":
			return "", false
		case strings.HasPrefix(v, "$HOME/"):
			return filepath.Join(home, filepath.FromSlash(v[len("$HOME/"):])), true
		case filepath.IsAbs(v):
			return filepath.Clean(v), true
		}
		return "", false
	}
	return "", false
}
