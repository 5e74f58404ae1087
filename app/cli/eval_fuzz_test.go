package cli

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mflowlab/mflowlab/internal/fuzzseed"
)

// FuzzReadPoints feeds arbitrary bytes to ReadPoints, the reader of eval's --in file: an
// error must name the file, a success must give finite x,y rows that read back unchanged
// when written out as eval writes numbers.
func FuzzReadPoints(f *testing.F) {
	f.Add([]byte("x,y\n0.5,-1\n0.25,2,extra\n"))
	f.Add([]byte("# comment\n\n1e-45,-0\r\n"))
	f.Add([]byte("1\n"))
	f.Add([]byte("1,Inf\n"))
	f.Add([]byte("x,y\nfoo,1\n"))
	f.Add([]byte(strings.Repeat("7", 70000)))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		p := fuzzseed.Input(t, dir, "points.csv", data)
		pts, err := ReadPoints(p)
		if fuzzseed.Rejected(t, err, p) {
			return
		}
		if pts.Rows < 1 || pts.Cols != 2 || len(pts.Data) != 2*pts.Rows {
			t.Fatalf("%d×%d matrix with %d values", pts.Rows, pts.Cols, len(pts.Data))
		}
		var b strings.Builder
		for i := 0; i < pts.Rows; i++ {
			x, y := pts.At(i, 0), pts.At(i, 1)
			if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) || math.IsNaN(float64(y)) || math.IsInf(float64(y), 0) {
				t.Fatalf("row %d is not finite: %v, %v", i, x, y)
			}
			b.WriteString(ff(x) + "," + ff(y) + "\n")
		}
		rp := filepath.Join(dir, "round.csv")
		if err := os.WriteFile(rp, []byte(b.String()), 0o600); err != nil {
			t.Fatal(err)
		}
		back, err := ReadPoints(rp)
		if err != nil {
			t.Fatalf("re-reading: %v", err)
		}
		if back.Rows != pts.Rows {
			t.Fatalf("%d rows became %d", pts.Rows, back.Rows)
		}
		for i := range pts.Data {
			if math.Float32bits(pts.Data[i]) != math.Float32bits(back.Data[i]) {
				t.Fatalf("value %d: %v became %v", i, pts.Data[i], back.Data[i])
			}
		}
	})
}
