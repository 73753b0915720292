package files

import "golang.org/x/sys/windows"

func platformDownloadsDir() (string, bool) {
	p, err := windows.KnownFolderPath(windows.FOLDERID_Downloads, 0)
	return p, err == nil && p != ""
}
