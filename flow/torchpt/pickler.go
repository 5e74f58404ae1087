package torchpt

import (
	"encoding/binary"
	"math/bits"
	"strconv"
)

// Pickle opcodes used by the writer (protocol 2).
const (
	opMark       = '('
	opStop       = '.'
	opBinInt     = 'J'
	opBinInt1    = 'K'
	opBinInt2    = 'M'
	opBinUnicode = 'X'
	opGlobal     = 'c'
	opReduce     = 'R'
	opBuild      = 'b'
	opEmptyDict  = '}'
	opSetItem    = 's'
	opSetItems   = 'u'
	opEmptyTuple = ')'
	opTuple      = 't'
	opBinPut     = 'q'
	opLongBinPut = 'r'
	opBinGet     = 'h'
	opLongBinGet = 'j'
	opBinPersID  = 'Q'
	opProto      = 0x80
	opTuple1     = 0x85
	opTuple2     = 0x86
	opTuple3     = 0x87
	opNewFalse   = 0x89
	opLong1      = 0x8a
)

// batchSize is how many dict items Python's pickler puts under one SETITEMS.
const batchSize = 1000

// pickler emits the pickle Python's pickle.Pickler (protocol 2) writes for torch.save of a
// state_dict, memo numbering included, so that the bytes match torch's.
type pickler struct {
	b    []byte
	memo int            // next memo index
	seen map[string]int // memo index of globals and of the strings Python shares (interned)
}

func (p *pickler) op(c byte) { p.b = append(p.b, c) }

// put memoizes the object just written.
func (p *pickler) put() int {
	i := p.memo
	p.memo++
	if i < 256 {
		p.b = append(p.b, opBinPut, byte(i))
	} else {
		p.b = append(p.b, opLongBinPut)
		p.b = binary.LittleEndian.AppendUint32(p.b, uint32(i))
	}
	return i
}

func (p *pickler) get(i int) {
	if i < 256 {
		p.b = append(p.b, opBinGet, byte(i))
	} else {
		p.b = append(p.b, opLongBinGet)
		p.b = binary.LittleEndian.AppendUint32(p.b, uint32(i))
	}
}

// global writes module.name, or fetches it from the memo when written before.
func (p *pickler) global(module, name string) {
	key := "global:" + module + "." + name
	if i, ok := p.seen[key]; ok {
		p.get(i)
		return
	}
	p.op(opGlobal)
	p.b = append(p.b, module...)
	p.b = append(p.b, '\n')
	p.b = append(p.b, name...)
	p.b = append(p.b, '\n')
	p.seen[key] = p.put()
}

// str writes a new string object.
func (p *pickler) str(s string) {
	p.op(opBinUnicode)
	p.b = binary.LittleEndian.AppendUint32(p.b, uint32(len(s)))
	p.b = append(p.b, s...)
	p.put()
}

// interned writes a string that Python shares between its uses (a literal in torch's code),
// so that later uses fetch it from the memo.
func (p *pickler) interned(s string) {
	key := "str:" + s
	if i, ok := p.seen[key]; ok {
		p.get(i)
		return
	}
	p.str(s)
	p.seen[key] = p.memo - 1
}

// int writes n as Python's save_long does.
func (p *pickler) int(n int64) {
	switch {
	case n >= 0 && n <= 0xff:
		p.b = append(p.b, opBinInt1, byte(n))
	case n >= 0 && n <= 0xffff:
		p.b = append(p.b, opBinInt2)
		p.b = binary.LittleEndian.AppendUint16(p.b, uint16(n))
	case n >= -1<<31 && n < 1<<31:
		p.b = append(p.b, opBinInt)
		p.b = binary.LittleEndian.AppendUint32(p.b, uint32(int32(n)))
	default:
		enc := encodeLong(n)
		p.b = append(p.b, opLong1, byte(len(enc)))
		p.b = append(p.b, enc...)
	}
}

// encodeLong is pickle's encode_long: n in the fewest little-endian two's-complement bytes.
func encodeLong(n int64) []byte {
	mag := uint64(n)
	if n < 0 {
		mag = -mag
	}
	nbytes := bits.Len64(mag)>>3 + 1
	out := make([]byte, nbytes)
	for i := range out {
		if i < 8 {
			out[i] = byte(uint64(n) >> (8 * i))
		} else if n < 0 {
			out[i] = 0xff
		}
	}
	if n < 0 && nbytes > 1 && out[nbytes-1] == 0xff && out[nbytes-2]&0x80 != 0 {
		out = out[:nbytes-1]
	}
	return out
}

// intTuple writes a tuple of ints as save_tuple does (an empty tuple is not memoized).
func (p *pickler) intTuple(v []int) {
	if len(v) == 0 {
		p.op(opEmptyTuple)
		return
	}
	if len(v) > 3 {
		p.op(opMark)
	}
	for _, x := range v {
		p.int(int64(x))
	}
	switch len(v) {
	case 1:
		p.op(opTuple1)
	case 2:
		p.op(opTuple2)
	case 3:
		p.op(opTuple3)
	default:
		p.op(opTuple)
	}
	p.put()
}

// emptyOrderedDict writes collections.OrderedDict() (its items, if any, follow).
func (p *pickler) emptyOrderedDict() {
	p.global("collections", "OrderedDict")
	p.op(opEmptyTuple)
	p.op(opReduce)
	p.put()
}

// items writes n dict items in Python's batches: MARK … SETITEMS for more than one item in a
// batch, SETITEM for a single one.
func (p *pickler) items(n int, item func(i int)) {
	for start := 0; start < n; start += batchSize {
		end := min(start+batchSize, n)
		if end-start > 1 {
			p.op(opMark)
		}
		for i := start; i < end; i++ {
			item(i)
		}
		if end-start > 1 {
			p.op(opSetItems)
		} else {
			p.op(opSetItem)
		}
	}
}

// tensor writes torch._utils._rebuild_tensor_v2 of a contiguous tensor whose storage is
// record data/key: (storage, 0, size, stride, False, OrderedDict()).
func (p *pickler) tensor(t *Tensor, key string) {
	p.global("torch._utils", "_rebuild_tensor_v2")
	p.op(opMark)
	// The storage, as the persistent id ('storage', class, key, location, numel).
	p.op(opMark)
	p.interned("storage")
	numel := len(t.I64)
	if t.DType == "float32" {
		p.global("torch", "FloatStorage")
		numel = len(t.F32)
	} else {
		p.global("torch", "LongStorage")
	}
	p.str(key)
	p.interned("cpu")
	p.int(int64(numel))
	p.op(opTuple)
	p.put()
	p.op(opBinPersID)
	p.int(0) // storage offset
	p.intTuple(t.Shape)
	p.intTuple(contiguousStrides(t.Shape))
	p.op(opNewFalse) // requires_grad
	p.emptyOrderedDict()
	p.op(opTuple)
	p.put()
	p.op(opReduce)
	p.put()
}

// contiguousStrides returns PyTorch's row-major strides for shape (sizes of 0 count as 1).
func contiguousStrides(shape []int) []int {
	s := make([]int, len(shape))
	step := 1
	for i := len(shape) - 1; i >= 0; i-- {
		s[i] = step
		step *= max(shape[i], 1)
	}
	return s
}

// pickleStateDict returns data.pkl for an OrderedDict of tensors, tensor i stored under key
// strconv.Itoa(i), with modules as its _metadata when not nil.
func pickleStateDict(tensors []Tensor, modules []Module) []byte {
	p := &pickler{seen: map[string]int{}}
	p.b = append(p.b, opProto, 2)
	p.emptyOrderedDict()
	p.items(len(tensors), func(i int) {
		p.str(tensors[i].Name)
		p.tensor(&tensors[i], strconv.Itoa(i))
	})
	if modules != nil {
		// OrderedDict.__reduce__ returns the instance dict as state: {'_metadata': …}.
		p.op(opEmptyDict)
		p.put()
		p.str("_metadata")
		p.emptyOrderedDict()
		p.items(len(modules), func(i int) {
			p.str(modules[i].Name)
			p.op(opEmptyDict)
			p.put()
			p.interned("version")
			p.int(int64(modules[i].Version))
			p.op(opSetItem)
		})
		p.op(opSetItem)
		p.op(opBuild)
	}
	p.op(opStop)
	return p.b
}
