package run

import (
	"sync"
	"time"
)

// notifyInterval is the shortest gap between two notify calls (about 30 a second).
const notifyInterval = time.Second / 30

// notifier calls fn at most once per notifyInterval. A trigger inside the interval schedules
// one trailing call at its end, so the last change is never lost.
type notifier struct {
	fn      func()
	mu      sync.Mutex
	last    time.Time
	pending *time.Timer
}

func newNotifier(fn func()) *notifier { return &notifier{fn: fn} }

// trigger calls fn now or schedules one trailing call.
func (n *notifier) trigger() {
	if n == nil || n.fn == nil {
		return
	}
	n.mu.Lock()
	if n.pending != nil {
		n.mu.Unlock()
		return
	}
	now := time.Now()
	if wait := n.last.Add(notifyInterval).Sub(now); wait > 0 {
		n.pending = time.AfterFunc(wait, n.fire)
		n.mu.Unlock()
		return
	}
	n.last = now
	n.mu.Unlock()
	n.fn()
}

func (n *notifier) fire() {
	n.mu.Lock()
	if n.pending == nil {
		n.mu.Unlock()
		return
	}
	n.pending, n.last = nil, time.Now()
	n.mu.Unlock()
	n.fn()
}

// flush delivers a scheduled trailing call now instead of later.
func (n *notifier) flush() {
	if n == nil || n.fn == nil {
		return
	}
	n.mu.Lock()
	if n.pending == nil || !n.pending.Stop() {
		n.mu.Unlock()
		return
	}
	n.pending, n.last = nil, time.Now()
	n.mu.Unlock()
	n.fn()
}
