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
	m := &MLP{In: in, Width: width, Depth: depth, Classes: classes, Output: out}
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

// tape keeps what the backward pass needs from one forward pass over a chunk.
type tape struct {
	in  []nn.Mat // in[l]: input of layer l (in[0] is the chunk itself)
	pre []nn.Mat // pre[l]: pre-activation of hidden layer l
	sig []nn.Mat // sig[l]: σ(pre[l])
}

func (t *tape) reset(layers int) {
	if cap(t.in) < layers {
		t.in = make([]nn.Mat, layers)
		t.pre = make([]nn.Mat, layers)
		t.sig = make([]nn.Mat, layers)
	}
	t.in, t.pre, t.sig = t.in[:layers], t.pre[:layers], t.sig[:layers]
}

// forward returns the logits of x (rows×Classes) in arena memory. With a tape, the
// activations needed by backward are recorded; without, two scratch buffers are reused.
func (m *MLP) forward(a *nn.Arena, x nn.Mat, t *tape) nn.Mat {
	rows := x.Rows
	last := len(m.Layers) - 1
	var ping [2][]float32
	if t == nil {
		n := rows * max(m.Width, m.Classes)
		ping[0], ping[1] = a.Uninit(n), a.Uninit(n)
	} else {
		t.reset(len(m.Layers))
		t.in[0] = x
	}
	h := x
	for l, ln := range m.Layers {
		var z nn.Mat
		if t == nil {
			z = nn.MatFrom(rows, ln.Out, ping[l&1][:rows*ln.Out])
		} else {
			z = a.RawMat(rows, ln.Out)
		}
		ln.Forward(z, h, m.P)
		if l == last {
			return z
		}
		if t == nil {
			siluInPlace(z.Data)
			h = z
			continue
		}
		sig, hn := a.RawMat(rows, ln.Out), a.RawMat(rows, ln.Out)
		silu(hn.Data, sig.Data, z.Data)
		t.pre[l], t.sig[l], t.in[l+1] = z, sig, hn
		h = hn
	}
	panic("unreachable")
}

// backward propagates gOut = dL/dlogits through the recorded pass. It adds parameter
// gradients into grad when grad is non-nil and returns dL/dx when wantGx (else an empty Mat).
// gOut is not modified.
func (m *MLP) backward(a *nn.Arena, t *tape, gOut nn.Mat, grad []float32, wantGx bool) nn.Mat {
	rows := gOut.Rows
	g := gOut
	for l := len(m.Layers) - 1; l >= 0; l-- {
		ln := m.Layers[l]
		if l < len(m.Layers)-1 {
			siluBackward(g.Data, t.pre[l].Data, t.sig[l].Data)
		}
		if l == 0 && !wantGx && grad == nil {
			break
		}
		var gin nn.Mat
		if l > 0 || wantGx {
			gin = a.RawMat(rows, ln.In)
		}
		ln.Backward(gin, g, t.in[l], m.P, grad)
		g = gin
	}
	return g
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

// workerState is the per-goroutine scratch of evaluation calls.
type workerState struct {
	arena *nn.Arena
	tape  tape
}

// eachChunk splits rows into fixed chunks and calls fn with a worker's scratch, which is
// reset before every chunk. A single chunk uses exact heap allocations instead of an arena.
func eachChunk(rows int, fn func(ws *workerState, r0, r1 int)) {
	chunks := (rows + evalChunk - 1) / evalChunk
	if chunks == 1 {
		fn(&workerState{}, 0, rows)
		return
	}
	workers := min(runtime.GOMAXPROCS(0), chunks)
	states := make([]workerState, workers)
	for i := range states {
		states[i].arena = new(nn.Arena)
	}
	parallel(chunks, workers, func(w, c int) {
		s := &states[w]
		s.arena.Reset()
		fn(s, c*evalChunk, min(rows, (c+1)*evalChunk))
	})
}

// Scores returns what the model's forward returns for each row of x: logits for a Logits
// model, softmax probabilities for a SoftmaxQuirk model (rows×Classes).
func (m *MLP) Scores(x nn.Mat) nn.Mat {
	m.checkBatch("Scores", x)
	out := nn.NewMat(x.Rows, m.Classes)
	eachChunk(x.Rows, func(s *workerState, r0, r1 int) {
		z := m.forward(s.arena, x.Slice(r0, r1), nil)
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
	eachChunk(x.Rows, func(s *workerState, r0, r1 int) {
		z := m.forward(s.arena, x.Slice(r0, r1), nil)
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
	eachChunk(x.Rows, func(s *workerState, r0, r1 int) {
		z := m.forward(s.arena, x.Slice(r0, r1), nil)
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
