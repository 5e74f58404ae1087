package runs

import (
	"image"
	"time"

	"github.com/mflowlab/mflowlab/flow"
	"github.com/mflowlab/mflowlab/sim/cohort"
)

// How the cells are asked for: each frame publishes a plan (which member each cell shows, at
// what size and view) and asks for every cell of it; when the cohort publishes a newer State,
// the drawing goroutine asks for the live cells of the last plan itself, draws them and only
// then asks for a frame. The window so draws one frame per cohort tick, not two: each frame
// costs llvmpipe what the runs lose.

// handed is what a cell was last asked to draw, and when.
type handed struct {
	flow   *flow.MFlow
	flowAt time.Time
	meta   cellMeta
	metaAt time.Time
}

// cellPlan is what a frame showed: immutable once given to setPlan.
type cellPlan struct {
	co    *cohort.Cohort
	ids   []int         // member ids of the cells, in order
	sizes []image.Point // the cells' sizes in pixels
	view  [4]float64
	lines bool
	step  int  // the timeline's step
	live  bool // the cells show their runs' newest weights
	data  *float32
}

// same reports whether p and q show the same cells the same way.
func (p *cellPlan) same(q *cellPlan) bool {
	if p == nil || q == nil || p.co != q.co || p.view != q.view || p.lines != q.lines || p.step != q.step ||
		p.live != q.live || p.data != q.data || len(p.ids) != len(q.ids) {
		return false
	}
	for i := range p.ids {
		if p.ids[i] != q.ids[i] || p.sizes[i] != q.sizes[i] {
			return false
		}
	}
	return true
}

// setPlan keeps the frame's plan for the drawing goroutine.
func (c *cellRasters) setPlan(p *cellPlan) {
	c.mu.Lock()
	c.plan = p
	c.mu.Unlock()
}

// ask asks for cell i of plan p showing member m at now (drawn after the next flush, unless
// it is what was asked last) and returns when to ask again for a change held back (zero:
// none). A live cell takes a new flow at most every flowEvery and new words every
// metaEvery, on the wall clock's ticks, so that the cells change together.
func (c *cellRasters) ask(p *cellPlan, i int, m cohort.Member, now time.Time) time.Time {
	f, meta := cellContent(i, m, p.step, p.live)
	c.mu.Lock()
	h, seen := c.handed[m.ID]
	var again time.Time
	if seen && p.live && m.Frozen == nil && !c.sync {
		if f != h.flow && sameTick(now, h.flowAt, flowEvery) {
			f, again = h.flow, now.Truncate(flowEvery).Add(flowEvery+afterTick)
		}
		if meta != h.meta && sameTick(now, h.metaAt, metaEvery) {
			meta = h.meta
			if a := now.Truncate(metaEvery).Add(metaEvery + afterTick); again.IsZero() || a.Before(again) {
				again = a
			}
		}
	}
	if !seen || f != h.flow {
		h.flow, h.flowAt = f, now
	}
	if !seen || meta != h.meta {
		h.meta, h.metaAt = meta, now
	}
	c.handed[m.ID] = h
	q := cellReq{flow: f, meta: meta, size: p.sizes[i], view: p.view, lines: p.lines, data: p.data}
	if a, ok := c.asked[m.ID]; ok && a == q {
		c.mu.Unlock()
		return again
	}
	c.asked[m.ID] = q
	if !c.sync {
		c.want[m.ID] = q
		c.mu.Unlock()
		return again
	}
	c.mu.Unlock()
	img := c.draw(m.ID, q)
	c.mu.Lock()
	c.version++
	c.pics[m.ID] = cellPic{img: img, version: c.version}
	c.mu.Unlock()
	return again
}

// stateChanged tells the drawing goroutine that the cohort published a newer State (any
// goroutine): it asks for the live cells of the last plan, draws them and asks for a frame.
func (c *cellRasters) stateChanged() {
	c.mu.Lock()
	c.stale = true
	c.mu.Unlock()
	c.flush()
}

// askNewest is the drawing goroutine's part of stateChanged; it reports whether a State
// came since the last call.
func (c *cellRasters) askNewest() bool {
	c.mu.Lock()
	stale, p := c.stale, c.plan
	c.stale = false
	c.mu.Unlock()
	if !stale || p == nil || p.co == nil || !p.live {
		return stale
	}
	st := p.co.State()
	now := time.Now()
	for i, id := range p.ids {
		// a member's id is its index in the States (members are never removed)
		if id < len(st.Members) && st.Members[id].Frozen == nil {
			c.ask(p, i, st.Members[id], now)
		}
	}
	return true
}
