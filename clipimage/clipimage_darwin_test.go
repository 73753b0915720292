//go:build darwin && !ios

package clipimage

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"image/png"
	"runtime"
	"testing"
	"time"
	"unsafe"

	"github.com/ebitengine/purego/objc"
	"golang.org/x/image/tiff"
)

// These tests replace what the general pasteboard (the user's clipboard)
// holds, as copying something does.

type pbItem struct {
	uti  string
	data []byte // put with setData:forType:
	text string // put with setString:forType: when data is nil
}

// setPasteboard empties the general pasteboard and puts items on it, with
// the same calls a program copying something makes.
func setPasteboard(t *testing.T, items ...pbItem) {
	t.Helper()
	k, err := loadAppKit()
	if err != nil {
		t.Fatal(err)
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	pool := k.newPool()
	defer pool.Send(k.drain)

	nsData := objc.ID(objc.GetClass("NSData"))
	dataWithBytesLength := objc.RegisterName("dataWithBytes:length:")
	clearContents := objc.RegisterName("clearContents")
	setDataForType := objc.RegisterName("setData:forType:")
	setStringForType := objc.RegisterName("setString:forType:")

	pb := objc.ID(k.nsPasteboard).Send(k.generalPasteboard)
	if pb == 0 {
		t.Fatal("no general pasteboard")
	}
	objc.Send[int](pb, clearContents) // says the pasteboard's new change count
	for _, item := range items {
		var ok bool
		if item.data != nil {
			// dataWithBytes:length: copies the bytes: the NSData keeps no
			// reference to Go's memory.
			data := nsData.Send(dataWithBytesLength, unsafe.Pointer(unsafe.SliceData(item.data)), uint(len(item.data)))
			if data == 0 {
				t.Fatalf("NSData of %d bytes: nil", len(item.data))
			}
			ok = objc.Send[bool](pb, setDataForType, data, k.str(item.uti))
		} else {
			ok = objc.Send[bool](pb, setStringForType, k.str(item.text), k.str(item.uti))
		}
		if !ok {
			t.Fatalf("putting %s on the pasteboard failed", item.uti)
		}
	}
}

func read10s(t *testing.T) (Image, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return Read(ctx)
}

func testImage() image.Image {
	img := image.NewNRGBA(image.Rect(0, 0, 3, 2))
	for y := range 2 {
		for x := range 3 {
			img.SetNRGBA(x, y, color.NRGBA{uint8(80 * x), uint8(120 * y), 0x40, 0xff})
		}
	}
	return img
}

func testPNG(t *testing.T) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, testImage()); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func testTIFF(t *testing.T) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := tiff.Encode(&b, testImage(), nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestReadPNG(t *testing.T) {
	want := testPNG(t)
	setPasteboard(t, pbItem{uti: "public.png", data: want})
	img, err := read10s(t)
	if err != nil {
		t.Fatal(err)
	}
	if img.Type != "image/png" || !bytes.Equal(img.Data, want) {
		t.Fatalf("got %s of %d bytes, want the %d bytes of PNG put", img.Type, len(img.Data), len(want))
	}
}

// What screenshots, Preview and Safari put: TIFF only.
func TestReadTIFFOnly(t *testing.T) {
	want := testTIFF(t)
	setPasteboard(t, pbItem{uti: "public.tiff", data: want})
	img, err := read10s(t)
	if err != nil {
		t.Fatal(err)
	}
	if img.Type != "image/tiff" || !bytes.Equal(img.Data, want) {
		t.Fatalf("got %s of %d bytes, want the %d bytes of TIFF put", img.Type, len(img.Data), len(want))
	}
	if _, err := tiff.Decode(bytes.NewReader(img.Data)); err != nil {
		t.Fatalf("the TIFF does not decode: %v", err)
	}
}

// PNG comes before the TIFF put along with it.
func TestReadPNGBeforeTIFF(t *testing.T) {
	want := testPNG(t)
	setPasteboard(t, pbItem{uti: "public.tiff", data: testTIFF(t)}, pbItem{uti: "public.png", data: want})
	img, err := read10s(t)
	if err != nil || img.Type != "image/png" || !bytes.Equal(img.Data, want) {
		t.Fatalf("got %s of %d bytes, %v; want the PNG put", img.Type, len(img.Data), err)
	}
}

func TestReadTextOnly(t *testing.T) {
	setPasteboard(t, pbItem{uti: "public.utf8-plain-text", text: "no picture here"})
	if img, err := read10s(t); !errors.Is(err, ErrNoImage) {
		t.Fatalf("text only: got %s of %d bytes, %v; want ErrNoImage", img.Type, len(img.Data), err)
	}
	setPasteboard(t)
	if _, err := read10s(t); !errors.Is(err, ErrNoImage) {
		t.Fatalf("empty: %v, want ErrNoImage", err)
	}
}

func TestReadTooBig(t *testing.T) {
	setPasteboard(t, pbItem{uti: "public.png", data: make([]byte, MaxBytes+1)})
	if img, err := read10s(t); !errors.Is(err, ErrTooBig) {
		t.Fatalf("got %s of %d bytes, %v; want ErrTooBig", img.Type, len(img.Data), err)
	}
}

func TestReadCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Read(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
}
