package gallery

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"

	"github.com/mflowlab/mflowlab/attack"
	"github.com/mflowlab/mflowlab/ui/plane"
)

// Detail is one sample seen large: its four images and the classifier's probabilities on
// the original, the adversarial and the projected image.
type Detail struct {
	Sample                         Sample    // the images, predictions and case (Pending: only the original)
	OrigProbs, AdvProbs, ProjProbs []float32 // class probabilities (any length; empty: no bars)
	Classes                        []string  // class names by label
	Amplify                        float32   // perturbation gain (default: AutoAmplify of the sample)
	Lines                          []string  // settings lines under the header (attack, defence)
	Other                          string    // a last line, e.g. the other attack mode's outcome
	Note                           string    // a muted note at the top right (e.g. "recomputing…")
	BG                             color.NRGBA
}

// DrawDetail draws d into dst, laid out for dst's size at scale pixels per dp: a header
// with the case badge, the settings lines, the four images as large as fit (whole
// multiples of 32 pixels when 64 or more) with their predictions, and three panels of
// probability bars, one bar per class: the predicted class's bar green when it is the true
// class and red when not, the true class's name in bold ink.
func DrawDetail(r *plane.Renderer, dst *image.RGBA, d Detail, scale float32) {
	if !(scale > 0) {
		scale = 1
	}
	s := &d.Sample
	if len(s.Orig) != Pixels {
		panic(fmt.Sprintf("gallery: DrawDetail: original of %d values, want %d", len(s.Orig), Pixels))
	}
	bg := d.BG
	if bg.A == 0 {
		bg = paper
	}
	draw.Draw(dst, dst.Rect, image.NewUniform(bg), image.Point{}, draw.Src)
	W, H := dst.Rect.Dx(), dst.Rect.Dy()
	o := dst.Rect.Min
	m := 16 * scale
	text := 13 * scale
	small := 11.5 * scale

	// Header: badge, title, note; then the settings lines.
	y := float32(o.Y) + m + text*0.6
	x := float32(o.X) + m
	if !s.Pending() {
		bgc, fg := caseColours(s.Case)
		r.DrawBadge(dst, x+text*0.7, y, s.Case.String(), text*0.95, bgc, fg)
		x += text * 1.8
	}
	title := fmt.Sprintf("#%d · true class: %s", s.Index, className(d.Classes, s.Label))
	if !s.Pending() && s.Case >= attack.CaseA && s.Case <= attack.CaseD {
		title += fmt.Sprintf(" · case %s: %s", s.Case, s.Case.Describe())
	}
	r.DrawText(dst, x, y, title, plane.TextStyle{Size: text * 1.1, Color: ink, Middle: true})
	if d.Note != "" {
		r.DrawText(dst, float32(o.X+W)-m, y, d.Note, plane.TextStyle{Size: small, Color: softInk, Align: plane.AlignRight, Middle: true})
	}
	y += text * 0.6
	for _, ln := range d.Lines {
		for _, w := range r.Wrap(ln, small, float32(W)-2*m) {
			y += small * 1.5
			r.DrawText(dst, float32(o.X)+m, y, w, plane.TextStyle{Size: small, Color: softInk})
		}
	}
	y += small * 1.1

	// The four images.
	gap := int(14 * scale)
	barsH := int(float32(len(d.Classes)+2)*small*1.55) + int(small*2) + int(text)
	if len(d.OrigProbs) == 0 {
		barsH = 0
	}
	capH := int(text * 2.2)
	otherH := 0
	if d.Other != "" {
		otherH = int(small * 2.2)
	}
	availH := H - int(y-float32(o.Y)) - capH - barsH - otherH - int(m)
	t := min((W-int(2*m)-3*gap)/4, availH)
	t = max(t, 32)
	if t >= 64 {
		t -= t % Side
	}
	rowW := 4*t + 3*gap
	x0 := o.X + (W-rowW)/2
	ty := int(y)
	if !(d.Amplify > 0) && !s.Pending() {
		d.Amplify = AutoAmplify([]Sample{*s})
	}
	names := [4]string{"original", "adversarial", fmt.Sprintf("perturbation ×%g", d.Amplify), "projected (defence input)"}
	preds := [4]*Pred{&s.OrigP, &s.AdvP, nil, &s.ProjP}
	for k := range 4 {
		rc := image.Rect(x0+k*(t+gap), ty, x0+k*(t+gap)+t, ty+t)
		drawTile(dst, rc, s, k, d.Amplify)
		cx := float32(rc.Min.X) + float32(t)/2
		cy := float32(rc.Max.Y) + text*0.95
		r.DrawText(dst, cx, cy, names[k], plane.TextStyle{Size: fit(r, names[k], small, float32(t+gap)), Color: softInk, Align: plane.AlignCenter, Middle: true})
		if p := preds[k]; p != nil && p.Class >= 0 && (k == 0 || !s.Pending()) {
			pt := fmt.Sprintf("%s %.1f%%", className(d.Classes, p.Class), 100*p.Conf)
			col := wrong
			if p.Class == s.Label {
				col = right
			}
			r.DrawText(dst, cx, cy+text*1.1, pt, plane.TextStyle{Size: fit(r, pt, text, float32(t+gap)), Color: col, Align: plane.AlignCenter, Middle: true})
		} else if k == 2 && !s.Pending() {
			lt := "L∞ " + linf(s.Orig, s.Adv)
			r.DrawText(dst, cx, cy+text*1.1, lt, plane.TextStyle{Size: small, Color: softInk, Align: plane.AlignCenter, Middle: true})
		}
	}
	y = float32(ty+t) + float32(capH) + text*1.8

	// Probability bars: three panels side by side.
	if barsH > 0 {
		pw := (float32(W) - 2*m - 2*float32(gap)) / 3
		panels := []struct {
			name  string
			probs []float32
		}{{"original", d.OrigProbs}, {"adversarial", d.AdvProbs}, {"projected", d.ProjProbs}}
		for k, p := range panels {
			px := float32(o.X) + m + float32(k)*(pw+float32(gap))
			if k > 0 && s.Pending() {
				r.DrawText(dst, px, y, p.name+": …", plane.TextStyle{Size: small, Color: softInk})
				continue
			}
			bars(r, dst, px, y, pw, small, p.name, p.probs, d.Classes, s.Label)
		}
		y += float32(barsH)
	}
	if d.Other != "" {
		for _, w := range r.Wrap(d.Other, small, float32(W)-2*m) {
			r.DrawText(dst, float32(o.X)+m, y, w, plane.TextStyle{Size: small, Color: ink})
			y += small * 1.5
		}
	}
}

// bars draws one panel of class probabilities at (x, y) (top left), w pixels wide.
func bars(r *plane.Renderer, dst *image.RGBA, x, y, w, size float32, name string, probs []float32, classes []string, label int32) {
	r.DrawText(dst, x, y+size*0.2, "CNN on the "+name, plane.TextStyle{Size: size, Color: ink})
	best := -1
	for i, p := range probs {
		if best < 0 || p > probs[best] {
			best = i
		}
	}
	nameW := float32(0)
	for i := range probs {
		tw, _ := r.MeasureText(className(classes, int32(i)), size)
		nameW = max(nameW, tw)
	}
	nameW += size * 0.6
	pctW, _ := r.MeasureText("100.0%", size*0.92)
	barX := x + nameW
	barW := max(10, w-nameW-pctW-size*0.8)
	rowH := size * 1.55
	for i, p := range probs {
		cy := y + size*1.4 + float32(i)*rowH + rowH/2
		nc := softInk
		if int32(i) == label {
			nc = ink
		}
		cn := className(classes, int32(i))
		if int32(i) == label {
			cn = "► " + cn
		}
		r.DrawText(dst, barX-size*0.4, cy, cn, plane.TextStyle{Size: size, Color: nc, Align: plane.AlignRight, Middle: true})
		track := image.Rect(int(barX), int(cy-rowH*0.32), int(barX+barW), int(cy+rowH*0.32))
		fillRect(dst, track, color.NRGBA{236, 235, 230, 255})
		c := color.NRGBA{150, 155, 165, 255}
		if i == best {
			c = wrong
			if int32(i) == label {
				c = right
			}
		}
		v := min(1, max(0, p))
		if v > 0 {
			fillRect(dst, image.Rect(track.Min.X, track.Min.Y, track.Min.X+max(1, int(v*barW+0.5)), track.Max.Y), c)
		}
		r.DrawText(dst, barX+barW+size*0.4, cy, fmt.Sprintf("%.1f%%", 100*v), plane.TextStyle{Size: size * 0.92, Color: nc, Middle: true})
	}
}
