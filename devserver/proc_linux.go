package devserver

import "syscall"

// setParentDeathSignal kills the server when the thread that started it
// exits, which in a Go program means when the program exits.
func setParentDeathSignal(a *syscall.SysProcAttr) {
	a.Pdeathsig = syscall.SIGKILL
}
