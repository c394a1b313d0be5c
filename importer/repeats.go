package importer

import (
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
)

// CheckMemory is what the sets that find repeated keys and values of one
// sheet may take together, in bytes. In tables, the 700,000 schedules of
// the 100,000-employee sample took 31 MiB, a million 52 MiB, a million
// employees' IDs and emails 93 MiB (keys that come in order need no
// table now, only their bytes): checked in memory, that sheet imports
// 5 to 8 s sooner than in the database, and the import's peak stays
// within 256 MiB also with shared strings (docs/performance.md). A sheet
// whose distinct values need more (long keys are the hostile case) is
// checked in the database instead, on disk: memory stays bounded,
// whatever the workbook. Tests lower it to check that way.
var CheckMemory = 96 << 20

// repeatFinder finds, while a sheet is read, the rows whose key, or one of
// whose unique values, an earlier row of the sheet already has. Doing it
// in memory as the rows go by, by distinct values, costs a fraction of
// indexing and grouping every staged row in the database afterwards.
type repeatFinder struct {
	fields [][]int    // value indexes (1-based: 0 is the row number) of the key, then of each unique field
	sets   []*keySet  // one per entry of fields
	found  [][]Repeat // the repeats of each, the first MaxProblems in all
	kept   int
	more   int  // repeats found past MaxProblems, counted only
	gaveUp bool // the sets outgrew CheckMemory: the database checks the sheet
	buf    []byte
}

func newRepeatFinder(sh *Sheet) *repeatFinder {
	f := &repeatFinder{}
	groups := append([][]string{sh.Key}, splitEach(sh.Unique)...)
	budget := CheckMemory
	for _, g := range groups {
		var idx []int
		for _, field := range g {
			idx = append(idx, valueIndex(sh, field))
		}
		f.fields = append(f.fields, idx)
		f.sets = append(f.sets, newKeySet(&budget))
	}
	f.found = make([][]Repeat, len(f.fields))
	return f
}

// valueIndex is where a field's value is in a row's values: after the
// row number, in the order of the sheet's columns.
func valueIndex(sh *Sheet, field string) int {
	for i, c := range sh.Columns {
		if c.Field == field {
			return i + 1
		}
	}
	panic("importer: no field " + field + " in sheet " + sh.Name)
}

func splitEach(fields []string) [][]string {
	out := make([][]string, len(fields))
	for i, f := range fields {
		out[i] = []string{f}
	}
	return out
}

// add checks one row's values (the row number first), as the database
// did: a row with any of the fields empty repeats nothing.
func (f *repeatFinder) add(values []any) {
	if f.gaveUp {
		return
	}
	row := values[0].(int)
	for i, idx := range f.fields {
		key, ok := f.encode(values, idx)
		if !ok {
			continue
		}
		first, ok := f.sets[i].add(key, row)
		if !ok {
			f.giveUp()
			return
		}
		if first == row {
			continue
		}
		if f.kept == MaxProblems {
			f.more++
			continue
		}
		f.kept++
		f.found[i] = append(f.found[i], Repeat{Row: row, FirstRow: first, Value: Cut(shownKey(values, idx))})
	}
}

// encode is the values of the fields as one byte string, each part after
// its length, so that no two different lists of values meet.
func (f *repeatFinder) encode(values []any, idx []int) ([]byte, bool) {
	f.buf = f.buf[:0]
	for _, i := range idx {
		var ok bool
		if f.buf, ok = appendKeyPart(f.buf, values[i]); !ok {
			return nil, false
		}
	}
	return f.buf, true
}

// appendKeyPart appends one value of a key, after its length; false when
// the value is empty (nil).
func appendKeyPart(buf []byte, value any) ([]byte, bool) {
	switch v := value.(type) {
	case nil:
		return buf, false
	case string:
		buf = binary.AppendUvarint(buf, uint64(len(v)))
		return append(buf, v...), true
	case int:
		s := strconv.Itoa(v)
		buf = binary.AppendUvarint(buf, uint64(len(s)))
		return append(buf, s...), true
	default:
		panic(fmt.Sprintf("importer: a value of type %T", v))
	}
}

// keys is the set of the sheet's keys, for later sheets' references to
// be looked up in; nil when the key has several fields (no sheet refers
// to such a key) or the finder gave up.
func (f *repeatFinder) keys() *keySet {
	if f.gaveUp || len(f.fields[0]) != 1 {
		return nil
	}
	return f.sets[0]
}

// shownKey is the values of the fields as a problem quotes them: parts of
// a key joined by " / ".
func shownKey(values []any, idx []int) string {
	parts := make([]string, len(idx))
	for i, at := range idx {
		parts[i] = fmt.Sprint(values[at])
	}
	return strings.Join(parts, " / ")
}

func (f *repeatFinder) giveUp() {
	f.gaveUp, f.sets, f.found, f.kept, f.more = true, nil, nil, 0, 0
}

// repeats is what a repeatFinder found in a whole sheet.
type repeats struct {
	key    []Repeat
	unique [][]Repeat // by the sheet's Unique fields
	more   int        // found but not kept, past MaxProblems
}

// result is the repeats found, or nil when the sheet is left to the
// database.
func (f *repeatFinder) result() *repeats {
	if f.gaveUp {
		return nil
	}
	return &repeats{key: f.found[0], unique: f.found[1:], more: f.more}
}
