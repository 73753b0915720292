package ui

import (
	"container/list"
	"image"

	"fyne.io/fyne/v2"
)

// pictureStore holds the decoded thumbnails of a chat's rows, bounded in
// bytes of pixels: those of the rows in view and, up to the budget, those
// seen last. widget.List keeps rows that leave the view in a pool with
// whatever they showed, and binds rows it does not show inside its own
// updates, so no row can be proven out of view; a bound that does not
// depend on it does. The budget is a few windows' worth of pixels, so the
// pictures in view (at most about one window of them) are never the least
// recently shown, and what stays held once scrolled away is bounded by
// the window, not by the history. A picture dropped here is fetched again
// (from the disk cache) when its row is laid out again.
//
// Everything runs on the UI thread.
type pictureStore struct {
	order  list.List // of *thumbView, the most recently shown in front
	used   int64     // bytes of pixels held
	budget func() int64
	holds  int // pictures shown since the start (a fetch loop shows here)
}

// viewportsKept is how many windows of pixels the store keeps.
const viewportsKept = 3

// minPictureBudget keeps a few thumbnails even for a tiny window.
const minPictureBudget = 4 * thumbMaxW * thumbMaxH * 4

func newPictureStore(budget func() int64) *pictureStore {
	s := &pictureStore{budget: budget}
	s.order.Init()
	return s
}

// windowBudget is the budget for a window of size (in Fyne units) at
// scale: viewportsKept windows of 4-byte pixels.
func windowBudget(size fyne.Size, scale float32) int64 {
	w, h := int64(size.Width*scale), int64(size.Height*scale)
	return max(viewportsKept*w*h*4, minPictureBudget)
}

// pixelBytes is what img's pixels take in memory (and in a texture).
func pixelBytes(img image.Image) int64 {
	b := img.Bounds()
	return int64(b.Dx()) * int64(b.Dy()) * 4
}

// hold shows img in t and keeps it, dropping the least recently shown
// pictures over the budget (never t's).
func (s *pictureStore) hold(t *thumbView, img image.Image) {
	s.drop(t)
	s.holds++
	t.img.Image = img
	t.held = s.order.PushFront(t)
	t.bytes = pixelBytes(img)
	s.used += t.bytes
	budget := s.budget()
	for s.used > budget {
		last := s.order.Back()
		if last == nil || last.Value.(*thumbView) == t {
			break
		}
		s.evict(last.Value.(*thumbView))
	}
	t.img.Refresh()
}

// touch marks t's picture as shown now.
func (s *pictureStore) touch(t *thumbView) {
	if t.held != nil {
		s.order.MoveToFront(t.held)
	}
}

// drop forgets t's picture (its row shows another message, or its
// renderer is gone).
func (s *pictureStore) drop(t *thumbView) {
	if t.held == nil {
		return
	}
	s.order.Remove(t.held)
	s.used -= t.bytes
	t.held, t.bytes = nil, 0
	if t.img != nil {
		t.img.Image = nil
	}
}

// evict drops t's picture for the budget: t shows its empty box, and
// fetches the picture again when it is laid out again.
func (s *pictureStore) evict(t *thumbView) {
	s.drop(t)
	t.forget()
	if t.img != nil {
		t.img.Refresh() // frees its texture
	}
}

// heldBytes is what the store holds, in bytes of pixels.
func (s *pictureStore) heldBytes() int64 { return s.used }

// count is how many pictures the store holds.
func (s *pictureStore) count() int { return s.order.Len() }
