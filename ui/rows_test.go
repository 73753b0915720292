package ui

import (
	"image/color"
	"reflect"
	"testing"
	"unsafe"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"

	"directuschat/realtime"
)

// tintTheme is the default theme with its own text colours, to tell a
// theme switch apart.
type tintTheme struct {
	fyne.Theme
	fg, placeholder color.Color
}

func (t tintTheme) Color(n fyne.ThemeColorName, v fyne.ThemeVariant) color.Color {
	switch n {
	case theme.ColorNameForeground:
		return t.fg
	case theme.ColorNamePlaceHolder:
		return t.placeholder
	}
	return t.Theme.Color(n, v)
}

// A light/dark switch while the chat is open recolours the rows already on
// screen: their author and time are canvas texts with set colours, and the
// row skips re-binding unchanged content.
func TestThemeSwitchRecoloursShownRows(t *testing.T) {
	a := test.NewTempApp(t)
	dark := tintTheme{theme.DefaultTheme(), color.NRGBA{R: 0xee, G: 0xee, B: 0xee, A: 0xff}, color.NRGBA{R: 0x99, A: 0xff}}
	light := tintTheme{theme.DefaultTheme(), color.NRGBA{R: 0x11, G: 0x11, B: 0x11, A: 0xff}, color.NRGBA{G: 0x66, A: 0xff}}
	a.Settings().SetTheme(dark)

	h := newRowHeights()
	sent := h.newRow().(*messageRow)
	sent.show(rowContent{author: "Ada", meta: "10:00", text: "hello"})
	failed := h.newRow().(*messageRow)
	failed.show(rowContent{author: "Ada", meta: "not sent", text: "lost?", failed: true})
	w := test.NewTempWindow(t, container.NewVBox(sent, failed))
	w.Resize(fyne.NewSize(300, 200))
	if got := sent.parts.author.Color; got != dark.fg {
		t.Fatalf("author colour before the switch = %v, want the theme's %v", got, dark.fg)
	}

	a.Settings().SetTheme(light)
	if got := sent.parts.author.Color; got != light.fg {
		t.Errorf("author colour after the switch = %v, want the new theme's %v", got, light.fg)
	}
	if got := sent.parts.meta.Color; got != light.placeholder {
		t.Errorf("time colour after the switch = %v, want the new theme's %v", got, light.placeholder)
	}
	if got, want := failed.parts.meta.Color, theme.DefaultTheme().Color(theme.ColorNameError, a.Settings().ThemeVariant()); got != want {
		t.Errorf("a failed message's mark after the switch = %v, want the error colour %v", got, want)
	}
}

// A row skips re-binding content equal to what it shows: equal must tell
// apart contents that differ in any field (a field added to rowContent and
// forgotten in equal would leave rows showing stale content), and must
// take two lists of the same files as equal (a message replaced by the
// server's copy keeps its pictures).
func TestRowContentEqualSeesEveryField(t *testing.T) {
	base := rowContent{}
	v := reflect.ValueOf(&base).Elem()
	for i := range v.NumField() {
		other := rowContent{}
		f := reflect.ValueOf(&other).Elem().Field(i)
		f = reflect.NewAt(f.Type(), unsafe.Pointer(f.UnsafeAddr())).Elem()
		switch f.Kind() {
		case reflect.String:
			f.SetString("x")
		case reflect.Bool:
			f.SetBool(true)
		case reflect.Int:
			f.SetInt(1)
		case reflect.Uint8:
			f.SetUint(1)
		case reflect.Pointer:
			f.Set(reflect.New(f.Type().Elem()))
		case reflect.Struct: // files
			other.files = fileSet{[]realtime.Attachment{{ID: "f"}}}
		default:
			t.Fatalf("field %s of kind %s: teach this test to change it", v.Type().Field(i).Name, f.Kind())
		}
		if other.equal(base) || base.equal(other) {
			t.Errorf("contents differing in %s are taken as equal", v.Type().Field(i).Name)
		}
	}
	a := rowContent{files: fileSet{[]realtime.Attachment{{ID: "f", Name: "a.png"}}}}
	b := rowContent{files: fileSet{[]realtime.Attachment{{ID: "f", Name: "a.png"}}}}
	if !a.equal(b) {
		t.Error("two lists of the same files are taken as different")
	}
}
