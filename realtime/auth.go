package realtime

import (
	"context"
	"errors"
	"time"
)

// refreshResult is what the refresh goroutine hands to the loop.
type refreshResult struct {
	tokens Tokens
	err    error
}

// profile reads who the user is and what they may do.
func (s *Session) profile(ctx context.Context, accessToken string) (User, Permissions, error) {
	user, err := s.rest.Me(ctx, accessToken)
	if err != nil {
		return User{}, Permissions{}, err
	}
	perms, err := s.rest.Permissions(ctx, accessToken, s.cfg.Collection)
	if err != nil {
		s.log.Info("realtime: permissions unknown; editing is off", "err", err)
	}
	return user, perms, nil
}

// startRefresh trades the refresh token for new tokens in the background.
// Only the loop calls it, and only one runs at a time: the refresh token
// has exactly one owner. A connection waiting for it is connRefreshing.
func (s *Session) startRefresh() {
	if s.refreshing {
		return
	}
	stopTimer(&s.refreshTimer)
	s.refreshing = true
	refresh := s.tokens.Refresh
	go func() {
		ctx, cancel := context.WithTimeout(s.ctx, s.cfg.RequestTimeout)
		defer cancel()
		t, err := s.rest.Refresh(ctx, refresh)
		s.refreshDone <- refreshResult{tokens: t, err: err}
	}()
}

// refreshed applies a refresh result: new tokens go to the live socket, or
// to the connection waiting for them; a refused refresh token signs out.
func (s *Session) refreshed(res refreshResult) {
	if res.err != nil {
		if errors.Is(res.err, context.Canceled) {
			return // the session is ending
		}
		switch KindOf(res.err) {
		case KindSessionExpired, KindInvalidCredentials, KindUserSuspended:
			s.signOut(res.err)
			return
		}
		s.log.Info("realtime: token refresh failed; will retry", "err", res.err)
		switch {
		case s.state == connOnline:
			s.refreshTimer = time.NewTimer(s.backoff.NextBackOff())
		case s.state == connRefreshing, s.state == connOffline && s.retryTimer == nil:
			s.scheduleRetry(res.err)
		}
		return
	}
	s.setTokens(res.tokens)
	s.log.Debug("realtime: tokens refreshed", "tokens", res.tokens)
	s.events.push(TokensRotated{RefreshToken: res.tokens.Refresh})
	s.scheduleRefresh()
	switch s.state {
	case connOnline:
		// Re-authenticate the live socket; subscriptions survive it.
		s.write(authMsg(res.tokens.Access))
	case connRefreshing:
		s.attemptConnect()
	}
}

// scheduleRefresh arms the timer that refreshes the access token shortly
// before it expires (a third of its lifetime early, at most a minute).
func (s *Session) scheduleRefresh() {
	stopTimer(&s.refreshTimer)
	ttl := time.Until(s.tokens.ExpiresAt)
	lead := min(ttl/3, time.Minute)
	s.refreshTimer = time.NewTimer(max(ttl-lead, 0))
}

// handleAuth handles an auth frame on the live socket: the answer to a
// re-authentication, or the server saying the access token expired.
func (s *Session) handleAuth(f *frame) {
	if f.Status == "ok" {
		s.log.Debug("realtime: re-authenticated")
		return
	}
	if f.Error != nil && f.Error.Code == "TOKEN_EXPIRED" {
		s.log.Info("realtime: access token expired on the socket; refreshing")
		s.startRefresh()
		return
	}
	s.lost(frameErr(f))
}

// signOut ends the session because the server no longer accepts it.
func (s *Session) signOut(err error) {
	s.log.Info("realtime: signed out", "err", err)
	s.shutdown(connSignedOut, err)
	s.events.push(SignedOut{Err: err, Unsent: s.unsent()})
}

// logout ends the session on the server, then locally.
func (s *Session) logout() {
	s.shutdown(connSignedOut, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	if err := s.rest.Logout(ctx, s.tokens.Refresh); err != nil {
		s.log.Warn("realtime: server logout failed", "err", err)
	}
	cancel()
	s.events.push(SignedOut{Unsent: s.unsent()})
}
