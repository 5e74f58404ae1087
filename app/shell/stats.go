package shell

import (
	"slices"
	"time"
)

// statsWindow is how many recent frames the frame-time readout summarises.
const statsWindow = 90

// frameStats keeps the durations and start times of recent frames in fixed rings.
type frameStats struct {
	layoutDur [statsWindow]time.Duration // time spent laying out the UI
	frameDur  [statsWindow]time.Duration // layout plus handing the frame to the GPU
	at        [statsWindow]time.Time     // when each frame finished
	n, ln     int                        // frames recorded (frame, layout)
	scratch   []time.Duration
}

func (s *frameStats) layout(d time.Duration) {
	s.layoutDur[s.ln%statsWindow] = d
	s.ln++
}

func (s *frameStats) frame(d time.Duration) {
	s.frameDur[s.n%statsWindow] = d
	s.at[s.n%statsWindow] = time.Now()
	s.n++
}

// Median returns the median frame time of the recent frames.
func (s *frameStats) Median() time.Duration {
	return s.median(s.frameDur[:min(s.n, statsWindow)])
}

// LayoutMedian returns the median time spent laying out recent frames.
func (s *frameStats) LayoutMedian() time.Duration {
	return s.median(s.layoutDur[:min(s.ln, statsWindow)])
}

// median returns the median of d (0 for none), sorting a copy in the reused scratch.
func (s *frameStats) median(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s.scratch = append(s.scratch[:0], d...)
	slices.Sort(s.scratch)
	return s.scratch[len(d)/2]
}

// FPS returns the frames per second over the recent frames (0 with fewer than two).
func (s *frameStats) FPS() float64 {
	m := min(s.n, statsWindow)
	if m < 2 {
		return 0
	}
	last := s.at[(s.n-1)%statsWindow]
	first := s.at[(s.n-m)%statsWindow]
	if d := last.Sub(first).Seconds(); d > 0 {
		return float64(m-1) / d
	}
	return 0
}
