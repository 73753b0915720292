//go:build windows

package clipimage

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/png"
	"runtime"
	"time"
	"unsafe"

	"golang.org/x/image/bmp"
	"golang.org/x/sys/windows"
)

// user32 holds the clipboard, kernel32 the global memory blocks the
// clipboard's data lives in. NewLazySystemDLL loads them from System32 only.
var (
	user32                         = windows.NewLazySystemDLL("user32.dll")
	procOpenClipboard              = user32.NewProc("OpenClipboard")
	procCloseClipboard             = user32.NewProc("CloseClipboard")
	procGetClipboardData           = user32.NewProc("GetClipboardData")
	procIsClipboardFormatAvailable = user32.NewProc("IsClipboardFormatAvailable")
	procRegisterClipboardFormatW   = user32.NewProc("RegisterClipboardFormatW")

	kernel32         = windows.NewLazySystemDLL("kernel32.dll")
	procGlobalLock   = kernel32.NewProc("GlobalLock")
	procGlobalUnlock = kernel32.NewProc("GlobalUnlock")
	procGlobalSize   = kernel32.NewProc("GlobalSize")
)

// Standard clipboard formats (winuser.h).
const (
	cfDIB   = 8  // a BITMAPINFO (header, masks, palette) then the pixels
	cfDIBV5 = 17 // the same with a BITMAPV5HEADER
)

// DIB compressions (wingdi.h).
const (
	biRGB       = 0
	biBitfields = 3
)

// Bounds on the pictures a DIB may describe, checked before decoding (the
// decoder allocates the whole picture before reading its pixels).
const (
	maxSide       = 16384
	maxPixelBytes = 256 << 20 // width*height*4
)

// encoded are the registered formats holding a picture file as is, best
// first. Browsers and the Snipping Tool put "PNG"; some programs name the
// formats by their MIME type.
var encoded = []struct{ name, mime string }{
	{"PNG", "image/png"},
	{"image/png", "image/png"},
	{"JFIF", "image/jpeg"},
	{"image/jpeg", "image/jpeg"},
	{"GIF", "image/gif"},
	{"image/gif", "image/gif"},
}

func read(ctx context.Context) (Image, error) {
	// GetClipboardData waits for the clipboard's owner when it renders its
	// data only when asked (delayed rendering), which ctx cannot interrupt:
	// the reading goes on in its own goroutine, and closes the clipboard
	// when it ends, even after Read has given up.
	type result struct {
		img Image
		err error
	}
	done := make(chan result, 1)
	go func() {
		img, err := readClipboard(ctx)
		done <- result{img, err}
	}()
	select {
	case r := <-done:
		return r.img, r.err
	case <-ctx.Done():
		return Image{}, fmt.Errorf("clipboard: %w", ctx.Err())
	}
}

func readClipboard(ctx context.Context) (Image, error) {
	// OpenClipboard(NULL) opens the clipboard for the calling thread's task,
	// and only that thread may read it and close it again.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()

	if err := openClipboard(ctx); err != nil {
		return Image{}, err
	}
	defer procCloseClipboard.Call()

	for _, f := range encoded {
		format, err := registerFormat(f.name)
		if err != nil {
			return Image{}, err
		}
		if !available(format) {
			continue
		}
		data, err := clipboardData(format)
		if err != nil {
			return Image{}, fmt.Errorf("clipboard %q: %w", f.name, err)
		}
		return Image{Data: data, Type: f.mime}, nil
	}

	// A DIB. When a program puts one of CF_DIB, CF_DIBV5 or CF_BITMAP,
	// Windows offers the others too, converted on request: CF_DIBV5 comes
	// first as it can carry an alpha channel; CF_DIB is tried when the
	// first cannot be read (its header may describe its pixels in a way
	// the BMP decoder does not know, while the other does).
	var firstErr error
	for _, format := range []uintptr{cfDIBV5, cfDIB} {
		if !available(format) {
			continue
		}
		img, err := readDIB(format)
		if err == nil {
			return img, nil
		}
		if firstErr == nil {
			firstErr = err
		}
	}
	if firstErr != nil {
		return Image{}, firstErr
	}
	return Image{}, fmt.Errorf("clipboard: %w", ErrNoImage)
}

// openClipboard opens the clipboard, trying again for a while when another
// program holds it open (it is meant to be held only briefly).
func openClipboard(ctx context.Context) error {
	var err error
	for range 10 {
		var r uintptr
		r, _, err = procOpenClipboard.Call(0)
		if r != 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("clipboard: %w", ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
	return fmt.Errorf("clipboard: opening: %w", err)
}

func registerFormat(name string) (uintptr, error) {
	p, err := windows.UTF16PtrFromString(name)
	if err != nil {
		return 0, fmt.Errorf("clipboard: %w", err)
	}
	// RegisterClipboardFormat returns the format's number, the same for
	// every program, registering it on first use.
	r, _, err := procRegisterClipboardFormatW.Call(uintptr(unsafe.Pointer(p)))
	if r == 0 {
		return 0, fmt.Errorf("clipboard: registering the format %q: %w", name, err)
	}
	return r, nil
}

func available(format uintptr) bool {
	r, _, _ := procIsClipboardFormatAvailable.Call(format)
	return r != 0
}

// clipboardData copies out the global memory block holding the clipboard's
// data in format. The block stays the clipboard's: it is neither freed nor
// kept after GlobalUnlock.
func clipboardData(format uintptr) ([]byte, error) {
	// No data although the format is listed: its owner or Windows could
	// not render it (Wine fails so to convert a CF_DIB it finds wrong).
	h, _, err := procGetClipboardData.Call(format)
	if h == 0 {
		return nil, fmt.Errorf("no data given (%w)", err)
	}
	// GlobalSize is the block's size, which may be more than the data put
	// in it, never less: nothing past it may be read.
	size, _, err := procGlobalSize.Call(h)
	if size == 0 {
		return nil, fmt.Errorf("getting the data's size: %w", err)
	}
	if size > MaxBytes {
		return nil, ErrTooBig
	}
	p, _, err := procGlobalLock.Call(h)
	if p == 0 {
		return nil, fmt.Errorf("locking the data: %w", err)
	}
	defer procGlobalUnlock.Call(h)
	// p is the address of memory Windows allocated (not Go's heap), valid
	// until GlobalUnlock; the conversion through a pointer to p keeps vet's
	// unsafeptr check quiet about converting a uintptr.
	block := unsafe.Slice((*byte)(*(*unsafe.Pointer)(unsafe.Pointer(&p))), size)
	return bytes.Clone(block), nil
}

// errUnsupportedKind says a DIB describes its pixels in a way that cannot
// be converted (compressed, 16 bits with masks, ...).
var errUnsupportedKind = errors.New("this kind of picture is not supported")

func readDIB(format uintptr) (Image, error) {
	name := "CF_DIB"
	if format == cfDIBV5 {
		name = "CF_DIBV5"
	}
	dib, err := clipboardData(format)
	if err != nil {
		return Image{}, fmt.Errorf("clipboard %s: %w", name, err)
	}
	data, err := dibToPNG(dib)
	if err != nil {
		return Image{}, fmt.Errorf("clipboard %s: %w", name, err)
	}
	return Image{Data: data, Type: "image/png"}, nil
}

// dibToPNG converts a packed DIB (what CF_DIB and CF_DIBV5 hold: a
// BITMAPINFOHEADER or larger header, then optional color masks and palette,
// then the pixels) to a PNG file. Every header field is checked against
// len(dib) and the picture bounds before anything is decoded.
func dibToPNG(dib []byte) ([]byte, error) {
	le32 := func(off int) uint32 { return binary.LittleEndian.Uint32(dib[off:]) }
	le16 := func(off int) uint16 { return binary.LittleEndian.Uint16(dib[off:]) }

	// The header is a BITMAPINFOHEADER (40 bytes) or one of its extensions,
	// V2 (52: RGB masks), V3 (56: alpha mask), V4 (108) and V5 (124). The
	// 12-byte BITMAPCOREHEADER of OS/2 is not supported.
	if len(dib) < 40 {
		return nil, fmt.Errorf("%d bytes, too short for a DIB header", len(dib))
	}
	headerSize := int64(le32(0))
	switch headerSize {
	case 40, 52, 56, 108, 124:
	default:
		return nil, fmt.Errorf("a %d-byte DIB header: %w", headerSize, errUnsupportedKind)
	}
	width := int64(int32(le32(4)))
	height := int64(int32(le32(8))) // negative: the rows go top down
	bitCount := int64(le16(14))
	compression := le32(16)
	clrUsed := int64(le32(32))

	if height < 0 {
		height = -height
	}
	if width <= 0 || height == 0 || width > maxSide || height > maxSide || width*height*4 > maxPixelBytes {
		return nil, fmt.Errorf("a %d×%d picture is too big or empty", width, height)
	}
	switch bitCount {
	case 1, 2, 4, 8, 16, 24, 32:
	default:
		return nil, fmt.Errorf("%d bits per pixel: %w", bitCount, errUnsupportedKind)
	}
	if compression != biRGB && compression != biBitfields {
		return nil, fmt.Errorf("DIB compression %d: %w", compression, errUnsupportedKind)
	}

	// Where the pixels start, which a BMP file's header (bfOffBits) must
	// say: after the header, then the three DWORD color masks when the
	// header is a plain BITMAPINFOHEADER with BI_BITFIELDS (V2 and later
	// headers hold the masks themselves), then the palette of RGBQUADs:
	// biClrUsed entries, or when 0, 2^bits for 8 bits or fewer (more bits
	// have no palette unless biClrUsed says so).
	maskBytes := int64(0)
	if compression == biBitfields && headerSize == 40 {
		maskBytes = 12
	}
	colors := clrUsed
	if colors == 0 && bitCount <= 8 {
		colors = 1 << bitCount
	}
	pixelsAt := headerSize + maskBytes + colors*4
	// Rows are padded to 4 bytes.
	stride := (width*bitCount + 31) / 32 * 4
	pixelBytes := stride * height
	// biSizeImage is not used (it may be 0 for BI_RGB): what is checked is
	// the size the other fields imply, all of them at most 32 bits, so
	// their sum cannot overflow an int64.
	if pixelsAt+pixelBytes > int64(len(dib)) {
		return nil, fmt.Errorf("the DIB header claims %d bytes of header, palette and pixels, the data has %d", pixelsAt+pixelBytes, len(dib))
	}

	header := bytes.Clone(dib[:headerSize])
	masks := dib[headerSize : headerSize+maskBytes]
	palette := dib[headerSize+maskBytes : pixelsAt]
	pixels := dib[pixelsAt : pixelsAt+pixelBytes]

	// The BMP decoder knows BI_BITFIELDS only with a V4/V5 header and an
	// alpha mask. 32-bit pixels with the usual masks (blue, green, red,
	// then a fourth byte) are plain BI_RGB pixels: Windows itself describes
	// the screen's pixels so (a screenshot on the clipboard, converted to
	// CF_DIB). opaque: the fourth byte is no alpha.
	opaque := false
	if compression == biBitfields && bitCount == 32 {
		// The red, green and blue masks are at 40 either way: just after a
		// 40-byte header (counted in pixelsAt, so inside dib), or in a V2
		// or later header; V3 and later hold the alpha mask at 52.
		red, green, blue := le32(40), le32(44), le32(48)
		alpha := uint32(0)
		if headerSize >= 56 {
			alpha = le32(52)
		}
		if red == 0xff0000 && green == 0xff00 && blue == 0xff {
			binary.LittleEndian.PutUint32(header[16:], biRGB)
			masks = nil
			opaque = alpha != 0xff000000
		}
	}

	// A BMP file is a 14-byte BITMAPFILEHEADER ("BM", the file's size, 4
	// reserved bytes, bfOffBits) followed by the DIB.
	fileSize := 14 + len(header) + len(masks) + len(palette) + len(pixels)
	bmpFile := make([]byte, 14, fileSize)
	bmpFile[0], bmpFile[1] = 'B', 'M'
	binary.LittleEndian.PutUint32(bmpFile[2:], uint32(fileSize))
	binary.LittleEndian.PutUint32(bmpFile[10:], uint32(14+len(header)+len(masks)+len(palette)))
	bmpFile = append(bmpFile, header...)
	bmpFile = append(bmpFile, masks...)
	bmpFile = append(bmpFile, palette...)
	bmpFile = append(bmpFile, pixels...)

	img, err := bmp.Decode(bytes.NewReader(bmpFile))
	if errors.Is(err, bmp.ErrUnsupported) {
		return nil, fmt.Errorf("%w (%d bits per pixel, compression %d, %d-byte header)", errUnsupportedKind, bitCount, compression, headerSize)
	}
	if err != nil {
		return nil, err
	}

	// 32-bit pixels from GDI (screenshots, most programs) leave the fourth
	// byte 0: a picture with no alpha at all is opaque, not invisible.
	if rgba, ok := img.(*image.NRGBA); ok && (opaque || allTransparent(rgba)) {
		for i := 3; i < len(rgba.Pix); i += 4 {
			rgba.Pix[i] = 0xff
		}
	}

	var out bytes.Buffer
	if err := png.Encode(&out, img); err != nil {
		return nil, err
	}
	if out.Len() > MaxBytes {
		return nil, ErrTooBig
	}
	return out.Bytes(), nil
}

func allTransparent(img *image.NRGBA) bool {
	for i := 3; i < len(img.Pix); i += 4 {
		if img.Pix[i] != 0 {
			return false
		}
	}
	return true
}
