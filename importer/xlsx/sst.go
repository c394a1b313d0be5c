package xlsx

import (
	"bytes"
	"unicode/utf8"

	"roster/internal/human"
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
	*b = append(*b, s)
	t.n++
}

// Len is the number of strings.
func (t *stringTable) Len() int { return t.n }

// readSharedStrings loads the shared-string table, within the limits.
func (w *Workbook) readSharedStrings(part string) error {
	budget := w.lim.MaxSharedStrings
	var used int64
	var chunk []byte
	var slots []int  // table indexes waiting for chunk
	var ends []int32 // their end offsets in chunk
	flush := func() {
		if len(slots) > 0 {
			s := string(chunk)
			start := int32(0)
			for i, idx := range slots {
				w.strs.blocks[idx/sstBlock][idx%sstBlock] = s[start:ends[i]]
				start = ends[i]
			}
		}
		chunk, slots, ends = chunk[:0], slots[:0], ends[:0]
	}
	var text []byte
	_, err := w.scanPart(part, func(sc *scanner, tok tokKind) error {
		if tok != tokStart || string(sc.name) != "si" {
			return nil
		}
		text = text[:0]
		if !sc.self {
			var err error
			limit := int(min(budget-used, int64(maxInt)))
			if text, err = sc.readRich(text, limit); err != nil {
				if err == errTextTooBig {
					return w.sstTooLarge()
				}
				return err
			}
		}
		used += int64(len(text)) + 16
		if used > budget {
			return w.sstTooLarge()
		}
		text = decodeXString(text)
		if !utf8.Valid(text) {
			text = bytes.ToValidUTF8(text, []byte("\uFFFD"))
		}
		switch {
		case len(text) == 0:
			w.strs.add("")
		case len(text) > sstChunk/4:
			w.strs.add(string(text))
		default:
			if len(chunk)+len(text) > sstChunk {
				flush()
			}
			chunk = append(chunk, text...)
			slots = append(slots, w.strs.n)
			ends = append(ends, int32(len(chunk)))
			w.strs.add("")
		}
		return nil
	})
	flush()
	return err
}

const maxInt = int(^uint(0) >> 1)

func (w *Workbook) sstTooLarge() error {
	return tooLarge("its shared strings take more than %s", human.Bytes(w.lim.MaxSharedStrings))
}
