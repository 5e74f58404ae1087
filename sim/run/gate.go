package run

import (
	"context"
	"sync"

	"github.com/mflowlab/mflowlab/flow"
	"github.com/mflowlab/mflowlab/internal/freelist"
)

// gate is a fair counting semaphore: waiters get free slots in arrival order, so runs that
// release a slot and ask again queue behind the others (round robin).
type gate struct {
	mu      sync.Mutex
	free    int
	waiters []chan struct{}
	spare   *freelist.List[flow.Workspace] // training scratch lent with the slots
	arenas  *flow.ArenaPool                // evaluation scratch of every member's flows
}

func newGate(slots int) *gate {
	slots = max(1, slots)
	return &gate{free: slots, arenas: flow.NewArenaPool(slots + 2),
		spare: freelist.New(slots, func() *flow.Workspace { return flow.NewWorkspace(0) })}
}

// lend returns a training workspace for the holder of a slot: a pool's members share as many
// workspaces as steps run at once (16 runs kept 16 batches of scratch, ~13 MB each, before).
func (g *gate) lend() *flow.Workspace { return g.spare.Get() }

// giveBack returns a workspace from lend.
func (g *gate) giveBack(w *flow.Workspace) { g.spare.Put(w) }

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
