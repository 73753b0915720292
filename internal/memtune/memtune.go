// Package memtune keeps a long-running Directus Chat small: it shortens how
// long Fyne keeps the textures and renderers of things no longer on screen,
// and names the Go heap's growth main sets (GCPercent).
//
// Fyne reads its cache lifetime (FYNE_CACHE) once, in the init function of
// its internal cache package, and offers no API to change it later. This
// package sets the variable in its own init function, which Go runs first:
// since Go 1.21 packages are initialised in import-path order among those
// whose imports are done, "directuschat/…" sorts before "fyne.io/…", and
// this package imports only "os", which Fyne's cache package imports too.
// A test of package main checks the order in the built app. The app's main
// imports it and sets the GC from GCPercent; cmd/bench imports it for the
// constants, to run the UI benchmark as the app runs. A FYNE_CACHE the user
// set is left alone.
package memtune

import "os"

// CacheLifetime is how long Fyne keeps the texture of a text, and a
// widget's renderer, after it was last drawn (Fyne's default is a minute),
// in Go's duration syntax. Scrolling through history draws thousands of
// texts a minute, each with its own texture in the GL driver's memory (in
// the process itself with Mesa's software renderer): at a minute they were
// most of the app's memory. When idle, Fyne walks the window every
// CacheLifetime minus 10 s to keep what is shown alive, so it must stay
// well above 10 s.
const CacheLifetime = "15s"

// GCPercent is the Go heap growth allowed between collections, for
// debug.SetGCPercent (Go's default is 100: a heap of twice what is live).
// Scrolling back through 10,000 messages, the heap goal is about 42 MB
// instead of 59 MB (51 MB of memory instead of 67 MB), and collections
// still take about 1 % of the app's CPU time (docs/benchmarks.md).
const GCPercent = 50

func init() {
	if _, set := os.LookupEnv("FYNE_CACHE"); !set {
		_ = os.Setenv("FYNE_CACHE", CacheLifetime)
	}
}
