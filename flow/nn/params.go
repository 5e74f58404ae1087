package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// ParamSpec names one parameter tensor inside a flat parameter vector.
type ParamSpec struct {
	Name  string // e.g. the PyTorch state-dict key
	Shape []int
	Off   int // offset into the flat vector
}

// Size is the number of values in the tensor.
func (s ParamSpec) Size() int {
	n := 1
	for _, d := range s.Shape {
		n *= d
	}
	return n
}

// Layout describes how a model's parameters are laid out in one flat []float32. Keeping all
// parameters in one vector makes snapshots, gradients, Adam and checkpoints single copies.
type Layout struct {
	Specs []ParamSpec
	Len   int
	index map[string]int
}

// Add appends a tensor of the given shape and returns its spec.
func (l *Layout) Add(name string, shape ...int) ParamSpec {
	if l.index == nil {
		l.index = map[string]int{}
	}
	if _, dup := l.index[name]; dup {
		panic("nn: duplicate parameter " + name)
	}
	s := ParamSpec{Name: name, Shape: append([]int(nil), shape...), Off: l.Len}
	l.index[name] = len(l.Specs)
	l.Specs = append(l.Specs, s)
	l.Len += s.Size()
	return s
}

// Lookup returns the spec named name.
func (l *Layout) Lookup(name string) (ParamSpec, bool) {
	i, ok := l.index[name]
	if !ok {
		return ParamSpec{}, false
	}
	return l.Specs[i], true
}

// View returns the part of the flat vector v that belongs to s.
func (s ParamSpec) View(v []float32) []float32 { return v[s.Off : s.Off+s.Size()] }

// InitUniform fills s's part of v with uniform values in (-bound, bound).
func (s ParamSpec) InitUniform(v []float32, bound float64, rng *rand.Rand) {
	for i := range s.View(v) {
		v[s.Off+i] = float32((2*rng.Float64() - 1) * bound)
	}
}

// CheckFinite returns an error naming the first parameter that holds NaN or ±Inf.
func (l *Layout) CheckFinite(v []float32) error {
	for _, s := range l.Specs {
		for i, x := range s.View(v) {
			if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
				return fmt.Errorf("parameter %s[%d] is %v", s.Name, i, x)
			}
		}
	}
	return nil
}

// Norm returns the Euclidean norm of v, accumulated in float64.
func Norm(v []float32) float64 {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	return math.Sqrt(s)
}
