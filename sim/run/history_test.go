package run

import (
	"math"
	"testing"
)

func TestHistoryBoundedAndDownsampled(t *testing.T) {
	b := newHistBuilder()
	b.setVal(7)
	const steps = 10*MaxHistory + 5
	var views []*History
	for s := 1; s <= steps; s++ {
		b.add(s, float64(s), float64(s)/100, math.NaN(), 1)
		if s%997 == 0 {
			v := b.view()
			views = append(views, v)
			_ = v.Points()
		}
	}
	h := b.view()
	if h.Len() > MaxHistory || h.Len() < MaxHistory/2 {
		t.Fatalf("history holds %d points, want between %d and %d", h.Len(), MaxHistory/2, MaxHistory)
	}
	st := h.Stride()
	// full at 2048 steps (stride 2), 4096 (4), 8192 (8), 16384 (16)
	if st != 16 || h.Len() != MaxHistory/2+(steps-16384)/16 {
		t.Fatalf("stride %d and %d points after %d steps, want 16 and %d", st, h.Len(), steps, MaxHistory/2+(steps-16384)/16)
	}
	// point i covers steps (i·st, (i+1)·st]; its loss is their mean
	for i := 0; i < h.Len(); i++ {
		p := h.At(i)
		if p.Step != (i+1)*st {
			t.Fatalf("point %d ends at step %d, want %d", i, p.Step, (i+1)*st)
		}
		if want := float64(i*st) + float64(st+1)/2; math.Abs(p.Loss-want) > 1e-9 || math.Abs(p.MSE-want/100) > 1e-9 {
			t.Fatalf("point %d: loss %v mse %v, want %v", i, p.Loss, p.MSE, want)
		}
		if !math.IsNaN(p.NLL) || p.ValLoss != 7 || p.GradNorm != 1 {
			t.Fatalf("point %d: %+v", i, p)
		}
	}
	// earlier views are unchanged
	for _, v := range views {
		for i := 1; i < v.Len(); i++ {
			if v.At(i).Step-v.At(i-1).Step != v.Stride() {
				t.Fatalf("an earlier view changed: stride %d, steps %d, %d", v.Stride(), v.At(i-1).Step, v.At(i).Step)
			}
		}
	}
	var nilH *History
	if nilH.Len() != 0 || nilH.Points() != nil || nilH.Stride() != 1 {
		t.Fatal("nil history is not empty")
	}
}
