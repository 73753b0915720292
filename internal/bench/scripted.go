package bench

import (
	"time"

	"directuschat/internal/fakedirectus"
)

// Scripted is the stand-in Directus (internal/fakedirectus) answering pings
// and reads itself, whose subscribed clients the benchmark sends whatever
// events it scripts. It exists for one thing the real server cannot do on
// a small machine: deliver 1,000 new messages within a second (SQLite
// Directus creates a few hundred per second here).
type Scripted struct{ *fakedirectus.Server }

// ScriptedConn is one subscribed client connection.
type ScriptedConn = fakedirectus.Conn

// Item is a message as the scripted server sends it.
type Item = fakedirectus.Item

// NewScripted starts the stand-in on a loopback port.
func NewScripted() *Scripted {
	return &Scripted{fakedirectus.New(fakedirectus.Options{Answer: true})}
}

// Subscribed waits for the next client to subscribe.
func (s *Scripted) Subscribed(timeout time.Duration) (*ScriptedConn, error) {
	return s.Next(timeout)
}
