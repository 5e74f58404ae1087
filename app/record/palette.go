package record

import (
	"image"
	"image/color"
	"math"
	"slices"

	"github.com/mflowlab/mflowlab/ui/plane"
)

// The GIF palette has 256 entries: colours 0…transparent−1 and, last, the transparent
// index that marks pixels unchanged since the previous frame.
const (
	paletteSize = 256
	transparent = paletteSize - 1
	nColours    = transparent
	// minGap is the least weighted distance between two palette colours: closer colours
	// waste a slot and could split one flat tint between two indices.
	minGap = 4 * 4 * 9
	// maxAnchors bounds the fixed colours, leaving the rest to the first frame's own.
	maxAnchors = 150
)

// rgb is an opaque colour.
type rgb struct{ r, g, b uint8 }

// dist is the weighted squared distance between two colours (green counts most, blue
// least, roughly as the eye does).
func dist(a, b rgb) int {
	dr := int(a.r) - int(b.r)
	dg := int(a.g) - int(b.g)
	db := int(a.b) - int(b.b)
	return 3*dr*dr + 4*dg*dg + 2*db*db
}

// over composites c with coverage a (0…1) over the opaque colour bg.
func over(bg rgb, c color.NRGBA, a float64) rgb {
	a *= float64(c.A) / 255
	m := func(x, y uint8) uint8 { return uint8(math.Round(float64(x) + a*(float64(y)-float64(x)))) }
	return rgb{m(bg.r, c.R), m(bg.g, c.G), m(bg.b, c.B)}
}

func rgbOf(c color.NRGBA) rgb { return over(rgb{}, color.NRGBA{c.R, c.G, c.B, 255}, 1) }

// anchorColours returns the colours the plane draws with, composited as they appear, most
// important first: the background, the opaque style colours, steps along the
// decision-region tint, then anti-aliasing steps of each colour over the background and
// the tints. They are in the palette from the first frame, so that layers appearing only
// later in an animation (a tint forming, attack paths, badges) keep their colours.
func anchorColours() []rgb {
	st := plane.DefaultStyle()
	bg := rgbOf(st.Background)
	out := []rgb{bg}
	add := func(c color.NRGBA, grounds []rgb, steps ...float64) {
		for _, g := range grounds {
			for _, a := range steps {
				out = append(out, over(g, c, a))
			}
		}
	}
	base := []rgb{bg}
	for _, c := range st.Classes {
		add(c, base, float64(st.PointAlpha), 1)
	}
	for _, c := range []color.NRGBA{st.Manifold, st.Attack, st.Projection, st.MarkerOutline, st.Original, st.AxisText} {
		add(c, base, 1)
	}
	for _, c := range st.CaseColors {
		add(c, base, 1)
	}
	blueTint, orangeTint := over(bg, st.Heat.At(0), 1), over(bg, st.Heat.At(1), 1)
	ends := []rgb{bg, blueTint, orangeTint}
	for k := 0; k <= 32; k++ {
		out = append(out, over(bg, st.Heat.At(float64(k)/32), 1))
	}
	add(st.Boundary, ends, 0.5, 1)
	add(st.GridLine, ends, 0.5, 1)
	add(st.AxisLine, ends, 1)
	add(st.AxisZero, ends, 1)
	add(st.Trajectory, base, 0.5, 1)
	for _, c := range st.Classes {
		add(c, ends, 0.3, 0.6)
		add(c, []rgb{over(bg, c, float64(st.PointAlpha))}, float64(st.PointAlpha))
	}
	add(st.Manifold, base, 0.3, 0.6)
	add(st.Manifold, []rgb{blueTint, orangeTint}, 0.5, 1)
	for _, c := range []color.NRGBA{st.Attack, st.Projection, st.MarkerOutline} {
		add(c, base, 0.35, 0.7)
	}
	for _, c := range st.CaseColors {
		add(c, base, 0.5)
	}
	add(st.Unlabelled, base, 0.5, 1)
	add(st.AxisText, base, 0.4, 0.7)
	return out
}

// buildPalette returns nColours colours: the anchor colours, then colours chosen by median
// cut for what the anchors leave uncovered in the sample frame.
func buildPalette(sample *image.RGBA) []rgb {
	pal := make([]rgb, 0, nColours)
	addNew := func(c rgb) {
		for _, p := range pal {
			if dist(p, c) < minGap {
				return
			}
		}
		pal = append(pal, c)
	}
	for _, c := range anchorColours() {
		if len(pal) < maxAnchors {
			addNew(c)
		}
	}
	if sample != nil {
		for _, c := range medianCut(histogram(sample, pal), 2*(nColours-len(pal))) {
			if len(pal) < nColours {
				addNew(c)
			}
		}
	}
	for len(pal) < nColours { // unused slots: repeat the first colour
		pal = append(pal, pal[0])
	}
	return pal
}

// bin is one RGB555 cell of a histogram: its pixel count and the sums of its channels.
type bin struct {
	key     int
	n       int
	r, g, b int
}

func (b *bin) mean() rgb {
	return rgb{uint8((b.r + b.n/2) / b.n), uint8((b.g + b.n/2) / b.n), uint8((b.b + b.n/2) / b.n)}
}

// histogram returns the occupied RGB555 cells of img whose mean colour is not already
// close to one of the colours in have, in key order.
func histogram(img *image.RGBA, have []rgb) []bin {
	cells := make([]bin, 1<<15)
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		row := img.Pix[img.PixOffset(b.Min.X, y):img.PixOffset(b.Max.X, y)]
		for i := 0; i+3 < len(row); i += 4 {
			r, g, bl := int(row[i]), int(row[i+1]), int(row[i+2])
			c := &cells[(r>>3)<<10|(g>>3)<<5|bl>>3]
			c.n++
			c.r += r
			c.g += g
			c.b += bl
		}
	}
	var out []bin
	for k := range cells {
		c := cells[k]
		if c.n == 0 {
			continue
		}
		c.key = k
		m := c.mean()
		covered := false
		for _, p := range have {
			if dist(p, m) < 2*minGap {
				covered = true
				break
			}
		}
		if !covered {
			out = append(out, c)
		}
	}
	return out
}

// box is a set of histogram cells for median cut.
type box struct {
	cells []bin
	score float64 // weighted spread: the box with the largest is split next
}

// weight is how much a cell counts in median cut: the square root of its pixel count, so
// that thin lines and small markers get colours beside large flat areas.
func weight(b *bin) float64 { return math.Sqrt(float64(b.n)) }

func newBox(cells []bin) box {
	var w, mr, mg, mb float64
	for i := range cells {
		c := &cells[i]
		m, wt := c.mean(), weight(c)
		w += wt
		mr += wt * float64(m.r)
		mg += wt * float64(m.g)
		mb += wt * float64(m.b)
	}
	mr, mg, mb = mr/w, mg/w, mb/w
	var s float64
	for i := range cells {
		c := &cells[i]
		m := c.mean()
		dr, dg, db := float64(m.r)-mr, float64(m.g)-mg, float64(m.b)-mb
		s += weight(c) * (3*dr*dr + 4*dg*dg + 2*db*db)
	}
	return box{cells: cells, score: s}
}

// mean returns the box's weighted mean colour.
func (bx *box) mean() rgb {
	var w, r, g, b float64
	for i := range bx.cells {
		c := &bx.cells[i]
		m, wt := c.mean(), weight(c)
		w += wt
		r += wt * float64(m.r)
		g += wt * float64(m.g)
		b += wt * float64(m.b)
	}
	return rgb{uint8(math.Round(r / w)), uint8(math.Round(g / w)), uint8(math.Round(b / w))}
}

// medianCut splits the cells into at most k boxes, each time halving (by weight, along its
// widest channel) the box with the largest spread, and returns the boxes' mean colours,
// most spread-out first. It is deterministic: ties are broken by cell key.
func medianCut(cells []bin, k int) []rgb {
	if len(cells) == 0 || k < 1 {
		return nil
	}
	boxes := []box{newBox(cells)}
	for len(boxes) < k {
		bi := -1
		for i := range boxes {
			if len(boxes[i].cells) > 1 && boxes[i].score > 0 && (bi < 0 || boxes[i].score > boxes[bi].score) {
				bi = i
			}
		}
		if bi < 0 {
			break
		}
		a, b := split(boxes[bi].cells)
		boxes[bi] = newBox(a)
		boxes = append(boxes, newBox(b))
	}
	slices.SortStableFunc(boxes, func(a, b box) int {
		if a.score != b.score {
			if a.score > b.score {
				return -1
			}
			return 1
		}
		return a.cells[0].key - b.cells[0].key
	})
	out := make([]rgb, len(boxes))
	for i := range boxes {
		out[i] = boxes[i].mean()
	}
	return out
}

// split sorts cells along their widest channel and cuts them at the weighted median.
func split(cells []bin) (a, b []bin) {
	var lo, hi [3]int
	lo = [3]int{255, 255, 255}
	for i := range cells {
		m := cells[i].mean()
		for j, v := range [3]int{int(m.r), int(m.g), int(m.b)} {
			lo[j], hi[j] = min(lo[j], v), max(hi[j], v)
		}
	}
	ch := 0
	scale := [3]int{3, 4, 2}
	for j := 1; j < 3; j++ {
		if (hi[j]-lo[j])*scale[j] > (hi[ch]-lo[ch])*scale[ch] {
			ch = j
		}
	}
	val := func(c *bin) int {
		m := c.mean()
		return [3]int{int(m.r), int(m.g), int(m.b)}[ch]
	}
	slices.SortFunc(cells, func(x, y bin) int {
		if d := val(&x) - val(&y); d != 0 {
			return d
		}
		return x.key - y.key
	})
	var total float64
	for i := range cells {
		total += weight(&cells[i])
	}
	var acc float64
	cut := 1
	for i := range cells[:len(cells)-1] {
		acc += weight(&cells[i])
		cut = i + 1
		if acc >= total/2 {
			break
		}
	}
	return cells[:cut], cells[cut:]
}

// The quantiser's table has one entry per RGB666 cell: 6 bits per channel.
const (
	cellBits  = 6
	cellShift = 8 - cellBits
	cellSize  = 1 << cellShift
	tableSize = 1 << (3 * cellBits)
	blockBits = 3 // cells are searched in blocks of 2^(3·(cellBits−blockBits)) sharing a candidate list
)

// quantizer maps colours to palette indices through a table over all RGB666 cells, each
// holding the palette colour nearest to the cell's centre. The table is filled once, so
// mapping a pixel is one lookup and the same colour always gets the same index.
type quantizer struct {
	pal   []rgb
	table []uint8
}

func newQuantizer(pal []rgb) *quantizer {
	q := &quantizer{pal: pal, table: make([]uint8, tableSize)}
	// For each block of cells, only palette colours that can be nearest to some point of
	// the block are candidates: those whose least distance to the block is at most the
	// smallest greatest distance of any colour.
	const bs = 1 << (8 - blockBits) // block side in 8-bit units
	var cand []int
	for b := 0; b < 1<<(3*blockBits); b++ {
		lo := [3]int{(b >> (2 * blockBits)) * bs, (b >> blockBits & (1<<blockBits - 1)) * bs, (b & (1<<blockBits - 1)) * bs}
		minMax := math.MaxInt
		for _, p := range pal {
			minMax = min(minMax, boxDist(p, lo, bs, false))
		}
		cand = cand[:0]
		for i, p := range pal {
			if boxDist(p, lo, bs, true) <= minMax {
				cand = append(cand, i)
			}
		}
		const per = 1 << (cellBits - blockBits)
		for dr := 0; dr < per; dr++ {
			for dg := 0; dg < per; dg++ {
				for db := 0; db < per; db++ {
					cr := lo[0]>>cellShift + dr
					cg := lo[1]>>cellShift + dg
					cb := lo[2]>>cellShift + db
					c := rgb{uint8(cr<<cellShift | cellSize/2), uint8(cg<<cellShift | cellSize/2), uint8(cb<<cellShift | cellSize/2)}
					best, bd := 0, math.MaxInt
					for _, i := range cand {
						if d := dist(c, pal[i]); d < bd {
							best, bd = i, d
						}
					}
					q.table[cr<<(2*cellBits)|cg<<cellBits|cb] = uint8(best)
				}
			}
		}
	}
	return q
}

// boxDist returns the least (near) or greatest (!near) weighted distance from p to the
// colour box [lo, lo+side)³.
func boxDist(p rgb, lo [3]int, side int, near bool) int {
	w := [3]int{3, 4, 2}
	s := 0
	for j, v := range [3]int{int(p.r), int(p.g), int(p.b)} {
		a, b := lo[j], lo[j]+side-1
		var d int
		if near {
			d = max(0, a-v, v-b)
		} else {
			d = max(v-a, b-v)
		}
		s += w[j] * d * d
	}
	return s
}

// index returns the palette index of the colour (r, g, b).
func (q *quantizer) index(r, g, b uint8) uint8 {
	return q.table[int(r>>cellShift)<<(2*cellBits)|int(g>>cellShift)<<cellBits|int(b>>cellShift)]
}

// colorPalette returns the palette as image/color values, the transparent entry last.
func (q *quantizer) colorPalette() color.Palette {
	p := make(color.Palette, paletteSize)
	for i, c := range q.pal {
		p[i] = color.RGBA{c.r, c.g, c.b, 255}
	}
	p[transparent] = color.RGBA{}
	return p
}
