package app

import (
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// TestSmokeWindowUnderXvfb builds the real binary, starts it without arguments on a virtual
// X display and checks screenshots of the screen: the plane must show the decision regions
// and both classes of data points, and the side panel its light background.
func TestSmokeWindowUnderXvfb(t *testing.T) {
	if testing.Short() {
		t.Skip("smoke test of the real window skipped in -short mode")
	}
	for _, tool := range []string{"xvfb-run", "import"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed (apt-get install xvfb imagemagick): skipping the window smoke test", tool)
		}
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "mflowlab")
	goTool := filepath.Join(runtime.GOROOT(), "bin", "go")
	build := exec.Command(goTool, "build", "-o", bin, "github.com/mflowlab/mflowlab")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	// Screenshots at growing delays: a loaded machine may need longer to show the first frame.
	delays := []int{2, 4, 8, 15}
	script := fmt.Sprintf(`"%s" & pid=$!
t=0
for d in %d %d %d %d; do sleep $((d - t)); t=$d; import -window root "%s/shot$d.png"; done
kill $pid; wait $pid 2>/dev/null; exit 0`, bin, delays[0], delays[1], delays[2], delays[3], dir)
	cmd := exec.Command("xvfb-run", "-a", "-s", "-screen 0 1280x800x24", "sh", "-c", script)
	cmd.Env = append(os.Environ(), "HOME="+dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("xvfb-run: %v\n%s", err, out)
	}
	var last string
	for _, d := range delays {
		p := filepath.Join(dir, fmt.Sprintf("shot%d.png", d))
		st, err := screenStats(p)
		if err != nil {
			last = err.Error()
			continue
		}
		if msg := st.problem(); msg != "" {
			last = fmt.Sprintf("after %d s: %s", d, msg)
			continue
		}
		t.Logf("plane visible after %d s: %+v", d, st)
		return
	}
	t.Fatalf("the window never showed the plane: %s", last)
}

// stats are colour counts of a screenshot's plane and panel regions.
type stats struct {
	Distinct          int     // distinct colours in the plane region
	RegionBlue        float64 // share of plane pixels tinted as class-0 region
	RegionOrange      float64 // share tinted as class-1 region
	PointsBlue        float64 // share close to the class-0 point colour
	PointsOrange      float64 // share close to the class-1 point colour
	PanelBackground   float64 // share of the panel region in the panel colour
	LuminanceVariance float64
}

func (s stats) problem() string {
	switch {
	case s.LuminanceVariance < 50:
		return fmt.Sprintf("the screen is blank (luminance variance %.1f)", s.LuminanceVariance)
	case s.Distinct < 200:
		return fmt.Sprintf("the plane has only %d colours", s.Distinct)
	case s.RegionBlue < 0.05 || s.RegionOrange < 0.05:
		return fmt.Sprintf("no decision regions (blue %.3f, orange %.3f)", s.RegionBlue, s.RegionOrange)
	case s.PointsBlue < 0.002 || s.PointsOrange < 0.002:
		return fmt.Sprintf("no data points (blue %.4f, orange %.4f)", s.PointsBlue, s.PointsOrange)
	case s.PanelBackground < 0.3:
		return fmt.Sprintf("no side panel (%.3f of its region in the panel colour)", s.PanelBackground)
	}
	return ""
}

func screenStats(path string) (stats, error) {
	f, err := os.Open(path)
	if err != nil {
		return stats{}, err
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		return stats{}, fmt.Errorf("%s: %v", path, err)
	}
	b := img.Bounds()
	if b.Dx() != 1280 || b.Dy() != 800 {
		return stats{}, fmt.Errorf("%s: screen is %v, want 1280×800", path, b.Size())
	}
	near := func(c color.NRGBA, r, g, bl uint8, tol int) bool {
		d := func(x, y uint8) int { return max(int(x)-int(y), int(y)-int(x)) }
		return d(c.R, r) <= tol && d(c.G, g) <= tol && d(c.B, bl) <= tol
	}
	var s stats
	seen := map[color.NRGBA]bool{}
	plane := image.Rect(0, 50, 900, 740)
	var n, sum, sum2 float64
	for y := plane.Min.Y; y < plane.Max.Y; y++ {
		for x := plane.Min.X; x < plane.Max.X; x++ {
			c := color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA)
			seen[c] = true
			n++
			l := 0.3*float64(c.R) + 0.59*float64(c.G) + 0.11*float64(c.B)
			sum += l
			sum2 += l * l
			switch {
			case c.B > c.R+12 && c.B > 200 && c.R > 180: // light blue tint
				s.RegionBlue++
			case c.R > c.B+12 && c.R > 230 && c.B > 170: // light orange tint
				s.RegionOrange++
			}
			if near(c, 0x3b, 0x6f, 0xb6, 40) {
				s.PointsBlue++
			}
			if near(c, 0xe0, 0x8a, 0x2c, 40) {
				s.PointsOrange++
			}
		}
	}
	s.Distinct = len(seen)
	s.RegionBlue /= n
	s.RegionOrange /= n
	s.PointsBlue /= n
	s.PointsOrange /= n
	mean := sum / n
	s.LuminanceVariance = sum2/n - mean*mean
	panel := image.Rect(1000, 300, 1270, 780)
	var pn float64
	for y := panel.Min.Y; y < panel.Max.Y; y++ {
		for x := panel.Min.X; x < panel.Max.X; x++ {
			c := color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA)
			pn++
			if near(c, 0xf1, 0xef, 0xea, 4) || near(c, 0xff, 0xff, 0xff, 2) {
				s.PanelBackground++
			}
		}
	}
	s.PanelBackground /= pn
	return s, nil
}
