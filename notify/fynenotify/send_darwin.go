package fynenotify

import (
	"context"
	"log/slog"
	"os/exec"
	"time"

	"fyne.io/fyne/v2"
)

func platformSender(fyne.App) sender { return osascriptSender{} }

// osascriptSender runs osascript with a fixed program that reads the text
// from its arguments. Fyne's own path falls back (unbundled or unsigned
// apps) to osascript with the text pasted into AppleScript source.
type osascriptSender struct{}

func (osascriptSender) send(n *fyne.Notification) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := exec.CommandContext(ctx, "/usr/bin/osascript", osascriptArgs(n.Title, n.Content)...).Run(); err != nil {
		slog.Warn("notification not shown", "err", err)
	}
}
