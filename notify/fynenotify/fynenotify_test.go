package fynenotify

import (
	"fmt"
	"testing"

	"fyne.io/fyne/v2"
)

func TestSendsInOrderAndCloseWaits(t *testing.T) {
	var got []string // written by the Notifier's goroutine, read after Close
	n := newNotifier(func(note *fyne.Notification) { got = append(got, note.Title+"|"+note.Content) })
	n.Notify("Ada", "one")
	n.Notify("2 new messages from Ada and Kevin", "Kevin: three")
	n.Close()
	want := []string{"Ada|one", "2 new messages from Ada and Kevin|Kevin: three"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("sent %q, want %q", got, want)
	}
	n.Notify("late", "ignored")
	n.Close()
	if len(got) != 2 || n.Dropped() != 1 {
		t.Fatalf("after Close: sent %d, dropped %d", len(got), n.Dropped())
	}
}

// A desktop that does not answer never blocks Notify: the queue fills and
// the rest is dropped.
func TestNotifyNeverBlocks(t *testing.T) {
	entered := make(chan struct{}, QueueSize+2)
	release := make(chan struct{})
	sent := 0
	n := newNotifier(func(*fyne.Notification) {
		entered <- struct{}{}
		<-release
		sent++
	})
	n.Notify("first", "") // taken by the goroutine, which then hangs
	<-entered
	for i := range QueueSize + 5 {
		n.Notify(fmt.Sprint(i), "")
	}
	if d := n.Dropped(); d != 5 {
		t.Fatalf("dropped %d, want 5", d)
	}
	close(release)
	n.Close()
	if sent != 1+QueueSize {
		t.Fatalf("sent %d, want %d", sent, 1+QueueSize)
	}
}
