package importer_test

import (
	"slices"
	"testing"
	"time"

	"roster/importer"
)

// The contract's steps, in its order: the event names of the stream and
// the keys of the status JSON.
var contractSteps = []importer.StepKey{
	"areas", "departments", "designations", "employees", "schedules", "drivers", "car-assignments",
}

// TestEveryStepHasItsSheetAndEverySheetItsStep holds the one description
// of the workbook to the contract and to itself: a step without a sheet
// would stay pending in a finished import, and a sheet without a step
// would never be read.
func TestEveryStepHasItsSheetAndEverySheetItsStep(t *testing.T) {
	if !slices.Equal(importer.Steps, contractSteps) {
		t.Errorf("steps %v, want the contract's %v", importer.Steps, contractSteps)
	}
	st := importer.NewStatus("id", "f.xlsx", time.Now())
	if len(st.Steps) != len(importer.Sheets) {
		t.Errorf("a new import has %d steps for %d sheets", len(st.Steps), len(importer.Sheets))
	}
	seen := map[importer.StepKey]int{}
	for i, sh := range importer.Sheets {
		if prev, ok := seen[sh.Step]; ok {
			t.Errorf("sheets %q and %q are both step %q", importer.Sheets[prev].Name, sh.Name, sh.Step)
		}
		seen[sh.Step] = i
		if st.Steps[i].Key != sh.Step {
			t.Errorf("step %d of an import is %q, its sheet %q says %q", i, st.Steps[i].Key, sh.Name, sh.Step)
		}
		if importer.SheetFor(sh.Step) != sh {
			t.Errorf("SheetFor(%q) is not sheet %q", sh.Step, sh.Name)
		}
	}
	for _, key := range contractSteps {
		if _, ok := seen[key]; !ok {
			t.Errorf("step %q has no sheet", key)
		}
	}
}

// TestTheSheetsDescribeThemselvesCompletely checks what every part of
// Roster relies on in the description: names, keys, unique fields and
// references that exist, references only to earlier sheets (the steps run
// in that order), and an example for every column's note.
func TestTheSheetsDescribeThemselvesCompletely(t *testing.T) {
	names := map[string]bool{}
	tables := map[string]bool{}
	for i, sh := range importer.Sheets {
		if sh.Name == "" || sh.StepName == "" || sh.Table == "" {
			t.Errorf("sheet %d (%q) lacks a name, step name or table", i, sh.Name)
		}
		if n := importer.Normalize(sh.Name); names[n] || n == importer.Normalize(importer.ProblemsName) {
			t.Errorf("sheet name %q is taken", sh.Name)
		}
		names[importer.Normalize(sh.Name)] = true
		if tables[sh.Table] {
			t.Errorf("table %q is filled by two sheets", sh.Table)
		}
		tables[sh.Table] = true
		fields := map[string]importer.Column{}
		headers := map[string]bool{}
		for _, c := range sh.Columns {
			if _, dup := fields[c.Field]; dup || headers[importer.Normalize(c.Header)] {
				t.Errorf("sheet %q has column %q (%s) twice", sh.Name, c.Header, c.Field)
			}
			fields[c.Field], headers[importer.Normalize(c.Header)] = c, true
			if c.Example == "" {
				t.Errorf("sheet %q column %q has no example", sh.Name, c.Header)
			}
			if c.Kind == importer.KindWhole && c.Min >= c.Max {
				t.Errorf("sheet %q column %q: whole numbers from %d to %d", sh.Name, c.Header, c.Min, c.Max)
			}
		}
		if len(sh.Key) == 0 {
			t.Errorf("sheet %q has no key", sh.Name)
		}
		for _, f := range append(slices.Clone(sh.Key), sh.Unique...) {
			if c, ok := fields[f]; !ok || !c.Required {
				t.Errorf("sheet %q: key or unique field %q is not a required column", sh.Name, f)
			}
		}
		if len(sh.Unique) > 0 && len(sh.Key) != 1 {
			t.Errorf("sheet %q: unique values are checked against a key of one field", sh.Name)
		}
		for _, ref := range sh.Refs {
			if _, ok := fields[ref.Field]; !ok {
				t.Errorf("sheet %q refers from %q, which it does not have", sh.Name, ref.Field)
			}
			to := slices.IndexFunc(importer.Sheets, func(o *importer.Sheet) bool { return o.Step == ref.To })
			if to < 0 || to >= i {
				t.Errorf("sheet %q refers to step %q, which is not before it", sh.Name, ref.To)
			} else if len(importer.Sheets[to].Key) != 1 {
				t.Errorf("sheet %q refers to %q, whose key is not one field", sh.Name, importer.Sheets[to].Name)
			}
		}
	}
}
