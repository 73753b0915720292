package fynenotify

import "directuschat/notify"

// osascriptProgram shows a notification whose title and body are the last
// two arguments of the run handler. The text never becomes AppleScript
// source: it is only read as the values of argv.
var osascriptProgram = []string{
	"on run argv",
	"display notification (item -1 of argv) with title (item -2 of argv)",
	"end run",
}

// osascriptArgs returns the arguments of /usr/bin/osascript that show a
// notification: the fixed program, then "--" so that no text is read as an
// option, then title and body (sanitized: an argument cannot hold NUL).
func osascriptArgs(title, body string) []string {
	args := make([]string, 0, 2*len(osascriptProgram)+3)
	for _, line := range osascriptProgram {
		args = append(args, "-e", line)
	}
	return append(args, "--",
		notify.Sanitize(title, 200), notify.Sanitize(body, 1000))
}
