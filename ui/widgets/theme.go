// Package widgets is mflowlab's chrome: the side panel's and toolbar's buttons, chips,
// segmented choices, check boxes, text fields and read-outs, in a calm light theme matching
// the plane's palette.
//
// On a machine without a GPU, Gio's vector paths (every rounded box and every line of
// text) are rasterised in software each frame and cost far more than the content they
// frame. So the widgets draw on the CPU: a Form records each control's boxes and text into
// the display list of a Surface, which re-renders its image only when the list changed and
// is painted as one cached image. Gio is used for what it does cheaply: input areas
// (widget.Clickable), keyboard focus and events, and painting images.
package widgets

import (
	"image/color"
)

// Theme holds the chrome's colours, text sizes (in dp) and fonts.
type Theme struct {
	Fonts *Fonts

	Window  color.NRGBA // behind everything (the plane's background)
	Panel   color.NRGBA // side panel
	Card    color.NRGBA // raised boxes: fields, read-outs, buttons
	Border  color.NRGBA // hairlines and field outlines
	Text    color.NRGBA // primary text
	Muted   color.NRGBA // secondary text and labels
	Accent  color.NRGBA // primary buttons, active chips
	AccentL color.NRGBA // light accent: hover and selected backgrounds
	OnAcc   color.NRGBA // text on the accent colour
	Error   color.NRGBA // error text and invalid fields
	OK      color.NRGBA // good news
	Warn    color.NRGBA // cautions

	Small, Body, Title float64 // text sizes in dp
}

// NewTheme returns the light theme: warm off-white window, white cards, dark slate text and
// the plane's blue as the accent.
func NewTheme() *Theme {
	return &Theme{
		Fonts:   NewFonts(),
		Window:  rgb(0xf8f7f4),
		Panel:   rgb(0xf1efea),
		Card:    rgb(0xffffff),
		Border:  rgb(0xd9d6cf),
		Text:    rgb(0x2b2f38),
		Muted:   rgb(0x6b7280),
		Accent:  rgb(0x3b6fb6),
		AccentL: rgb(0xdfe8f5),
		OnAcc:   rgb(0xffffff),
		Error:   rgb(0xc0283e),
		OK:      rgb(0x2e8b62),
		Warn:    rgb(0xa86b12),
		Small:   11.5,
		Body:    13,
		Title:   19,
	}
}

// rgb returns the opaque colour 0xRRGGBB.
func rgb(v uint32) color.NRGBA { return color.NRGBA{uint8(v >> 16), uint8(v >> 8), uint8(v), 255} }

// WithAlpha returns c with alpha a.
func WithAlpha(c color.NRGBA, a uint8) color.NRGBA { c.A = a; return c }

// Mix returns a + t·(b − a) per channel.
func Mix(a, b color.NRGBA, t float32) color.NRGBA {
	m := func(x, y uint8) uint8 { return uint8(float32(x) + t*(float32(y)-float32(x)) + 0.5) }
	return color.NRGBA{m(a.R, b.R), m(a.G, b.G), m(a.B, b.B), m(a.A, b.A)}
}
