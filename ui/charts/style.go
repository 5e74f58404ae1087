package charts

import (
	"image/color"
	"math"

	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/vg"
)

// Style holds the colours, typeface and sizes a chart is drawn with. Sizes are in points
// (1/72 inch); a zero size is chosen from the chart's size, so one Style serves both a side
// panel and a slide.
type Style struct {
	Background color.NRGBA // fills the whole image
	Text       color.NRGBA // axis labels, legend and title
	TickText   color.NRGBA // tick labels
	Axis       color.NRGBA // axis lines and tick marks
	Grid       color.NRGBA // grid lines at the major ticks

	Font      font.Font // typeface; its Size is ignored in favour of TickSize and LabelSize
	TickSize  vg.Length // tick-label font size; 0 picks one from the chart size
	LabelSize vg.Length // axis-label, legend and title font size; 0 picks one
	LineWidth vg.Length // width of data lines; 0 picks one

	Loss, MSE, NLL, Val, GradNorm color.NRGBA // the loss chart's series
	PhaseBand                     color.NRGBA // the loss chart's shade of every second training phase

	Cases  [4]color.NRGBA // fills of the cases A, B, C, D
	Marker color.NRGBA    // the ε* line and its label
}

// DefaultStyle returns the charts' light theme: dark-grey text on white, a faint grid, and
// calm case colours (A green, B blue, C red, D grey).
func DefaultStyle() Style {
	return Style{
		Background: hex(0xffffff),
		Text:       hex(0x2b2f38),
		TickText:   hex(0x5b6270),
		Axis:       hex(0x8a909b),
		Grid:       hex(0xe6e7ea),
		Font:       font.Font{Typeface: "Liberation", Variant: "Sans"},

		Loss:      hex(0x3b6fb6),
		MSE:       hex(0xe08a2c),
		NLL:       hex(0x8e5ea2),
		Val:       hex(0xc0392b),
		GradNorm:  hex(0x5f6b7a),
		PhaseBand: hex(0xeef1f6),

		Cases: [4]color.NRGBA{
			hex(0x4d9c70), // A: attack succeeded, defence undid it
			hex(0x5885c1), // B: attack failed, defence kept the label
			hex(0xc9574b), // C: attack succeeded, defence failed
			hex(0xa8a8a8), // D: attack failed, defence broke the label
		},
		Marker: hex(0x1e2430),
	}
}

// hex returns the opaque colour 0xRRGGBB.
func hex(v uint32) color.NRGBA {
	return color.NRGBA{R: uint8(v >> 16), G: uint8(v >> 8), B: uint8(v), A: 0xff}
}

// lighten mixes c with white by t in [0, 1].
func lighten(c color.NRGBA, t float64) color.NRGBA {
	m := func(x uint8) uint8 { return uint8(math.Round(float64(x) + t*(255-float64(x)))) }
	return color.NRGBA{R: m(c.R), G: m(c.G), B: m(c.B), A: c.A}
}

// sizes are the resolved point sizes of one chart drawing.
type sizes struct {
	tick, label, line vg.Length
}

// resolve fills the zero sizes of st for a chart of w×h points: fonts grow from about 8.5 pt
// in a small panel to 11 pt on a slide.
func (st *Style) resolve(w, h vg.Length) sizes {
	short := math.Min(float64(w), float64(h)) / 72 // inches
	s := sizes{tick: st.TickSize, label: st.LabelSize, line: st.LineWidth}
	if s.tick <= 0 {
		s.tick = vg.Length(math.Max(8.5, math.Min(11, 6.4+1.15*short)))
	}
	if s.label <= 0 {
		s.label = s.tick + 0.5
	}
	if s.line <= 0 {
		s.line = vg.Length(math.Max(1.1, math.Min(1.8, 0.7+0.22*short)))
	}
	return s
}
