package gallery

import (
	"context"
	"fmt"
	"sync"

	"github.com/mflowlab/mflowlab/flow/cnn"
	"github.com/mflowlab/mflowlab/internal/osprio"
)

// task is a shared piece of slow work (loading data, training the default CNN, fitting a
// PCA) that outlives the job that started it, so a change of the attack does not restart it.
// Tasks that the current settings do not need are cancelled.
type task struct {
	key    string
	born   uint64 // the engine's failures count when the task started (Engine.failures)
	cancel context.CancelFunc
	done   chan struct{}
	val    any
	err    error

	mu       sync.Mutex
	stage    string
	progress float64
	log      []cnn.Progress // the default CNN's training: finished epochs, then the current one
	note     string
}

// report sets the task's stage and progress and pokes the engine.
func (t *task) report(e *Engine, stage string, progress float64) {
	t.mu.Lock()
	t.stage, t.progress = stage, progress
	t.mu.Unlock()
	e.pokeJob()
}

// status returns the task's stage, progress, training log and note.
func (t *task) status() (string, float64, []cnn.Progress, string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.stage, t.progress, append([]cnn.Progress(nil), t.log...), t.note
}

// finished reports whether the task is done.
func (t *task) finished() bool {
	select {
	case <-t.done:
		return true
	default:
		return false
	}
}

func (e *Engine) pokeJob() {
	select {
	case e.poke <- struct{}{}:
	default:
	}
}

// task returns the task called key, starting fn for it when there is none (or the last one
// was cancelled or failed: it is retried). A job passes its gen: when a newer job has started,
// nothing is started and the task returned has failed with context.Canceled. Tasks starting
// the tasks they depend on pass 0.
func (e *Engine) task(gen uint64, key string, fn func(ctx context.Context, t *task) (any, error)) *task {
	e.mu.Lock()
	defer e.mu.Unlock()
	if (gen != 0 && gen != e.gen) || e.closed {
		t := &task{key: key, cancel: func() {}, done: make(chan struct{}), err: context.Canceled}
		close(t.done)
		return t
	}
	// A task still running from before a job failed is not reused: it may be loading what
	// was missing then (the data folder, before a download finished) and fail the same way.
	if t, ok := e.tasks[key]; ok && !(t.finished() && t.err != nil) && (t.finished() || t.born == e.failures) {
		return t
	}
	ctx, cancel := context.WithCancel(e.ctx)
	t := &task{key: key, born: e.failures, cancel: cancel, done: make(chan struct{})}
	e.tasks[key] = t
	// Close does not wait for tasks: a PCA fit or an archive's gunzip cannot be interrupted
	// and finishes on its own (its cache file is written atomically).
	osprio.Go(func() {
		defer cancel()
		defer e.pokeJob()
		defer close(t.done)
		defer func() {
			if r := recover(); r != nil {
				t.err = panicError(r)
			}
		}()
		t.val, t.err = fn(ctx, t)
	})
	return t
}

// keepTasks cancels and forgets every task whose key is not in keep (job gen only).
func (e *Engine) keepTasks(gen uint64, keep map[string]bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if gen != e.gen {
		return
	}
	for k, t := range e.tasks {
		if !keep[k] {
			t.cancel()
			delete(e.tasks, k)
		}
	}
}

// await waits for t and returns its value, or ctx's error.
func await(ctx context.Context, t *task) (any, error) {
	select {
	case <-t.done:
		return t.val, t.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// panicError turns a recovered panic into an error (a bug, reported instead of crashing).
func panicError(v any) error { return fmt.Errorf("gallery: internal error: %v", v) }
