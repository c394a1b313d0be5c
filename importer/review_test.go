package importer_test

// Reviews, removal and undo (contract section 8) through the pipeline,
// with real workbooks and real databases. The queue's part (confirm, the
// order of undos, restarts) is tested in importer/queue.

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"roster/importer"
	"roster/importer/workbooks"
)

func TestReviewRemovalUndoSQLite(t *testing.T) { testReviewRemovalUndo(t, openSQLite) }

func TestReviewRemovalUndoPostgres(t *testing.T) { testReviewRemovalUndo(t, openPostgres) }

func testReviewRemovalUndo(t *testing.T, open opener) {
	t.Run("review writes nothing and counts", func(t *testing.T) { testReviewWritesNothing(t, open) })
	t.Run("remove missing rows", func(t *testing.T) { testRemoveMissing(t, open) })
	t.Run("removal with a dangling reference", func(t *testing.T) { testRemovalDangling(t, open) })
	t.Run("undo create-only", func(t *testing.T) { testUndoCreateOnly(t, open) })
	t.Run("undo update-only", func(t *testing.T) { testUndoUpdateOnly(t, open) })
	t.Run("undo removal", func(t *testing.T) { testUndoRemoval(t, open) })
	t.Run("undo of an undo", func(t *testing.T) { testUndoOfUndo(t, open) })
	t.Run("created rows stay listed", func(t *testing.T) { testCreatedRowsStayListed(t, open) })
	t.Run("records of an earlier release", func(t *testing.T) { testRecordsOfAnEarlierRelease(t, open) })
	t.Run("undo refused when the data changed", func(t *testing.T) { testUndoDrifted(t, open) })
	t.Run("undo cancelled while it writes", func(t *testing.T) { testUndoCancelled(t, open) })
	t.Run("confirm fails when the changes differ", func(t *testing.T) { testConfirmCompares(t, open) })
	t.Run("changes workbook", func(t *testing.T) { testChangesWorkbook(t, open) })
}

// run imports b with the given options and returns the result.
func run(t *testing.T, d *testDB, b book, req importer.Request) importer.Result {
	t.Helper()
	path := b.write(t)
	req.FileName = filepath.Base(path)
	res, err := importer.Import(t.Context(), d.st, path, req.Status(rand.Text(), time.Now()), nil)
	if err != nil && res.Status.State != importer.Failed {
		t.Fatalf("Import: %v (status %q: %s)", err, res.Status.State, res.Status.Error)
	}
	return res
}

func undo(t *testing.T, d *testDB, target string) importer.Result {
	t.Helper()
	st := importer.Request{FileName: "undo", Undoes: target, By: "ann"}.Status(rand.Text(), time.Now())
	res, err := importer.Undo(t.Context(), d.st, st, nil)
	if err != nil && res.Status.State != importer.Failed {
		t.Fatalf("Undo: %v (status %q: %s)", err, res.Status.State, res.Status.Error)
	}
	return res
}

func wantState(t *testing.T, res importer.Result, want importer.State) {
	t.Helper()
	if res.Status.State != want {
		t.Fatalf("state %s (%s), want %s; problems:\n%s", res.Status.State, res.Status.Error, want, listProblems(res.Problems))
	}
}

// export is every sheet of the export workbook, cell by cell, as text.
func export(t *testing.T, d *testDB) string {
	t.Helper()
	var buf bytes.Buffer
	noErr(t, workbooks.WriteExport(t.Context(), d.st, &buf))
	return workbookText(t, buf.Bytes())
}

// workbookText is every sheet of a workbook, row by row, values joined by
// "|".
func workbookText(t *testing.T, body []byte) string {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(body))
	noErr(t, err)
	defer f.Close()
	var b strings.Builder
	for _, name := range f.GetSheetList() {
		rows, err := f.GetRows(name)
		noErr(t, err)
		fmt.Fprintf(&b, "%s:\n", name)
		for _, r := range rows {
			fmt.Fprintf(&b, "  %s\n", strings.Join(r, "|"))
		}
	}
	return b.String()
}

// updatedBase is an updated copy of base: E1's name and phone, D2's area,
// and a new employee.
func updatedBase() book {
	b := base()
	b.sheet("Employees").set("B2", "Ann Lee-Smith")
	b.sheet("Employees").set("D2", nil)
	b.sheet("Employees").add("E4", "Di Fox", "di@example.com", nil, "D1", "MGR", nil, nil)
	b.sheet("Departments").set("C3", "N")
	return b
}

func stepCounts(st importer.Status) string {
	var parts []string
	for _, s := range st.Steps {
		parts = append(parts, fmt.Sprintf("%s %s c%d u%d n%d r%d", s.Key, s.State, s.Created, s.Updated, s.Unchanged, s.Removed))
	}
	return strings.Join(parts, "\n")
}

func wantCounts(t *testing.T, st importer.Status, want string) {
	t.Helper()
	if got := stepCounts(st); got != strings.TrimSpace(want) {
		t.Errorf("steps:\n%s\nwant:\n%s", got, strings.TrimSpace(want))
	}
}

func testReviewWritesNothing(t *testing.T, open opener) {
	d := open(t)
	importOK(t, d, base())
	before := d.dump(t)
	res := run(t, d, updatedBase(), importer.Request{Review: true})
	wantState(t, res, importer.Reviewed)
	if after := d.dump(t); after != before {
		t.Errorf("a review wrote to the company tables:\n%s", after)
	}
	wantCounts(t, res.Status, `
areas done c0 u0 n2 r0
departments done c0 u1 n1 r0
designations done c0 u0 n2 r0
employees done c1 u1 n2 r0
schedules done c0 u0 n3 r0
drivers done c0 u0 n2 r0
car-assignments done c0 u0 n2 r0`)
	saved, err := d.st.Status(t.Context(), res.Status.ID)
	noErr(t, err)
	if saved.State != importer.Reviewed || !saved.Review {
		t.Errorf("saved review: state %s, review %v", saved.State, saved.Review)
	}
	changes, err := d.st.Changes(t.Context(), res.Status.ID, 0)
	noErr(t, err)
	got := fmt.Sprint(changes)
	for _, want := range []string{
		"{departments updated [D2] [{Area Code S N}]}",
		"{employees created [E4] []}",
		"{employees updated [E1] [{Full Name Ann Lee Ann Lee-Smith} {Phone 555-0101 }]}",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("changes %s\nlack %s", got, want)
		}
	}
	if len(changes) != 3 {
		t.Errorf("%d changes, want 3: %v", len(changes), changes)
	}
}

func testRemoveMissing(t *testing.T, open opener) {
	d := open(t)
	importOK(t, d, base())
	b := base().only("Car Assignments", "Drivers", "Schedules")
	b.sheet("Car Assignments").rows = b.sheet("Car Assignments").rows[:2] // P-2 goes
	b.sheet("Schedules").rows = b.sheet("Schedules").rows[:3]             // E2's second shift goes
	res := run(t, d, b, importer.Request{RemoveMissing: true})
	wantState(t, res, importer.Succeeded)
	wantCounts(t, res.Status, `
areas skipped c0 u0 n0 r0
departments skipped c0 u0 n0 r0
designations skipped c0 u0 n0 r0
employees skipped c0 u0 n0 r0
schedules done c0 u0 n2 r1
drivers done c0 u0 n2 r0
car-assignments done c0 u0 n1 r1`)
	d.wantRows(t, "SELECT plate_no FROM car_assignments", "P-1")
	d.wantRows(t, "SELECT employee_id, date FROM schedules", "E1|2024-03-01", "E2|2024-03-01")
	// Missing sheets removed nothing.
	d.wantRows(t, "SELECT code FROM areas", "N", "S")
}

func testRemovalDangling(t *testing.T, open opener) {
	d := open(t)
	importOK(t, d, base())
	before := d.dump(t)

	// A staying row of the workbook refers to a removed key: E3 stays
	// in the Drivers sheet, but the Employees sheet lacks E3.
	b := base().only("Employees", "Drivers", "Schedules", "Car Assignments")
	b.sheet("Employees").rows = b.sheet("Employees").rows[:3]
	res := run(t, d, b, importer.Request{RemoveMissing: true})
	wantState(t, res, importer.Failed)
	wantProblems(t, res.Problems,
		problem{"Drivers", 3, "Employee ID", "E3", `Employee ID "E3" is not in the Employees sheet, so this upload removes it`})

	// A row only in the database would dangle: the Departments sheet
	// lacks D2, which E2 and E3 (the Employees sheet is not uploaded)
	// still name.
	b = base().only("Departments")
	b.sheet("Departments").rows = b.sheet("Departments").rows[:2]
	res = run(t, d, b, importer.Request{RemoveMissing: true})
	wantState(t, res, importer.Failed)
	wantProblems(t, res.Problems,
		problem{"Departments", 0, "Code", "D2", `Employees Employee ID "E2" (and 1 more) in Roster still refers to it`})
	if after := d.dump(t); after != before {
		t.Errorf("a failed removal wrote:\n%s", after)
	}

	// Without removal, the same sheet is fine and removes nothing.
	wantState(t, run(t, d, b, importer.Request{}), importer.Succeeded)
	if after := d.dump(t); after != before {
		t.Errorf("an import without removal removed:\n%s", after)
	}
}

func testUndoCreateOnly(t *testing.T, open opener) {
	d := open(t)
	before, res := importOverReferenceData(t, d)
	u := undoToBefore(t, d, res.Status.ID, before)
	wantCounts(t, u.Status, `
areas skipped c0 u0 n0 r0
departments done c0 u0 n0 r2
designations skipped c0 u0 n0 r0
employees done c0 u0 n0 r3
schedules done c0 u0 n0 r3
drivers done c0 u0 n0 r2
car-assignments done c0 u0 n0 r2`)
	target, err := d.st.Status(t.Context(), res.Status.ID)
	noErr(t, err)
	if target.UndoneIn != u.Status.ID || target.UndoneBy != "ann" {
		t.Errorf("the undone import says undone in %q by %q, want %q by ann", target.UndoneIn, target.UndoneBy, u.Status.ID)
	}
}

func testUndoUpdateOnly(t *testing.T, open opener) {
	d := open(t)
	importOK(t, d, base())
	before := export(t, d)
	b := base()
	b.sheet("Employees").set("B2", "Ann Lee-Smith")
	// Two employees swap emails: the undo swaps them back.
	b.sheet("Employees").set("C3", "cy@example.com")
	b.sheet("Employees").set("C4", "bob@example.com")
	b.sheet("Car Assignments").set("C2", 7)
	res := importOK(t, d, b)
	if d.dump(t) == before {
		t.Fatal("the update changed nothing")
	}
	u := undoToBefore(t, d, res.Status.ID, before)
	if s := u.Status.Step(importer.StepEmployees); s.Updated != 3 || s.Created+s.Removed != 0 {
		t.Errorf("employees step of the undo: %+v", s)
	}
}

func testUndoRemoval(t *testing.T, open opener) {
	d := open(t)
	importOK(t, d, base())
	before := export(t, d)
	res := removeE3(t, d)
	d.wantRows(t, "SELECT employee_id FROM employees", "E1", "E2")
	u := undoToBefore(t, d, res.Status.ID, before)
	if s := u.Status.Step(importer.StepEmployees); s.Created != 1 {
		t.Errorf("employees step of the undo: %+v", s)
	}
}

func testUndoOfUndo(t *testing.T, open opener) {
	d := open(t)
	importOK(t, d, base())
	res := importOK(t, d, updatedBase())
	afterImport := export(t, d)
	u := undo(t, d, res.Status.ID)
	wantState(t, u, importer.Succeeded)
	uu := undo(t, d, u.Status.ID)
	wantState(t, uu, importer.Succeeded)
	if got := export(t, d); got != afterImport {
		t.Errorf("after undoing the undo:\n%s\nwant as after the import:\n%s", got, afterImport)
	}
}

// removeE3 imports the base workbook without E3 (the employee, the driver
// and the car assignment), removing the missing rows.
func removeE3(t *testing.T, d *testDB) importer.Result {
	t.Helper()
	b := base()
	b.sheet("Employees").rows = b.sheet("Employees").rows[:3]
	b.sheet("Drivers").rows = b.sheet("Drivers").rows[:2]
	b.sheet("Car Assignments").rows = b.sheet("Car Assignments").rows[:2]
	res := run(t, d, b, importer.Request{RemoveMissing: true})
	wantState(t, res, importer.Succeeded)
	return res
}

// importOverReferenceData imports the areas and designations, then the
// whole base workbook, which creates every other row: it returns the
// export before the second import, and that import.
func importOverReferenceData(t *testing.T, d *testDB) (before string, res importer.Result) {
	t.Helper()
	importOK(t, d, base().only("Areas", "Designations"))
	before = export(t, d)
	return before, importOK(t, d, base())
}

// undoToBefore undoes an import, and wants it to succeed and leave the
// company tables as before (an export).
func undoToBefore(t *testing.T, d *testDB, id, before string) importer.Result {
	t.Helper()
	u := undo(t, d, id)
	wantState(t, u, importer.Succeeded)
	if after := export(t, d); after != before {
		t.Errorf("after the undo:\n%s\nwant as before:\n%s", after, before)
	}
	return u
}

// createdIn is the keys an import's change list says it created in a
// step, in order.
func createdIn(t *testing.T, d *testDB, id string, step importer.StepKey) string {
	t.Helper()
	changes, err := d.st.Changes(t.Context(), id, 0)
	noErr(t, err)
	var keys []string
	for _, c := range changes {
		if c.Step == step && c.Kind == importer.ChangeCreated {
			keys = append(keys, strings.Join(c.Key, "/"))
		}
	}
	return strings.Join(keys, " ")
}

// An import's change list keeps the rows it created whatever happens to
// them later, and its undo finds them all: here E3 is removed by a later
// import, brought back by that import's undo, and removed with the rest
// by the first import's undo.
func testCreatedRowsStayListed(t *testing.T, open opener) {
	d := open(t)
	before, a := importOverReferenceData(t, d)
	if got := createdIn(t, d, a.Status.ID, importer.StepEmployees); got != "E1 E2 E3" {
		t.Errorf("the import created %q, want E1 E2 E3", got)
	}
	if got := createdIn(t, d, a.Status.ID, importer.StepSchedules); got != "E1/2024-03-01/09:00 E2/2024-03-01/22:00 E2/2024-03-02/22:00" {
		t.Errorf("the import created schedules %q", got)
	}

	removal := removeE3(t, d)
	if got := createdIn(t, d, a.Status.ID, importer.StepEmployees); got != "E1 E2 E3" {
		t.Errorf("after E3 was removed, the import created %q, want E1 E2 E3", got)
	}

	back := undo(t, d, removal.Status.ID)
	wantState(t, back, importer.Succeeded)
	if got := createdIn(t, d, back.Status.ID, importer.StepEmployees); got != "E3" {
		t.Errorf("the undo of the removal created %q, want E3", got)
	}
	if got := createdIn(t, d, a.Status.ID, importer.StepEmployees); got != "E1 E2 E3" {
		t.Errorf("after E3 came back, the import created %q, want E1 E2 E3 once each", got)
	}

	u := undo(t, d, a.Status.ID)
	wantState(t, u, importer.Succeeded)
	if s := u.Status.Step(importer.StepEmployees); s.Removed != 3 {
		t.Errorf("employees step of the undo: %+v, want 3 removed", s)
	}
	if after := export(t, d); after != before {
		t.Errorf("after the undo:\n%s\nwant as before:\n%s", after, before)
	}
	if got := createdIn(t, d, a.Status.ID, importer.StepEmployees); got != "E1 E2 E3" {
		t.Errorf("once undone, the import created %q, want E1 E2 E3", got)
	}
}

// An import saved before migration 006 recorded every row it created by
// key and marked none: its change list and its undo still work.
func testRecordsOfAnEarlierRelease(t *testing.T, open opener) {
	d := open(t)
	before, a := importOverReferenceData(t, d)
	for i, sh := range importer.Sheets {
		keys := []string{"''", "''", "''"}
		copy(keys, sh.Key)
		_, err := d.db.ExecContext(t.Context(), fmt.Sprintf(`INSERT INTO import_changes (change_set, step_no, kind, key_1, key_2, key_3)
			SELECT created_in, %d, 'created', %s FROM %s WHERE created_in IS NOT NULL`, i, strings.Join(keys, ", "), sh.Table))
		noErr(t, err)
		_, err = d.db.ExecContext(t.Context(), "UPDATE "+sh.Table+" SET created_in = NULL")
		noErr(t, err)
	}
	if got := createdIn(t, d, a.Status.ID, importer.StepEmployees); got != "E1 E2 E3" {
		t.Errorf("the import created %q, want E1 E2 E3", got)
	}
	undoToBefore(t, d, a.Status.ID, before)
}

func testUndoDrifted(t *testing.T, open opener) {
	d := open(t)
	importOK(t, d, base())
	res := importOK(t, d, updatedBase())
	// E1, which the import updated, was changed since by a later import
	// that was not undone first (the queue would refuse this undo; the
	// check beneath it holds all the same).
	b := updatedBase()
	b.sheet("Employees").set("B2", "Ann Smith")
	importOK(t, d, b)
	before := d.dump(t)
	u := undo(t, d, res.Status.ID)
	wantState(t, u, importer.Failed)
	if !strings.Contains(u.Status.Error, `Employee ID "E1" of the Employees sheet is no longer as that import left it`) {
		t.Errorf("error %q", u.Status.Error)
	}
	if after := d.dump(t); after != before {
		t.Errorf("a refused undo wrote:\n%s", after)
	}
}

func testConfirmCompares(t *testing.T, open opener) {
	d := open(t)
	importOK(t, d, base())
	review := run(t, d, updatedBase(), importer.Request{Review: true})
	wantState(t, review, importer.Reviewed)
	// The data changes between the review and its confirm.
	b := base()
	b.sheet("Designations").set("B2", "Head")
	importOK(t, d, b)
	before := d.dump(t)
	res := run(t, d, updatedBase(), importer.Request{Confirms: review.Status.ID})
	wantState(t, res, importer.Failed)
	if !strings.Contains(res.Status.Error, "changed since this upload was reviewed") {
		t.Errorf("error %q", res.Status.Error)
	}
	if after := d.dump(t); after != before {
		t.Errorf("a refused confirm wrote:\n%s", after)
	}
	// A new review of the same workbook, confirmed at once, saves.
	review = run(t, d, updatedBase(), importer.Request{Review: true})
	wantState(t, review, importer.Reviewed)
	res = run(t, d, updatedBase(), importer.Request{Confirms: review.Status.ID})
	wantState(t, res, importer.Succeeded)
	if stepCounts(res.Status) != stepCounts(review.Status) {
		t.Errorf("the confirm counted:\n%s\nthe review:\n%s", stepCounts(res.Status), stepCounts(review.Status))
	}
}

func testChangesWorkbook(t *testing.T, open opener) {
	d := open(t)
	importOK(t, d, base())
	b := base()
	b.sheet("Areas").set("B2", "=1+2")
	b.sheet("Areas").add("@X", "+44 north")
	b.sheet("Areas").add("-Y", "West")
	res := run(t, d, b, importer.Request{Review: true})
	wantState(t, res, importer.Reviewed)
	var buf bytes.Buffer
	noErr(t, workbooks.WriteChanges(context.Background(), d.st, res.Status.ID, &buf))
	want := `Areas:
  Change|Code|Name (old)|Name (new)
  created|-Y
  created|@X
  updated|N|North|=1+2
`
	if got := workbookText(t, buf.Bytes()); got != want {
		t.Errorf("changes.xlsx:\n%s\nwant:\n%s", got, want)
	}
	f, err := excelize.OpenReader(bytes.NewReader(buf.Bytes()))
	noErr(t, err)
	defer f.Close()
	for _, cell := range []string{"B2", "B3", "D4"} {
		if formula, _ := f.GetCellFormula("Areas", cell); formula != "" {
			t.Errorf("cell %s is a formula: %q", cell, formula)
		}
	}
}

func testUndoCancelled(t *testing.T, open opener) {
	d := open(t)
	importOK(t, d, base())
	res := importOK(t, d, updatedBase())
	before := d.dump(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	st := importer.Request{FileName: "undo", Undoes: res.Status.ID}.Status(rand.Text(), time.Now())
	// Cancelled as the first step starts writing, as a user's cancel may.
	u, _ := importer.Undo(ctx, d.st, st, func(s importer.Status) {
		for _, step := range s.Steps {
			if step.Phase == importer.PhaseSaving {
				cancel()
			}
		}
	})
	if u.Status.State != importer.Cancelled {
		t.Fatalf("state %s (%s), want cancelled", u.Status.State, u.Status.Error)
	}
	if after := d.dump(t); after != before {
		t.Errorf("a cancelled undo wrote:\n%s", after)
	}
	target, err := d.st.Status(t.Context(), res.Status.ID)
	noErr(t, err)
	if target.UndoneIn != "" {
		t.Errorf("the import says it was undone in %s", target.UndoneIn)
	}
	// It can be undone all the same.
	wantState(t, undo(t, d, res.Status.ID), importer.Succeeded)
}
