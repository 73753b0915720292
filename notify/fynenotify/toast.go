package fynenotify

import (
	"log/slog"

	"fyne.io/fyne/v2"

	"directuschat/notify/wintoast"
)

// toastSender shows Windows toasts through WinRT (notify/wintoast): the
// text goes into toast XML as escaped text nodes and is handed to
// XmlDocument.LoadXml; no script or process is involved.
type toastSender struct {
	appID string
	icon  func() string
	// show hands the toast XML to Windows; wintoast.Show, or a recorder
	// in tests.
	show func(appID, toastXML string) error
}

func (s *toastSender) send(n *fyne.Notification) {
	doc, err := wintoast.XML(n.Title, n.Content, s.icon())
	if err == nil {
		err = s.show(s.appID, doc)
	}
	if err != nil {
		slog.Warn("notification not shown", "err", err)
	}
}
