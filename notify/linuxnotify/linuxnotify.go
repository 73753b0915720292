// Package linuxnotify sends desktop notifications to the
// org.freedesktop.Notifications server on the session D-Bus (Desktop
// Notifications spec 1.2), passing text only as text: servers that announce
// the "body-markup" capability parse the body as markup (<b>, <a href>,
// <img src>, entities), so the body is escaped for them; and every string
// is made valid for D-Bus, whose daemon drops a connection that sends NUL
// or invalid UTF-8.
package linuxnotify

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/godbus/dbus/v5"

	"directuschat/notify"
)

// Limits on the text sent; longer text is cut and ended with "…".
const (
	MaxSummaryRunes = 200
	MaxBodyRunes    = 1000
)

const (
	busName   = "org.freedesktop.Notifications"
	busPath   = "/org/freedesktop/Notifications"
	iface     = "org.freedesktop.Notifications"
	capMarkup = "body-markup"
)

// Notification is one notification to send.
type Notification struct {
	// AppName identifies the sending application (app_name).
	AppName string
	// Icon is the app_icon: an absolute file path or an icon name; may be
	// empty.
	Icon string
	// Summary and Body are plain text.
	Summary, Body string
}

// Send shows n through the notification server on conn and returns the
// server's id for it. It asks the server's capabilities first, so a body
// sent to a server that parses markup is escaped ([EscapeMarkup]) and one
// sent to a server that does not is sent as is. ctx bounds both calls.
func Send(ctx context.Context, conn *dbus.Conn, n Notification) (uint32, error) {
	obj := conn.Object(busName, busPath)
	var caps []string
	if err := obj.CallWithContext(ctx, iface+".GetCapabilities", 0).Store(&caps); err != nil {
		return 0, fmt.Errorf("notification server capabilities: %w", err)
	}
	summary, body := Prepare(n.Summary, n.Body, slices.Contains(caps, capMarkup))
	var id uint32
	err := obj.CallWithContext(ctx, iface+".Notify", 0,
		notify.Sanitize(n.AppName, MaxSummaryRunes), uint32(0), notify.Sanitize(n.Icon, 0),
		summary, body, []string{}, map[string]dbus.Variant{}, int32(-1)).Store(&id)
	if err != nil {
		return 0, fmt.Errorf("notify: %w", err)
	}
	return id, nil
}

// Prepare returns the summary and body to send for plain-text summary and
// body: both sanitized ([notify.Sanitize]) and cut, and the body escaped if
// the server parses markup. The spec defines the summary as plain text.
func Prepare(summary, body string, markup bool) (string, string) {
	summary = notify.Sanitize(summary, MaxSummaryRunes)
	body = notify.Sanitize(body, MaxBodyRunes)
	if markup {
		body = EscapeMarkup(body)
	}
	return summary, body
}

var markupEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// EscapeMarkup escapes the characters that start markup in a notification
// body (&, <, >), so a server that parses the body shows s literally.
// Quotes need no escaping outside tags.
func EscapeMarkup(s string) string { return markupEscaper.Replace(s) }
