//go:build darwin && !ios

package clipimage

import (
	"bytes"
	"context"
	"fmt"
	"runtime"
	"sync"
	"unsafe"

	"github.com/ebitengine/purego"
	"github.com/ebitengine/purego/objc"
)

// appKitPath is the framework NSPasteboard lives in. It is loaded at run
// time (no cgo): the program needs no C compiler to be built for macOS.
const appKitPath = "/System/Library/Frameworks/AppKit.framework/AppKit"

// pasteboardTypes are the picture types asked for, best first, by their
// uniform type identifiers. Screenshots, Preview and Safari often offer
// TIFF only.
var pasteboardTypes = []struct{ uti, mime string }{
	{"public.png", "image/png"},
	{"public.jpeg", "image/jpeg"},
	{"com.compuserve.gif", "image/gif"},
	{"public.tiff", "image/tiff"},
}

// appKit holds the classes and selectors read uses, looked up once.
type appKit struct {
	nsPasteboard, nsString, nsAutoreleasePool objc.Class

	generalPasteboard, types, dataForType objc.SEL
	stringWithUTF8String, length, bytes   objc.SEL
	alloc, init, drain                    objc.SEL
}

// loadAppKit loads AppKit into the process (once: it stays loaded, as
// it would anyway when the program shows a window) and looks up what read
// needs. A failure says ErrUnsupported.
var loadAppKit = sync.OnceValues(func() (*appKit, error) {
	if _, err := purego.Dlopen(appKitPath, purego.RTLD_NOW|purego.RTLD_GLOBAL); err != nil {
		return nil, fmt.Errorf("clipboard: %w (loading AppKit: %w)", ErrUnsupported, err)
	}
	k := &appKit{
		nsPasteboard:      objc.GetClass("NSPasteboard"),
		nsString:          objc.GetClass("NSString"),
		nsAutoreleasePool: objc.GetClass("NSAutoreleasePool"),

		generalPasteboard:    objc.RegisterName("generalPasteboard"),
		types:                objc.RegisterName("types"),
		dataForType:          objc.RegisterName("dataForType:"),
		stringWithUTF8String: objc.RegisterName("stringWithUTF8String:"),
		length:               objc.RegisterName("length"),
		bytes:                objc.RegisterName("bytes"),
		alloc:                objc.RegisterName("alloc"),
		init:                 objc.RegisterName("init"),
		drain:                objc.RegisterName("drain"),
	}
	if k.nsPasteboard == 0 || k.nsString == 0 || k.nsAutoreleasePool == 0 {
		return nil, fmt.Errorf("clipboard: %w (AppKit has no NSPasteboard)", ErrUnsupported)
	}
	return k, nil
})

// newPool makes an autorelease pool for the calling thread: the objects
// the pasteboard returns autoreleased (its data, the strings made) are
// freed when it is drained, on the same thread.
func (k *appKit) newPool() objc.ID {
	return objc.ID(k.nsAutoreleasePool).Send(k.alloc).Send(k.init)
}

// str makes an autoreleased NSString of s.
func (k *appKit) str(s string) objc.ID {
	return objc.ID(k.nsString).Send(k.stringWithUTF8String, s)
}

// read asks the general pasteboard for the best picture type it holds.
func read(ctx context.Context) (Image, error) {
	if err := ctx.Err(); err != nil {
		return Image{}, fmt.Errorf("clipboard: %w", err)
	}
	k, err := loadAppKit()
	if err != nil {
		return Image{}, err
	}
	// dataForType: waits for the pasteboard's owner when it provides its
	// data only when asked (a promise), which ctx cannot interrupt: the
	// reading goes on in its own goroutine, which drains its pool when it
	// ends, even after Read has given up.
	type result struct {
		img Image
		err error
	}
	done := make(chan result, 1)
	go func() {
		img, err := k.readPasteboard(ctx)
		done <- result{img, err}
	}()
	select {
	case r := <-done:
		return r.img, r.err
	case <-ctx.Done():
		return Image{}, fmt.Errorf("clipboard: the program that holds it did not answer: %w", ctx.Err())
	}
}

func (k *appKit) readPasteboard(ctx context.Context) (Image, error) {
	// An autorelease pool belongs to the thread it was made on: the
	// goroutine stays on it until the pool is drained.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	pool := k.newPool()
	defer pool.Send(k.drain)

	pb := objc.ID(k.nsPasteboard).Send(k.generalPasteboard)
	if pb == 0 {
		return Image{}, fmt.Errorf("clipboard: %w (no general pasteboard)", ErrUnsupported)
	}
	// The pasteboard's types are asked for first, as NSPasteboard's
	// original interface required before dataForType:; the answer itself
	// is not needed (dataForType: says nil for a type not there).
	pb.Send(k.types)

	for _, t := range pasteboardTypes {
		if err := ctx.Err(); err != nil {
			return Image{}, fmt.Errorf("clipboard: %w", err)
		}
		data := pb.Send(k.dataForType, k.str(t.uti)) // an NSData, autoreleased
		if data == 0 {
			continue
		}
		n := objc.Send[uint](data, k.length)
		if n == 0 {
			continue
		}
		if n > MaxBytes {
			return Image{}, ErrTooBig
		}
		p := objc.Send[unsafe.Pointer](data, k.bytes)
		if p == nil {
			continue
		}
		// p is memory of the NSData, valid until the pool is drained:
		// copied out, nothing refers to it afterwards.
		return Image{Data: bytes.Clone(unsafe.Slice((*byte)(p), n)), Type: t.mime}, nil
	}
	return Image{}, ErrNoImage
}
