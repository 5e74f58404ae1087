package study

import (
	"cmp"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/mflowlab/mflowlab/internal/stats"
	"github.com/mflowlab/mflowlab/sim/quality"
)

// Header is the first line of a runs CSV. The columns after verdict: learned_step and
// learned_secs are empty for a run that never counted as learned; curve says whether core
// m2d95 was measured ("spiral") or the verdict rests on d2m95 alone ("none", m2d95core
// empty).
var Header = []string{"seed", "config", "recipe", "steps", "secs", "d2m95", "m2d95core", "best_val", "verdict", "learned_step", "learned_secs", "curve"}

// Row is one line of a runs CSV.
type Row struct {
	Seed           uint64
	Config, Recipe string
	Steps          int
	Secs           float64 // training wall-clock seconds
	D2M95          float64
	M2D95Core      float64 // NaN: not measured (no known curve)
	BestVal        float64 // NaN: no epoch ended
	Verdict        quality.Verdict
	LearnedStep    int     // −1: never learned
	LearnedSecs    float64 // NaN: never learned
	Curve          string  // "spiral" or "none"
}

// Row returns the CSV row of a result of spec.
func (r *Result) Row(spec *Spec) Row {
	m := r.Quality.M2D95Core
	if !r.Quality.HasCurve {
		m = math.NaN()
	}
	return Row{Seed: r.Seed, Config: spec.Config, Recipe: spec.Recipe, Steps: r.Steps, Secs: r.Secs,
		D2M95: r.Quality.D2M95, M2D95Core: m, BestVal: r.BestVal, Verdict: r.Verdict,
		LearnedStep: r.LearnedStep, LearnedSecs: r.LearnedSecs, Curve: spec.CurveName()}
}

// fields formats the row. Numbers are printed so that reading and writing them again gives
// the same text (merging shards keeps every cell).
func (r Row) fields() []string {
	opt := func(v float64, f func(float64) string) string {
		if math.IsNaN(v) {
			return ""
		}
		return f(v)
	}
	fix := func(d int) func(float64) string {
		return func(v float64) string { return strconv.FormatFloat(v, 'f', d, 64) }
	}
	ls := ""
	if r.LearnedStep >= 0 {
		ls = strconv.Itoa(r.LearnedStep)
	}
	return []string{strconv.FormatUint(r.Seed, 10), r.Config, r.Recipe, strconv.Itoa(r.Steps), fix(2)(r.Secs),
		opt(r.D2M95, fix(5)), opt(r.M2D95Core, fix(5)),
		opt(r.BestVal, func(v float64) string { return strconv.FormatFloat(v, 'g', 6, 64) }),
		r.Verdict.String(), ls, opt(r.LearnedSecs, fix(2)), r.Curve}
}

// WriteCSV writes Header and the rows.
func WriteCSV(w io.Writer, rows []Row) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(Header); err != nil {
		return err
	}
	for _, r := range rows {
		if err := cw.Write(r.fields()); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// ReadCSV reads a runs CSV written by WriteCSV; name is used in errors, which give the line.
func ReadCSV(r io.Reader, name string) ([]Row, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	head, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: empty file, want the header %s", name, strings.Join(Header, ","))
	} else if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if !slices.Equal(head, Header) {
		return nil, fmt.Errorf("%s: header %q, want %q", name, strings.Join(head, ","), strings.Join(Header, ","))
	}
	var rows []Row
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return rows, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		line, _ := cr.FieldPos(0)
		row, err := parseRow(rec)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", name, line, err)
		}
		rows = append(rows, row)
	}
}

func parseRow(rec []string) (Row, error) {
	if len(rec) != len(Header) {
		return Row{}, fmt.Errorf("%d columns, want %d", len(rec), len(Header))
	}
	var r Row
	var err error
	num := func(col int, empty float64) float64 {
		if err != nil {
			return 0
		}
		if rec[col] == "" {
			return empty
		}
		v, e := strconv.ParseFloat(rec[col], 64)
		if e != nil || math.IsNaN(v) {
			err = fmt.Errorf("%s = %q is not a number", Header[col], rec[col])
		}
		return v
	}
	integer := func(col int, empty int) int {
		if err != nil {
			return 0
		}
		if rec[col] == "" {
			return empty
		}
		v, e := strconv.Atoi(rec[col])
		if e != nil || v < 0 {
			err = fmt.Errorf("%s = %q is not a non-negative integer", Header[col], rec[col])
		}
		return v
	}
	if r.Seed, err = strconv.ParseUint(rec[0], 10, 64); err != nil {
		return Row{}, fmt.Errorf("seed = %q is not a non-negative integer", rec[0])
	}
	r.Config, r.Recipe, r.Curve = rec[1], rec[2], rec[11]
	r.Steps = integer(3, -1)
	r.Secs = num(4, math.NaN())
	r.D2M95 = num(5, math.NaN())
	r.M2D95Core = num(6, math.NaN())
	r.BestVal = num(7, math.NaN())
	r.LearnedStep = integer(9, -1)
	r.LearnedSecs = num(10, math.NaN())
	if err != nil {
		return Row{}, err
	}
	if r.Verdict, err = quality.ParseVerdict(rec[8]); err != nil {
		return Row{}, err
	}
	if r.Steps < 0 || math.IsNaN(r.Secs) || r.Config == "" || r.Recipe == "" {
		return Row{}, errors.New("seed, config, recipe, steps and secs must not be empty")
	}
	if !isName(r.Config) || !isName(r.Recipe) {
		return Row{}, fmt.Errorf("config %q or recipe %q is not a name (letters, digits, '-', '_', '.', '/' only)", r.Config, r.Recipe)
	}
	return r, nil
}

// isName reports whether s is a config or recipe name: printable ASCII without spaces,
// quotes or commas, so that it survives a CSV round trip unchanged (the fuzzer found a
// name holding "\r\r\n", which csv turns into "\n").
func isName(s string) bool {
	for _, c := range s {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("-_./+", c)
		if !ok {
			return false
		}
	}
	return true
}

// Merge joins the rows of several parts (named for errors): no (config, recipe, seed) may
// appear twice. The result is sorted by config, recipe and seed.
func Merge(names []string, parts [][]Row) ([]Row, error) {
	type key struct {
		config, recipe string
		seed           uint64
	}
	where := make(map[key]string)
	var out []Row
	for i, rows := range parts {
		for _, r := range rows {
			k := key{r.Config, r.Recipe, r.Seed}
			if prev, dup := where[k]; dup {
				return nil, fmt.Errorf("%s: config %s, recipe %s, seed %d is already in %s", names[i], r.Config, r.Recipe, r.Seed, prev)
			}
			where[k] = names[i]
			out = append(out, r)
		}
	}
	slices.SortFunc(out, func(a, b Row) int {
		return cmp.Or(cmp.Compare(a.Config, b.Config), cmp.Compare(a.Recipe, b.Recipe), cmp.Compare(a.Seed, b.Seed))
	})
	return out, nil
}

// Summary condenses a study.
type Summary struct {
	Learned, Runs     int
	MedianLearnedSecs float64 // median LearnedSecs over the runs whose verdict is learned; NaN without any
}

// Summarize returns the summary of rows.
func Summarize(rows []Row) Summary {
	s := Summary{Runs: len(rows)}
	var secs []float64
	for _, r := range rows {
		if r.Verdict == quality.Learned {
			s.Learned++
			if !math.IsNaN(r.LearnedSecs) {
				secs = append(secs, r.LearnedSecs)
			}
		}
	}
	s.MedianLearnedSecs = math.NaN()
	if len(secs) > 0 {
		s.MedianLearnedSecs = stats.Percentile(secs, 0.5)
	}
	return s
}

// String returns "learned=K/N median_learned_secs=S" (S is NA without a learned run).
func (s Summary) String() string {
	med := "NA"
	if !math.IsNaN(s.MedianLearnedSecs) {
		med = strconv.FormatFloat(s.MedianLearnedSecs, 'f', 2, 64)
	}
	return fmt.Sprintf("learned=%d/%d median_learned_secs=%s", s.Learned, s.Runs, med)
}
