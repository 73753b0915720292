package cluster

import "syscall"

// sysProcAttr puts the child in a session of its own (a terminal's Ctrl-C
// does not reach it), runs it as cred when given, and unless detached has
// Linux kill it when its parent dies, so tests leave nothing behind.
func sysProcAttr(detached bool, cred *syscall.Credential) *syscall.SysProcAttr {
	a := &syscall.SysProcAttr{Setsid: true, Credential: cred}
	if !detached {
		a.Pdeathsig = syscall.SIGKILL
	}
	return a
}
