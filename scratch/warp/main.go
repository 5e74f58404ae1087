package main

import (
	"flag"
	"fmt"
	"math"

	"github.com/mflowlab/mflowlab/flow"
	"github.com/mflowlab/mflowlab/flow/nn"
	"github.com/mflowlab/mflowlab/sim/quality"
	"github.com/mflowlab/mflowlab/sim/run"
	"github.com/mflowlab/mflowlab/sim/spirals"
)

// radial warp about c: x -> c + (x-c) * k * asinh(r/s)*s/r
func warp(x nn.Mat, cx, cy, s, k float64, inv bool) nn.Mat {
	o := nn.NewMat(x.Rows, 2)
	for i := 0; i < x.Rows; i++ {
		dx, dy := float64(x.Data[2*i])-cx, float64(x.Data[2*i+1])-cy
		r := math.Hypot(dx, dy)
		f := 1.0
		if r > 0 {
			if !inv {
				f = k * s * math.Asinh(r/s) / r
			} else {
				f = s * math.Sinh(r/(k*s)) / r
			}
		} else if !inv {
			f = k
		} else {
			f = 1 / k
		}
		o.Data[2*i] = float32(cx + dx*f)
		o.Data[2*i+1] = float32(cy + dy*f)
	}
	return o
}

func main() {
	seed := flag.Uint64("seed", 1, "")
	steps := flag.Int("steps", 4000, "")
	sc := flag.Float64("s", 0.2, "")
	flag.Parse()
	ds, _ := spirals.Generate(4000, 3, 1.2, 1)
	data, _ := run.FromDataset(ds)
	var cx, cy, rr float64
	for i := 0; i < data.Rows; i++ {
		cx += float64(data.Data[2*i])
		cy += float64(data.Data[2*i+1])
	}
	cx /= float64(data.Rows)
	cy /= float64(data.Rows)
	for i := 0; i < data.Rows; i++ {
		rr += math.Pow(float64(data.Data[2*i])-cx, 2) + math.Pow(float64(data.Data[2*i+1])-cy, 2)
	}
	rms := math.Sqrt(rr / float64(data.Rows))
	s := *sc * rms
	// k keeps the warped data's rms radius about the same
	k := rms / (s * math.Asinh(rms/s))
	wd := warp(data, cx, cy, s, k, false)
	set, _ := run.RecipeSettings("live", "joint")
	c := set.Train
	c.Seed = *seed
	m, _ := flow.New(set.Flow, *seed)
	tr, _ := flow.NewTrainer(m, wd, c)
	tr.SetSerial(true)
	curve, _ := quality.SpiralCurve(1.2, 10000)
	meter := quality.NewMeter(curve)
	for i := 1; i <= *steps; i++ {
		if _, err := tr.Step(); err != nil {
			fmt.Println(err)
			return
		}
		if i%1000 == 0 {
			pw := m.Project(wd)
			p := warp(pw, cx, cy, s, k, true)
			d := make([]float64, data.Rows)
			for j := range d {
				d[j] = math.Hypot(float64(p.Data[2*j]-data.Data[2*j]), float64(p.Data[2*j+1]-data.Data[2*j+1]))
			}
			d2m := quality.Percentile(d, 0.95)
			h, _ := m.OuterForward(wd)
			lo, hi := math.Inf(1), math.Inf(-1)
			for j := 0; j < h.Rows; j++ {
				lo, hi = math.Min(lo, float64(h.Data[2*j])), math.Max(hi, float64(h.Data[2*j]))
			}
			T := 20000
			lat := nn.NewMat(T, 2)
			for j := 0; j < T; j++ {
				lat.Data[2*j] = float32(lo + (hi-lo)*float64(j)/float64(T-1))
			}
			cw, _ := m.OuterInverse(lat)
			cv := warp(cw, cx, cy, s, k, true)
			core := meter.CurveDistance(cv.Data)
			fmt.Printf("warp s=%.2f seed %d step %d d2m95 %.3f core %.3f\n", *sc, *seed, i, d2m, core)
		}
	}
}
