package importer

// refFinder looks up, while a sheet is read, each row's references among
// the keys of the sheets read before it. When every value is found there,
// the reference is settled and the database is not asked; when one is
// not (it names a saved row, or nothing), the database checks the whole
// reference as before (Tx.Dangling). A full workbook refers only to
// itself: the sample's 700,000 schedules took 0.4 s of the writer's time
// to check in SQL, and take none of it here, beside the reading.
//
// The keys are those of the staged rows: a row with problems still
// defines its key, here as in the staging table. A key found in the
// workbook is never removed, so removal changes nothing here.
type refFinder struct {
	checks []refCheck
	buf    []byte
}

// refCheck is one reference of the sheet that can be looked up in memory.
type refCheck struct {
	ref    int // the reference's index in the sheet's Refs
	value  int // the referring value's index in a row's values
	keys   *keySet
	missed bool // a value was not among the keys
}

// newRefFinder looks up the sheet's references to the steps in known,
// the key sets of sheets read so far.
func newRefFinder(sh *Sheet, known map[StepKey]*keySet) *refFinder {
	f := &refFinder{}
	for i, ref := range sh.Refs {
		if keys := known[ref.To]; keys != nil {
			f.checks = append(f.checks, refCheck{ref: i, value: valueIndex(sh, ref.Field), keys: keys})
		}
	}
	return f
}

// add looks up one row's references (empty ones refer to nothing).
func (f *refFinder) add(values []any) {
	for i := range f.checks {
		c := &f.checks[i]
		if c.missed {
			continue
		}
		key, ok := appendKeyPart(f.buf[:0], values[c.value])
		f.buf = key
		if ok && !c.keys.has(key) {
			c.missed = true
		}
	}
}

// resolved reports, for each of the sheet's n references, whether every
// value of it was found among the workbook's keys.
func (f *refFinder) resolved(n int) []bool {
	out := make([]bool, n)
	for _, c := range f.checks {
		out[c.ref] = !c.missed
	}
	return out
}

// referredToLater reports whether a sheet after the first in sheets
// refers to the first's step.
func referredToLater(sheets []found) bool {
	for _, later := range sheets[1:] {
		for _, ref := range later.sheet.Refs {
			if ref.To == sheets[0].sheet.Step {
				return true
			}
		}
	}
	return false
}
