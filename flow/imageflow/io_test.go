package imageflow

import (
	"context"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mflowlab/mflowlab/flow/ckpt"
	"github.com/mflowlab/mflowlab/flow/nn"
)

func TestCheckpointRoundTrip(t *testing.T) {
	m, x := newSmall(t, smallConfig(), 11)
	m.Info = Info{Epochs: 3, Seed: 11, ValMSE: 0.01, EvalMSE: math.NaN(), DataSource: "synthetic"}
	path := filepath.Join(t.TempDir(), "f.mfl")
	if err := m.Save(path); err != nil {
		t.Fatal(err)
	}
	got, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if got.Cfg != m.Cfg || got.Info.Epochs != 3 || got.Info.DataSource != "synthetic" || got.Info.EvalMSE != -1 {
		t.Errorf("config/info not restored: %+v %+v", got.Cfg, got.Info)
	}
	if maxAbsDiff(got.Project(nn.Mat{}, x).Data, m.Project(nn.Mat{}, x).Data) != 0 {
		t.Error("loaded model projects differently")
	}
	ld1, ld2 := m.LogDensity(x.Slice(0, 3)), got.LogDensity(x.Slice(0, 3))
	for i := range ld1 {
		if ld1[i] != ld2[i] {
			t.Errorf("log-density %d: %v vs %v", i, ld1[i], ld2[i])
		}
	}
}

func TestCheckpointErrors(t *testing.T) {
	m, _ := newSmall(t, smallConfig(), 12)
	dir := t.TempDir()
	good := filepath.Join(dir, "good.mfl")
	if err := m.Save(good); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	flipped := append([]byte(nil), data...)
	flipped[len(flipped)-100] ^= 0x40
	other := &ckpt.File{Kind: "cnn", Arrays: []ckpt.Array{{Name: "a", Data: []float32{1}}}}
	otherPath := filepath.Join(dir, "other.mfl")
	if err := ckpt.Write(otherPath, other); err != nil {
		t.Fatal(err)
	}
	f, err := ckpt.Read(good)
	if err != nil {
		t.Fatal(err)
	}
	missing := &ckpt.File{Kind: f.Kind, Meta: f.Meta, Arrays: f.Arrays[:len(f.Arrays)-1]}
	missingPath := filepath.Join(dir, "missing.mfl")
	if err := ckpt.Write(missingPath, missing); err != nil {
		t.Fatal(err)
	}
	badHH := &ckpt.File{Kind: f.Kind, Meta: f.Meta}
	for _, a := range f.Arrays {
		d := append([]float32(nil), a.Data...)
		if a.Name == arrayHouseholder {
			d[0] = 2 // not a unit-leading Householder vector
		}
		badHH.Arrays = append(badHH.Arrays, ckpt.Array{Name: a.Name, Data: d})
	}
	badHHPath := filepath.Join(dir, "badhh.mfl")
	if err := ckpt.Write(badHHPath, badHH); err != nil {
		t.Fatal(err)
	}
	badCfg := &ckpt.File{Kind: f.Kind, Meta: []byte(`{"config":{"Channels":2,"Height":4,"Width":4,"D":0}}`), Arrays: f.Arrays}
	badCfgPath := filepath.Join(dir, "badcfg.mfl")
	if err := ckpt.Write(badCfgPath, badCfg); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		path, want string
	}{
		{filepath.Join(dir, "absent.mfl"), "no such file"},
		{write("trunc.mfl", data[:len(data)/2]), "truncated"},
		{write("flip.mfl", flipped), "checksum"},
		{write("junk.mfl", []byte("hello world, not a model")), "not an mflowlab checkpoint"},
		{otherPath, "not an image M-Flow"},
		{missingPath, "missing"},
		{badHHPath, "Householder"},
		{badCfgPath, "manifold dimension"},
	}
	for _, c := range cases {
		_, err := Load(c.path)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one mentioning %q", filepath.Base(c.path), err, c.want)
			continue
		}
		if !strings.Contains(err.Error(), filepath.Base(c.path)) {
			t.Errorf("error %q does not name the file", err)
		}
	}
	// a NaN parameter is refused at save time and leaves no file behind
	m.P[0] = float32(math.NaN())
	nanPath := filepath.Join(dir, "nan.mfl")
	if err := m.Save(nanPath); err == nil {
		t.Error("saved a NaN parameter")
	}
	if _, err := os.Stat(nanPath); !os.IsNotExist(err) {
		t.Error("a refused save left a file")
	}
}

// TestTrain: training lowers the reconstruction error below the chart's, keeps the best
// validation epoch, and gives bit-identical parameters whatever the number of workers.
func TestTrain(t *testing.T) {
	cfg := smallConfig()
	x := curvedImages(200, cfg.N(), 13)
	ev := curvedImages(60, cfg.N(), 14)
	tc := TrainConfig{Epochs: 4, Batch: 32, LR: 3e-3, InnerLR: 1e-2, ValShare: 0.2, Seed: 5}
	var models []*Model
	for _, workers := range []int{1, 3} {
		m, err := New(cfg, x, 13, nil)
		if err != nil {
			t.Fatal(err)
		}
		m.Workers = workers
		var last Progress
		if err := m.Train(context.Background(), x, ev, tc, func(p Progress) { last = p }); err != nil {
			t.Fatal(err)
		}
		if !last.EpochEnd || last.Epoch != 4 || last.Step != last.Steps {
			t.Errorf("last progress %+v", last)
		}
		models = append(models, m)
	}
	if maxAbsDiff(models[0].P, models[1].P) != 0 {
		t.Error("training depends on the number of workers")
	}
	info := models[0].Info
	if !(info.EvalMSE < info.ChartMSE) || info.BestEpoch < 1 {
		t.Errorf("training did not improve on the chart: %+v", info)
	}
	if !finite(info.NLLPerDim) {
		t.Errorf("density phase NLL %v", info.NLLPerDim)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := models[0].Train(ctx, x, ev, tc, nil); err != context.Canceled {
		t.Errorf("cancelled training returned %v", err)
	}
	bad := x.Clone()
	bad.Data[5] = 2
	if err := models[0].Train(context.Background(), bad, ev, tc, nil); err == nil || !strings.Contains(err.Error(), "[0, 1]") {
		t.Errorf("pixel 2 accepted: %v", err)
	}
}

// curvedImages returns images on a curved 4-dimensional family: each pixel is a fixed
// function of a linear combination l of the latents, 0.5 + 0.15·l + 0.12·(l² − 1), so what
// a linear chart misses is predictable pixel by pixel from what it keeps.
func curvedImages(rows, n int, seed uint64) nn.Mat {
	rng := rand.New(rand.NewPCG(99, 1)) // the family is fixed; seed draws the images
	const k = 4
	a := make([]float64, n*k)
	for i := range a {
		a[i] = rng.NormFloat64() / math.Sqrt(k)
	}
	rng = rand.New(rand.NewPCG(seed, 2))
	x := nn.NewMat(rows, n)
	var s [k]float64
	for r := 0; r < rows; r++ {
		for j := range s {
			s[j] = rng.NormFloat64()
		}
		for i := 0; i < n; i++ {
			var l float64
			for j, sj := range s {
				l += a[i*k+j] * sj
			}
			x.Data[r*n+i] = float32(min(max(0.5+0.15*l+0.12*(l*l-1)+0.01*rng.NormFloat64(), 0), 1))
		}
	}
	return x
}
