package main

import (
	"flag"
	"fmt"
	"math/rand/v2"

	"github.com/mflowlab/mflowlab/flow"
	"github.com/mflowlab/mflowlab/sim/quality"
	"github.com/mflowlab/mflowlab/sim/run"
	"github.com/mflowlab/mflowlab/sim/spirals"
)

func main() {
	seed := flag.Uint64("seed", 1, "")
	steps := flag.Int("steps", 5000, "")
	every := flag.Int("every", 400, "")
	patience := flag.Int("patience", 2, "")
	sigma := flag.Float64("sigma", 0.2, "")
	flag.Parse()
	ds, _ := spirals.Generate(4000, 3, 1.2, 1)
	data, _ := run.FromDataset(ds)
	set, _ := run.RecipeSettings("live", "joint")
	c := set.Train
	m, _ := flow.New(set.Flow, *seed)
	curve, _ := quality.SpiralCurve(1.2, 10000)
	meter := quality.NewMeter(curve)
	dataOnly := quality.NewMeter(nil)
	rng := rand.New(rand.NewPCG(*seed, 99))
	best := append([]float32(nil), m.P...)
	bestD := 1e9
	stall := 0
	restart := 0
	c.Seed = *seed
	tr, _ := flow.NewTrainer(m, data, c)
	tr.SetSerial(true)
	for i := 1; i <= *steps; i++ {
		if _, err := tr.Step(); err != nil {
			copy(m.P, best)
		}
		if i%*every == 0 {
			r := dataOnly.Measure(m, data)
			if r.D2M95 < bestD {
				bestD = r.D2M95
				copy(best, m.P)
				stall = 0
			} else {
				stall++
			}
			if stall >= *patience && bestD > 0.05 {
				copy(m.P, best)
				for j := range m.P {
					m.P[j] *= float32(1 + *sigma*rng.NormFloat64())
				}
				restart++
				c.Seed = *seed*1000 + uint64(restart)
				tr, _ = flow.NewTrainer(m, data, c)
				tr.SetSerial(true)
				stall = 0
			}
		}
	}
	copy(m.P, best)
	r := meter.Measure(m, data)
	fmt.Printf("hop sigma %.2f seed %d restarts %d best d2m95 %.3f core %.3f %s\n", *sigma, *seed, restart, r.D2M95, r.M2D95Core, r.Verdict)
}
