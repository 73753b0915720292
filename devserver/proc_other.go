//go:build !unix

package devserver

import (
	"context"
	"errors"
	"os"
	"syscall"
	"time"
)

// The dev server is only supported on Unix-like systems; these stubs keep
// the package compiling elsewhere.

func sysProcAttr(bool) *syscall.SysProcAttr { return nil }

func signalGroup(pid int, _ syscall.Signal) error {
	p, err := os.FindProcess(pid)
	if err != nil {
		return err
	}
	return p.Kill()
}

// ProcessAlive reports whether a process with this id exists.
func ProcessAlive(pid int) bool {
	_, err := os.FindProcess(pid)
	return pid > 0 && err == nil
}

// StopProcessGroup is not supported on this system.
func StopProcessGroup(context.Context, int, time.Duration) error {
	return errors.New("devserver: stopping a detached server is only supported on Unix-like systems")
}

// lockFile does not lock here: concurrent installs are not guarded.
func lockFile(string) (func(), error) { return func() {}, nil }
