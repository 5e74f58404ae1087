package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/mflowlab/mflowlab/flow"
	"github.com/mflowlab/mflowlab/sim/quality"
	"github.com/mflowlab/mflowlab/sim/run"
	"github.com/mflowlab/mflowlab/sim/spirals"
)

func main() {
	seed := flag.Uint64("seed", 1, "")
	steps := flag.Int("steps", 2000, "")
	every := flag.Int("every", 200, "")
	recipe := flag.String("recipe", "geodesic", "")
	warm := flag.Int("warm", -1, "")
	anchor := flag.Float64("anchor", -1, "")
	finelr := flag.Float64("finelr", -1, "")
	vw := flag.Float64("vw", -1, "")
	mode := flag.Int("mode", 0, "")
	nll := flag.Float64("nll", -1, "")
	batch := flag.Int("batch", 0, "")
	cyc := flag.Int("cycle", 0, "")
	gcap := flag.Float64("gcap", 0, "")
	deps := flag.Float64("deps", 0, "")
	vscale := flag.Float64("vscale", 0, "")
	hid := flag.Int("hidden", 0, "")
	ss := flag.Int("S", 0, "")
	bins := flag.Int("bins", 0, "")
	bound := flag.Float64("bound", 0, "")
	lr := flag.Float64("lr", -1, "")
	flag.Parse()
	ds, _ := spirals.Generate(4000, 3, 1.2, 1)
	data, _ := run.FromDataset(ds)
	s, err := run.RecipeSettings("live", *recipe)
	if err != nil {
		panic(err)
	}
	c := s.Train
	c.Seed = *seed
	if *warm >= 0 {
		c.Warm = *warm
	}
	if *anchor >= 0 {
		c.Anchor = *anchor
	}
	if *finelr >= 0 {
		c.FineLR = *finelr
	}
	if *vw >= 0 {
		c.VWeight = *vw
	}
	c.WarmMode = *mode
	if *nll >= 0 {
		c.NLLWeight = *nll
	}
	if *batch > 0 {
		c.Batch = *batch
	}
	c.Cycle = *cyc
	c.GapCap = *gcap
	c.DistEps = *deps
	c.VScale = *vscale
	if *lr >= 0 {
		c.LR = *lr
	}
	if *hid > 0 {
		s.Flow.Hidden = *hid
	}
	if *ss > 0 {
		s.Flow.Steps = *ss
	}
	if *bins > 0 {
		s.Flow.Bins = *bins
	}
	if *bound > 0 {
		s.Flow.TailBound = *bound
	}
	m, _ := flow.New(s.Flow, *seed)
	tr, err := flow.NewTrainer(m, data, c)
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	tr.SetSerial(true)
	curve, _ := quality.SpiralCurve(1.2, 10000)
	meter := quality.NewMeter(curve)
	var last flow.StepInfo
	for i := 1; i <= *steps; i++ {
		info, err := tr.Step()
		if err != nil {
			fmt.Println(err)
			break
		}
		last = info
		if i%*every == 0 || i == c.Warm {
			r := meter.Measure(m, data)
			fmt.Printf("seed %d step %5d %-10s loss %8.4f  d2m95 %.3f core %.3f %s\n", *seed, i, info.Phase, info.Loss, r.D2M95, r.M2D95Core, r.Verdict)
		}
	}
	_ = last
}
