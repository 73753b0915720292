package fynenotify

import (
	"encoding/xml"
	"strings"
	"sync"
	"testing"

	"directuschat/notify"
	"directuschat/notify/wintoast"
)

// hostile is text a message could carry that PowerShell, a shell,
// AppleScript or markup would act on.
var hostile = []string{
	`$(Start-Process calc)`,
	`$env:USERPROFILE ${env:APPDATA}`,
	"`$(calc)` ``n",
	`"; Start-Process calc; "`,
	"“$(Start-Process calc)” „$(calc)“ ‘$(calc)’ ‚$(calc)‘ ＂＂",
	"”; Start-Process calc; “",
	"line 1\nline 2\r\n$(calc)",
	"nul\x00byte",
	`</text><text>injected</text> <!-- &amp; <![CDATA[`,
	`-e do shell script "open -a Calculator"`,
	strings.Repeat("$(Start-Process calc)“”„‘’‚ ", 400), // ~10 KB
}

type shown struct{ appID, xml string }

// The Windows sender hands Windows toast XML whose two text nodes hold
// exactly the (sanitized, cut) title and body, whatever they say; the
// notifications pass through the Notifier's queue as in the app.
func TestToastXMLHoldsTheTextAsText(t *testing.T) {
	var mu sync.Mutex
	var got []shown
	s := &toastSender{
		appID: "io.github.directuschat.desktop",
		icon:  func() string { return `C:\cache\icon.png` },
		show: func(appID, doc string) error {
			mu.Lock()
			defer mu.Unlock()
			got = append(got, shown{appID, doc})
			return nil
		},
	}
	n := newNotifier(s.send)
	for i, text := range hostile {
		n.Notify("Ada "+text, text)
		if i%QueueSize == QueueSize-1 {
			n.Close() // wait: the queue holds QueueSize
			n = newNotifier(s.send)
		}
	}
	n.Close()
	if len(got) != len(hostile) {
		t.Fatalf("%d toasts shown for %d notifications", len(got), len(hostile))
	}
	for i, g := range got {
		if g.appID != "io.github.directuschat.desktop" {
			t.Errorf("app id %q", g.appID)
		}
		var doc struct {
			Texts []string `xml:"visual>binding>text"`
		}
		if err := xml.Unmarshal([]byte(g.xml), &doc); err != nil {
			t.Fatalf("toast %d: %v\n%s", i, err, g.xml)
		}
		want := []string{notify.Sanitize("Ada "+hostile[i], wintoast.MaxTitleRunes), notify.Sanitize(hostile[i], wintoast.MaxBodyRunes)}
		if len(doc.Texts) != 2 || doc.Texts[0] != want[0] || doc.Texts[1] != want[1] {
			t.Errorf("toast %d shows %q, want %q", i, doc.Texts, want)
		}
		if strings.Count(g.xml, "<text>") != 2 {
			t.Errorf("toast %d has %d text elements:\n%s", i, strings.Count(g.xml, "<text>"), g.xml)
		}
	}
}

// osascript gets a fixed program; the text comes after "--" as the last two
// arguments, where neither osascript nor AppleScript reads it as code.
func TestOsascriptArgsKeepTextOutOfTheProgram(t *testing.T) {
	for _, text := range hostile {
		args := osascriptArgs("Ada "+text, text)
		n := len(args)
		if n != 2*len(osascriptProgram)+3 || args[n-3] != "--" {
			t.Fatalf("args %q", args)
		}
		for i, line := range osascriptProgram {
			if args[2*i] != "-e" || args[2*i+1] != line {
				t.Fatalf("program args %q", args[:n-3])
			}
		}
		if args[n-2] != notify.Sanitize("Ada "+text, 200) || args[n-1] != notify.Sanitize(text, 1000) {
			t.Fatalf("text args %q %q", args[n-2], args[n-1])
		}
		if strings.ContainsRune(args[n-1], 0) {
			t.Fatal("an argument holds NUL")
		}
	}
}
