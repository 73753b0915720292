package cluster

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"sync"
	"syscall"
	"time"
)

// proc is one child process of the cluster (PostgreSQL, Redis, HAProxy):
// in a process group of its own, its output appended to a log file, and,
// unless detached, killed by Linux when the process that started it dies.
type proc struct {
	name    string
	path    string
	args    []string
	logPath string
	cred    *syscall.Credential // run as this user (PostgreSQL refuses root)
	detach  bool

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{}
}

// start launches the process. Like devserver, it forks from a goroutine
// locked to its OS thread until the child exits: Linux sends the parent-death
// signal when the forking thread ends, not the process.
func (p *proc) start() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd != nil && !isClosed(p.exited) {
		return fmt.Errorf("%s is already running (pid %d)", p.name, p.cmd.Process.Pid)
	}
	logf, err := os.OpenFile(p.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("open %s log: %w", p.name, err)
	}
	defer logf.Close()
	fmt.Fprintf(logf, "=== cluster: %s start at %s\n", p.name, time.Now().Format(time.RFC3339))
	cmd := exec.Command(p.path, p.args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = sysProcAttr(p.detach, p.cred)
	started := make(chan error, 1)
	exited := make(chan struct{})
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		_ = cmd.Wait()
		close(exited)
	}()
	if err := <-started; err != nil {
		return fmt.Errorf("start %s: %w", p.name, err)
	}
	p.cmd, p.exited = cmd, exited
	return nil
}

// pid returns the process id while it runs, 0 otherwise.
func (p *proc) pid() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil || isClosed(p.exited) {
		return 0
	}
	return p.cmd.Process.Pid
}

// exitedChan is closed when the current process exits (nil before start).
func (p *proc) exitedChan() <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.exited
}

// stop sends sig to the process (not its group: PostgreSQL's postmaster
// shuts its backends down itself) and waits up to timeout, then kills the
// whole group. Stopping a stopped process is a no-op.
func (p *proc) stop(sig syscall.Signal, timeout time.Duration) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil || isClosed(p.exited) {
		return nil
	}
	pid := p.cmd.Process.Pid
	if err := syscall.Kill(pid, sig); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("signal %s (pid %d): %w", p.name, pid, err)
	}
	select {
	case <-p.exited:
		return nil
	case <-time.After(timeout):
	}
	if err := syscall.Kill(-pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("kill %s (pid %d): %w", p.name, pid, err)
	}
	<-p.exited
	return nil
}

// kill sends SIGKILL to the process group (kill -9) and waits until the
// leader is gone.
func (p *proc) kill() error { return p.stop(syscall.SIGKILL, 10*time.Second) }

func isClosed(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// tailFile returns the end of a log file for error messages.
func tailFile(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	const max = 2000
	if fi, err := f.Stat(); err == nil && fi.Size() > max {
		_, _ = f.Seek(fi.Size()-max, io.SeekStart)
	}
	b, _ := io.ReadAll(f)
	return string(b)
}
