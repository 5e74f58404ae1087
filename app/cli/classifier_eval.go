package cli

import (
	"fmt"
	"io"

	"github.com/mflowlab/mflowlab/flow/classify"
	"github.com/mflowlab/mflowlab/flow/nn"
	"github.com/mflowlab/mflowlab/internal/atomicfile"
)

func evalClassifier(path string, pts nn.Mat, out string) error {
	m, err := classify.LoadAny(path)
	if err != nil {
		return err
	}
	if m.In != 2 || m.Classes != 2 {
		return fmt.Errorf("%s: eval writes p0,p1 for 2-D points; the classifier maps %d inputs to %d classes", path, m.In, m.Classes)
	}
	p := m.Probs(pts)
	pred := m.Predict(pts)
	return atomicfile.Write(out, func(w io.Writer) error {
		fmt.Fprintln(w, "x,y,p0,p1,pred")
		for i := 0; i < pts.Rows; i++ {
			fmt.Fprintf(w, "%s,%s,%s,%s,%d\n", ff(pts.At(i, 0)), ff(pts.At(i, 1)), ff(p.At(i, 0)), ff(p.At(i, 1)), pred[i])
		}
		return nil
	})
}
