package gallery

import (
	"context"
	"testing"
	"time"

	"github.com/mflowlab/mflowlab/flow/cnn"
	"github.com/mflowlab/mflowlab/flow/nn"
	"github.com/mflowlab/mflowlab/flow/pca"
	"github.com/mflowlab/mflowlab/sim/cifar"
)

// BenchmarkComputeBlock times one pool block (12 images) attacked with PGD-10 at ε = 8/255,
// non-adaptively and adaptively through PCA d = 64, then projected and classified: half of a
// 24-image gallery page. The engine runs one block per core.
func BenchmarkComputeBlock(b *testing.B) {
	set, err := cifar.Load(tinyCIFAR(b, 400), cifar.All)
	if err != nil {
		b.Fatal(err)
	}
	fit, err := pca.Fit(set.Images, pca.Options{Components: 64})
	if err != nil {
		b.Fatal(err)
	}
	proj, err := fit.Projection(64)
	if err != nil {
		b.Fatal(err)
	}
	m := cnn.New(1)
	m.Workers = 1
	models := Models{CNN: m, Proj: proj}
	x := nn.NewMat(BlockSize, cifar.Pixels)
	copy(x.Data, set.Images.Data)
	y := set.Labels[:BlockSize]
	p := AttackParams(pgd(8, 10), 8.0/255)
	out := make([]Sample, BlockSize)
	b.ResetTimer()
	for range b.N {
		if err := ComputeBlock(context.Background(), models, x, y, p, true, out); err != nil {
			b.Fatal(err)
		}
	}
}

func TestBenchRefresh(t *testing.T) {
	data := tinyCIFAR(t, 150)
	ck, _ := tinyCNN(t)
	s := Settings{Images: data, Classifier: ck, Defence: "pca:4", Attack: pgd(8, 1), Pool: 30}
	r, err := BenchRefresh(context.Background(), testCache, s, 12, 2, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Rounds) != 2 || len(r.CPU) != 2 || r.Median <= 0 || r.Cold <= 0 || r.Page != 12 {
		t.Fatalf("%+v", r)
	}
	// The last round is ε = 8/255 again, recomputed: its page is ready.
	if r.Snapshot.Settings.Attack.Eps != 8.0/255 || !pageReady(r.Snapshot.Samples[:12]) {
		t.Errorf("last snapshot: ε %v, page ready %v", r.Snapshot.Settings.Attack.Eps, pageReady(r.Snapshot.Samples[:12]))
	}
	if _, err := BenchRefresh(context.Background(), testCache, Settings{Attack: pgd(0, 1)}, 12, 1, time.Minute); err == nil {
		t.Error("ε = 0: no error")
	}
}
