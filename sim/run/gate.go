package run

import (
	"context"
	"sync"
)

// gate is a fair counting semaphore: waiters get free slots in arrival order, so runs that
// release a slot and ask again queue behind the others (round robin).
type gate struct {
	mu      sync.Mutex
	free    int
	waiters []chan struct{}
}

func newGate(slots int) *gate { return &gate{free: max(1, slots)} }

// acquire takes a slot, waiting in line; it returns false (holding nothing) when ctx ends first.
func (g *gate) acquire(ctx context.Context) bool {
	g.mu.Lock()
	if g.free > 0 && len(g.waiters) == 0 {
		g.free--
		g.mu.Unlock()
		return true
	}
	ch := make(chan struct{})
	g.waiters = append(g.waiters, ch)
	g.mu.Unlock()
	select {
	case <-ch:
		return true
	case <-ctx.Done():
	}
	g.mu.Lock()
	for i, w := range g.waiters {
		if w == ch {
			g.waiters = append(g.waiters[:i], g.waiters[i+1:]...)
			g.mu.Unlock()
			return false
		}
	}
	g.mu.Unlock()
	g.release() // granted while giving up: pass the slot on
	return false
}

// release returns a slot, handing it to the longest waiter if there is one.
func (g *gate) release() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.waiters) > 0 {
		close(g.waiters[0])
		g.waiters = g.waiters[1:]
		return
	}
	g.free++
}
