package flow

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"strings"

	"github.com/mflowlab/mflowlab/flow/ckpt"
	"github.com/mflowlab/mflowlab/flow/nn"
	"github.com/mflowlab/mflowlab/flow/torchpt"
)

// Checkpoint is a saved M-Flow with optional optimiser state and training metadata.
type Checkpoint struct {
	Flow *MFlow
	Adam *nn.Adam          // nil when not saved
	Info map[string]string // free-form provenance (seed, epochs, recipe, …)
}

type mflowMeta struct {
	Config   Config            `json:"config"`
	Perms    [][]int           `json:"perms"`
	AdamStep int               `json:"adam_step,omitempty"`
	Info     map[string]string `json:"info,omitempty"`
}

// Save writes c to path in the native format, atomically.
func (c *Checkpoint) Save(path string) error {
	f, err := c.file()
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return ckpt.Write(path, f)
}

// Encode writes c to w in the native format, as Save stores it.
func (c *Checkpoint) Encode(w io.Writer) error {
	f, err := c.file()
	if err != nil {
		return err
	}
	return ckpt.Encode(w, f)
}

// file returns c as a native checkpoint container.
func (c *Checkpoint) file() (*ckpt.File, error) {
	m := c.Flow
	meta := mflowMeta{Config: m.Cfg, Info: c.Info}
	for _, p := range m.Perms {
		meta.Perms = append(meta.Perms, p.P)
	}
	f := &ckpt.File{Kind: "mflow", Arrays: []ckpt.Array{{Name: "params", Data: m.P}}}
	if c.Adam != nil {
		meta.AdamStep = c.Adam.Step
		f.Arrays = append(f.Arrays, ckpt.Array{Name: "adam.m", Data: c.Adam.M}, ckpt.Array{Name: "adam.v", Data: c.Adam.V})
	}
	raw, err := json.Marshal(meta)
	if err != nil {
		return nil, err
	}
	f.Meta = raw
	return f, nil
}

// LoadCheckpoint reads a native checkpoint or an original PyTorch state_dict (.pt), telling
// them apart by content. Errors name the file and the problem.
func LoadCheckpoint(path string) (*Checkpoint, error) {
	if !ckpt.IsNative(path) {
		m, err := ImportPyTorch(path)
		if err != nil {
			return nil, err
		}
		return &Checkpoint{Flow: m, Info: map[string]string{"source": path}}, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseCheckpoint(path, data)
}

// ParseCheckpoint decodes a native checkpoint held in memory; name is used in error messages.
func ParseCheckpoint(name string, data []byte) (*Checkpoint, error) {
	f, err := ckpt.Parse(name, data)
	if err != nil {
		return nil, err
	}
	if f.Kind != "mflow" {
		return nil, fmt.Errorf("%s: holds a %q model, not an M-Flow: %w", name, f.Kind, ckpt.ErrKind)
	}
	var meta mflowMeta
	if err := json.Unmarshal(f.Meta, &meta); err != nil {
		return nil, fmt.Errorf("%s: malformed M-Flow metadata: %v", name, err)
	}
	arch, err := NewArch(meta.Config, meta.Perms)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	p, ok := f.Get("params")
	if !ok || len(p) != arch.Layout.Len {
		return nil, fmt.Errorf("%s: parameter array has %d values, architecture %v needs %d", name, len(p), meta.Config, arch.Layout.Len)
	}
	if err := arch.Layout.CheckFinite(p); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	c := &Checkpoint{Flow: &MFlow{Arch: arch, P: p}, Info: meta.Info}
	if mm, ok := f.Get("adam.m"); ok {
		vv, ok2 := f.Get("adam.v")
		if !ok2 || len(mm) != len(p) || len(vv) != len(p) {
			return nil, fmt.Errorf("%s: optimiser state does not match the parameters", name)
		}
		if err := checkAdam(meta.AdamStep, mm, vv); err != nil {
			return nil, fmt.Errorf("%s: optimiser state: %w", name, err)
		}
		c.Adam = nn.NewAdam(len(p))
		c.Adam.Step, c.Adam.M, c.Adam.V = meta.AdamStep, mm, vv
	} else if _, ok := f.Get("adam.v"); ok {
		return nil, fmt.Errorf("%s: optimiser state has adam.v but no adam.m", name)
	}
	return c, nil
}

// checkAdam reports optimiser state training could not continue from: a negative step,
// non-finite moments or a negative second moment.
func checkAdam(step int, m, v []float32) error {
	if step < 0 {
		return fmt.Errorf("step %d is negative", step)
	}
	for i := range m {
		if math.IsNaN(float64(m[i])) || math.IsInf(float64(m[i]), 0) {
			return fmt.Errorf("adam.m[%d] is %v", i, m[i])
		}
		if !(v[i] >= 0) || math.IsInf(float64(v[i]), 0) {
			return fmt.Errorf("adam.v[%d] is %v", i, v[i])
		}
	}
	return nil
}

// ImportPyTorch builds an M-Flow from an original state_dict checkpoint (spec 5.6), reading
// the sizes S, H, B, K, n, d off the tensors. Missing or unexpected keys, wrong shapes or
// dtypes and non-finite weights are reported with the file name.
func ImportPyTorch(path string) (*MFlow, error) {
	sd, err := torchpt.Load(path)
	if err != nil {
		return nil, err
	}
	fail := func(format string, a ...any) (*MFlow, error) {
		return nil, fmt.Errorf("%s: %s", path, fmt.Sprintf(format, a...))
	}
	const pre = "outer_transform._transforms"
	has := func(k string) bool { _, ok := sd.Tensors[k]; return ok }
	steps := 0
	for has(fmt.Sprintf("%s.%d._transforms.1.transform_net.initial_layer.weight", pre, steps)) {
		steps++
	}
	if steps == 0 || !has("inner_transform.scale") {
		return fail("not an M-Flow state_dict (no %s.0 coupling or inner_transform.scale; keys: %s)", pre, keyList(sd.Keys))
	}
	net0 := pre + ".0._transforms.1.transform_net"
	iw := sd.Tensors[net0+".initial_layer.weight"]
	if len(iw.Shape) != 2 {
		return fail("%s.initial_layer.weight has shape %v, want [hidden, in]", net0, iw.Shape)
	}
	hidden := iw.Shape[0]
	blocks := 0
	for has(fmt.Sprintf("%s.blocks.%d.linear_layers.0.weight", net0, blocks)) {
		blocks++
	}
	permT, ok := sd.Tensors[pre+".0._transforms.0._permutation"]
	if !ok {
		return fail("missing key %s.0._transforms.0._permutation", pre)
	}
	n := len(permT.I64)
	scale := sd.Tensors["inner_transform.scale"]
	d := len(scale.F32)
	tf, ok := sd.Tensors[pre+".0._transforms.1.transform_features"]
	if !ok || len(tf.I64) == 0 {
		return fail("missing key %s.0._transforms.1.transform_features", pre)
	}
	fw, ok := sd.Tensors[net0+".final_layer.weight"]
	if !ok || len(fw.Shape) != 2 {
		return fail("missing or malformed %s.final_layer.weight", net0)
	}
	perFeature := fw.Shape[0] / len(tf.I64)
	if fw.Shape[0]%len(tf.I64) != 0 || (perFeature+1)%3 != 0 {
		return fail("final layer has %d outputs for %d transformed features: not 3K−1 spline parameters each", fw.Shape[0], len(tf.I64))
	}
	cfg := Config{N: n, D: d, Steps: steps, Hidden: hidden, Blocks: blocks, Bins: (perFeature + 1) / 3, TailBound: 3}
	perms := make([][]int, steps+1)
	for s := 0; s <= steps; s++ {
		key := fmt.Sprintf("%s.%d._transforms.0._permutation", pre, s)
		if s == steps {
			key = fmt.Sprintf("%s.%d._permutation", pre, s)
		}
		v, err := sd.Int(key, n)
		if err != nil {
			return nil, err
		}
		perms[s] = make([]int, n)
		for i, x := range v {
			perms[s][i] = int(x)
		}
	}
	cfg.Alternate = identities(perms) // the file has no flag: its permutations say it
	arch, err := NewArch(cfg, perms)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	used := map[string]bool{}
	for s, c := range arch.Couplings {
		base := fmt.Sprintf("%s.%d._transforms", pre, s)
		used[base+".0._permutation"] = true
		for _, part := range []struct {
			key  string
			want []int
		}{{".1.identity_features", c.Identity}, {".1.transform_features", c.Transformed}} {
			v, err := sd.Int(base+part.key, len(part.want))
			if err != nil {
				return nil, err
			}
			for i := range v {
				if int(v[i]) != part.want[i] {
					return fail("%s%s is %v; only the alternating masks of the original (%v) are supported", base, part.key, v, part.want)
				}
			}
			used[base+part.key] = true
		}
	}
	used[fmt.Sprintf("%s.%d._permutation", pre, steps)] = true
	p := make([]float32, arch.Layout.Len)
	for _, spec := range arch.Layout.Specs {
		v, err := sd.Float(spec.Name, spec.Shape...)
		if err != nil {
			return nil, err
		}
		for i, x := range v {
			if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
				return fail("%s[%d] is %v", spec.Name, i, x)
			}
		}
		copy(spec.View(p), v)
		used[spec.Name] = true
	}
	var extra []string
	for _, k := range sd.Keys {
		if !used[k] {
			extra = append(extra, k)
		}
	}
	if len(extra) > 0 {
		return fail("unexpected keys for an M-Flow with %v: %s", cfg, keyList(extra))
	}
	return &MFlow{Arch: arch, P: p}, nil
}

func keyList(keys []string) string {
	if len(keys) > 6 {
		return strings.Join(keys[:6], ", ") + fmt.Sprintf(", … (%d in all)", len(keys))
	}
	return strings.Join(keys, ", ")
}

// identities reports whether every permutation is the identity (Config.Alternate's).
func identities(perms [][]int) bool {
	for _, p := range perms {
		for i, v := range p {
			if v != i {
				return false
			}
		}
	}
	return true
}
