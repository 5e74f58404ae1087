package scene

import (
	"math"

	"github.com/mflowlab/mflowlab/flow"
	"github.com/mflowlab/mflowlab/flow/nn"
	"github.com/mflowlab/mflowlab/ui/plane"
)

// The projection field: about fieldStarts start points on a square
// lattice over the view, each with a path of pathSteps steps to the
// manifold, computed fieldBatch paths at a time.
const (
	fieldStarts = 160
	pathSteps   = 40
	fieldBatch  = 48
)

// FieldStartPoints returns start points for projection trajectories over
// view v: the cell centres of a lattice of about n square cells.
func FieldStartPoints(v plane.Viewport, n int) nn.Mat {
	w, h := float64(max(v.W, 1)), float64(max(v.H, 1))
	s := math.Sqrt(w * h / float64(max(n, 1)))
	nx, ny := max(1, int(math.Round(w/s))), max(1, int(math.Round(h/s)))
	pts := nn.NewMat(nx*ny, 2)
	for j := 0; j < ny; j++ {
		for i := 0; i < nx; i++ {
			x, y := v.ToData((float64(i)+0.5)*w/float64(nx), (float64(j)+0.5)*h/float64(ny))
			pts.Set(j*nx+i, 0, float32(x))
			pts.Set(j*nx+i, 1, float32(y))
		}
	}
	return pts
}

// projectionField returns the projection trajectories of view v, cut to
// the view's surroundings, or ok = false if stopped between batches.
func projectionField(f *flow.MFlow, v plane.Viewport, stop func() bool) (paths [][]float32, ok bool) {
	starts := FieldStartPoints(v, fieldStarts)
	b := cutBox(v)
	k := pathSteps + 1
	for r0 := 0; r0 < starts.Rows; r0 += fieldBatch {
		if stop != nil && stop() {
			return nil, false
		}
		r1 := min(starts.Rows, r0+fieldBatch)
		p := f.ProjectionPaths(starts.Slice(r0, r1), pathSteps)
		for i := 0; i < r1-r0; i++ {
			if c := cut(p.Data[2*i*k:2*(i+1)*k], b); len(c) > 0 {
				paths = append(paths, c)
			}
		}
	}
	return paths, true
}
