// Package freelist keeps idle scratch objects between calls: a bounded, mutex-guarded stack
// that, unlike sync.Pool, is not emptied by garbage collections (scratch here is megabytes
// and costly to rebuild) and keeps at most a fixed number, so memory follows the work
// running at once.
package freelist

import "sync"

// List keeps at most Keep idle objects; Get makes a new one with New when none is idle.
// The zero List is not usable: build it with New.
type List[T any] struct {
	mu   sync.Mutex
	free []*T
	keep int
	make func() *T
}

// New returns a list that keeps at most keep idle objects (at least 1) and makes new ones
// with mk.
func New[T any](keep int, mk func() *T) *List[T] {
	return &List[T]{keep: max(1, keep), make: mk}
}

// Get returns an idle object, or a new one.
func (l *List[T]) Get() *T {
	l.mu.Lock()
	if n := len(l.free); n > 0 {
		v := l.free[n-1]
		l.free = l.free[:n-1]
		l.mu.Unlock()
		return v
	}
	l.mu.Unlock()
	return l.make()
}

// Put returns v for reuse; beyond the list's bound it is dropped.
func (l *List[T]) Put(v *T) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.free) < l.keep {
		l.free = append(l.free, v)
	}
}
