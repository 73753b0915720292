//go:build linux || freebsd || openbsd || netbsd

package clipimage

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"slices"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"
)

func init() {
	// xgb logs protocol noise to stderr by default; errors reach us as
	// values anyway.
	xgb.Logger = log.New(io.Discard, "", 0)
}

// types are the picture targets asked for, best first.
var types = []string{"image/png", "image/jpeg", "image/gif", "image/bmp"}

// chunkWords is how much of a property one GetProperty asks for (in
// 32-bit units: 1 MB).
const chunkWords = 1 << 18

// read asks the owner of the CLIPBOARD selection for its targets, then for
// the best picture type among them (ICCCM: ConvertSelection to a property
// of our own window, SelectionNotify, then the property, in one piece or
// INCR by INCR). ctx ends the wait for an owner that does not answer.
func read(ctx context.Context) (Image, error) {
	img, _, err := readX11(ctx)
	return img, err
}

// readX11 is read, also saying in how many INCR pieces the picture came
// (0: in one).
func readX11(ctx context.Context) (Image, int, error) {
	if os.Getenv("DISPLAY") == "" {
		return Image{}, 0, ErrUnsupported
	}
	conn, err := xgb.NewConn()
	if err != nil {
		return Image{}, 0, fmt.Errorf("clipboard: %w (%w)", ErrUnsupported, err)
	}
	x := &x11{conn: conn, events: make(chan xgb.Event, 16), done: make(chan struct{})}
	defer conn.Close()
	defer close(x.done)
	go x.readEvents()
	stop := context.AfterFunc(ctx, conn.Close) // unblocks every wait below
	defer stop()
	img, err := x.read(ctx)
	if err != nil && ctx.Err() != nil {
		return Image{}, 0, fmt.Errorf("clipboard: the program that holds it did not answer: %w", ctx.Err())
	}
	return img, x.pieces, err
}

type x11 struct {
	conn   *xgb.Conn
	events chan xgb.Event // closed when the connection ends
	done   chan struct{}  // closed when read no longer reads events
	win    xproto.Window
	prop   xproto.Atom // the property of win the owner writes into
	pieces int         // INCR pieces read
}

func (x *x11) readEvents() {
	defer close(x.events)
	for {
		ev, err := x.conn.WaitForEvent()
		if ev == nil && err == nil {
			return // closed
		}
		if ev != nil {
			select {
			case x.events <- ev:
			case <-x.done: // any X client may change our window's properties: never block on them
				return
			}
		}
	}
}

func (x *x11) atom(name string) (xproto.Atom, error) {
	r, err := xproto.InternAtom(x.conn, false, uint16(len(name)), name).Reply()
	if err != nil {
		return 0, fmt.Errorf("clipboard: atom %s: %w", name, err)
	}
	return r.Atom, nil
}

func (x *x11) read(ctx context.Context) (Image, error) {
	clipboard, err := x.atom("CLIPBOARD")
	if err != nil {
		return Image{}, err
	}
	owner, err := xproto.GetSelectionOwner(x.conn, clipboard).Reply()
	if err != nil {
		return Image{}, fmt.Errorf("clipboard: owner: %w", err)
	}
	if owner.Owner == xproto.WindowNone {
		return Image{}, ErrNoImage
	}
	screen := xproto.Setup(x.conn).DefaultScreen(x.conn)
	if x.win, err = xproto.NewWindowId(x.conn); err != nil {
		return Image{}, fmt.Errorf("clipboard: %w", err)
	}
	if err := xproto.CreateWindowChecked(x.conn, 0, x.win, screen.Root, 0, 0, 1, 1, 0,
		xproto.WindowClassInputOnly, screen.RootVisual,
		xproto.CwEventMask, []uint32{xproto.EventMaskPropertyChange}).Check(); err != nil {
		return Image{}, fmt.Errorf("clipboard: window: %w", err)
	}
	defer xproto.DestroyWindow(x.conn, x.win)
	if x.prop, err = x.atom("DIRECTUS_CHAT_CLIPBOARD"); err != nil {
		return Image{}, err
	}
	targets, err := x.atom("TARGETS")
	if err != nil {
		return Image{}, err
	}

	offered, err := x.convert(ctx, clipboard, targets)
	if err != nil || len(offered) == 0 {
		return Image{}, errors.Join(ErrNoImage, err)
	}
	var atoms []xproto.Atom
	for b := offered; len(b) >= 4; b = b[4:] {
		atoms = append(atoms, xproto.Atom(binary.LittleEndian.Uint32(b)))
	}
	for _, typ := range types {
		a, err := x.atom(typ)
		if err != nil {
			return Image{}, err
		}
		if !slices.Contains(atoms, a) {
			continue
		}
		got, err := x.convert(ctx, clipboard, a)
		if err != nil {
			return Image{}, err
		}
		if len(got) == 0 {
			return Image{}, ErrNoImage
		}
		return Image{Data: got, Type: typ}, nil
	}
	return Image{}, ErrNoImage
}

// convert asks the selection's owner for target and reads the answer.
func (x *x11) convert(ctx context.Context, selection, target xproto.Atom) ([]byte, error) {
	xproto.ConvertSelection(x.conn, x.win, selection, target, x.prop, xproto.TimeCurrentTime)
	for {
		ev, err := x.next(ctx)
		if err != nil {
			return nil, err
		}
		n, ok := ev.(xproto.SelectionNotifyEvent)
		if !ok || n.Requestor != x.win || n.Target != target {
			continue
		}
		if n.Property == xproto.AtomNone {
			return nil, nil // refused: not offered after all
		}
		return x.property(ctx)
	}
}

// next is the next event, or why there is none.
func (x *x11) next(ctx context.Context) (xgb.Event, error) {
	select {
	case ev, ok := <-x.events:
		if !ok {
			return nil, fmt.Errorf("clipboard: the X connection ended: %w", context.Cause(ctx))
		}
		return ev, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// property reads and deletes the answer in x.prop: whole, or INCR chunks.
func (x *x11) property(ctx context.Context) ([]byte, error) {
	incr, err := x.atom("INCR")
	if err != nil {
		return nil, err
	}
	head, err := xproto.GetProperty(x.conn, false, x.win, x.prop, xproto.GetPropertyTypeAny, 0, 0).Reply()
	if err != nil {
		return nil, fmt.Errorf("clipboard: property: %w", err)
	}
	if head.Type != incr {
		if head.BytesAfter > MaxBytes {
			xproto.DeleteProperty(x.conn, x.win, x.prop)
			return nil, ErrTooBig
		}
		b, err := x.take(head.BytesAfter)
		return b, err
	}
	// INCR: the value is a lower bound of the size; deleting it asks for
	// the first chunk; each chunk comes as a new value; an empty one ends.
	first, err := xproto.GetProperty(x.conn, true, x.win, x.prop, incr, 0, 1).Reply()
	if err != nil {
		return nil, fmt.Errorf("clipboard: property: %w", err)
	}
	if len(first.Value) >= 4 && binary.LittleEndian.Uint32(first.Value) > MaxBytes {
		return nil, ErrTooBig
	}
	var data []byte
	for {
		ev, err := x.next(ctx)
		if err != nil {
			return nil, err
		}
		p, ok := ev.(xproto.PropertyNotifyEvent)
		if !ok || p.Window != x.win || p.Atom != x.prop || p.State != xproto.PropertyNewValue {
			continue
		}
		head, err := xproto.GetProperty(x.conn, false, x.win, x.prop, xproto.GetPropertyTypeAny, 0, 0).Reply()
		if err != nil {
			return nil, fmt.Errorf("clipboard: property: %w", err)
		}
		if uint64(len(data))+uint64(head.BytesAfter) > MaxBytes {
			// Not deleting the property stalls the owner's transfer: it
			// ends when the connection closes.
			return nil, ErrTooBig
		}
		chunk, err := x.take(head.BytesAfter)
		if err != nil {
			return nil, err
		}
		if len(chunk) == 0 {
			return data, nil
		}
		x.pieces++
		data = append(data, chunk...)
	}
}

// take reads size bytes of x.prop, in pieces, and deletes it.
func (x *x11) take(size uint32) ([]byte, error) {
	data := make([]byte, 0, size)
	for offset := uint32(0); ; {
		r, err := xproto.GetProperty(x.conn, false, x.win, x.prop, xproto.GetPropertyTypeAny, offset/4, chunkWords).Reply()
		if err != nil {
			return nil, fmt.Errorf("clipboard: property: %w", err)
		}
		if uint64(len(data))+uint64(len(r.Value)) > uint64(size) {
			return nil, fmt.Errorf("clipboard: the property grew while read")
		}
		data = append(data, r.Value...)
		offset += uint32(len(r.Value))
		if r.BytesAfter == 0 || len(r.Value) == 0 {
			break
		}
	}
	xproto.DeleteProperty(x.conn, x.win, x.prop)
	return data, nil
}
