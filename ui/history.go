package ui

import (
	"fmt"

	"fyne.io/fyne/v2/data/binding"

	"directuschat/timeline"
)

// historyList binds a widget.List to the timeline through Fyne's
// binding.DataList. Unlike binding.NewList it does not copy or re-walk the
// items: it reads the timeline in place and notifies its listeners once per
// applied batch (timeline.OnChange), so a storm of events costs one refresh.
type historyList struct {
	tl        *timeline.Timeline
	listeners []binding.DataListener
}

var _ binding.DataList = (*historyList)(nil)

func newHistoryList(tl *timeline.Timeline) *historyList {
	h := &historyList{tl: tl}
	tl.OnChange(h.notify)
	return h
}

// entryItem is one row of the history as a binding.DataItem: a snapshot of
// the entry at the time the row was bound. Rows are re-bound on every change.
type entryItem struct {
	entry timeline.Entry
	index int
}

func (entryItem) AddListener(binding.DataListener)    {}
func (entryItem) RemoveListener(binding.DataListener) {}

// Length is the number of rows.
func (h *historyList) Length() int { return h.tl.Len() }

// GetItem returns row i.
func (h *historyList) GetItem(i int) (binding.DataItem, error) {
	if i < 0 || i >= h.tl.Len() {
		return nil, fmt.Errorf("history row %d out of range [0,%d)", i, h.tl.Len())
	}
	return entryItem{h.tl.At(i), i}, nil
}

// AddListener registers l and calls it once, as Fyne's bindings do.
func (h *historyList) AddListener(l binding.DataListener) {
	h.listeners = append(h.listeners, l)
	l.DataChanged()
}

// RemoveListener unregisters l.
func (h *historyList) RemoveListener(l binding.DataListener) {
	for i, x := range h.listeners {
		if x == l {
			h.listeners = append(h.listeners[:i], h.listeners[i+1:]...)
			return
		}
	}
}

func (h *historyList) notify() {
	for _, l := range h.listeners {
		l.DataChanged()
	}
}
