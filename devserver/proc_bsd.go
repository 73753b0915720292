//go:build unix && !linux

package devserver

import "syscall"

// setParentDeathSignal is not available here: a test binary that dies
// leaves its server running until `go run ./cmd/devserver stop` or a reboot.
func setParentDeathSignal(*syscall.SysProcAttr) {}
