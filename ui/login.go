package ui

import (
	"context"
	"log/slog"
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

// loginHost is the login form's way back to the app, given at construction.
type loginHost struct {
	win      fyne.Window
	dialogs  *dialogStack // Escape closes them
	log      *slog.Logger
	dispatch func(func()) // runs a function on the UI thread
	// connect signs in to server; it blocks, and is called off the UI thread.
	connect func(ctx context.Context, server string, creds realtime.Credentials) (*realtime.Session, error)
	// signedIn takes over a session; remember is the state of the box.
	signedIn func(s *realtime.Session, a account, remember bool)
	// expired is told of a remembered session that the server refused.
	expired func(a account)
	about   func()
}

// loginFill is what the form shows at first.
type loginFill struct {
	server, email string
	remember      bool // the box is ticked
	canRemember   bool // the box is shown (a keyring is available)
	notice        string
}

// loginView is the sign-in form. Errors show inside the form, in words.
type loginView struct {
	host     loginHost
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
	detached bool // the window shows something else now
}

func newLoginView(host loginHost, fill loginFill) *loginView {
	v := &loginView{host: host}
	v.server = widget.NewEntry()
	v.server.SetPlaceHolder("https://your-project.directus.app")
	v.server.SetText(fill.server)
	v.email = widget.NewEntry()
	v.email.SetPlaceHolder("you@example.com")
	v.email.SetText(fill.email)
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
	v.remember.SetChecked(fill.remember)
	if !fill.canRemember {
		v.remember.Hide()
	}
	v.signIn = widget.NewButton("Sign in", v.submit)
	v.signIn.Importance = widget.HighImportance
	v.status = widget.NewLabel(fill.notice)
	v.status.Wrapping = fyne.TextWrapWord
	v.status.Importance = widget.DangerImportance
	v.working = container.NewStack()

	title := widget.NewLabelWithStyle("Directus Chat", fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	subtitle := widget.NewLabelWithStyle("Sign in with your Directus account", fyne.TextAlignCenter, fyne.TextStyle{})
	about := widget.NewButtonWithIcon("About", theme.InfoIcon(), host.about)
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

// detach tells the form that the window shows something else now: a
// sign-in that ends later is closed and dropped.
func (v *loginView) detach() { v.detached = true }

// showRestoring shows the form busy signing in with a remembered session.
func (v *loginView) showRestoring(email string) {
	v.setBusy(true)
	v.status.Importance = widget.MediumImportance
	v.status.SetText("Signing in as " + email + "…")
}

// restoreFailed ends a remembered sign-in that could not start (the
// keyring had nothing or failed), with msg.
func (v *loginView) restoreFailed(msg string) {
	if v.detached {
		return
	}
	v.setBusy(false)
	v.setError(msg)
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
		v.host.dialogs.show(dialog.NewConfirm("Unencrypted connection",
			"The address starts with http:// and is not on this computer: your password would travel unencrypted. Sign in anyway?",
			func(ok bool) {
				if ok {
					v.start(server, email)
				}
			}, v.host.win))
		return
	}
	v.start(server, email)
}

func (v *loginView) start(server, email string) {
	creds := realtime.Credentials{Email: email, Password: v.password.Text, OTP: strings.TrimSpace(v.otp.Text)}
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
		s, err := v.host.connect(ctx, server, creds)
		v.host.dispatch(func() { v.finish(s, err, account{email: email}) })
	}()
}

// finish ends a sign-in (typed or restored): the chat on success, the form
// with the reason otherwise.
func (v *loginView) finish(s *realtime.Session, err error, a account) {
	if v.detached { // the window moved on meanwhile
		if s != nil {
			s.Close()
		}
		return
	}
	v.setBusy(false)
	if err != nil {
		if a.server != "" && realtime.KindOf(err) == realtime.KindSessionExpired {
			v.host.expired(a) // a remembered token that no longer works
		}
		v.failed(err)
		return
	}
	a.server = s.Server().String()
	v.password.SetText("")
	v.host.signedIn(s, a, v.remember.Checked)
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
	v.host.log.Info("sign-in failed", "kind", realtime.KindOf(err), "err", err)
	switch realtime.KindOf(err) {
	case realtime.KindOTPRequired, realtime.KindInvalidOTP:
		if len(v.form.Items) == 3 {
			v.form.AppendItem(v.otpItem)
		}
		v.host.win.Canvas().Focus(v.otp)
	case realtime.KindInvalidCredentials:
		v.password.SetText("")
		v.host.win.Canvas().Focus(v.password)
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
