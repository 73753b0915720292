package realtime

import (
	"encoding/json"
	"errors"
	"fmt"
)

// Kind classifies what went wrong in words the UI can show.
type Kind int

// The kinds of failure a person may need to act on.
const (
	KindUnknown            Kind = iota
	KindBadURL                  // the address typed cannot be a server
	KindUnreachable             // no answer: wrong host/port, offline, firewall
	KindTLS                     // certificate not trusted, expired or for another host
	KindNotDirectus             // something answered, but not Directus
	KindInvalidCredentials      // wrong email or password
	KindOTPRequired             // the account has two-factor auth: ask for the code
	KindInvalidOTP              // the one-time code was wrong
	KindUserSuspended           // the account exists but may not sign in
	KindRealtimeDisabled        // the server has WEBSOCKETS_ENABLED=false
	KindForbidden               // missing collection or permission
	KindSessionExpired          // refresh token no longer valid: sign in again
	KindTimeout                 // the server did not answer a request in time
	KindRejected                // the server refused a write (validation, permission)
	KindProtocol                // the server said something this client cannot read
	KindServer                  // the server reported an internal error
	KindClosed                  // the session has ended (ErrClosed)
	KindRedirected              // the server redirected a request the client does not follow
)

// Error is the error type of this package. Msg is a sentence for a person;
// Code is the Directus error code when there is one.
type Error struct {
	Kind Kind
	Code string
	Msg  string
	Err  error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Msg + ": " + e.Err.Error()
	}
	return e.Msg
}

func (e *Error) Unwrap() error { return e.Err }

// KindOf returns the Kind of err, or KindUnknown.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return KindUnknown
}

// Describe returns one sentence about err that a person can act on. It never
// contains tokens or passwords: only messages this package wrote or error codes.
func Describe(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Msg
	}
	return fmt.Sprintf("Unexpected error: %v", err)
}

// ErrClosed is returned by the commands of a Session (Edit, Delete, Retry,
// Discard, LoadOlder, ReconnectNow, Logout) made after it ended: after
// Close, Logout, or a sign-out by the server.
var ErrClosed = &Error{Kind: KindClosed, Msg: "The session has ended: sign in again."}

// serverError maps a Directus error code (REST or WebSocket) to an Error.
func serverError(code, message string) *Error {
	e := &Error{Code: code}
	switch code {
	case "INVALID_CREDENTIALS":
		e.Kind, e.Msg = KindInvalidCredentials, "Wrong email or password."
	case "INVALID_OTP":
		e.Kind, e.Msg = KindInvalidOTP, "The one-time code is wrong or has expired."
	case "USER_SUSPENDED":
		e.Kind, e.Msg = KindUserSuspended, "This account is suspended. Ask the server's administrator."
	case "TOKEN_EXPIRED", "INVALID_TOKEN":
		e.Kind, e.Msg = KindSessionExpired, "Your session has expired. Sign in again."
	case "FORBIDDEN":
		e.Kind, e.Msg = KindForbidden, "The server does not let this account read or write chat messages (is the messages collection set up? Run the app's setup command)."
	case "ROUTE_NOT_FOUND":
		e.Kind, e.Msg = KindNotDirectus, "The server answered, but not like Directus does."
	case "RECORD_NOT_UNIQUE":
		e.Kind, e.Msg = KindRejected, "The message was already stored."
	case "FAILED_VALIDATION", "INVALID_PAYLOAD", "INVALID_QUERY", "CONTAINS_NULL_VALUES", "VALUE_TOO_LONG", "VALUE_OUT_OF_RANGE":
		e.Kind, e.Msg = KindRejected, "The server refused the request"
		if message != "" {
			e.Msg += ": " + message
		}
	case "REQUESTS_EXCEEDED":
		e.Kind, e.Msg = KindRejected, "The server is rate limiting this client. Try again shortly."
	case "AUTH_FAILED":
		e.Kind, e.Msg = KindSessionExpired, "The server refused the session. Sign in again."
	case "SERVICE_UNAVAILABLE", "INTERNAL_SERVER_ERROR", "INTERNAL":
		e.Kind, e.Msg = KindServer, "The server had an internal error."
	default:
		e.Kind = KindServer
		e.Msg = "The server reported an error"
		if code != "" {
			e.Msg += " (" + code + ")"
		}
		if message != "" {
			e.Msg += ": " + message
		}
	}
	return e
}

// ServerError is one entry of the error answer of the Directus REST API:
// {"errors":[{"message":"...","extensions":{"code":"..."}}]}.
type ServerError struct {
	Code    string // extensions.code, e.g. INVALID_CREDENTIALS
	Message string
}

// DecodeErrors reads the errors of a Directus REST error answer, in the
// server's order; it returns none when body is not that envelope (an
// answer of a proxy, an HTML page). It is the one decoder of the envelope
// for every REST client of the project (realtime, provision, the benchmark).
func DecodeErrors(body []byte) []ServerError {
	var env struct {
		Errors []struct {
			Message    string `json:"message"`
			Extensions struct {
				Code string `json:"code"`
			} `json:"extensions"`
		} `json:"errors"`
	}
	if json.Unmarshal(body, &env) != nil || len(env.Errors) == 0 {
		return nil
	}
	out := make([]ServerError, len(env.Errors))
	for i, e := range env.Errors {
		out[i] = ServerError{Code: e.Extensions.Code, Message: e.Message}
	}
	return out
}

// transient reports whether err says the server failed, not the request:
// an internal error (its database away, a dropped database connection
// surfaced as such), overload or rate limiting. Such a send goes out
// again later; any other answer settles it.
func transient(err error) bool {
	var e *Error
	if !errors.As(err, &e) {
		return false
	}
	switch e.Code {
	case "SERVICE_UNAVAILABLE", "INTERNAL_SERVER_ERROR", "INTERNAL", "REQUESTS_EXCEEDED":
		return true
	}
	return false
}
