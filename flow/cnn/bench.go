package cnn

import (
	"math/rand/v2"
	"time"

	"github.com/mflowlab/mflowlab/flow/nn"
)

// LayerTime is one stage's mean time for one group of Group images on one goroutine.
type LayerTime struct {
	Name              string
	Forward, Backward time.Duration
}

// BenchLayers times each stage of a training step on one group of Group random images
// (after one warm-up), iters times, on the calling goroutine: the input's normalisation and
// augmentation, the three convolution blocks (backward as in training: parameter gradients,
// and input gradients except for c1's), and the dense head with the loss (the rest of
// the step). clock reads the time (nil: the wall clock; a thread's CPU time makes the
// numbers independent of other load on the machine).
func BenchLayers(iters int, seed uint64, clock func() time.Duration) []LayerTime {
	if clock == nil {
		start := time.Now()
		clock = func() time.Duration { return time.Since(start) }
	}
	m := New(seed)
	x, y := benchImages(Group, seed)
	pw := m.prepare(nil)
	w := newWorker()
	tg := make([]float32, m.tgLen())
	parts := m.tgParts(tg)
	crops := make([]crop, Group)
	for i := range crops {
		crops[i] = crop{Dy: int8(i % 9), Dx: int8((i * 5) % 9), Flip: i%2 == 1}
	}
	time1 := func(f func()) time.Duration {
		f()
		start := clock()
		for i := 0; i < iters; i++ {
			w.ws.Reset()
			f()
		}
		return (clock() - start) / time.Duration(iters)
	}
	full := func() {
		w.load(x.Data, crops)
		m.forward(pw, w, true)
		for b := 0; b < Group; b++ {
			softmaxCE(w.logits[b*Classes:(b+1)*Classes], y[b], 1.0/Group, w.glogits[b*Classes:(b+1)*Classes], nil)
		}
		m.backward(pw, w, tg, false)
	}
	full() // fills every activation and code for the stages below
	res := []LayerTime{{Name: "input", Forward: time1(func() { w.load(x.Data, crops) })}}
	convs := []struct {
		name   string
		c      *nn.Conv3Weights
		in     nn.Images
		out    nn.Images
		gin    nn.Images
		gout   nn.Images
		code   []int8
		tg     []float32
		inGrad bool
	}{
		{"c1", pw.c1, w.a0, w.p1, w.g0, w.g1, w.code1, parts[0], false},
		{"c2", pw.c2, w.p1, w.p2, w.g1, w.g2, w.code2, parts[1], true},
		{"c3", pw.c3, w.p2, w.p3, w.g2, w.g3, w.code3, parts[2], true},
	}
	var sum LayerTime
	for _, c := range convs {
		gin := c.gin
		if !c.inGrad {
			gin = nn.Images{}
		}
		lt := LayerTime{Name: c.name,
			Forward:  time1(func() { c.c.ForwardPool(c.out, c.code, c.in, w.ws) }),
			Backward: time1(func() { c.c.BackwardPoolTransformed(gin, c.gout, c.code, c.in, c.tg, w.ws) }),
		}
		sum.Forward += lt.Forward
		sum.Backward += lt.Backward
		res = append(res, lt)
	}
	fwd := time1(func() { w.load(x.Data, crops); m.forward(pw, w, true) })
	step := time1(full)
	head := LayerTime{Name: "dense+loss", Forward: fwd - res[0].Forward - sum.Forward}
	head.Backward = step - fwd - sum.Backward
	return append(res, head, LayerTime{Name: "total", Forward: fwd, Backward: step - fwd})
}

// benchImages returns n random images and labels.
func benchImages(n int, seed uint64) (nn.Mat, []int32) {
	rng := rand.New(rand.NewPCG(seed, 0x62656e6368)) // "bench"
	x := nn.NewMat(n, Pixels)
	for i := range x.Data {
		x.Data[i] = float32(rng.Float64())
	}
	y := make([]int32, n)
	for i := range y {
		y[i] = int32(rng.IntN(Classes))
	}
	return x, y
}

// BenchTraining times steps training steps (after two warm-up steps) of batch images drawn
// from x and y (random images when x has no rows), augmented, on m.Workers goroutines, and
// returns the mean time per step. The model's parameters change.
func (m *Model) BenchTraining(x nn.Mat, y []int32, batch, steps int, seed uint64) time.Duration {
	if x.Rows == 0 {
		x, y = benchImages(batch, seed)
	}
	batch = min(batch, x.Rows)
	t := newTrainer(m, x, y, batch, nn.NewAdam(len(m.P)))
	rng := rand.New(rand.NewPCG(seed, 1))
	rows := make([]int, batch)
	crops := make([]crop, batch)
	one := func() {
		for i := range rows {
			rows[i] = rng.IntN(x.Rows)
			crops[i] = crop{Dy: int8(rng.IntN(9)), Dx: int8(rng.IntN(9)), Flip: rng.IntN(2) == 1}
		}
		t.step(rows, crops, 1e-3)
	}
	one()
	one()
	start := time.Now()
	for i := 0; i < steps; i++ {
		one()
	}
	return time.Since(start) / time.Duration(max(steps, 1))
}
