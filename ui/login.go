package ui

import (
	"context"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"directuschat/realtime"
)

// loginView is the sign-in form. Errors show inside the form, in words.
type loginView struct {
	app      *App
	content  fyne.CanvasObject
	server   *widget.Entry
	email    *widget.Entry
	password *widget.Entry
	otp      *widget.Entry
	otpItem  *widget.FormItem
	form     *widget.Form
	status   *widget.Label
	// working holds an infinite progress bar only while signing in: Fyne
	// 2.7's ProgressBarInfinite keeps animating (repainting the window at
	// 60 fps) when merely hidden, so it is created for each attempt and
	// stopped and removed after.
	working  *fyne.Container
	signIn   *widget.Button
	remember *widget.Check
	busy     bool
}

func newLoginView(u *App, notice string) *loginView {
	v := &loginView{app: u}
	prefs := u.fyne.Preferences()
	v.server = widget.NewEntry()
	v.server.SetPlaceHolder("https://your-project.directus.app")
	v.server.SetText(firstOf(u.cfg.Server, prefs.String(prefServer), u.cfg.LocalServer))
	v.email = widget.NewEntry()
	v.email.SetPlaceHolder("you@example.com")
	v.email.SetText(prefs.String(prefEmail))
	v.password = widget.NewPasswordEntry()
	v.otp = widget.NewEntry()
	v.otp.SetPlaceHolder("6-digit code")
	for _, e := range []*widget.Entry{v.server, v.email, v.password, v.otp} {
		e.OnSubmitted = func(string) { v.submit() }
	}
	v.otpItem = widget.NewFormItem("One-time code", v.otp)
	v.form = widget.NewForm(
		widget.NewFormItem("Server", v.server),
		widget.NewFormItem("Email", v.email),
		widget.NewFormItem("Password", v.password),
	)
	v.remember = widget.NewCheck("Remember me on this computer", nil)
	v.remember.SetChecked(prefs.Bool(prefRemember))
	if u.cfg.Keyring == nil {
		v.remember.Hide()
	}
	v.signIn = widget.NewButton("Sign in", v.submit)
	v.signIn.Importance = widget.HighImportance
	v.status = widget.NewLabel(notice)
	v.status.Wrapping = fyne.TextWrapWord
	v.status.Importance = widget.DangerImportance
	v.working = container.NewStack()

	title := widget.NewLabelWithStyle("Directus Chat", fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	subtitle := widget.NewLabelWithStyle("Sign in with your Directus account", fyne.TextAlignCenter, fyne.TextStyle{})
	about := widget.NewButtonWithIcon("About", theme.InfoIcon(), u.showAbout)
	about.Importance = widget.LowImportance
	box := container.NewVBox(title, subtitle, v.form, v.remember, v.signIn, v.working, v.status, container.NewCenter(about))
	// Centred vertically, full width (entries are unreadable at their
	// minimum width), scrollable in a small window.
	v.content = container.NewVScroll(container.NewPadded(container.NewVBox(layout.NewSpacer(), box, layout.NewSpacer())))
	return v
}

// focusTarget is the first empty field.
func (v *loginView) focusTarget() fyne.Focusable {
	for _, e := range []*widget.Entry{v.server, v.email, v.password} {
		if e.Text == "" {
			return e
		}
	}
	return v.password
}

func (v *loginView) setError(msg string) {
	v.status.Importance = widget.DangerImportance
	v.status.SetText(msg)
}

// submit validates the form and signs in off the UI thread.
func (v *loginView) submit() {
	if v.busy {
		return
	}
	server := strings.TrimSpace(v.server.Text)
	email := strings.TrimSpace(v.email.Text)
	switch {
	case server == "":
		v.setError("Enter the address of your Directus server.")
		return
	case email == "" || v.password.Text == "":
		v.setError("Enter your email and password.")
		return
	}
	base, err := realtime.ParseServerURL(server)
	if err != nil {
		v.setError(realtime.Describe(err))
		return
	}
	if realtime.InsecureRemote(base) {
		dialog.ShowConfirm("Unencrypted connection",
			"The address starts with http:// and is not on this computer: your password would travel unencrypted. Sign in anyway?",
			func(ok bool) {
				if ok {
					v.start(server, email)
				}
			}, v.app.win)
		return
	}
	v.start(server, email)
}

func (v *loginView) start(server, email string) {
	creds := realtime.Credentials{Email: email, Password: v.password.Text, OTP: strings.TrimSpace(v.otp.Text)}
	cfg := v.app.cfg.Session
	cfg.Server = server
	v.setBusy(true)
	v.status.SetText("")
	if base, err := realtime.ParseServerURL(server); err == nil {
		// The ASCII (punycode) form of the host, so a look-alike shows.
		v.status.Importance = widget.MediumImportance
		v.status.SetText("Connecting to " + realtime.DisplayHost(base) + "…")
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		s, err := v.app.cfg.Connect(ctx, cfg, creds)
		v.app.cfg.Dispatch(func() { v.finish(s, err, account{email: email}) })
	}()
}

// finish ends a sign-in (typed or restored): the chat on success, the form
// with the reason otherwise.
func (v *loginView) finish(s *realtime.Session, err error, a account) {
	if v.app.login != v { // the window moved on meanwhile
		if s != nil {
			s.Close()
		}
		return
	}
	v.setBusy(false)
	if err != nil {
		if a.server != "" && realtime.KindOf(err) == realtime.KindSessionExpired {
			v.app.forget(a) // a remembered token that no longer works
		}
		v.failed(err)
		return
	}
	a.server = s.Server().String()
	p := v.app.fyne.Preferences()
	p.SetString(prefServer, a.server)
	p.SetString(prefEmail, a.email)
	remembered := v.app.cfg.Keyring != nil && v.remember.Checked
	if !remembered && p.Bool(prefRemember) {
		// Unchecked after having been on: forget the stored session. (Users
		// who never tick it never touch the keyring, which may prompt.)
		v.app.forget(a)
	}
	if !remembered {
		v.app.dropCache(a) // a session not remembered keeps no history on disk
	}
	p.SetBool(prefRemember, remembered)
	v.password.SetText("")
	v.app.showChat(s, a, remembered)
}

func firstOf(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}

func (v *loginView) failed(err error) {
	v.app.log.Info("sign-in failed", "kind", realtime.KindOf(err), "err", err)
	switch realtime.KindOf(err) {
	case realtime.KindOTPRequired, realtime.KindInvalidOTP:
		if len(v.form.Items) == 3 {
			v.form.AppendItem(v.otpItem)
		}
		v.app.win.Canvas().Focus(v.otp)
	case realtime.KindInvalidCredentials:
		v.password.SetText("")
		v.app.win.Canvas().Focus(v.password)
	}
	v.setError(realtime.Describe(err))
}

func (v *loginView) setBusy(busy bool) {
	v.busy = busy
	for _, e := range []*widget.Entry{v.server, v.email, v.password, v.otp} {
		if busy {
			e.Disable()
		} else {
			e.Enable()
		}
	}
	if busy {
		v.remember.Disable()
	} else {
		v.remember.Enable()
	}
	if busy {
		v.signIn.Disable()
		v.signIn.SetText("Signing in…")
		v.working.Objects = []fyne.CanvasObject{widget.NewProgressBarInfinite()}
	} else {
		v.signIn.Enable()
		v.signIn.SetText("Sign in")
		for _, o := range v.working.Objects {
			o.(*widget.ProgressBarInfinite).Stop()
		}
		v.working.Objects = nil
	}
	v.working.Refresh()
}
