package classify

import (
	"errors"
	"fmt"

	"github.com/mflowlab/mflowlab/flow/torchpt"
)

// ErrNoPyTorchForm is wrapped by ExportPyTorch's error for a classifier that has no
// original PyTorch form (a Logits model, the project's own recipe).
var ErrNoPyTorchForm = errors.New("no original PyTorch form")

// ExportPyTorch writes m to path as the original code's torch.save(model.state_dict()) does,
// atomically: Linear layers layers.{0,2,4,…}.weight [out, in] and .bias [out] in float32,
// with the module metadata of its nn.Sequential of Linear and SiLU layers, so that
// ImportPyTorch and the original's load_state_dict read it back. Only SoftmaxQuirk models,
// whose forward returns probabilities as the original's does, have that form; for a Logits
// model the error wraps ErrNoPyTorchForm. Errors name the file.
func ExportPyTorch(path string, m *MLP) error {
	if m == nil {
		return fmt.Errorf("%s: no classifier to export", path)
	}
	if m.Output != SoftmaxQuirk {
		return fmt.Errorf("%s: a %s classifier (this project's recipe) cannot be saved as an original .pt: "+
			"the original's forward returns softmax probabilities, so its code would run these weights as a "+
			"different model; save it in the native format (.mfl) instead: %w", path, m.Output, ErrNoPyTorchForm)
	}
	if len(m.P) != m.Layout.Len {
		return fmt.Errorf("%s: model has %d parameters, layout needs %d", path, len(m.P), m.Layout.Len)
	}
	if err := m.Layout.CheckFinite(m.P); err != nil {
		return fmt.Errorf("%s: cannot export: %w", path, err)
	}
	tensors := make([]torchpt.Tensor, 0, 2*len(m.Layers))
	for _, ln := range m.Layers {
		for _, spec := range []struct {
			name  string
			shape []int
			data  []float32
		}{
			{ln.W.Name, []int{ln.Out, ln.In}, ln.W.View(m.P)},
			{ln.B.Name, []int{ln.Out}, ln.B.View(m.P)},
		} {
			tensors = append(tensors, torchpt.Tensor{Name: spec.name, DType: "float32", Shape: spec.shape,
				F32: append([]float32(nil), spec.data...)})
		}
	}
	// The original is an nn.Sequential named layers: Linear at even indices, SiLU between them.
	modules := []torchpt.Module{{Name: "", Version: 1}, {Name: "layers", Version: 1}}
	for i := 0; i < 2*len(m.Layers)-1; i++ {
		modules = append(modules, torchpt.Module{Name: fmt.Sprintf("layers.%d", i), Version: 1})
	}
	return torchpt.Write(path, tensors, modules)
}
