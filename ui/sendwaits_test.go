package ui

import (
	"errors"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"directuschat/realtime"
)

// A send the server failed to store shows why in the status line, and the
// connection state comes back once every waiting send is settled.
func TestStatusLineSaysSendsWaitUntilTheyAreSettled(t *testing.T) {
	test.NewTempApp(t)
	c := &chatView{status: widget.NewLabel(""), reconnect: widget.NewButton("", nil), waiting: map[string]bool{}}
	c.setState(realtime.StateChanged{State: realtime.StateOnline})
	wait := &realtime.Error{Kind: realtime.KindServer, Msg: "The server cannot store messages right now (it did not answer): 2 messages wait and will be sent again automatically.", Err: errors.New("no answer")}
	c.sendWaits(realtime.SendStatus{ID: "a", State: realtime.SendPending, Err: wait})
	c.sendWaits(realtime.SendStatus{ID: "b", State: realtime.SendPending, Err: wait})
	c.sendWaits(realtime.SendStatus{ID: "c", State: realtime.SendPending}) // queued, not waiting
	if !strings.Contains(c.status.Text, "2 messages wait") {
		t.Fatalf("status = %q, want the waiting notice", c.status.Text)
	}
	c.sendWaits(realtime.SendStatus{ID: "a", State: realtime.SendDelivered})
	c.sendWaits(realtime.SendStatus{ID: "c", State: realtime.SendDelivered})
	if !strings.Contains(c.status.Text, "2 messages wait") {
		t.Fatalf("status = %q with b still waiting, want the waiting notice", c.status.Text)
	}
	c.sendWaits(realtime.SendStatus{ID: "b", State: realtime.SendDelivered})
	if c.status.Text != "● Online" {
		t.Fatalf("status = %q once all were delivered, want the connection state", c.status.Text)
	}
}
