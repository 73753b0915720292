//go:build windows

package clipimage

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"image"
	"image/color"
	"image/png"
	"runtime"
	"testing"
	"time"
	"unicode/utf16"
	"unsafe"

	"golang.org/x/sys/windows"
)

var (
	procEmptyClipboard   = user32.NewProc("EmptyClipboard")
	procSetClipboardData = user32.NewProc("SetClipboardData")
	procCreateWindowExW  = user32.NewProc("CreateWindowExW")
	procDestroyWindow    = user32.NewProc("DestroyWindow")
	procGlobalAlloc      = kernel32.NewProc("GlobalAlloc")
	procGlobalFree       = kernel32.NewProc("GlobalFree")
)

const (
	cfUnicodeText = 13
	gmemMoveable  = 0x0002
	hwndMessage   = ^uintptr(2) // HWND_MESSAGE, (HWND)-3: a message-only window
)

type clipItem struct {
	format uintptr
	data   []byte
}

// setClipboard empties the clipboard and puts items on it, as a program
// copying something does: each in a GMEM_MOVEABLE block the clipboard then
// owns. The owner is a message-only window (EmptyClipboard after
// OpenClipboard(NULL) leaves the clipboard without owner, and then
// SetClipboardData may fail).
func setClipboard(t *testing.T, items ...clipItem) {
	t.Helper()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()

	class, _ := windows.UTF16PtrFromString("STATIC")
	hwnd, _, err := procCreateWindowExW.Call(0, uintptr(unsafe.Pointer(class)), 0, 0, 0, 0, 0, 0, hwndMessage, 0, 0, 0)
	if hwnd == 0 {
		t.Fatalf("CreateWindowEx: %v", err)
	}
	defer procDestroyWindow.Call(hwnd)

	opened := false
	for range 50 {
		if r, _, _ := procOpenClipboard.Call(hwnd); r != 0 {
			opened = true
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !opened {
		t.Fatal("OpenClipboard failed")
	}
	defer procCloseClipboard.Call()
	if r, _, err := procEmptyClipboard.Call(); r == 0 {
		t.Fatalf("EmptyClipboard: %v", err)
	}
	for _, item := range items {
		h, _, err := procGlobalAlloc.Call(gmemMoveable, uintptr(len(item.data)))
		if h == 0 {
			t.Fatalf("GlobalAlloc(%d): %v", len(item.data), err)
		}
		p, _, err := procGlobalLock.Call(h)
		if p == 0 {
			procGlobalFree.Call(h)
			t.Fatalf("GlobalLock: %v", err)
		}
		copy(unsafe.Slice((*byte)(*(*unsafe.Pointer)(unsafe.Pointer(&p))), len(item.data)), item.data)
		procGlobalUnlock.Call(h)
		if r, _, err := procSetClipboardData.Call(item.format, h); r == 0 {
			procGlobalFree.Call(h)
			t.Fatalf("SetClipboardData(%d): %v", item.format, err)
		}
	}
}

func format(t *testing.T, name string) uintptr {
	t.Helper()
	f, err := registerFormat(name)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func read10s(t *testing.T) (Image, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return Read(ctx)
}

// The colors of the test pictures, by row then column, top row first.
var testColors = [2][3]color.NRGBA{
	{{0xff, 0, 0, 0xff}, {0, 0xff, 0, 0xff}, {0, 0, 0xff, 0xff}},
	{{0x12, 0x34, 0x56, 0xff}, {0xff, 0xff, 0xff, 0xff}, {0, 0, 0, 0xff}},
}

func testPNG(t *testing.T) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, 3, 2))
	for y := range 2 {
		for x := range 3 {
			img.SetNRGBA(x, y, testColors[y][x])
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// infoHeader is a BITMAPINFOHEADER (40 bytes).
func infoHeader(width, height int32, bitCount uint16, compression, clrUsed uint32) []byte {
	h := make([]byte, 40)
	binary.LittleEndian.PutUint32(h[0:], 40)
	binary.LittleEndian.PutUint32(h[4:], uint32(width))
	binary.LittleEndian.PutUint32(h[8:], uint32(height))
	binary.LittleEndian.PutUint16(h[12:], 1) // planes
	binary.LittleEndian.PutUint16(h[14:], bitCount)
	binary.LittleEndian.PutUint32(h[16:], compression)
	binary.LittleEndian.PutUint32(h[32:], clrUsed)
	return h
}

// testPixels are testColors as DIB rows: bottom row first, blue green red
// (then a zero fourth byte, as GDI leaves it, for 32 bits), each row
// padded to 4 bytes.
func testPixels(bitCount int) []byte {
	var out []byte
	for y := 1; y >= 0; y-- {
		var row []byte
		for x := range 3 {
			c := testColors[y][x]
			row = append(row, c.B, c.G, c.R)
			if bitCount == 32 {
				row = append(row, 0)
			}
		}
		for len(row)%4 != 0 {
			row = append(row, 0)
		}
		out = append(out, row...)
	}
	return out
}

func concat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// checkTestPicture decodes img and compares its pixels with testColors.
func checkTestPicture(t *testing.T, img Image, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	if img.Type != "image/png" {
		t.Fatalf("Type = %q, want image/png", img.Type)
	}
	decoded, err := png.Decode(bytes.NewReader(img.Data))
	if err != nil {
		t.Fatalf("the PNG does not decode: %v", err)
	}
	if b := decoded.Bounds(); b.Dx() != 3 || b.Dy() != 2 {
		t.Fatalf("the picture is %v, want 3×2", b)
	}
	for y := range 2 {
		for x := range 3 {
			got := color.NRGBAModel.Convert(decoded.At(x, y)).(color.NRGBA)
			if got != testColors[y][x] {
				t.Errorf("pixel (%d,%d) = %v, want %v", x, y, got, testColors[y][x])
			}
		}
	}
}

func TestReadPNG(t *testing.T) {
	want := testPNG(t)
	setClipboard(t, clipItem{format(t, "PNG"), want})
	img, err := read10s(t)
	if err != nil {
		t.Fatal(err)
	}
	if img.Type != "image/png" || !bytes.Equal(img.Data, want) {
		t.Fatalf("got %s of %d bytes, want the %d bytes put", img.Type, len(img.Data), len(want))
	}
}

// A "PNG" comes before the DIB a browser puts along with it.
func TestReadPNGBeforeDIB(t *testing.T) {
	want := testPNG(t)
	setClipboard(t,
		clipItem{cfDIB, concat(infoHeader(3, 2, 24, biRGB, 0), testPixels(24))},
		clipItem{format(t, "PNG"), want})
	img, err := read10s(t)
	if err != nil || !bytes.Equal(img.Data, want) {
		t.Fatalf("got %s of %d bytes, %v; want the PNG put", img.Type, len(img.Data), err)
	}
}

func TestReadJPEGAndGIF(t *testing.T) {
	for _, c := range []struct{ format, mime string }{{"JFIF", "image/jpeg"}, {"GIF", "image/gif"}} {
		data := []byte("the bytes of a " + c.format + " file")
		setClipboard(t, clipItem{format(t, c.format), data})
		img, err := read10s(t)
		if err != nil || img.Type != c.mime || !bytes.Equal(img.Data, data) {
			t.Errorf("%s: got %q %q, %v", c.format, img.Type, img.Data, err)
		}
	}
}

func TestReadDIB32(t *testing.T) {
	setClipboard(t, clipItem{cfDIB, concat(infoHeader(3, 2, 32, biRGB, 0), testPixels(32))})
	img, err := read10s(t)
	checkTestPicture(t, img, err)
}

func TestReadDIB24(t *testing.T) {
	// 3 pixels of 3 bytes: each row has 3 bytes of padding.
	setClipboard(t, clipItem{cfDIB, concat(infoHeader(3, 2, 24, biRGB, 0), testPixels(24))})
	img, err := read10s(t)
	checkTestPicture(t, img, err)
}

// Top-down rows (a negative height).
func TestReadDIB24TopDown(t *testing.T) {
	pixels := testPixels(24)
	topDown := concat(pixels[12:], pixels[:12])
	setClipboard(t, clipItem{cfDIB, concat(infoHeader(3, -2, 24, biRGB, 0), topDown)})
	img, err := read10s(t)
	checkTestPicture(t, img, err)
}

// BI_BITFIELDS: the three masks follow the 40-byte header, before the
// pixels (how Windows converts a screenshot to CF_DIB).
func TestReadDIB32Bitfields(t *testing.T) {
	masks := make([]byte, 12)
	binary.LittleEndian.PutUint32(masks[0:], 0xff0000)
	binary.LittleEndian.PutUint32(masks[4:], 0xff00)
	binary.LittleEndian.PutUint32(masks[8:], 0xff)
	setClipboard(t, clipItem{cfDIB, concat(infoHeader(3, 2, 32, biBitfields, 0), masks, testPixels(32))})
	img, err := read10s(t)
	checkTestPicture(t, img, err)
}

// A CF_DIBV5 with an alpha channel keeps it.
func TestReadDIBV5Alpha(t *testing.T) {
	h := make([]byte, 124)
	copy(h, infoHeader(1, 1, 32, biBitfields, 0))
	binary.LittleEndian.PutUint32(h[0:], 124)
	binary.LittleEndian.PutUint32(h[40:], 0xff0000)
	binary.LittleEndian.PutUint32(h[44:], 0xff00)
	binary.LittleEndian.PutUint32(h[48:], 0xff)
	binary.LittleEndian.PutUint32(h[52:], 0xff000000)
	setClipboard(t, clipItem{cfDIBV5, concat(h, []byte{0x30, 0x20, 0x10, 0x80})})
	img, err := read10s(t)
	if err != nil {
		t.Fatal(err)
	}
	decoded, err := png.Decode(bytes.NewReader(img.Data))
	if err != nil {
		t.Fatal(err)
	}
	got := color.NRGBAModel.Convert(decoded.At(0, 0)).(color.NRGBA)
	if want := (color.NRGBA{0x10, 0x20, 0x30, 0x80}); got != want {
		t.Fatalf("pixel = %v, want %v", got, want)
	}
}

// 8 bits with a 2-color palette (biClrUsed 2): the pixels start after it.
func TestReadDIB8Palette(t *testing.T) {
	palette := []byte{0xff, 0, 0, 0, 0, 0xff, 0, 0} // blue, green (BGRX)
	pixels := []byte{1, 0, 1, 0, 0, 1, 0, 0}        // bottom row: green blue green, top: blue green blue
	setClipboard(t, clipItem{cfDIB, concat(infoHeader(3, 2, 8, biRGB, 2), palette, pixels)})
	img, err := read10s(t)
	if err != nil {
		t.Fatal(err)
	}
	decoded, err := png.Decode(bytes.NewReader(img.Data))
	if err != nil {
		t.Fatal(err)
	}
	blue, green := color.NRGBA{0, 0, 0xff, 0xff}, color.NRGBA{0, 0xff, 0, 0xff}
	want := [2][3]color.NRGBA{{blue, green, blue}, {green, blue, green}}
	for y := range 2 {
		for x := range 3 {
			if got := color.NRGBAModel.Convert(decoded.At(x, y)).(color.NRGBA); got != want[y][x] {
				t.Errorf("pixel (%d,%d) = %v, want %v", x, y, got, want[y][x])
			}
		}
	}
}

// dibToPNG on its own, for the layouts Windows' own conversion to
// CF_DIBV5 would hide from Read: the masks after a 40-byte header, the
// palette before the pixels.
func TestDIBToPNG(t *testing.T) {
	masks := make([]byte, 12)
	binary.LittleEndian.PutUint32(masks[0:], 0xff0000)
	binary.LittleEndian.PutUint32(masks[4:], 0xff00)
	binary.LittleEndian.PutUint32(masks[8:], 0xff)
	// 8 bits: a palette of the 6 colors, each pixel its index.
	var palette, indexes []byte
	for y := range 2 {
		for x := range 3 {
			c := testColors[y][x]
			palette = append(palette, c.B, c.G, c.R, 0)
		}
	}
	for y := 1; y >= 0; y-- {
		indexes = append(indexes, byte(3*y), byte(3*y+1), byte(3*y+2), 0)
	}
	for _, c := range []struct {
		name string
		dib  []byte
	}{
		{"32 bits", concat(infoHeader(3, 2, 32, biRGB, 0), testPixels(32))},
		{"24 bits", concat(infoHeader(3, 2, 24, biRGB, 0), testPixels(24))},
		{"32 bits BI_BITFIELDS", concat(infoHeader(3, 2, 32, biBitfields, 0), masks, testPixels(32))},
		{"8 bits, 6 colors", concat(infoHeader(3, 2, 8, biRGB, 6), palette, indexes)},
		{"trailing bytes", concat(infoHeader(3, 2, 24, biRGB, 0), testPixels(24), make([]byte, 100))},
	} {
		t.Run(c.name, func(t *testing.T) {
			data, err := dibToPNG(c.dib)
			checkTestPicture(t, Image{Data: data, Type: "image/png"}, err)
		})
	}
}

func TestReadTextOnly(t *testing.T) {
	text := utf16.Encode([]rune("no picture here\x00"))
	data := make([]byte, 2*len(text))
	for i, u := range text {
		binary.LittleEndian.PutUint16(data[2*i:], u)
	}
	setClipboard(t, clipItem{cfUnicodeText, data})
	if _, err := read10s(t); !errors.Is(err, ErrNoImage) {
		t.Fatalf("text only: %v, want ErrNoImage", err)
	}
	setClipboard(t)
	if _, err := read10s(t); !errors.Is(err, ErrNoImage) {
		t.Fatalf("empty: %v, want ErrNoImage", err)
	}
}

// DIBs whose header lies: Read says so, without reading past the block or
// allocating the picture the header claims.
func TestReadHostileDIB(t *testing.T) {
	hugePalette := infoHeader(3, 2, 24, biRGB, 0xffffffff)
	v5Header := infoHeader(3, 2, 24, biRGB, 0) // says 124 bytes, has 40
	binary.LittleEndian.PutUint32(v5Header[0:], 124)
	hugeHeader := infoHeader(3, 2, 24, biRGB, 0)
	binary.LittleEndian.PutUint32(hugeHeader[0:], 0x7fffffff)
	cases := []struct {
		name string
		dib  []byte
	}{
		{"shorter than a header", infoHeader(3, 2, 24, biRGB, 0)[:20]},
		{"rows past the block", concat(infoHeader(3, 1000, 24, biRGB, 0), testPixels(24))},
		{"columns past the block", concat(infoHeader(3000, 2, 24, biRGB, 0), testPixels(24))},
		{"palette past the block", concat(hugePalette, testPixels(24))},
		{"header past the block", concat(v5Header, []byte{1, 2, 3, 4})},
		{"huge header", concat(hugeHeader, testPixels(24))},
		{"masks past the block", concat(infoHeader(1, 1, 32, biBitfields, 0), []byte{0xff, 0xff})},
		{"zero width", concat(infoHeader(0, 2, 24, biRGB, 0), testPixels(24))},
		{"negative width", concat(infoHeader(-3, 2, 24, biRGB, 0), testPixels(24))},
		// The pixels are all there, the picture is absurd: 20000 columns.
		{"too wide", concat(infoHeader(20000, 1, 32, biRGB, 0), make([]byte, 20000*4))},
		// 9000×8000 at 1 bit a pixel is 9 MB of pixels, but 288 MB at 4
		// bytes a pixel (the decoder makes a byte a pixel: 72 MB).
		{"too tall", concat(infoHeader(1, 20000, 32, biRGB, 0), make([]byte, 20000*4))},
		{"height -2³¹", concat(infoHeader(1, -1<<31, 32, biRGB, 0), make([]byte, 64))},
		{"too many pixels", concat(infoHeader(9000, 8000, 1, biRGB, 0), make([]byte, 8+1128*8000))},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// As CF_DIB, Windows offers it as CF_DIBV5 too, converted.
			for _, f := range []uintptr{cfDIB, cfDIBV5} {
				setClipboard(t, clipItem{f, c.dib})
				img, err := read10s(t)
				if err == nil || errors.Is(err, ErrNoImage) {
					t.Errorf("format %d: got %s of %d bytes, %v; want an error", f, img.Type, len(img.Data), err)
				} else {
					t.Logf("format %d: %v", f, err)
				}
			}
		})
	}
}

// A DIB the decoder does not know (16 bits a pixel) is an error, not a
// crash.
func TestReadUnsupportedDIB(t *testing.T) {
	setClipboard(t, clipItem{cfDIB, concat(infoHeader(2, 2, 16, biRGB, 0), make([]byte, 8))})
	_, err := read10s(t)
	if !errors.Is(err, errUnsupportedKind) {
		t.Fatalf("got %v, want errUnsupportedKind", err)
	}
	t.Log(err)
}

func TestReadTooBig(t *testing.T) {
	// The limit's check comes before any copying: a block of MaxBytes+1
	// is refused whatever it holds.
	big := make([]byte, MaxBytes+1)
	copy(big, testPNG(t))
	setClipboard(t, clipItem{format(t, "PNG"), big})
	if _, err := read10s(t); !errors.Is(err, ErrTooBig) {
		t.Fatalf("PNG: %v, want ErrTooBig", err)
	}

	dib := concat(infoHeader(3, 2, 24, biRGB, 0), testPixels(24))
	setClipboard(t, clipItem{cfDIB, append(dib, make([]byte, MaxBytes)...)})
	if _, err := read10s(t); !errors.Is(err, ErrTooBig) {
		t.Fatalf("DIB: %v, want ErrTooBig", err)
	}

	// Exactly MaxBytes is taken.
	setClipboard(t, clipItem{format(t, "PNG"), big[:MaxBytes]})
	img, err := read10s(t)
	if err != nil || len(img.Data) != MaxBytes {
		t.Fatalf("MaxBytes: %d bytes, %v", len(img.Data), err)
	}
}

// holdClipboard opens the clipboard on a thread of its own, as another
// program would, until the returned function is called.
func holdClipboard(t *testing.T) (release func()) {
	t.Helper()
	opened, done, closed := make(chan bool), make(chan struct{}), make(chan struct{})
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		// Opened for a window: Wine lets anyone open the clipboard
		// again for the same window, NULL included.
		class, _ := windows.UTF16PtrFromString("STATIC")
		hwnd, _, _ := procCreateWindowExW.Call(0, uintptr(unsafe.Pointer(class)), 0, 0, 0, 0, 0, 0, hwndMessage, 0, 0, 0)
		if hwnd == 0 {
			opened <- false
			return
		}
		defer procDestroyWindow.Call(hwnd)
		r, _, _ := procOpenClipboard.Call(hwnd)
		opened <- r != 0
		if r == 0 {
			return
		}
		<-done
		procCloseClipboard.Call()
		close(closed)
	}()
	if !<-opened {
		t.Fatal("OpenClipboard failed")
	}
	return func() { close(done); <-closed }
}

func TestReadClipboardHeld(t *testing.T) {
	want := testPNG(t)
	setClipboard(t, clipItem{format(t, "PNG"), want})

	// Held longer than ctx allows: ctx's error.
	release := holdClipboard(t)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := Read(ctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("held: %v, want context.DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("held: Read took %v", d)
	}
	release()

	// Held briefly: Read tries again and gets it.
	release = holdClipboard(t)
	time.AfterFunc(60*time.Millisecond, release)
	img, err := read10s(t)
	if err != nil || !bytes.Equal(img.Data, want) {
		t.Fatalf("held briefly: %d bytes, %v", len(img.Data), err)
	}
}
