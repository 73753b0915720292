package fynenotify

import (
	"os/exec"
	"testing"
	"unsafe"

	"fyne.io/fyne/v2/test"
	"golang.org/x/sys/windows"
)

// processCounter puts the test process into a job object and returns a
// function counting every process started in it since (ended ones too).
func processCounter(t *testing.T) func() uint32 {
	t.Helper()
	job, err := windows.CreateJobObject(nil, nil)
	if err != nil {
		t.Fatalf("CreateJobObject: %v", err)
	}
	t.Cleanup(func() { windows.CloseHandle(job) })
	if err := windows.AssignProcessToJobObject(job, windows.CurrentProcess()); err != nil {
		t.Fatalf("AssignProcessToJobObject: %v", err)
	}
	return func() uint32 {
		var info struct {
			TotalUserTime, TotalKernelTime, ThisPeriodTotalUserTime, ThisPeriodTotalKernelTime int64
			TotalPageFaultCount, TotalProcesses, ActiveProcesses, TotalTerminatedProcesses     uint32
		}
		if err := windows.QueryInformationJobObject(job, windows.JobObjectBasicAccountingInformation,
			uintptr(unsafe.Pointer(&info)), uint32(unsafe.Sizeof(info)), nil); err != nil {
			t.Fatalf("QueryInformationJobObject: %v", err)
		}
		return info.TotalProcesses
	}
}

// On Windows the app's notifier sends WinRT toasts itself (Fyne's
// SendNotification starts PowerShell with the text in the script), and
// sending hostile text starts no process.
func TestWindowsNotifierStartsNoProcess(t *testing.T) {
	a := test.NewApp()
	t.Cleanup(a.Quit)
	s, ok := platformSender(a).(*toastSender)
	if !ok {
		t.Fatalf("the Windows notifier sends with %T, not through WinRT", platformSender(a))
	}
	processes := processCounter(t)
	before := processes()
	if err := exec.Command("cmd.exe", "/c", "exit", "0").Run(); err != nil {
		t.Fatalf("starting cmd.exe for the counter's check: %v", err)
	}
	if got := processes(); got != before+1 {
		t.Fatalf("the job counted %d processes after starting one, want %d", got, before+1)
	}
	before = processes()
	n := newNotifier(s.send)
	for i, text := range hostile {
		n.Notify("Ada "+text, text)
		if i%QueueSize == QueueSize-1 {
			n.Close()
			n = newNotifier(s.send)
		}
	}
	n.Close() // every toast has been handed to Windows (or failed)
	if n.Dropped() != 0 {
		t.Fatalf("dropped %d", n.Dropped())
	}
	if got := processes(); got != before {
		t.Fatalf("sending %d notifications started %d processes", len(hostile), got-before)
	}
}
