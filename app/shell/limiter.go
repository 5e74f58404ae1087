package shell

import (
	"sync"
	"time"
)

// Limiter passes calls on to fn at most once per interval; a call inside the interval
// schedules one trailing call at its end, so the last request is never lost. The window
// uses it to coalesce the frame requests of the background workers (training snapshots,
// scenes, rasters, readouts) into at most one frame per interval; input events still
// bring frames at once.
type Limiter struct {
	fn       func()
	interval time.Duration

	mu      sync.Mutex
	last    time.Time
	pending bool
}

// NewLimiter returns a limiter of fn to one call per interval.
func NewLimiter(fn func(), interval time.Duration) *Limiter {
	return &Limiter{fn: fn, interval: interval}
}

// Call calls fn now or schedules it; it never blocks.
func (l *Limiter) Call() {
	l.mu.Lock()
	if l.pending {
		l.mu.Unlock()
		return
	}
	now := time.Now()
	if wait := l.last.Add(l.interval).Sub(now); wait > 0 {
		l.pending = true
		l.mu.Unlock()
		time.AfterFunc(wait, l.fire)
		return
	}
	l.last = now
	l.mu.Unlock()
	l.fn()
}

func (l *Limiter) fire() {
	l.mu.Lock()
	l.pending = false
	l.last = time.Now()
	l.mu.Unlock()
	l.fn()
}
