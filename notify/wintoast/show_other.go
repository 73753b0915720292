//go:build !windows

package wintoast

// Show returns ErrUnsupported: toasts exist only on Windows.
func Show(appID, toastXML string) error { return ErrUnsupported }
