// Package classify is the Two Spirals classifier of spec section 2: an MLP
// 2 → W → (Depth × W → W) → 2 with SiLU activations, built on flow/nn. It trains natively on
// logits and also reproduces the original research classifier, whose forward returns softmax
// probabilities that its cross-entropy then treats as logits.
package classify

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/mflowlab/mflowlab/flow/nn"
)

// OutputKind says what the model's forward returns and how its loss is defined.
type OutputKind int

const (
	// Logits is the project's own recipe: the forward returns logits and the loss is the
	// textbook cross-entropy on them.
	Logits OutputKind = iota
	// SoftmaxQuirk is the original recipe: the forward returns softmax probabilities and the
	// cross-entropy is applied to those probabilities as if they were logits.
	SoftmaxQuirk
)

// String returns the name used in checkpoint metadata.
func (k OutputKind) String() string {
	switch k {
	case Logits:
		return "logits"
	case SoftmaxQuirk:
		return "softmax-quirk"
	}
	return fmt.Sprintf("OutputKind(%d)", int(k))
}

// MarshalText encodes the kind by name.
func (k OutputKind) MarshalText() ([]byte, error) {
	if k != Logits && k != SoftmaxQuirk {
		return nil, fmt.Errorf("classify: unknown output kind %d", int(k))
	}
	return []byte(k.String()), nil
}

// UnmarshalText decodes a kind written by MarshalText.
func (k *OutputKind) UnmarshalText(b []byte) error {
	switch string(b) {
	case "logits":
		*k = Logits
	case "softmax-quirk":
		*k = SoftmaxQuirk
	default:
		return fmt.Errorf("classify: unknown output kind %q", b)
	}
	return nil
}

// MLP is the classifier: In inputs, Depth+1 SiLU layers of width Width and a linear head with
// Classes outputs. Layers and Layout are immutable and may be shared between copies; all
// weights live in the flat vector P (state-dict names layers.0, layers.2, …).
type MLP struct {
	In, Width, Depth, Classes int
	Layers                    []nn.Linear
	Layout                    nn.Layout
	P                         []float32
	Output                    OutputKind
	// Workers bounds the goroutines an evaluation call uses; 0 means one per core. Results
	// never depend on it.
	Workers int
	states  *sync.Pool // *workerState scratch reused across calls (shared by clones)
}

// Size limits that keep a corrupt file or a typo from allocating gigabytes.
const (
	maxIn      = 1 << 16
	maxWidth   = 1 << 14
	maxDepth   = 256
	maxClasses = 1 << 16
	maxParams  = 1 << 28
)

func validate(in, width, depth, classes int) error {
	switch {
	case in < 1 || in > maxIn:
		return fmt.Errorf("classify: input size %d out of range [1, %d]", in, maxIn)
	case width < 1 || width > maxWidth:
		return fmt.Errorf("classify: width W=%d out of range [1, %d]", width, maxWidth)
	case depth < 0 || depth > maxDepth:
		return fmt.Errorf("classify: depth K=%d out of range [0, %d]", depth, maxDepth)
	case classes < 2 || classes > maxClasses:
		return fmt.Errorf("classify: %d classes out of range [2, %d]", classes, maxClasses)
	}
	n := (in+1)*width + depth*(width+1)*width + (width+1)*classes
	if n > maxParams {
		return fmt.Errorf("classify: %d parameters exceed the limit of %d", n, maxParams)
	}
	return nil
}

// newArch builds the layer structure without parameters.
func newArch(in, width, depth, classes int, out OutputKind) (*MLP, error) {
	if err := validate(in, width, depth, classes); err != nil {
		return nil, err
	}
	if out != Logits && out != SoftmaxQuirk {
		return nil, fmt.Errorf("classify: unknown output kind %d", int(out))
	}
	m := &MLP{In: in, Width: width, Depth: depth, Classes: classes, Output: out, states: new(sync.Pool)}
	dims := make([]int, 0, depth+3)
	dims = append(dims, in)
	for i := 0; i <= depth; i++ {
		dims = append(dims, width)
	}
	dims = append(dims, classes)
	for l := 0; l+1 < len(dims); l++ {
		m.Layers = append(m.Layers, nn.NewLinear(&m.Layout, fmt.Sprintf("layers.%d", 2*l), dims[l], dims[l+1]))
	}
	return m, nil
}

// New returns a freshly initialised Logits classifier with PyTorch's default
// uniform(±1/√fan_in) initialisation drawn from seed.
func New(in, width, depth, classes int, seed uint64) (*MLP, error) {
	m, err := newArch(in, width, depth, classes, Logits)
	if err != nil {
		return nil, err
	}
	m.P = make([]float32, m.Layout.Len)
	rng := rand.New(rand.NewPCG(seed, 0x636c6173736966))
	for _, ln := range m.Layers {
		ln.InitDefault(m.P, rng)
	}
	return m, nil
}

// Clone returns a model sharing the architecture with a copy of the parameters.
func (m *MLP) Clone() *MLP {
	c := *m
	c.P = append([]float32(nil), m.P...)
	return &c
}

// String describes the architecture.
func (m *MLP) String() string {
	return fmt.Sprintf("MLP %d→%d×%d→%d (%s, %d parameters)", m.In, m.Width, m.Depth+1, m.Classes, m.Output, len(m.P))
}

func (m *MLP) checkBatch(name string, x nn.Mat) {
	if x.Cols != m.In || len(x.Data) != x.Rows*x.Cols {
		panic(fmt.Sprintf("classify: %s expects %d columns, got %d×%d (%d values)", name, m.In, x.Rows, x.Cols, len(x.Data)))
	}
	if len(m.P) != m.Layout.Len {
		panic(fmt.Sprintf("classify: %s: model has %d parameters, layout needs %d", name, len(m.P), m.Layout.Len))
	}
}

func (m *MLP) checkLabels(name string, rows int, y []int32) {
	if len(y) != rows {
		panic(fmt.Sprintf("classify: %s: %d labels for %d rows", name, len(y), rows))
	}
	for i, c := range y {
		if c < 0 || int(c) >= m.Classes {
			panic(fmt.Sprintf("classify: %s: label %d of row %d out of range [0, %d)", name, c, i, m.Classes))
		}
	}
}

// tape holds every activation of a recorded pass over a batch, so that row ranges of it can
// be processed independently (in parallel) and the parameter gradients then formed over the
// whole batch at once.
type tape struct {
	in     []nn.Mat // in[l]: input of layer l (in[0] is the batch itself)
	pre    []nn.Mat // pre[l]: pre-activation of hidden layer l
	sig    []nn.Mat // sig[l]: σ(pre[l])
	logits nn.Mat
	scores nn.Mat   // what the forward returns: logits, or softmax probabilities
	gz     []nn.Mat // gz[l]: dL/d(output of layer l before its activation)
}

// alloc lays out a tape for x in arena memory.
func (t *tape) alloc(a *nn.Arena, m *MLP, x nn.Mat) {
	layers, rows := len(m.Layers), x.Rows
	if cap(t.in) < layers {
		t.in, t.pre, t.sig, t.gz = make([]nn.Mat, layers), make([]nn.Mat, layers), make([]nn.Mat, layers), make([]nn.Mat, layers)
	}
	t.in, t.pre, t.sig, t.gz = t.in[:layers], t.pre[:layers-1], t.sig[:layers-1], t.gz[:layers]
	t.in[0] = x
	for l, ln := range m.Layers {
		if l < layers-1 {
			t.pre[l], t.sig[l], t.in[l+1] = a.RawMat(rows, ln.Out), a.RawMat(rows, ln.Out), a.RawMat(rows, ln.Out)
		}
		t.gz[l] = a.RawMat(rows, ln.Out)
	}
	t.logits = a.RawMat(rows, m.Classes)
	t.scores = t.logits
	if m.Output == SoftmaxQuirk {
		t.scores = a.RawMat(rows, m.Classes)
	}
}

// forwardRows runs the recorded forward pass for rows [r0, r1) of the tape's batch, filling
// the activations, logits and scores of those rows.
func (m *MLP) forwardRows(t *tape, r0, r1 int) {
	last := len(m.Layers) - 1
	for l, ln := range m.Layers {
		h := t.in[l].Slice(r0, r1)
		if l == last {
			ln.Forward(t.logits.Slice(r0, r1), h, m.P)
			break
		}
		z := t.pre[l].Slice(r0, r1)
		ln.Forward(z, h, m.P)
		silu(t.in[l+1].Slice(r0, r1).Data, t.sig[l].Slice(r0, r1).Data, z.Data)
	}
	if m.Output == SoftmaxQuirk {
		for i := r0; i < r1; i++ {
			softmaxRow(t.scores.Row(i), t.logits.Row(i))
		}
	}
}

// backwardRows turns dL/dscores, stored in gz[last] for rows [r0, r1), into dL/dz for every
// layer (gz) and, when gx has data, writes dL/dx of those rows into gx (rows r1−r0). It
// computes no parameter gradient (see paramGrads).
func (m *MLP) backwardRows(t *tape, r0, r1 int, gx nn.Mat) {
	last := len(m.Layers) - 1
	if m.Output == SoftmaxQuirk {
		for i := r0; i < r1; i++ {
			softmaxBackwardRow(t.gz[last].Row(i), t.scores.Row(i))
		}
	}
	for l := last; l >= 1; l-- {
		g := t.gz[l-1].Slice(r0, r1)
		m.Layers[l].Backward(g, t.gz[l].Slice(r0, r1), t.in[l].Slice(r0, r1), m.P, nil)
		siluBackward(g.Data, t.pre[l-1].Slice(r0, r1).Data, t.sig[l-1].Slice(r0, r1).Data)
	}
	if gx.Data != nil {
		m.Layers[0].Backward(gx, t.gz[0].Slice(r0, r1), t.in[0].Slice(r0, r1), m.P, nil)
	}
}

// paramGrads adds the parameter gradients of layer l over the whole batch of a tape (after
// backwardRows has covered every row) into grad: dW += gzᵀ·in and db += gzᵀ·1, one matrix
// product each, so the result does not depend on how the rows were split.
func (m *MLP) paramGrads(t *tape, l int, ones []float32, grad []float32) {
	ln := m.Layers[l]
	gz, in := t.gz[l], t.in[l]
	rows := gz.Rows
	nn.Gemm(true, false, ln.Out, ln.In, rows, 1, gz.Data, ln.Out, in.Data, ln.In, 1, ln.W.View(grad), ln.In)
	nn.Gemm(true, false, ln.Out, 1, rows, 1, gz.Data, ln.Out, ones[:rows], 1, 1, ln.B.View(grad), 1)
}

// forward returns the logits of x (rows×Classes), computed in the worker's scratch buffer
// (nothing is recorded; the result is overwritten by the worker's next forward).
func (m *MLP) forward(s *workerState, x nn.Mat) nn.Mat {
	rows := x.Rows
	last := len(m.Layers) - 1
	n := rows * max(m.Width, m.Classes)
	if len(s.scratch) < 2*n {
		s.scratch = make([]float32, 2*n)
	}
	ping := [2][]float32{s.scratch[:n], s.scratch[n : 2*n]}
	h := x
	for l, ln := range m.Layers {
		z := nn.MatFrom(rows, ln.Out, ping[l&1][:rows*ln.Out])
		ln.Forward(z, h, m.P)
		if l == last {
			return z
		}
		siluInPlace(z.Data)
		h = z
	}
	panic("unreachable")
}

// headScores turns logits into the model's scores in place: unchanged for Logits, softmax
// probabilities for SoftmaxQuirk.
func (m *MLP) headScores(logits nn.Mat) {
	if m.Output == SoftmaxQuirk {
		for i := 0; i < logits.Rows; i++ {
			r := logits.Row(i)
			softmaxRow(r, r)
		}
	}
}

// evalChunk is the number of rows processed as one unit. It is fixed so that results never
// depend on the number of cores.
const evalChunk = 256

// parallel runs fn(worker, chunk) for every chunk in [0, n) on up to GOMAXPROCS goroutines
// and returns once all are done. Each worker index is used by one goroutine at a time.
func parallel(n, workers int, fn func(w, c int)) {
	if workers <= 1 || n <= 1 {
		for c := 0; c < n; c++ {
			fn(0, c)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				c := int(next.Add(1) - 1)
				if c >= n {
					return
				}
				fn(w, c)
			}
		}()
	}
	wg.Wait()
}

// workerState is the per-goroutine scratch of evaluation calls: a buffer for plain forward
// passes, and an arena (created on first use, reset before every chunk) for recorded ones.
type workerState struct {
	scratch []float32
	arena   *nn.Arena
	tape    tape
	single  bool // the call has one chunk: allocate exactly instead of arena blocks
}

// recArena returns the worker's arena, creating it on first use; nil (exact heap
// allocations) for a single-chunk call.
func (s *workerState) recArena() *nn.Arena {
	if s.arena == nil && !s.single {
		s.arena = new(nn.Arena)
	}
	return s.arena
}

// eachChunk splits rows into fixed chunks and calls fn for each on up to m.Workers
// goroutines (one per core when 0), each with its own scratch. Scratch comes from the
// model's pool, so repeated calls (an attack's iterations) allocate nothing once warm.
func (m *MLP) eachChunk(rows int, fn func(ws *workerState, r0, r1 int)) {
	chunks := (rows + evalChunk - 1) / evalChunk
	workers := m.Workers
	if workers <= 0 {
		workers = min(runtime.GOMAXPROCS(0), runtime.NumCPU())
	}
	workers = max(min(workers, chunks), 1)
	var arr [4]*workerState
	states := arr[:0]
	for range workers {
		var s *workerState
		if m.states != nil {
			s, _ = m.states.Get().(*workerState)
		}
		if s == nil {
			s = &workerState{single: m.states == nil && chunks == 1}
		}
		states = append(states, s)
	}
	parallel(chunks, workers, func(w, c int) {
		s := states[w]
		s.arena.Reset()
		fn(s, c*evalChunk, min(rows, (c+1)*evalChunk))
	})
	if m.states != nil {
		for _, s := range states {
			if cap(s.tape.in) > 0 {
				s.tape.in[:1][0] = nn.Mat{} // drop the reference to the caller's batch
			}
			m.states.Put(s)
		}
	}
}

// Scores returns what the model's forward returns for each row of x: logits for a Logits
// model, softmax probabilities for a SoftmaxQuirk model (rows×Classes).
func (m *MLP) Scores(x nn.Mat) nn.Mat {
	m.checkBatch("Scores", x)
	out := nn.NewMat(x.Rows, m.Classes)
	m.eachChunk(x.Rows, func(s *workerState, r0, r1 int) {
		z := m.forward(s, x.Slice(r0, r1))
		m.headScores(z)
		copy(out.Slice(r0, r1).Data, z.Data)
	})
	return out
}

// Probs returns the class probabilities for each row of x: the softmax of the logits, which
// for a SoftmaxQuirk model is its forward output itself.
func (m *MLP) Probs(x nn.Mat) nn.Mat {
	m.checkBatch("Probs", x)
	out := nn.NewMat(x.Rows, m.Classes)
	m.eachChunk(x.Rows, func(s *workerState, r0, r1 int) {
		z := m.forward(s, x.Slice(r0, r1))
		for i := 0; i < z.Rows; i++ {
			softmaxRow(out.Row(r0+i), z.Row(i))
		}
	})
	return out
}

// Predict returns the predicted class (the first largest score) of each row of x.
func (m *MLP) Predict(x nn.Mat) []int32 {
	m.checkBatch("Predict", x)
	out := make([]int32, x.Rows)
	m.eachChunk(x.Rows, func(s *workerState, r0, r1 int) {
		z := m.forward(s, x.Slice(r0, r1))
		for i := 0; i < z.Rows; i++ {
			out[r0+i] = int32(argmax(z.Row(i)))
		}
	})
	return out
}

// Accuracy returns the fraction of rows of x whose prediction equals y (NaN for no rows).
func (m *MLP) Accuracy(x nn.Mat, y []int32) float64 {
	m.checkBatch("Accuracy", x)
	if len(y) != x.Rows {
		panic(fmt.Sprintf("classify: Accuracy: %d labels for %d rows", len(y), x.Rows))
	}
	pred := m.Predict(x)
	ok := 0
	for i, p := range pred {
		if p == y[i] {
			ok++
		}
	}
	return float64(ok) / float64(len(y))
}

func argmax(v []float32) int {
	best := 0
	for j, x := range v {
		if x > v[best] {
			best = j
		}
	}
	return best
}
