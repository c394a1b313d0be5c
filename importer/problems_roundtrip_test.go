package importer_test

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"roster/importer"
	"roster/importer/store"
	"roster/importer/workbooks"
)

func TestProblemsColumnAndRepeatedHeaders(t *testing.T) {
	areas := func(rows ...[]any) func() book {
		return func() book {
			return book{{name: "Areas", rows: append([][]any{{"Code", "Name", "Problems"}}, rows...)}}
		}
	}
	runCases(t, openSQLite, []ruleCase{
		{
			name: "a row emptied but for its Problems note is a blank row",
			book: areas(
				[]any{"N", "North", ""},
				[]any{nil, nil, "Name is required"},
			),
			check: func(t *testing.T, d *testDB, res importer.Result) {
				d.wantRows(t, selectAll("areas"), "N|North")
			},
		},
		{
			name: "a known column that appears twice is a problem naming both columns",
			book: func() book {
				return book{{name: "Areas", rows: [][]any{{"Code", "Name", "name"}, {"N", "North", "Nord"}}}}
			},
			problems: []problem{{"Areas", 1, "Name", "name", "appears twice (columns B and C)"}},
		},
	})
}

// TestAnErrorCellStaysAProblemThroughTheProblemsWorkbook uploads a cell
// showing #N/A in an optional column, then uploads the problems workbook
// unchanged: the cell must still be a problem, not the text "#N/A".
func TestAnErrorCellStaysAProblemThroughTheProblemsWorkbook(t *testing.T) {
	d := openSQLite(t)
	importOK(t, d, base())
	b := base()
	b.sheet("Employees").set("D2", raw{`t="e"`, `<f>VLOOKUP(1,A:A,9,FALSE)</f><v>#N/A</v>`})
	path := b.write(t)
	res := importPath(t, t.Context(), d, path, nil)
	if res.Status.State != importer.Failed || len(res.Problems) != 1 {
		t.Fatalf("first upload: %s with problems\n%s", res.Status.State, listProblems(res.Problems))
	}
	again := writeFile(t, "problems.xlsx", func(w io.Writer) error {
		return workbooks.WriteProblems(w, path, res.Problems)
	})
	res2 := importPath(t, t.Context(), d, again, nil)
	if res2.Status.State != importer.Failed || len(res2.Problems) != 1 || res2.Problems[0].Column != "Phone" || res2.Problems[0].Row != 2 {
		t.Errorf("the problems workbook uploaded unchanged: %s with problems\n%s", res2.Status.State, listProblems(res2.Problems))
	}
}

// TestAFailedImportLeavesTheDatabaseFileByteForByte compares the SQLite
// file itself, not only its rows: a failed import (a bad cell in the last
// sheet, after every other sheet was staged and merged) leaves not one
// byte of it changed.
func TestAFailedImportLeavesTheDatabaseFileByteForByte(t *testing.T) {
	path := filepath.Join(t.TempDir(), "t.db")
	open := func() *store.Store {
		st, err := store.Open(t.Context(), path)
		noErr(t, err)
		return st
	}
	st := open()
	res, err := importer.Import(t.Context(), st, base().write(t), importer.NewStatus("a", "a.xlsx", time.Now()), nil)
	if err != nil || res.Status.State != importer.Succeeded {
		t.Fatalf("seed import: %v %s", err, res.Status.State)
	}
	noErr(t, st.Close()) // checkpoints the WAL into the file
	before, err := os.ReadFile(path)
	noErr(t, err)

	b := changed()
	b.sheet("Car Assignments").set("C2", 150) // seats out of range
	st = open()
	res, err = importer.Import(t.Context(), st, b.write(t), importer.NewStatus("b", "b.xlsx", time.Now()), nil)
	if err != nil || res.Status.State != importer.Failed {
		t.Fatalf("bad import: %v %s", err, res.Status.State)
	}
	noErr(t, st.Close())
	after, err := os.ReadFile(path)
	noErr(t, err)
	if !bytes.Equal(before, after) {
		t.Errorf("the database file changed (%d bytes before, %d after)", len(before), len(after))
	}
}

// TestAnErrorCellIsNeverAFormulaOfTheFilesChoosing gives a cell of error
// type a value that is not an Excel error: the problems workbook writes it
// as text, not as the formula it would make.
func TestAnErrorCellIsNeverAFormulaOfTheFilesChoosing(t *testing.T) {
	b := base()
	b.sheet("Employees").set("D2", raw{`t="e"`, `<v>HYPERLINK("http://evil.example","click")</v>`})
	path := b.write(t)
	d := openSQLite(t)
	res := importPath(t, t.Context(), d, path, nil)
	if res.Status.State != importer.Failed {
		t.Fatalf("import %s, want failed on the error cell", res.Status.State)
	}
	out := writeFile(t, "problems.xlsx", func(w io.Writer) error {
		return workbooks.WriteProblems(w, path, res.Problems)
	})
	f, err := excelize.OpenFile(out)
	noErr(t, err)
	defer f.Close()
	for _, sheet := range f.GetSheetList() {
		rows, err := f.GetRows(sheet)
		noErr(t, err)
		for r, row := range rows {
			for c := range row {
				ref, _ := excelize.CoordinatesToCellName(c+1, r+1)
				if formula, _ := f.GetCellFormula(sheet, ref); formula != "" {
					t.Errorf("%s!%s has the formula %s", sheet, ref, formula)
				}
			}
		}
	}
}

// writeFile writes a workbook with write into a temporary file.
func writeFile(t *testing.T, name string, write func(io.Writer) error) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	f, err := os.Create(path)
	noErr(t, err)
	if err := write(f); err != nil {
		f.Close()
		t.Fatalf("write %s: %v", name, err)
	}
	noErr(t, f.Close())
	return path
}
