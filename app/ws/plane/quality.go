package plane

import (
	"github.com/mflowlab/mflowlab/sim/quality"
	"github.com/mflowlab/mflowlab/sim/watch"
)

// fileCurveFit is how close every point of a loaded data set must lie to the standard
// spiral for it to count as Two Spirals with a known curve (as `mflowlab runs --curve auto`:
// the generator's noise reaches 0.042).
const fileCurveFit = 0.05

// dataCurve returns what is known of the shown data's noiseless curve: the generator's
// spiral for generated data; for a loaded file the standard spiral, used only when every
// point lies within fileCurveFit of it (the original 20 000-point set does), else none.
func (l *Lab) dataCurve() watch.Curve {
	rot, fit := l.dataGen.Rotations, 0.0
	if l.dataFile {
		rot, fit = quality.SpiralRotations, fileCurveFit
	}
	pts, err := quality.SpiralCurve(rot, quality.SpiralArmPoints)
	if err != nil {
		return watch.Curve{} // rotations the generator refuses: no curve
	}
	return watch.Curve{Points: pts, FitWithin: fit}
}

// quality returns the watcher's status if it belongs to the run's current generation, else
// nil (not measured since the last reset).
func (l *Lab) quality() *watch.Status {
	st, snap := l.watch.Latest(), l.run.Latest()
	if st.Gen != snap.Gen || (!st.Measured && st.Err == "") {
		return nil
	}
	return st
}

// qualityReady reports whether the watcher has measured the run's latest snapshot (or a
// loaded flow is shown, which is not measured): screenshots wait for it.
func (l *Lab) qualityReady() bool {
	if l.static != nil {
		return true
	}
	st := l.quality()
	return st != nil && st.Version == l.run.Latest().Version
}
