package cli

import (
	"fmt"

	"github.com/mflowlab/mflowlab/attack"
	"github.com/mflowlab/mflowlab/flow/nn"
	"github.com/mflowlab/mflowlab/internal/progress"
)

// attackImages attacks the rows of x chunk rows per attack.Run call (its trajectory is kept,
// so chunks bound the memory), the k-th chunk with seed+k, and reports progress on bar. It
// returns the adversarial images; Ctrl-C stops it between chunks.
func attackImages(env *Env, target attack.Classifier, x nn.Mat, y []int32, p attack.Params, seed uint64, chunk int, bar *progress.Bar) (nn.Mat, error) {
	adv := nn.NewMat(x.Rows, x.Cols)
	for r0 := 0; r0 < x.Rows; r0 += chunk {
		if err := env.Ctx.Err(); err != nil {
			fmt.Fprintln(env.Stderr)
			return nn.Mat{}, err
		}
		r1 := min(x.Rows, r0+chunk)
		p.Seed = seed + uint64(r0/chunk)
		res, err := attack.Run(target, x.Slice(r0, r1), y[r0:r1], p)
		if err != nil {
			fmt.Fprintln(env.Stderr)
			return nn.Mat{}, err
		}
		copy(adv.Slice(r0, r1).Data, res.Adv.Data)
		bar.Update(float64(r1), fmt.Sprintf("%d/%d images", r1, x.Rows))
	}
	return adv, nil
}
