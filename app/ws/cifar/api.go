package cifar

import (
	"context"

	sgal "github.com/mflowlab/mflowlab/sim/gallery"
)

// The engine's types, under the workspace's names.
type (
	// Settings are what the gallery shows: data, models, attack and pool.
	Settings = sgal.Settings
	// Snapshot is the engine's state at one moment (immutable).
	Snapshot = sgal.Snapshot
	// Sample is one pool image and both attacks on it.
	Sample = sgal.Sample
	// CaseCurve holds the A–D counts against ε.
	CaseCurve = sgal.CaseCurve
	// FilterSpec selects samples.
	FilterSpec = sgal.FilterSpec
)

// Filter returns the positions of the samples f selects, in pool order.
func Filter(samples []Sample, f FilterSpec) []int { return sgal.Filter(samples, f) }

// normalised returns s as the engine's snapshots show it (defaults filled in, the fields the
// engine sets cleared).
func normalised(s Settings) Settings { return sgal.Normalised(s) }

// newEngine is sim/gallery's engine.
func newEngine(ctx context.Context, cacheDir string, notify func()) Source {
	return sgal.New(ctx, cacheDir, notify)
}
