package bench

import (
	"math"
	"slices"
	"time"
)

// Dist summarises durations: count and percentiles, in milliseconds.
type Dist struct {
	N    int     `json:"n"`
	P50  float64 `json:"p50_ms"`
	P90  float64 `json:"p90_ms"`
	P99  float64 `json:"p99_ms"`
	Max  float64 `json:"max_ms"`
	Mean float64 `json:"mean_ms"`
}

// Summarize computes the distribution of ds (nearest-rank percentiles).
func Summarize(ds []time.Duration) Dist {
	if len(ds) == 0 {
		return Dist{}
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	var sum time.Duration
	for _, d := range s {
		sum += d
	}
	return Dist{
		N:    len(s),
		P50:  ms(rank(s, 0.50)),
		P90:  ms(rank(s, 0.90)),
		P99:  ms(rank(s, 0.99)),
		Max:  ms(s[len(s)-1]),
		Mean: ms(sum / time.Duration(len(s))),
	}
}

// rank is the nearest-rank percentile of sorted s.
func rank(s []time.Duration, p float64) time.Duration {
	i := int(math.Ceil(p*float64(len(s)))) - 1
	return s[max(0, min(i, len(s)-1))]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// MS converts a duration to milliseconds.
func MS(d time.Duration) float64 { return ms(d) }

// Span is one stretch of work on the UI thread.
type Span struct {
	Start time.Time
	Dur   time.Duration
}

// Stretches merges spans separated by less than gap into busy stretches
// and returns their durations (from the first start to the last end).
func Stretches(spans []Span, gap time.Duration) []time.Duration {
	if len(spans) == 0 {
		return nil
	}
	s := slices.Clone(spans)
	slices.SortFunc(s, func(a, b Span) int { return a.Start.Compare(b.Start) })
	var out []time.Duration
	start, end := s[0].Start, s[0].Start.Add(s[0].Dur)
	for _, sp := range s[1:] {
		if sp.Start.Sub(end) < gap {
			if e := sp.Start.Add(sp.Dur); e.After(end) {
				end = e
			}
			continue
		}
		out = append(out, end.Sub(start))
		start, end = sp.Start, sp.Start.Add(sp.Dur)
	}
	return append(out, end.Sub(start))
}

// MaxPerWindow is the largest number of events in any window of length w.
func MaxPerWindow(times []time.Time, w time.Duration) int {
	s := slices.Clone(times)
	slices.SortFunc(s, func(a, b time.Time) int { return a.Compare(b) })
	best, j := 0, 0
	for i := range s {
		for s[i].Sub(s[j]) >= w {
			j++
		}
		best = max(best, i-j+1)
	}
	return best
}
