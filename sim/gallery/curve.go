package gallery

import (
	"context"
	"runtime"
	"sync"

	"github.com/mflowlab/mflowlab/attack"
	"github.com/mflowlab/mflowlab/internal/osprio"
)

// CurvePoints is the number of ε values of the case curve.
const CurvePoints = 9

// firstPassBlocks is how many pool blocks the curve's first pass counts (48 images).
const firstPassBlocks = 4

// CurveEps returns the ε values of the case curve for the settings' budget eps: 0 to 2·eps in
// CurvePoints steps (eps itself in the middle, exactly), or 0 to 16/255 when eps is 0.
func CurveEps(eps float64) []float64 {
	out := make([]float64, CurvePoints)
	half := float64(CurvePoints-1) / 2
	for i := range out {
		if eps > 0 {
			out[i] = eps * float64(i) / half
		} else {
			out[i] = 16.0 / 255 * float64(i) / float64(CurvePoints-1)
		}
	}
	return out
}

// clone returns a deep copy of c.
func (c *CaseCurve) clone() *CaseCurve {
	d := *c
	d.Eps = append([]float64(nil), c.Eps...)
	d.Plain = append([][4]int(nil), c.Plain...)
	d.Adaptive = append([][4]int(nil), c.Adaptive...)
	d.N = append([]int(nil), c.N...)
	return &d
}

// add counts the cases of the ready samples at ε index i.
func (c *CaseCurve) add(i int, samples []Sample) {
	for k := range samples {
		s := &samples[k]
		if !s.Ready {
			continue
		}
		if s.Plain.Case != attack.CaseNone {
			c.Plain[i][s.Plain.Case-attack.CaseA]++
		}
		if s.Adaptive.Case != attack.CaseNone {
			c.Adaptive[i][s.Adaptive.Case-attack.CaseA]++
		}
		c.N[i]++
	}
}

// sweep refines the case curve of the pool in the background: the gallery's own ε from the
// finished samples, then every other ε on the first blocks, then on the rest.
func (e *Engine) sweep(ctx context.Context, gen uint64, s Settings, m Models, pool []Sample, keys func(int) blockKeys) error {
	eps := CurveEps(s.Attack.Eps)
	nb := (len(pool) + BlockSize - 1) / BlockSize
	c := &CaseCurve{Eps: eps, Plain: make([][4]int, len(eps)), Adaptive: make([][4]int, len(eps)),
		N: make([]int, len(eps)), Total: len(eps) * nb}
	own := -1
	if s.Attack.Eps > 0 {
		own = (CurvePoints - 1) / 2
	}
	if !e.update(gen, func(st *state) {
		if own >= 0 {
			c.add(own, st.samples)
			c.Done += nb
		}
		st.cases = c.clone()
	}) {
		return nil
	}
	passes := [][2]int{{0, min(nb, firstPassBlocks)}, {min(nb, firstPassBlocks), nb}}
	var mu sync.Mutex
	for _, pass := range passes {
		for i, ev := range eps {
			if i == own || pass[0] >= pass[1] {
				continue
			}
			p := AttackParams(s.Attack, ev)
			if err := p.Validate(); err != nil {
				return err
			}
			err := forBlocks(ctx, pass[0], pass[1], func(k int) error {
				if !e.yield(ctx) {
					return ctx.Err()
				}
				r0, r1 := k*BlockSize, min(len(pool), (k+1)*BlockSize)
				out := append([]Sample(nil), pool[r0:r1]...)
				x, y := poolMat(out)
				q := p
				q.Seed = BlockSeed(s.Seed, k)
				if err := computeBlock(ctx, m, x, y, q, true, false, out, e.advs, keys(k)); err != nil {
					return err
				}
				mu.Lock()
				c.add(i, out)
				c.Done++
				mu.Unlock()
				return nil
			})
			if err != nil {
				return err
			}
			mu.Lock()
			snap := c.clone()
			mu.Unlock()
			if !e.update(gen, func(st *state) { st.cases = snap }) {
				return nil
			}
		}
	}
	c.Final = true
	e.update(gen, func(st *state) { st.cases = c.clone() })
	return nil
}

// workers returns how many blocks are attacked at once: one per core (the app runs more Go
// processors than cores so that frames need not wait for the Go scheduler).
func workers() int { return max(1, min(runtime.GOMAXPROCS(0), runtime.NumCPU())) }

// forBlocks runs fn(k) for k in [k0, k1) on every core and returns the first error.
func forBlocks(ctx context.Context, k0, k1 int, fn func(k int) error) error {
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		next  = k0
		first error
	)
	for w := 0; w < min(workers(), k1-k0); w++ {
		wg.Add(1)
		osprio.Go(func() {
			defer wg.Done()
			for {
				mu.Lock()
				k := next
				next++
				stop := first != nil
				mu.Unlock()
				if k >= k1 || stop || ctx.Err() != nil {
					return
				}
				if err := safe(func() error { return fn(k) }); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
					return
				}
			}
		})
	}
	wg.Wait()
	if first != nil {
		return first
	}
	return ctx.Err()
}

// safe runs fn, turning a panic into an error.
func safe(fn func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = panicError(r)
		}
	}()
	return fn()
}
