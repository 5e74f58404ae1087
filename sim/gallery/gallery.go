// Package gallery is the engine behind the CIFAR-10 gallery: a background pipeline that finds
// the data, gets the models (a CNN checkpoint or the cached default CNN, trained on first use;
// a PCA or image M-Flow projection defence), attacks a seeded pool of evaluation images with
// the non-adaptive and the adaptive attack, classifies every result and sweeps the cases A–D
// against ε. All work runs off the caller's goroutine; results are published as immutable,
// versioned snapshots (Engine.Snapshot), and a change of settings cancels the stale work while
// keeping what is still valid (loaded data, models, fits).
//
// Determinism: the pool is a seeded shuffle of the evaluation split, and the pool is attacked
// in fixed blocks of BlockSize images, block k with PGD seed Settings.Seed+k, so every number
// depends on the settings only, never on the order the blocks ran in (the visible page
// first), the number of cores or the SIMD level.
package gallery

import (
	"github.com/mflowlab/mflowlab/attack"
	"github.com/mflowlab/mflowlab/flow/cnn"
)

// Defaults of Settings.
const (
	DefaultPool    = 240      // images in the pool
	DefaultDefence = "pca:64" // the projection defence
	// BlockSize is how many pool images one attack call handles (block k of the pool holds
	// images [k·BlockSize, (k+1)·BlockSize) and uses PGD seed Seed+k). A 6×4 gallery page is
	// two blocks.
	BlockSize = 12
	// MaxPool bounds Settings.Pool.
	MaxPool = 10000
	// MaxSteps bounds the PGD steps (an attack keeps its trajectory: 12 images × 1 000 steps
	// are 150 MB).
	MaxSteps = 1000
)

// Settings is what the gallery shows: data, models, attack and pool.
type Settings struct {
	Images     string        // data path ("" = cifar.Find over DefaultDir then SharedDir)
	Classifier string        // CNN checkpoint .mfl/.pt; "" = the cached default CNN, trained in the background on first use
	Defence    string        // "pca:64" | "mflow:PATH" ("" = DefaultDefence)
	Attack     attack.Params // FGSM / PGD / PGD-L2, ε, steps, α (0: 2.5·ε/steps), target (pixel units; Box and Seed are set by the engine)
	Pool       int           // images in the gallery pool (0 = DefaultPool), drawn from the eval split with Seed
	Seed       uint64        // shuffle and PGD random starts
}

// Snapshot is the engine's state at one moment. It is immutable: a new one replaces it.
type Snapshot struct {
	Version  uint64
	Settings Settings // the settings this snapshot shows (with defaults filled in)
	// Stage is what the engine is doing: "waiting for settings", "starting", "looking for
	// data", "loading data", "loading CNN", "loading the default CNN", "training CNN epoch
	// 3/15", "loading the defence", "fitting PCA (covariance|eigenvectors)", "attacking
	// 96/240", "ready" (the case curve may still be refined: Cases.Final) or "error" (Err).
	Stage    string
	Progress float64  // of the stage, 0..1
	Err      error    // e.g. no data found: says where it looked (the UI offers download / browse)
	Message  string   // a note that is not an error (e.g. "the cached CNN was corrupt; retraining")
	Looked   []string // folders searched for CIFAR-10 (when Settings.Images is empty)
	Data     string   // the data location in use ("" until found)
	Models   string   // what classifies and defends, e.g. "default CNN (eval 0.667) · PCA d = 64"
	Classes  []string
	// CNNLog is the default CNN's training history for a chart: the finished epochs
	// (EpochDone set, with loss and eval accuracy) and, while training, the epoch in progress
	// as the last entry. Loaded from the cache with the model; empty for a given checkpoint.
	CNNLog  []cnn.Progress
	Samples []Sample   // pool order; the images are there as soon as the pool is drawn, results are filled progressively
	Done    int        // samples whose results are final (Sample.Ready)
	Acc     Accuracy   // over the finished samples
	Cases   *CaseCurve // A–D counts against ε (non-adaptive and adaptive), refined in the background; nil until started
}

// Sample is one pool image and both attacks on it.
type Sample struct {
	Index int   // the record's index in its file
	Label int32 // true class
	Orig  []float32
	// Ready reports that the results below belong to the snapshot's settings. A sample that
	// is not ready may still hold the results of the previous settings (drawn as stale), or
	// none (nil images).
	Ready                bool
	OrigProbs, ProjProbs [10]float32 // CNN on the original, CNN on project(original)
	OrigPred, ProjPred   int32       // their predicted classes (the first largest logit)
	Plain, Adaptive      Attacked    // the non-adaptive and the adaptive attack
}

// Attacked is one attack on a sample: the adversarial image, its projection, the CNN's
// class probabilities and predictions on both, and the case A–D.
type Attacked struct {
	Adv, Proj           []float32
	AdvProbs, ProjProbs [10]float32
	AdvPred, ProjPred   int32
	Case                attack.Case
}

// Succeeded reports whether the attack fooled the bare CNN.
func (a *Attacked) Succeeded(label int32) bool { return a.Adv != nil && a.AdvPred != label }

// Changed reports whether the defence changed the CNN's answer on the adversarial image.
func (a *Attacked) Changed() bool { return a.Adv != nil && a.ProjPred != a.AdvPred }

// Accuracy is the share of correctly classified finished samples, N of them (NaN-free: all
// zero when N is 0).
type Accuracy struct {
	N                int
	Clean            float64 // the CNN on the originals
	CleanDefended    float64 // the CNN on the projected originals (what the defence costs)
	Attacked         float64 // the CNN on the non-adaptive adversarial images
	Defended         float64 // the CNN on their projections
	AttackedAdaptive float64 // the CNN on the adaptive adversarial images (unprojected)
	DefendedAdaptive float64 // the CNN on their projections: the honest number
}

// CaseCurve holds the A–D counts of the pool against ε for the non-adaptive and the adaptive
// attack. It is refined in passes: the first pass counts the first blocks of the pool at every
// ε, later passes add the rest, so N may differ between ε values until Final.
type CaseCurve struct {
	Eps             []float64
	Plain, Adaptive [][4]int // {A, B, C, D} at Eps[i]
	N               []int    // images counted at Eps[i]
	Done, Total     int      // (ε, block) pairs counted and to count
	Final           bool     // every ε counts the whole pool
}

// AccuracyOf returns the accuracies over the ready samples.
func AccuracyOf(samples []Sample) Accuracy {
	var a Accuracy
	var c [6]int
	for i := range samples {
		s := &samples[i]
		if !s.Ready {
			continue
		}
		a.N++
		for k, ok := range [6]bool{s.OrigPred == s.Label, s.ProjPred == s.Label, s.Plain.AdvPred == s.Label,
			s.Plain.ProjPred == s.Label, s.Adaptive.AdvPred == s.Label, s.Adaptive.ProjPred == s.Label} {
			if ok {
				c[k]++
			}
		}
	}
	if a.N == 0 {
		return a
	}
	n := float64(a.N)
	a.Clean, a.CleanDefended = float64(c[0])/n, float64(c[1])/n
	a.Attacked, a.Defended = float64(c[2])/n, float64(c[3])/n
	a.AttackedAdaptive, a.DefendedAdaptive = float64(c[4])/n, float64(c[5])/n
	return a
}

// FilterSpec selects samples. The zero FilterSpec selects every sample.
type FilterSpec struct {
	Class     int         // 0: any class; c+1: only images of true class c (a class menu's index with "all" first)
	Case      attack.Case // CaseNone: any case
	Succeeded bool        // only samples where the attack fooled the bare CNN
	Changed   bool        // only samples where the defence changed the CNN's answer on the adversarial image
	Adaptive  bool        // judge Case, Succeeded and Changed by the adaptive attack instead of the non-adaptive one
}

// judges reports whether the spec looks at attack results (then only ready samples pass).
func (f FilterSpec) judges() bool { return f.Case != attack.CaseNone || f.Succeeded || f.Changed }

// Filter returns the positions in samples of the samples that f selects, in pool order.
// Criteria on results (case, succeeded, changed) select ready samples only.
func Filter(samples []Sample, f FilterSpec) []int {
	out := []int{}
	for i := range samples {
		s := &samples[i]
		if f.Class > 0 && int(s.Label) != f.Class-1 {
			continue
		}
		if f.judges() {
			if !s.Ready {
				continue
			}
			a := &s.Plain
			if f.Adaptive {
				a = &s.Adaptive
			}
			if (f.Case != attack.CaseNone && a.Case != f.Case) || (f.Succeeded && !a.Succeeded(s.Label)) || (f.Changed && !a.Changed()) {
				continue
			}
		}
		out = append(out, i)
	}
	return out
}
