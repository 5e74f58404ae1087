package flow

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/mflowlab/mflowlab/internal/freelist"

	"github.com/mflowlab/mflowlab/flow/nn"
)

// Config is an M-Flow architecture: data dimension N, manifold dimension D, Steps coupling
// steps, conditioner width Hidden with Blocks residual blocks, Bins spline bins on
// [−TailBound, TailBound].
type Config struct {
	N, D, Steps, Hidden, Blocks, Bins int
	TailBound                         float64
	// Alternate makes New's permutations the identity, so that consecutive couplings
	// transform the two halves of the features in turn. Otherwise they are random, as in
	// the original code — which in 2-D lets several couplings in a row transform the same
	// coordinate (seed 19's 8 steps change coordinate once), a depth that varies by seed.
	// Checkpoints keep their permutations, so loading does not depend on it.
	Alternate bool `json:",omitempty"`
}

// OriginalConfig is the architecture of the original Two Spirals checkpoints.
func OriginalConfig() Config {
	return Config{N: 2, D: 1, Steps: 16, Hidden: 100, Blocks: 2, Bins: 8, TailBound: 3}
}

// Validate reports absurd or inconsistent sizes.
func (c Config) Validate() error {
	switch {
	case c.N < 2 || c.N > 4096:
		return fmt.Errorf("flow: data dimension n=%d out of range [2, 4096]", c.N)
	case c.D < 1 || c.D >= c.N:
		return fmt.Errorf("flow: manifold dimension d=%d must be in [1, n−1=%d]", c.D, c.N-1)
	case c.Steps < 1 || c.Steps > 256:
		return fmt.Errorf("flow: steps S=%d out of range [1, 256]", c.Steps)
	case c.Hidden < 1 || c.Hidden > 4096:
		return fmt.Errorf("flow: hidden width H=%d out of range [1, 4096]", c.Hidden)
	case c.Blocks < 0 || c.Blocks > 64:
		return fmt.Errorf("flow: blocks B=%d out of range [0, 64]", c.Blocks)
	case c.Bins < 2 || c.Bins > 64:
		return fmt.Errorf("flow: bins K=%d out of range [2, 64]", c.Bins)
	case !(c.TailBound > 0) || math.IsInf(c.TailBound, 0) || c.TailBound > 1e6:
		return fmt.Errorf("flow: tail bound %v must be positive and finite", c.TailBound)
	}
	return nil
}

func (c Config) String() string {
	alt := ""
	if c.Alternate {
		alt = " alternating"
	}
	return fmt.Sprintf("n=%d d=%d S=%d H=%d B=%d K=%d bound=%g%s", c.N, c.D, c.Steps, c.Hidden, c.Blocks, c.Bins, c.TailBound, alt)
}

// Arch is the immutable structure of an M-Flow: its transforms and parameter layout. Many
// models (training weights, snapshots) share one Arch.
type Arch struct {
	Cfg       Config
	Layout    nn.Layout
	Perms     []*Permutation // Steps+1 permutations, the last one final
	Couplings []*Coupling
	Outer     *Composite
	Inner     *ScalarAffine
	arenas    atomic.Pointer[ArenaPool] // scratch reused across evaluation calls
}

// maxArenas bounds the evaluation arenas an Arch keeps between calls.
const maxArenas = 2

// ArenaPool keeps evaluation scratch between calls for the flows that share it, at most a
// fixed number of arenas (more callers at once allocate, and the extra arenas are dropped).
// Every Arch has its own; ShareArenas lets many flows share one, so that their memory
// follows the evaluations running at once rather than the number of flows.
type ArenaPool struct{ list *freelist.List[nn.Arena] }

// NewArenaPool returns a pool that keeps at most keep arenas (at least 1).
func NewArenaPool(keep int) *ArenaPool {
	return &ArenaPool{list: freelist.New(keep, func() *nn.Arena { return new(nn.Arena) })}
}

// ShareArenas makes every flow of this architecture take its evaluation scratch from p;
// results never depend on it. Safe at any time, from any goroutine.
func (ar *Arch) ShareArenas(p *ArenaPool) {
	if p == nil {
		p = NewArenaPool(maxArenas)
	}
	ar.arenas.Store(p)
}

// NewArch builds the architecture with the given permutations (Steps+1 of them).
func NewArch(cfg Config, perms [][]int) (*Arch, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if len(perms) != cfg.Steps+1 {
		return nil, fmt.Errorf("flow: %d permutations for %d steps (want %d)", len(perms), cfg.Steps, cfg.Steps+1)
	}
	a := &Arch{Cfg: cfg, Outer: &Composite{}}
	a.Inner = NewScalarAffine(&a.Layout, cfg.D)
	for s := 0; s <= cfg.Steps; s++ {
		if len(perms[s]) != cfg.N {
			return nil, fmt.Errorf("flow: permutation %d has %d entries, want %d", s, len(perms[s]), cfg.N)
		}
		p, err := NewPermutation(perms[s])
		if err != nil {
			return nil, err
		}
		a.Perms = append(a.Perms, p)
		a.Outer.Parts = append(a.Outer.Parts, p)
		if s == cfg.Steps {
			break
		}
		c := NewCoupling(&a.Layout, fmt.Sprintf("outer_transform._transforms.%d._transforms.1", s), cfg.N, s, cfg.Hidden, cfg.Blocks, cfg.Bins, cfg.TailBound)
		a.Couplings = append(a.Couplings, c)
		a.Outer.Parts = append(a.Outer.Parts, c)
	}
	return a, nil
}

// MFlow is an M-Flow: an architecture and its parameters. Copying the struct shares the
// parameters; Clone copies them.
type MFlow struct {
	*Arch
	P []float32
	// Workers bounds the goroutines an evaluation call uses; 0 means one per core. Results
	// never depend on it. A window sets 1 on the copies its background workers use.
	Workers int
}

// New returns a freshly initialised M-Flow. The seed fixes permutations (unless
// cfg.Alternate) and weights.
func New(cfg Config, seed uint64) (*MFlow, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(seed, 0x6d666c6f77))
	perms := make([][]int, cfg.Steps+1)
	for i := range perms {
		perms[i] = rng.Perm(cfg.N) // drawn either way: the weights do not depend on Alternate
		if cfg.Alternate {
			for j := range perms[i] {
				perms[i][j] = j
			}
		}
	}
	a, err := NewArch(cfg, perms)
	if err != nil {
		return nil, err
	}
	m := &MFlow{Arch: a, P: make([]float32, a.Layout.Len)}
	a.initParams(m.P, rng)
	return m, nil
}

// initParams draws fresh weights for the architecture into p.
func (ar *Arch) initParams(p []float32, rng *rand.Rand) {
	for _, c := range ar.Couplings {
		c.Net.Init(p, rng)
	}
	for i := range ar.Inner.Scale.View(p) {
		p[ar.Inner.Scale.Off+i] = float32(rng.NormFloat64())
		p[ar.Inner.Shift.Off+i] = float32(rng.NormFloat64())
	}
}

// Clone returns a model sharing the architecture with a copy of the parameters.
func (m *MFlow) Clone() *MFlow {
	return &MFlow{Arch: m.Arch, P: append([]float32(nil), m.P...), Workers: m.Workers}
}

// evalChunk is the number of rows one worker processes at a time in evaluation. It is fixed
// so results never depend on the number of cores.
const evalChunk = 512

// pool returns the arch's arena pool, making one on first use (an Arch built as a literal
// has none).
func (ar *Arch) pool() *ArenaPool {
	if p := ar.arenas.Load(); p != nil {
		return p
	}
	ar.arenas.CompareAndSwap(nil, NewArenaPool(maxArenas))
	return ar.arenas.Load()
}

func (ar *Arch) arena() *nn.Arena { return ar.pool().list.Get() }

func (ar *Arch) putArena(a *nn.Arena) { ar.pool().list.Put(a) }

// parallelRows runs fn over [0, rows) in fixed chunks on up to Workers goroutines (one per
// core when 0), each with its own arena (reset before every chunk; arenas are pooled across
// calls).
func (m *MFlow) parallelRows(rows int, fn func(a *nn.Arena, r0, r1 int)) {
	ar := m.Arch
	chunks := (rows + evalChunk - 1) / evalChunk
	workers := m.Workers
	if workers <= 0 {
		workers = min(runtime.GOMAXPROCS(0), runtime.NumCPU())
	}
	workers = min(workers, chunks)
	if workers <= 1 {
		a := ar.arena()
		defer ar.putArena(a)
		for c := 0; c < chunks; c++ {
			a.Reset()
			fn(a, c*evalChunk, min(rows, (c+1)*evalChunk))
		}
		return
	}
	var wg sync.WaitGroup
	next := make(chan int, chunks)
	for c := 0; c < chunks; c++ {
		next <- c
	}
	close(next)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a := ar.arena()
			defer ar.putArena(a)
			for c := range next {
				a.Reset()
				fn(a, c*evalChunk, min(rows, (c+1)*evalChunk))
			}
		}()
	}
	wg.Wait()
}

func (m *MFlow) checkBatch(name string, x nn.Mat, cols int) {
	if x.Cols != cols || len(x.Data) != x.Rows*x.Cols {
		panic(fmt.Sprintf("flow: %s expects %d columns, got %d×%d", name, cols, x.Rows, x.Cols))
	}
}

// OuterForward returns h = f(x) and log|det ∂f/∂x| per row.
func (m *MFlow) OuterForward(x nn.Mat) (h nn.Mat, logDet []float32) {
	m.checkBatch("OuterForward", x, m.Cfg.N)
	h, logDet = nn.NewMat(x.Rows, m.Cfg.N), make([]float32, x.Rows)
	m.parallelRows(x.Rows, func(a *nn.Arena, r0, r1 int) {
		z, ld, _ := m.Outer.Forward(a, m.P, x.Slice(r0, r1), false)
		copy(h.Slice(r0, r1).Data, z.Data)
		copy(logDet[r0:r1], ld)
	})
	return h, logDet
}

// OuterInverse returns x = f⁻¹(h) and log|det ∂f⁻¹/∂h| per row.
func (m *MFlow) OuterInverse(h nn.Mat) (x nn.Mat, logDet []float32) {
	m.checkBatch("OuterInverse", h, m.Cfg.N)
	x, logDet = nn.NewMat(h.Rows, m.Cfg.N), make([]float32, h.Rows)
	m.parallelRows(h.Rows, func(a *nn.Arena, r0, r1 int) {
		z, ld, _ := m.Outer.Inverse(a, m.P, h.Slice(r0, r1), false)
		copy(x.Slice(r0, r1).Data, z.Data)
		copy(logDet[r0:r1], ld)
	})
	return x, logDet
}

func (m *MFlow) encodeRows(a *nn.Arena, x nn.Mat) nn.Mat {
	h, _, _ := m.Outer.Forward(a, m.P, x, false)
	hm := a.Mat(x.Rows, m.Cfg.D)
	for i := 0; i < x.Rows; i++ {
		copy(hm.Row(i), h.Row(i)[:m.Cfg.D])
	}
	u, _, _ := m.Inner.Forward(a, m.P, hm, false)
	return u
}

func (m *MFlow) decodeRows(a *nn.Arena, u nn.Mat) nn.Mat {
	hm, _, _ := m.Inner.Inverse(a, m.P, u, false)
	h := a.Mat(u.Rows, m.Cfg.N)
	for i := 0; i < u.Rows; i++ {
		copy(h.Row(i), hm.Row(i))
	}
	x, _, _ := m.Outer.Inverse(a, m.P, h, false)
	return x
}

// Encode returns the manifold coordinates u = g(f(x)_M) (rows×D).
func (m *MFlow) Encode(x nn.Mat) nn.Mat {
	m.checkBatch("Encode", x, m.Cfg.N)
	u := nn.NewMat(x.Rows, m.Cfg.D)
	m.parallelRows(x.Rows, func(a *nn.Arena, r0, r1 int) {
		copy(u.Slice(r0, r1).Data, m.encodeRows(a, x.Slice(r0, r1)).Data)
	})
	return u
}

// Decode maps manifold coordinates u (rows×D) to data space: f⁻¹((g⁻¹(u), 0)).
func (m *MFlow) Decode(u nn.Mat) nn.Mat {
	m.checkBatch("Decode", u, m.Cfg.D)
	x := nn.NewMat(u.Rows, m.Cfg.N)
	m.parallelRows(u.Rows, func(a *nn.Arena, r0, r1 int) {
		copy(x.Slice(r0, r1).Data, m.decodeRows(a, u.Slice(r0, r1)).Data)
	})
	return x
}

// Project returns decode(encode(x)), the on-manifold projection used as the defence.
func (m *MFlow) Project(x nn.Mat) nn.Mat {
	m.checkBatch("Project", x, m.Cfg.N)
	out := nn.NewMat(x.Rows, m.Cfg.N)
	m.parallelRows(x.Rows, func(a *nn.Arena, r0, r1 int) {
		copy(out.Slice(r0, r1).Data, m.decodeRows(a, m.encodeRows(a, x.Slice(r0, r1))).Data)
	})
	return out
}

// DefaultPIEEps is the off-manifold noise scale ε of the original PIE density.
const DefaultPIEEps = 0.01

func (m *MFlow) pieConsts(eps float64) (cu, cv float64) {
	d, k := float64(m.Cfg.D), float64(m.Cfg.N-m.Cfg.D)
	return -0.5 * d * math.Log(2*math.Pi), -0.5*k*math.Log(2*math.Pi) - k*math.Log(eps)
}

// LogProbPIE returns the PIE log-density of spec 5.3 per row with off-manifold scale eps.
func (m *MFlow) LogProbPIE(x nn.Mat, eps float64) []float32 {
	m.checkBatch("LogProbPIE", x, m.Cfg.N)
	out := make([]float32, x.Rows)
	cu, cv := m.pieConsts(eps)
	m.parallelRows(x.Rows, func(a *nn.Arena, r0, r1 int) {
		xs := x.Slice(r0, r1)
		h, ldo, _ := m.Outer.Forward(a, m.P, xs, false)
		ldi := float64(m.Inner.logDet(m.P))
		a1, b1 := m.Inner.Scale.View(m.P), m.Inner.Shift.View(m.P)
		for i := 0; i < xs.Rows; i++ {
			hr := h.Row(i)
			var su, sv float64
			for j := 0; j < m.Cfg.D; j++ {
				u := float64(a1[j]*hr[j] + b1[j])
				su += u * u
			}
			for _, v := range hr[m.Cfg.D:] {
				sv += float64(v) * float64(v)
			}
			out[r0+i] = float32(-0.5*su + cu - sv/(2*eps*eps) + cv + float64(ldo[i]) + ldi)
		}
	})
	return out
}

// Sample draws n points: u ~ N(0, I_D), x = decode(u), using the given seed.
func (m *MFlow) Sample(n int, seed uint64) nn.Mat {
	rng := rand.New(rand.NewPCG(seed, 0x73616d706c65))
	u := nn.NewMat(n, m.Cfg.D)
	for i := range u.Data {
		u.Data[i] = float32(rng.NormFloat64())
	}
	return m.Decode(u)
}
