package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"directuschat/internal/bench"
)

// A report as a run on some machine writes it: absolute paths everywhere.
func machineReport(root, dir string) *Report {
	return &Report{
		Date: "2026-01-02 03:04 UTC", Commit: "abc1234",
		Populated: &bench.Populated{Messages: 10, DataDir: root + "/.devserver/data/bench-history-10-11.17.4"},
		Model: &bench.History{
			Loaded: 100, HeapInuse: 5,
			Profile: dir + "/heap-model.pprof",
			Top:     []bench.HeapEntry{{Flat: "1MB", Where: "encoding/json.(*decodeState).literalStore /usr/local/go/src/encoding/json/decode.go:958"}},
			TopLines: []bench.HeapEntry{
				{Flat: "1MB", Where: "directuschat/timeline.(*Timeline).insertSent " + root + "/timeline/timeline.go:187"},
				{Flat: "1MB", Where: "fyne.io/fyne/v2/canvas.NewText /home/someone/go/pkg/mod/fyne.io/fyne/v2@v2.8.1/canvas/text.go:80"},
			},
		},
		UI:     &bench.History{Loaded: 100, Profile: dir + "/heap-ui.pprof", ProfileIdle: dir + "/heap-ui-idle.pprof"},
		App:    &AppResult{Notes: []string{"log kept in " + dir + "/app-signin.log"}},
		Diag:   &Diag{Phases: []DiagPhase{{Name: "idle", Profile: dir + "/diagnose/cpu-1.pprof"}}},
		Errors: []string{"app: no window within 60 s (log " + dir + "/app-start-0.log)"},
	}
}

func TestResultsNameNoMachinePaths(t *testing.T) {
	root := "/srv/checkout/directuschat"
	dir := root + "/.devserver/bench/20260102-030405"
	r := machineReport(root, dir)
	r.portable(root, dir)
	data, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	for _, machine := range []string{"/srv/", "/usr/local/go", "/home/someone", "/pkg/mod/"} {
		if strings.Contains(string(data), machine) {
			t.Errorf("the results name %q:\n%s", machine, data)
		}
	}
	for got, want := range map[string]string{
		r.Model.Profile:           "heap-model.pprof",
		r.UI.ProfileIdle:          "heap-ui-idle.pprof",
		r.Diag.Phases[0].Profile:  "diagnose/cpu-1.pprof",
		r.Populated.DataDir:       ".devserver/data/bench-history-10-11.17.4",
		r.Model.Top[0].Where:      "encoding/json.(*decodeState).literalStore encoding/json/decode.go:958",
		r.Model.TopLines[0].Where: "directuschat/timeline.(*Timeline).insertSent timeline/timeline.go:187",
		r.Model.TopLines[1].Where: "fyne.io/fyne/v2/canvas.NewText fyne.io/fyne/v2@v2.8.1/canvas/text.go:80",
		r.Errors[0]:               "app: no window within 60 s (log app-start-0.log)",
	} {
		if got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	}
}

// The page carries no raw data; the results file does, and rendering it
// again keeps the "Before" figures it was written with.
func TestResultsFileKeepsBeforeAndPageHasNoData(t *testing.T) {
	dir := t.TempDir()
	results := filepath.Join(dir, "benchmarks", "results.json")

	prev := &Report{Date: "2026-01-01 00:00 UTC", Commit: "0ld0ld0", Latency: &bench.Latency{Messages: 10, App: bench.Dist{P50: 24}}}
	prev.setBefore(nil)
	if err := writeResults(results, prev); err != nil {
		t.Fatal(err)
	}
	r := &Report{Date: "2026-01-02 00:00 UTC", Commit: "new1234", Latency: &bench.Latency{Messages: 10, App: bench.Dist{P50: 19}}}
	r.setBefore(readPrevious(results))
	if err := writeResults(results, r); err != nil {
		t.Fatal(err)
	}

	again := readPrevious(results)
	if again == nil {
		t.Fatal("the results file does not read back")
	}
	again.setBefore(readPrevious(results)) // rendering the results file itself
	table := renderTable(again)
	if !strings.Contains(table, "Before (0ld0ld0, 2026-01-01 00:00 UTC)") {
		t.Errorf("the table's Before column is not the previous run's:\n%s", table)
	}
	if !strings.Contains(table, "| send → applied to the app's timeline, p50 | 19 ms |  |  | 24 ms |") {
		t.Errorf("the table lost a Before figure:\n%s", table)
	}
	doc := renderDoc(again, table, "", "benchmarks/results.json")
	if strings.Contains(doc, `"latency"`) || strings.Contains(doc, "bench-data") {
		t.Errorf("the page embeds the raw results:\n%s", doc)
	}
	if !strings.Contains(doc, "(benchmarks/results.json)") {
		t.Error("the page does not link the raw results")
	}
	if b, _ := os.ReadFile(results); !strings.Contains(string(b), `"before"`) {
		t.Errorf("the results file has no previous figures:\n%s", b)
	}
}
