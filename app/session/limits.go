package session

import (
	"archive/zip"
	"fmt"
)

// maxMember bounds the size of one archive member once decompressed.
const maxMember = 1 << 30

// maxRatio bounds how many times larger than its compressed bytes a member may claim to
// be: DEFLATE cannot expand data more than 1032-fold.
const maxRatio = 1032

// checkMemberSize rejects a member whose declared sizes cannot be true for an archive of
// fileSize bytes, before anything is allocated for it: more compressed bytes than the file
// holds, an expansion DEFLATE cannot give, or more than maxMember bytes.
func checkMemberSize(f *zip.File, fileSize int64) error {
	c, u := f.CompressedSize64, f.UncompressedSize64
	switch {
	case c > uint64(fileSize):
		return fmt.Errorf("%s claims %d compressed bytes, more than the file's %d (truncated or corrupt?)", f.Name, c, fileSize)
	case u > maxMember:
		return fmt.Errorf("%s claims %d bytes, more than the %d allowed", f.Name, u, maxMember)
	case f.Method == zip.Store && u != c:
		return fmt.Errorf("%s is stored uncompressed but claims %d bytes in %d (corrupt?)", f.Name, u, c)
	case u > maxRatio*c+64:
		return fmt.Errorf("%s claims %d bytes from %d compressed bytes, more than DEFLATE can expand (corrupt?)", f.Name, u, c)
	}
	return nil
}
