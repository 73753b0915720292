package fynenotify

import (
	"fyne.io/fyne/v2"

	"directuschat/notify/wintoast"
)

func platformSender(a fyne.App) sender {
	icon := &iconFile{app: a}
	return &toastSender{appID: osAppID(a), icon: icon.get, show: wintoast.Show}
}
