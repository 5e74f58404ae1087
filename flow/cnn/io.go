package cnn

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"slices"
	"strings"

	"github.com/mflowlab/mflowlab/flow/ckpt"
	"github.com/mflowlab/mflowlab/flow/torchpt"
)

// Kind is the native checkpoint kind of a CNN.
const Kind = "cnn"

// Arch names the architecture in checkpoint metadata.
const Arch = "cifar10-yardstick"

type meta struct {
	Arch    string             `json:"arch"`
	Classes int                `json:"classes"`
	Mean    [Channels]float32  `json:"mean"`
	Std     [Channels]float32  `json:"std"`
	Shapes  map[string][]int   `json:"shapes"`
	Info    map[string]float64 `json:"info,omitempty"`
}

// Save writes the model to path in the native checkpoint format (one array per state_dict
// tensor), atomically. info, when not nil, is stored with it (e.g. epochs, eval accuracy).
func (m *Model) Save(path string, info map[string]float64) error {
	if err := m.check(); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	mean, std := Normalisation()
	mt := meta{Arch: Arch, Classes: Classes, Mean: mean, Std: std, Shapes: map[string][]int{}, Info: info}
	f := &ckpt.File{Kind: Kind}
	for _, s := range m.Layout.Specs {
		mt.Shapes[s.Name] = s.Shape
		f.Arrays = append(f.Arrays, ckpt.Array{Name: s.Name, Data: s.View(m.P)})
	}
	raw, err := json.Marshal(mt)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	f.Meta = raw
	return ckpt.Write(path, f)
}

// check reports a model whose parameters cannot be saved.
func (m *Model) check() error {
	if len(m.P) != m.Layout.Len {
		return fmt.Errorf("model has %d parameters, the layout needs %d", len(m.P), m.Layout.Len)
	}
	if err := m.Layout.CheckFinite(m.P); err != nil {
		return fmt.Errorf("cannot save: %w", err)
	}
	return nil
}

// Load reads a CNN from a native checkpoint (Save) or a PyTorch state_dict (.pt, as
// torch.save(model.state_dict()) writes it), telling them apart by content. Errors name the
// file and the problem: corrupt or truncated files, another kind of model, missing or
// misshapen tensors, NaN or infinite values.
func Load(path string) (*Model, error) {
	if st, err := os.Stat(path); err != nil {
		return nil, err
	} else if st.IsDir() {
		return nil, fmt.Errorf("%s: a folder, not a checkpoint", path)
	}
	if ckpt.IsNative(path) {
		return loadNative(path)
	}
	return ImportPyTorch(path)
}

// LoadInfo reads a native checkpoint's stored info (nil for a .pt or when none was saved).
func LoadInfo(path string) (map[string]float64, error) {
	if !ckpt.IsNative(path) {
		return nil, nil
	}
	f, err := ckpt.Read(path)
	if err != nil {
		return nil, err
	}
	var mt meta
	if err := json.Unmarshal(f.Meta, &mt); err != nil {
		return nil, fmt.Errorf("%s: malformed CNN metadata: %v", path, err)
	}
	return mt.Info, nil
}

func loadNative(path string) (*Model, error) {
	f, err := ckpt.Read(path)
	if err != nil {
		return nil, err
	}
	if f.Kind != Kind {
		return nil, fmt.Errorf("%s: holds a %q model, not a CNN: %w", path, f.Kind, ckpt.ErrKind)
	}
	var mt meta
	if err := json.Unmarshal(f.Meta, &mt); err != nil {
		return nil, fmt.Errorf("%s: malformed CNN metadata: %v", path, err)
	}
	mean, std := Normalisation()
	if mt.Arch != Arch || mt.Classes != Classes || mt.Mean != mean || mt.Std != std {
		return nil, fmt.Errorf("%s: a %q CNN with %d classes and normalisation %v/%v; this mflowlab knows %q with %d classes and %v/%v",
			path, mt.Arch, mt.Classes, mt.Mean, mt.Std, Arch, Classes, mean, std)
	}
	m := NewArch()
	for _, s := range m.Layout.Specs {
		v, ok := f.Get(s.Name)
		if !ok {
			return nil, fmt.Errorf("%s: missing tensor %s", path, s.Name)
		}
		if len(v) != s.Size() {
			return nil, fmt.Errorf("%s: tensor %s has %d values, want %d (shape %v)", path, s.Name, len(v), s.Size(), s.Shape)
		}
		copy(s.View(m.P), v)
	}
	if len(f.Arrays) != len(m.Layout.Specs) {
		var extra []string
		for _, a := range f.Arrays {
			if _, ok := m.Layout.Lookup(a.Name); !ok {
				extra = append(extra, a.Name)
			}
		}
		if len(extra) == 0 {
			return nil, fmt.Errorf("%s: %d tensors for %d names (duplicates)", path, len(f.Arrays), len(m.Layout.Specs))
		}
		return nil, fmt.Errorf("%s: unexpected tensors %s", path, list(extra))
	}
	if err := m.Layout.CheckFinite(m.P); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

// ImportPyTorch builds the model from a PyTorch state_dict of the yardstick architecture
// (cifar.md section 2: c1, c2, c3 Conv2d and f1, f2 Linear weights and biases). Missing,
// unexpected or misshapen tensors and non-finite values are reported with the file name.
func ImportPyTorch(path string) (*Model, error) {
	sd, err := torchpt.Load(path)
	if err != nil {
		return nil, err
	}
	m := NewArch()
	var missing, extra []string
	for _, s := range m.Layout.Specs {
		if _, ok := sd.Tensors[s.Name]; !ok {
			missing = append(missing, s.Name)
		}
	}
	for _, k := range sd.Keys {
		if _, ok := m.Layout.Lookup(k); !ok {
			extra = append(extra, k)
		}
	}
	if len(missing) > 0 || len(extra) > 0 {
		msg := fmt.Sprintf("%s: not a state_dict of the CIFAR-10 yardstick CNN (c1, c2, c3 conv; f1, f2 linear)", path)
		if len(missing) > 0 {
			msg += "; missing " + list(missing)
		}
		if len(extra) > 0 {
			msg += "; unexpected " + list(extra)
		}
		return nil, fmt.Errorf("%s", msg)
	}
	for _, s := range m.Layout.Specs {
		t := sd.Tensors[s.Name]
		if !slices.Equal(t.Shape, s.Shape) {
			return nil, fmt.Errorf("%s: %s has shape %v, want %v", path, s.Name, t.Shape, s.Shape)
		}
		v, err := sd.Float(s.Name, s.Shape...)
		if err != nil {
			return nil, err
		}
		for i, x := range v {
			if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
				return nil, fmt.Errorf("%s: %s[%d] is %v", path, s.Name, i, x)
			}
		}
		copy(s.View(m.P), v)
	}
	return m, nil
}

func list(names []string) string {
	if len(names) > 6 {
		return strings.Join(names[:6], ", ") + fmt.Sprintf(", … (%d in all)", len(names))
	}
	return strings.Join(names, ", ")
}

// ExportPyTorch writes the model to path as torch.save(model.state_dict()) of the PyTorch
// twin (../bench/torch_cifar.py's CNN) does, atomically: float32 tensors c1.weight … f2.bias
// with the modules' metadata, so that torch.load and load_state_dict read it.
func ExportPyTorch(path string, m *Model) error {
	if m == nil {
		return fmt.Errorf("%s: no model to export", path)
	}
	if err := m.check(); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	tensors := make([]torchpt.Tensor, 0, len(m.Layout.Specs))
	for _, s := range m.Layout.Specs {
		tensors = append(tensors, torchpt.Tensor{Name: s.Name, DType: "float32", Shape: s.Shape, F32: append([]float32(nil), s.View(m.P)...)})
	}
	modules := []torchpt.Module{{Name: "", Version: 1}}
	for _, n := range []string{"c1", "c2", "c3", "f1", "f2"} {
		modules = append(modules, torchpt.Module{Name: n, Version: 1})
	}
	return torchpt.Write(path, tensors, modules)
}
