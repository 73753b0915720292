//go:build !windows && !(darwin && !ios) && !((freebsd || openbsd || netbsd || (linux && !android)) && !wayland)

package winpos

// Wayland (a client may not place its top-level windows), mobile and the
// web have nothing to read or move.

func nativeHandle(any) uintptr { return 0 }

func get(uintptr) (int, int, error) { return 0, 0, ErrUnsupported }

func set(uintptr, int, int) error { return ErrUnsupported }
