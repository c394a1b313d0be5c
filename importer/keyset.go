package importer

import (
	"bytes"
	"encoding/binary"
	"hash/maphash"
)

// keySet is a set of byte strings, each with the row that first had it:
// the memory behind the checks for repeated keys and values. It is sized
// by the distinct values, not by the rows, and kept compact because a
// sheet may have a million of them: the bytes live in 1 MiB chunks that
// the garbage collector need not scan, and the table holds 12 bytes a
// value. When it would outgrow its budget it says so, and the sheet is
// checked in the database instead.
//
// Keys that come in order (each after the one before, byte by byte) are
// all different, and need no table to say so: a sheet sorted by its key,
// as Roster's export and most rosters are, is checked by comparing each
// key with the last. The table is built from the chunks the first time a
// key comes out of order or is looked up.
type keySet struct {
	seed   maphash.Seed
	sorted bool      // every key came after the one before, and slots is not built yet
	last   uint32    // where the last key is, while sorted
	slots  []keySlot // open addressing, linear probing; a power of two long
	used   int
	chunks [][]byte // each key after its length, then its first row
	budget *int     // bytes the chunks and slots may yet take, shared by a sheet's sets
}

// keySlot is one value of the set: where its bytes are, a part of its hash
// (to skip most comparisons) and its first row; row 0 is an empty slot.
type keySlot struct {
	hash uint32
	at   uint32 // chunk << chunkBits | offset in the chunk
	row  int32
}

const (
	chunkBits = 20
	chunkSize = 1 << chunkBits
)

func newKeySet(budget *int) *keySet {
	return &keySet{seed: maphash.MakeSeed(), budget: budget, sorted: true}
}

// take counts n more bytes against the budget, if they fit.
func (s *keySet) take(n int) bool {
	if n > *s.budget {
		return false
	}
	*s.budget -= n
	return true
}

// add records that row has key, and returns the row that had it first
// (row itself when it is new). ok is false when the set would outgrow its
// budget; the set is then of no further use.
func (s *keySet) add(key []byte, row int) (first int, ok bool) {
	if s.sorted {
		if s.used == 0 || bytes.Compare(key, s.bytes(s.last)) > 0 {
			at, ok := s.store(key, row)
			if !ok {
				return 0, false
			}
			s.last = at
			s.used++
			return row, true
		}
		if !s.index() {
			return 0, false
		}
	}
	h := uint32(maphash.Bytes(s.seed, key))
	if first, found := s.find(key, h); found {
		return first, true
	}
	at, ok := s.store(key, row)
	if !ok {
		return 0, false
	}
	if (s.used+1)*4 > len(s.slots)*3 {
		if !s.grow() {
			return 0, false
		}
	}
	s.put(keySlot{hash: h, at: at, row: int32(row)}, uint32(len(s.slots)-1))
	s.used++
	return row, true
}

// has reports whether the set holds key. A set whose table does not fit
// in what is left of its budget says no, as if it did not know the key.
func (s *keySet) has(key []byte) bool {
	if s.sorted && !s.index() {
		return false
	}
	_, found := s.find(key, uint32(maphash.Bytes(s.seed, key)))
	return found
}

// find returns the first row of key, whose hash is h, if the set holds it.
func (s *keySet) find(key []byte, h uint32) (row int, found bool) {
	mask := uint32(len(s.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		sl := &s.slots[i]
		if sl.row == 0 {
			return 0, false
		}
		if sl.hash == h && string(s.bytes(sl.at)) == string(key) {
			return int(sl.row), true
		}
	}
}

// tableFor is the length of a table that holds n keys.
func tableFor(n int) int {
	size := 1024
	for n*4 > size*3 {
		size *= 2
	}
	return size
}

// index builds the table of a set whose keys came in order, from its
// chunks.
func (s *keySet) index() bool {
	size := tableFor(s.used + 1)
	if !s.take(size * 12) {
		return false
	}
	s.slots = make([]keySlot, size)
	mask := uint32(size - 1)
	for i, c := range s.chunks {
		for off := 0; off < len(c); {
			at := uint32(i)<<chunkBits | uint32(off)
			n, w := binary.Uvarint(c[off:])
			key := c[off+w : off+w+int(n)]
			off += w + int(n)
			row, w := binary.Uvarint(c[off:])
			off += w
			s.put(keySlot{hash: uint32(maphash.Bytes(s.seed, key)), at: at, row: int32(row)}, mask)
		}
	}
	s.sorted = false
	return true
}

// size is the bytes the set holds on to, its table included once built.
func (s *keySet) size() int {
	n := len(s.slots) * 12
	if s.sorted {
		n = tableFor(s.used+1) * 12
	}
	for _, c := range s.chunks {
		n += cap(c)
	}
	return n
}

func (s *keySet) put(sl keySlot, mask uint32) {
	i := sl.hash & mask
	for s.slots[i].row != 0 {
		i = (i + 1) & mask
	}
	s.slots[i] = sl
}

func (s *keySet) grow() bool {
	if !s.take(len(s.slots) * 12) {
		return false
	}
	old := s.slots
	s.slots = make([]keySlot, 2*len(old))
	mask := uint32(len(s.slots) - 1)
	for _, sl := range old {
		if sl.row != 0 {
			s.put(sl, mask)
		}
	}
	return true
}

// store copies key and its row into the chunks, and returns where.
func (s *keySet) store(key []byte, row int) (uint32, bool) {
	need := 2*binary.MaxVarintLen64 + len(key)
	last := len(s.chunks) - 1
	if last < 0 || len(s.chunks[last])+need > cap(s.chunks[last]) {
		// A key longer than a chunk gets a chunk of its own: it starts at
		// offset 0, so its place still fits the same scheme.
		n := max(chunkSize, need)
		if len(s.chunks) >= 1<<(32-chunkBits) || !s.take(n) {
			return 0, false
		}
		s.chunks = append(s.chunks, make([]byte, 0, n))
		last++
	}
	c := s.chunks[last]
	at := uint32(last)<<chunkBits | uint32(len(c))
	c = binary.AppendUvarint(c, uint64(len(key)))
	c = append(c, key...)
	s.chunks[last] = binary.AppendUvarint(c, uint64(row))
	return at, true
}

func (s *keySet) bytes(at uint32) []byte {
	c := s.chunks[at>>chunkBits][at&(chunkSize-1):]
	n, w := binary.Uvarint(c)
	return c[w : w+int(n)]
}
