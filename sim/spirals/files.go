package spirals

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/mflowlab/mflowlab/flow/torchpt"
	"github.com/mflowlab/mflowlab/internal/atomicfile"
)

// maxLine bounds one CSV line, so that a binary file is reported rather than buffered.
const maxLine = 4096

// Load reads a data set from a .csv file (LoadCSV) or a .pt file (LoadPT), chosen by the
// file name's extension.
func Load(path string) (*Dataset, error) {
	switch ext := strings.ToLower(filepath.Ext(path)); ext {
	case ".csv":
		return LoadCSV(path)
	case ".pt", ".pth":
		return LoadPT(path)
	default:
		return nil, fmt.Errorf("spirals: %s: unknown data file type %q, want .csv or .pt", path, ext)
	}
}

// LoadCSV reads "x,y,label" rows, with an optional header line (a first line none of whose
// fields is a number, such as "x,y,label"). Labels must be 0 or 1 and coordinates finite float32 values; blank
// lines are skipped. Errors name the file and line.
func LoadCSV(path string) (*Dataset, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("spirals: %w", err)
	}
	defer f.Close()
	return ReadCSV(path, f)
}

// ReadCSV reads the rows LoadCSV reads from r; path names the source in errors and becomes
// the data set's Source.
func ReadCSV(path string, r io.Reader) (*Dataset, error) {
	d := &Dataset{Source: path}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 256), maxLine)
	line := 0
	first := true // the first non-blank line may be a header
	for sc.Scan() {
		line++
		text := sc.Text()
		if line == 1 {
			text = strings.TrimPrefix(text, "\ufeff") // a byte order mark
		}
		text = strings.TrimSpace(text)
		if text == "" {
			continue
		}
		fields := strings.Split(text, ",")
		if first {
			first = false
			if isHeader(fields) {
				continue
			}
		}
		if len(d.Y) == MaxN {
			return nil, fmt.Errorf("spirals: %s:%d: more than %d rows", path, line, MaxN)
		}
		if len(fields) != 3 {
			return nil, fmt.Errorf("spirals: %s:%d: %d columns, want 3 (x,y,label): %q", path, line, len(fields), clip(text))
		}
		var xy [2]float32
		for k, name := range [2]string{"x", "y"} {
			s := strings.TrimSpace(fields[k])
			v, err := strconv.ParseFloat(s, 32)
			if err != nil {
				var ne *strconv.NumError
				if errors.As(err, &ne) && ne.Err == strconv.ErrRange {
					return nil, fmt.Errorf("spirals: %s:%d: %s = %q is out of float32 range", path, line, name, clip(s))
				}
				return nil, fmt.Errorf("spirals: %s:%d: %s = %q is not a number", path, line, name, clip(s))
			}
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("spirals: %s:%d: %s = %q is not finite", path, line, name, clip(s))
			}
			xy[k] = float32(v)
		}
		label, ok := parseLabel(strings.TrimSpace(fields[2]))
		if !ok {
			return nil, fmt.Errorf("spirals: %s:%d: label %q, want 0 or 1", path, line, clip(strings.TrimSpace(fields[2])))
		}
		d.X = append(d.X, xy[0], xy[1])
		d.Y = append(d.Y, label)
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, fmt.Errorf("spirals: %s:%d: line longer than %d bytes (not a CSV file?)", path, line+1, maxLine)
		}
		return nil, fmt.Errorf("spirals: %s: %w", path, err)
	}
	if len(d.Y) == 0 {
		return nil, fmt.Errorf("spirals: %s: no data rows", path)
	}
	return d, nil
}

// isHeader reports whether none of the fields is a number.
func isHeader(fields []string) bool {
	for _, f := range fields {
		if _, err := strconv.ParseFloat(strings.TrimSpace(f), 64); err == nil {
			return false
		}
	}
	return true
}

// parseLabel accepts 0 and 1, also written as floats ("1.0").
func parseLabel(s string) (int32, bool) {
	switch s {
	case "0":
		return 0, true
	case "1":
		return 1, true
	}
	v, err := strconv.ParseFloat(s, 64)
	if err == nil && (v == 0 || v == 1) {
		return int32(v), true
	}
	return 0, false
}

// clip shortens s for an error message.
func clip(s string) string {
	if len(s) > 40 {
		return s[:37] + "..."
	}
	return s
}

// SaveCSV writes d as "x,y,label" rows under a header line, atomically (a temporary file in
// the same folder, then a rename). Coordinates are printed so that LoadCSV reads back the
// identical float32 values.
func SaveCSV(path string, d *Dataset) error {
	if msg := d.check(); msg != "" {
		return fmt.Errorf("spirals: saving %s: %s", path, msg)
	}
	var buf bytes.Buffer
	buf.Grow(16 + 40*d.N())
	buf.WriteString("x,y,label\n")
	num := make([]byte, 0, 32)
	for i, y := range d.Y {
		num = strconv.AppendFloat(num[:0], float64(d.X[2*i]), 'g', -1, 32)
		num = append(num, ',')
		num = strconv.AppendFloat(num, float64(d.X[2*i+1]), 'g', -1, 32)
		num = append(num, ',', byte('0'+y), '\n')
		buf.Write(num)
	}
	err := atomicfile.Write(path, func(w io.Writer) error {
		_, err := w.Write(buf.Bytes())
		return err
	})
	if err != nil {
		return fmt.Errorf("spirals: saving %w", err) // the error starts with the path
	}
	return nil
}

// LoadPT reads the original data set file, a torch.save'd dict {"X": float [n,2],
// "Y": int [n]}, checking that labels are 0 or 1 and coordinates finite.
func LoadPT(path string) (*Dataset, error) {
	sd, err := torchpt.Load(path)
	if err != nil {
		return nil, fmt.Errorf("spirals: %w", err)
	}
	x, err := sd.Float("X", -1, 2)
	if err != nil {
		return nil, fmt.Errorf("spirals: %w", err)
	}
	n := len(x) / 2
	y, err := sd.Int("Y", n)
	if err != nil {
		return nil, fmt.Errorf("spirals: %w", err)
	}
	if n == 0 {
		return nil, fmt.Errorf("spirals: %s: no data points", path)
	}
	if n > MaxN {
		return nil, fmt.Errorf("spirals: %s: %d points, more than %d", path, n, MaxN)
	}
	d := &Dataset{X: x, Y: make([]int32, n), Source: path}
	for i, v := range y {
		if v != 0 && v != 1 {
			return nil, fmt.Errorf("spirals: %s: Y[%d] = %d, want 0 or 1", path, i, v)
		}
		d.Y[i] = int32(v)
	}
	for i, v := range x {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return nil, fmt.Errorf("spirals: %s: X[%d][%d] = %v is not finite", path, i/2, i%2, v)
		}
	}
	return d, nil
}
