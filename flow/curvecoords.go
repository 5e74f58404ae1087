package flow

import (
	"container/heap"
	"errors"
	"fmt"
	"math"
	"sort"

	"github.com/mflowlab/mflowlab/flow/nn"
)

// CurveCoords are the positions of 2-D points along the 1-D curve the data trace, found from
// the data alone: U is the geodesic distance from one end of the curve on a k-nearest-
// neighbour graph of the points, scaled to [−2, 2]. An outer flow that has unrolled the
// curve has a manifold coordinate that grows with U (the geodesic recipe regresses onto it).
type CurveCoords struct {
	U      []float32
	Length float64 // geodesic length of the data's curve, in data units
	Scale  float64 // latent units per data unit
}

// Curve-coordinate parameters: neighbours per point and the half-range of U.
const (
	curveNeighbours = 10
	curveSpan       = 2.0
)

// ErrNoCurve reports data whose nearest-neighbour graph has no usable length (all points
// equal, or fewer than 3 points).
var ErrNoCurve = errors.New("flow: the data trace no curve (too few or identical points)")

// NewCurveCoords computes curve coordinates of the rows of x (n×2). Disconnected pieces of the
// neighbour graph are joined at their closest points, so any data give coordinates.
func NewCurveCoords(x nn.Mat) (*CurveCoords, error) {
	if x.Cols != 2 {
		return nil, fmt.Errorf("flow: curve coordinates need 2-D data, got %d columns", x.Cols)
	}
	n := x.Rows
	if n < 3 {
		return nil, ErrNoCurve
	}
	g := knnGraph(x, min(curveNeighbours, n-1))
	g.connect(x)
	d0 := g.dijkstra(0)
	end := argmax(d0)
	d := g.dijkstra(end)
	far := argmax(d)
	L := d[far]
	if !(L > 0) || math.IsInf(L, 0) {
		return nil, ErrNoCurve
	}
	c := &CurveCoords{U: make([]float32, n), Length: L, Scale: 2 * curveSpan / L}
	for i := range d {
		c.U[i] = float32(d[i]*c.Scale - curveSpan)
	}
	return c, nil
}

func argmax(v []float64) int {
	b := 0
	for i, x := range v {
		if x > v[b] {
			b = i
		}
	}
	return b
}

// graph is a symmetric weighted adjacency list.
type graph struct {
	adj [][]edge
}

type edge struct {
	to int
	w  float64
}

func dist(x nn.Mat, i, j int) float64 {
	dx := float64(x.Data[2*i] - x.Data[2*j])
	dy := float64(x.Data[2*i+1] - x.Data[2*j+1])
	return math.Sqrt(dx*dx + dy*dy)
}

// knnGraph links every point to its k nearest neighbours (both ways), using a uniform grid
// so the search stays near-linear.
func knnGraph(x nn.Mat, k int) *graph {
	n := x.Rows
	g := &graph{adj: make([][]edge, n)}
	grid := newPointGrid(x, k)
	type cand struct {
		j int
		d float64
	}
	best := make([]cand, 0, 4*k)
	for i := 0; i < n; i++ {
		for r := 1; ; r++ {
			best = best[:0]
			grid.around(i, r, func(j int) {
				if j != i {
					best = append(best, cand{j, dist(x, i, j)})
				}
			})
			// Enough candidates within the searched square's inscribed radius: done.
			if len(best) >= k || r > grid.maxRing() {
				sort.Slice(best, func(a, b int) bool {
					if best[a].d != best[b].d {
						return best[a].d < best[b].d
					}
					return best[a].j < best[b].j
				})
				if len(best) >= k && best[k-1].d > float64(r-1)*grid.cell && r <= grid.maxRing() {
					continue // a closer point may sit just outside the square
				}
				for _, c := range best[:min(k, len(best))] {
					g.adj[i] = append(g.adj[i], edge{c.j, c.d})
					g.adj[c.j] = append(g.adj[c.j], edge{i, c.d})
				}
				break
			}
		}
	}
	return g
}

// connect joins the graph's components: while more than one remains, the component of
// point 0 is linked to its closest outside point.
func (g *graph) connect(x nn.Mat) {
	n := len(g.adj)
	for {
		reach := g.dijkstra(0)
		var in, out []int
		for i, d := range reach {
			if math.IsInf(d, 1) {
				out = append(out, i)
			} else {
				in = append(in, i)
			}
		}
		if len(out) == 0 || len(in) == n {
			return
		}
		bi, bj, bd := -1, -1, math.Inf(1)
		for _, i := range in {
			for _, j := range out {
				if d := dist(x, i, j); d < bd {
					bi, bj, bd = i, j, d
				}
			}
		}
		g.adj[bi] = append(g.adj[bi], edge{bj, bd})
		g.adj[bj] = append(g.adj[bj], edge{bi, bd})
	}
}

// dijkstra returns the shortest-path distances from src (+Inf where unreachable).
func (g *graph) dijkstra(src int) []float64 {
	d := make([]float64, len(g.adj))
	for i := range d {
		d[i] = math.Inf(1)
	}
	d[src] = 0
	h := &distHeap{{src, 0}}
	for h.Len() > 0 {
		it := heap.Pop(h).(distItem)
		if it.d > d[it.i] {
			continue
		}
		for _, e := range g.adj[it.i] {
			if nd := it.d + e.w; nd < d[e.to] {
				d[e.to] = nd
				heap.Push(h, distItem{e.to, nd})
			}
		}
	}
	return d
}

type distItem struct {
	i int
	d float64
}

type distHeap []distItem

func (h distHeap) Len() int { return len(h) }
func (h distHeap) Less(a, b int) bool {
	if h[a].d != h[b].d {
		return h[a].d < h[b].d
	}
	return h[a].i < h[b].i
}
func (h distHeap) Swap(a, b int) { h[a], h[b] = h[b], h[a] }
func (h *distHeap) Push(v any)   { *h = append(*h, v.(distItem)) }
func (h *distHeap) Pop() any {
	old := *h
	v := old[len(old)-1]
	*h = old[:len(old)-1]
	return v
}

// pointGrid buckets points into square cells of a uniform grid.
type pointGrid struct {
	x          nn.Mat
	minX, minY float64
	cell       float64
	nx, ny     int
	start      []int // cell c holds idx[start[c]:start[c+1]]
	idx        []int
}

func newPointGrid(x nn.Mat, k int) *pointGrid {
	n := x.Rows
	minX, minY, maxX, maxY := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for i := 0; i < n; i++ {
		px, py := float64(x.Data[2*i]), float64(x.Data[2*i+1])
		minX, maxX = math.Min(minX, px), math.Max(maxX, px)
		minY, maxY = math.Min(minY, py), math.Max(maxY, py)
	}
	w, h := math.Max(maxX-minX, 1e-9), math.Max(maxY-minY, 1e-9)
	// about k points per occupied cell for curve-like data: cells ~ n/k along the curve
	cells := math.Max(1, float64(n)/float64(k))
	cell := math.Max(w, h) / math.Min(cells, 2048)
	g := &pointGrid{x: x, minX: minX, minY: minY, cell: cell,
		nx: int(w/cell) + 1, ny: int(h/cell) + 1}
	if g.nx*g.ny > 4<<20 { // keep the grid bounded for degenerate aspect ratios
		g.cell = math.Sqrt(w * h / float64(4<<20))
		g.nx, g.ny = int(w/g.cell)+1, int(h/g.cell)+1
	}
	counts := make([]int, g.nx*g.ny+1)
	cellOf := make([]int, n)
	for i := 0; i < n; i++ {
		c := g.cellIndex(float64(x.Data[2*i]), float64(x.Data[2*i+1]))
		cellOf[i] = c
		counts[c+1]++
	}
	for c := 1; c < len(counts); c++ {
		counts[c] += counts[c-1]
	}
	g.start = counts
	g.idx = make([]int, n)
	fill := append([]int(nil), counts[:len(counts)-1]...)
	for i := 0; i < n; i++ {
		g.idx[fill[cellOf[i]]] = i
		fill[cellOf[i]]++
	}
	return g
}

func (g *pointGrid) cellXY(px, py float64) (int, int) {
	cx := min(max(int((px-g.minX)/g.cell), 0), g.nx-1)
	cy := min(max(int((py-g.minY)/g.cell), 0), g.ny-1)
	return cx, cy
}

func (g *pointGrid) cellIndex(px, py float64) int {
	cx, cy := g.cellXY(px, py)
	return cy*g.nx + cx
}

func (g *pointGrid) maxRing() int { return max(g.nx, g.ny) }

// around calls fn for every point in the (2r−1)×(2r−1) cells centred on point i's cell.
func (g *pointGrid) around(i, r int, fn func(j int)) {
	cx, cy := g.cellXY(float64(g.x.Data[2*i]), float64(g.x.Data[2*i+1]))
	for y := max(cy-r+1, 0); y <= min(cy+r-1, g.ny-1); y++ {
		for x := max(cx-r+1, 0); x <= min(cx+r-1, g.nx-1); x++ {
			c := y*g.nx + x
			for _, j := range g.idx[g.start[c]:g.start[c+1]] {
				fn(j)
			}
		}
	}
}
