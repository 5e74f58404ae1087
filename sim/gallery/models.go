package gallery

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/mflowlab/mflowlab/attack"
	"github.com/mflowlab/mflowlab/flow/cnn"
	"github.com/mflowlab/mflowlab/flow/imageflow"
	"github.com/mflowlab/mflowlab/flow/pca"
	"github.com/mflowlab/mflowlab/sim/cifar"
)

// DefaultCacheDir returns mflowlab's folder in the user's cache folder ($XDG_CACHE_HOME or
// ~/.cache on Linux): the default CNN lives in its cnn/ and PCA fits in its pca/ subfolder.
func DefaultCacheDir() (string, error) {
	dir, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("gallery: no cache folder: %w", err)
	}
	return filepath.Join(dir, "mflowlab"), nil
}

// FindData resolves the data location: path itself when given, else the first usable one of
// cifar.DefaultDir and cifar.SharedDir. looked lists the places considered; the error says
// why none was usable.
func FindData(path string) (found string, looked []string, err error) {
	if path != "" {
		return path, []string{path}, nil
	}
	if d, err := cifar.DefaultDir(); err == nil {
		looked = append(looked, d)
	}
	if d, err := cifar.SharedDir(); err == nil {
		looked = append(looked, d)
	}
	found, err = cifar.Find()
	return found, looked, err
}

// Defence is a parsed projection defence: "pca:D" or "mflow:PATH".
type Defence struct {
	Kind string // "pca" or "mflow"
	D    int    // PCA components
	Path string // image M-Flow checkpoint
}

// String returns the defence in the form ParseDefence reads.
func (d Defence) String() string {
	if d.Kind == "mflow" {
		return "mflow:" + d.Path
	}
	return fmt.Sprintf("pca:%d", d.D)
}

// ParseDefence reads pca:D (D leading principal components, 1 ≤ D ≤ 3072) or mflow:CKPT (an
// image M-Flow checkpoint).
func ParseDefence(s string) (Defence, error) {
	kind, arg, ok := strings.Cut(strings.TrimSpace(s), ":")
	switch {
	case ok && kind == "pca":
		d, err := strconv.Atoi(strings.TrimSpace(arg))
		if err != nil || d < 1 || d > cifar.Pixels {
			return Defence{}, fmt.Errorf("defence %q: pca:D needs a number of components D in [1, %d]", s, cifar.Pixels)
		}
		return Defence{Kind: "pca", D: d}, nil
	case ok && kind == "mflow":
		if arg == "" {
			return Defence{}, fmt.Errorf("defence %q: mflow:CKPT needs an image M-Flow checkpoint path", s)
		}
		return Defence{Kind: "mflow", Path: arg}, nil
	}
	return Defence{}, fmt.Errorf("defence %q: want pca:D (e.g. pca:64) or mflow:CKPT", s)
}

// LoadedDefence is a projection ready to defend.
type LoadedDefence struct {
	Proj attack.Projector
	Name string // e.g. "PCA d = 64" or "image M-Flow d = 64 (final_d64.mfl)"
	// PCA only: whether the fit came from the cache, and the cache file.
	CacheHit  bool
	CachePath string
	Fit       *pca.Basis
}

// LoadDefence builds the projection of d: the image M-Flow checkpoint, or the PCA fitted on
// the training images that train returns (called only for PCA), cached in pcaCache (see
// pca.Cached; progress reports a fresh fit).
func LoadDefence(d Defence, train func() (*cifar.Set, error), pcaCache string, progress func(stage string, done float64)) (*LoadedDefence, error) {
	if d.Kind == "mflow" {
		m, err := imageflow.Load(d.Path)
		if err != nil {
			return nil, err
		}
		if m.InputDim() != cifar.Pixels {
			return nil, fmt.Errorf("%s: the image M-Flow maps %d values per image; CIFAR-10 images have %d", d.Path, m.InputDim(), cifar.Pixels)
		}
		return &LoadedDefence{Proj: m, Name: fmt.Sprintf("image M-Flow d = %d (%s)", m.D(), filepath.Base(d.Path))}, nil
	}
	if d.Kind != "pca" {
		return nil, fmt.Errorf("gallery: unknown defence kind %q", d.Kind)
	}
	set, err := train()
	if err != nil {
		return nil, err
	}
	if pcaCache == "" {
		if pcaCache, err = pca.DefaultCacheDir(); err != nil {
			return nil, err
		}
	}
	b, hit, err := pca.Cached(pcaCache, set.Images, d.D, progress)
	if err != nil {
		return nil, err
	}
	proj, err := b.Projection(d.D)
	if err != nil {
		return nil, err
	}
	return &LoadedDefence{Proj: proj, Name: fmt.Sprintf("PCA d = %d", d.D), CacheHit: hit,
		CachePath: pca.CachePath(pcaCache, b.Key), Fit: b}, nil
}

// setAsideBadFit renames the cached PCA fit of the training images to *.bad when it exists
// but does not load, and says so; "" when there is no such file (the error was another).
func setAsideBadFit(dir string, train func() (*cifar.Set, error)) string {
	set, err := train()
	if err != nil {
		return ""
	}
	path := pca.CachePath(dir, pca.DataKey(set.Images))
	if _, err := os.Stat(path); err != nil {
		return ""
	}
	_, lerr := pca.Load(path)
	if lerr == nil {
		return ""
	}
	if err := os.Rename(path, path+".bad"); err != nil {
		return ""
	}
	return fmt.Sprintf("the cached PCA fit did not load (%v); set aside as %s.bad and refitted", lerr, filepath.Base(path))
}

// DefaultCNNConfig is the recipe of the default CNN: cnn.DefaultTrainConfig with seed 1.
func DefaultCNNConfig() cnn.TrainConfig {
	c := cnn.DefaultTrainConfig()
	c.Seed = 1
	return c
}

// DefaultCNNPath returns the cache file of the default CNN trained on train (keyed by a
// SHA-256 of the images, the labels and the recipe) in cacheDir/cnn.
func DefaultCNNPath(cacheDir string, train *cifar.Set) string {
	h := sha256.New()
	h.Write([]byte(pca.DataKey(train.Images)))
	b := make([]byte, 4*len(train.Labels))
	for i, l := range train.Labels {
		binary.LittleEndian.PutUint32(b[4*i:], uint32(l))
	}
	h.Write(b)
	fmt.Fprintf(h, "%+v", DefaultCNNConfig())
	return filepath.Join(cacheDir, "cnn", "default-"+hex.EncodeToString(h.Sum(nil))[:16]+".mfl")
}

// DefaultCNN returns the default CNN for the training images train: the cached one in
// cacheDir when it is there and loads, else one trained with DefaultCNNConfig (evaluated on
// eval after every epoch, reported to progress) and cached. A cached file that does not load
// is retrained and replaced; note then says so. log is the training history (finished epochs).
func DefaultCNN(ctx context.Context, cacheDir string, train, eval *cifar.Set, progress func(cnn.Progress)) (m *cnn.Model, log []cnn.Progress, note string, err error) {
	path := DefaultCNNPath(cacheDir, train)
	m, err = cnn.Load(path)
	if err == nil {
		info, _ := cnn.LoadInfo(path)
		return m, logFromInfo(info), "", nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		note = fmt.Sprintf("the cached default CNN did not load (%v); retraining it", err)
	}
	cfg := DefaultCNNConfig()
	m = cnn.New(cfg.Seed)
	start := time.Now()
	err = m.Train(ctx, train.Images, train.Labels, eval.Images, eval.Labels, cfg, func(p cnn.Progress) {
		if p.EpochDone {
			log = append(log, p)
		}
		if progress != nil {
			progress(p)
		}
	})
	if err != nil {
		return nil, nil, note, err
	}
	info := map[string]float64{"epochs": float64(cfg.Epochs), "seed": float64(cfg.Seed), "batch": float64(cfg.Batch), "lr": cfg.LR,
		"train_secs": time.Since(start).Seconds(), "train_images": float64(train.Len())}
	for _, p := range log {
		info[fmt.Sprintf("loss_%d", p.Epoch)] = p.Loss
		if !math.IsNaN(p.EvalAccuracy) {
			info[fmt.Sprintf("eval_accuracy_%d", p.Epoch)] = p.EvalAccuracy
			info["eval_accuracy"] = p.EvalAccuracy
		}
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return m, log, joinNote(note, fmt.Sprintf("the default CNN is not cached: %v", err)), nil
	}
	if err := m.Save(path, info); err != nil {
		return m, log, joinNote(note, fmt.Sprintf("the default CNN is not cached: %v", err)), nil
	}
	return m, log, note, nil
}

func joinNote(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

// logFromInfo rebuilds the training history stored with a cached default CNN.
func logFromInfo(info map[string]float64) []cnn.Progress {
	epochs := int(info["epochs"])
	var log []cnn.Progress
	for e := 1; e <= epochs; e++ {
		loss, ok := info[fmt.Sprintf("loss_%d", e)]
		if !ok {
			continue
		}
		acc, ok := info[fmt.Sprintf("eval_accuracy_%d", e)]
		if !ok {
			acc = math.NaN()
		}
		log = append(log, cnn.Progress{Epoch: e, Epochs: epochs, Loss: loss, EpochDone: true, EvalAccuracy: acc})
	}
	return log
}
