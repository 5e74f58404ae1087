package gallery

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"
)

// Refresh is what BenchRefresh measured.
type Refresh struct {
	Cold   time.Duration   // first Apply until the first page was ready (loading data and models included)
	Rounds []time.Duration // each ε change until the first page was ready again
	Median time.Duration   // the median of Rounds: the refresh time (refresh_ms)
	// CPU is the process's CPU time (user + system) of each round: the work of a refresh,
	// which other load on the machine does not inflate (0 where it cannot be read).
	CPU       []time.Duration
	MedianCPU time.Duration
	Page      int       // samples on the measured page
	Stage     string    // the models used, as the snapshot names them
	Snapshot  *Snapshot // the last snapshot
}

// BenchRefresh is the headless part of `mflowlab bench --gallery`: it starts an engine with
// settings s (cacheDir as for New), waits until the first page of page samples is ready
// (Cold), then rounds times changes ε (alternately s.Attack.Eps and half of it, both attacks
// recomputed: the engine's store of earlier attacks is off) and measures the time from Apply
// until that page is ready again, while the rest of the pool and the case curve are still
// being computed in the background as in the app.
// Refresh.Median is the number the speed target is about ("refresh_ms"). Each wait is
// bounded by timeout.
func BenchRefresh(ctx context.Context, cacheDir string, s Settings, page, rounds int, timeout time.Duration) (*Refresh, error) {
	if page < 1 || rounds < 1 {
		return nil, fmt.Errorf("gallery: bench with a page of %d and %d rounds; want at least 1 of each", page, rounds)
	}
	if s.Attack.Eps <= 0 {
		return nil, errors.New("gallery: bench needs an attack with ε > 0")
	}
	changed := make(chan struct{}, 1)
	e := New(ctx, cacheDir, func() {
		select {
		case changed <- struct{}{}:
		default:
		}
	})
	defer e.Close()
	e.advs = nil // every round attacks anew (a kept attack would make going back to ε instant)
	s = Normalised(s)
	page = min(page, s.Pool)
	wait := func(start time.Time) (*Snapshot, error) {
		deadline := time.NewTimer(timeout)
		defer deadline.Stop()
		for {
			snap := e.Snapshot()
			if snap.Err != nil {
				return snap, snap.Err
			}
			if snap.Settings == s && len(snap.Samples) >= page && pageReady(snap.Samples[:page]) {
				return snap, nil
			}
			select {
			case <-changed:
			case <-ctx.Done():
				return snap, ctx.Err()
			case <-deadline.C:
				return snap, fmt.Errorf("gallery: bench: the page was not ready %v after Apply (stage %q)", time.Since(start).Round(time.Millisecond), snap.Stage)
			}
		}
	}
	r := &Refresh{Page: page}
	e.Page(0, page)
	start := time.Now()
	e.Apply(s)
	snap, err := wait(start)
	if err != nil {
		return nil, err
	}
	r.Cold = time.Since(start)
	base := s.Attack.Eps
	for i := 0; i < rounds; i++ {
		s.Attack.Eps = base
		if i%2 == 0 {
			s.Attack.Eps = base / 2
		}
		start, cpu := time.Now(), processCPU()
		e.Apply(s)
		if snap, err = wait(start); err != nil {
			return nil, err
		}
		r.Rounds = append(r.Rounds, time.Since(start))
		r.CPU = append(r.CPU, processCPU()-cpu)
	}
	r.Median, r.MedianCPU = median(r.Rounds), median(r.CPU)
	r.Stage, r.Snapshot = snap.Models, snap
	return r, nil
}

// median returns the middle of d (the upper one of an even count).
func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}

func pageReady(s []Sample) bool {
	for i := range s {
		if !s[i].Ready {
			return false
		}
	}
	return true
}
