package run

import (
	"context"
	"fmt"
	"runtime"
	"sync"

	"github.com/mflowlab/mflowlab/flow/nn"
)

// Pool runs several Runs on the same data at once. Training steps take turns for a fixed
// number of slots (half the cores, at least one; a step already uses two cores), handed
// out in arrival order, so running members progress at similar step rates.
type Pool struct {
	ctx    context.Context
	cancel context.CancelFunc
	data   nn.Mat
	gate   *gate
	note   *notifier

	mu     sync.Mutex
	runs   []*Run
	closed bool
}

// NewPool validates and copies data and returns an empty pool. notify (may be nil) is shared
// by all members and called at most about 30 times a second in total. Cancelling ctx stops
// every member.
func NewPool(ctx context.Context, data nn.Mat, notify func()) (*Pool, error) {
	if err := checkData(data); err != nil {
		return nil, err
	}
	p := &Pool{data: data.Clone(), gate: newGate(runtime.GOMAXPROCS(0) / 2), note: newNotifier(notify)}
	p.ctx, p.cancel = context.WithCancel(ctx)
	return p, nil
}

// Add starts a new idle member with settings s (its id is its index in Runs).
func (p *Pool) Add(s Settings) (*Run, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil, fmt.Errorf("run: pool is closed")
	}
	r, err := newRun(p.ctx, len(p.runs), p.data, s, p.note, p.gate)
	if err != nil {
		return nil, err
	}
	p.runs = append(p.runs, r)
	return r, nil
}

// Runs returns the members in the order they were added.
func (p *Pool) Runs() []*Run {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]*Run(nil), p.runs...)
}

// Close stops every member and waits for them to end.
func (p *Pool) Close() {
	p.mu.Lock()
	p.closed = true
	runs := append([]*Run(nil), p.runs...)
	p.mu.Unlock()
	p.cancel()
	for _, r := range runs {
		r.Wait()
	}
}
