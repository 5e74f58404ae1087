package runs

import (
	"image"
	"image/color"
	"math"
	"sync"
	"time"

	"github.com/mflowlab/mflowlab/flow"
	"github.com/mflowlab/mflowlab/flow/nn"
	"github.com/mflowlab/mflowlab/internal/osprio"
	"github.com/mflowlab/mflowlab/sim/quality"
	"github.com/mflowlab/mflowlab/ui/grid"
	"github.com/mflowlab/mflowlab/ui/plane"
)

// cellMeta is what a cell's picture says besides its curve: comparable, so that an
// unchanged cell is never drawn again (distances as float bits: NaN equals itself).
type cellMeta struct {
	Seed          uint64
	Title, Label  string
	Note, Pending string
	Step          int
	Verdict       quality.Verdict
	NoBadge, Dim  bool
	D2M95, Core   uint64
	Curve         color.NRGBA
}

// cell returns the grid.Cell of m without its curves.
func (m cellMeta) cell() grid.Cell {
	return grid.Cell{Seed: m.Seed, Title: m.Title, Label: m.Label, Note: m.Note, Pending: m.Pending,
		Step: m.Step, Verdict: m.Verdict, NoBadge: m.NoBadge, Dim: m.Dim, Curve: m.Curve,
		D2M95: math.Float64frombits(m.D2M95), M2D95Core: math.Float64frombits(m.Core)}
}

// cellReq is one cell's picture: the flow whose curve it shows (nil: none), its words,
// its size and the data box.
type cellReq struct {
	flow  *flow.MFlow
	meta  cellMeta
	size  image.Point
	view  [4]float64
	lines bool // warped latent grid lines
	data  *float32
}

// cellPic is a drawn cell.
type cellPic struct {
	img     *image.RGBA
	version uint64
}

// curveCache is a cell's curve for one flow.
type curveCache struct {
	flow  *flow.MFlow
	core  []float32
	tails [][]float32
	lines [][]float32
	hasGL bool
}

// Sampling of a live cell's curve: the data's h_M range from rangePoints points, the curve
// from curvePoints between the data's ends and tailPoints beyond each.
const (
	rangePoints = 200
	curvePoints = 600
	tailPoints  = 150
)

// batchShow is the longest a drawn cell picture waits for the rest of its batch (unless
// cellRasters.batchShow says otherwise).
const batchShow = 100 * time.Millisecond

// cellRasters draws cells on a background goroutine (on the caller's in sync mode): the
// frame asks for each cell's newest picture and paints the newest drawn one. Each new
// picture is a new image, so a painted one is never written again.
type cellRasters struct {
	sync       bool
	invalidate func()
	batchShow  time.Duration

	mu      sync.Mutex
	data    []float32
	want    map[int]cellReq // newest requests not drawn yet
	busy    bool            // a request is being drawn
	pics    map[int]cellPic // newest pictures
	version uint64
	wake    chan struct{}
	quit    chan struct{}
	done    chan struct{}

	asked  map[int]cellReq // the last request per cell
	handed map[int]handed  // what each cell was last asked to draw, and when
	plan   *cellPlan       // the last frame's
	stale  bool            // a newer State came (stateChanged)

	r      *plane.Renderer    // the drawing goroutine's
	curves map[int]curveCache // the drawing goroutine's
}

func newCellRasters(syncMode bool, invalidate func()) *cellRasters {
	c := &cellRasters{sync: syncMode, invalidate: invalidate, batchShow: batchShow, want: map[int]cellReq{}, pics: map[int]cellPic{},
		asked: map[int]cellReq{}, handed: map[int]handed{}, r: plane.NewRenderer(), curves: map[int]curveCache{}}
	if !syncMode {
		c.wake, c.quit, c.done = make(chan struct{}, 1), make(chan struct{}), make(chan struct{})
		osprio.Go(c.run)
	}
	return c
}

// reset forgets every cell (a new grid) and sets the data drawn in them.
func (c *cellRasters) reset(data []float32) {
	c.mu.Lock()
	c.data = data
	c.want, c.pics = map[int]cellReq{}, map[int]cellPic{}
	c.asked, c.handed, c.plan = map[int]cellReq{}, map[int]handed{}, nil
	c.mu.Unlock()
}

// flush starts drawing the requests made since the last flush: the frame asks for every
// cell first, so that the pictures of one tick are drawn, and shown, as one batch.
func (c *cellRasters) flush() {
	if c.sync {
		return
	}
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// pic returns cell i's newest picture.
func (c *cellRasters) pic(i int) cellPic {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.pics[i]
}

// close stops the drawing goroutine.
func (c *cellRasters) close() {
	if c.sync {
		return
	}
	close(c.quit)
	<-c.done
}

func (c *cellRasters) run() {
	defer close(c.done)
	for {
		select {
		case <-c.quit:
			return
		case <-c.wake:
		}
		fresh := c.askNewest()
		var first time.Time // when the oldest picture not asked to be shown yet was drawn
		for {
			c.mu.Lock()
			i, q, ok := -1, cellReq{}, false
			for k, v := range c.want {
				if !ok || k < i {
					i, q, ok = k, v, true
				}
			}
			delete(c.want, i)
			c.busy = ok
			c.mu.Unlock()
			if !ok {
				// the rest of the batch was dropped (a new grid), or a new State changed no cell
				if !first.IsZero() || fresh {
					c.invalidate()
				}
				break
			}
			img := c.draw(i, q)
			c.mu.Lock()
			if len(c.data) > 0 && q.data == &c.data[0] {
				c.version++
				c.pics[i] = cellPic{img: img, version: c.version}
			}
			c.busy = false
			more := len(c.want) > 0
			c.mu.Unlock()
			// One frame for a batch of cells (the cells of a tick change together), unless the
			// batch takes long: every frame costs the software GPU what the runs lose.
			if first.IsZero() {
				first = time.Now()
			}
			if !more || time.Since(first) >= c.batchShow {
				c.invalidate()
				first, fresh = time.Time{}, false
			}
		}
	}
}

// draw renders request q of cell i into a new image.
func (c *cellRasters) draw(i int, q cellReq) *image.RGBA {
	c.mu.Lock()
	data := c.data
	c.mu.Unlock()
	img := image.NewRGBA(image.Rectangle{Max: q.size})
	cell := q.meta.cell()
	if q.flow != nil && len(data) > 0 {
		cc := c.curves[i]
		if cc.flow != q.flow || (q.lines && !cc.hasGL) {
			cc = curveOf(q.flow, data, q.lines)
			c.curves[i] = cc
		}
		cell.Core, cell.Tails = cc.core, cc.tails
		if q.lines {
			cell.Gridded = cc.lines
		}
	}
	func() {
		defer func() {
			if recover() != nil { // a broken flow must not take the window down
				c.r = plane.NewRenderer()
			}
		}()
		grid.DrawCell(c.r, img, img.Rect, data, &cell, q.view)
	}()
	return img
}

// curveOf computes f's learned curve (and, with lines, its warped latent grid) on one
// goroutine; a flow that panics gives no curve.
func curveOf(f *flow.MFlow, data []float32, lines bool) (cc curveCache) {
	cc.flow = f
	defer func() {
		if recover() != nil {
			cc = curveCache{flow: f}
		}
	}()
	ev := *f // snapshots are immutable: a shallow copy with its own worker count
	ev.Workers = 1
	lo, hi := grid.Range(&ev, data, rangePoints)
	cc.core, cc.tails = grid.CurvesN(&ev, lo, hi, curvePoints, tailPoints)
	if lines && hi >= lo {
		cc.lines, cc.hasGL = gridLines(&ev, lo, hi), true
	}
	return cc
}

// gridLines returns the latent grid warped into the data space: lines of constant v
// (the manifold's offsets) and of constant t over the data's h_M range.
func gridLines(f *flow.MFlow, lo, hi float64) [][]float32 {
	const n, m = 7, 160
	span := max(hi-lo, 1e-3)
	var out [][]float32
	mk := func(pts [][2]float64) {
		h := nn.NewMat(len(pts), 2)
		for i, p := range pts {
			h.Data[2*i], h.Data[2*i+1] = float32(p[0]), float32(p[1])
		}
		x, _ := f.OuterInverse(h)
		out = append(out, x.Data)
	}
	for k := range n {
		v := -1.5 + 3*float64(k)/float64(n-1)
		pts := make([][2]float64, m)
		for i := range m {
			pts[i] = [2]float64{lo - span/2 + 2*span*float64(i)/float64(m-1), v}
		}
		mk(pts)
	}
	for k := range n {
		t := lo + span*float64(k)/float64(n-1)
		pts := make([][2]float64, m)
		for i := range m {
			pts[i] = [2]float64{t, -1.5 + 3*float64(i)/float64(m-1)}
		}
		mk(pts)
	}
	return out
}

// pending reports whether requests wait to be drawn.
func (c *cellRasters) pending() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.want) > 0 || c.busy
}
