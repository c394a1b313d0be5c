package workbooks_test

import (
	"archive/zip"
	"context"
	"crypto/rand"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"roster/importer"
	"roster/importer/store"
	"roster/importer/workbooks"
	"roster/importer/xlsx"
)

// openStore opens a fresh SQLite database in a temporary directory.
func openStore(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "t.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// writeFile writes a workbook with write into a temporary file.
func writeFile(t *testing.T, name string, write func(io.Writer) error) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := write(f); err != nil {
		f.Close()
		t.Fatalf("write %s: %v", name, err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func runImport(t *testing.T, st *store.Store, path string) importer.Result {
	t.Helper()
	res, err := importer.Import(context.Background(), st, path, importer.NewStatus(rand.Text(), "f.xlsx", time.Now()), nil)
	if err != nil {
		t.Fatalf("import %s: %v (%s)", filepath.Base(path), err, res.Status.Error)
	}
	return res
}

func mustSucceed(t *testing.T, res importer.Result) {
	t.Helper()
	if res.Status.State != importer.Succeeded {
		for i, p := range res.Problems {
			if i == 10 {
				break
			}
			t.Logf("problem: %+v", p)
		}
		t.Fatalf("import %s with %d problems (%s), want succeeded", res.Status.State, res.Status.Problems, res.Status.Error)
	}
}

func openXLSX(t *testing.T, path string) *excelize.File {
	t.Helper()
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func sheetNames() []string {
	var names []string
	for _, sh := range importer.Sheets {
		names = append(names, sh.Name)
	}
	return names
}

// readMeExample finds a sheet's header row in the rows of Read me, and
// the example row under it: -1 and nil when they are not there.
func readMeExample(rows [][]string, sh *importer.Sheet) (int, []string) {
	for i, r := range rows {
		if len(r) != len(sh.Columns) {
			continue
		}
		match := true
		for j, col := range sh.Columns {
			match = match && importer.Normalize(r[j]) == importer.Normalize(col.Header)
		}
		if !match {
			continue
		}
		if i+1 < len(rows) && len(rows[i+1]) >= len(sh.Columns)-1 && rows[i+1][0] != "" {
			return i, rows[i+1]
		}
		return i, nil
	}
	return -1, nil
}

func TestTemplate(t *testing.T) {
	path := writeFile(t, "template.xlsx", workbooks.WriteTemplate)
	f := openXLSX(t, path)

	t.Run("it has Read me, then the seven sheets in step order, and no Sheet1", func(t *testing.T) {
		if got, want := f.GetSheetList(), append([]string{"Read me"}, sheetNames()...); !slices.Equal(got, want) {
			t.Errorf("sheets %q, want %q", got, want)
		}
	})

	t.Run("its Read me says how to fill it in, with an example row of each sheet", func(t *testing.T) {
		rows, err := f.GetRows("Read me")
		must(t, err)
		text := ""
		for _, r := range rows {
			text += strings.Join(r, " ") + "\n"
		}
		for _, says := range []string{"required", "2024-03-31", "22:00", "leading zeros", "nothing is saved", "ignores this sheet"} {
			if !strings.Contains(text, says) {
				t.Errorf("Read me does not say %q:\n%s", says, text)
			}
		}
		for _, sh := range importer.Sheets {
			head, example := readMeExample(rows, sh)
			if head < 0 {
				t.Errorf("Read me has no header row of %s:\n%s", sh.Name, text)
				continue
			}
			if example == nil {
				t.Errorf("Read me has no example row under the header of %s", sh.Name)
			}
		}
	})

	t.Run("filled with its examples, it imports one row in each sheet, without a warning", func(t *testing.T) {
		rows, err := f.GetRows("Read me")
		must(t, err)
		filled := openXLSX(t, path)
		for _, sh := range importer.Sheets {
			_, example := readMeExample(rows, sh)
			cells := make([]any, len(example))
			for i, v := range example {
				cells[i] = v
			}
			must(t, filled.SetSheetRow(sh.Name, "A2", &cells))
		}
		out := filepath.Join(t.TempDir(), "filled.xlsx")
		must(t, filled.SaveAs(out))
		res := runImport(t, openStore(t), out)
		mustSucceed(t, res)
		for _, s := range res.Status.Steps {
			if s.Created != 1 {
				t.Errorf("step %s created %d rows, want 1", s.Key, s.Created)
			}
		}
		if res.Status.WarningCount > 0 {
			t.Errorf("warnings %q", res.Status.Warnings)
		}
	})

	t.Run("its header rows mark required columns with a star and have a note each", func(t *testing.T) {
		for _, sh := range importer.Sheets {
			rows, err := f.GetRows(sh.Name)
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) != 1 {
				t.Fatalf("sheet %s has %d rows, want the header only", sh.Name, len(rows))
			}
			for i, col := range sh.Columns {
				want := col.Header
				if col.Required {
					want += " *"
				}
				if rows[0][i] != want {
					t.Errorf("sheet %s column %d is %q, want %q", sh.Name, i+1, rows[0][i], want)
				}
			}
			comments, err := f.GetComments(sh.Name)
			if err != nil {
				t.Fatal(err)
			}
			if len(comments) != len(sh.Columns) {
				t.Errorf("sheet %s has %d notes, want %d", sh.Name, len(comments), len(sh.Columns))
			}
			for _, c := range comments {
				text := c.Text
				for _, r := range c.Paragraph {
					text += r.Text
				}
				if !strings.Contains(text, "Required.") && !strings.Contains(text, "Optional.") {
					t.Errorf("note on %s!%s says %q", sh.Name, c.Cell, text)
				}
			}
		}
		comments, _ := f.GetComments("Schedules")
		for _, c := range comments {
			text := c.Text
			for _, r := range c.Paragraph {
				text += r.Text
			}
			if c.Cell == "A1" && !strings.Contains(text, "Must match an Employee ID of the Employees sheet or one already in Roster.") {
				t.Errorf("note on Schedules!A1 says %q", text)
			}
		}
	})

	t.Run("its columns are formatted as text, date or time by kind", func(t *testing.T) {
		want := map[importer.Kind]string{
			importer.KindCode: "@", importer.KindText: "@", importer.KindEmail: "@",
			importer.KindDate: "yyyy-mm-dd", importer.KindTime: "hh:mm",
		}
		for _, sh := range importer.Sheets {
			for i, col := range sh.Columns {
				w, ok := want[col.Kind]
				if !ok {
					continue
				}
				id, err := f.GetColStyle(sh.Name, xlsx.ColumnName(i))
				if err != nil {
					t.Fatal(err)
				}
				s, err := f.GetStyle(id)
				if err != nil {
					t.Fatal(err)
				}
				got := ""
				if s.CustomNumFmt != nil {
					got = *s.CustomNumFmt
				} else if s.NumFmt == 49 {
					got = "@"
				}
				if got != w {
					t.Errorf("%s column %q has format %q (numFmt %d), want %q", sh.Name, col.Header, got, s.NumFmt, w)
				}
			}
		}
	})

	t.Run("its header row is frozen", func(t *testing.T) {
		for _, sh := range importer.Sheets {
			p, err := f.GetPanes(sh.Name)
			if err != nil {
				t.Fatal(err)
			}
			if !p.Freeze || p.YSplit != 1 {
				t.Errorf("sheet %s panes %+v, want the first row frozen", sh.Name, p)
			}
		}
	})

	t.Run("it imports with every step done and no rows", func(t *testing.T) {
		res := runImport(t, openStore(t), path)
		mustSucceed(t, res)
		for _, s := range res.Status.Steps {
			if s.State != importer.StepDone || s.Rows != 0 {
				t.Errorf("step %s is %s with %d rows, want done with 0", s.Key, s.State, s.Rows)
			}
		}
		if len(res.Status.Warnings) > 0 {
			t.Errorf("warnings %q", res.Status.Warnings)
		}
	})
}

// buildUpload writes a workbook made in the test with excelize.
func buildUpload(t *testing.T, build func(f *excelize.File)) string {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	build(f)
	path := filepath.Join(t.TempDir(), "upload.xlsx")
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
	return path
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// sheetXMLs returns the XML of every worksheet of a workbook.
func sheetXMLs(t *testing.T, path string) map[string]string {
	t.Helper()
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	out := map[string]string{}
	for _, f := range zr.File {
		if !strings.HasPrefix(f.Name, "xl/worksheets/sheet") {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		out[f.Name] = string(b)
	}
	return out
}

// cellsOf reads every cell of a sheet with Roster's own reader, by
// reference, leaving out a column headed Problems.
func cellsOf(t *testing.T, path, sheet string) map[string]xlsx.Cell {
	t.Helper()
	wb, err := xlsx.Open(path, xlsx.DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	defer wb.Close()
	rows, err := wb.Rows(sheet)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]xlsx.Cell{}
	skip := -1
	for rows.Next() {
		row := rows.Row()
		for _, c := range row.Cells {
			if row.Number == 1 && importer.Normalize(c.Value) == "problems" {
				skip = c.Col
			}
			if c.Col != skip {
				out[c.Ref(row.Number)] = c
			}
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestProblemsWorkbookOfAHandMadeUpload(t *testing.T) {
	upload := buildUpload(t, func(f *excelize.File) {
		must(t, f.SetSheetName("Sheet1", "Areas"))
		must(t, f.SetSheetRow("Areas", "A1", &[]any{"Code", "Name"}))
		padded, err := f.NewStyle(&excelize.Style{CustomNumFmt: ptr("000")})
		must(t, err)
		must(t, f.SetCellValue("Areas", "A2", 7))
		must(t, f.SetCellStyle("Areas", "A2", "A2", padded))
		must(t, f.SetCellStr("Areas", "B2", "=1+1"))
		must(t, f.SetCellStr("Areas", "A3", "008"))
		must(t, f.SetCellStr("Areas", "B3", "+SUM(A1:A2)"))
		must(t, f.SetCellStr("Areas", "A4", "009"))
		must(t, f.SetCellStr("Areas", "B4", "@cmd"))
		must(t, f.SetCellStr("Areas", "C4", "an unknown column's cell"))

		_, err = f.NewSheet("Employees")
		must(t, err)
		must(t, f.SetSheetRow("Employees", "A1", &[]any{"Employee ID", "Full Name", "Email", "Phone", "Department Code", "Designation Code", "Area Code", "Joining Date"}))
		date, err := f.NewStyle(&excelize.Style{CustomNumFmt: ptr("dd/mm/yyyy")})
		must(t, err)
		must(t, f.SetSheetRow("Employees", "A2", &[]any{"E1", "-Ann Lee", "not-an-email", "0123", "D1", "X1", "007", 45000}))
		must(t, f.SetCellStyle("Employees", "H2", "H2", date))
		must(t, f.SetSheetRow("Employees", "A3", &[]any{"E2", "Bo Chan", "bo@example.com", nil, "D1", "X1", nil, "2024-02-30"}))
		must(t, f.SetCellFormula("Employees", "I2", "1+1"))

		// Formulas with saved results, and a boolean, written as Excel does.
		_, err = f.NewSheet("Designations")
		must(t, err)
		sw, err := f.NewStreamWriter("Designations")
		must(t, err)
		must(t, sw.SetRow("A1", []any{"Code", "Title", "Note"}))
		must(t, sw.SetRow("A2", []any{excelize.Cell{Formula: `"DS"&"1"`, Value: "DS1"}, "Boss", true}))
		must(t, sw.SetRow("A3", []any{excelize.Cell{Formula: "1+1", Value: 2}, excelize.Cell{Formula: `"=x"`, Value: "=x"}}))
		must(t, sw.SetRow("A4", []any{"DS1", "Repeated"}))
		must(t, sw.Flush())

		// A sheet with no header row, a hidden sheet, and one nobody knows.
		_, err = f.NewSheet("Drivers")
		must(t, err)
		_, err = f.NewSheet("Secret")
		must(t, err)
		must(t, f.SetCellStr("Secret", "A1", "hidden"))
		must(t, f.SetSheetVisible("Secret", false))
	})
	st := openStore(t)
	res := runImport(t, st, upload)
	if res.Status.State != importer.Failed {
		t.Fatalf("import %s, want failed", res.Status.State)
	}
	out := writeFile(t, "problems.xlsx", func(w io.Writer) error { return workbooks.WriteProblems(w, upload, res.Problems) })
	f := openXLSX(t, out)

	t.Run("it has the Problems sheet first, then the sheets that are not hidden", func(t *testing.T) {
		want := []string{"Problems", "Areas", "Employees", "Designations", "Drivers"}
		if got := f.GetSheetList(); !slices.Equal(got, want) {
			t.Errorf("sheets %q, want %q", got, want)
		}
	})

	t.Run("each problem links to its cell in the copied sheet", func(t *testing.T) {
		want := map[string]string{}
		for i, p := range res.Problems {
			if p.Sheet == "Employees" && p.Column == "Email" {
				want["A"+strconv.Itoa(i+2)] = "'Employees'!C2"
			}
			if p.Sheet == "Designations" && p.Row == 4 {
				want["A"+strconv.Itoa(i+2)] = "'Designations'!A4"
			}
			if p.Sheet == "Drivers" {
				want["A"+strconv.Itoa(i+2)] = "'Drivers'!A1"
			}
		}
		if len(want) != 3 {
			t.Fatalf("the upload's problems are not those the test expects: %+v", res.Problems)
		}
		for i := range res.Problems {
			cell := "A" + strconv.Itoa(i+2)
			ok, target, err := f.GetCellHyperLink("Problems", cell)
			must(t, err)
			if !ok {
				t.Errorf("problem row %d has no link", i+2)
				continue
			}
			if w, known := want[cell]; known && target != w {
				t.Errorf("problem row %d links to %q, want %q", i+2, target, w)
			}
		}
	})

	t.Run("its Problems sheet lists every problem with its columns", func(t *testing.T) {
		rows, err := f.GetRows("Problems")
		must(t, err)
		if want := []string{"Sheet", "Row", "Column", "Value", "Message"}; !slices.Equal(rows[0], want) {
			t.Errorf("header %q, want %q", rows[0], want)
		}
		if len(rows)-1 != len(res.Problems) {
			t.Fatalf("%d problem rows, want %d", len(rows)-1, len(res.Problems))
		}
		for i, p := range res.Problems {
			row := append(rows[i+1], "", "", "", "", "")
			if row[0] != p.Sheet || row[2] != p.Column || row[3] != p.Value || row[4] != p.Message {
				t.Errorf("problem row %d is %q, want %+v", i+2, row[:5], p)
			}
		}
		var sheetLevel bool
		for _, p := range res.Problems {
			sheetLevel = sheetLevel || (p.Sheet == "Drivers" && p.Row == 0)
		}
		if !sheetLevel {
			t.Errorf("no problem for the Drivers sheet without a header: %+v", res.Problems)
		}
	})

	t.Run("a value starting with =, +, - or @ is text, never a formula", func(t *testing.T) {
		for ref, want := range map[string]string{"Areas!B2": "=1+1", "Areas!B3": "+SUM(A1:A2)", "Areas!B4": "@cmd", "Employees!B2": "-Ann Lee"} {
			sheet, cell, _ := strings.Cut(ref, "!")
			formula, err := f.GetCellFormula(sheet, cell)
			must(t, err)
			value, err := f.GetCellValue(sheet, cell)
			must(t, err)
			if formula != "" || value != want {
				t.Errorf("%s has formula %q and value %q, want no formula and %q", ref, formula, value, want)
			}
		}
		for name, x := range sheetXMLs(t, out) {
			if strings.Contains(x, "<f>") || strings.Contains(x, "<f ") {
				t.Errorf("%s has a formula", name)
			}
		}
	})

	t.Run("a formula is replaced by its saved result", func(t *testing.T) {
		for ref, want := range map[string]string{"Designations!A2": "DS1", "Designations!A3": "2", "Designations!B3": "=x", "Designations!C2": "TRUE"} {
			sheet, cell, _ := strings.Cut(ref, "!")
			formula, err := f.GetCellFormula(sheet, cell)
			must(t, err)
			value, err := f.GetCellValue(sheet, cell)
			must(t, err)
			if formula != "" || value != want {
				t.Errorf("%s has formula %q and value %q, want no formula and %q", ref, formula, value, want)
			}
		}
		// excelize saves no result for SetCellFormula: the cell shows nothing.
		if v, _ := f.GetCellValue("Employees", "I2"); v != "" {
			t.Errorf("Employees!I2 is %q, want empty", v)
		}
	})

	t.Run("bad cells are highlighted and the row's problems are in its last column", func(t *testing.T) {
		rows, err := f.GetRows("Employees")
		must(t, err)
		last := len(rows[0]) - 1
		if rows[0][last] != "Problems" || xlsx.ColumnName(last) != "J" {
			t.Fatalf("header row %q, want Problems added after column I", rows[0])
		}
		if msg := rows[1][last]; !strings.Contains(msg, "Email: Expected an email address") || !strings.Contains(msg, "\nDesignation Code: ") {
			t.Errorf("row 2's problems are %q", msg)
		}
		for _, cell := range []string{"C2", "F2", "H3"} {
			if !highlighted(t, f, "Employees", cell) {
				t.Errorf("Employees!%s is not highlighted", cell)
			}
		}
		for _, cell := range []string{"A2", "B2", "D2"} {
			if highlighted(t, f, "Employees", cell) {
				t.Errorf("Employees!%s is highlighted", cell)
			}
		}
		dr, err := f.GetRows("Drivers")
		must(t, err)
		if len(dr) != 0 {
			t.Errorf("the Drivers sheet has rows %q; its sheet-level problem belongs on the Problems sheet only", dr)
		}
	})

	t.Run("every cell is read back as it was uploaded", func(t *testing.T) {
		for _, sheet := range []string{"Areas", "Employees", "Designations"} {
			before, after := cellsOf(t, upload, sheet), cellsOf(t, out, sheet)
			for ref, c := range before {
				d := after[ref]
				if c.Type == xlsx.TypeNoValue {
					continue // written empty
				}
				if c.Formula && d.Formula {
					t.Errorf("%s!%s is still a formula", sheet, ref)
				}
				if d.Type != c.Type || d.Format.Kind != c.Format.Kind || d.Format.Width != c.Format.Width || strings.TrimSpace(d.Value) != strings.TrimSpace(c.Value) {
					t.Errorf("%s!%s was %+v, is %+v", sheet, ref, c, d)
				}
			}
			for ref, d := range after {
				if _, ok := before[ref]; !ok && d.Type != xlsx.TypeBlank && d.Value != "" {
					t.Errorf("%s!%s is new: %+v", sheet, ref, d)
				}
			}
		}
		if c := cellsOf(t, out, "Areas")["A2"]; c.Format.Kind != xlsx.FormatPadded {
			t.Errorf("Areas!A2 is %+v, want a padded number", c)
		} else if s, _ := xlsx.Text(c); s != "007" {
			t.Errorf("Areas!A2 reads %q, want 007", s)
		}
	})

	t.Run("uploading it again gives the same problems", func(t *testing.T) {
		again := runImport(t, st, out)
		if len(again.Problems) != len(res.Problems) {
			t.Fatalf("%d problems, want %d: %+v", len(again.Problems), len(res.Problems), again.Problems)
		}
		for i := range res.Problems {
			a, b := res.Problems[i], again.Problems[i]
			if a.Sheet != b.Sheet || a.Row != b.Row || a.Column != b.Column || a.Message != b.Message {
				t.Errorf("problem %d is %+v, want %+v", i, b, a)
			}
		}
		for _, w := range again.Status.Warnings {
			if strings.Contains(w, "Problems") {
				t.Errorf("warning %q: the Problems sheet and column must be ignored", w)
			}
		}
	})

	t.Run("a problems workbook of a problems workbook has one Problems column", func(t *testing.T) {
		again := runImport(t, st, out)
		out2 := writeFile(t, "problems2.xlsx", func(w io.Writer) error { return workbooks.WriteProblems(w, out, again.Problems) })
		f2 := openXLSX(t, out2)
		rows, err := f2.GetRows("Employees")
		must(t, err)
		n := 0
		for _, h := range rows[0] {
			if h == "Problems" {
				n++
			}
		}
		if n != 1 || rows[0][len(rows[0])-1] != "Problems" {
			t.Errorf("header row %q, want one Problems column, the last", rows[0])
		}
	})
}

// highlighted reports whether a cell has the bad-cell fill.
func highlighted(t *testing.T, f *excelize.File, sheet, cell string) bool {
	t.Helper()
	id, err := f.GetCellStyle(sheet, cell)
	must(t, err)
	s, err := f.GetStyle(id)
	must(t, err)
	return s.Fill.Type == "pattern" && len(s.Fill.Color) > 0 && strings.EqualFold(s.Fill.Color[0], "FFC7CE")
}

func ptr[T any](v T) *T { return &v }
