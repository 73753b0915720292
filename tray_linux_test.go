//go:build linux

package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"directuschat/internal/dbustest"
)

// TestTrayIconAndMenuOverDBus runs the real app (built from this tree) on
// the X server of the test run and a D-Bus of its own where the test plays
// the desktop's StatusNotifierWatcher, as a panel would: the app must
// register its tray item, with an icon and the menu the user sees, and the
// menu's Quit must end the app. Fyne starts its tray only when the menu is
// set up before the app runs: this is the test that catches it missing.
func TestTrayIconAndMenuOverDBus(t *testing.T) {
	if os.Getenv("DISPLAY") == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("CI=true but no DISPLAY: run the tests under xvfb-run (make test)")
		}
		t.Skip("no DISPLAY")
	}
	addr := dbustest.PrivateBus(t)
	conn, err := dbus.Connect(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()

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

	dir := t.TempDir()
	bin := filepath.Join(dir, "directus-chat")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	app := exec.Command(bin, "-server", "http://127.0.0.1:9") // the login form; nothing is contacted
	app.Env = append(os.Environ(), "HOME="+dir, "XDG_CONFIG_HOME="+filepath.Join(dir, "config"),
		"XDG_CACHE_HOME="+filepath.Join(dir, "cache"), "DBUS_SESSION_BUS_ADDRESS="+addr)
	var log syncBuffer
	app.Stdout, app.Stderr = &log, &log
	if err := app.Start(); err != nil {
		t.Fatal(err)
	}
	var exitErr error
	exited := make(chan struct{}) // closed when the app has exited (exitErr set)
	go func() {
		exitErr = app.Wait()
		close(exited)
	}()
	defer func() {
		_ = app.Process.Kill()
		<-exited
	}()

	var item trayItem
	select {
	case item = <-w.registered:
	case <-exited:
		t.Fatalf("the app exited before registering a tray item: %v\n%s", exitErr, log.String())
	case <-time.After(60 * time.Second):
		t.Fatalf("no tray item registered within 60 s\n%s", log.String())
	}

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
			if exitErr != nil {
				t.Errorf("the app exited with %v after Quit\n%s", exitErr, log.String())
			}
			return
		case <-updated:
			for len(updated) > 0 { // a rebuild sends a signal per item: read the menu once
				<-updated
			}
		case <-time.After(5 * time.Second):
		case <-deadline:
			_ = app.Process.Signal(syscall.SIGQUIT) // the Go runtime prints every goroutine's stack
			select {
			case <-exited:
			case <-time.After(10 * time.Second):
			}
			t.Fatalf("the app still runs 30 s after the tray's Quit\n%s", log.String())
		}
	}
}

// syncBuffer collects the app's output; the test reads it while it runs.
type syncBuffer struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
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
