package torchpt

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mflowlab/mflowlab/internal/testref"
)

// record is one file inside a checkpoint zip.
type record struct {
	name string
	data []byte
}

func readRecords(t *testing.T, path string) []record {
	t.Helper()
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	var out []record
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, record{f.Name, b})
	}
	return out
}

// zipBytes packs records uncompressed, as torch.save does.
func zipBytes(t testing.TB, recs []record) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, r := range recs {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: r.name, Method: zip.Store})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(r.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// decodeBytes runs the decoder without Load's recover, so that a panic fails the test.
func decodeBytes(b []byte) (*StateDict, error) {
	return decode(bytes.NewReader(b), int64(len(b)))
}

// withPickle replaces data.pkl in recs.
func withPickle(recs []record, pkl []byte) []record {
	out := slices.Clone(recs)
	for i := range out {
		if strings.HasSuffix(out[i].name, "/data.pkl") {
			out[i].data = pkl
		}
	}
	return out
}

func pickleOf(recs []record) []byte {
	for _, r := range recs {
		if strings.HasSuffix(r.name, "/data.pkl") {
			return r.data
		}
	}
	return nil
}

// source is a file to damage: the fixture, or a reference checkpoint when present.
type source struct {
	name string
	path func(*testing.T) string // skips the test when the file is absent
}

func sources(refs ...string) []source {
	out := []source{{"fixture.pt", func(*testing.T) string { return filepath.Join("testdata", "fixture.pt") }}}
	for _, r := range refs {
		out = append(out, source{r, func(t *testing.T) string { return testref.Path(t, "reference", "checkpoints", r) }})
	}
	return out
}

func TestTruncatedCheckpoints(t *testing.T) {
	dir := t.TempDir()
	for _, src := range sources("classifier_two_spirals.pt", "spiral_mflow_A.pt") {
		t.Run(src.name, func(t *testing.T) {
			path := src.path(t)
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			n := len(data)
			for _, cut := range []int{0, 1, 4, 30, 100, 1000, n / 4, n / 2, 3 * n / 4, n - 100, n - 22, n - 1} {
				if cut < 0 || cut >= n {
					continue
				}
				p := filepath.Join(dir, "cut_"+src.name)
				if err := os.WriteFile(p, data[:cut], 0o644); err != nil {
					t.Fatal(err)
				}
				if _, err := load(p); err == nil {
					t.Errorf("cut to %d of %d bytes: loaded without error", cut, n)
				}
				_, err := Load(p)
				if err == nil || !strings.HasPrefix(err.Error(), "torchpt: "+p+": ") {
					t.Errorf("cut to %d bytes: error %v does not start with the path", cut, err)
				}
			}
		})
	}
}

// TestByteFlips damages whole files at random places; zip CRCs catch most of it, and
// nothing may panic.
func TestByteFlips(t *testing.T) {
	rounds := map[string]int{"fixture.pt": 400, "classifier_two_spirals.pt": 40}
	for _, src := range sources("classifier_two_spirals.pt") {
		t.Run(src.name, func(t *testing.T) {
			orig, err := os.ReadFile(src.path(t))
			if err != nil {
				t.Fatal(err)
			}
			rng := rand.New(rand.NewPCG(1, 2))
			fails := 0
			for range rounds[src.name] {
				b := slices.Clone(orig)
				for range 1 + rng.IntN(8) {
					b[rng.IntN(len(b))] ^= byte(1 + rng.IntN(255))
				}
				if _, err := decodeBytes(b); err != nil {
					fails++
				}
			}
			if fails == 0 {
				t.Errorf("no damaged copy was rejected")
			}
		})
	}
}

// TestPickleMutations damages data.pkl but repacks it with valid CRCs, so that the
// pickle decoder itself sees the damage.
func TestPickleMutations(t *testing.T) {
	recs := readRecords(t, filepath.Join("testdata", "fixture.pt"))
	pkl := pickleOf(recs)
	for cut := range len(pkl) {
		if _, err := decodeBytes(zipBytes(t, withPickle(recs, pkl[:cut]))); err == nil {
			t.Errorf("pickle cut to %d of %d bytes loaded", cut, len(pkl))
		}
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for range 1500 {
		p := slices.Clone(pkl)
		switch rng.IntN(3) {
		case 0:
			for range 1 + rng.IntN(4) {
				p[rng.IntN(len(p))] ^= byte(1 + rng.IntN(255))
			}
		case 1:
			p[rng.IntN(len(p))] = byte(rng.IntN(256))
		case 2:
			i := rng.IntN(len(p))
			p = slices.Insert(p, i, byte(rng.IntN(256)))
		}
		sd, err := decodeBytes(zipBytes(t, withPickle(recs, p)))
		if err == nil {
			checkConsistent(t, sd)
		}
	}
}

// checkConsistent checks the invariants of a successfully loaded StateDict.
func checkConsistent(t *testing.T, sd *StateDict) {
	t.Helper()
	if len(sd.Keys) != len(sd.Tensors) || len(sd.Keys) == 0 {
		t.Fatalf("%d keys, %d tensors", len(sd.Keys), len(sd.Tensors))
	}
	for _, k := range sd.Keys {
		tn := sd.Tensors[k]
		n := 1
		for _, s := range tn.Shape {
			n *= s
		}
		if (tn.F32 == nil) == (tn.I64 == nil) || len(tn.F32)+len(tn.I64) != n {
			t.Fatalf("%s: shape %v, %d floats, %d ints", k, tn.Shape, len(tn.F32), len(tn.I64))
		}
	}
}

// pk builds pickles by hand for cases torch.save does not write.
type pk struct{ bytes.Buffer }

func newPickle() *pk {
	p := &pk{}
	p.Write([]byte{0x80, 0x02, '}', '('}) // PROTO 2, EMPTY_DICT, MARK
	return p
}

// WriteString appends raw opcodes and returns the builder for chaining.
func (p *pk) WriteString(s string) *pk {
	p.Buffer.WriteString(s)
	return p
}

func (p *pk) str(s string) *pk {
	p.WriteByte('X')
	binary.Write(&p.Buffer, binary.LittleEndian, uint32(len(s)))
	p.WriteString(s)
	return p
}

func (p *pk) int(n int) *pk {
	p.WriteByte('J')
	binary.Write(&p.Buffer, binary.LittleEndian, int32(n))
	return p
}

func (p *pk) global(module, name string) *pk {
	p.WriteString("c" + module + "\n" + name + "\n")
	return p
}

func (p *pk) ints(ns ...int) *pk {
	p.WriteByte('(')
	for _, n := range ns {
		p.int(n)
	}
	p.WriteByte('t')
	return p
}

// tensor appends _rebuild_tensor_v2(storage(class, key, numel), offset, size, stride, False, {}).
func (p *pk) tensor(class, key string, numel, offset int, size, stride []int) *pk {
	p.global("torch._utils", "_rebuild_tensor_v2")
	p.WriteByte('(')
	p.WriteByte('(')
	p.str("storage").global("torch", class).str(key).str("cpu").int(numel)
	p.WriteString("tQ") // TUPLE, BINPERSID
	p.int(offset).ints(size...).ints(stride...)
	p.Write([]byte{0x89, '}', 't', 'R'}) // False, {}, TUPLE, REDUCE
	return p
}

// end closes the top-level dict (SETITEMS) and the pickle (STOP).
func (p *pk) end() []byte {
	p.WriteString("u.")
	return p.Bytes()
}

func f32Bytes(n int) []byte {
	b := make([]byte, 4*n)
	for i := range n {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(float32(i)))
	}
	return b
}

func archiveOf(pkl []byte, extra ...record) []record {
	recs := []record{{"archive/data.pkl", pkl}, {"archive/data/0", f32Bytes(8)}}
	return append(recs, extra...)
}

func TestCraftedViews(t *testing.T) {
	// A view the fixture does not have: offset 1, column-major 2×2 over arange(8).
	pkl := newPickle().str("w").tensor("FloatStorage", "0", 8, 1, []int{2, 2}, []int{1, 3}).end()
	sd, err := decodeBytes(zipBytes(t, archiveOf(pkl)))
	if err != nil {
		t.Fatal(err)
	}
	if got := sd.Tensors["w"].F32; !slices.Equal(got, []float32{1, 4, 2, 5}) {
		t.Errorf("w = %v, want [1 4 2 5]", got)
	}

	// Zero-size views may point anywhere.
	pkl = newPickle().str("e").tensor("FloatStorage", "0", 8, 100, []int{0, 5}, []int{5, 1}).end()
	if sd, err := decodeBytes(zipBytes(t, archiveOf(pkl))); err != nil || len(sd.Tensors["e"].F32) != 0 {
		t.Errorf("empty view: %v", err)
	}

	// Non-tensor values and unknown classes next to tensors are ignored.
	p := newPickle().str("args").global("argparse", "Namespace")
	p.WriteString(")\x81")                                // EMPTY_TUPLE, NEWOBJ
	p.WriteString("}").str("lr").int(3).WriteString("sb") // {"lr": 3} SETITEM, BUILD
	p.str("w").tensor("FloatStorage", "0", 8, 0, []int{8}, []int{1})
	p.str("epoch").int(7)
	sd, err = decodeBytes(zipBytes(t, archiveOf(p.end())))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(sd.Keys, []string{"w"}) {
		t.Errorf("keys %v, want [w]", sd.Keys)
	}
}

func TestCraftedErrors(t *testing.T) {
	view := func(offset int, size, stride []int) []byte {
		return newPickle().str("w").tensor("FloatStorage", "0", 8, offset, size, stride).end()
	}
	selfRef := []byte{0x80, 0x02, '}', 'q', 0, 'X', 1, 0, 0, 0, 'a', 'h', 0, 's', '.'} // d = {"a": d}
	// A chain of dicts each holding the previous one twice: 2^30 paths to one tensor.
	dag := newPickle().str("w").tensor("FloatStorage", "0", 8, 0, []int{8}, []int{1}).end()
	dag = dag[:len(dag)-1] // drop STOP, keep the dict on the stack
	for range 30 {
		dag = append(dag, 'q', 0, '}', '(', 'X', 1, 0, 0, 0, 'a', 'h', 0, 'X', 1, 0, 0, 0, 'b', 'h', 0, 'u')
	}
	dag = append(dag, '.')
	// {"a": {"a": ... {"a": {}} ... }}, 40 levels deep.
	deep := []byte{0x80, 0x02}
	for range 40 {
		deep = append(deep, '}', 'X', 1, 0, 0, 0, 'a')
	}
	deep = append(deep, '}')
	for range 40 {
		deep = append(deep, 's')
	}
	deep = append(deep, '.')
	twoTypes := newPickle().str("a").tensor("FloatStorage", "0", 8, 0, []int{8}, []int{1}).
		str("b").tensor("LongStorage", "0", 4, 0, []int{4}, []int{1}).end()
	huge8 := append([]byte{0x80, 0x04, 0x8e}, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f)
	frame := append([]byte{0x80, 0x04, 0x95}, 0, 0, 0, 0, 0, 0, 0, 0x40)
	ok := view(0, []int{8}, []int{1})

	cases := []struct {
		name string
		recs []record
		want string
	}{
		{"past storage", archiveOf(view(6, []int{2, 2}, []int{1, 3})), "runs past its storage"},
		{"huge offset", archiveOf(view(math.MaxInt32, []int{1}, []int{1})), "runs past its storage"},
		{"huge stride", archiveOf(view(0, []int{3}, []int{math.MaxInt32})), "runs past its storage"},
		{"offset only", archiveOf(view(8, []int{}, []int{})), "runs past its storage"},
		{"negative stride", archiveOf(view(7, []int{2}, []int{-1})), "negative"},
		{"negative size", archiveOf(view(0, []int{-2}, []int{1})), "negative"},
		{"negative offset", archiveOf(view(-1, []int{2}, []int{1})), "negative storage offset"},
		{"too many elements", archiveOf(view(0, []int{1 << 20, 1 << 20}, []int{0, 0})), "more than"},
		{"stride-0 blow-up", archiveOf(view(0, []int{1 << 21, 4}, []int{0, 1})), "views expand"},
		{"rank mismatch", archiveOf(view(0, []int{2, 2}, []int{1})), "differ in length"},
		{"record size", archiveOf(newPickle().str("w").tensor("FloatStorage", "0", 9, 0, []int{9}, []int{1}).end()),
			"has 32 bytes, want 36"},
		{"missing record", archiveOf(newPickle().str("w").tensor("FloatStorage", "7", 8, 0, []int{8}, []int{1}).end()),
			"data/7 is missing"},
		{"two types", archiveOf(twoTypes), "referenced as both"},
		{"self-reference", archiveOf(selfRef), `one dict appears both as "(top level)" and as "a"`},
		{"dict DAG", archiveOf(dag), "one dict appears both"},
		{"deep nesting", archiveOf(deep), "nested deeper than 32"},
		{"huge bytes", archiveOf(huge8), "declares"},
		{"huge frame", archiveOf(frame), "frame of"},
		{"no stop", archiveOf(ok[:len(ok)-1]), "no STOP"},
		{"unknown opcode", archiveOf([]byte{0x80, 0x02, 0xff, '.'}), "unknown pickle opcode 0xff"},
		{"non-string key", archiveOf(newPickle().WriteString("N}").end()), "not a string"},
		{"big endian", archiveOf(ok, record{"archive/byteorder", []byte("big")}), "byte order"},
		{"torchscript", archiveOf(ok, record{"archive/constants.pkl", []byte(".")}), "TorchScript"},
		{"no pickle", []record{{"archive/data/0", f32Bytes(8)}}, "no data.pkl"},
		{"two pickles", archiveOf(ok, record{"other/data.pkl", ok}), "two pickles"},
	}
	for _, c := range cases {
		_, err := decodeBytes(zipBytes(t, c.recs))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}
}

func TestHalfToFloat(t *testing.T) {
	cases := map[uint16]float32{
		0x0000: 0, 0x3c00: 1, 0xc000: -2, 0x7bff: 65504, 0x0001: 1.0 / (1 << 24), 0x0400: 1.0 / (1 << 14),
		0x3555: 0.333251953125, 0x7c00: float32(math.Inf(1)), 0xfc00: float32(math.Inf(-1)),
	}
	for h, want := range cases {
		if got := halfToFloat(h); got != want {
			t.Errorf("halfToFloat(%#04x) = %v, want %v", h, got, want)
		}
	}
	if got := halfToFloat(0x8000); got != 0 || !math.Signbit(float64(got)) {
		t.Errorf("halfToFloat(0x8000) = %v, want -0", got)
	}
	if got := halfToFloat(0x7e00); !math.IsNaN(float64(got)) {
		t.Errorf("halfToFloat(0x7e00) = %v, want NaN", got)
	}
}

// FuzzPickle feeds arbitrary data.pkl contents, packed with the fixture's storages, to the
// decoder. Plain `go test` runs the seeds; `go test -fuzz FuzzPickle` explores.
func FuzzPickle(f *testing.F) {
	data, err := os.ReadFile(filepath.Join("testdata", "fixture.pt"))
	if err != nil {
		f.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		f.Fatal(err)
	}
	var recs []record
	for _, zf := range zr.File {
		rc, _ := zf.Open()
		b, _ := io.ReadAll(rc)
		rc.Close()
		recs = append(recs, record{zf.Name, b})
	}
	f.Add(pickleOf(recs))
	f.Add(newPickle().str("w").tensor("FloatStorage", "0", 8, 1, []int{2, 2}, []int{1, 3}).end())
	f.Add([]byte{0x80, 0x02, '}', 'q', 0, 'X', 1, 0, 0, 0, 'a', 'h', 0, 's', '.'})
	f.Fuzz(func(t *testing.T, pkl []byte) {
		recs := withPickle(recs, pkl)
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		for _, r := range recs {
			w, _ := zw.CreateHeader(&zip.FileHeader{Name: r.name, Method: zip.Store})
			w.Write(r.data)
		}
		zw.Close()
		if sd, err := decodeBytes(buf.Bytes()); err == nil {
			checkConsistent(t, sd)
		}
	})
}

// TestDeflatedRecords checks that a checkpoint whose records are compressed (torch.save
// stores them, but zip tools may recompress) loads the same, and that damage is caught.
func TestDeflatedRecords(t *testing.T) {
	path := filepath.Join("testdata", "fixture.pt")
	want, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, r := range readRecords(t, path) {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: r.name, Method: zip.Deflate})
		if err != nil {
			t.Fatal(err)
		}
		w.Write(r.data)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	got, err := decodeBytes(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.Keys, want.Keys) {
		t.Fatalf("keys %v, want %v", got.Keys, want.Keys)
	}
	for _, k := range want.Keys {
		if !slices.Equal(got.Tensors[k].F32, want.Tensors[k].F32) || !slices.Equal(got.Tensors[k].I64, want.Tensors[k].I64) {
			t.Errorf("%s differs when deflated", k)
		}
	}
	rng := rand.New(rand.NewPCG(5, 6))
	for range 200 {
		b := slices.Clone(buf.Bytes())
		b[rng.IntN(len(b))] ^= byte(1 + rng.IntN(255))
		decodeBytes(b) // must not panic
	}
}
