package torchpt

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"

	"github.com/nlpodyssey/gopickle/pickle"
	"github.com/nlpodyssey/gopickle/types"
)

// dtypeOf maps a storage class that torch.save names to its element type and size, or
// ("", 0) for classes the loader does not convert (complex, quantized, untyped).
func dtypeOf(class string) (string, int) {
	switch class {
	case "FloatStorage":
		return "float32", 4
	case "DoubleStorage":
		return "float64", 8
	case "HalfStorage":
		return "float16", 2
	case "BFloat16Storage":
		return "bfloat16", 2
	case "LongStorage":
		return "int64", 8
	case "IntStorage":
		return "int32", 4
	case "ShortStorage":
		return "int16", 2
	case "CharStorage":
		return "int8", 1
	case "ByteStorage":
		return "uint8", 1
	case "BoolStorage":
		return "bool", 1
	}
	return "", 0
}

// storageClass is what the pickle's torch.XxxStorage globals resolve to.
type storageClass struct {
	name  string // e.g. "FloatStorage"
	dtype string // "" when unsupported
	size  int
}

// storage is one loaded storage record; views share it.
type storage struct {
	class *storageClass
	numel int
	raw   []byte // little-endian elements; nil when the dtype is unsupported
}

// rawTensor is a tensor as pickled: a view into a storage.
type rawTensor struct {
	st     *storage
	offset int
	size   []int
	stride []int
}

// rebuildTensor stands for torch._utils._rebuild_tensor_v2.
type rebuildTensor struct{}

// Call builds a rawTensor from (storage, offset, size, stride, requires_grad, hooks[, metadata]).
func (rebuildTensor) Call(args ...interface{}) (interface{}, error) {
	if len(args) < 4 {
		return nil, fmt.Errorf("_rebuild_tensor_v2: %d arguments, want at least 4", len(args))
	}
	st, ok := args[0].(*storage)
	if !ok {
		return nil, fmt.Errorf("_rebuild_tensor_v2: first argument is %s, not a storage", describe(args[0]))
	}
	off, ok := args[1].(int)
	if !ok {
		return nil, fmt.Errorf("_rebuild_tensor_v2: storage offset is %s, not an int", describe(args[1]))
	}
	size, err := intTuple(args[2], "size")
	if err != nil {
		return nil, err
	}
	stride, err := intTuple(args[3], "stride")
	if err != nil {
		return nil, err
	}
	return &rawTensor{st: st, offset: off, size: size, stride: stride}, nil
}

// rebuildParameter stands for torch._utils._rebuild_parameter: an nn.Parameter is its data.
type rebuildParameter struct{}

// Call returns the parameter's tensor, the first argument.
func (rebuildParameter) Call(args ...interface{}) (interface{}, error) {
	if len(args) < 1 {
		return nil, errors.New("_rebuild_parameter: no arguments")
	}
	t, ok := args[0].(*rawTensor)
	if !ok {
		return nil, fmt.Errorf("_rebuild_parameter: data is %s, not a tensor", describe(args[0]))
	}
	return t, nil
}

func intTuple(v interface{}, what string) ([]int, error) {
	t, ok := v.(*types.Tuple)
	if !ok {
		return nil, fmt.Errorf("_rebuild_tensor_v2: %s is %s, not a tuple", what, describe(v))
	}
	out := make([]int, t.Len())
	for i := range out {
		n, ok := t.Get(i).(int)
		if !ok {
			return nil, fmt.Errorf("_rebuild_tensor_v2: %s holds %s, not an int", what, describe(t.Get(i)))
		}
		out[i] = n
	}
	return out, nil
}

func findClass(module, name string) (interface{}, error) {
	switch module + "." + name {
	case "torch._utils._rebuild_tensor_v2":
		return rebuildTensor{}, nil
	case "torch._utils._rebuild_parameter":
		return rebuildParameter{}, nil
	}
	if module == "torch" && len(name) > len("Storage") && name[len(name)-len("Storage"):] == "Storage" {
		dtype, size := dtypeOf(name)
		return &storageClass{name: name, dtype: dtype, size: size}, nil
	}
	// Anything else becomes an inert object; collect ignores it.
	return &opaqueClass{module: module, name: name}, nil
}

// opaqueClass stands for any class or function the loader does not need, such as the
// argparse.Namespace some training scripts save next to the weights. Calling or
// instantiating it yields an opaqueObject that swallows its state.
type opaqueClass struct{ module, name string }

// opaqueObject is an instance or call result of an opaqueClass.
type opaqueObject struct{ class *opaqueClass }

// Call returns an opaqueObject, ignoring the arguments.
func (c *opaqueClass) Call(...interface{}) (interface{}, error) { return &opaqueObject{c}, nil }

// PyNew returns an opaqueObject, ignoring the arguments.
func (c *opaqueClass) PyNew(...interface{}) (interface{}, error) { return &opaqueObject{c}, nil }

// PySetState ignores the pickled state.
func (*opaqueObject) PySetState(interface{}) error { return nil }

// persistentLoad resolves ("storage", class, key, location, numel) references to storage records.
func (a *archive) persistentLoad(id interface{}) (interface{}, error) {
	t, ok := id.(*types.Tuple)
	if !ok || t.Len() < 5 {
		return nil, fmt.Errorf("persistent id is %s, want a 5-tuple", describe(id))
	}
	if kind, _ := t.Get(0).(string); kind != "storage" {
		return nil, fmt.Errorf("persistent id of kind %s, want \"storage\"", describe(t.Get(0)))
	}
	class, ok := t.Get(1).(*storageClass)
	if !ok {
		return nil, fmt.Errorf("persistent id names storage type %s", describe(t.Get(1)))
	}
	key, ok := t.Get(2).(string)
	if !ok {
		return nil, fmt.Errorf("persistent id has storage key %s, not a string", describe(t.Get(2)))
	}
	numel, ok := t.Get(4).(int)
	if !ok || numel < 0 || numel > maxElements {
		return nil, fmt.Errorf("storage %s: bad element count %s", key, describe(t.Get(4)))
	}
	if st, ok := a.storages[key]; ok {
		if st.class.name != class.name || st.numel != numel {
			return nil, fmt.Errorf("storage %s referenced as both %s[%d] and %s[%d]",
				key, st.class.name, st.numel, class.name, numel)
		}
		return st, nil
	}
	st := &storage{class: class, numel: numel}
	if class.dtype != "" {
		zf, ok := a.records[a.prefix+"data/"+key]
		if !ok {
			return nil, fmt.Errorf("storage record data/%s is missing", key)
		}
		want := uint64(numel) * uint64(class.size)
		if zf.UncompressedSize64 != want {
			return nil, fmt.Errorf("storage record data/%s has %d bytes, want %d (%d × %s)",
				key, zf.UncompressedSize64, want, numel, class.name)
		}
		raw, err := a.read(zf, maxRecordBytes)
		if err != nil {
			return nil, err
		}
		st.raw = raw
	}
	a.storages[key] = st
	return st, nil
}

// unpickle reads and decodes data.pkl.
func (a *archive) unpickle() (interface{}, error) {
	data, err := a.read(a.records[a.prefix+"data.pkl"], maxPickleBytes)
	if err != nil {
		return nil, err
	}
	if err := prescan(data); err != nil {
		return nil, fmt.Errorf("data.pkl: %w", err)
	}
	obj, err := a.runUnpickler(data)
	if err != nil {
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			err = errors.New("unexpected end of pickle")
		}
		return nil, fmt.Errorf("data.pkl: %w", err)
	}
	return obj, nil
}

// runUnpickler runs gopickle on data, turning its panics (it indexes its stack without
// checks, so a damaged pickle can make it panic) into errors.
func (a *archive) runUnpickler(data []byte) (obj interface{}, err error) {
	defer func() {
		if r := recover(); r != nil {
			obj, err = nil, fmt.Errorf("malformed pickle (decoder panicked: %v)", r)
		}
	}()
	u := pickle.NewUnpickler(bytes.NewReader(data))
	u.FindClass = findClass
	u.PersistentLoad = a.persistentLoad
	return u.Load()
}

// collect flattens the unpickled object into sd.
func (sd *StateDict) collect(obj interface{}, storages map[string]*storage) error {
	if _, ok := entries(obj); !ok {
		return fmt.Errorf("pickle holds %s, not a dict of tensors", describe(obj))
	}
	c := collector{sd: sd, seen: map[interface{}]string{obj: "(top level)"}}
	for _, st := range storages {
		c.stored += st.numel
	}
	c.budget = min(maxElements, max(4*c.stored, expandAllowance))
	if err := c.walk("", obj, 0); err != nil {
		return err
	}
	if len(sd.Keys) == 0 {
		return errors.New("pickle holds a dict without tensors, not a dict of tensors")
	}
	return nil
}

type collector struct {
	sd       *StateDict
	seen     map[interface{}]string // nested dicts visited, by pointer, with their key
	nodes    int                    // dict entries visited
	elements int                    // elements produced
	stored   int                    // elements read from storage records
	budget   int                    // limit on elements, so that views (stride 0, overlap, reuse) cannot blow up memory
}

func (c *collector) walk(prefix string, obj interface{}, depth int) error {
	if depth > maxDepth {
		return fmt.Errorf("dicts nested deeper than %d at %q", maxDepth, prefix)
	}
	ents, _ := entries(obj)
	for _, e := range ents {
		if c.nodes++; c.nodes > maxNodes {
			return fmt.Errorf("more than %d dict entries", maxNodes)
		}
		var key string
		switch k := e.Key.(type) {
		case string:
			key = k
		case int:
			key = strconv.Itoa(k)
		default:
			where := "at the top level"
			if prefix != "" {
				where = fmt.Sprintf("under %q", prefix)
			}
			return fmt.Errorf("dict key %s %s is not a string", describe(e.Key), where)
		}
		if prefix != "" {
			key = prefix + "." + key
		}
		switch v := e.Value.(type) {
		case *rawTensor:
			t, err := c.tensor(key, v)
			if err != nil {
				return fmt.Errorf("tensor %q: %w", key, err)
			}
			if _, dup := c.sd.Tensors[key]; dup {
				return fmt.Errorf("tensor name %q occurs twice", key)
			}
			c.sd.Keys = append(c.sd.Keys, key)
			c.sd.Tensors[key] = t
		case *types.Dict, *types.OrderedDict:
			if first, seen := c.seen[v]; seen {
				return fmt.Errorf("one dict appears both as %q and as %q", first, key)
			}
			c.seen[v] = key
			if err := c.walk(key, v, depth+1); err != nil {
				return err
			}
		}
	}
	return nil
}

// entries lists a dict's or OrderedDict's entries in order.
func entries(obj interface{}) ([]types.DictEntry, bool) {
	switch d := obj.(type) {
	case *types.Dict:
		return *d, true
	case *types.OrderedDict:
		out := make([]types.DictEntry, 0, d.Len())
		for el := d.List.Front(); el != nil; el = el.Next() {
			oe, ok := el.Value.(*types.OrderedDictEntry)
			if !ok {
				continue
			}
			out = append(out, types.DictEntry{Key: oe.Key, Value: oe.Value})
		}
		return out, true
	}
	return nil, false
}

// tensor converts a view into a contiguous row-major Tensor.
func (c *collector) tensor(name string, r *rawTensor) (*Tensor, error) {
	cl := r.st.class
	if cl.dtype == "" {
		return nil, fmt.Errorf("unsupported dtype (torch.%s)", cl.name)
	}
	if len(r.size) != len(r.stride) {
		return nil, fmt.Errorf("size %v and stride %v differ in length", r.size, r.stride)
	}
	if r.offset < 0 {
		return nil, fmt.Errorf("negative storage offset %d", r.offset)
	}
	n := 1
	for i, s := range r.size {
		if s < 0 || r.stride[i] < 0 {
			return nil, fmt.Errorf("negative size or stride (size %v, stride %v)", r.size, r.stride)
		}
		if s != 0 && n > maxElements/s {
			return nil, fmt.Errorf("size %v has more than %d elements", r.size, maxElements)
		}
		n *= s
	}
	if c.elements += n; c.elements > c.budget {
		return nil, fmt.Errorf("views expand the file's %d stored elements to more than %d", c.stored, c.budget)
	}
	if n > 0 {
		// Largest storage index the view touches; each term is bounded by the storage size.
		last := r.offset
		for i, s := range r.size {
			if r.stride[i] > 0 && s-1 > (r.st.numel-last)/r.stride[i] {
				last = r.st.numel
				break
			}
			last += (s - 1) * r.stride[i]
		}
		if last >= r.st.numel {
			return nil, fmt.Errorf("view (offset %d, size %v, stride %v) runs past its storage of %d elements",
				r.offset, r.size, r.stride, r.st.numel)
		}
	}
	t := &Tensor{Name: name, DType: cl.dtype, Shape: append([]int{}, r.size...)}
	raw := r.st.raw
	switch cl.dtype {
	case "float32":
		t.F32 = gather(n, r, func(j int) float32 { return math.Float32frombits(binary.LittleEndian.Uint32(raw[4*j:])) })
	case "float64":
		t.F32 = gather(n, r, func(j int) float32 { return float32(math.Float64frombits(binary.LittleEndian.Uint64(raw[8*j:]))) })
	case "float16":
		t.F32 = gather(n, r, func(j int) float32 { return halfToFloat(binary.LittleEndian.Uint16(raw[2*j:])) })
	case "bfloat16":
		t.F32 = gather(n, r, func(j int) float32 {
			return math.Float32frombits(uint32(binary.LittleEndian.Uint16(raw[2*j:])) << 16)
		})
	case "int64":
		t.I64 = gather(n, r, func(j int) int64 { return int64(binary.LittleEndian.Uint64(raw[8*j:])) })
	case "int32":
		t.I64 = gather(n, r, func(j int) int64 { return int64(int32(binary.LittleEndian.Uint32(raw[4*j:]))) })
	case "int16":
		t.I64 = gather(n, r, func(j int) int64 { return int64(int16(binary.LittleEndian.Uint16(raw[2*j:]))) })
	case "int8":
		t.I64 = gather(n, r, func(j int) int64 { return int64(int8(raw[j])) })
	case "uint8":
		t.I64 = gather(n, r, func(j int) int64 { return int64(raw[j]) })
	case "bool":
		t.I64 = gather(n, r, func(j int) int64 {
			if raw[j] != 0 {
				return 1
			}
			return 0
		})
	default:
		return nil, fmt.Errorf("internal error: no decoder for dtype %s", cl.dtype)
	}
	return t, nil
}

// gather returns the n elements of a strided view in row-major order, at(j) reading
// storage element j. The result is never nil.
func gather[T any](n int, r *rawTensor, at func(j int) T) []T {
	out := make([]T, n)
	if n == 0 {
		return out
	}
	size, stride := r.size, r.stride
	pos := make([]int, len(size))
	j := r.offset
	for i := range out {
		out[i] = at(j)
		for d := len(size) - 1; d >= 0; d-- {
			pos[d]++
			j += stride[d]
			if pos[d] < size[d] {
				break
			}
			j -= pos[d] * stride[d]
			pos[d] = 0
		}
	}
	return out
}

// halfToFloat converts an IEEE 754 binary16 value to float32 exactly.
func halfToFloat(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	frac := uint32(h) & 0x3ff
	switch {
	case exp == 0x1f: // Inf or NaN
		return math.Float32frombits(sign | 0xff<<23 | frac<<13)
	case exp != 0: // normal
		return math.Float32frombits(sign | (exp+112)<<23 | frac<<13)
	case frac == 0: // signed zero
		return math.Float32frombits(sign)
	}
	// Subnormal: value is frac × 2^-24, exact in float32.
	v := float32(frac) * (1.0 / (1 << 24))
	if sign != 0 {
		v = -v
	}
	return v
}

// describe names the Go type of an unpickled value in Python terms, for error messages.
func describe(v interface{}) string {
	switch x := v.(type) {
	case nil:
		return "None"
	case *rawTensor:
		return "a tensor"
	case *storage:
		return "a storage"
	case *types.Dict, *types.OrderedDict:
		return "a dict"
	case *types.List:
		return "a list"
	case *types.Tuple:
		return "a tuple"
	case string:
		return strconv.Quote(x)
	case int, bool, float64:
		return fmt.Sprintf("%T %v", x, x)
	case *opaqueObject:
		return fmt.Sprintf("a %s.%s object", x.class.module, x.class.name)
	case *opaqueClass:
		return fmt.Sprintf("the class %s.%s", x.module, x.name)
	case *storageClass:
		return "the class torch." + x.name
	}
	return fmt.Sprintf("a value of Go type %T", v)
}
