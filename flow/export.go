package flow

import (
	"fmt"

	"github.com/mflowlab/mflowlab/flow/torchpt"
)

// originalTailBound is the spline tail bound hard-wired in the original code; its
// checkpoints do not record it, so only flows with this bound have a .pt form.
const originalTailBound = 3

// ExportPyTorch writes m to path as the original code's torch.save(model.state_dict()) does
// (spec 5.6), atomically: the same key names, order, shapes and dtypes as the original
// checkpoints (float32 weights, int64 permutation and mask buffers) and its module metadata,
// so that ImportPyTorch and the original's load_state_dict read it back. Errors name the
// file; a flow whose tail bound is not the original's 3 has no .pt form.
func ExportPyTorch(path string, m *MFlow) error {
	if m == nil || m.Arch == nil {
		return fmt.Errorf("%s: no flow to export", path)
	}
	cfg := m.Cfg
	if cfg.TailBound != originalTailBound {
		return fmt.Errorf("%s: the flow's spline tail bound is %g, but the original PyTorch format has no field for it "+
			"and always uses %d; save it in the native format (.mfl) instead", path, cfg.TailBound, originalTailBound)
	}
	if len(m.P) != m.Layout.Len {
		return fmt.Errorf("%s: the flow has %d parameters, its architecture needs %d", path, len(m.P), m.Layout.Len)
	}
	if err := m.Layout.CheckFinite(m.P); err != nil {
		return fmt.Errorf("%s: cannot export: %w", path, err)
	}
	if len(m.Perms) != cfg.Steps+1 || len(m.Couplings) != cfg.Steps {
		return fmt.Errorf("%s: malformed flow: %d permutations and %d couplings for %d steps", path, len(m.Perms), len(m.Couplings), cfg.Steps)
	}
	tensors, err := m.stateDict()
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return torchpt.Write(path, tensors, m.Arch.moduleNames())
}

// stateDict lists the flow's tensors in the order of the original model's state_dict.
func (m *MFlow) stateDict() ([]torchpt.Tensor, error) {
	var out []torchpt.Tensor
	var missing []string
	ints := func(name string, v []int) {
		t := torchpt.Tensor{Name: name, DType: "int64", Shape: []int{len(v)}, I64: make([]int64, len(v))}
		for i, x := range v {
			t.I64[i] = int64(x)
		}
		out = append(out, t)
	}
	floats := func(name string) {
		spec, ok := m.Layout.Lookup(name)
		if !ok {
			missing = append(missing, name)
			return
		}
		out = append(out, torchpt.Tensor{Name: name, DType: "float32", Shape: append([]int(nil), spec.Shape...),
			F32: append([]float32(nil), spec.View(m.P)...)})
	}
	const pre = "outer_transform._transforms"
	for s, c := range m.Couplings {
		base := fmt.Sprintf("%s.%d._transforms", pre, s)
		ints(base+".0._permutation", m.Perms[s].P)
		ints(base+".1.identity_features", c.Identity)
		ints(base+".1.transform_features", c.Transformed)
		net := base + ".1.transform_net"
		floats(net + ".initial_layer.weight")
		floats(net + ".initial_layer.bias")
		for b := range c.Net.Blocks {
			for l := range 2 {
				floats(fmt.Sprintf("%s.blocks.%d.linear_layers.%d.weight", net, b, l))
				floats(fmt.Sprintf("%s.blocks.%d.linear_layers.%d.bias", net, b, l))
			}
		}
		floats(net + ".final_layer.weight")
		floats(net + ".final_layer.bias")
	}
	ints(fmt.Sprintf("%s.%d._permutation", pre, len(m.Couplings)), m.Perms[len(m.Couplings)].P)
	floats("inner_transform.scale")
	floats("inner_transform.shift")
	if len(missing) > 0 {
		return nil, fmt.Errorf("malformed flow: no parameters %s", keyList(missing))
	}
	return out, nil
}

// moduleNames is the _metadata of the original model's state_dict: every submodule of the
// original M-Flow (nflows transforms, their residual conditioners with dropout layers, the
// latent distributions and the projection), each at version 1.
func (ar *Arch) moduleNames() []torchpt.Module {
	names := []string{"", "manifold_latent_distribution", "orthogonal_latent_distribution", "projection",
		"outer_transform", "outer_transform._transforms"}
	for s := range ar.Couplings {
		base := fmt.Sprintf("outer_transform._transforms.%d", s)
		net := base + "._transforms.1.transform_net"
		names = append(names, base, base+"._transforms", base+"._transforms.0", base+"._transforms.1",
			net, net+".initial_layer", net+".blocks")
		for b := range ar.Cfg.Blocks {
			block := fmt.Sprintf("%s.blocks.%d", net, b)
			names = append(names, block, block+".linear_layers", block+".linear_layers.0", block+".linear_layers.1",
				block+".dropout")
		}
		names = append(names, net+".final_layer")
	}
	names = append(names, fmt.Sprintf("outer_transform._transforms.%d", len(ar.Couplings)), "inner_transform")
	mods := make([]torchpt.Module, len(names))
	for i, n := range names {
		mods[i] = torchpt.Module{Name: n, Version: 1}
	}
	return mods
}
