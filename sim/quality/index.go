package quality

import "math"

// leafSegs is the number of consecutive segments under one leaf box.
const leafSegs = 8

// box is an axis-aligned bounding box; an empty box has min > max.
type box struct{ x0, y0, x1, y1 float64 }

var emptyBox = box{math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)}

func (b box) union(c box) box {
	return box{math.Min(b.x0, c.x0), math.Min(b.y0, c.y0), math.Max(b.x1, c.x1), math.Max(b.y1, c.y1)}
}

// dist2 returns the squared distance from (x, y) to the box (+Inf for an empty box).
func (b box) dist2(x, y float64) float64 {
	if b.x0 > b.x1 {
		return math.Inf(1)
	}
	dx, dy := 0.0, 0.0
	if x < b.x0 {
		dx = b.x0 - x
	} else if x > b.x1 {
		dx = x - b.x1
	}
	if y < b.y0 {
		dy = b.y0 - y
	} else if y > b.y1 {
		dy = y - b.y1
	}
	return dx*dx + dy*dy
}

// Index answers nearest-distance queries against a polyline. Consecutive segments of a
// curve lie close together, so the hierarchy needs no sorting: leaves are runs of
// leafSegs consecutive segments, and each level above joins two neighbours' boxes. A query
// descends nearest box first and prunes boxes farther than the best distance so far, so
// points near the curve and points far from it both cost about log M box tests.
//
// An Index is immutable once built and safe for concurrent queries.
type Index struct {
	xy     []float64 // the polyline's points, x0, y0, x1, y1, …
	levels [][]box   // levels[0] are the leaves; the last level has one box
}

// NewIndex builds the index of the polyline through pts (in order). Segments with a
// non-finite end are left out, so a NaN point breaks the line; a single point is a curve
// of one point. It returns nil when pts holds no finite point.
func NewIndex(pts []Point) *Index {
	ix := &Index{xy: make([]float64, 0, 2*len(pts))}
	finite := false
	for _, p := range pts {
		ix.xy = append(ix.xy, p.X, p.Y)
		finite = finite || (isFinite(p.X) && isFinite(p.Y))
	}
	if !finite {
		return nil
	}
	if len(pts) == 1 { // one zero-length segment
		ix.xy = append(ix.xy, pts[0].X, pts[0].Y)
	}
	segs := len(ix.xy)/2 - 1
	leaves := make([]box, (segs+leafSegs-1)/leafSegs)
	for l := range leaves {
		b := emptyBox
		for s := l * leafSegs; s < min(segs, (l+1)*leafSegs); s++ {
			if sb, ok := ix.segBox(s); ok {
				b = b.union(sb)
			}
		}
		leaves[l] = b
	}
	ix.levels = append(ix.levels, leaves)
	for lv := leaves; len(lv) > 1; {
		up := make([]box, (len(lv)+1)/2)
		for i := range up {
			up[i] = lv[2*i]
			if 2*i+1 < len(lv) {
				up[i] = up[i].union(lv[2*i+1])
			}
		}
		ix.levels = append(ix.levels, up)
		lv = up
	}
	return ix
}

func isFinite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// segBox returns segment s's box, or false when an end is not finite.
func (ix *Index) segBox(s int) (box, bool) {
	ax, ay, bx, by := ix.xy[2*s], ix.xy[2*s+1], ix.xy[2*s+2], ix.xy[2*s+3]
	if !isFinite(ax) || !isFinite(ay) || !isFinite(bx) || !isFinite(by) {
		return box{}, false
	}
	return box{math.Min(ax, bx), math.Min(ay, by), math.Max(ax, bx), math.Max(ay, by)}, true
}

// segDist2 returns the squared distance from (x, y) to segment s (NaN ends give +Inf).
func (ix *Index) segDist2(s int, x, y float64) float64 {
	ax, ay, bx, by := ix.xy[2*s], ix.xy[2*s+1], ix.xy[2*s+2], ix.xy[2*s+3]
	dx, dy := bx-ax, by-ay
	t := 0.0
	if l2 := dx*dx + dy*dy; l2 > 0 {
		t = ((x-ax)*dx + (y-ay)*dy) / l2
		if t < 0 {
			t = 0
		} else if t > 1 {
			t = 1
		}
	}
	ex, ey := ax+t*dx-x, ay+t*dy-y
	d := ex*ex + ey*ey
	if math.IsNaN(d) {
		return math.Inf(1)
	}
	return d
}

// node is a box of the hierarchy: level and index within it.
type node struct{ level, i int32 }

// Distance returns the Euclidean distance from (x, y) to the nearest point of the polyline:
// +Inf for a non-finite query point.
func (ix *Index) Distance(x, y float64) float64 {
	hint := -1
	return ix.DistanceHint(x, y, &hint)
}

// DistanceHint is Distance for a sequence of nearby queries, such as the points along a
// curve: *hint is a segment (−1 for none) whose distance starts the search, and on return
// the nearest segment found. The result does not depend on the hint; a good one only makes
// the search faster.
func (ix *Index) DistanceHint(x, y float64, hint *int) float64 {
	if !isFinite(x) || !isFinite(y) {
		return math.Inf(1)
	}
	segs := len(ix.xy)/2 - 1
	best, bestSeg := math.Inf(1), -1
	if h := *hint; h >= 0 && h < segs {
		best, bestSeg = ix.segDist2(h, x, y), h
	}
	var stack [128]node // depth ≤ 64 levels, two children pushed per level
	top := len(ix.levels) - 1
	sp := 0
	stack[sp] = node{int32(top), 0}
	sp++
	for sp > 0 {
		sp--
		n := stack[sp]
		if ix.levels[n.level][n.i].dist2(x, y) >= best {
			continue
		}
		if n.level == 0 {
			s0 := int(n.i) * leafSegs
			for s := s0; s < min(segs, s0+leafSegs); s++ {
				if d := ix.segDist2(s, x, y); d < best {
					best, bestSeg = d, s
				}
			}
			continue
		}
		below := ix.levels[n.level-1]
		a, b := 2*n.i, 2*n.i+1
		if int(b) >= len(below) {
			stack[sp] = node{n.level - 1, a}
			sp++
			continue
		}
		// push the farther child first, so the nearer one is searched first
		if below[a].dist2(x, y) < below[b].dist2(x, y) {
			a, b = b, a
		}
		stack[sp] = node{n.level - 1, a}
		stack[sp+1] = node{n.level - 1, b}
		sp += 2
	}
	*hint = bestSeg
	return math.Sqrt(best)
}
