package plane

import (
	"image/color"
	"math"
)

// Colormap maps a value in [0, 1] to a colour through a 256-entry table;
// entry i is the colour of i/255.
type Colormap [256]color.NRGBA

// NewColormap returns the colormap that interpolates linearly (in sRGB and
// alpha) between evenly spaced stops; one stop gives a constant map.
func NewColormap(stops ...color.NRGBA) Colormap {
	var c Colormap
	if len(stops) == 0 {
		return c
	}
	for i := range c {
		if len(stops) == 1 {
			c[i] = stops[0]
			continue
		}
		t := float64(i) / 255 * float64(len(stops)-1)
		k := min(int(t), len(stops)-2)
		c[i] = mixNRGBA(stops[k], stops[k+1], t-float64(k))
	}
	return c
}

// At returns the colour of t, clamped to [0, 1]; NaN gives the zero colour.
func (c *Colormap) At(t float64) color.NRGBA {
	if t != t {
		return color.NRGBA{}
	}
	return c[int(math.Round(math.Max(0, math.Min(1, t))*255))]
}

// Viridis returns an opaque approximation of matplotlib's perceptually
// uniform, colour-blind-safe viridis map (dark purple → teal → yellow).
func Viridis() Colormap {
	return NewColormap(
		hex(0x440154), hex(0x482878), hex(0x3e4989), hex(0x31688e), hex(0x26828e),
		hex(0x1f9e89), hex(0x35b779), hex(0x6ece58), hex(0xb5de2b), hex(0xfde725),
	)
}

// hex returns the opaque colour 0xRRGGBB.
func hex(v uint32) color.NRGBA {
	return color.NRGBA{uint8(v >> 16), uint8(v >> 8), uint8(v), 255}
}

// withAlpha returns c with alpha a (0..255).
func withAlpha(c color.NRGBA, a uint8) color.NRGBA { c.A = a; return c }

// mixNRGBA returns a + t·(b − a) per channel.
func mixNRGBA(a, b color.NRGBA, t float64) color.NRGBA {
	m := func(x, y uint8) uint8 { return uint8(math.Round(float64(x) + t*(float64(y)-float64(x)))) }
	return color.NRGBA{m(a.R, b.R), m(a.G, b.G), m(a.B, b.B), m(a.A, b.A)}
}

// Style holds every colour, width and size the plane is drawn with. Widths,
// radii and sizes are in pixels; colours are non-premultiplied.
type Style struct {
	Background color.NRGBA // fills the image first

	Classes     []color.NRGBA // point colour per class label
	Unlabelled  color.NRGBA   // points whose label has no entry in Classes
	PointRadius float32
	PointAlpha  float32 // opacity of each point, (0, 1]

	Heat          Colormap    // decision-region tint by class-1 probability
	Boundary      color.NRGBA // the p = 0.5 contour
	BoundaryWidth float32

	Density      Colormap // log-density heat map, by normalised value
	DensityAlpha float32  // overall opacity of the density layer

	GridLine  color.NRGBA // warped latent grid lines
	GridWidth float32

	Manifold       color.NRGBA // the learned manifold curve
	ManifoldWidth  float32
	ManifoldCasing color.NRGBA // drawn under the manifold, ManifoldWidth+2·CasingWidth wide
	CasingWidth    float32

	Trajectory      color.NRGBA // projection trajectories
	TrajectoryWidth float32
	TrajectoryStart float32 // radius of the dot marking where each trajectory starts; 0 for none

	Attack        color.NRGBA    // attack path and adversarial point
	Projection    color.NRGBA    // projection path and defended point
	Original      color.NRGBA    // fill of the clean point
	MarkerOutline color.NRGBA    // outline of the clean and defended points
	ProbeWidth    float32        // attack and projection path width
	MarkerSize    float32        // probe marker diameter
	Selection     color.NRGBA    // ring around a selected probe's clean point
	SelectionGlow color.NRGBA    // glow under a selected probe
	CaseColors    [4]color.NRGBA // badge background for cases A, B, C, D
	BadgeText     color.NRGBA

	AxisLine    color.NRGBA // grid lines at the ticks
	AxisZero    color.NRGBA // the lines x = 0 and y = 0
	AxisText    color.NRGBA // tick labels and scale bar
	TextHalo    color.NRGBA // outline behind labels, for legibility
	FontSize    float32     // tick labels
	BadgeSize   float32     // case badge text
	TickSpacing float32     // minimum distance between ticks
}

// DefaultStyle returns the standard look: a calm light background, blue
// and orange classes (safe for the common colour-vision deficiencies),
// a bold magenta manifold and red/gold probes.
func DefaultStyle() Style {
	bg := hex(0xf8f7f4)
	blue, orange := hex(0x3b6fb6), hex(0xe08a2c)
	dens := Viridis()
	for i := range dens {
		// Fade the low end out so that empty space stays quiet.
		dens[i].A = uint8(math.Round(255 * math.Min(1, float64(i)/96)))
	}
	return Style{
		Background:  bg,
		Classes:     []color.NRGBA{blue, orange},
		Unlabelled:  hex(0x7a7f89),
		PointRadius: 2.2,
		PointAlpha:  0.85,

		Heat:          NewColormap(mixNRGBA(bg, blue, 0.2), bg, mixNRGBA(bg, orange, 0.22)),
		Boundary:      withAlpha(hex(0x3d4451), 150),
		BoundaryWidth: 1.2,

		Density:      dens,
		DensityAlpha: 0.6,

		GridLine:  withAlpha(hex(0x5f77a3), 95),
		GridWidth: 0.9,

		Manifold:       hex(0xb0186a),
		ManifoldWidth:  3.2,
		ManifoldCasing: withAlpha(bg, 220),
		CasingWidth:    1.5,

		Trajectory:      withAlpha(hex(0xa87a0a), 165),
		TrajectoryWidth: 1.1,
		TrajectoryStart: 1.8,

		Attack:        hex(0xd11f3a),
		Projection:    hex(0xe3a51c),
		Original:      hex(0xffffff),
		MarkerOutline: hex(0x2b2f38),
		ProbeWidth:    2.4,
		MarkerSize:    12,
		Selection:     hex(0x2b2f38),
		SelectionGlow: withAlpha(hex(0xffffff), 190),
		CaseColors:    [4]color.NRGBA{hex(0x2e8b62), hex(0x4f7fc0), hex(0xc0283e), hex(0x7d828c)},
		BadgeText:     hex(0xffffff),

		AxisLine:    withAlpha(hex(0x1e2430), 20),
		AxisZero:    withAlpha(hex(0x1e2430), 48),
		AxisText:    hex(0x5b6270),
		TextHalo:    withAlpha(bg, 230),
		FontSize:    11.5,
		BadgeSize:   12,
		TickSpacing: 90,
	}
}
