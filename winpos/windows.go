//go:build windows

package winpos

import (
	"errors"
	"fmt"
	"syscall"
	"unsafe"

	"fyne.io/fyne/v2/driver"
)

// user32 and its procedures load on first use (syscall.LazyDLL is safe for
// concurrent use) and never change after.
var (
	user32              = syscall.NewLazyDLL("user32.dll")
	procGetWindowRect   = user32.NewProc("GetWindowRect")
	procIsIconic        = user32.NewProc("IsIconic")
	procMonitorFromRect = user32.NewProc("MonitorFromRect")
	procSetWindowPos    = user32.NewProc("SetWindowPos")
)

const (
	monitorDefaultToNull = 0x0000 // MONITOR_DEFAULTTONULL
	swpNoSize            = 0x0001 // SWP_NOSIZE
	swpNoZOrder          = 0x0004 // SWP_NOZORDER
	swpNoActivate        = 0x0010 // SWP_NOACTIVATE
)

// winRect is a Win32 RECT.
type winRect struct{ Left, Top, Right, Bottom int32 }

func nativeHandle(ctx any) uintptr {
	if c, ok := ctx.(driver.WindowsWindowContext); ok {
		return c.HWND
	}
	return 0
}

// frame is the window's frame rectangle in screen pixels. A minimised
// window has none worth keeping (Windows parks it at -32000,-32000).
func frame(hwnd uintptr) (rect, error) {
	if r, _, _ := procIsIconic.Call(hwnd); r != 0 {
		return rect{}, errors.New("the window is minimised")
	}
	var r winRect
	if ok, _, err := procGetWindowRect.Call(hwnd, uintptr(unsafe.Pointer(&r))); ok == 0 {
		return rect{}, fmt.Errorf("GetWindowRect: %w", err)
	}
	return rect{int(r.Left), int(r.Top), int(r.Right - r.Left), int(r.Bottom - r.Top)}, nil
}

func get(hwnd uintptr) (int, int, error) {
	r, err := frame(hwnd)
	if err != nil {
		return 0, 0, err
	}
	return r.x, r.y, nil
}

func set(hwnd uintptr, x, y int) error {
	r, err := frame(hwnd)
	if err != nil {
		return err
	}
	p := probe(rect{x, y, r.w, r.h})
	pr := winRect{int32(p.x), int32(p.y), int32(p.x + p.w), int32(p.y + p.h)}
	if m, _, _ := procMonitorFromRect.Call(uintptr(unsafe.Pointer(&pr)), monitorDefaultToNull); m == 0 {
		return fmt.Errorf("%w: a %dx%d window at %d,%d", ErrOffScreen, r.w, r.h, x, y)
	}
	// Negative coordinates pass as two's complement; SetWindowPos reads the
	// low 32 bits as an int.
	ok, _, err := procSetWindowPos.Call(hwnd, 0, uintptr(x), uintptr(y), 0, 0, swpNoSize|swpNoZOrder|swpNoActivate)
	if ok == 0 {
		return fmt.Errorf("SetWindowPos: %w", err)
	}
	return nil
}
