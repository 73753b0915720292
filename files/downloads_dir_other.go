//go:build !windows

package files

func platformDownloadsDir() (string, bool) { return "", false }
