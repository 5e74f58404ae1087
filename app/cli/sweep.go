package cli

import (
	"errors"
	"flag"
	"fmt"
	"image/color"
	"io"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/mflowlab/mflowlab/attack"
	"github.com/mflowlab/mflowlab/flow"
	"github.com/mflowlab/mflowlab/flow/classify"
	"github.com/mflowlab/mflowlab/flow/nn"
	"github.com/mflowlab/mflowlab/internal/atomicfile"
	"github.com/mflowlab/mflowlab/internal/progress"
	"github.com/mflowlab/mflowlab/internal/testref"
	"github.com/mflowlab/mflowlab/sim/spirals"
)

// originalData is the original experiments' data set, relative to the shared folder.
const originalData = "reference/data/spiral_dataset_20k.pt"

func runSweep(env *Env, args []string) error {
	if hasFlag(args, "images") {
		return runSweepImages(env, args)
	}
	fs := newFlags(env, "sweep")
	flowPath := fs.String("flow", "", "M-Flow checkpoint used as the defence (native or original .pt)")
	clfPath := fs.String("classifier", "", "classifier checkpoint (native or original .pt)")
	data := fs.String("data", "", "points to attack: x,y,label CSV or the original .pt (default: the original data set if found, else generated Two Spirals)")
	kindName := fs.String("attack", "fgsm", "attack: fgsm, pgd or pgd-l2")
	steps := fs.Int("steps", 10, "PGD steps")
	alpha := fs.Float64("alpha", 0, "PGD step size (0: 2.5·ε/steps for each ε)")
	randomStart := fs.Bool("random-start", true, "PGD: start at a seeded random point of the ε-ball")
	seed := fs.Uint64("seed", 1, "seed of PGD's random start and of generated data")
	adaptive := fs.Bool("adaptive", false, "attack the defended classifier: gradients through the projection")
	epsSpec := fs.String("eps", "0:0.3:100", "ε values as start:stop:count (evenly spaced, both ends included)")
	out := fs.String("out", "", "CSV to write: eps,A,B,C,D")
	plotPath := fs.String("plot", "", "PNG to write: stacked relative frequencies of the cases (optional)")
	n := fs.Int("n", 20000, "generated data: number of points")
	fs.String("images", "", "CIFAR-10 images instead of points: sweep a CNN behind a PCA or image M-Flow defence (mflowlab sweep --images X -h)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *flowPath == "" || *clfPath == "" || *out == "" {
		return errors.New("need --flow, --classifier and --out")
	}
	if *plotPath != "" && !strings.EqualFold(filepath.Ext(*plotPath), ".png") {
		return fmt.Errorf("--plot %s: only PNG is written; name the file *.png", *plotPath)
	}
	kind, err := attack.ParseKind(*kindName)
	if err != nil {
		return err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if kind == attack.FGSM {
		for _, name := range []string{"steps", "alpha", "random-start"} {
			if set[name] {
				return fmt.Errorf("--%s applies to pgd and pgd-l2, not fgsm", name)
			}
		}
	}
	eps, err := parseEpsRange(*epsSpec)
	if err != nil {
		return err
	}
	p := attack.Params{Kind: kind, Steps: *steps, Alpha: *alpha, RandomStart: kind != attack.FGSM && *randomStart, Seed: *seed}
	if kind != attack.FGSM && *alpha == 0 {
		p.Alpha = 0 // resolved per ε by attack.Sweep
	} else if kind != attack.FGSM {
		if err := (attack.Params{Kind: kind, Steps: *steps, Alpha: *alpha}).Validate(); err != nil {
			return err
		}
	}

	ck, err := flow.LoadCheckpoint(*flowPath)
	if err != nil {
		return err
	}
	fl := ck.Flow
	clf, err := classify.LoadAny(*clfPath)
	if err != nil {
		return err
	}
	ds, err := sweepData(env, *data, *n, *seed)
	if err != nil {
		return err
	}
	if clf.In != 2 || fl.Cfg.N != 2 {
		return fmt.Errorf("the data are 2-D points; the classifier takes %d inputs and the flow %d", clf.In, fl.Cfg.N)
	}
	x := nn.MatFrom(ds.N(), 2, ds.X)
	var target attack.Classifier = clf
	if *adaptive {
		target = attack.Defended{Clf: clf, Flow: fl}
	}

	name := kind.String()
	if *adaptive {
		name = "adaptive " + name
	}
	fmt.Fprintf(env.Stderr, "sweep: %s, %d ε values in [%g, %g], %d points (%s), flow %s\n",
		name, len(eps), eps[0], eps[len(eps)-1], ds.N(), ds.Source, filepath.Base(*flowPath))
	bar := progress.New(env.Stderr, "sweep", float64(len(eps)*ds.N()))
	start := time.Now()
	res, err := attack.Sweep(env.Ctx, target, fl, x, ds.Y, eps, p, func(done, total int) {
		bar.Update(float64(done), fmt.Sprintf("%d/%d ε", done/ds.N(), len(eps)))
	})
	if err != nil {
		fmt.Fprintln(env.Stderr)
		return err
	}
	bar.Done(fmt.Sprintf("%d/%d ε", len(eps), len(eps)))
	secs := time.Since(start).Seconds()

	if err := atomicfile.Write(*out, func(w io.Writer) error { return writeCases(w, res) }); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "wrote %s\n", *out)
	if *plotPath != "" {
		title := fmt.Sprintf("Cases A–D under %s · defence: M-Flow %s", attackTitle(kind, *adaptive), strings.TrimSuffix(filepath.Base(*flowPath), filepath.Ext(*flowPath)))
		if err := writeCasesPlot(*plotPath, res, title, false); err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "wrote %s\n", *plotPath)
	}
	j := res.EpsStar()
	c := res.Counts[j]
	fmt.Fprintf(env.Stdout, "eps*=%.4f attack_success=%.4f (%d of %d) defence_undid=%.4f (A=%d C=%d)\n",
		res.Eps[j], res.AttackRate(j), c[0]+c[2], res.N, res.UndoneShare(j), c[0], c[2])
	fmt.Fprintf(env.Stdout, "total %.2f s\n", secs)
	return nil
}

// attackTitle names the attack for the chart title, e.g. "adaptive PGD (L2)".
func attackTitle(k attack.Kind, adaptive bool) string {
	name := map[attack.Kind]string{attack.FGSM: "FGSM", attack.PGD: "PGD (L∞)", attack.PGDL2: "PGD (L2)"}[k]
	if adaptive {
		name = "adaptive " + name
	}
	return name
}

// sweepData loads --data, else the original data set when the shared folder is present, else
// generates Two Spirals (saying so).
func sweepData(env *Env, path string, n int, seed uint64) (*spirals.Dataset, error) {
	if path != "" {
		return spirals.Load(path)
	}
	if dir, err := testref.Find(); err == nil {
		p := filepath.Join(dir, filepath.FromSlash(originalData))
		if ds, err := spirals.Load(p); err == nil {
			return ds, nil
		}
	}
	fmt.Fprintf(env.Stderr, "sweep: the original data set (%s in the shared folder) was not found; using %d generated Two Spirals points (seed %d)\n", originalData, n, seed)
	return spirals.Generate(n, 3, 1.2, seed)
}

// parseEpsRange reads start:stop:count into count evenly spaced values, both ends included.
func parseEpsRange(s string) ([]float64, error) {
	parts := strings.Split(s, ":")
	if len(parts) != 3 {
		return nil, fmt.Errorf("--eps %q: want start:stop:count, e.g. 0:0.3:100", s)
	}
	var v [2]float64
	for i := 0; i < 2; i++ {
		f, err := strconv.ParseFloat(strings.TrimSpace(parts[i]), 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, fmt.Errorf("--eps %q: %q is not a finite number", s, parts[i])
		}
		if f < 0 || f > attack.MaxEps {
			return nil, fmt.Errorf("--eps %q: %v out of range [0, %v]", s, f, attack.MaxEps)
		}
		v[i] = f
	}
	count, err := strconv.Atoi(strings.TrimSpace(parts[2]))
	if err != nil || count < 1 || count > attack.MaxSweepEps {
		return nil, fmt.Errorf("--eps %q: count %q must be an integer in [1, %d]", s, parts[2], attack.MaxSweepEps)
	}
	if v[1] < v[0] {
		return nil, fmt.Errorf("--eps %q: stop %v is below start %v", s, v[1], v[0])
	}
	return attack.Linspace(v[0], v[1], count), nil
}

func writeCases(w io.Writer, r *attack.SweepResult) error {
	if _, err := fmt.Fprintln(w, "eps,A,B,C,D"); err != nil {
		return err
	}
	for i, c := range r.Counts {
		if _, err := fmt.Fprintf(w, "%.6f,%d,%d,%d,%d\n", r.Eps[i], c[0], c[1], c[2], c[3]); err != nil {
			return err
		}
	}
	return nil
}

// sans returns the chart font (Liberation Sans) at size points.
func sans(size vg.Length) font.Font {
	return font.Font{Typeface: "Liberation", Variant: "Sans", Size: size}
}

// writeCasesPlot draws the stacked relative frequencies of D, C, B, A (bottom to top) against
// ε with ε* marked, 8×5 in at 150 dpi, legend and ε* summary on the right, and writes the PNG
// atomically. With pixel set (image sweeps) the ε axis and ε* read in grey levels, k/255.
func writeCasesPlot(path string, r *attack.SweepResult, title string, pixel bool) error {
	const width, height = 8 * vg.Inch, 5 * vg.Inch
	// Calm, distinguishable case colours: A green, B blue, C red, D grey.
	caseColors := [4]color.NRGBA{
		{R: 0x4c, G: 0xa8, B: 0x6f, A: 0xff},
		{R: 0x6a, G: 0x9b, B: 0xd8, A: 0xff},
		{R: 0xd9, G: 0x6b, B: 0x5f, A: 0xff},
		{R: 0xa3, G: 0xa3, B: 0xa3, A: 0xff},
	}
	caseLegend := [4]string{
		"A  attack succeeded, defence undid it",
		"B  attack failed, defence kept the label",
		"C  attack succeeded, defence failed",
		"D  attack failed, defence broke the label",
	}
	ax := newEpsAxis(pixel)
	p := plot.New()
	p.X.Label.Text = ax.label
	p.Y.Label.Text = "relative frequency"
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle.Font = sans(13)
		a.Tick.Label.Font = sans(11)
		a.Padding = 0
	}
	p.X.Min, p.X.Max = ax.scale*r.Eps[0], ax.scale*r.Eps[len(r.Eps)-1]
	if p.X.Max == p.X.Min {
		p.X.Max = p.X.Min + 1e-3*ax.scale
	}
	p.X.Tick.Marker = stepTicks{}
	p.Y.Min, p.Y.Max = 0, 1
	p.Y.Tick.Marker = percentTicks{}

	// Bands from the bottom: D, C, B, A.
	lower := make([]float64, len(r.Eps))
	for _, k := range []int{3, 2, 1, 0} {
		upper := make([]float64, len(r.Eps))
		ring := make(plotter.XYs, 0, 2*len(r.Eps))
		for i, c := range r.Counts {
			upper[i] = lower[i] + float64(c[k])/float64(r.N)
			ring = append(ring, plotter.XY{X: ax.scale * r.Eps[i], Y: upper[i]})
		}
		for i := len(r.Eps) - 1; i >= 0; i-- {
			ring = append(ring, plotter.XY{X: ax.scale * r.Eps[i], Y: lower[i]})
		}
		poly, err := plotter.NewPolygon(ring)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		poly.Color = caseColors[k]
		poly.LineStyle.Width = 0
		p.Add(poly)
		lower = upper
	}
	j := r.EpsStar()
	p.Add(epsStarMark{eps: ax.scale * r.Eps[j], label: "ε* = " + ax.text(r.Eps[j])})

	// The legend and the ε* summary go in a strip on the right, as wide as their text.
	leg := plot.NewLegend()
	leg.Top, leg.Left = true, true
	leg.TextStyle.Font = sans(10.5)
	leg.Padding = 6
	leg.ThumbnailWidth = 16
	for k := 0; k < 4; k++ {
		leg.Add(caseLegend[k], &plotter.Polygon{Color: caseColors[k]})
	}
	sty := leg.TextStyle
	sty.Color = color.Gray{Y: 0x30}
	lines := []string{
		fmt.Sprintf("At ε* = %s (dashed line):", ax.text(r.Eps[j])),
		fmt.Sprintf("attack success %.1f %%,", 100*r.AttackRate(j)),
		fmt.Sprintf("of which the defence undid %.1f %%", 100*r.UndoneShare(j)),
		"",
		fmt.Sprintf("%d %s per ε, %d ε values", r.N, ax.items, len(r.Eps)),
	}
	var stripW vg.Length
	for _, l := range caseLegend {
		stripW = max(stripW, leg.ThumbnailWidth+sty.Rectangle("  "+l).Max.X)
	}
	for _, l := range lines {
		stripW = max(stripW, sty.Rectangle(l).Max.X)
	}
	stripW += 24

	c := vgimg.NewWith(vgimg.UseWH(width, height), vgimg.UseDPI(150), vgimg.UseBackgroundColor(color.White))
	dc := draw.New(c)
	// The title spans the whole figure, above the plot and the strip.
	tsty := draw.TextStyle{Color: color.Gray{Y: 0x10}, Font: sans(14), Handler: plot.DefaultTextHandler, XAlign: draw.XCenter}
	titleH := tsty.Rectangle(title).Size().Y + 14
	dc.FillText(tsty, vg.Point{X: width / 2, Y: height - titleH + 6 + tsty.FontExtents().Descent}, title)
	p.Draw(draw.Crop(dc, 8, -stripW, 6, -titleH-4))
	strip := draw.Crop(dc, width-stripW+12, -8, 0, -titleH-0.45*vg.Inch)
	leg.Draw(strip)
	y := strip.Max.Y - leg.Rectangle(strip).Size().Y - 28
	for _, l := range lines {
		strip.FillText(sty, vg.Point{X: strip.Min.X, Y: y}, l)
		y -= sty.Rectangle("Ag").Size().Y + 5
	}
	return atomicfile.Write(path, func(w io.Writer) error {
		_, err := vgimg.PngCanvas{Canvas: c}.WriteTo(w)
		return err
	})
}

// epsAxis is how a cases chart shows ε: axis positions are scale·ε, ε* is written by text.
type epsAxis struct {
	label string
	scale float64
	text  func(eps float64) string
	items string // what was attacked: points or images
}

// newEpsAxis returns the ε axis of a Two Spirals sweep (ε as is) or, with pixel set, of an
// image sweep: ε in grey levels (k on the axis means k/255) and ε* written as k/255.
func newEpsAxis(pixel bool) epsAxis {
	if pixel {
		return epsAxis{label: "ε in grey levels (k means k/255)", scale: 255, text: pixelString, items: "images"}
	}
	return epsAxis{label: "ε", scale: 1, text: func(e float64) string { return fmt.Sprintf("%.3f", e) }, items: "points"}
}

// stepTicks labels an axis at round steps, aiming for five to eight labels.
type stepTicks struct{}

func (stepTicks) Ticks(lo, hi float64) []plot.Tick {
	span := hi - lo
	if !(span > 0) {
		return []plot.Tick{{Value: lo, Label: strconv.FormatFloat(lo, 'g', 4, 64)}}
	}
	step := math.Pow(10, math.Floor(math.Log10(span)))
	for _, f := range []float64{0.1, 0.2, 0.25, 0.5, 1} {
		if span/(step*f) <= 8 {
			step *= f
			break
		}
	}
	decimals := max(0, int(math.Ceil(-math.Log10(step)-1e-9)))
	if math.Abs(step*math.Pow(10, float64(decimals))-math.Round(step*math.Pow(10, float64(decimals)))) > 1e-9 {
		decimals++ // steps like 0.25
	}
	var t []plot.Tick
	for i := math.Ceil(lo/step - 1e-9); i*step <= hi+1e-9*span; i++ {
		v := i * step
		t = append(t, plot.Tick{Value: v, Label: strconv.FormatFloat(v+0, 'f', decimals, 64)})
		if mid := v + step/2; mid < hi {
			t = append(t, plot.Tick{Value: mid}) // minor tick
		}
	}
	return t
}

// percentTicks labels a [0, 1] axis in percent every 20 %.
type percentTicks struct{}

func (percentTicks) Ticks(lo, hi float64) []plot.Tick {
	var t []plot.Tick
	for i := 0; i <= 10; i++ {
		v := float64(i) / 10
		if v < lo-1e-9 || v > hi+1e-9 {
			continue
		}
		label := ""
		if i%2 == 0 {
			label = fmt.Sprintf("%d %%", i*10)
		}
		t = append(t, plot.Tick{Value: v, Label: label})
	}
	return t
}

// epsStarMark draws the dashed vertical line at ε* with a boxed label at its top.
type epsStarMark struct {
	eps   float64
	label string
}

func (m epsStarMark) Plot(c draw.Canvas, p *plot.Plot) {
	trX, _ := p.Transforms(&c)
	x := trX(m.eps)
	line := draw.LineStyle{Color: color.Gray{Y: 0x20}, Width: vg.Points(1.6), Dashes: []vg.Length{vg.Points(6), vg.Points(4)}}
	c.StrokeLine2(line, x, c.Min.Y, x, c.Max.Y)
	sty := draw.TextStyle{Color: color.Gray{Y: 0x10}, Font: sans(11), Handler: plot.DefaultTextHandler}
	r := sty.Rectangle(m.label)
	w, h := r.Size().X+8, r.Size().Y+4
	x0 := x + 5
	if x0+w > c.Max.X {
		x0 = x - 5 - w
	}
	y0 := c.Max.Y - 8 - h
	box := []vg.Point{{X: x0, Y: y0}, {X: x0 + w, Y: y0}, {X: x0 + w, Y: y0 + h}, {X: x0, Y: y0 + h}}
	c.FillPolygon(color.NRGBA{R: 0xff, G: 0xff, B: 0xff, A: 0xe6}, box)
	c.FillText(sty, vg.Point{X: x0 + 4, Y: y0 + 2 + sty.FontExtents().Descent}, m.label)
}
