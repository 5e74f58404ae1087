package cli

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/mflowlab/mflowlab/flow"
	"github.com/mflowlab/mflowlab/flow/nn"
	"github.com/mflowlab/mflowlab/internal/atomicfile"
)

func runEval(env *Env, args []string) error {
	for _, f := range []string{"images", "split", "attack", "eps", "steps", "alpha"} {
		if hasFlag(args, f) {
			return runEvalImages(env, args)
		}
	}
	fs := newFlags(env, "eval")
	flowPath := fs.String("flow", "", "M-Flow checkpoint (native or original .pt)")
	clfPath := fs.String("classifier", "", "classifier checkpoint (native or original .pt)")
	in := fs.String("in", "", "input CSV with x,y rows (header optional)")
	fs.String("images", "", "CIFAR-10 images instead of points: evaluate a CNN classifier (mflowlab eval --images X -h)")
	out := fs.String("out", "", "output CSV")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *in == "" || *out == "" || (*flowPath == "") == (*clfPath == "") {
		return errors.New("need --in, --out and exactly one of --flow or --classifier")
	}
	pts, err := ReadPoints(*in)
	if err != nil {
		return err
	}
	if *flowPath != "" {
		c, err := flow.LoadCheckpoint(*flowPath)
		if err != nil {
			return err
		}
		m := c.Flow
		if m.Cfg.N != 2 || m.Cfg.D != 1 {
			return fmt.Errorf("%s: eval writes 2-D columns; the flow has n=%d d=%d", *flowPath, m.Cfg.N, m.Cfg.D)
		}
		h, _ := m.OuterForward(pts)
		u := m.Encode(pts)
		proj := m.Project(pts)
		lp := m.LogProbPIE(pts, flow.DefaultPIEEps)
		return atomicfile.Write(*out, func(w io.Writer) error {
			fmt.Fprintln(w, "x,y,h1,h2,u,proj_x,proj_y,logp_pie")
			for i := 0; i < pts.Rows; i++ {
				fmt.Fprintf(w, "%s,%s,%s,%s,%s,%s,%s,%s\n", ff(pts.At(i, 0)), ff(pts.At(i, 1)), ff(h.At(i, 0)), ff(h.At(i, 1)),
					ff(u.At(i, 0)), ff(proj.At(i, 0)), ff(proj.At(i, 1)), ff(lp[i]))
			}
			return nil
		})
	}
	return evalClassifier(*clfPath, pts, *out)
}

// hasFlag reports whether args set the flag name (as -name, --name, -name=… or --name=…).
func hasFlag(args []string, name string) bool {
	for _, a := range args {
		if a == "--" {
			return false
		}
		a = strings.TrimPrefix(strings.TrimPrefix(a, "-"), "-")
		if a == name || strings.HasPrefix(a, name+"=") {
			return true
		}
	}
	return false
}

func ff(v float32) string { return strconv.FormatFloat(float64(v), 'g', -1, 32) }

// ReadPoints reads x,y rows (extra columns are ignored; a non-numeric first line is taken as
// a header). Errors name the file and line.
func ReadPoints(path string) (nn.Mat, error) {
	f, err := os.Open(path)
	if err != nil {
		return nn.Mat{}, err
	}
	defer f.Close()
	var data []float32
	sc := bufio.NewScanner(f)
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		fields := strings.Split(text, ",")
		if len(fields) < 2 {
			return nn.Mat{}, fmt.Errorf("%s:%d: want at least 2 comma-separated columns x,y, got %q", path, line, text)
		}
		var xy [2]float32
		for j := 0; j < 2; j++ {
			v, err := strconv.ParseFloat(strings.TrimSpace(fields[j]), 32)
			if err != nil {
				if line == 1 && len(data) == 0 {
					goto next // header
				}
				return nn.Mat{}, fmt.Errorf("%s:%d: column %d: %q is not a number", path, line, j+1, fields[j])
			}
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nn.Mat{}, fmt.Errorf("%s:%d: column %d is %v; points must be finite", path, line, j+1, v)
			}
			xy[j] = float32(v)
		}
		data = append(data, xy[0], xy[1])
	next:
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nn.Mat{}, fmt.Errorf("%s:%d: line longer than %d bytes (not a CSV file?)", path, line+1, bufio.MaxScanTokenSize)
		}
		return nn.Mat{}, fmt.Errorf("%s: %w", path, err)
	}
	if len(data) == 0 {
		return nn.Mat{}, fmt.Errorf("%s: no points", path)
	}
	return nn.MatFrom(len(data)/2, 2, data), nil
}
