package xlsx

import (
	"bytes"
	"context"
	"math"
	"unicode/utf8"
	"unsafe"
)

// stringTable holds the shared strings. The text lives in 1 MiB chunks and
// the index in blocks of 64K strings, so that a big table never needs one
// huge allocation (or a copy of one while it grows).
type stringTable struct {
	blocks [][]string
	n      int
}

const (
	sstBlock = 1 << 16
	sstChunk = 1 << 20
)

func (t *stringTable) get(i int) (string, bool) {
	if i < 0 || i >= t.n {
		return "", false
	}
	return t.blocks[i/sstBlock][i%sstBlock], true
}

func (t *stringTable) add(s string) {
	if t.n%sstBlock == 0 {
		t.blocks = append(t.blocks, make([]string, 0, 256)) // grows up to sstBlock
	}
	b := &t.blocks[len(t.blocks)-1]
	if len(*b) == cap(*b) {
		// Grown by hand, so that a full block has no spare capacity
		// (append may give it more) and only the last one is not full.
		nb := make([]string, len(*b), min(2*cap(*b), sstBlock))
		copy(nb, *b)
		*b = nb
	}
	*b = append(*b, s)
	t.n++
}

// Len is the number of strings.
func (t *stringTable) Len() int { return t.n }

// spare is the memory of the index beyond the 16 bytes a string that the
// limits count: the free slots of the last block and the block headers.
func (t *stringTable) spare() int64 {
	n := 24 * int64(cap(t.blocks))
	if k := len(t.blocks); k > 0 {
		n += 16 * int64(cap(t.blocks[k-1])-len(t.blocks[k-1]))
	}
	return n
}

// sstReserve is the memory reserved in the budget to load a table from a
// part of size bytes under the per-file limit: at most the limit, with a
// quarter more for the spare capacity of strings longer than a chunk, and
// at most five times the part (a table counts up to 3.2 times its XML:
// 16 bytes for each 5-byte <si/>), plus the fixed buffers.
func sstReserve(size, limit int64) int64 {
	const most = math.MaxInt64 / 8
	size, limit = min(size, most), min(limit, most)
	return min(limit+limit/4, 5*size) + 64<<10
}

// readSharedStrings loads the shared-string table, within the per-file
// limit (MaxSharedStrings) and within the memory it first reserves in
// StringsBudget, of which it keeps what the table takes (in w.strHold).
func (w *Workbook) readSharedStrings(ctx context.Context, part string) error {
	limit := w.lim.MaxSharedStrings
	var size int64
	if f := w.files[normName(part)]; f != nil {
		size = int64(min(f.UncompressedSize64, uint64(w.lim.MaxUnpacked)))
	}
	h, err := w.lim.StringsBudget.acquire(ctx, sstReserve(size, limit), w.lim.StringsWait)
	if err != nil {
		return err
	}
	w.strHold = h
	room := h.size()

	// used is the table as MaxSharedStrings counts it; kept is what the
	// strings longer than a chunk keep beyond it (their buffers' spare
	// capacity); the buffers below count while the table loads.
	var used, kept int64
	var chunk []byte
	var slots []int  // table indexes waiting for chunk
	var ends []int32 // their end offsets in chunk
	var raw []byte   // the text of one <si> as read
	buffers := func() int64 {
		return int64(cap(chunk)-len(chunk)+cap(raw)) + 8*int64(cap(slots)) + 4*int64(cap(ends)) + w.strs.spare()
	}
	// flush makes the chunk the text of its strings (without a copy: it
	// is never written again) and starts another. The last chunk is
	// copied to its size when there is room for the copy, so that the
	// table does not keep most of a chunk it does not use.
	flush := func(last bool) {
		if len(slots) > 0 {
			var s string
			if last && used+kept+buffers()+int64(len(chunk)) <= room {
				s = string(chunk)
			} else {
				s = unsafe.String(unsafe.SliceData(chunk), len(chunk))
				kept += int64(cap(chunk) - len(chunk))
			}
			start := int32(0)
			for i, idx := range slots {
				w.strs.blocks[idx/sstBlock][idx%sstBlock] = s[start:ends[i]]
				start = ends[i]
			}
			chunk = nil
			if !last {
				chunk = make([]byte, 0, sstChunk)
			}
		}
		slots, ends = slots[:0], ends[:0]
	}
	_, err = w.scanPart(part, func(sc *scanner, tok tokKind) error {
		if tok != tokStart || string(sc.name) != "si" {
			return nil
		}
		raw = raw[:0]
		if !sc.self {
			// The buffer grows by up to a quarter beyond what it holds.
			others := used + kept + buffers() - int64(cap(raw))
			free := min(limit-used, max(room-others-16<<10, 0)*4/5)
			var err error
			if raw, err = sc.readRich(raw, int(min(free, int64(maxInt)))); err != nil {
				if err == errTextTooBig {
					return w.sstTooLarge(free == limit-used, room)
				}
				return err
			}
		}
		text, copied := decodeXString(raw), false
		if !utf8.Valid(text) {
			// Each invalid byte may become three.
			if used+kept+buffers()+3*int64(len(text)) > room {
				return w.sstTooLarge(false, room)
			}
			text, copied = bytes.ToValidUTF8(text, []byte("\uFFFD")), true
		}
		if used += int64(len(text)) + 16; used > limit {
			return w.sstTooLarge(true, room)
		}
		switch {
		case len(text) == 0:
			w.strs.add("")
		case len(text) > sstChunk/4:
			// The buffer becomes the string, so that a long string is not
			// in memory twice; it is never written again.
			w.strs.add(unsafe.String(unsafe.SliceData(text), len(text)))
			kept += int64(cap(text) - len(text))
			if !copied {
				raw = nil
			}
		default:
			if len(chunk)+len(text) > sstChunk {
				flush(false)
			}
			chunk = append(chunk, text...)
			slots = append(slots, w.strs.n)
			ends = append(ends, int32(len(chunk)))
			w.strs.add("")
		}
		if used+kept+buffers() > room {
			return w.sstTooLarge(false, room)
		}
		return nil
	})
	flush(true)
	if err != nil {
		return err
	}
	h.keep(used + kept + w.strs.spare())
	return nil
}

const maxInt = int(^uint(0) >> 1)

// sstTooLarge is the error for a table beyond the per-file limit (perFile)
// or beyond the memory reserved for it (room).
func (w *Workbook) sstTooLarge(perFile bool, room int64) error {
	switch {
	case perFile || room >= w.lim.MaxSharedStrings:
		return tooLarge("its shared strings take more than %s", sizeText(int64(w.lim.MaxSharedStrings)))
	case room == w.lim.StringsBudget.Size():
		return tooLarge("its shared strings need more than the %s of memory the server sets aside for reading workbooks", sizeText(int64(room)))
	}
	return tooLarge("its shared strings need more than %s of memory", sizeText(int64(room)))
}
