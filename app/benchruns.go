package app

import (
	"context"
	"errors"
	"time"

	"github.com/mflowlab/mflowlab/app/shell"
	"github.com/mflowlab/mflowlab/flow"
	"github.com/mflowlab/mflowlab/flow/nn"
	"github.com/mflowlab/mflowlab/sim/run"
	"github.com/mflowlab/mflowlab/sim/study"
)

// errNoneTraining says that no run of the grid trains any more: there is no anchor to take.
var errNoneTraining = errors.New("no run of the grid was still training")

// settleMax bounds how long the frame benchmark waits, after its warm-up, for the grid's
// runs to leave their start-up phases.
const settleMax = 10 * time.Minute

// idleFrame is the longest the paced benchmark waits for the app to ask for a frame: an app
// where nothing changes (a finished grid) is then measured once a second.
const idleFrame = time.Second

// waitAsked waits until the app asks for the next frame: a background update (asked) or
// the time a frame asked to be drawn again at (at most idleFrame).
func waitAsked(ctx context.Context, o *shell.Offscreen, asked <-chan struct{}) error {
	wait := idleFrame
	if at, ok := o.Wakeup(); ok {
		wait = min(wait, max(0, time.Until(at)))
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-asked:
	case <-t.C:
	case <-ctx.Done():
		return ctx.Err()
	}
	return nil
}

// runsAnchor measures what `mflowlab runs --jobs 2` trains headless on the grid's running
// runs (ss, their snapshots when the frames' measurement ended, on data), in steps a
// second: two of them, each on its own goroutine, continuing from their weights. When the
// grid had settled, a geodesic recipe's runs go on in its joint phase, as the grid's did.
// The grid must have stopped training.
func runsAnchor(ctx context.Context, ss []*run.Snapshot, data nn.Mat, settled bool, d time.Duration) (float64, error) {
	if len(ss) == 0 {
		return 0, errNoneTraining
	}
	s := ss[0].Settings
	if settled {
		s.Train = s.Train.Continued()
	}
	pair := []*run.Snapshot{ss[0], ss[min(1, len(ss)-1)]}
	seeds := []uint64{pair[0].Seed, pair[1].Seed}
	flows := []*flow.MFlow{pair[0].Flow, pair[1].Flow}
	spec := &study.Spec{Settings: s, Data: data, Steps: 1 << 30}
	return study.Throughput(ctx, spec, seeds, flows, 0, d)
}

// anchorNow pauses the grid, measures the anchor on its running runs and trains the grid on.
func (m *frameMeter) anchorNow() (float64, error) {
	ss, data := m.r.Running()
	settled := m.r.Settled()
	m.r.Pause()
	for m.r.Busy() {
		if err := m.ctx.Err(); err != nil {
			return 0, err
		}
		time.Sleep(10 * time.Millisecond)
	}
	a, err := runsAnchor(m.ctx, ss, data, settled, m.anchorFor)
	m.r.Play()
	return a, err
}
