package gallery

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mflowlab/mflowlab/attack"
	"github.com/mflowlab/mflowlab/flow/cnn"
	"github.com/mflowlab/mflowlab/internal/osprio"
)

// Engine is the gallery's background pipeline. Apply hands it settings; Snapshot returns the
// latest results. Its methods may be called from any goroutine.
type Engine struct {
	ctx    context.Context
	stop   context.CancelFunc
	cache  string
	notify func()
	snap   atomic.Pointer[Snapshot]
	wg     sync.WaitGroup
	poke   chan struct{} // a task made progress
	advs   *advCache     // recent adversarial blocks, reused when settings come back
	// details counts the Detail calls running: the background blocks wait for them, so that
	// the user's detail view gets the cores.
	details atomic.Int32

	mu       sync.Mutex
	closed   bool
	applied  bool
	gen      uint64             // the current job's number
	jobStop  context.CancelFunc // cancels the current job
	set      Settings           // the current settings (normalised)
	st       state
	prio     []int // pool positions to attack first (the visible page)
	tasks    map[string]*task
	failures uint64 // jobs that ended in an error: tasks started before are not reused
	view     *view  // the current job's models and pool, once the models are there
	version  uint64
}

// state is the mutable part of the engine's picture, under Engine.mu; publish copies it into
// a Snapshot.
type state struct {
	stage    string
	progress float64
	err      error
	message  string
	looked   []string
	data     string
	models   string
	classes  []string
	cnnLog   []cnn.Progress
	samples  []Sample
	cases    *CaseCurve
}

// view is what Detail needs: the settings, the models and the pool of the current job.
type view struct {
	set    Settings
	models Models
	pool   []Sample // Index, Label and Orig
	keys   func(block int) blockKeys
	advs   *advCache
}

// New starts an engine whose background work stops when ctx ends or Close is called. The
// work runs on threads of the lowest priority (internal/osprio), one attack per core, so a
// window's frames come first.
// cacheDir is mflowlab's cache folder (the default CNN goes to cacheDir/cnn, PCA fits to
// cacheDir/pca; "" = DefaultCacheDir). notify, when not nil, is called from a background
// goroutine after every new snapshot (e.g. the window's Invalidate); it should return quickly.
func New(ctx context.Context, cacheDir string, notify func()) *Engine {
	if cacheDir == "" {
		if d, err := DefaultCacheDir(); err == nil {
			cacheDir = d
		} else {
			cacheDir = os.TempDir()
		}
	}
	e := &Engine{cache: cacheDir, notify: notify, tasks: map[string]*task{}, poke: make(chan struct{}, 1), advs: newAdvCache(advCacheBytes)}
	e.ctx, e.stop = context.WithCancel(ctx)
	e.snap.Store(&Snapshot{Stage: "waiting for settings"})
	return e
}

// Normalised returns s with the defaults filled in (pool size, defence) and the fields the
// engine sets itself (the attack's box and seed) cleared.
func Normalised(s Settings) Settings {
	if s.Pool == 0 {
		s.Pool = DefaultPool
	}
	if s.Defence == "" {
		s.Defence = DefaultDefence
	}
	s.Attack.Box, s.Attack.Seed = nil, 0
	return s
}

// samePool reports whether a and b draw the same images.
func samePool(a, b Settings) bool {
	return a.Images == b.Images && a.Pool == b.Pool && a.Seed == b.Seed
}

// Apply makes s the engine's settings without blocking: the work for the previous settings
// is cancelled, what is still valid (loaded data, models, fits, the pool's images) is kept,
// and the rest is recomputed in the background. Samples keep their previous results, marked
// not ready, until recomputed. Applying the current settings again does nothing, unless they
// ended in an error: then they are tried again (e.g. after the data was downloaded or a
// checkpoint replaced).
func (e *Engine) Apply(s Settings) {
	s = Normalised(s)
	e.mu.Lock()
	if e.closed || (e.applied && s == e.set && e.st.err == nil) {
		e.mu.Unlock()
		return
	}
	if e.jobStop != nil {
		e.jobStop()
	}
	old := e.set
	e.applied, e.set = true, s
	e.gen++
	e.view = nil
	if !samePool(old, s) {
		e.st.samples = nil
	} else {
		samples := make([]Sample, len(e.st.samples))
		copy(samples, e.st.samples)
		for i := range samples {
			samples[i].Ready = false
		}
		e.st.samples = samples
	}
	e.st.err, e.st.message, e.st.cases = nil, "", nil
	e.st.stage, e.st.progress = "starting", 0
	ctx, stop := context.WithCancel(e.ctx)
	e.jobStop = stop
	gen := e.gen
	e.wg.Add(1)
	osprio.Go(func() {
		defer e.wg.Done()
		e.runJob(ctx, gen, s)
	})
	e.publishLocked()
	e.mu.Unlock()
	e.notifyNew()
}

// Page hints that pool positions first … first+n−1 are on screen: their blocks are attacked
// first (Priority).
func (e *Engine) Page(first, n int) {
	idx := make([]int, 0, max(n, 0))
	for i := first; i < first+n; i++ {
		idx = append(idx, i)
	}
	e.Priority(idx)
}

// Priority hints which pool positions are on screen, most important first: the blocks that
// hold them are attacked before the others. It applies to the work in progress at once.
func (e *Engine) Priority(idx []int) {
	e.mu.Lock()
	e.prio = append([]int(nil), idx...)
	e.mu.Unlock()
}

// Snapshot returns the latest snapshot; never nil. It must not be modified.
func (e *Engine) Snapshot() *Snapshot { return e.snap.Load() }

// Close stops the background work and waits for the attacks to end. Training the default
// CNN stops too; a PCA fit or data load in progress cannot be interrupted and ends on its own
// (a fit is still cached). The last snapshot stays readable.
func (e *Engine) Close() {
	e.mu.Lock()
	e.closed = true
	e.mu.Unlock()
	e.stop()
	e.wg.Wait()
}

// yield waits while a Detail call runs (the background gives it the cores); false when ctx
// ended.
func (e *Engine) yield(ctx context.Context) bool {
	for e.details.Load() > 0 {
		select {
		case <-ctx.Done():
			return false
		case <-time.After(5 * time.Millisecond):
		}
	}
	return ctx.Err() == nil
}

// update applies f to the state when job gen is still the current one and publishes a new
// snapshot; it reports whether the job is current.
func (e *Engine) update(gen uint64, f func(st *state)) bool {
	e.mu.Lock()
	if gen != e.gen || e.closed {
		e.mu.Unlock()
		return false
	}
	f(&e.st)
	e.publishLocked()
	e.mu.Unlock()
	e.notifyNew()
	return true
}

// publishLocked stores a snapshot of the state (e.mu held); the caller then calls notifyNew.
func (e *Engine) publishLocked() {
	e.version++
	st := &e.st
	s := &Snapshot{
		Version: e.version, Settings: e.set, Stage: st.stage, Progress: st.progress, Err: st.err,
		Message: st.message, Looked: st.looked, Data: st.data, Models: st.models, Classes: st.classes,
		CNNLog: append([]cnn.Progress(nil), st.cnnLog...), Samples: append([]Sample(nil), st.samples...), Cases: st.cases,
	}
	for i := range s.Samples {
		if s.Samples[i].Ready {
			s.Done++
		}
	}
	s.Acc = AccuracyOf(s.Samples)
	e.snap.Store(s)
}

// notifyNew tells the caller of New that a snapshot is there (without e.mu held, so notify
// may call the engine).
func (e *Engine) notifyNew() {
	if e.notify != nil {
		e.notify()
	}
}

// fail records err as the job's outcome.
func (e *Engine) fail(gen uint64, err error) {
	if errors.Is(err, context.Canceled) {
		return
	}
	e.update(gen, func(st *state) {
		st.err, st.stage, st.progress = err, "error", 0
		e.failures++ // under e.mu, with the error's snapshot: a retry never sees the old tasks
	})
}

// Detail recomputes pool sample i at budget eps with the current settings' attack: the
// non-adaptive attack, and the adaptive one too when adaptive is set (else Adaptive is
// empty). The whole block of i is attacked with the block's seed, so at the settings' ε the
// result equals the gallery's. It runs on the caller's goroutine (call it from a background
// one) and stops with ctx's error when ctx is cancelled. Before the models are there it
// returns an error.
func (e *Engine) Detail(ctx context.Context, i int, eps float64, adaptive bool) (smp *Sample, err error) {
	defer func() {
		if r := recover(); r != nil {
			smp, err = nil, panicError(r)
		}
	}()
	e.mu.Lock()
	v := e.view
	e.mu.Unlock()
	if v == nil {
		return nil, errors.New("gallery: the models are not ready yet")
	}
	e.details.Add(1)
	defer e.details.Add(-1)
	if i < 0 || i >= len(v.pool) {
		return nil, fmt.Errorf("gallery: sample %d out of range [0, %d)", i, len(v.pool))
	}
	if eps == v.set.Attack.Eps {
		// The gallery's own ε: the sample as computed, when it is.
		e.mu.Lock()
		same := e.view == v
		e.mu.Unlock()
		if snap := e.Snapshot(); same && snap.Settings == v.set && i < len(snap.Samples) && snap.Samples[i].Ready {
			s := snap.Samples[i]
			if !adaptive {
				s.Adaptive = Attacked{}
			}
			return &s, nil
		}
	}
	return recompute(ctx, v, i, eps, adaptive)
}

// recompute attacks the block of pool sample i at budget eps and returns the sample.
func recompute(ctx context.Context, v *view, i int, eps float64, adaptive bool) (*Sample, error) {
	p := AttackParams(v.set.Attack, eps)
	k := i / BlockSize
	p.Seed = BlockSeed(v.set.Seed, k)
	if err := p.Validate(); err != nil {
		return nil, err
	}
	r0, r1 := k*BlockSize, min(len(v.pool), (k+1)*BlockSize)
	out := append([]Sample(nil), v.pool[r0:r1]...)
	x, y := poolMat(out)
	if err := computeBlock(ctx, v.models, x, y, p, adaptive, true, out, v.advs, v.keys(k)); err != nil {
		return nil, err
	}
	return &out[i-r0], nil
}

// attackParams returns the validated attack of the settings at their ε.
func attackParams(s Settings) (attack.Params, error) {
	p := AttackParams(s.Attack, s.Attack.Eps)
	if err := p.Validate(); err != nil {
		return p, err
	}
	if p.Kind != attack.FGSM && p.Steps > MaxSteps {
		return p, fmt.Errorf("gallery: %d PGD steps; the gallery takes at most %d", p.Steps, MaxSteps)
	}
	if s.Pool < 1 || s.Pool > MaxPool {
		return p, fmt.Errorf("gallery: a pool of %d images; want 1 to %d", s.Pool, MaxPool)
	}
	return p, nil
}
