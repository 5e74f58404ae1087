package gallery

import (
	"image"
	"path/filepath"
	"testing"

	"github.com/mflowlab/mflowlab/ui/plane"
)

// probsOf returns ten probabilities with most of the mass on class k.
func probsOf(k int32, conf float32) []float32 {
	p := make([]float32, 10)
	for i := range p {
		p[i] = (1 - conf) / 9
	}
	p[k] = conf
	return p
}

func TestPageLayoutFitsAndHits(t *testing.T) {
	for _, size := range []image.Point{{932, 700}, {600, 420}, {1600, 1000}} {
		l := NewPageLayout(size, PageSize, 1)
		if len(l.Blocks) != PageSize || l.Cols*l.Rows < PageSize {
			t.Fatalf("%v: %d blocks in %d×%d", size, len(l.Blocks), l.Cols, l.Rows)
		}
		if l.Tile >= 64 && l.Tile%Side != 0 {
			t.Errorf("%v: tile %d is not a multiple of %d", size, l.Tile, Side)
		}
		for i, b := range l.Blocks {
			if !b.In(image.Rectangle{Max: size}) {
				t.Errorf("%v: block %d %v outside the picture", size, i, b)
			}
			if got := l.At(b.Min.Add(b.Size().Div(2))); got != i {
				t.Errorf("%v: At(centre of block %d) = %d", size, i, got)
			}
			for j := range i {
				if b.Overlaps(l.Blocks[j]) {
					t.Errorf("%v: blocks %d and %d overlap", size, j, i)
				}
			}
			if tr := l.TileRect(i, 3); !tr.In(b) {
				t.Errorf("%v: the projected tile %v of block %d is outside it %v", size, tr, i, b)
			}
		}
		if l.At(image.Pt(-5, -5)) != -1 {
			t.Errorf("%v: At outside the blocks is not −1", size)
		}
	}
	// A bigger picture gives bigger tiles; few samples take one row.
	if a, b := NewPageLayout(image.Pt(932, 700), 24, 1), NewPageLayout(image.Pt(1864, 1400), 24, 1); b.Tile <= a.Tile {
		t.Errorf("tiles %d at twice the size, %d before", b.Tile, a.Tile)
	}
	if l := NewPageLayout(image.Pt(932, 700), 3, 1); l.Rows != 1 || l.Cols != 3 {
		t.Errorf("3 samples laid out %d×%d, want 3×1", l.Cols, l.Rows)
	}
}

func TestDrawImageRectNearest(t *testing.T) {
	s := synthetic(1)[0]
	rc := image.Rect(3, 2, 3+50, 2+50) // 50/32: pixels of 1 and 2
	img := image.NewRGBA(image.Rect(0, 0, 60, 60))
	DrawImageRect(img, rc, s.Orig)
	for y := range 50 {
		for x := range 50 {
			i := (y*Side/50)*Side + x*Side/50
			o := img.PixOffset(3+x, 2+y)
			for c := range 3 {
				if img.Pix[o+c] != toByte(s.Orig[c*Side*Side+i]) {
					t.Fatalf("pixel (%d, %d) channel %d is not source pixel %d", x, y, c, i)
				}
			}
		}
	}
	if img.Pix[img.PixOffset(2, 2)+3] != 0 || img.Pix[img.PixOffset(53, 2)+3] != 0 {
		t.Fatal("drew outside the rectangle")
	}
}

// goldenCheck compares img with testdata/name, or rewrites it with -update.
func goldenCheck(t *testing.T, name string, img *image.RGBA) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		writePNG(t, path, img)
		return
	}
	compareImages(t, name, img, readPNG(t, path))
}

func TestPageGolden(t *testing.T) {
	samples := synthetic(PageSize)
	samples[5].Adv, samples[5].Proj = nil, nil // still being attacked
	samples[6].Stale = true                    // results of earlier settings
	l := NewPageLayout(image.Pt(932, 690), len(samples), 1)
	img := image.NewRGBA(image.Rectangle{Max: l.Size})
	DrawPage(plane.NewRenderer(), img, l, samples, PageOptions{Classes: classes, Selected: 2})
	goldenCheck(t, "page.png", img)
}

func TestDetailGolden(t *testing.T) {
	s := synthetic(3)[2] // case C: the attack won, the defence did not undo it
	d := Detail{Sample: s, OrigProbs: probsOf(s.OrigP.Class, s.OrigP.Conf), AdvProbs: probsOf(s.AdvP.Class, s.AdvP.Conf),
		ProjProbs: probsOf(s.ProjP.Class, s.ProjP.Conf), Classes: classes,
		Lines: []string{"PGD L∞ ε = 8/255, 10 steps of 2/255 · non-adaptive · defence PCA d = 64 · CNN cnn.mfl"},
		Other: "adaptive attack on this image: adversarial → dog 97%, projected → dog 42% (case C)", Note: "ε = 8/255"}
	img := image.NewRGBA(image.Rect(0, 0, 932, 700))
	DrawDetail(plane.NewRenderer(), img, d, 1)
	goldenCheck(t, "detail.png", img)

	// A pending sample draws its original and placeholders without a panic.
	d.Sample.Adv, d.Sample.Proj = nil, nil
	DrawDetail(plane.NewRenderer(), img, d, 1)
}
