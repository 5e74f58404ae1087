package attack

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/mflowlab/mflowlab/flow/cnn"
	"github.com/mflowlab/mflowlab/flow/nn"
	"github.com/mflowlab/mflowlab/flow/pca"
)

// benchImages returns n random images in [0, 1] with random labels and an untrained CNN
// (the arithmetic does not depend on the weights).
func benchImages(n int) (*cnn.Model, nn.Mat, []int32) {
	rng := rand.New(rand.NewPCG(1, 1))
	x := nn.NewMat(n, imageWidth)
	for i := range x.Data {
		x.Data[i] = rng.Float32()
	}
	y := make([]int32, n)
	for i := range y {
		y[i] = int32(rng.IntN(10))
	}
	return cnn.New(1), x, y
}

// benchSweepPoint measures one PGD-10 sweep point (ε = 8/255, α = ε/4, random start, [0, 1]
// box) on 2 000 images: the attack plus the cases A–D (two predictions and a projection).
func benchSweepPoint(b *testing.B, adaptive bool) {
	m, x, y := benchImages(2000)
	basis, err := pca.Fit(x.Slice(0, 300), pca.Options{Components: 64})
	if err != nil {
		b.Fatal(err)
	}
	proj, err := basis.Projection(64)
	if err != nil {
		b.Fatal(err)
	}
	var target Classifier = m
	if adaptive {
		target = Defended{Clf: m, Proj: proj}
	}
	p := Params{Kind: PGD, Steps: 10, RandomStart: true, Box: &Box{Min: []float64{0}, Max: []float64{1}}}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := SweepWith(context.Background(), target, proj, x, y, []float64{8.0 / 255}, p, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/point")
}

// BenchmarkPGD10SweepPoint is the speed target of issue 12: PyTorch takes about 18 s for the
// attack alone on a quiet 2-core machine (torch_cifar.py attack, pgd_secs).
func BenchmarkPGD10SweepPoint(b *testing.B) { benchSweepPoint(b, false) }

// BenchmarkPGD10SweepPointAdaptive is the same through the PCA d = 64 projection.
func BenchmarkPGD10SweepPointAdaptive(b *testing.B) { benchSweepPoint(b, true) }
