package run

import (
	"context"
	"runtime"
	"sync/atomic"
	"testing"
)

func TestPoolRunsProgress(t *testing.T) {
	before := runtime.NumGoroutine()
	var notes atomic.Int64
	p, err := NewPool(context.Background(), spiralData(800, 1), func() { notes.Add(1) })
	if err != nil {
		t.Fatal(err)
	}
	for seed := uint64(1); seed <= 3; seed++ {
		r, err := p.Add(tinySettings(seed))
		if err != nil {
			t.Fatal(err)
		}
		if r.ID() != int(seed-1) {
			t.Fatalf("run id %d, want %d", r.ID(), seed-1)
		}
	}
	bad := tinySettings(1)
	bad.Train.Epochs = 0
	if _, err := p.Add(bad); err == nil {
		t.Fatal("bad settings accepted")
	}
	runs := p.Runs()
	if len(runs) != 3 {
		t.Fatalf("%d runs", len(runs))
	}
	for _, r := range runs {
		r.Start()
	}
	for _, r := range runs {
		waitFor(t, r, "20 steps", func(s *Snapshot) bool { return s.Step >= 20 })
	}
	p.Close()
	lo, hi := 1<<30, 0
	for _, r := range runs {
		s := r.Latest()
		if s.State != Stopped {
			t.Fatalf("run %d state %v after Close", r.ID(), s.State)
		}
		lo, hi = min(lo, s.Step), max(hi, s.Step)
	}
	// slots are handed round robin: nobody runs far ahead
	if lo < hi/2 {
		t.Errorf("unfair sharing: steps range %d…%d", lo, hi)
	}
	if _, err := p.Add(tinySettings(4)); err == nil {
		t.Error("Add after Close accepted")
	}
	if notes.Load() == 0 {
		t.Error("no notifications")
	}
	checkNoLeak(t, before)
}

func TestGateRoundRobin(t *testing.T) {
	g := newGate(1)
	ctx := context.Background()
	if !g.acquire(ctx) {
		t.Fatal("first acquire failed")
	}
	order := make(chan int, 3)
	started := make(chan struct{})
	for i := 0; i < 3; i++ {
		go func() {
			started <- struct{}{}
			g.acquire(ctx)
			order <- i
			g.release()
		}()
		<-started
		for { // wait until goroutine i is queued
			g.mu.Lock()
			n := len(g.waiters)
			g.mu.Unlock()
			if n == i+1 {
				break
			}
			runtime.Gosched()
		}
	}
	g.release()
	for want := 0; want < 3; want++ {
		if got := <-order; got != want {
			t.Fatalf("slot went to waiter %d, want %d", got, want)
		}
	}
	cctx, cancel := context.WithCancel(ctx)
	g.acquire(ctx)
	cancel()
	if g.acquire(cctx) {
		t.Fatal("acquire succeeded on a cancelled context with no free slot")
	}
	g.release()
	if !g.acquire(ctx) {
		t.Fatal("slot lost after a cancelled wait")
	}
}
