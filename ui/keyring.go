package ui

import (
	"context"
	"time"

	"directuschat/remember"
)

// The remembered session in the OS keyring ("Remember me").

// keyringTimeout bounds every keyring call: a locked keyring may wait on an
// unlock prompt forever.
const keyringTimeout = 5 * time.Second

// account is who is signed in where, the key of a remembered session.
type account struct{ server, email string }

// remember stores the refresh token in the keyring (rotated tokens replace
// the old one). Jobs run in order on the keyring goroutine.
func (u *App) remember(a account, refreshToken string) {
	if u.desk.keyring == nil || refreshToken == "" {
		return
	}
	store := u.cfg.Keyring
	u.desk.keyring <- func() {
		ctx, cancel := context.WithTimeout(context.Background(), keyringTimeout)
		defer cancel()
		if err := store.Save(ctx, remember.Session{Server: a.server, Email: a.email, RefreshToken: refreshToken}); err != nil {
			u.log.Warn("remember me: could not store the session", "err", err)
			u.cfg.Dispatch(func() {
				if u.chat != nil {
					u.chat.setStatus(remember.Message(err))
				}
			})
		}
	}
}

// forget removes a remembered session from the keyring.
func (u *App) forget(a account) {
	if u.desk.keyring == nil {
		return
	}
	store := u.cfg.Keyring
	u.desk.keyring <- func() {
		ctx, cancel := context.WithTimeout(context.Background(), keyringTimeout)
		defer cancel()
		if err := store.Delete(ctx, a.server, a.email); err != nil {
			u.log.Warn("remember me: could not remove the session", "err", err)
		}
	}
}
