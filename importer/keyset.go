package importer

import (
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
type keySet struct {
	seed   maphash.Seed
	slots  []keySlot // open addressing, linear probing; a power of two long
	used   int
	chunks [][]byte
	budget *int // bytes the chunks and slots may yet take, shared by a sheet's sets
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
	s := &keySet{seed: maphash.MakeSeed(), budget: budget, slots: make([]keySlot, 1024)}
	s.take(len(s.slots) * 12)
	return s
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
	h := uint32(maphash.Bytes(s.seed, key))
	if first, found := s.find(key, h); found {
		return first, true
	}
	at, ok := s.store(key)
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

// has reports whether the set holds key.
func (s *keySet) has(key []byte) bool {
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

// size is the bytes the set holds on to.
func (s *keySet) size() int {
	n := len(s.slots) * 12
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

// store copies key into the chunks, after its length, and returns where.
func (s *keySet) store(key []byte) (uint32, bool) {
	need := binary.MaxVarintLen64 + len(key)
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
	s.chunks[last] = append(c, key...)
	return at, true
}

func (s *keySet) bytes(at uint32) []byte {
	c := s.chunks[at>>chunkBits][at&(chunkSize-1):]
	n, w := binary.Uvarint(c)
	return c[w : w+int(n)]
}
