package scene

import (
	"testing"

	"github.com/mflowlab/mflowlab/attack"
	"github.com/mflowlab/mflowlab/flow"
	"github.com/mflowlab/mflowlab/flow/classify"
	"github.com/mflowlab/mflowlab/sim/spirals"
	"github.com/mflowlab/mflowlab/ui/plane"
)

// benchInputs is a full 1280×800 scene: a random flow of the given
// architecture, a classifier of the original size (W = 128, K = 4), the
// 20 000-point data set, every layer and two probes under a 20-step PGD.
func benchInputs(b *testing.B, cfg flow.Config) Inputs {
	f, err := flow.New(cfg, 1)
	if err != nil {
		b.Fatal(err)
	}
	clf, err := classify.New(2, 128, 4, 2, 1)
	if err != nil {
		b.Fatal(err)
	}
	ds, err := spirals.Generate(20000, 3, 1.2, 1)
	if err != nil {
		b.Fatal(err)
	}
	return Inputs{
		Flow: f, FlowVersion: 1, Clf: clf, ClfVersion: 1, Data: ds, DataVersion: 1,
		View:   plane.Fit(-2.3, 2.3, -2.3, 2.3, 1280, 800, 16),
		Layers: plane.LayerAll,
		Probes: []ProbeInput{{ID: 1, X: [2]float64{0.2, 0.62}}, {ID: 2, X: [2]float64{-0.45, 0.1}}},
		Attack: attack.Params{Kind: attack.PGD, Eps: 0.12, Alpha: 0.015, Steps: 20},
	}
}

var benchConfigs = []struct {
	name string
	cfg  flow.Config
}{{"live", flow.LiveConfig()}, {"original", flow.OriginalConfig()}}

// BenchmarkBuildFull computes every layer from scratch.
func BenchmarkBuildFull(b *testing.B) {
	for _, bc := range benchConfigs {
		b.Run(bc.name, func(b *testing.B) {
			in := benchInputs(b, bc.cfg)
			c0 := processCPU()
			for b.Loop() {
				if r := Build(in); r.Err != nil {
					b.Fatal(r.Err)
				}
			}
			reportCPU(b, c0)
		})
	}
}

// BenchmarkProbeUpdate is the worker's work when only a probe moved: the
// probes are attacked again, every other layer comes from the cache.
func BenchmarkProbeUpdate(b *testing.B) {
	for _, bc := range benchConfigs {
		for _, adaptive := range []bool{false, true} {
			name := bc.name
			if adaptive {
				name += "-adaptive"
			}
			b.Run(name, func(b *testing.B) {
				in := benchInputs(b, bc.cfg)
				in.Adaptive = adaptive
				var c cache
				c.build(&in, nil)
				i := 0
				c0 := processCPU()
				for b.Loop() {
					i++
					in.Probes = []ProbeInput{{ID: 1, X: [2]float64{0.2 + 1e-3*float64(i%100), 0.62}}, in.Probes[1]}
					c.build(&in, nil)
				}
				reportCPU(b, c0)
			})
		}
	}
}

// BenchmarkDraftPan is the worker's work per frame while the view is
// dragged: Draft quality, the view moved by a few pixels.
func BenchmarkDraftPan(b *testing.B) {
	for _, bc := range benchConfigs {
		b.Run(bc.name, func(b *testing.B) {
			in := benchInputs(b, bc.cfg)
			var c cache
			c.build(&in, nil)
			in.Quality = Draft
			c0 := processCPU()
			for b.Loop() {
				in.View = in.View.Pan(3, 1)
				c.build(&in, nil)
			}
			reportCPU(b, c0)
		})
	}
}

// BenchmarkLayer times the computation of each layer on its own at Full
// quality (the latent geometry is per flow version, the fit per view).
func BenchmarkLayer(b *testing.B) {
	for _, bc := range benchConfigs {
		in := benchInputs(b, bc.cfg)
		var warm cache
		warm.build(&in, nil)
		for _, l := range []struct {
			name string
			run  func(c *cache)
		}{
			{"heat", func(c *cache) { c.compute(layerHeat, &in, nil) }},
			{"geom", func(c *cache) { newLatentGeom(in.Flow, in.Data, nil) }},
			{"fit", func(c *cache) { c.compute(layerFit, &in, nil) }},
			{"traj", func(c *cache) { c.compute(layerTraj, &in, nil) }},
			{"dens", func(c *cache) { c.compute(layerDens, &in, nil) }},
		} {
			b.Run(bc.name+"/"+l.name, func(b *testing.B) {
				c := warm
				c0 := processCPU()
				for b.Loop() {
					l.run(&c)
				}
				reportCPU(b, c0)
			})
		}
	}
}

// reportCPU adds the process CPU time per operation since c0, which on a
// busy machine says more than the wall time.
func reportCPU(b *testing.B, c0 int64) {
	b.ReportMetric(float64(processCPU()-c0)/1e6/float64(b.N), "cpu-ms/op")
}
