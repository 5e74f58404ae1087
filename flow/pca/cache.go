package pca

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"

	"github.com/mflowlab/mflowlab/flow/ckpt"
	"github.com/mflowlab/mflowlab/flow/nn"
)

// Kind is the native checkpoint kind of a stored Basis.
const Kind = "pca"

// meta is the JSON metadata of a stored Basis.
type meta struct {
	Version    int     `json:"version"`
	Cols       int     `json:"cols"`
	Rows       int     `json:"rows"`
	Components int     `json:"components"`
	Key        string  `json:"key"`
	Iterations int     `json:"iterations"`
	Residual   float64 `json:"residual"`
}

// Save writes b to path in the native checkpoint format (kind "pca"), atomically.
func (b *Basis) Save(path string) error {
	n := b.Components.Cols
	if len(b.Mean) != n || len(b.Variance) != b.Components.Rows {
		panic(fmt.Sprintf("pca: Save: mean of %d, %d variances for a %d×%d basis", len(b.Mean), len(b.Variance), b.Components.Rows, n))
	}
	m, err := json.Marshal(meta{Version: 1, Cols: n, Rows: b.Rows, Components: b.Components.Rows, Key: b.Key, Iterations: b.Iterations, Residual: b.Residual})
	if err != nil {
		return err
	}
	vars := make([]float32, len(b.Variance))
	for i, v := range b.Variance {
		vars[i] = float32(v)
	}
	return ckpt.Write(path, &ckpt.File{Kind: Kind, Meta: m, Arrays: []ckpt.Array{
		{Name: "mean", Data: b.Mean},
		{Name: "variance", Data: vars},
		{Name: "components", Data: b.Components.Data},
	}})
}

// Load reads a basis written by Save. Errors name the file and the problem: not a native
// checkpoint, another kind, corrupt or truncated, inconsistent shapes, non-finite values.
func Load(path string) (*Basis, error) {
	f, err := ckpt.Read(path)
	if err != nil {
		return nil, err
	}
	fail := func(format string, a ...any) (*Basis, error) {
		return nil, fmt.Errorf("%s: %s", path, fmt.Sprintf(format, a...))
	}
	if f.Kind != Kind {
		return nil, fmt.Errorf("%s: holds a %q checkpoint, not a PCA basis: %w", path, f.Kind, ckpt.ErrKind)
	}
	var m meta
	if err := json.Unmarshal(f.Meta, &m); err != nil {
		return fail("malformed PCA metadata: %v", err)
	}
	if m.Version != 1 {
		return fail("PCA basis version %d; this mflowlab reads version 1", m.Version)
	}
	if m.Cols < 1 || m.Cols > MaxCols || m.Components < 1 || m.Components > m.Cols || m.Rows < 2 {
		return fail("implausible PCA shape: %d components of %d values from %d rows", m.Components, m.Cols, m.Rows)
	}
	mean, ok1 := f.Get("mean")
	vars, ok2 := f.Get("variance")
	comp, ok3 := f.Get("components")
	if !ok1 || !ok2 || !ok3 {
		return fail("missing array (want mean, variance and components)")
	}
	if len(mean) != m.Cols || len(vars) != m.Components || len(comp) != m.Components*m.Cols {
		return fail("arrays of %d, %d and %d values do not match %d components of %d values", len(mean), len(vars), len(comp), m.Components, m.Cols)
	}
	for name, a := range map[string][]float32{"mean": mean, "variance": vars, "components": comp} {
		for i, v := range a {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return fail("%s value %d is %v", name, i, v)
			}
		}
	}
	for j, v := range mean {
		if v < 0 || v > 1 {
			return fail("mean value %d is %v; a PCA of pixel values has its mean in [0, 1]", j, v)
		}
	}
	b := &Basis{Mean: mean, Components: nn.MatFrom(m.Components, m.Cols, comp), Variance: make([]float64, len(vars)), Rows: m.Rows, Key: m.Key, Iterations: m.Iterations, Residual: m.Residual}
	for i, v := range vars {
		b.Variance[i] = float64(v)
		if v < 0 || (i > 0 && v > vars[i-1]*(1+1e-5)) {
			return fail("variance %d (%v) is negative or larger than the one before", i, v)
		}
	}
	for i := 0; i < b.Components.Rows; i++ {
		var s float64
		for _, v := range b.Components.Row(i) {
			s += float64(v) * float64(v)
		}
		if math.Abs(math.Sqrt(s)-1) > 1e-3 {
			return fail("component %d has length %.6f, not 1", i, math.Sqrt(s))
		}
	}
	return b, nil
}

// DefaultCacheDir returns the folder where fitted bases are cached: mflowlab/pca in the user's
// cache folder ($XDG_CACHE_HOME or ~/.cache on Linux).
func DefaultCacheDir() (string, error) {
	dir, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("pca: no cache folder: %w", err)
	}
	return filepath.Join(dir, "mflowlab", "pca"), nil
}

// CachePath returns the cache file of the data with key (DataKey) in dir.
func CachePath(dir, key string) string {
	if len(key) > 16 {
		key = key[:16]
	}
	return filepath.Join(dir, "pca-"+key+".mfl")
}

// Cached returns a basis of x with at least d components: the one cached in dir for the same
// data when it has enough components, else a fresh fit of max(d, DefaultComponents)
// components, stored in dir (atomically) for the next time. hit reports a cache hit. A corrupt
// cache file, or one made from other data, is an error naming the file (delete it to refit).
func Cached(dir string, x nn.Mat, d int, progress func(stage string, done float64)) (b *Basis, hit bool, err error) {
	if top := min(x.Cols, x.Rows-1); d < 1 || d > top {
		return nil, false, fmt.Errorf("pca: %d components asked of %d rows of %d values; want 1 to %d", d, x.Rows, x.Cols, max(top, 0))
	}
	key := DataKey(x)
	path := CachePath(dir, key)
	b, err = Load(path)
	switch {
	case err == nil:
		if b.Key != key || b.Components.Cols != x.Cols || b.Rows != x.Rows {
			return nil, false, fmt.Errorf("%s: a PCA cache of other data (key %.16s…, want %.16s…); delete it to refit", path, b.Key, key)
		}
		if b.Components.Rows >= d {
			return b, true, nil
		}
	case errors.Is(err, fs.ErrNotExist):
	default:
		return nil, false, fmt.Errorf("PCA cache: %w (delete the file to refit)", err)
	}
	b, err = Fit(x, Options{Components: max(d, DefaultComponents), Progress: progress})
	if err != nil {
		return nil, false, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, false, fmt.Errorf("PCA cache: %w", err)
	}
	if err := b.Save(path); err != nil {
		return nil, false, fmt.Errorf("PCA cache: %w", err)
	}
	return b, false, nil
}
