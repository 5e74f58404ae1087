package classify

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/mflowlab/mflowlab/flow/ckpt"
	"github.com/mflowlab/mflowlab/flow/torchpt"
)

// Kind is the native checkpoint kind of a classifier.
const Kind = "classifier"

type meta struct {
	In      int        `json:"in"`
	Width   int        `json:"width"`
	Depth   int        `json:"depth"`
	Classes int        `json:"classes"`
	Output  OutputKind `json:"output"`
}

// Save writes the model to path in the native checkpoint format, atomically.
func (m *MLP) Save(path string) error {
	f, err := m.file()
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return ckpt.Write(path, f)
}

// Encode writes the model to w in the native checkpoint format, as Save stores it.
func (m *MLP) Encode(w io.Writer) error {
	f, err := m.file()
	if err != nil {
		return err
	}
	return ckpt.Encode(w, f)
}

// file returns the model as a native checkpoint container.
func (m *MLP) file() (*ckpt.File, error) {
	if len(m.P) != m.Layout.Len {
		return nil, fmt.Errorf("model has %d parameters, layout needs %d", len(m.P), m.Layout.Len)
	}
	raw, err := json.Marshal(meta{In: m.In, Width: m.Width, Depth: m.Depth, Classes: m.Classes, Output: m.Output})
	if err != nil {
		return nil, err
	}
	return &ckpt.File{Kind: Kind, Meta: raw, Arrays: []ckpt.Array{{Name: "params", Data: m.P}}}, nil
}

// Load reads a native classifier checkpoint written by Save. Errors name the file and the
// problem (another model kind wraps ckpt.ErrKind).
func Load(path string) (*MLP, error) {
	f, err := ckpt.Read(path)
	if err != nil {
		return nil, err
	}
	return fromFile(path, f)
}

// Parse decodes a native classifier checkpoint held in memory (e.g. an embedded asset); name
// is used in error messages.
func Parse(name string, data []byte) (*MLP, error) {
	f, err := ckpt.Parse(name, data)
	if err != nil {
		return nil, err
	}
	return fromFile(name, f)
}

func fromFile(path string, f *ckpt.File) (*MLP, error) {
	if f.Kind != Kind {
		return nil, fmt.Errorf("%s: holds a %q model, not a classifier: %w", path, f.Kind, ckpt.ErrKind)
	}
	var mt meta
	if err := json.Unmarshal(f.Meta, &mt); err != nil {
		return nil, fmt.Errorf("%s: malformed classifier metadata: %v", path, err)
	}
	m, err := newArch(mt.In, mt.Width, mt.Depth, mt.Classes, mt.Output)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	p, ok := f.Get("params")
	if !ok || len(p) != m.Layout.Len {
		return nil, fmt.Errorf("%s: parameter array has %d values, %v needs %d", path, len(p), m, m.Layout.Len)
	}
	if err := m.Layout.CheckFinite(p); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	m.P = p
	return m, nil
}

// LoadAny reads either a native checkpoint or an original PyTorch state_dict, telling them
// apart by content.
func LoadAny(path string) (*MLP, error) {
	if ckpt.IsNative(path) {
		return Load(path)
	}
	return ImportPyTorch(path)
}

// ImportPyTorch builds a classifier from an original state_dict: Linear layers
// layers.{i}.weight [out, in] and layers.{i}.bias [out], taken in numeric order of i (SiLU
// between consecutive ones). Width comes from the first weight, depth is the number of
// linears − 2. The result reproduces the original forward and loss (OutputKind SoftmaxQuirk).
// Missing, unexpected or malformed keys, shapes that do not chain and non-finite values are
// reported with the file name.
func ImportPyTorch(path string) (*MLP, error) {
	sd, err := torchpt.Load(path)
	if err != nil {
		return nil, err
	}
	fail := func(format string, a ...any) (*MLP, error) {
		return nil, fmt.Errorf("%s: %s", path, fmt.Sprintf(format, a...))
	}
	type pair struct{ weight, bias bool }
	found := map[int]*pair{}
	var other []string
	for _, k := range sd.Keys {
		rest, ok := strings.CutPrefix(k, "layers.")
		idx, field, ok2 := strings.Cut(rest, ".")
		i, err := strconv.Atoi(idx)
		if !ok || !ok2 || err != nil || i < 0 || strconv.Itoa(i) != idx || (field != "weight" && field != "bias") {
			other = append(other, k)
			continue
		}
		if found[i] == nil {
			found[i] = &pair{}
		}
		if field == "weight" {
			found[i].weight = true
		} else {
			found[i].bias = true
		}
	}
	if len(found) == 0 {
		if _, ok := sd.Tensors["inner_transform.scale"]; ok {
			return fail("an M-Flow checkpoint, not a classifier state_dict (it has inner_transform.* and outer_transform.* keys, no layers.{i}.weight)")
		}
		return fail("not a classifier state_dict: no layers.{i}.weight keys (keys: %s)", keyList(sd.Keys))
	}
	if len(other) > 0 {
		return fail("unexpected keys for a classifier state_dict: %s", keyList(other))
	}
	idx := make([]int, 0, len(found))
	for i := range found {
		idx = append(idx, i)
	}
	sort.Ints(idx)
	for _, i := range idx {
		p := found[i]
		if !p.weight {
			return fail("missing key layers.%d.weight (layers.%d.bias is present)", i, i)
		}
		if !p.bias {
			return fail("missing key layers.%d.bias (layers.%d.weight is present)", i, i)
		}
	}
	if len(idx) < 2 {
		return fail("only %d linear layer; a classifier needs at least 2", len(idx))
	}
	shapes := make([][]int, len(idx))
	for j, i := range idx {
		t := sd.Tensors[fmt.Sprintf("layers.%d.weight", i)]
		if len(t.Shape) != 2 {
			return fail("layers.%d.weight has shape %v, want [out, in]", i, t.Shape)
		}
		shapes[j] = t.Shape
	}
	in, width, classes := shapes[0][1], shapes[0][0], shapes[len(idx)-1][0]
	m, err := newArch(in, width, len(idx)-2, classes, SoftmaxQuirk)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	m.P = make([]float32, m.Layout.Len)
	for j, i := range idx {
		ln := m.Layers[j]
		for _, part := range []struct {
			key   string
			shape []int
			dst   []float32
		}{
			{fmt.Sprintf("layers.%d.weight", i), []int{ln.Out, ln.In}, ln.W.View(m.P)},
			{fmt.Sprintf("layers.%d.bias", i), []int{ln.Out}, ln.B.View(m.P)},
		} {
			t := sd.Tensors[part.key]
			if !sameShape(t.Shape, part.shape) {
				return fail("%s has shape %v, want %v (layer %d of %d: %d → %d; the layers must chain %d → %d×%d → %d)",
					part.key, t.Shape, part.shape, j+1, len(idx), ln.In, ln.Out, in, width, len(idx)-1, classes)
			}
			v, err := sd.Float(part.key, part.shape...)
			if err != nil {
				return nil, err
			}
			for k, x := range v {
				if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
					return fail("%s[%d] is %v", part.key, k, x)
				}
			}
			copy(part.dst, v)
		}
	}
	return m, nil
}

func sameShape(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func keyList(keys []string) string {
	if len(keys) > 6 {
		return strings.Join(keys[:6], ", ") + fmt.Sprintf(", … (%d in all)", len(keys))
	}
	return strings.Join(keys, ", ")
}
