package flow

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/mflowlab/mflowlab/flow/nn"
	"github.com/mflowlab/mflowlab/internal/testref"
)

// golden mirrors ../shared/reference/golden/mflow_golden.json (see its README).
type golden struct {
	Points []([2]float64)          `json:"points"`
	Models map[string]goldenRecord `json:"models"`
}

type goldenRecord struct {
	OuterForward    [][2]float64         `json:"outer_forward"`
	OuterForwardLD  []float64            `json:"outer_forward_logabsdet"`
	RoundtripMaxErr float64              `json:"outer_roundtrip_maxerr"`
	EncodeU         [][]float64          `json:"encode_u"`
	Project         [][2]float64         `json:"project"`
	LogProbPIE      []float64            `json:"log_prob_pie"`
	DecodeLineU     jsonFloat            `json:"decode_line_u"`
	DecodeLineX     [][2]float64         `json:"decode_line_x"`
	InverseInputs   [][2]float64         `json:"outer_inverse_inputs"`
	Inverse         [][2]float64         `json:"outer_inverse"`
	InverseLD       []float64            `json:"outer_inverse_logabsdet"`
	MSE64           float64              `json:"mse_projection_batch64"`
	MSEGrads        map[string]jsonFloat `json:"mse_grads"`
	MSEGradNorm     float64              `json:"mse_grad_global_norm"`
	NLL64           float64              `json:"nll_pie_batch64"`
	NLLGradsInner   map[string][]float64 `json:"nll_grads_inner"`
}

// jsonFloat flattens nested JSON number arrays.
type jsonFloat []float64

func (f *jsonFloat) UnmarshalJSON(b []byte) error {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	var walk func(any)
	walk = func(v any) {
		switch t := v.(type) {
		case float64:
			*f = append(*f, t)
		case []any:
			for _, e := range t {
				walk(e)
			}
		}
	}
	walk(v)
	return nil
}

func loadGolden(t *testing.T) *golden {
	path := testref.Path(t, "reference", "golden", "mflow_golden.json")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var g golden
	if err := json.Unmarshal(data, &g); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return &g
}

func pairs(p [][2]float64) nn.Mat {
	m := nn.NewMat(len(p), 2)
	for i, v := range p {
		m.Data[2*i], m.Data[2*i+1] = float32(v[0]), float32(v[1])
	}
	return m
}

func flat2(p [][2]float64) []float64 {
	out := make([]float64, 0, 2*len(p))
	for _, v := range p {
		out = append(out, v[0], v[1])
	}
	return out
}

func f64(v []float32) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out
}

// normwise returns max|ours − ref| / max|ref| (the reference README's measure).
func normwise(ours, ref []float64) (float64, error) {
	if len(ours) != len(ref) {
		return 0, fmt.Errorf("length %d, golden %d", len(ours), len(ref))
	}
	var err, scale float64
	for i := range ref {
		err = math.Max(err, math.Abs(ours[i]-ref[i]))
		scale = math.Max(scale, math.Abs(ref[i]))
	}
	if scale == 0 {
		return err, nil
	}
	return err / scale, nil
}

const (
	valueTol = 1e-4
	gradTol  = 1e-3
	// roundtripWaiver: models whose original float32 code does not invert beyond this error
	// are compared only on what the original computed forward (reference README).
	roundtripWaiver = 1e-2
)

// TestGoldenConformance loads every original checkpoint and reproduces the golden outputs of
// the original PyTorch code.
func TestGoldenConformance(t *testing.T) {
	g := loadGolden(t)
	pts := pairs(g.Points)
	x64 := pts.Slice(0, 64)
	for name, rec := range g.Models {
		t.Run(name, func(t *testing.T) {
			path := testref.Path(t, "reference", "checkpoints", name+".pt")
			m, err := ImportPyTorch(path)
			if err != nil {
				t.Fatal(err)
			}
			waive := rec.RoundtripMaxErr > roundtripWaiver
			check := func(item string, ours, ref []float64, tol float64, inverseDerived bool, noise ...float64) {
				t.Helper()
				rel, err := normwise(ours, ref)
				if err != nil {
					t.Errorf("%s: %v", item, err)
					return
				}
				status := "ok"
				if len(noise) > 0 && rel > tol && rel <= tol+2*noise[0] {
					// |ours − golden| ≤ |ours − exact| + |golden − exact|: where the map is this
					// ill-conditioned, float32 rounding of the original explains the excess
					status = fmt.Sprintf("ok(f32: float32 sensitivity %.1e)", noise[0])
				} else if rel > tol {
					status = "FAIL"
					if waive && inverseDerived {
						status = "waived (the original does not invert this model in float32)"
					}
				}
				t.Logf("%-26s rel %.2e (tol %.0e) %s", item, rel, tol, status)
				if status == "FAIL" {
					t.Errorf("%s: normwise relative error %.3g exceeds %.0e", item, rel, tol)
				}
			}
			h, ld := m.OuterForward(pts)
			check("outer_forward", f64(h.Data), flat2(rec.OuterForward), valueTol, false)
			check("outer_forward_logabsdet", f64(ld), rec.OuterForwardLD, valueTol, false)
			var eu []float64
			for _, r := range rec.EncodeU {
				eu = append(eu, r...)
			}
			check("encode_u", f64(m.Encode(pts).Data), eu, valueTol, false)
			check("log_prob_pie", f64(m.LogProbPIE(pts, DefaultPIEEps)), rec.LogProbPIE, valueTol, false)
			check("project", f64(m.Project(pts).Data), flat2(rec.Project), valueTol, true, projectSensitivity(m, pts, flat2(rec.Project)))
			u := nn.NewMat(len(rec.DecodeLineU), 1)
			for i, v := range rec.DecodeLineU {
				u.Data[i] = float32(v)
			}
			check("decode_line_x", f64(m.Decode(u).Data), flat2(rec.DecodeLineX), valueTol, true)
			inv, ild := m.OuterInverse(pairs(rec.InverseInputs))
			check("outer_inverse", f64(inv.Data), flat2(rec.Inverse), valueTol, true)
			check("outer_inverse_logabsdet", f64(ild), rec.InverseLD, valueTol, true)

			grad := make([]float32, len(m.P))
			mse := m.MSEGrad(nil, x64, 1, grad)
			check("mse_projection_batch64", []float64{mse}, []float64{rec.MSE64}, valueTol, true)
			var ours, ref []float64
			for key, want := range rec.MSEGrads {
				spec, ok := m.Layout.Lookup(key)
				if !ok {
					t.Fatalf("golden gradient key %s unknown", key)
				}
				if key == "inner_transform.scale" || key == "inner_transform.shift" {
					// zero in exact arithmetic; the golden holds rounding noise (≤ 4e-8)
					for i, v := range spec.View(grad) {
						if math.Abs(float64(v)-want[i]) > 1e-6 {
							t.Errorf("mse gradient of %s = %g, golden %g (both should be ~0)", key, v, want[i])
						}
					}
					continue
				}
				ours = append(ours, f64(spec.View(grad))...)
				ref = append(ref, want...)
			}
			check("mse_grads", ours, ref, gradTol, true)
			check("mse_grad_global_norm", []float64{nn.Norm(grad)}, []float64{rec.MSEGradNorm}, gradTol, true)

			grad = make([]float32, len(m.P))
			nll := m.NLLGrad(nil, x64, DefaultPIEEps, 1, true, grad)
			check("nll_pie_batch64", []float64{nll}, []float64{rec.NLL64}, valueTol, false)
			gi := append(f64(m.Inner.Scale.View(grad)), f64(m.Inner.Shift.View(grad))...)
			check("nll_grads_inner", gi, append(rec.NLLGradsInner["scale"], rec.NLLGradsInner["shift"]...), gradTol, false)

			// the native format round-trips the imported model exactly
			p := filepath.Join(t.TempDir(), name+".mfl")
			if err := (&Checkpoint{Flow: m}).Save(p); err != nil {
				t.Fatal(err)
			}
			back, err := LoadCheckpoint(p)
			if err != nil {
				t.Fatal(err)
			}
			for i := range m.P {
				if math.Float32bits(back.Flow.P[i]) != math.Float32bits(m.P[i]) {
					t.Fatalf("native round trip changed parameter %d", i)
				}
			}
		})
	}
}

// projectSensitivity estimates how far float32 rounding of the latent coordinate (a relative
// 2e-6, the size of the original's own error in f(x)) moves project(x), relative to the
// golden's scale: the "f32_noise" of the reference check.
func projectSensitivity(m *MFlow, pts nn.Mat, ref []float64) float64 {
	u := m.Encode(pts)
	up, um := u.Clone(), u.Clone()
	for i, v := range u.Data {
		d := 2e-6 * math.Max(1, math.Abs(float64(v)))
		up.Data[i] = float32(float64(v) + d)
		um.Data[i] = float32(float64(v) - d)
	}
	a, b := m.Decode(up), m.Decode(um)
	var worst, scale float64
	for i := range a.Data {
		worst = math.Max(worst, math.Abs(float64(a.Data[i]-b.Data[i]))/2)
	}
	for _, v := range ref {
		scale = math.Max(scale, math.Abs(v))
	}
	return worst / scale
}
