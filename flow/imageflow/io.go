package imageflow

import (
	"encoding/json"
	"fmt"
	"math"

	"github.com/mflowlab/mflowlab/flow/ckpt"
	"github.com/mflowlab/mflowlab/flow/nn"
)

// Kind is the native checkpoint kind of an image M-Flow.
const Kind = "imageflow"

// Names of the basis arrays in a checkpoint (the trainable parameters follow under their
// layout names, e.g. "coupling.net.0.weight", "inner_transform.scale").
const (
	arrayMean        = "basis.mean"
	arrayHouseholder = "basis.householder"
)

type meta struct {
	Config Config `json:"config"`
	Info   Info   `json:"info"`
}

// Save writes the model to path in the native checkpoint format, atomically (a temporary
// file renamed into place, so path never holds half a model).
func (m *Model) Save(path string) error {
	if len(m.P) != m.Layout.Len {
		return fmt.Errorf("%s: model has %d parameters, its layout needs %d", path, len(m.P), m.Layout.Len)
	}
	if err := m.Layout.CheckFinite(m.P); err != nil {
		return fmt.Errorf("%s: cannot save: %v", path, err)
	}
	info := m.Info
	for _, p := range []*float64{&info.Seconds, &info.ValMSE, &info.EvalMSE, &info.ChartMSE, &info.NLLPerDim} {
		if !finite(*p) {
			*p = -1 // JSON has no NaN; −1 marks "not measured"
		}
	}
	raw, err := json.Marshal(meta{Config: m.Cfg, Info: info})
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	f := &ckpt.File{Kind: Kind, Meta: raw, Arrays: []ckpt.Array{
		{Name: arrayMean, Data: m.Basis.Mean},
		{Name: arrayHouseholder, Data: m.Basis.Y.Data},
	}}
	for _, s := range m.Layout.Specs {
		f.Arrays = append(f.Arrays, ckpt.Array{Name: s.Name, Data: s.View(m.P)})
	}
	return ckpt.Write(path, f)
}

// Load reads an image M-Flow checkpoint written by Save. Errors name the file and the
// problem: not a checkpoint, another kind, corruption or truncation (checksum), an invalid
// configuration, missing or misshapen arrays, non-finite values.
func Load(path string) (*Model, error) {
	f, err := ckpt.Read(path)
	if err != nil {
		return nil, err
	}
	fail := func(format string, a ...any) (*Model, error) {
		return nil, fmt.Errorf("%s: %s", path, fmt.Sprintf(format, a...))
	}
	if f.Kind != Kind {
		return fail("a %q checkpoint, not an image M-Flow (%q)", f.Kind, Kind)
	}
	var mt meta
	if err := json.Unmarshal(f.Meta, &mt); err != nil {
		return fail("malformed metadata: %v", err)
	}
	cfg := mt.Config
	if err := cfg.Validate(); err != nil {
		return fail("%v", err)
	}
	n, d := cfg.N(), cfg.D
	get := func(name string, want int) ([]float32, error) {
		v, ok := f.Get(name)
		if !ok {
			return nil, fmt.Errorf("%s: array %q is missing", path, name)
		}
		if len(v) != want {
			return nil, fmt.Errorf("%s: array %q has %d values, want %d", path, name, len(v), want)
		}
		for i, x := range v {
			if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
				return nil, fmt.Errorf("%s: array %q holds %v at %d", path, name, x, i)
			}
		}
		return v, nil
	}
	mean, err := get(arrayMean, n)
	if err != nil {
		return nil, err
	}
	hh, err := get(arrayHouseholder, d*n)
	if err != nil {
		return nil, err
	}
	b, err := basisFromHouseholder(mean, nn.MatFrom(d, n, hh))
	if err != nil {
		return fail("%v", err)
	}
	m, err := build(cfg, b)
	if err != nil {
		return fail("%v", err)
	}
	for _, s := range m.Layout.Specs {
		v, err := get(s.Name, s.Size())
		if err != nil {
			return nil, err
		}
		copy(s.View(m.P), v)
	}
	m.Info = mt.Info
	m.Prepare()
	return m, nil
}
