package widgets

import (
	"image"
	"image/color"
	"math"

	"gioui.org/io/pointer"
	"gioui.org/layout"
	"gioui.org/op"
	"gioui.org/widget"
)

// Form lays out controls top to bottom on a Surface in immediate mode: each call records
// the control's boxes and text into the surface's display list, registers its input area
// with Gio and reports what the user did to it since the last frame.
type Form struct {
	T   *Theme
	Gtx layout.Context
	L   *List
	Org image.Point // where the surface is painted, in Gtx coordinates
	X   int         // left edge of the content column, surface pixels
	W   int         // width of the content column
	Y   int         // top of the next row

	// Changed is set when a control changed state this frame; the caller should ask for
	// another frame so that everything drawn before the change catches up.
	Changed bool
	scale   float64
}

// NewForm starts a form on s, painted at org: a w×h surface with background bg and a
// content column inset by pad pixels on the left and right.
func NewForm(gtx layout.Context, t *Theme, s *Surface, org image.Point, w, h int, bg color.NRGBA, pad int) *Form {
	l := s.Begin(w, h, bg)
	return &Form{T: t, Gtx: gtx, L: l, Org: org, X: pad, W: w - 2*pad, scale: float64(gtx.Metric.PxPerDp)}
}

// Dp converts dp to pixels.
func (f *Form) Dp(v float64) int {
	s := f.scale
	if s <= 0 {
		s = 1
	}
	return int(math.Round(v * s))
}

// Face returns the face of style at size dp.
func (f *Form) Face(style Style, size float64) *Face {
	s := f.scale
	if s <= 0 {
		s = 1
	}
	return f.T.Fonts.Face(style, size*s)
}

// Gap leaves v dp of empty space.
func (f *Form) Gap(v float64) { f.Y += f.Dp(v) }

// Text writes one line of text (shortened with an ellipsis to the column width).
func (f *Form) Text(style Style, size float64, c color.NRGBA, s string) {
	fc := f.Face(style, size)
	f.L.Text(fc, f.X, f.Y+fc.Ascent, fc.Fit(s, f.W), c, image.Rectangle{})
	f.Y += fc.Height + f.Dp(2)
}

// Caption writes a line of small muted text.
func (f *Form) Caption(s string) { f.Text(Regular, f.T.Small, f.T.Muted, s) }

// Section writes a bold title with a right-aligned note and a hairline under them.
func (f *Form) Section(title, note string, noteC color.NRGBA) {
	f.Gap(14)
	tf := f.Face(Bold, f.T.Body)
	nf := f.Face(Regular, f.T.Small)
	base := f.Y + tf.Ascent
	f.L.Text(tf, f.X, base, title, f.T.Text, image.Rectangle{})
	if note != "" {
		tw := tf.Measure(title)
		note = nf.Fit(note, f.W-tw-f.Dp(12))
		f.L.Text(nf, f.X+f.W-nf.Measure(note), base, note, noteC, image.Rectangle{})
	}
	f.Y += tf.Height + f.Dp(4)
	f.L.Fill(image.Rect(f.X, f.Y, f.X+f.W, f.Y+1), 0, f.T.Border)
	f.Y += f.Dp(7)
}

// Stats writes label–value pairs in two columns, values in the mono face right-aligned.
func (f *Form) Stats(pairs [][2]string, split float64) {
	lf := f.Face(Regular, f.T.Small)
	vf := f.Face(Mono, f.T.Small)
	colW := [2]int{int(float64(f.W) * split), f.W - int(float64(f.W)*split)}
	gap := f.Dp(14)
	rows := (len(pairs) + 1) / 2
	for r := 0; r < rows; r++ {
		x := f.X
		for c := 0; c < 2; c++ {
			i := r + c*rows
			w := colW[c]
			if c == 0 {
				w -= gap
			}
			if i < len(pairs) {
				f.stat(lf, vf, x, w, pairs[i][0], pairs[i][1], f.T.Text)
			}
			x += colW[c]
		}
		f.Y += lf.Height + f.Dp(2)
	}
}

// Stat writes one full-width label–value line.
func (f *Form) Stat(label, value string, vc color.NRGBA) {
	lf := f.Face(Regular, f.T.Small)
	vf := f.Face(Mono, f.T.Small)
	f.stat(lf, vf, f.X, f.W, label, value, vc)
	f.Y += lf.Height + f.Dp(2)
}

func (f *Form) stat(lf, vf *Face, x, w int, label, value string, vc color.NRGBA) {
	base := f.Y + lf.Ascent
	f.L.Text(lf, x, base, label, f.T.Muted, image.Rectangle{})
	value = vf.Fit(value, w-lf.Measure(label)-f.Dp(8))
	f.L.Text(vf, x+w-vf.Measure(value), base, value, vc, image.Rectangle{})
}

// Rect reserves a full-width block h pixels high and returns it (surface coordinates).
func (f *Form) Rect(h int) image.Rectangle {
	r := image.Rect(f.X, f.Y, f.X+f.W, f.Y+h)
	f.Y += h
	return r
}

// area registers the input area of c at r (surface coordinates), with a hand cursor.
func (f *Form) area(r image.Rectangle, c *widget.Clickable) {
	gtx := f.Gtx
	defer op.Offset(f.Org.Add(r.Min)).Push(gtx.Ops).Pop()
	gtx.Constraints = layout.Exact(r.Size())
	c.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
		pointer.CursorPointer.Add(gtx.Ops)
		return layout.Dimensions{Size: r.Size()}
	})
}

// Line is one row of controls laid out left to right.
type Line struct {
	f    *Form
	x, y int
	h    int
}

// Line starts a row of controls h dp high.
func (f *Form) Line(h float64) *Line {
	l := &Line{f: f, x: f.X, y: f.Y, h: f.Dp(h)}
	f.Y += l.h + f.Dp(5)
	return l
}

// Space leaves v dp.
func (l *Line) Space(v float64) { l.x += l.f.Dp(v) }

// Rest returns the pixels left to the column's right edge.
func (l *Line) Rest() int { return l.f.X + l.f.W - l.x }

// To moves the cursor to x pixels from the column's left edge.
func (l *Line) To(x int) { l.x = l.f.X + x }

// Label writes text vertically centred in the row.
func (l *Line) Label(s string, c color.NRGBA) {
	fc := l.f.Face(Regular, l.f.T.Small)
	l.f.L.Text(fc, l.x, l.baseline(fc), s, c, image.Rectangle{})
	l.x += fc.Measure(s)
}

// LabelW writes text in a box w pixels wide.
func (l *Line) LabelW(s string, w int, c color.NRGBA) {
	fc := l.f.Face(Regular, l.f.T.Small)
	l.f.L.Text(fc, l.x, l.baseline(fc), fc.Fit(s, w-l.f.Dp(4)), c, image.Rectangle{})
	l.x += w
}

func (l *Line) baseline(fc *Face) int { return l.y + (l.h+fc.Ascent-fc.Descent)/2 }

// Kind selects a button's look.
type Kind uint8

// Button looks.
const (
	Secondary Kind = iota // white with a hairline border
	Primary               // filled with the accent colour
	Quiet                 // text only, light background on hover
)

// Button draws a button sized to its label (at least minW pixels) and reports a click.
func (l *Line) Button(c *widget.Clickable, kind Kind, s string, minW int) bool {
	f := l.f
	clicked := c.Clicked(f.Gtx)
	fc := f.Face(Regular, f.T.Body)
	w := max(minW, fc.Measure(s)+f.Dp(20))
	r := image.Rect(l.x, l.y, l.x+w, l.y+l.h)
	fg, bg, border := f.T.Text, f.T.Card, f.T.Border
	switch kind {
	case Primary:
		fg, bg, border = f.T.OnAcc, f.T.Accent, f.T.Accent
		if c.Hovered() {
			bg = Mix(bg, rgb(0x000000), 0.12)
		}
	case Quiet:
		bg, border = color.NRGBA{}, color.NRGBA{}
		fg = f.T.Accent
		if c.Hovered() {
			bg = f.T.AccentL
		}
	default:
		if c.Hovered() {
			bg = Mix(bg, f.T.AccentL, 0.7)
		}
	}
	if c.Pressed() {
		bg = Mix(bg, f.T.Accent, 0.18)
	}
	f.L.Box(r, f.Dp(5), bg, border)
	f.L.Text(fc, l.x+(w-fc.Measure(s))/2, l.baseline(fc), s, fg, image.Rectangle{})
	f.area(r, c)
	l.x += w + f.Dp(6)
	if clicked {
		f.Changed = true
	}
	return clicked
}

// Chip draws a toggle pill with an optional key hint and reports a click.
func (l *Line) Chip(c *widget.Clickable, on bool, hint, s string) bool {
	f := l.f
	clicked := c.Clicked(f.Gtx)
	fc := f.Face(Regular, f.T.Small+0.5)
	hf := f.Face(Mono, f.T.Small-1)
	hw := 0
	if hint != "" {
		hw = hf.Measure(hint) + f.Dp(5)
	}
	w := hw + fc.Measure(s) + f.Dp(18)
	r := image.Rect(l.x, l.y, l.x+w, l.y+l.h)
	bg, border, fg, hc := WithAlpha(f.T.Card, 240), f.T.Border, f.T.Muted, f.T.Muted
	if on {
		bg, border, fg, hc = f.T.AccentL, Mix(f.T.Accent, f.T.AccentL, 0.45), f.T.Text, f.T.Accent
	}
	if c.Hovered() {
		bg = Mix(bg, f.T.AccentL, 0.6)
	}
	f.L.Box(r, f.Dp(5), bg, border)
	x := l.x + f.Dp(9)
	if hint != "" {
		f.L.Text(hf, x, l.baseline(fc), hint, hc, image.Rectangle{})
		x += hw
	}
	f.L.Text(fc, x, l.baseline(fc), s, fg, image.Rectangle{})
	f.area(r, c)
	l.x += w + f.Dp(5)
	if clicked {
		f.Changed = true
	}
	return clicked
}

// Choice is the state of a segmented control: the selected key.
type Choice struct {
	Value  string
	clicks []widget.Clickable
}

// Segmented draws mutually exclusive options filling w pixels and reports a change.
func (l *Line) Segmented(ch *Choice, keys, labels []string, w int) bool {
	f := l.f
	for len(ch.clicks) < len(keys) {
		ch.clicks = append(ch.clicks, widget.Clickable{})
	}
	changed := false
	for i := range keys {
		if ch.clicks[i].Clicked(f.Gtx) && ch.Value != keys[i] {
			ch.Value, changed = keys[i], true
		}
	}
	fc := f.Face(Regular, f.T.Small+0.5)
	n := len(keys)
	r := image.Rect(l.x, l.y, l.x+w, l.y+l.h)
	f.L.Box(r, f.Dp(5), f.T.Card, f.T.Border)
	for i := range keys {
		x0 := l.x + w*i/n
		x1 := l.x + w*(i+1)/n
		cr := image.Rect(x0, l.y, x1, l.y+l.h)
		fg := f.T.Muted
		switch {
		case ch.Value == keys[i]:
			f.L.Fill(cr, f.Dp(5), f.T.Accent)
			fg = f.T.OnAcc
		case ch.clicks[i].Hovered():
			f.L.Fill(cr.Inset(1), f.Dp(4), f.T.AccentL)
		}
		if i > 0 && ch.Value != keys[i] && ch.Value != keys[i-1] {
			f.L.Fill(image.Rect(x0, l.y+f.Dp(5), x0+1, l.y+l.h-f.Dp(5)), 0, f.T.Border)
		}
		lab := fc.Fit(labels[i], x1-x0-f.Dp(6))
		f.L.Text(fc, x0+(x1-x0-fc.Measure(lab))/2, l.baseline(fc), lab, fg, image.Rectangle{})
		f.area(cr, &ch.clicks[i])
	}
	l.x += w + f.Dp(6)
	if changed {
		f.Changed = true
	}
	return changed
}

// Toggle is the state of a check box.
type Toggle struct {
	Value bool
	click widget.Clickable
}

// Check draws a check box with label s and reports a change.
func (l *Line) Check(t *Toggle, s string) bool {
	f := l.f
	changed := false
	if t.click.Clicked(f.Gtx) {
		t.Value, changed = !t.Value, true
	}
	fc := f.Face(Regular, f.T.Small+0.5)
	bs := f.Dp(15)
	by := l.y + (l.h-bs)/2
	box := image.Rect(l.x, by, l.x+bs, by+bs)
	if t.Value {
		f.L.Fill(box, f.Dp(3), f.T.Accent)
		f.L.Check(box, f.T.OnAcc)
	} else {
		bg := f.T.Card
		if t.click.Hovered() {
			bg = f.T.AccentL
		}
		f.L.Box(box, f.Dp(3), bg, Mix(f.T.Border, f.T.Muted, 0.4))
	}
	f.L.Text(fc, box.Max.X+f.Dp(6), l.baseline(fc), s, f.T.Text, image.Rectangle{})
	w := bs + f.Dp(6) + fc.Measure(s)
	f.area(image.Rect(l.x, l.y, l.x+w, l.y+l.h), &t.click)
	l.x += w + f.Dp(10)
	if changed {
		f.Changed = true
	}
	return changed
}
