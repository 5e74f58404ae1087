package torchpt

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
)

// Argument encodings of pickle opcodes (the names follow Python's pickletools).
const (
	argNone    = iota
	argFixed   // fixed number of bytes, in opArgs.n
	argLine    // text up to and including a newline
	argLine2   // two such lines
	argLen1    // 1-byte length, then that many bytes
	argLen4    // 4-byte little-endian length, then that many bytes
	argLen8    // 8-byte little-endian length, then that many bytes
	argFrame8  // 8-byte frame length; the frame's opcodes follow inline
	argUnknown // not a pickle opcode
)

type opArgs struct {
	kind int
	n    int
}

// opcodeArgs describes the argument of every opcode of pickle protocols 0–5.
var opcodeArgs = func() [256]opArgs {
	var t [256]opArgs
	for i := range t {
		t[i] = opArgs{kind: argUnknown}
	}
	for _, op := range []byte("(.012NQRabd}el]o)stu\x81\x85\x86\x87\x88\x89\x8f\x90\x91\x92\x93\x94\x97\x98") {
		t[op] = opArgs{kind: argNone}
	}
	for op, n := range map[byte]int{'J': 4, 'K': 1, 'M': 2, 'h': 1, 'j': 4, 'q': 1, 'r': 4, 'G': 8,
		0x80: 1, 0x82: 1, 0x83: 2, 0x84: 4} {
		t[op] = opArgs{kind: argFixed, n: n}
	}
	for _, op := range []byte("FILPSVgp") {
		t[op] = opArgs{kind: argLine}
	}
	t['c'] = opArgs{kind: argLine2}
	t['i'] = opArgs{kind: argLine2}
	for _, op := range []byte("UC\x8a\x8c") {
		t[op] = opArgs{kind: argLen1}
	}
	for _, op := range []byte("TXB\x8b") {
		t[op] = opArgs{kind: argLen4}
	}
	for _, op := range []byte("\x8d\x8e\x96") {
		t[op] = opArgs{kind: argLen8}
	}
	t[0x95] = opArgs{kind: argFrame8}
	return t
}()

// maxLongBytes bounds the digits of a LONG and the bytes of a LONG4 opcode: the unpickler
// converts them to a big integer in time quadratic in their length (a 64 MB one would take
// hours), and no tensor file needs an integer of more than a few bytes.
const maxLongBytes = 4096

// prescan walks the opcodes of a pickle and checks that every opcode is known and
// every length it declares fits in the data, so that the unpickler never allocates
// more than the data holds, and that no integer is long enough to make it slow. It stops
// at the first STOP opcode.
func prescan(data []byte) error {
	for p := 0; p < len(data); {
		op := data[p]
		p++
		a := opcodeArgs[op]
		rest := len(data) - p
		switch a.kind {
		case argUnknown:
			return fmt.Errorf("byte %d: unknown pickle opcode 0x%02x", p-1, op)
		case argNone:
			if op == '.' {
				return nil
			}
		case argFixed:
			if rest < a.n {
				return fmt.Errorf("byte %d: pickle ends inside an opcode argument", p-1)
			}
			p += a.n
		case argLine, argLine2:
			lines := 1
			if a.kind == argLine2 {
				lines = 2
			}
			for range lines {
				i := bytes.IndexByte(data[p:], '\n')
				if i < 0 {
					return fmt.Errorf("byte %d: pickle ends inside a text argument", p-1)
				}
				if op == 'L' && i > maxLongBytes {
					return fmt.Errorf("byte %d: LONG of %d digits, more than the %d allowed", p-1, i, maxLongBytes)
				}
				p += i + 1
			}
		case argLen1, argLen4, argLen8:
			w := 1
			if a.kind == argLen4 {
				w = 4
			} else if a.kind == argLen8 {
				w = 8
			}
			if rest < w {
				return fmt.Errorf("byte %d: pickle ends inside a length", p-1)
			}
			var n uint64
			switch w {
			case 1:
				n = uint64(data[p])
			case 4:
				n = uint64(binary.LittleEndian.Uint32(data[p:]))
			case 8:
				n = binary.LittleEndian.Uint64(data[p:])
			}
			p += w
			if op == 0x8b && n > maxLongBytes {
				return fmt.Errorf("byte %d: LONG4 of %d bytes, more than the %d allowed", p-1-w, n, maxLongBytes)
			}
			if n > uint64(len(data)-p) {
				return fmt.Errorf("byte %d: opcode 0x%02x declares %d bytes but only %d remain", p-1-w, op, n, len(data)-p)
			}
			p += int(n)
		case argFrame8:
			if rest < 8 {
				return fmt.Errorf("byte %d: pickle ends inside a frame length", p-1)
			}
			n := binary.LittleEndian.Uint64(data[p:])
			p += 8
			if n > uint64(len(data)-p) {
				return fmt.Errorf("byte %d: frame of %d bytes but only %d remain", p-9, n, len(data)-p)
			}
			// The frame's opcodes are scanned as part of the stream.
		}
	}
	return errors.New("pickle has no STOP opcode (truncated?)")
}
