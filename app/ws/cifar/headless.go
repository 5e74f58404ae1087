package cifar

import (
	"fmt"
	"slices"
	"time"
)

// This file is what the app's headless commands (screenshot, bench) and the tests do with
// the workspace besides the ws.Workspace methods.

// Snapshot returns the snapshot the last frame showed (nil before the engine started).
func (c *CIFAR) Snapshot() *Snapshot { return c.snap }

// Start starts the engine now (it starts by itself when the workspace is first shown).
func (c *CIFAR) Start() { c.ensure() }

// DetailRuns returns how many recomputations the detail view started.
func (c *CIFAR) DetailRuns() int { return c.det.runs }

// DetailOpen returns the pool index in the detail view, −1 when the gallery is shown.
func (c *CIFAR) DetailOpen() int { return c.det.idx }

// DetailSample returns the sample the detail view shows and whether it is the one it
// wants (the slider's ε computed).
func (c *CIFAR) DetailSample() (*Sample, bool) {
	s, note := c.det.shown()
	return s, note == ""
}

// RasterMS returns the drawing time of the newest picture in milliseconds.
func (c *CIFAR) RasterMS() float64 { return c.rz.lastMS() }

// Page returns the page shown.
func (c *CIFAR) Page() int { return c.page }

// refreshClock measures how long the visible page takes to be ready after settings were
// applied: the gallery's refresh time.
type refreshClock struct {
	at   time.Time // when settings were applied, zero when not waiting
	last time.Duration
	have bool
	all  []time.Duration // every refresh measured
}

// start begins a measurement.
func (r *refreshClock) start(at time.Time) { r.at = at }

// seen ends the measurement when every sample of the page idx is ready in s.
func (r *refreshClock) seen(s *Snapshot, idx []int, now time.Time) {
	if r.at.IsZero() || len(idx) == 0 {
		return
	}
	for _, i := range idx {
		if i >= len(s.Samples) || !s.Samples[i].Ready {
			return
		}
	}
	r.last, r.have, r.at = now.Sub(r.at), true, time.Time{}
	r.all = append(r.all, r.last)
}

// Last returns the last refresh time and whether there was one.
func (r *refreshClock) Last() (time.Duration, bool) { return r.last, r.have }

// String writes the last refresh for the timing card ("…" while one is measured).
func (r *refreshClock) String() string {
	switch {
	case !r.at.IsZero():
		return "…"
	case !r.have:
		return "–"
	}
	return fmt.Sprintf("%.0f ms", float64(r.last.Microseconds())/1e3)
}

// Refreshes returns every refresh time measured so far, the first (the engine's start) included.
func (c *CIFAR) Refreshes() []time.Duration { return slices.Clone(c.refresh.all) }

// LastRefresh returns the time from the last Apply until the visible page was ready, as
// the frames saw it, and whether it was measured.
func (c *CIFAR) LastRefresh() (time.Duration, bool) { return c.refresh.Last() }
