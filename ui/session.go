package ui

import (
	"context"
	"errors"
	"os"

	"directuschat/realtime"
	"directuschat/remember"
)

// Signing in (typed or from the remembered session) and signing out.

// connect signs in with typed credentials; it blocks, off the UI thread.
func (u *App) connect(ctx context.Context, server string, creds realtime.Credentials) (*realtime.Session, error) {
	cfg := u.cfg.Session
	cfg.Server = server
	link := u.linkFiles(&cfg)
	s, err := u.cfg.Connect(ctx, cfg, creds)
	u.adoptLink(s, link)
	return s, err
}

// linkFiles makes the files client of a session about to start and makes
// it the session's uploader (none when the server URL is not usable).
func (u *App) linkFiles(cfg *realtime.Config) *fileLink {
	link, err := newFileLink(cfg.Server, u.cfg.FilesCacheDir)
	if err != nil {
		u.log.Warn("attachments off", "err", err)
		return nil
	}
	link.wrap = u.wrapUpload
	cfg.Uploader = link
	return link
}

// adoptLink gives the started session s its files client.
func (u *App) adoptLink(s *realtime.Session, link *fileLink) {
	if s != nil && link != nil {
		link.sess.Store(s)
		u.fileLinks.Store(s, link)
	}
}

// signedIn takes over the session the login form signed in (typed or
// remembered): the server and email are kept for the next start, the
// session in the keyring if the box is ticked.
func (u *App) signedIn(s *realtime.Session, a account, remember bool) {
	p := u.fyne.Preferences()
	p.SetString(prefServer, a.server)
	p.SetString(prefEmail, a.email)
	remembered := u.cfg.Keyring != nil && remember
	if !remembered && p.Bool(prefRemember) {
		// Unchecked after having been on: forget the stored session. (Users
		// who never tick it never touch the keyring, which may prompt.)
		u.forget(a)
	}
	if !remembered {
		u.dropCache(a) // a session not remembered keeps no history on disk
	}
	p.SetBool(prefRemember, remembered)
	u.showChat(s, a, remembered)
}

// signedOut ends the chat of account a (signed out by the user or the
// server; expired: the remembered token is dead too): no history stays
// behind, and the login form shows notice.
func (u *App) signedOut(a account, notice string, expired bool) {
	if expired {
		u.forget(a)
	}
	u.dropCache(a)
	u.dropThumbnails()
	u.showLogin(notice)
}

// restore signs in with the remembered session of the last account, without
// showing the form; on any failure the form appears with a short notice.
func (u *App) restore() bool {
	p := u.fyne.Preferences()
	server, email := p.String(prefServer), p.String(prefEmail)
	if u.desk.keyring == nil || !p.Bool(prefRemember) || server == "" || email == "" {
		return false
	}
	v := u.login
	v.showRestoring(email)
	store, cfg := u.cfg.Keyring, u.cfg.Session
	cfg.Server = server
	a := account{server, email}
	u.desk.keyring <- func() {
		ctx, cancel := context.WithTimeout(context.Background(), keyringTimeout)
		sess, err := store.Load(ctx, server, email)
		cancel()
		if errors.Is(err, remember.ErrNotFound) {
			u.dropCache(a) // nothing remembered: no history either
		}
		if err != nil {
			u.cfg.Dispatch(func() { v.restoreFailed(remember.Message(err)) })
			return
		}
		r := realtime.Remembered{RefreshToken: sess.RefreshToken}
		var drafts map[string]string
		if u.cfg.Cache != nil {
			drafts = u.cfg.Cache(server, email).Drafts()
			// Show what the last run saw at once; the server fills in the rest.
			var err error
			if r.User, r.Known, err = u.cfg.Cache(server, email).Load(); err != nil {
				u.log.Warn("history cache unreadable; starting without it", "err", err)
				r.User, r.Known = realtime.User{}, nil
			}
		}
		link := u.linkFiles(&cfg)
		s, err := u.cfg.Open(cfg, r)
		u.adoptLink(s, link)
		u.cfg.Dispatch(func() {
			u.restoredDrafts = drafts
			v.finish(s, err, a)
		})
	}
	return true
}

// logout signs out on the server and forgets the remembered session.
func (u *App) logout() {
	if u.chat == nil {
		return
	}
	a := u.chat.logout() // a token rotated from now on is not kept
	u.forget(a)
	u.dropCache(a)
}

// dropThumbnails deletes the attachments' thumbnails kept on disk: after
// signing out, no picture of the chat stays behind.
func (u *App) dropThumbnails() {
	dir := u.cfg.FilesCacheDir
	if dir == "" {
		return
	}
	u.background(func() {
		if err := os.RemoveAll(dir); err != nil {
			u.log.Warn("thumbnails not deleted", "err", err)
		}
	})
}
