//go:build unix

package devserver

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"
)

// sysProcAttr puts the server in a session (and process group) of its own,
// so signals reach node and everything it spawned, and a terminal's Ctrl-C
// does not. Unless detached, Linux also kills it when its parent dies.
func sysProcAttr(detached bool) *syscall.SysProcAttr {
	a := &syscall.SysProcAttr{Setsid: true}
	if !detached {
		setParentDeathSignal(a)
	}
	return a
}

// signalGroup sends sig to the process group led by pid.
func signalGroup(pid int, sig syscall.Signal) error {
	if err := syscall.Kill(-pid, sig); err != nil && !errors.Is(err, syscall.ESRCH) {
		return err
	}
	return nil
}

// ProcessAlive reports whether a process with this id exists.
func ProcessAlive(pid int) bool {
	if pid <= 0 {
		return false
	}
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// StopProcessGroup stops a detached server that another process started:
// SIGTERM to the process group led by pid, then SIGKILL if pid is still alive
// after timeout. It returns once pid is gone.
func StopProcessGroup(ctx context.Context, pid int, timeout time.Duration) error {
	if !ProcessAlive(pid) {
		return nil
	}
	if err := signalGroup(pid, syscall.SIGTERM); err != nil {
		return fmt.Errorf("devserver: stop pid %d: %w", pid, err)
	}
	if waitGone(ctx, pid, timeout) {
		return nil
	}
	if err := signalGroup(pid, syscall.SIGKILL); err != nil {
		return fmt.Errorf("devserver: kill pid %d: %w", pid, err)
	}
	if !waitGone(ctx, pid, 10*time.Second) {
		return fmt.Errorf("devserver: pid %d is still alive after SIGKILL", pid)
	}
	return ctx.Err()
}

// waitGone polls until pid no longer exists or timeout passes.
func waitGone(ctx context.Context, pid int, timeout time.Duration) bool {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	ticker := time.NewTicker(100 * time.Millisecond)
	defer ticker.Stop()
	for ProcessAlive(pid) {
		select {
		case <-ctx.Done():
			return false
		case <-deadline.C:
			return false
		case <-ticker.C:
		}
	}
	return true
}

// lockFile takes an exclusive lock on path, waiting for another holder (a
// concurrent install) to finish. The returned function releases it.
func lockFile(path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}
