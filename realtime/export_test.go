package realtime

import (
	"fmt"
	"strings"
	"time"
)

// Inspect describes what the session's loop holds: its state, the outbox
// and the requests waiting for an answer. For a failure message of a test
// whose session stopped moving; "" if the loop did not answer in 5 s.
func Inspect(s *Session) string {
	out := make(chan string, 1)
	err := s.command(cmdInspect{fn: func() {
		var b strings.Builder
		fmt.Fprintf(&b, "state %v, conn %v, sendTimer %v, retryTimer %v, channels %v (open %q), sub %q, last frame %v ago",
			s.state, s.conn != nil, s.sendTimer != nil, s.retryTimer != nil, s.ch.on, s.ch.open, s.subUID,
			time.Since(s.lastFrameAt).Round(time.Millisecond))
		fmt.Fprintf(&b, ", last uid %d", s.seq)
		fmt.Fprintf(&b, "\n  outbox (%d):", len(s.outbox))
		for i, o := range s.outbox {
			if i == 5 {
				fmt.Fprintf(&b, " …")
				break
			}
			fmt.Fprintf(&b, " [%s %s state %d createSent %v upload %v]", o.msg.ID, o.msg.Text, o.state, o.createSent, o.upload != nil)
		}
		fmt.Fprintf(&b, "\n  pending (%d):", len(s.pending))
		for _, u := range s.pendingOrder {
			if p := s.pending[u]; p != nil {
				fmt.Fprintf(&b, " [%s %T%+v write %v, sent %v ago]", u, p.req, p.req, p.write, time.Since(p.sent).Round(time.Millisecond))
			}
		}
		out <- b.String()
	}})
	if err != nil {
		return err.Error()
	}
	select {
	case st := <-out:
		return st
	case <-time.After(5 * time.Second):
		return ""
	}
}
