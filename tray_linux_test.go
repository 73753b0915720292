//go:build linux

package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"github.com/godbus/dbus/v5"

	"directuschat/assets"
	"directuschat/devserver"
	"directuschat/devserver/devservertest"
	"directuschat/internal/dbustest"
	"directuschat/internal/displaytest"
	"directuschat/provision"
)

// TestTrayIconAndMenuOverDBus runs the real app (built from this tree) on
// the X server of the test run and a D-Bus of its own where the test plays
// the desktop's StatusNotifierWatcher, as a panel would: the app must
// register its tray item, with an icon and the menu the user sees, and the
// menu's Quit must end the app. Fyne starts its tray only when the menu is
// set up before the app runs: this is the test that catches it missing.
func TestTrayIconAndMenuOverDBus(t *testing.T) {
	display := displaytest.Need(t)
	addr, conn, w := startTrayHost(t)
	app := startApp(t, display, addr, "-server", "http://127.0.0.1:9") // the login form; nothing is contacted
	log, exited := &app.log, app.exited
	item := app.awaitTrayItem(t, w)

	obj := conn.Object(item.sender, dbus.ObjectPath(item.path()))
	var pixmaps []struct {
		W, H int32
		Data []byte
	}
	if err := obj.StoreProperty("org.kde.StatusNotifierItem.IconPixmap", &pixmaps); err != nil {
		t.Fatalf("IconPixmap: %v", err)
	}
	if len(pixmaps) == 0 || pixmaps[0].W < 16 || len(pixmaps[0].Data) != int(4*pixmaps[0].W*pixmaps[0].H) {
		t.Errorf("tray icon pixmaps = %d, want a whole ARGB image of at least 16 px", len(pixmaps))
	}
	var menuPath dbus.ObjectPath
	if err := obj.StoreProperty("org.kde.StatusNotifierItem.Menu", &menuPath); err != nil {
		t.Fatalf("Menu: %v", err)
	}
	// Fyne builds the tray menu twice at start (when it is set, and again
	// once its tray loop is ready), and the tray library drops a click on
	// an item whose listener is not running yet. A panel re-reads the menu
	// on LayoutUpdated, and so does the test.
	if err := conn.AddMatchSignal(dbus.WithMatchSender(item.sender), dbus.WithMatchObjectPath(menuPath),
		dbus.WithMatchInterface("com.canonical.dbusmenu"), dbus.WithMatchMember("LayoutUpdated")); err != nil {
		t.Fatal(err)
	}
	updated := make(chan *dbus.Signal, 16)
	conn.Signal(updated)
	defer conn.RemoveSignal(updated)
	menu := conn.Object(item.sender, menuPath)
	entries := menuEntries(t, menu)
	var labels []string
	for _, e := range entries {
		labels = append(labels, e.label)
	}
	for _, want := range []string{"Open Directus Chat", "Do not disturb", "Log out", "About", "Quit"} {
		if !slices.Contains(labels, want) {
			t.Errorf("tray menu %q has no %q", labels, want)
		}
	}
	for _, e := range entries {
		if e.label == "Log out" && e.enabled {
			t.Error("Log out is enabled at the login form")
		}
	}

	// Click Quit. Should the menu be rebuilt meanwhile, or the app still
	// run 5 s later (the click was dropped as the menu was being built, or
	// the machine is slow), click it again, as a user would; the app must
	// be gone within 30 s. A click or a read may fail once the app has
	// begun to quit: only its exit decides.
	deadline := time.After(30 * time.Second)
	for clicks := 1; ; clicks++ {
		if clicks > 1 {
			if rebuilt, err := readMenu(menu); err == nil {
				entries = rebuilt
			}
			t.Logf("clicking Quit again (click %d)", clicks)
		}
		quit := slices.IndexFunc(entries, func(e menuEntry) bool { return e.label == "Quit" })
		if quit < 0 {
			t.Fatalf("tray menu %q has no Quit", labels)
		}
		if call := menu.Call("com.canonical.dbusmenu.Event", 0, entries[quit].id, "clicked", dbus.MakeVariant(""), uint32(0)); call.Err != nil {
			t.Logf("clicking Quit: %v", call.Err)
		}
		select {
		case <-exited:
			if app.exitErr != nil {
				t.Errorf("the app exited with %v after Quit\n%s", app.exitErr, log.String())
			}
			return
		case <-updated:
			for len(updated) > 0 { // a rebuild sends a signal per item: read the menu once
				<-updated
			}
		case <-time.After(5 * time.Second):
		case <-deadline:
			_ = app.cmd.Process.Signal(syscall.SIGQUIT) // the Go runtime prints every goroutine's stack
			select {
			case <-exited:
			case <-time.After(10 * time.Second):
			}
			t.Fatalf("the app still runs 30 s after the tray's Quit\n%s", log.String())
		}
	}
}

// startTrayHost starts a private D-Bus and plays the desktop's
// StatusNotifierWatcher on it, with a host registered, as a panel would. It
// returns the bus address and the watcher's connection.
func startTrayHost(t *testing.T) (string, *dbus.Conn, *trayWatcher) {
	t.Helper()
	addr := dbustest.PrivateBus(t)
	conn, err := dbus.Connect(addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	w := &trayWatcher{registered: make(chan trayItem, 1)}
	if err := conn.Export(w, "/StatusNotifierWatcher", "org.kde.StatusNotifierWatcher"); err != nil {
		t.Fatal(err)
	}
	if err := conn.Export(w, "/StatusNotifierWatcher", "org.freedesktop.DBus.Properties"); err != nil {
		t.Fatal(err)
	}
	if reply, err := conn.RequestName("org.kde.StatusNotifierWatcher", dbus.NameFlagDoNotQueue); err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("owning the watcher name: %v %v", reply, err)
	}
	return addr, conn, w
}

// runningApp is the real app, built from this tree, running for a test.
type runningApp struct {
	cmd     *exec.Cmd
	log     syncBuffer
	exited  chan struct{} // closed when the app has exited (exitErr set)
	exitErr error
}

// startApp builds the app and starts it with args on display, with a fresh
// HOME and the session bus addr; it is killed when t ends.
func startApp(t *testing.T, display, addr string, args ...string) *runningApp {
	t.Helper()
	dir := t.TempDir()
	return startBuilt(t, buildApp(t, dir), display, addr, dir, args...)
}

// buildApp builds the app into dir and returns the binary's path.
func buildApp(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "directus-chat")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// startBuilt starts the built app bin with args on display, with dir as
// its HOME and the session bus addr; it is killed when t ends.
func startBuilt(t *testing.T, bin, display, addr, dir string, args ...string) *runningApp {
	t.Helper()
	a := &runningApp{cmd: exec.Command(bin, args...), exited: make(chan struct{})}
	a.log.written = make(chan struct{}, 1)
	a.cmd.Env = append(os.Environ(), "DISPLAY="+display, "HOME="+dir, "XDG_CONFIG_HOME="+filepath.Join(dir, "config"),
		"XDG_CACHE_HOME="+filepath.Join(dir, "cache"), "DBUS_SESSION_BUS_ADDRESS="+addr)
	a.cmd.Stdout, a.cmd.Stderr = &a.log, &a.log
	if err := a.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		a.exitErr = a.cmd.Wait()
		close(a.exited)
	}()
	t.Cleanup(func() {
		_ = a.cmd.Process.Kill()
		<-a.exited
	})
	return a
}

// awaitTrayItem waits for the app to register its tray item with w.
func (a *runningApp) awaitTrayItem(t *testing.T, w *trayWatcher) trayItem {
	t.Helper()
	select {
	case item := <-w.registered:
		return item
	case <-a.exited:
		t.Fatalf("the app exited before registering a tray item: %v\n%s", a.exitErr, a.log.String())
	case <-time.After(60 * time.Second):
		t.Fatalf("no tray item registered within 60 s\n%s", a.log.String())
	}
	return trayItem{}
}

// syncBuffer collects the app's output; the test reads it while it runs.
type syncBuffer struct {
	mu      sync.Mutex
	buf     strings.Builder
	written chan struct{} // signalled (never blocking) after each write
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.written != nil {
		select {
		case b.written <- struct{}{}:
		default:
		}
	}
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// trayWatcher is a minimal StatusNotifierWatcher with a host registered.
type trayWatcher struct{ registered chan trayItem }

type trayItem struct{ sender, service string }

// path is the item's object path: the service is a bus name or a path.
func (i trayItem) path() string {
	if strings.HasPrefix(i.service, "/") {
		return i.service
	}
	return "/StatusNotifierItem"
}

func (w *trayWatcher) RegisterStatusNotifierItem(sender dbus.Sender, service string) *dbus.Error {
	select {
	case w.registered <- trayItem{string(sender), service}:
	default:
	}
	return nil
}

func (w *trayWatcher) RegisterStatusNotifierHost(string) *dbus.Error { return nil }

func (w *trayWatcher) Get(iface, prop string) (dbus.Variant, *dbus.Error) {
	switch prop {
	case "IsStatusNotifierHostRegistered":
		return dbus.MakeVariant(true), nil
	case "ProtocolVersion":
		return dbus.MakeVariant(int32(0)), nil
	case "RegisteredStatusNotifierItems":
		return dbus.MakeVariant([]string{}), nil
	}
	return dbus.Variant{}, dbus.MakeFailedError(fmt.Errorf("no property %s.%s", iface, prop))
}

func (w *trayWatcher) GetAll(string) (map[string]dbus.Variant, *dbus.Error) {
	return map[string]dbus.Variant{"IsStatusNotifierHostRegistered": dbus.MakeVariant(true), "ProtocolVersion": dbus.MakeVariant(int32(0))}, nil
}

type menuEntry struct {
	id      int32
	label   string
	enabled bool
}

// menuEntries reads the top level of a dbusmenu or fails the test.
func menuEntries(t *testing.T, menu dbus.BusObject) []menuEntry {
	t.Helper()
	entries, err := readMenu(menu)
	if err != nil {
		t.Fatal(err)
	}
	return entries
}

// readMenu reads the top level of a dbusmenu (GetLayout, type (ia{sv}av)).
func readMenu(menu dbus.BusObject) ([]menuEntry, error) {
	var revision uint32
	var layout struct {
		ID       int32
		Props    map[string]dbus.Variant
		Children []dbus.Variant
	}
	if err := menu.Call("com.canonical.dbusmenu.GetLayout", 0, int32(0), int32(1), []string{}).Store(&revision, &layout); err != nil {
		return nil, fmt.Errorf("GetLayout: %w", err)
	}
	var entries []menuEntry
	for _, c := range layout.Children {
		fields, ok := c.Value().([]any)
		if !ok || len(fields) < 2 {
			return nil, fmt.Errorf("menu child %v is not (ia{sv}av)", c)
		}
		e := menuEntry{enabled: true}
		e.id, _ = fields[0].(int32)
		props, _ := fields[1].(map[string]dbus.Variant)
		if v, ok := props["label"]; ok {
			e.label, _ = v.Value().(string)
		}
		if v, ok := props["enabled"]; ok {
			e.enabled, _ = v.Value().(bool)
		}
		entries = append(entries, e)
	}
	return entries, nil
}

// TestCloseToTrayAndReopenFromTheTrayMenu runs the real app under openbox
// (a reparenting window manager, as desktops have), with a tray host on its
// D-Bus and a real Directus. Signed in, closing the window from the window
// manager hides it to the tray, and the app goes on; a message that comes
// meanwhile turns the tray icon to "unread"; the tray menu's "Open" brings
// the window back where it was left. The tray icon follows the state:
// offline at the login form, online once signed in, unread, online again
// once the window is back.
func TestCloseToTrayAndReopenFromTheTrayMenu(t *testing.T) {
	display := displaytest.Openbox(t)
	needTools(t, "xdotool", "xwininfo", "xev")
	srv := devservertest.Start(t, devserver.Options{})
	users := devservertest.Provision(t, srv).DemoUsers
	addr, conn, w := startTrayHost(t)
	app := startApp(t, display, addr, "-server", srv.URL)
	item := app.awaitTrayItem(t, w)
	icons := newTrayIcons(t, conn, item)
	x := &xTool{t: t, display: display}

	win := x.run("search", "--sync", "--onlyvisible", "--name", "^Directus Chat$")
	if strings.Contains(win, "\n") {
		t.Fatalf("more than one window: %q", win)
	}
	events := x.watch(win)
	icons.await(t, "offline", app)

	// Sign in as a person does: the focus is in the e-mail field.
	x.run("windowactivate", "--sync", win)
	x.run("type", "--delay", "5", users[0].Email)
	x.run("key", "Tab")
	x.run("type", "--delay", "5", users[0].Password)
	x.run("key", "Return")
	icons.await(t, "online", app)

	// Move the window, then close it from the window manager (openbox's
	// Alt+F4 sends WM_DELETE_WINDOW, as a title bar's close button does).
	x.run("windowmove", "--sync", win, "611", "144")
	left := events.awaitPosition(t, x, win, 611, 144)
	x.run("windowactivate", "--sync", win)
	events.drain()
	x.run("key", "alt+F4")
	events.await(t, "UnmapNotify", "the window hidden to the tray")
	select {
	case <-app.exited:
		t.Fatalf("closing the window ended the app (%v); it should go on in the tray\n%s", app.exitErr, app.log.String())
	default:
	}

	// A message while the window is hidden: the icon says so.
	postMessage(t, srv.URL, users[1], fmt.Sprintf("while hidden %d", time.Now().UnixNano()))
	icons.await(t, "unread", app)

	// "Open Directus Chat" in the tray menu brings the window back, where
	// it was. The menu is rebuilt when the state changes (its ids with it):
	// should a click find an outdated menu, it is read and clicked again.
	menu := conn.Object(item.sender, icons.menu)
	deadline := time.After(30 * time.Second)
	for shown := false; !shown; {
		entries, err := readMenu(menu)
		if err != nil {
			t.Fatal(err)
		}
		open := slices.IndexFunc(entries, func(e menuEntry) bool { return e.label == "Open Directus Chat" })
		if open < 0 {
			t.Fatalf("the tray menu has no Open: %v", entries)
		}
		if call := menu.Call("com.canonical.dbusmenu.Event", 0, entries[open].id, "clicked", dbus.MakeVariant(""), uint32(0)); call.Err != nil {
			t.Fatalf("clicking Open: %v", call.Err)
		}
		select {
		case <-events.mapped:
			shown = true
		case <-time.After(5 * time.Second):
			t.Log("no window 5 s after clicking Open: clicking again")
		case <-deadline:
			t.Fatalf("the window did not come back within 30 s of clicking Open\n%s", app.log.String())
		}
	}
	events.awaitPosition(t, x, win, left[0], left[1])
	icons.await(t, "online", app)
}

// needTools skips t (fails it under CI=true) unless the programs are
// installed.
func needTools(t *testing.T, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("CI=true but %v", err)
			}
			t.Skip(err)
		}
	}
}

// xTool runs the X11 command-line tools on a display.
type xTool struct {
	t       *testing.T
	display string
}

// run runs xdotool with args (60 s at most) and returns its output.
func (x *xTool) run(args ...string) string {
	x.t.Helper()
	return x.exec("xdotool", args...)
}

func (x *xTool) exec(name string, args ...string) string {
	x.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), "DISPLAY="+x.display)
	out, err := cmd.Output()
	if err != nil {
		x.t.Fatalf("%s %s: %v", name, strings.Join(args, " "), err)
	}
	return strings.TrimSpace(string(out))
}

// position is where the window's content is on the screen (xwininfo's
// "Absolute upper-left", what the app saves and restores).
func (x *xTool) position(win string) [2]int {
	x.t.Helper()
	var p [2]int
	for _, line := range strings.Split(x.exec("xwininfo", "-id", win), "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "Absolute upper-left X:"); ok {
			p[0], _ = strconv.Atoi(strings.TrimSpace(v))
		}
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "Absolute upper-left Y:"); ok {
			p[1], _ = strconv.Atoi(strings.TrimSpace(v))
		}
	}
	return p
}

// windowEvents are a window's structure events as xev prints them.
type windowEvents struct {
	lines     chan string   // every event line
	mapped    chan struct{} // a MapNotify
	configure chan struct{} // a ConfigureNotify
}

// watch starts xev on win's structure events, until the test ends.
func (x *xTool) watch(win string) *windowEvents {
	x.t.Helper()
	cmd := exec.Command("xev", "-id", win, "-event", "structure")
	cmd.Env = append(os.Environ(), "DISPLAY="+x.display)
	out, err := cmd.StdoutPipe()
	if err != nil {
		x.t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		x.t.Fatal(err)
	}
	x.t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	e := &windowEvents{lines: make(chan string, 256), mapped: make(chan struct{}, 16), configure: make(chan struct{}, 1)}
	go func() {
		s := bufio.NewScanner(out)
		for s.Scan() {
			line := s.Text()
			if !strings.Contains(line, " event, serial ") {
				continue
			}
			switch {
			case strings.HasPrefix(line, "MapNotify"):
				e.mapped <- struct{}{}
			case strings.HasPrefix(line, "ConfigureNotify"):
				select {
				case e.configure <- struct{}{}:
				default:
				}
			}
			select {
			case e.lines <- line:
			default:
			}
		}
	}()
	return e
}

// drain forgets the events so far.
func (e *windowEvents) drain() {
	for {
		select {
		case <-e.lines:
		case <-e.mapped:
		default:
			return
		}
	}
}

// await waits (20 s at most) for an event line starting with kind.
func (e *windowEvents) await(t *testing.T, kind, what string) {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		select {
		case line := <-e.lines:
			if strings.HasPrefix(line, kind) {
				return
			}
		case <-deadline:
			t.Fatalf("no %s within 20 s: %s", kind, what)
		}
	}
}

// awaitPosition waits (10 s at most) until the window's content is at x, y
// and returns where it is. A window manager moves its frame and tells the
// client with a ConfigureNotify, which wakes the wait; it re-reads at least
// every 100 ms, as a manager may move the frame without telling.
func (e *windowEvents) awaitPosition(t *testing.T, x *xTool, win string, px, py int) [2]int {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		p := x.position(win)
		if p == [2]int{px, py} {
			return p
		}
		if time.Now().After(deadline) {
			t.Fatalf("the window is at %d,%d, want %d,%d", p[0], p[1], px, py)
		}
		select {
		case <-e.configure:
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// trayIcons reads the tray item's icon as a panel does: on NewIcon.
type trayIcons struct {
	item    dbus.BusObject
	menu    dbus.ObjectPath
	newIcon chan *dbus.Signal
	want    map[string][]byte // the assets' pixels as the item must send them, by state
}

func newTrayIcons(t *testing.T, conn *dbus.Conn, item trayItem) *trayIcons {
	t.Helper()
	i := &trayIcons{item: conn.Object(item.sender, dbus.ObjectPath(item.path())), newIcon: make(chan *dbus.Signal, 64), want: map[string][]byte{}}
	if err := i.item.StoreProperty("org.kde.StatusNotifierItem.Menu", &i.menu); err != nil {
		t.Fatalf("Menu: %v", err)
	}
	if err := conn.AddMatchSignal(dbus.WithMatchSender(item.sender), dbus.WithMatchInterface("org.kde.StatusNotifierItem"),
		dbus.WithMatchMember("NewIcon")); err != nil {
		t.Fatal(err)
	}
	conn.Signal(i.newIcon)
	t.Cleanup(func() { conn.RemoveSignal(i.newIcon) })
	for name, r := range map[string]fyne.Resource{"offline": assets.TrayOffline, "online": assets.TrayOnline, "unread": assets.TrayUnread} {
		img, err := png.Decode(bytes.NewReader(r.Content()))
		if err != nil {
			t.Fatalf("%s: %v", r.Name(), err)
		}
		i.want[name] = argb(img)
	}
	for a, pa := range i.want {
		for b, pb := range i.want {
			if a != b && sameIcon(pa, pb) {
				t.Fatalf("the %s and %s icons cannot be told apart: this test would prove nothing", a, b)
			}
		}
	}
	return i
}

// argb is img as StatusNotifierItem's IconPixmap carries it: ARGB32, each
// pixel in network byte order, row by row (not premultiplied).
func argb(img image.Image) []byte {
	b := img.Bounds()
	out := make([]byte, 0, 4*b.Dx()*b.Dy())
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA)
			out = append(out, c.A, c.R, c.G, c.B)
		}
	}
	return out
}

// sameIcon reports whether the ARGB pixels got show want: the same alpha
// everywhere and the same colour where want is opaque. (The tray library
// converts the colour of translucent pixels approximately, from
// premultiplied values: an edge's shade is no state.)
func sameIcon(got, want []byte) bool {
	if len(got) != len(want) {
		return false
	}
	for i := 0; i < len(want); i += 4 {
		if got[i] != want[i] || want[i] == 0xff && !bytes.Equal(got[i+1:i+4], want[i+1:i+4]) {
			return false
		}
	}
	return true
}

// shown names the icon the item shows: a state, or what it is.
func (i *trayIcons) shown() (string, error) {
	var pixmaps []struct {
		W, H int32
		Data []byte
	}
	if err := i.item.StoreProperty("org.kde.StatusNotifierItem.IconPixmap", &pixmaps); err != nil {
		return "", fmt.Errorf("IconPixmap: %w", err)
	}
	if len(pixmaps) == 0 {
		return "no icon", nil
	}
	for name, px := range i.want {
		if sameIcon(pixmaps[0].Data, px) {
			return name, nil
		}
	}
	return fmt.Sprintf("an unknown %dx%d image", pixmaps[0].W, pixmaps[0].H), nil
}

// await waits (30 s at most) until the item shows the icon of state.
func (i *trayIcons) await(t *testing.T, state string, app *runningApp) {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		got, err := i.shown()
		if err != nil {
			select { // the item is gone with the app, or something else is wrong
			case <-app.exited:
				t.Fatalf("the app exited (%v), want the %q tray icon\n%s", app.exitErr, state, app.log.String())
			case <-time.After(5 * time.Second):
				t.Fatal(err)
			}
		}
		if got == state {
			return
		}
		select {
		case <-i.newIcon:
		case <-app.exited:
			t.Fatalf("the app exited (%v); the tray icon was %q, want %q\n%s", app.exitErr, got, state, app.log.String())
		case <-deadline:
			t.Fatalf("the tray icon is %q, want %q\n%s", got, state, app.log.String())
		}
	}
}

// postMessage sends text as u over Directus's REST API.
func postMessage(t *testing.T, server string, u provision.DemoUser, text string) {
	t.Helper()
	call := func(path, token string, body any, out any) {
		t.Helper()
		b, _ := json.Marshal(body)
		req, err := http.NewRequest(http.MethodPost, server+path, bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("POST %s: %v", path, err)
		}
		defer resp.Body.Close()
		if resp.StatusCode/100 != 2 {
			t.Fatalf("POST %s: %s", path, resp.Status)
		}
		if out != nil {
			if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
				t.Fatalf("POST %s: %v", path, err)
			}
		}
	}
	var login struct {
		Data struct {
			AccessToken string `json:"access_token"`
		} `json:"data"`
	}
	call("/auth/login", "", map[string]string{"email": u.Email, "password": u.Password}, &login)
	// Into setup's general channel, the conversation the app opens first.
	general := devservertest.GeneralChannel(t, server, login.Data.AccessToken)
	call("/items/messages", login.Data.AccessToken, map[string]string{"text": text, "channel": general}, nil)
}
