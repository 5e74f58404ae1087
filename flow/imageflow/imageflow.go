// Package imageflow is the image M-Flow (spec mflow.md section 5 on images, cifar.md section
// 4): an injective flow whose d-dimensional manifold is learned from CIFAR-10 images and whose
// projection decode(encode(x)) is a defence with exact gradients (it satisfies
// attack.Projector structurally; this package does not import attack).
//
// The outer transform f: R^n → R^n (n = C·H·W) is a composite of the project's transform
// contract (flow.Transform):
//
//  1. Logit: y = logit(α + (1 − 2α)x) per pixel (log|det| ≠ 0), the usual image-flow
//     preprocessing; PCA in this space fits natural images better than in pixels;
//  2. Basis: z = (y − μ)·Q, Q orthogonal, a product of d Householder reflections whose first
//     d columns are the d leading principal directions of the training images in logit
//     space — so a fresh model is "PCA in logit space";
//  3. Coupling: an additive coupling h_⊥ ← h_⊥ − t(h_M) whose conditioner is a small
//     convolutional network on the chart's image: the manifold bends towards what the
//     network predicts of the discarded detail from the kept coordinates.
//
// encode(x) = g(f(x)_M) with the inner scalar affine g of spec 5.3, decode(u) =
// f⁻¹((g⁻¹(u), 0)), project(x) = clamp(decode(encode(x)), 0, 1). Training follows spec 5.5's
// phases: reconstruction MSE of the projection (the conditioner), then the PIE likelihood
// (the inner transform only).
package imageflow

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"

	"github.com/mflowlab/mflowlab/flow"
	"github.com/mflowlab/mflowlab/flow/nn"
	"github.com/mflowlab/mflowlab/flow/pca"
)

// Config is an image M-Flow architecture.
type Config struct {
	Channels, Height, Width int     // image geometry (CIFAR-10: 3, 32, 32); height and width even
	D                       int     // manifold dimension d
	Alpha                   float64 // logit boundary α in (0, 0.5); 0 means no logit layer (the basis works on pixels)
	Hidden                  int     // channels of the conditioner's hidden convolutions
	Layers                  int     // conditioner convolutions; 0 means no coupling (the manifold is the linear chart)
	// Shuffle is the conditioner's pixel-unshuffle factor s (0 or 1: none; 2 or 4): it works on
	// H/s × W/s images of s²·C channels (each s×s block of pixels folded into channels), so its
	// receptive field grows s-fold and each convolution costs 1/s² as much per channel pair.
	Shuffle int `json:",omitempty"`
}

// DefaultConfig returns the CIFAR-10 architecture with manifold dimension d.
func DefaultConfig(d int) Config {
	return Config{Channels: 3, Height: 32, Width: 32, D: d, Alpha: 0.05, Hidden: 64, Layers: 4, Shuffle: 2}
}

// N returns the data dimension C·H·W.
func (c Config) N() int { return c.Channels * c.Height * c.Width }

// Validate reports absurd or inconsistent settings.
func (c Config) Validate() error {
	switch {
	case c.Channels < 1 || c.Channels > 16 || c.Height < 2 || c.Height > 512 || c.Width < 2 || c.Width > 512:
		return fmt.Errorf("imageflow: image geometry %d×%d×%d out of range", c.Channels, c.Height, c.Width)
	case c.Height%2 != 0 || c.Width%2 != 0:
		return fmt.Errorf("imageflow: image height and width must be even, got %d×%d", c.Height, c.Width)
	case c.N() > pca.MaxCols:
		return fmt.Errorf("imageflow: images of %d values exceed %d", c.N(), pca.MaxCols)
	case c.D < 1 || c.D >= c.N():
		return fmt.Errorf("imageflow: manifold dimension d=%d must be in [1, %d]", c.D, c.N()-1)
	case !(c.Alpha >= 0 && c.Alpha < 0.5):
		return fmt.Errorf("imageflow: logit boundary α=%v must be in [0, 0.5)", c.Alpha)
	case c.Layers < 0 || c.Layers == 1 || c.Layers > 32:
		return fmt.Errorf("imageflow: conditioner layers=%d must be 0 (no coupling) or 2 to 32", c.Layers)
	case c.Layers > 0 && (c.Hidden < 1 || c.Hidden > 1024):
		return fmt.Errorf("imageflow: conditioner width %d out of range [1, 1024]", c.Hidden)
	case c.Shuffle != 0 && c.Shuffle != 1 && c.Shuffle != 2 && c.Shuffle != 4:
		return fmt.Errorf("imageflow: conditioner pixel-unshuffle factor %d must be 1, 2 or 4", c.Shuffle)
	case c.Height%(2*c.shuffle()) != 0 || c.Width%(2*c.shuffle()) != 0:
		return fmt.Errorf("imageflow: %d×%d images cannot be unshuffled by %d into even sizes", c.Height, c.Width, c.shuffle())
	}
	return nil
}

// shuffle returns the effective pixel-unshuffle factor (at least 1).
func (c Config) shuffle() int { return max(1, c.Shuffle) }

func (c Config) String() string {
	s := fmt.Sprintf("%d×%d×%d d=%d α=%g", c.Channels, c.Height, c.Width, c.D, c.Alpha)
	if c.Layers > 0 {
		s += fmt.Sprintf(" conditioner %d conv × %d ch", c.Layers, c.Hidden)
		if c.shuffle() > 1 {
			s += fmt.Sprintf(" at 1/%d resolution", c.shuffle())
		}
	} else {
		s += " linear chart"
	}
	return s
}

// Model is an image M-Flow: its transforms, trainable parameters P (laid out by Layout: the
// conditioner's convolutions and the inner transform) and the fixed basis.
type Model struct {
	Cfg      Config
	Layout   nn.Layout
	P        []float32
	Logit    *Logit    // nil when Cfg.Alpha == 0
	Basis    *Basis    // the orthogonal chart (fixed after fitting)
	Coupling *Coupling // nil when Cfg.Layers == 0
	Inner    *flow.ScalarAffine
	Outer    *flow.Composite // Logit (if any), Basis, Coupling (if any)
	Info     Info            // what training measured, kept in the checkpoint
	// Workers bounds the goroutines an evaluation call uses; 0 means one per core. Results
	// never depend on it.
	Workers int

	w      []*nn.Conv3Weights // conditioner weights prepared for P
	arenas *sync.Pool         // *nn.Arena scratch reused across calls
}

// Info is what training measured, stored with the model.
type Info struct {
	Epochs     int     `json:"epochs"`
	Seed       uint64  `json:"seed"`
	TrainRows  int     `json:"train_rows"`
	Seconds    float64 `json:"seconds"`
	ValMSE     float64 `json:"val_mse"`     // reconstruction MSE of the projection on the held-out training images
	EvalMSE    float64 `json:"eval_mse"`    // the same on the evaluation images, when given
	ChartMSE   float64 `json:"chart_mse"`   // the linear chart's (the model at initialisation) on the same evaluation images
	NLLPerDim  float64 `json:"nll_per_dim"` // the density phase's negative log-likelihood of u per latent dimension
	BestEpoch  int     `json:"best_epoch"`  // the epoch whose parameters were kept (lowest validation MSE)
	DataSource string  `json:"data_source"` // where the training images came from
}

// build assembles a model around a fitted basis, with zero parameters.
func build(cfg Config, b *Basis) (*Model, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if b.N != cfg.N() || b.D != cfg.D {
		return nil, fmt.Errorf("imageflow: basis of %d directions in %d dimensions for a model with n=%d, d=%d", b.D, b.N, cfg.N(), cfg.D)
	}
	m := &Model{Cfg: cfg, Basis: b, Outer: &flow.Composite{}, arenas: new(sync.Pool)}
	if cfg.Alpha > 0 {
		m.Logit = &Logit{N: cfg.N(), Alpha: cfg.Alpha}
		m.Outer.Parts = append(m.Outer.Parts, m.Logit)
	}
	m.Outer.Parts = append(m.Outer.Parts, b)
	if cfg.Layers > 0 {
		m.Coupling = &Coupling{B: b, C: cfg.Channels, H: cfg.Height, W: cfg.Width,
			Net: newConvNet(&m.Layout, "coupling.net", cfg.Channels, cfg.Hidden, cfg.Layers, cfg.shuffle())}
		m.Outer.Parts = append(m.Outer.Parts, m.Coupling)
	}
	m.Inner = flow.NewScalarAffine(&m.Layout, cfg.D)
	m.P = make([]float32, m.Layout.Len)
	return m, nil
}

// New fits the chart to the training images x (rows of n pixel values in [0, 1]): the mean
// and the d leading principal directions in the basis space (logit space unless α = 0), and
// initialises the rest from seed: the conditioner as PyTorch does with its last layer zero,
// so the fresh model projects exactly as PCA in logit space would, and the inner transform
// from N(0, 1) as spec 5.3. progress (may be nil) sees the PCA fit's stages.
func New(cfg Config, x nn.Mat, seed uint64, progress func(stage string, done float64)) (*Model, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := checkImages("training images", x, cfg.N()); err != nil {
		return nil, err
	}
	if x.Rows <= cfg.D {
		return nil, fmt.Errorf("imageflow: %d training images cannot fit a %d-dimensional chart; need more than d", x.Rows, cfg.D)
	}
	y := x
	if cfg.Alpha > 0 {
		lg := &Logit{N: cfg.N(), Alpha: cfg.Alpha}
		y = nn.NewMat(x.Rows, x.Cols)
		for i, v := range x.Data {
			out, _ := lg.forward1(float64(v))
			y.Data[i] = float32(out)
		}
	}
	fit, err := pca.Fit(y, pca.Options{Components: cfg.D, Progress: progress})
	if err != nil {
		return nil, fmt.Errorf("imageflow: fitting the chart: %w", err)
	}
	if fit.Components.Rows < cfg.D {
		return nil, fmt.Errorf("imageflow: the training images span only %d directions; d=%d", fit.Components.Rows, cfg.D)
	}
	b, err := NewBasis(fit.Mean, fit.Components)
	if err != nil {
		return nil, err
	}
	m, err := build(cfg, b)
	if err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(seed, 0x696d67666c6f77))
	if m.Coupling != nil {
		m.Coupling.Net.init(m.P, rng)
	}
	for i := range m.Inner.Scale.View(m.P) {
		m.P[m.Inner.Scale.Off+i] = float32(rng.NormFloat64())
		m.P[m.Inner.Shift.Off+i] = float32(rng.NormFloat64())
	}
	m.Prepare()
	return m, nil
}

// Prepare refreshes the conditioner's kernel-ready weights after P changed (New, Load and
// training call it; call it after editing P by hand).
func (m *Model) Prepare() {
	if m.Coupling != nil {
		m.w = m.Coupling.Net.prepare(m.w, m.P)
	}
}

// Clone returns an independent copy of the model (the basis, being fixed, is shared).
func (m *Model) Clone() *Model {
	c := *m
	c.P = append([]float32(nil), m.P...)
	c.w = nil
	c.arenas = new(sync.Pool)
	c.Prepare()
	return &c
}

// InputDim returns n, the width of the rows Project expects.
func (m *Model) InputDim() int { return m.Cfg.N() }

// D returns the manifold dimension.
func (m *Model) D() int { return m.Cfg.D }

// checkImages reports a matrix of the wrong width or with values outside [0, 1] (NaN included).
func checkImages(what string, x nn.Mat, n int) error {
	if x.Cols != n || len(x.Data) != x.Rows*x.Cols {
		return fmt.Errorf("imageflow: %s are %d×%d, want rows of %d values", what, x.Rows, x.Cols, n)
	}
	if x.Rows == 0 {
		return fmt.Errorf("imageflow: no %s", what)
	}
	for i, v := range x.Data {
		if !(v >= 0 && v <= 1) {
			return fmt.Errorf("imageflow: %s: row %d holds %v (pixel values must be in [0, 1])", what, i/n, v)
		}
	}
	return nil
}

// chunkRows is the number of rows one worker projects at a time. It is fixed so results
// never depend on the number of cores.
const chunkRows = 16

func (m *Model) arena() *nn.Arena {
	if a, ok := m.arenas.Get().(*nn.Arena); ok {
		return a
	}
	return new(nn.Arena)
}

// parallelRows runs fn over [0, rows) in chunks of chunkRows on up to Workers goroutines,
// each with its own pooled arena (reset before every chunk).
func (m *Model) parallelRows(rows int, fn func(a *nn.Arena, r0, r1 int)) {
	m.parallelChunks((rows+chunkRows-1)/chunkRows, func(a *nn.Arena, c int) {
		fn(a, c*chunkRows, min(rows, (c+1)*chunkRows))
	})
}

// parallelChunks runs fn(a, c) for c in [0, chunks) on up to Workers goroutines, each with
// its own pooled arena (reset before every chunk).
func (m *Model) parallelChunks(chunks int, fn func(a *nn.Arena, c int)) {
	workers := m.Workers
	if workers <= 0 {
		workers = min(runtime.GOMAXPROCS(0), runtime.NumCPU())
	}
	workers = min(workers, chunks)
	if workers <= 1 {
		a := m.arena()
		defer m.arenas.Put(a)
		for c := 0; c < chunks; c++ {
			a.Reset()
			fn(a, c)
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
			a := m.arena()
			defer m.arenas.Put(a)
			for c := range next {
				a.Reset()
				fn(a, c)
			}
		}()
	}
	wg.Wait()
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
