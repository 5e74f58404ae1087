// Package torchpt reads PyTorch state_dict checkpoints, the zip + pickle files that
// torch.save writes since PyTorch 1.6, into plain Go slices, and writes them (Write).
//
// A file must hold a dict (or OrderedDict) whose values are tensors or nested dicts of
// tensors; nested keys are joined with ".", as PyTorch names parameters. Values that are
// neither (an "epoch" number, a string, a list) are ignored. Tensors come out contiguous
// and row-major whatever their stride and storage offset in the file.
package torchpt

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
)

// Tensor is one named tensor from a checkpoint, converted to Go slices.
type Tensor struct {
	Name  string    // full key; nested dict keys joined with "."
	DType string    // "float32", "float64", "float16", "bfloat16", "int64", "int32", "int16", "int8", "uint8" or "bool"
	Shape []int     // empty for a 0-dim (scalar) tensor
	F32   []float32 // set for floating dtypes (wider or narrower ones converted)
	I64   []int64   // set for integer and bool dtypes (bool as 0 and 1)
}

// StateDict is an ordered set of tensors read from one file.
type StateDict struct {
	Path    string             // the file it was read from
	Keys    []string           // tensor names in file order
	Tensors map[string]*Tensor // by name
}

// Limits that keep a corrupt or hostile file from exhausting memory or stack.
const (
	maxPickleBytes = 64 << 20 // size of data.pkl
	maxRecordBytes = 1 << 30  // size of one record, and of all compressed records together
	maxElements    = 1 << 29  // elements produced by one file, after expanding views
	// Views may produce up to four times the elements a file stores, or expandAllowance if more.
	expandAllowance = 1 << 22
	maxDepth        = 32      // nesting of dicts
	maxNodes        = 1 << 20 // dict entries visited
	maxInflateRatio = 1032    // most a DEFLATE stream can expand
)

// Load reads the checkpoint at path. Errors name the file; a damaged file gives an
// error, never a panic.
func Load(path string) (sd *StateDict, err error) {
	defer func() {
		if r := recover(); r != nil {
			sd, err = nil, fmt.Errorf("torchpt: %s: malformed checkpoint (decoder panicked: %v)", path, r)
		}
	}()
	sd, err = load(path)
	if err != nil {
		return nil, fmt.Errorf("torchpt: %s: %w", path, err)
	}
	return sd, nil
}

func load(path string) (*StateDict, error) {
	f, err := os.Open(path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			return nil, pe.Err // the path is added by Load
		}
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.IsDir() {
		return nil, errors.New("is a directory, not a checkpoint file")
	}
	sd, err := decode(f, st.Size())
	if err != nil {
		return nil, err
	}
	sd.Path = path
	return sd, nil
}

// decode reads a checkpoint of the given size from r.
func decode(r io.ReaderAt, size int64) (*StateDict, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		if isLegacy(r) {
			return nil, errors.New("legacy (pre-1.6, non-zip) torch.save format is not supported; " +
				"re-save it with a current PyTorch")
		}
		return nil, fmt.Errorf("not a PyTorch zip checkpoint (truncated or corrupt?): %w", err)
	}
	a, err := openArchive(zr, size)
	if err != nil {
		return nil, err
	}
	obj, err := a.unpickle()
	if err != nil {
		return nil, err
	}
	sd := &StateDict{Tensors: make(map[string]*Tensor)}
	if err := sd.collect(obj, a.storages); err != nil {
		return nil, err
	}
	return sd, nil
}

// legacyMagic is the start of a pre-1.6 torch.save file: a pickled protocol-2 long
// holding the magic number 0x1950a86a20f9469cfc6c.
var legacyMagic = []byte{0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19}

func isLegacy(r io.ReaderAt) bool {
	buf := make([]byte, len(legacyMagic))
	if _, err := r.ReadAt(buf, 0); err != nil {
		return false
	}
	return bytes.Equal(buf, legacyMagic)
}

// archive is an opened checkpoint zip.
type archive struct {
	fileSize int64
	prefix   string               // directory of data.pkl inside the zip, with trailing "/"
	records  map[string]*zip.File // by full name
	storages map[string]*storage  // by storage key, shared between views
	stored   uint64               // bytes read from uncompressed records
	inflated uint64               // bytes read from compressed records
}

func openArchive(zr *zip.Reader, fileSize int64) (*archive, error) {
	a := &archive{
		fileSize: fileSize,
		records:  make(map[string]*zip.File, len(zr.File)),
		storages: make(map[string]*storage),
	}
	pkl := ""
	for _, zf := range zr.File {
		if _, dup := a.records[zf.Name]; !dup {
			a.records[zf.Name] = zf
		}
		if zf.Name == "data.pkl" || strings.HasSuffix(zf.Name, "/data.pkl") {
			if pkl != "" && pkl != zf.Name {
				return nil, fmt.Errorf("zip holds two pickles, %s and %s", pkl, zf.Name)
			}
			pkl = zf.Name
		}
	}
	if pkl == "" {
		return nil, errors.New("zip has no data.pkl: not a torch.save checkpoint")
	}
	a.prefix = strings.TrimSuffix(pkl, "data.pkl")
	if _, ok := a.records[a.prefix+"constants.pkl"]; ok {
		return nil, errors.New("TorchScript archives (torch.jit.save) are not supported; save a state_dict")
	}
	if bo, ok := a.records[a.prefix+"byteorder"]; ok {
		b, err := a.read(bo, 16)
		if err != nil {
			return nil, err
		}
		if order := strings.TrimSpace(string(b)); order != "little" {
			return nil, fmt.Errorf("byte order %q is not supported (only little-endian)", order)
		}
	}
	return a, nil
}

// read returns the whole content of a zip record of at most limit bytes, verifying the
// record's CRC so that damaged data is reported rather than decoded.
func (a *archive) read(zf *zip.File, limit uint64) ([]byte, error) {
	n := zf.UncompressedSize64
	if n > limit {
		return nil, fmt.Errorf("record %s claims %d bytes, more than the %d allowed", zf.Name, n, limit)
	}
	// The declared sizes must be possible for a file of this size before anything is
	// allocated: no more compressed bytes than the file holds, and no more expansion
	// than DEFLATE can give (1032-fold).
	if c := zf.CompressedSize64; c > uint64(a.fileSize) || (zf.Method != zip.Store && n > maxInflateRatio*c+64) {
		return nil, fmt.Errorf("record %s claims %d bytes from %d compressed bytes in a %d-byte file (truncated or corrupt?)",
			zf.Name, n, c, a.fileSize)
	}
	// Stored records cannot together hold more than the file; compressed ones are
	// capped, so that a crafted directory cannot make the loader allocate without bound.
	if zf.Method == zip.Store {
		if a.stored += n; a.stored > uint64(a.fileSize) {
			return nil, fmt.Errorf("record %s: the records claim more bytes than the file's %d (truncated or corrupt?)",
				zf.Name, a.fileSize)
		}
	} else if a.inflated += n; a.inflated > maxRecordBytes {
		return nil, fmt.Errorf("record %s: compressed records expand to more than %d bytes", zf.Name, uint64(maxRecordBytes))
	}
	rc, err := zf.Open()
	if err != nil {
		return nil, fmt.Errorf("record %s: %w", zf.Name, err)
	}
	defer rc.Close()
	var buf []byte
	if zf.Method == zip.Store {
		buf = make([]byte, n)
		_, err = io.ReadFull(rc, buf)
	} else {
		// Grow with the data actually inflated rather than trusting the header.
		buf, err = io.ReadAll(io.LimitReader(rc, int64(n)))
		if err == nil && uint64(len(buf)) != n {
			err = io.ErrUnexpectedEOF
		}
	}
	if err != nil {
		return nil, fmt.Errorf("record %s: %w", zf.Name, err)
	}
	// One more read reaches the end of the record, where archive/zip checks the CRC.
	var extra [1]byte
	if m, err := rc.Read(extra[:]); m != 0 || err != io.EOF {
		if err == nil || err == io.EOF {
			err = errors.New("longer than its header says")
		}
		return nil, fmt.Errorf("record %s: %w", zf.Name, err)
	}
	return buf, nil
}

// Float returns a copy of the floating-point tensor name. When shape is given the
// tensor must have exactly that shape, where -1 matches any size of that dimension.
func (sd *StateDict) Float(name string, shape ...int) ([]float32, error) {
	t, err := sd.lookup(name, shape, true)
	if err != nil {
		return nil, err
	}
	return append([]float32(nil), t.F32...), nil
}

// Int returns a copy of the integer or bool tensor name (bools as 0 and 1). When shape
// is given the tensor must have exactly that shape, where -1 matches any size.
func (sd *StateDict) Int(name string, shape ...int) ([]int64, error) {
	t, err := sd.lookup(name, shape, false)
	if err != nil {
		return nil, err
	}
	return append([]int64(nil), t.I64...), nil
}

func (sd *StateDict) lookup(name string, shape []int, float bool) (*Tensor, error) {
	t, ok := sd.Tensors[name]
	if !ok {
		return nil, fmt.Errorf("torchpt: %s: no tensor %q among its %d tensors", sd.Path, name, len(sd.Tensors))
	}
	if float && t.F32 == nil {
		return nil, fmt.Errorf("torchpt: %s: tensor %q is %s, want a floating-point tensor", sd.Path, name, t.DType)
	}
	if !float && t.I64 == nil {
		return nil, fmt.Errorf("torchpt: %s: tensor %q is %s, want an integer or bool tensor", sd.Path, name, t.DType)
	}
	if len(shape) > 0 && !shapeMatches(t.Shape, shape) {
		return nil, fmt.Errorf("torchpt: %s: tensor %q (%s) has shape %v, want %v",
			sd.Path, name, t.DType, t.Shape, shape)
	}
	return t, nil
}

func shapeMatches(got, want []int) bool {
	if len(got) != len(want) {
		return false
	}
	for i, w := range want {
		if w != -1 && got[i] != w {
			return false
		}
	}
	return true
}
