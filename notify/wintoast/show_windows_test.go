package wintoast

import (
	"errors"
	"os/exec"
	"testing"
	"unsafe"

	"golang.org/x/sys/windows"
)

// jobobjectBasicAccountingInformation is JOBOBJECT_BASIC_ACCOUNTING_INFORMATION.
type jobobjectBasicAccountingInformation struct {
	TotalUserTime, TotalKernelTime, ThisPeriodTotalUserTime, ThisPeriodTotalKernelTime int64
	TotalPageFaultCount, TotalProcesses, ActiveProcesses, TotalTerminatedProcesses     uint32
}

// processCounter puts the test process into a job object: every process it
// starts from then on joins the job and is counted in TotalProcesses, even
// if it has already ended.
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
		var info jobobjectBasicAccountingInformation
		if err := windows.QueryInformationJobObject(job, windows.JobObjectBasicAccountingInformation,
			uintptr(unsafe.Pointer(&info)), uint32(unsafe.Sizeof(info)), nil); err != nil {
			t.Fatalf("QueryInformationJobObject: %v", err)
		}
		return info.TotalProcesses
	}
}

// TestShowStartsNoProcess hands every hostile text to the Windows Runtime
// and checks that no process was started. Where the toast classes exist
// (Windows 10+) the toasts are shown; under Wine, which lacks them, Show
// must fail with an error, not crash.
func TestShowStartsNoProcess(t *testing.T) {
	processes := processCounter(t)

	// The counter sees a child that starts and ends at once.
	before := processes()
	if err := exec.Command("cmd.exe", "/c", "exit", "0").Run(); err != nil {
		t.Fatalf("starting cmd.exe for the counter's check: %v", err)
	}
	if got := processes(); got != before+1 {
		t.Fatalf("the job counted %d processes after starting one, want %d: it cannot prove anything", got, before+1)
	}

	before = processes()
	for name, text := range hostile {
		doc, err := XML("Ada "+text, text, "")
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		err = Show("io.github.directuschat.desktop.test", doc)
		var hr HRESULTError
		switch {
		case err == nil:
			t.Logf("%s: shown", name)
		case errors.As(err, &hr):
			t.Logf("%s: not shown: %v", name, err)
		default:
			t.Errorf("%s: Show failed without an HRESULT: %v", name, err)
		}
	}
	if got := processes(); got != before {
		t.Fatalf("showing %d notifications started %d processes", len(hostile), got-before)
	}
}
