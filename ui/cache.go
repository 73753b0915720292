package ui

import (
	"time"
)

// The history cache of a remembered session, and the disk goroutine that
// writes it off the UI thread.

// saveCache writes the newest messages of a remembered session to the
// history cache, off the UI thread (the copy is made here, on it).
func (u *App) saveCache() {
	if u.chat == nil || u.cfg.Cache == nil {
		return
	}
	a, user, msgs, drafts, ok := u.chat.cacheContent()
	if !ok {
		return // a session not remembered leaves no history on disk
	}
	cache := u.cfg.Cache(a.server, a.email)
	u.background(func() {
		if err := cache.SaveWithDrafts(user, msgs, drafts); err != nil {
			u.log.Warn("history cache not saved", "err", err)
		}
	})
}

// dropCache deletes an account's history cache file (at any sign-out, and
// when a session is not remembered).
func (u *App) dropCache(a account) {
	if u.cfg.Cache == nil {
		return
	}
	cache := u.cfg.Cache(a.server, a.email)
	u.background(func() {
		if err := cache.Delete(); err != nil {
			u.log.Warn("history cache not deleted", "err", err)
		}
	})
}

// flushBackground waits for queued disk work, before the process exits.
func (u *App) flushBackground() {
	if u.desk.disk == nil {
		return
	}
	done := make(chan struct{})
	u.desk.disk <- func() { close(done) }
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		u.log.Warn("history cache still being written at exit")
	}
}

// background runs disk work in order on one goroutine.
func (u *App) background(job func()) {
	if u.desk.disk == nil {
		u.desk.disk = make(chan func(), 16)
		go func() {
			for job := range u.desk.disk {
				job()
			}
		}()
	}
	u.desk.disk <- job
}
