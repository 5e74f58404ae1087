package nn

import "fmt"

// Mat is a dense row-major float32 matrix. Row i occupies Data[i*Cols : (i+1)*Cols].
type Mat struct {
	Rows, Cols int
	Data       []float32
}

// NewMat returns a zeroed rows×cols matrix.
func NewMat(rows, cols int) Mat {
	return Mat{Rows: rows, Cols: cols, Data: make([]float32, rows*cols)}
}

// MatFrom wraps data (len rows*cols) as a matrix without copying.
func MatFrom(rows, cols int, data []float32) Mat {
	if len(data) != rows*cols {
		panic(fmt.Sprintf("nn: MatFrom %d×%d with %d values", rows, cols, len(data)))
	}
	return Mat{Rows: rows, Cols: cols, Data: data}
}

// Row returns row i as a slice aliasing the matrix.
func (m Mat) Row(i int) []float32 { return m.Data[i*m.Cols : (i+1)*m.Cols] }

// At returns element (i, j).
func (m Mat) At(i, j int) float32 { return m.Data[i*m.Cols+j] }

// Set sets element (i, j).
func (m Mat) Set(i, j int, v float32) { m.Data[i*m.Cols+j] = v }

// Slice returns rows [r0, r1) as a matrix aliasing m.
func (m Mat) Slice(r0, r1 int) Mat {
	return Mat{Rows: r1 - r0, Cols: m.Cols, Data: m.Data[r0*m.Cols : r1*m.Cols]}
}

// Clone returns a deep copy of m.
func (m Mat) Clone() Mat {
	return Mat{Rows: m.Rows, Cols: m.Cols, Data: append([]float32(nil), m.Data...)}
}

// SameShape panics with the given context unless a and b have equal shapes.
func SameShape(ctx string, a, b Mat) {
	if a.Rows != b.Rows || a.Cols != b.Cols {
		panic(fmt.Sprintf("nn: %s: shape %d×%d vs %d×%d", ctx, a.Rows, a.Cols, b.Rows, b.Cols))
	}
}

// Arena hands out scratch slices from reusable blocks so that a training step allocates
// nothing once warmed up. Reset makes all memory reusable; slices handed out before a Reset
// must not be used after it. A nil *Arena allocates from the heap.
type Arena struct {
	blocks [][]float32
	cur    int
	off    int
	f64    []float64
	off64  int
}

const (
	arenaFirstBlock = 1 << 12
	arenaMaxBlock   = 1 << 22
)

// Floats returns a zeroed slice of n float32 values.
func (a *Arena) Floats(n int) []float32 {
	s := a.Uninit(n)
	if a != nil {
		clear(s)
	}
	return s
}

// Uninit returns a slice of n float32 values with arbitrary contents, for buffers the caller
// overwrites completely.
func (a *Arena) Uninit(n int) []float32 {
	if a == nil {
		return make([]float32, n)
	}
	for {
		if a.cur < len(a.blocks) {
			b := a.blocks[a.cur]
			if a.off+n <= len(b) {
				s := b[a.off : a.off+n : a.off+n]
				a.off += n
				return s
			}
			a.cur++
			a.off = 0
			continue
		}
		// blocks grow geometrically from a small first one, so a short-lived arena for a
		// few rows costs little while a training step's arena settles after a few steps
		size := arenaFirstBlock
		if k := len(a.blocks); k > 0 {
			size = min(2*len(a.blocks[k-1]), arenaMaxBlock)
		}
		size = max(size, n)
		a.blocks = append(a.blocks, make([]float32, size))
	}
}

// Mat returns a zeroed rows×cols matrix from the arena.
func (a *Arena) Mat(rows, cols int) Mat {
	return Mat{Rows: rows, Cols: cols, Data: a.Floats(rows * cols)}
}

// RawMat returns a rows×cols matrix with arbitrary contents (see Uninit).
func (a *Arena) RawMat(rows, cols int) Mat {
	return Mat{Rows: rows, Cols: cols, Data: a.Uninit(rows * cols)}
}

// Float64s returns a slice of n float64 values with arbitrary contents. When the current
// block is too small a larger one replaces it; slices handed out earlier stay valid.
func (a *Arena) Float64s(n int) []float64 {
	if a == nil {
		return make([]float64, n)
	}
	if a.off64+n > len(a.f64) {
		a.f64 = make([]float64, max(2*len(a.f64), n, 1<<10))
		a.off64 = 0
	}
	s := a.f64[a.off64 : a.off64+n : a.off64+n]
	a.off64 += n
	return s
}

// Reset makes all memory handed out so far available again.
func (a *Arena) Reset() {
	if a == nil {
		return
	}
	a.cur, a.off, a.off64 = 0, 0, 0
}
