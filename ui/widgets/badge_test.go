package widgets

import (
	"image"
	"image/color"
	"strings"
	"testing"
)

// TestBadgeFillsItsColour renders a badge and checks its fill inside, the panel outside, and
// that the text left lighter pixels on it.
func TestBadgeFillsItsColour(t *testing.T) {
	r := &rig{th: NewTheme()}
	bg := color.NRGBA{0x2e, 0x8b, 0x62, 0xff}
	var br image.Rectangle
	r.frame(func(f *Form) {
		ln := f.Line(22)
		ln.Label("verdict ", f.T.Muted)
		br = ln.Badge("learned", bg, f.T.OnAcc)
	})
	img := r.surf.img
	if br.Dx() < 40 || br.Dy() < 12 {
		t.Fatalf("badge rectangle %v too small for its text", br)
	}
	at := func(x, y int) color.RGBA { return img.RGBAAt(x, y) }
	if c := at(br.Min.X+br.Dy()/2, br.Min.Y+2); c != (color.RGBA{bg.R, bg.G, bg.B, 255}) {
		t.Errorf("badge fill %v, want %v", c, bg)
	}
	p := r.th.Panel
	if c := at(br.Max.X+3, br.Min.Y+br.Dy()/2); c != (color.RGBA{p.R, p.G, p.B, 255}) {
		t.Errorf("right of the badge %v, want the panel %v", c, p)
	}
	light := 0
	for y := br.Min.Y; y < br.Max.Y; y++ {
		for x := br.Min.X + br.Dy()/2; x < br.Max.X-br.Dy()/2; x++ {
			if at(x, y).R > 200 {
				light++
			}
		}
	}
	if light < 20 {
		t.Errorf("only %d light text pixels on the badge", light)
	}
}

func TestParagraphWraps(t *testing.T) {
	r := &rig{th: NewTheme()}
	long := strings.Repeat("warm start then fine-tune ", 12)
	var y0, y1, y2 int
	r.frame(func(f *Form) {
		y0 = f.Y
		f.Paragraph("short", 3)
		y1 = f.Y
		f.Paragraph(long, 3)
		y2 = f.Y
	})
	line := y1 - y0
	if line <= 0 || y2-y1 != 3*line {
		t.Fatalf("one line took %d px, the long text %d px; want three lines", line, y2-y1)
	}
}
