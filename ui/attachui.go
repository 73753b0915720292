package ui

import (
	"container/list"
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"mime"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"directuschat/files"
	"directuschat/provision"
	"directuschat/realtime"
)

// Attachments (issue #13): files are added by the paperclip button or by
// dropping them on the window, wait above the composer (each with a
// cross), and go with the next message: the session uploads them first
// (with progress in the row) and sends the message with them. A message's
// images show as thumbnails the server makes, loaded with the session's
// token in a header, decoded off the UI thread, kept on disk in a bounded
// cache and in memory only while their row is bound; a click opens the
// image larger, with Save. Other files show as a card with Download (to
// the Downloads folder, with progress) and then Open.

// Thumbnail boxes: at most this wide and high, never wider than the row.
const (
	thumbMaxW = 360
	thumbMaxH = 240
)

// maxAttachments is how many files one message carries at most.
const maxAttachments = 10

// fileLink gives the files client the session's token: the session
// exists only after sign-in, and its config (with the uploader) before.
// It is the session's Uploader.
type fileLink struct {
	sess   atomic.Pointer[realtime.Session]
	client *files.Client
	// wrap, when set (tests), wraps each upload's reader: a test holds an
	// upload half-way to cancel it.
	wrap func(ctx context.Context, r io.ReadCloser) io.ReadCloser
}

func newFileLink(server, cacheDir string) (*fileLink, error) {
	l := &fileLink{}
	c, err := files.New(files.Config{BaseURL: server, Token: l.token, CacheDir: cacheDir})
	if err != nil {
		return nil, fmt.Errorf("files: %w", err)
	}
	l.client = c
	return l, nil
}

func (l *fileLink) token(ctx context.Context) (string, error) {
	s := l.sess.Load()
	if s == nil {
		return "", errors.New("not signed in")
	}
	return s.AccessToken(ctx)
}

// Upload stores a's file under its id (idempotent).
func (l *fileLink) Upload(ctx context.Context, a realtime.Attachment, progress func(sent, total int64)) error {
	src, err := files.FileSource(a.Path)
	if err != nil {
		return realtime.RefusedUpload(err)
	}
	if a.Name != "" {
		src.Name = a.Name
	}
	if l.wrap != nil {
		open := src.Open
		src.Open = func() (io.ReadCloser, error) {
			r, err := open()
			if err != nil {
				return nil, err
			}
			return l.wrap(ctx, r), nil
		}
	}
	_, err = l.client.Upload(ctx, a.ID, src, provision.FilesFolderID, progress)
	switch files.KindOf(err) {
	case files.KindForbidden, files.KindTooBig, files.KindNotDirectus:
		return realtime.RefusedUpload(err)
	}
	return err
}

// Delete removes an uploaded file no message holds.
func (l *fileLink) Delete(ctx context.Context, id string) error { return l.client.Delete(ctx, id) }

// attachmentOf describes the local file at path for sending.
func attachmentOf(path string) (realtime.Attachment, error) {
	st, err := os.Stat(path)
	if err != nil {
		return realtime.Attachment{}, err
	}
	if !st.Mode().IsRegular() {
		return realtime.Attachment{}, fmt.Errorf("%s is not a file", filepath.Base(path))
	}
	typ := mime.TypeByExtension(strings.ToLower(filepath.Ext(path)))
	if i := strings.IndexByte(typ, ';'); i >= 0 {
		typ = typ[:i]
	}
	return realtime.Attachment{ID: realtime.NewAttachmentID(), Name: filepath.Base(path), Type: typ, Size: st.Size(), Path: path}, nil
}

// attachBar shows the files that go with the next message.
type attachBar struct {
	box   *fyne.Container
	files []realtime.Attachment
}

func newAttachBar() *attachBar {
	b := &attachBar{box: container.NewVBox()}
	b.box.Hide()
	return b
}

// canAttach reports whether this server takes attachments.
func (c *chatView) canAttach() bool {
	return c.files != nil && c.channelsOn() && c.session.Permissions().Files
}

// attach adds local files to the next message.
func (c *chatView) attach(paths []string) {
	if !c.canAttach() {
		c.notice("This server does not take attachments (see the README: Directus 12 without a license, or setup not run).")
		return
	}
	for _, p := range paths {
		if len(c.attachments.files) >= maxAttachments {
			c.notice(fmt.Sprintf("At most %d files go with one message.", maxAttachments))
			break
		}
		a, err := attachmentOf(p)
		if err != nil {
			c.notice("Not attached: " + err.Error())
			continue
		}
		if c.uploadLimit > 0 && a.Size > c.uploadLimit {
			tooBig := &files.TooBigError{Name: oneLine(a.Name, 80), Size: a.Size, Limit: c.uploadLimit, Exact: true}
			c.notice("Not attached: " + tooBig.Error() + ".")
			continue
		}
		c.attachments.files = append(c.attachments.files, a)
	}
	c.showAttachments()
}

// askUploadLimit asks the server for its upload limit once (again after a
// failed try, at the next connect), off the UI thread: a file over it is
// refused when attached, before anything is sent.
func (c *chatView) askUploadLimit() {
	if c.files == nil || c.limitAsked {
		return
	}
	c.limitAsked = true
	client := c.files.client
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		limit, err := client.Limits(ctx)
		c.host.dispatch(func() {
			if err != nil {
				c.limitAsked = false
				return
			}
			c.uploadLimit = limit
		})
	}()
}

// showAttachments redraws the bar above the composer.
func (c *chatView) showAttachments() {
	b := c.attachments
	b.box.Objects = nil
	for i, a := range b.files {
		i := i
		label := widget.NewLabel(oneLine(a.Name, 80) + " · " + files.FormatSize(a.Size))
		label.Truncation = fyne.TextTruncateEllipsis
		x := widget.NewButtonWithIcon("", theme.CancelIcon(), func() {
			b.files = append(b.files[:i:i], b.files[i+1:]...)
			c.showAttachments()
		})
		x.Importance = widget.LowImportance
		b.box.Add(container.NewBorder(nil, nil, widget.NewIcon(fileIcon(a)), x, label))
	}
	b.box.Hidden = len(b.files) == 0
	b.box.Refresh()
	c.conversation.Refresh()
}

// chooseFiles opens the file dialog (the paperclip button).
func (c *chatView) chooseFiles() {
	if !c.canAttach() {
		c.attach(nil) // says why
		return
	}
	d := dialog.NewFileOpen(func(r fyne.URIReadCloser, err error) {
		if err != nil || r == nil {
			return
		}
		path := r.URI().Path()
		r.Close()
		c.attach([]string{path})
	}, c.host.win)
	// Sized once shown: Fyne 2.8.1's FileDialog.Resize reads the dialog's
	// window, which Show makes, and panicked before it (the paperclip
	// crashed the app).
	c.host.dialogs.show(d)
	d.Resize(fyne.NewSize(700, 480))
}

// dropped takes files dropped on the window.
func (c *chatView) dropped(uris []fyne.URI) {
	var paths []string
	for _, u := range uris {
		if u.Scheme() == "file" {
			paths = append(paths, u.Path())
		}
	}
	if len(paths) > 0 {
		c.attach(paths)
	}
}

func fileIcon(a realtime.Attachment) fyne.Resource {
	switch {
	case strings.HasPrefix(a.Type, "image/"):
		return theme.FileImageIcon()
	case strings.HasPrefix(a.Type, "video/"):
		return theme.FileVideoIcon()
	case strings.HasPrefix(a.Type, "audio/"):
		return theme.FileAudioIcon()
	case strings.HasPrefix(a.Type, "text/"):
		return theme.FileTextIcon()
	}
	return theme.FileIcon()
}

// fileSet is what a row shows of a message's files: the timeline's own
// list. It is a value, made at every bind, and rows compare sets by
// content (same): kept per message, the sets made while scrolling outlived
// the garbage around them and held its memory spans.
type fileSet struct {
	files []realtime.Attachment
}

func (s fileSet) empty() bool { return len(s.files) == 0 }

// same says s and o show the same files.
func (s fileSet) same(o fileSet) bool { return sameFiles(s.files, o.files) }

// key is what a row's height depends on: the list (a new list, as after
// an edit, is measured again).
func (s fileSet) key() (*realtime.Attachment, int) {
	if len(s.files) == 0 {
		return nil, 0
	}
	return &s.files[0], len(s.files)
}

// thumb says file i is shown as a thumbnail (else a card).
func (s fileSet) thumb(i int) bool {
	a := s.files[i]
	return a.Path == "" && files.HasThumbnail(files.File{Type: a.Type, Width: a.Width, Height: a.Height, Size: a.Size})
}

func sameFiles(a, b []realtime.Attachment) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// cardHeight is the height of a file card.
func cardHeight() float32 {
	return widget.NewButton("Download", nil).MinSize().Height + theme.Padding()
}

// box is the size file i takes at the row's width.
func (s fileSet) box(i int, width float32) fyne.Size {
	maxW := min(float32(thumbMaxW), width-4*theme.Padding())
	if !s.thumb(i) {
		return fyne.NewSize(maxW, cardHeight())
	}
	a := s.files[i]
	w, h := float32(a.Width), float32(a.Height)
	scale := min(maxW/w, float32(thumbMaxH)/h, 1)
	return fyne.NewSize(max(w*scale, 16), max(h*scale, 16))
}

// height is the height of all the files at the row's width.
func (s fileSet) height(width float32) float32 {
	h := float32(0)
	for i := range s.files {
		h += s.box(i, width).Height + theme.Padding()
	}
	return h
}

// fileView draws a message's files in a row.
type fileView struct {
	widget.BaseWidget
	set   fileSet
	items []fyne.CanvasObject
	chat  *chatView
}

func newFileView(c *chatView) *fileView {
	v := &fileView{chat: c}
	v.ExtendBaseWidget(v)
	return v
}

func (v *fileView) setFiles(s fileSet) {
	if s.same(v.set) {
		// Bound again to the same message (back in view, or a list
		// update): its pictures are shown now, or fetched again if the
		// store dropped them. The list may be a new copy of the same
		// files (the server's copy of a message): keep that one.
		v.set = s
		for _, it := range v.items {
			if t, ok := it.(*thumbView); ok {
				t.revive()
			}
		}
		return
	}
	for _, it := range v.items {
		if t, ok := it.(*thumbView); ok {
			t.release()
		}
	}
	v.set, v.items = s, nil
	for i, a := range s.files {
		if s.thumb(i) {
			v.items = append(v.items, newThumbView(v.chat, a))
		} else {
			v.items = append(v.items, newFileCard(v.chat, a))
		}
	}
	v.Refresh()
}

func (v *fileView) MinSize() fyne.Size {
	if v.set.empty() {
		return fyne.Size{}
	}
	w := v.Size().Width
	if w <= 0 {
		w = thumbMaxW + 4*theme.Padding()
	}
	return fyne.NewSize(0, v.set.height(w))
}

func (v *fileView) CreateRenderer() fyne.WidgetRenderer { return &fileViewRenderer{v} }

type fileViewRenderer struct{ v *fileView }

func (r *fileViewRenderer) Destroy()                     {}
func (r *fileViewRenderer) Objects() []fyne.CanvasObject { return r.v.items }
func (r *fileViewRenderer) MinSize() fyne.Size           { return r.v.MinSize() }
func (r *fileViewRenderer) Refresh() {
	r.Layout(r.v.Size())
	for _, it := range r.v.items {
		it.Refresh()
	}
}

func (r *fileViewRenderer) Layout(size fyne.Size) {
	v := r.v
	if v.set.empty() {
		return
	}
	pad := theme.Padding()
	y := pad / 2
	for i, it := range v.items {
		b := v.set.box(i, size.Width)
		it.Move(fyne.NewPos(2*pad, y))
		it.Resize(b)
		y += b.Height + pad
	}
}

// thumbView is an image attachment: its thumbnail, loaded when first laid
// out, kept by the chat's pictureStore, dropped when the row shows another
// message or the store needs the room.
type thumbView struct {
	widget.BaseWidget
	chat   *chatView
	a      realtime.Attachment
	img    *canvas.Image
	bg     *canvas.Rectangle
	mu     sync.Mutex
	cancel context.CancelFunc
	asked  fyne.Size // the size last fetched for; zero: none yet
	err    error     // why the picture is not shown (UI thread)
	// held is t's place in the chat's pictureStore (nil: no picture), and
	// bytes what its pixels take there.
	held  *list.Element
	bytes int64
	// retries counts the fetches asked again after a network or server
	// failure (at most thumbRetries; then the box shows the error).
	retries int
}

// thumbRetries is how many times a thumbnail is asked again after a
// network or server failure.
const thumbRetries = 3

// thumbFetches is how many thumbnails a chat fetches and decodes at once.
// Each decoding holds a whole picture: scrolling fast through a history of
// pictures started hundreds at once, for rows already gone, and the heap
// grew by hundreds of megabytes the runtime keeps long after
// (docs/benchmarks.md). The rest wait in line, and leave it when their row
// shows another message.
const thumbFetches = 4

// transientThumbError says a thumbnail's fetch may work when asked again:
// the network, a timeout, a token being renewed, or a server (or a proxy
// before it) that failed or is busy.
func transientThumbError(err error) bool {
	switch files.KindOf(err) {
	case files.KindNetwork, files.KindServer, files.KindUnauthorized, files.KindCanceled:
		return true
	}
	var e *files.Error
	return errors.As(err, &e) && (e.Status >= 500 || e.Status == http.StatusTooManyRequests)
}

func newThumbView(c *chatView, a realtime.Attachment) *thumbView {
	t := &thumbView{chat: c, a: a}
	t.ExtendBaseWidget(t)
	return t
}

func (t *thumbView) Tapped(*fyne.PointEvent) { t.chat.viewImage(t.a) }

func (t *thumbView) CreateRenderer() fyne.WidgetRenderer {
	t.bg = canvas.NewRectangle(theme.Color(theme.ColorNameInputBackground))
	t.bg.CornerRadius = theme.InputRadiusSize()
	t.img = canvas.NewImageFromImage(nil)
	t.img.FillMode = canvas.ImageFillContain
	t.img.ScaleMode = canvas.ImageScaleSmooth
	return &thumbRenderer{t}
}

// load fetches and decodes the thumbnail off the UI thread, once.
func (t *thumbView) load(size fyne.Size) {
	t.mu.Lock()
	// Before the row lays it out at its box, it has its minimum size: a
	// picture fetched for that would be scaled up, blurred. A bigger box
	// (a wider window) fetches again.
	if size.Width < min(32, float32(t.a.Width)) || size.Height < min(32, float32(t.a.Height)) || t.chat.files == nil ||
		(size.Width <= t.asked.Width*1.2 && size.Height <= t.asked.Height*1.2) {
		t.mu.Unlock()
		return
	}
	t.asked = size
	if t.cancel != nil {
		t.cancel()
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.cancel = cancel
	t.mu.Unlock()
	scale := float32(1)
	if cv := fyne.CurrentApp().Driver().CanvasForObject(t); cv != nil {
		scale = cv.Scale()
	}
	w, h := int(size.Width*scale+0.5), int(size.Height*scale+0.5)
	client, id, slots := t.chat.files.client, t.a.ID, t.chat.thumbSlots
	go func() {
		// A slot first: rows scrolled past quickly cancel their fetch
		// while they wait, and never hold a decoded picture.
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
			return
		}
		b, err := client.Thumbnail(ctx, id, w, h)
		var img image.Image
		if err == nil && ctx.Err() == nil {
			img, err = files.DecodeThumbnail(b)
		}
		<-slots
		if ctx.Err() != nil {
			return
		}
		t.chat.host.dispatch(func() {
			if ctx.Err() != nil || t.img == nil {
				return
			}
			if err != nil {
				t.chat.host.log.Warn("thumbnail not shown", "file", id, "err", err)
				if transientThumbError(err) && t.retries < thumbRetries {
					// The network or the server failed: asked again a
					// little later (or when the row is bound again).
					t.retries++
					t.forget()
					time.AfterFunc(time.Duration(t.retries)*3*time.Second, func() {
						t.chat.host.dispatch(func() {
							if t.held == nil && t.err == nil {
								t.revive()
							}
						})
					})
					return
				}
				t.err = err
				t.bg.FillColor = theme.Color(theme.ColorNameError)
				t.bg.Refresh()
				return
			}
			t.chat.pictures.hold(t, img)
		})
	}()
}

// revive marks t's picture as shown, or fetches it again if the store
// dropped it.
func (t *thumbView) revive() {
	if t.held != nil {
		t.chat.pictures.touch(t)
		return
	}
	if t.img != nil {
		t.load(t.Size())
	}
}

// forget cancels a fetch under way and makes the next layout fetch again.
func (t *thumbView) forget() {
	t.mu.Lock()
	if t.cancel != nil {
		t.cancel()
		t.cancel = nil
	}
	t.asked = fyne.Size{}
	t.mu.Unlock()
}

// release drops the picture (the row shows another message now, or the
// renderer is gone).
func (t *thumbView) release() {
	t.forget()
	t.chat.pictures.drop(t)
}

type thumbRenderer struct{ t *thumbView }

func (r *thumbRenderer) Destroy()                     { r.t.release() }
func (r *thumbRenderer) Objects() []fyne.CanvasObject { return []fyne.CanvasObject{r.t.bg, r.t.img} }
func (r *thumbRenderer) MinSize() fyne.Size           { return fyne.NewSize(16, 16) }
func (r *thumbRenderer) Refresh()                     { canvas.Refresh(r.t) }
func (r *thumbRenderer) Layout(size fyne.Size) {
	r.t.bg.Resize(size)
	r.t.img.Resize(size)
	r.t.chat.pictures.touch(r.t)
	r.t.load(size)
}

// newFileCard is a file that is not shown as an image: icon, name, size,
// and Download (then Open).
func newFileCard(c *chatView, a realtime.Attachment) fyne.CanvasObject {
	name := widget.NewLabel(oneLine(a.Name, 120))
	name.Truncation = fyne.TextTruncateEllipsis
	size := canvas.NewText(files.FormatSize(a.Size), theme.Color(theme.ColorNamePlaceHolder))
	size.TextSize = theme.CaptionTextSize()
	if a.Path != "" {
		// Typed here, not uploaded yet: nothing to download.
		return container.NewBorder(nil, nil, widget.NewIcon(fileIcon(a)), container.NewCenter(size), name)
	}
	bar := widget.NewProgressBar()
	bar.Hide()
	var btn *widget.Button
	var saved string
	btn = widget.NewButtonWithIcon("Download", theme.DownloadIcon(), func() {
		if saved != "" {
			c.openFile(saved)
			return
		}
		btn.Disable()
		bar.Show()
		c.download(a, func(done, total int64) {
			if total > 0 {
				bar.SetValue(float64(done) / float64(total))
			}
		}, func(path string, err error) {
			bar.Hide()
			btn.Enable()
			if err != nil {
				c.notice("Download failed: " + err.Error())
				return
			}
			saved = path
			btn.SetText("Open")
			btn.SetIcon(theme.FileIcon())
			c.notice("Saved " + filepath.Base(path) + " to " + filepath.Dir(path))
		})
	})
	btn.Importance = widget.LowImportance
	right := container.NewHBox(container.NewCenter(size), btn)
	return container.NewStack(
		canvas.NewRectangle(theme.Color(theme.ColorNameInputBackground)),
		container.NewBorder(nil, bar, widget.NewIcon(fileIcon(a)), right, name))
}

// download saves a to the Downloads folder off the UI thread; progress
// and done run on the UI thread.
func (c *chatView) download(a realtime.Attachment, progress func(done, total int64), done func(path string, err error)) {
	if c.files == nil {
		done("", errors.New("no connection to the server's files"))
		return
	}
	client := c.files.client
	go func() {
		dir, err := files.DownloadsDir()
		if err == nil {
			err = os.MkdirAll(dir, 0o755)
		}
		var path string
		if err == nil {
			var last int64
			path, err = client.Download(context.Background(), a.ID, dir, func(d, t int64) {
				if d-last >= 256<<10 || d == t {
					last = d
					c.host.dispatch(func() { progress(d, t) })
				}
			})
		}
		c.host.dispatch(func() { done(path, err) })
	}()
}

// riskyExt are files that a desktop would run rather than show: Open
// shows the folder instead.
var riskyExt = []string{".exe", ".msi", ".bat", ".cmd", ".com", ".scr", ".ps1", ".vbs", ".js", ".jse", ".wsf", ".lnk",
	".jar", ".sh", ".desktop", ".app", ".command", ".pkg", ".dmg", ".appimage", ".run", ".reg", ".hta", ".cpl", ".msc"}

// openFile opens a downloaded file with the desktop's program for it; a
// program file gets its folder shown instead.
func (c *chatView) openFile(path string) {
	target := path
	ext := strings.ToLower(filepath.Ext(path))
	for _, r := range riskyExt {
		if ext == r {
			target = filepath.Dir(path)
			c.notice("A program file is not opened from the chat: showing its folder.")
		}
	}
	if c.host.openURL == nil {
		return
	}
	u := storage.NewFileURI(target)
	pu, err := url.Parse(u.String())
	if err == nil {
		err = c.host.openURL(pu)
	}
	if err != nil {
		c.notice("Could not open it: " + err.Error())
	}
}

// viewImage shows an image attachment larger, with Save.
func (c *chatView) viewImage(a realtime.Attachment) {
	if c.files == nil {
		return
	}
	img := canvas.NewImageFromImage(nil)
	img.FillMode = canvas.ImageFillContain
	img.SetMinSize(fyne.NewSize(640, 420))
	title := widget.NewLabel(oneLine(a.Name, 80) + " · " + files.FormatSize(a.Size))
	title.Truncation = fyne.TextTruncateEllipsis
	var d dialog.Dialog
	save := widget.NewButtonWithIcon("Save", theme.DocumentSaveIcon(), nil)
	save.OnTapped = func() {
		save.Disable()
		c.download(a, func(int64, int64) {}, func(path string, err error) {
			save.Enable()
			if err != nil {
				c.notice("Not saved: " + err.Error())
				return
			}
			c.notice("Saved " + filepath.Base(path) + " to " + filepath.Dir(path))
			d.Hide()
		})
	}
	d = dialog.NewCustom("Image", "Close", container.NewBorder(title, container.NewHBox(save), nil, nil, img), c.host.win)
	d.Resize(fyne.NewSize(720, 560))
	c.host.dialogs.show(d)
	ctx, cancel := context.WithCancel(context.Background())
	d.SetOnClosed(cancel)
	client := c.files.client
	go func() {
		b, err := client.Thumbnail(ctx, a.ID, 1600, 1200)
		var im image.Image
		if err == nil {
			im, err = files.DecodeThumbnail(b)
		}
		c.host.dispatch(func() {
			if err != nil {
				if ctx.Err() == nil {
					c.notice("Could not show the image: " + err.Error())
				}
				return
			}
			img.Image = im
			img.Refresh()
		})
	}()
}
