package widgets

import (
	"image"
	"image/color"
	"strings"
)

// Badge draws a filled pill with bold text s (fg on bg), vertically centred in the row, and
// returns its rectangle (surface coordinates).
func (l *Line) Badge(s string, bg, fg color.NRGBA) image.Rectangle {
	f := l.f
	fc := f.Face(Bold, f.T.Small)
	h := min(l.h, fc.Height+f.Dp(6))
	y := l.y + (l.h-h)/2
	r := image.Rect(l.x, y, l.x+fc.Measure(s)+f.Dp(16), y+h)
	f.L.Fill(r, h/2, bg)
	f.L.Text(fc, r.Min.X+f.Dp(8), l.baseline(fc), s, fg, image.Rectangle{})
	l.x = r.Max.X + f.Dp(8)
	return r
}

// Paragraph writes s in small muted text, broken at spaces into lines that fit the column
// (at most maxLines; the last one ends with an ellipsis when s is longer).
func (f *Form) Paragraph(s string, maxLines int) {
	fc := f.Face(Regular, f.T.Small)
	words := strings.Fields(s)
	for n := 0; n < maxLines && len(words) > 0; n++ {
		line := words[0]
		k := 1
		for ; k < len(words); k++ {
			next := line + " " + words[k]
			if fc.Measure(next) > f.W {
				break
			}
			line = next
		}
		words = words[k:]
		if n == maxLines-1 && len(words) > 0 {
			line = fc.Fit(line+" "+strings.Join(words, " "), f.W)
		}
		f.Text(Regular, f.T.Small, f.T.Muted, line)
	}
}
