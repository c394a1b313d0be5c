package importer_test

// These tests hold the importer to every rule of the workbook in the
// product contract (section 3). Each builds its workbook with excelize in
// a temporary directory, imports it into a real database (a SQLite file,
// and PostgreSQL too when TEST_DATABASE_URL is set) and checks the
// problems found, the final state and counts, and what the database holds.

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"roster/importer"
	"roster/importer/store"
	"roster/importer/store/storetest"
)

// ---------------------------------------------------------------------------
// Workbooks

// book is a workbook to build: its sheets in tab order.
type book []*sheet

// sheet is one sheet; rows[0] is Excel row 1, and a nil cell is left blank.
type sheet struct {
	name    string
	xmlName string // when set, the name written into the workbook part as it is (excelize refuses "*")
	rows    [][]any
	hidden  bool
	merged  []string // ranges such as "A3:B3"
}

// num is a number cell with a number format: a built-in id or a code.
type num struct {
	v     float64
	fmtID int
	code  string
}

// raw is a cell written as Excel writes it: the attributes of <c> after
// r="…" and its children. excelize cannot write error cells, nor a formula
// together with its saved result (SetCellFormula drops the value, or, after
// SetCellValue of a string, keeps the shared-string index as the "result").
type raw struct{ attrs, inner string }

// noResult is a formula without a saved result, as excelize's
// SetCellFormula writes it (and as a program that does not calculate does).
type noResult string

// date is a date-formatted cell (built-in format 14, m/d/yyyy).
func date(y int, m time.Month, d int) num {
	return num{v: serial(time.Date(y, m, d, 0, 0, 0, 0, time.UTC)), fmtID: 14}
}

// clock is a time-formatted cell (built-in format 20, h:mm).
func clock(h, m int) num { return num{v: float64(h*60+m) / (24 * 60), fmtID: 20} }

func serial(t time.Time) float64 {
	return t.Sub(time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)).Hours() / 24
}

func (b book) sheet(name string) *sheet {
	for _, s := range b {
		if s.name == name {
			return s
		}
	}
	panic("test book has no sheet " + name)
}

// only keeps the named sheets.
func (b book) only(names ...string) book {
	var out book
	for _, s := range b {
		if slices.Contains(names, s.name) {
			out = append(out, s)
		}
	}
	return out
}

// set puts a value in a cell given as "C3".
func (s *sheet) set(ref string, v any) {
	col, row, err := excelize.CellNameToCoordinates(ref)
	if err != nil {
		panic(err)
	}
	for len(s.rows) < row {
		s.rows = append(s.rows, nil)
	}
	for len(s.rows[row-1]) < col {
		s.rows[row-1] = append(s.rows[row-1], nil)
	}
	s.rows[row-1][col-1] = v
}

// add appends a row.
func (s *sheet) add(cells ...any) { s.rows = append(s.rows, cells) }

// base is a small, complete, valid workbook: every sheet, every rule met.
func base() book {
	return book{
		{name: "Areas", rows: [][]any{
			{"Code*", "Name*"},
			{"N", "North"},
			{"S", "South"},
		}},
		{name: "Departments", rows: [][]any{
			{"Code*", "Name*", "Area Code"},
			{"D1", "Sales", "N"},
			{"D2", "Operations", "S"},
		}},
		{name: "Designations", rows: [][]any{
			{"Code*", "Title*"},
			{"MGR", "Manager"},
			{"DRV", "Driver"},
		}},
		{name: "Employees", rows: [][]any{
			{"Employee ID*", "Full Name*", "Email*", "Phone", "Department Code*", "Designation Code*", "Area Code", "Joining Date"},
			{"E1", "Ann Lee", "ann@example.com", "555-0101", "D1", "MGR", "N", "2023-01-15"},
			{"E2", "Bob Ray", "bob@example.com", nil, "D2", "DRV", "S", date(2022, 6, 1)},
			{"E3", "Cy Dunn", "cy@example.com", nil, "D2", "DRV", nil, nil},
		}},
		{name: "Schedules", rows: [][]any{
			{"Employee ID*", "Date*", "Shift Start*", "Shift End*"},
			{"E1", "2024-03-01", "09:00", "17:00"},
			{"E2", date(2024, 3, 1), clock(22, 0), clock(6, 0)},
			{"E2", "2024-03-02", "22:00", "06:00"},
		}},
		{name: "Drivers", rows: [][]any{
			{"Employee ID*", "License No*", "License Expiry*"},
			{"E2", "L-100", "2026-12-31"},
			{"E3", "L-200", "2027-06-30"},
		}},
		{name: "Car Assignments", rows: [][]any{
			{"Plate No*", "Car Model", "Seats", "Driver Employee ID*", "Assigned From"},
			{"P-1", "Corolla", 4, "E2", "2024-03-01"},
			{"P-2", nil, nil, "E3", nil},
		}},
	}
}

// baseDump is what the database holds after base is imported into an
// empty one.
const baseDump = `areas:
  N|North
  S|South
departments:
  D1|Sales|N
  D2|Operations|S
designations:
  DRV|Driver
  MGR|Manager
employees:
  E1|Ann Lee|ann@example.com|555-0101|D1|MGR|N|2023-01-15
  E2|Bob Ray|bob@example.com|NULL|D2|DRV|S|2022-06-01
  E3|Cy Dunn|cy@example.com|NULL|D2|DRV|NULL|NULL
schedules:
  E1|2024-03-01|09:00|17:00
  E2|2024-03-01|22:00|06:00
  E2|2024-03-02|22:00|06:00
drivers:
  E2|L-100|2026-12-31
  E3|L-200|2027-06-30
car_assignments:
  P-1|Corolla|4|E2|2024-03-01
  P-2|NULL|NULL|E3|NULL
`

// baseRows is how many data rows each sheet of base has.
var baseRows = map[importer.StepKey]int{
	importer.StepAreas: 2, importer.StepDepartments: 2, importer.StepDesignations: 2,
	importer.StepEmployees: 3, importer.StepSchedules: 3, importer.StepDrivers: 2,
	importer.StepCarAssignments: 2,
}

// patch replaces what re matches in the saved package's XML parts.
type patch struct {
	re  *regexp.Regexp
	new string
}

// write saves the book as an .xlsx file in a temporary directory.
func (b book) write(t testing.TB) string {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	var patches []patch
	styles := map[num]int{}
	style := func(n num) int {
		key := num{fmtID: n.fmtID, code: n.code}
		if id, ok := styles[key]; ok {
			return id
		}
		st := &excelize.Style{NumFmt: n.fmtID}
		if n.code != "" {
			st.CustomNumFmt = &n.code
		}
		id, err := f.NewStyle(st)
		noErr(t, err)
		styles[key] = id
		return id
	}
	for i, s := range b {
		name := s.name
		if s.xmlName != "" {
			name = fmt.Sprintf("PlaceholderName%d", i)
			var esc bytes.Buffer
			noErr(t, xml.EscapeText(&esc, []byte(s.xmlName)))
			patches = append(patches, patch{regexp.MustCompile(`name="` + name + `"`), `name="` + esc.String() + `"`})
		}
		if i == 0 {
			noErr(t, f.SetSheetName("Sheet1", name))
		} else {
			_, err := f.NewSheet(name)
			noErr(t, err)
		}
		for r, row := range s.rows {
			for c, v := range row {
				ref, err := excelize.CoordinatesToCellName(c+1, r+1)
				noErr(t, err)
				switch v := v.(type) {
				case nil:
				case string:
					noErr(t, f.SetCellStr(name, ref, v))
				case int, float64:
					noErr(t, f.SetCellValue(name, ref, v))
				case num:
					noErr(t, f.SetCellValue(name, ref, v.v))
					noErr(t, f.SetCellStyle(name, ref, ref, style(v)))
				case noResult:
					noErr(t, f.SetCellFormula(name, ref, string(v)))
				case raw:
					marker := fmt.Sprintf("RAWCELL%d", len(patches))
					noErr(t, f.SetCellFormula(name, ref, marker))
					patches = append(patches, patch{
						regexp.MustCompile(`<c r="` + ref + `"[^>]*><f>` + marker + `</f></c>`),
						`<c r="` + ref + `" ` + v.attrs + `>` + v.inner + `</c>`,
					})
				default:
					t.Fatalf("test book: cell %s of %s: unsupported %T", ref, s.name, v)
				}
			}
		}
		for _, m := range s.merged {
			from, to, _ := strings.Cut(m, ":")
			noErr(t, f.MergeCell(name, from, to))
		}
	}
	for i, s := range b {
		if !s.hidden {
			f.SetActiveSheet(i)
			break
		}
	}
	for i, s := range b {
		if s.hidden {
			name := s.name
			if s.xmlName != "" {
				name = fmt.Sprintf("PlaceholderName%d", i)
			}
			noErr(t, f.SetSheetVisible(name, false))
		}
	}
	path := filepath.Join(t.TempDir(), "book.xlsx")
	noErr(t, f.SaveAs(path))
	if len(patches) > 0 {
		patchPackage(t, path, patches)
	}
	return path
}

// patchPackage rewrites the XML parts of a saved package; every patch
// must apply somewhere.
func patchPackage(t testing.TB, path string, patches []patch) {
	t.Helper()
	zr, err := zip.OpenReader(path)
	noErr(t, err)
	defer zr.Close()
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	used := make([]bool, len(patches))
	for _, zf := range zr.File {
		rc, err := zf.Open()
		noErr(t, err)
		body, err := io.ReadAll(rc)
		rc.Close()
		noErr(t, err)
		if strings.HasSuffix(zf.Name, ".xml") {
			for i, p := range patches {
				if p.re.Match(body) {
					used[i] = true
					body = p.re.ReplaceAll(body, []byte(p.new))
				}
			}
		}
		w, err := zw.Create(zf.Name)
		noErr(t, err)
		_, err = w.Write(body)
		noErr(t, err)
	}
	noErr(t, zw.Close())
	for i, ok := range used {
		if !ok {
			t.Fatalf("test book: patch %s matched nothing", patches[i].re)
		}
	}
	noErr(t, os.WriteFile(path, out.Bytes(), 0o644))
}

func noErr(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// ---------------------------------------------------------------------------
// Databases

// testDB is a store and a second connection to the same database, to look
// at the company tables without going through the importer.
type testDB struct {
	st *store.Store
	db *sql.DB
}

type opener func(t *testing.T) *testDB

func openSQLite(t *testing.T) *testDB {
	t.Helper()
	st, path := storetest.SQLite(t)
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	noErr(t, err)
	t.Cleanup(func() { db.Close() })
	return &testDB{st: st, db: db}
}

// openPostgres gives each test a schema of its own (see storetest).
func openPostgres(t *testing.T) *testDB {
	t.Helper()
	st, dsn := storetest.Postgres(t)
	db, err := sql.Open("pgx", dsn)
	noErr(t, err)
	t.Cleanup(func() { db.Close() })
	return &testDB{st: st, db: db}
}

// dump is every row of every company table, its sheet's columns as
// text, sorted in Go so that both databases' collations give the same
// order.
func (d *testDB) dump(t testing.TB) string {
	t.Helper()
	var b strings.Builder
	for _, sh := range importer.Sheets {
		fmt.Fprintf(&b, "%s:\n", sh.Table)
		for _, line := range d.rows(t, selectAll(sh.Table)) {
			fmt.Fprintf(&b, "  %s\n", line)
		}
	}
	return b.String()
}

// selectAll selects a company table's columns, the bookkeeping
// created_in left out: SELECT * as a user of the table means it.
func selectAll(table string) string {
	for _, sh := range importer.Sheets {
		if sh.Table == table {
			fields := make([]string, len(sh.Columns))
			for i, c := range sh.Columns {
				fields[i] = c.Field
			}
			return "SELECT " + strings.Join(fields, ", ") + " FROM " + table
		}
	}
	panic("no table " + table)
}

// rows runs a query and gives each row as its values joined by "|", NULL
// as NULL, sorted.
func (d *testDB) rows(t testing.TB, query string) []string {
	t.Helper()
	rows, err := d.db.QueryContext(context.Background(), query)
	noErr(t, err)
	defer rows.Close()
	cols, err := rows.Columns()
	noErr(t, err)
	var out []string
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		dest := make([]any, len(cols))
		for i := range vals {
			dest[i] = &vals[i]
		}
		noErr(t, rows.Scan(dest...))
		parts := make([]string, len(cols))
		for i, v := range vals {
			parts[i] = "NULL"
			if v.Valid {
				parts[i] = v.String
			}
		}
		out = append(out, strings.Join(parts, "|"))
	}
	noErr(t, rows.Err())
	slices.Sort(out)
	return out
}

func (d *testDB) wantRows(t testing.TB, query string, want ...string) {
	t.Helper()
	got := d.rows(t, query)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("%s:\n got %q\nwant %q", query, got, want)
	}
}

// ---------------------------------------------------------------------------
// Imports

func importBook(t *testing.T, d *testDB, b book) importer.Result {
	t.Helper()
	return importPath(t, t.Context(), d, b.write(t), nil)
}

func importPath(t *testing.T, ctx context.Context, d *testDB, path string, report func(importer.Status)) importer.Result {
	t.Helper()
	res, err := importer.Import(ctx, d.st, path, importer.NewStatus(rand.Text(), filepath.Base(path), time.Now()), report)
	if err != nil {
		t.Fatalf("Import: %v (status %q: %s)", err, res.Status.State, res.Status.Error)
	}
	wantSentences(t, res)
	return res
}

// importOK imports b and fails the test unless it is committed.
func importOK(t *testing.T, d *testDB, b book) importer.Result {
	t.Helper()
	res := importBook(t, d, b)
	if res.Status.State != importer.Succeeded {
		t.Fatalf("import %s (%s), want succeeded; problems:\n%s", res.Status.State, res.Status.Error, listProblems(res.Problems))
	}
	return res
}

func listProblems(ps []importer.Problem) string {
	var b strings.Builder
	for _, p := range ps {
		fmt.Fprintf(&b, "  %s row %d [%s] %q: %s\n", p.Sheet, p.Row, p.Column, p.Value, p.Message)
	}
	return b.String()
}

// problem is an expected problem: everything exact but the message, of
// which a fragment is enough.
type problem struct {
	sheet  string
	row    int
	column string
	value  string
	msg    string
}

func (p problem) matches(q importer.Problem) bool {
	return p.sheet == q.Sheet && p.row == q.Row && p.column == q.Column && p.value == q.Value &&
		strings.Contains(q.Message, p.msg)
}

// wantProblems checks that the problems are exactly those wanted, in any
// order.
func wantProblems(t testing.TB, got []importer.Problem, want ...problem) {
	t.Helper()
	left := slices.Clone(got)
	var missing []problem
	for _, w := range want {
		i := slices.IndexFunc(left, w.matches)
		if i < 0 {
			missing = append(missing, w)
			continue
		}
		left = slices.Delete(left, i, i+1)
	}
	if len(missing) > 0 || len(left) > 0 {
		var b strings.Builder
		for _, m := range missing {
			fmt.Fprintf(&b, "missing: %s row %d [%s] %q: …%s…\n", m.sheet, m.row, m.column, m.value, m.msg)
		}
		for _, p := range left {
			fmt.Fprintf(&b, "unexpected: %s row %d [%s] %q: %s\n", p.Sheet, p.Row, p.Column, p.Value, p.Message)
		}
		t.Errorf("problems differ:\n%sall problems:\n%s", b.String(), listProblems(got))
	}
}

// counts is what a step reports.
type counts struct {
	state                                       importer.StepState
	rows, created, updated, unchanged, problems int
}

func countsOf(s importer.Step) counts {
	return counts{s.State, s.Rows, s.Created, s.Updated, s.Unchanged, s.Problems}
}

// wantSteps checks the steps named in want.
func wantSteps(t testing.TB, st importer.Status, want map[importer.StepKey]counts) {
	t.Helper()
	for _, k := range importer.Steps {
		w, ok := want[k]
		if !ok {
			continue
		}
		if got := countsOf(st.Step(k)); got != w {
			t.Errorf("step %s: got %+v, want %+v", k, got, w)
		}
	}
}

// allSteps is want for every step from per-step rows and a function of them.
func allSteps(f func(rows int) counts) map[importer.StepKey]counts {
	m := map[importer.StepKey]counts{}
	for k, n := range baseRows {
		m[k] = f(n)
	}
	return m
}

// ruleCase is one workbook and what importing it must give.
type ruleCase struct {
	name     string
	seed     bool        // import base first, so references and unique values meet the database
	book     func() book // the workbook under test
	problems []problem   // none: the import must succeed
	check    func(t *testing.T, d *testDB, res importer.Result)
}

// runCases imports each case's workbook into a database of its own. A case
// with problems must fail and leave the database exactly as it was.
func runCases(t *testing.T, open opener, cases []ruleCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			d := open(t)
			if c.seed {
				importOK(t, d, base())
			}
			before := d.dump(t)
			res := importBook(t, d, c.book())
			if c.problems == nil {
				if res.Status.State != importer.Succeeded {
					t.Fatalf("import %s (%s), want succeeded; problems:\n%s", res.Status.State, res.Status.Error, listProblems(res.Problems))
				}
			} else {
				wantProblems(t, res.Problems, c.problems...)
				if res.Status.State != importer.Failed || res.Status.Problems != len(res.Problems) {
					t.Errorf("import %s with %d problems, want failed with %d", res.Status.State, res.Status.Problems, len(res.Problems))
				}
				if after := d.dump(t); after != before {
					t.Errorf("a failed import changed the database:\nbefore:\n%s\nafter:\n%s", before, after)
				}
			}
			if c.check != nil {
				c.check(t, d, res)
			}
		})
	}
}

// ---------------------------------------------------------------------------
// Sheets, headers, rows

func TestSheetsAndHeaders(t *testing.T) {
	runCases(t, openSQLite, []ruleCase{
		{
			name: "sheet and header names match ignoring case, spaces and a trailing star",
			book: func() book {
				b := base()
				names := map[string]string{
					"Areas": "  aREAS *", "Departments": "DEPARTMENTS*", "Designations": " designations ",
					"Employees": "Employees *", "Schedules": "schedules", "Drivers": "DRIVERS",
					"Car Assignments": "car   ASSIGNMENTS",
				}
				for _, s := range b {
					s.xmlName = names[s.name]
					for i, h := range s.rows[0] {
						h := strings.TrimSuffix(h.(string), "*")
						switch i % 3 {
						case 0:
							h = " " + strings.ToUpper(strings.ReplaceAll(h, " ", "   ")) + " "
						case 1:
							h = strings.ToLower(h) + " *"
						case 2:
							h = h + "*"
						}
						s.rows[0][i] = h
					}
				}
				return b
			},
			check: func(t *testing.T, d *testDB, res importer.Result) {
				wantSteps(t, res.Status, allSteps(func(n int) counts { return counts{importer.StepDone, n, n, 0, 0, 0} }))
				if got := d.dump(t); got != baseDump {
					t.Errorf("database:\n%s\nwant:\n%s", got, baseDump)
				}
				if len(res.Status.Warnings) > 0 {
					t.Errorf("warnings %q, want none", res.Status.Warnings)
				}
			},
		},
		{
			name: "columns may come in any order",
			book: func() book {
				b := base()
				for _, s := range b {
					w := len(s.rows[0])
					for i, row := range s.rows {
						full := make([]any, w)
						copy(full, row)
						slices.Reverse(full)
						s.rows[i] = full
					}
				}
				return b
			},
			check: func(t *testing.T, d *testDB, res importer.Result) {
				if got := d.dump(t); got != baseDump {
					t.Errorf("database:\n%s\nwant:\n%s", got, baseDump)
				}
			},
		},
		{
			name: "the header row is the first non-empty row and blank rows are skipped",
			book: func() book {
				s := &sheet{name: "Areas"}
				s.set("A2", "   ") // only spaces: blank
				s.add("Code", "Name")
				s.add("N", "North") // row 4
				s.add()             // row 5: no cells
				s.add(nil, " ")     // row 6: only spaces
				s.add("S", "South") // row 7
				s.add("W", nil)     // row 8: a problem, to show rows keep their Excel numbers
				return book{s}
			},
			problems: []problem{{"Areas", 8, "Name", "", "Name is required"}},
			check: func(t *testing.T, d *testDB, res importer.Result) {
				wantSteps(t, res.Status, map[importer.StepKey]counts{
					importer.StepAreas: {importer.StepFailed, 3, 0, 0, 0, 1},
				})
			},
		},
		{
			name: "a sheet whose rows are all blank has no header row",
			book: func() book {
				s := &sheet{name: "Areas"}
				s.set("B3", "  ")
				return book{s}
			},
			problems: []problem{{"Areas", 0, "", "", "no header row"}},
		},
	})
}

func TestWarnings(t *testing.T) {
	runCases(t, openSQLite, []ruleCase{
		{
			name: "unknown sheets and columns are ignored with a warning",
			book: func() book {
				b := base()
				areas := b.sheet("Areas")
				areas.set("C1", "Remarks")
				areas.set("C2", "not a column Roster knows; its bad value is never read: #N/A")
				b = append(b, &sheet{name: "Notes", rows: [][]any{{"Code"}, {""}, {"#"}}})
				return b
			},
			check: func(t *testing.T, d *testDB, res importer.Result) {
				wantWarnings(t, res.Status.Warnings, `Sheet "Notes" is not one Roster knows`, `Sheet "Areas": column "Remarks" (C)`)
				if got := d.dump(t); got != baseDump {
					t.Errorf("database:\n%s\nwant:\n%s", got, baseDump)
				}
			},
		},
		{
			name: "a Problems sheet and a Problems column are ignored without a warning",
			book: func() book {
				b := base()
				emp := b.sheet("Employees")
				emp.set("I1", "Problems")
				emp.set("I2", "Email: expected an email address")
				b = append(b, &sheet{name: "Problems", rows: [][]any{{"Sheet", "Row"}, {"Employees", 2}}})
				return b
			},
			check: func(t *testing.T, d *testDB, res importer.Result) {
				wantWarnings(t, res.Status.Warnings)
			},
		},
		{
			name: "a hidden sheet is ignored with a warning",
			seed: true,
			book: func() book {
				b := base().only("Areas", "Employees")
				b.sheet("Areas").set("B3", "South Coast")
				emp := b.sheet("Employees")
				emp.hidden = true
				emp.set("C2", "not an email") // would be a problem if the sheet were read
				emp.set("B3", "Robert Ray")
				return b
			},
			check: func(t *testing.T, d *testDB, res importer.Result) {
				wantWarnings(t, res.Status.Warnings, `Sheet "Employees" is hidden`)
				wantSteps(t, res.Status, map[importer.StepKey]counts{
					importer.StepAreas:     {importer.StepDone, 2, 0, 1, 1, 0},
					importer.StepEmployees: {state: importer.StepSkipped},
				})
				d.wantRows(t, "SELECT employee_id, full_name FROM employees", "E1|Ann Lee", "E2|Bob Ray", "E3|Cy Dunn")
			},
		},
		{
			name: "a missing sheet's step is skipped",
			seed: true,
			book: func() book { return base().only("Designations", "Drivers") },
			check: func(t *testing.T, d *testDB, res importer.Result) {
				skipped := counts{state: importer.StepSkipped}
				wantSteps(t, res.Status, map[importer.StepKey]counts{
					importer.StepAreas:          skipped,
					importer.StepDepartments:    skipped,
					importer.StepDesignations:   {importer.StepDone, 2, 0, 0, 2, 0},
					importer.StepEmployees:      skipped,
					importer.StepSchedules:      skipped,
					importer.StepDrivers:        {importer.StepDone, 2, 0, 0, 2, 0},
					importer.StepCarAssignments: skipped,
				})
				wantWarnings(t, res.Status.Warnings)
			},
		},
	})
}

// wantWarnings checks the warnings: one per fragment, in order.
func wantWarnings(t testing.TB, got []string, fragments ...string) {
	t.Helper()
	ok := len(got) == len(fragments)
	for i := 0; ok && i < len(got); i++ {
		ok = strings.Contains(got[i], fragments[i])
	}
	if !ok {
		t.Errorf("warnings %q, want %q", got, fragments)
	}
}

// ---------------------------------------------------------------------------
// Required cells and columns

func TestRequired(t *testing.T) {
	runCases(t, openSQLite, []ruleCase{
		{
			name: "a required cell left empty is a problem",
			book: func() book {
				return book{{name: "Areas", rows: [][]any{
					{"Code*", "Name*"},
					{"N", nil},
					{"S", "   "},
					{nil, "West"},
					{"E", "East"},
				}}}
			},
			problems: []problem{
				{"Areas", 2, "Name", "", "Name is required"},
				{"Areas", 3, "Name", "", "Name is required"},
				{"Areas", 4, "Code", "", "Code is required"},
			},
		},
		{
			name: "an optional cell may be empty",
			book: func() book {
				return book{{name: "Departments", rows: [][]any{
					{"Code*", "Name*", "Area Code"},
					{"D9", "Legal", nil},
				}}}
			},
			check: func(t *testing.T, d *testDB, res importer.Result) {
				d.wantRows(t, selectAll("departments"), "D9|Legal|NULL")
			},
		},
		{
			name: "a required column missing from the header row is one problem",
			seed: true,
			book: func() book {
				return book{{name: "Employees", rows: [][]any{
					nil,
					{"Employee ID", "Full Name", "Department Code", "Designation Code"},
					{"E1", "Ann Lee", "D1", "MGR"},
					{"E9", "Dee Fox", "D1", "MGR"},
				}}}
			},
			problems: []problem{{"Employees", 2, "Email", "", `The required column "Email" is missing`}},
		},
		{
			name: "an optional column may be missing",
			seed: true,
			book: func() book {
				return book{{name: "Employees", rows: [][]any{
					{"Employee ID", "Full Name", "Email", "Department Code", "Designation Code"},
					{"E9", "Dee Fox", "dee@example.com", "D1", "MGR"},
				}}}
			},
			check: func(t *testing.T, d *testDB, res importer.Result) {
				d.wantRows(t, selectAll("employees")+" WHERE employee_id = 'E9'", "E9|Dee Fox|dee@example.com|NULL|D1|MGR|NULL|NULL")
			},
		},
	})
}

// ---------------------------------------------------------------------------
// Values

func TestCodesAreTextAsExcelShowsThem(t *testing.T) {
	for _, c := range []struct {
		name string
		cell any
		want string
	}{
		{"a text cell keeps its leading zeros", "007", "007"},
		{"text is trimmed", "  A-1 ", "A-1"},
		{"a long number stays whole", 123456789012345, "123456789012345"},
		{"a number formatted 000 is padded", num{v: 7, code: "000"}, "007"},
		{"a plain whole number has no decimals", 42, "42"},
		{"a plain whole number written as a float has no decimals", 42.0, "42"},
		{"a number with a fraction keeps it", 1.5, "1.5"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			d := openSQLite(t)
			importOK(t, d, book{{name: "Areas", rows: [][]any{{"Code", "Name"}, {c.cell, "X"}}}})
			d.wantRows(t, "SELECT code FROM areas", c.want)
		})
	}
	runCases(t, openSQLite, []ruleCase{{
		name: "codes are compared exactly: 7 does not find 007",
		book: func() book {
			return book{
				{name: "Areas", rows: [][]any{{"Code", "Name"}, {"007", "Bond"}}},
				{name: "Departments", rows: [][]any{{"Code", "Name", "Area Code"}, {"D1", "Spies", 7}}},
			}
		},
		problems: []problem{{"Departments", 2, "Area Code", "7", `Area Code "7" is not in the Areas sheet`}},
	}})
}

// oneEmployee is a workbook with one new employee, E9, for a database
// seeded with base; fix changes the row before it is written.
func oneEmployee(fix func(s *sheet)) func() book {
	return func() book {
		s := &sheet{name: "Employees", rows: [][]any{
			{"Employee ID", "Full Name", "Email", "Phone", "Department Code", "Designation Code", "Area Code", "Joining Date"},
			{"E9", "Dee Fox", "dee@example.com", nil, "D1", "MGR", nil, nil},
		}}
		fix(s)
		return book{s}
	}
}

func TestDates(t *testing.T) {
	var cases []ruleCase
	for _, c := range []struct {
		name string
		cell any
		want string // stored; "" when a problem
		msg  string
		val  string
	}{
		{name: "a date-formatted cell", cell: date(2024, 3, 31), want: "2024-03-31"},
		{name: "a cell with a custom date format", cell: num{v: serial(time.Date(2024, 3, 31, 0, 0, 0, 0, time.UTC)), code: "yyyy-mm-dd"}, want: "2024-03-31"},
		{name: "a date-and-time cell gives its date", cell: num{v: serial(time.Date(2024, 3, 31, 18, 0, 0, 0, time.UTC)), fmtID: 22}, want: "2024-03-31"},
		{name: "text YYYY-MM-DD", cell: "2024-03-31", want: "2024-03-31"},
		{name: "text YYYY-MM-DD with spaces around", cell: " 2024-03-31 ", want: "2024-03-31"},
		{name: "a plain number is a problem", cell: 45382, val: "45382", msg: "Expected a date like 2024-03-31 or a date-formatted cell, found the number 45382"},
		{name: "day/month/year text is a problem that says what was expected", cell: "31/03/2024", val: "31/03/2024", msg: `Expected a date like 2024-03-31 or a date-formatted cell, found "31/03/2024"`},
		{name: "a day that does not exist says so", cell: "2024-02-30", val: "2024-02-30", msg: `The date "2024-02-30" does not exist: February 2024 has 29 days.`},
		{name: "a day that does not exist in day/month/year text says so", cell: "31/02/2024", val: "31/02/2024", msg: `The date "31/02/2024" does not exist: February 2024 has 29 days.`},
		{name: "the 29th of February of a common year does not exist", cell: "2023-02-29", val: "2023-02-29", msg: `The date "2023-02-29" does not exist: February 2023 has 28 days.`},
		{name: "a month that does not exist says so", cell: "2024-13-01", val: "2024-13-01", msg: `The date "2024-13-01" does not exist: there is no month 13.`},
		{name: "a time-only cell is a problem", cell: clock(9, 0), val: "0.375", msg: "Expected a date like 2024-03-31"},
	} {
		rc := ruleCase{
			name: c.name, seed: true,
			book: oneEmployee(func(s *sheet) { s.set("H2", c.cell) }),
		}
		if c.want != "" {
			rc.check = func(t *testing.T, d *testDB, res importer.Result) {
				d.wantRows(t, "SELECT joining_date FROM employees WHERE employee_id = 'E9'", c.want)
			}
		} else {
			rc.problems = []problem{{"Employees", 2, "Joining Date", c.val, c.msg}}
		}
		cases = append(cases, rc)
	}
	runCases(t, openSQLite, cases)
}

func TestTimes(t *testing.T) {
	shift := func(start, end any) func() book {
		return func() book {
			return book{{name: "Schedules", rows: [][]any{
				{"Employee ID", "Date", "Shift Start", "Shift End"},
				{"E1", "2024-04-01", start, end},
			}}}
		}
	}
	stored := func(want string) func(t *testing.T, d *testDB, res importer.Result) {
		return func(t *testing.T, d *testDB, res importer.Result) {
			d.wantRows(t, "SELECT shift_start, shift_end FROM schedules WHERE date = '2024-04-01'", want)
		}
	}
	runCases(t, openSQLite, []ruleCase{
		{name: "time-formatted cells", seed: true, book: shift(clock(9, 0), clock(17, 30)), check: stored("09:00|17:30")},
		{name: "a cell with a custom time format", seed: true, book: shift(num{v: 0.375, code: "hh:mm"}, num{v: 0.75, code: "[h]:mm"}), check: stored("09:00|18:00")},
		{name: "text HH:MM and H:MM", seed: true, book: shift("09:00", "7:05"), check: stored("09:00|07:05")},
		{name: "a shift may end before it starts, overnight", seed: true, book: shift("22:00", clock(6, 0)), check: stored("22:00|06:00")},
		{name: "25:00 is a problem", seed: true, book: shift("25:00", "17:00"),
			problems: []problem{{"Schedules", 2, "Shift Start", "25:00", `Expected a time like 09:30 or a time-formatted cell, found "25:00"`}}},
		{name: "12-hour text is a problem", seed: true, book: shift("09:00", "5pm"),
			problems: []problem{{"Schedules", 2, "Shift End", "5pm", "Expected a time like 09:30"}}},
		{name: "a plain number is a problem", seed: true, book: shift(0.375, "17:00"),
			problems: []problem{{"Schedules", 2, "Shift Start", "0.375", "Expected a time like 09:30 or a time-formatted cell, found the number 0.375"}}},
		{name: "a date in a date column, a time in a time column", seed: true,
			book: func() book {
				return book{{name: "Schedules", rows: [][]any{
					{"Employee ID", "Date", "Shift Start", "Shift End"},
					{"E1", "09:00", "2024-04-01", "17:00"},
				}}}
			},
			problems: []problem{
				{"Schedules", 2, "Date", "09:00", "Expected a date"},
				{"Schedules", 2, "Shift Start", "2024-04-01", "Expected a time"},
			}},
	})
}

func TestEmails(t *testing.T) {
	cases := []ruleCase{{
		name: "a valid email is stored in lower case",
		seed: true,
		book: oneEmployee(func(s *sheet) { s.set("C2", " Dee.Fox@Example.COM ") }),
		check: func(t *testing.T, d *testDB, res importer.Result) {
			d.wantRows(t, "SELECT email FROM employees WHERE employee_id = 'E9'", "dee.fox@example.com")
		},
	}}
	for _, c := range []struct{ name, email string }{
		{"an email without @ is a problem", "dee.example.com"},
		{"an email with two @ is a problem", "dee@fox@example.com"},
		{"an email without a dot in its domain is a problem", "dee@example"},
		{"an email with an empty local part is a problem", "@example.com"},
	} {
		cases = append(cases, ruleCase{
			name: c.name, seed: true,
			book:     oneEmployee(func(s *sheet) { s.set("C2", c.email) }),
			problems: []problem{{"Employees", 2, "Email", c.email, "Expected an email address like name@example.com"}},
		})
	}
	runCases(t, openSQLite, cases)
}

// uniqueCases are the rules about unique values, which lean on the
// database's own constraints: they run on every database.
func uniqueCases() []ruleCase {
	emp := func(rows ...[]any) func() book {
		return func() book {
			return book{{name: "Employees", rows: append([][]any{
				{"Employee ID", "Full Name", "Email", "Department Code", "Designation Code"},
			}, rows...)}}
		}
	}
	drivers := func(rows ...[]any) func() book {
		return func() book {
			return book{{name: "Drivers", rows: append([][]any{{"Employee ID", "License No", "License Expiry"}}, rows...)}}
		}
	}
	emails := func(want ...string) func(t *testing.T, d *testDB, res importer.Result) {
		return func(t *testing.T, d *testDB, res importer.Result) {
			d.wantRows(t, "SELECT employee_id, email FROM employees", want...)
		}
	}
	licences := func(want ...string) func(t *testing.T, d *testDB, res importer.Result) {
		return func(t *testing.T, d *testDB, res importer.Result) {
			d.wantRows(t, "SELECT employee_id, license_no FROM drivers", want...)
		}
	}
	return []ruleCase{
		{
			name: "an email repeated in the workbook, in another case, is a problem naming the earlier row",
			seed: true,
			book: emp(
				[]any{"E8", "Dee Fox", "dee@example.com", "D1", "MGR"},
				[]any{"E9", "Eve Gold", "DEE@Example.com", "D1", "MGR"},
			),
			problems: []problem{{"Employees", 3, "Email", "dee@example.com", "is also on row 2"}},
		},
		{
			name:     "an email another employee has in the database is a problem",
			seed:     true,
			book:     emp([]any{"E9", "Dee Fox", "Ann@Example.com", "D1", "MGR"}),
			problems: []problem{{"Employees", 2, "Email", "ann@example.com", `already belongs to Employee ID "E1"`}},
		},
		{
			name: "an employee keeps their own email",
			seed: true,
			book: emp([]any{"E1", "Ann Lee-Smith", "ANN@example.com", "D1", "MGR"}),
			check: func(t *testing.T, d *testDB, res importer.Result) {
				wantSteps(t, res.Status, map[importer.StepKey]counts{importer.StepEmployees: {importer.StepDone, 1, 0, 1, 0, 0}})
				emails("E1|ann@example.com", "E2|bob@example.com", "E3|cy@example.com")(t, d, res)
			},
		},
		{
			name: "an email may move to a new employee when its old holder's row changes it",
			seed: true,
			book: emp(
				[]any{"E9", "Dee Fox", "ann@example.com", "D1", "MGR"},
				[]any{"E1", "Ann Lee", "ann.lee@example.com", "D1", "MGR"},
			),
			check: emails("E1|ann.lee@example.com", "E2|bob@example.com", "E3|cy@example.com", "E9|ann@example.com"),
		},
		{
			name: "an email may move to an existing employee when its old holder's row changes it",
			seed: true,
			book: emp(
				[]any{"E3", "Cy Dunn", "ann@example.com", "D2", "DRV"},
				[]any{"E1", "Ann Lee", "ann.lee@example.com", "D1", "MGR"},
			),
			check: emails("E1|ann.lee@example.com", "E2|bob@example.com", "E3|ann@example.com"),
		},
		{
			name: "an email may move to an employee listed before its old holder",
			seed: true,
			book: emp(
				[]any{"E1", "Ann Lee", "cy@example.com", "D1", "MGR"},
				[]any{"E3", "Cy Dunn", "cy.dunn@example.com", "D2", "DRV"},
			),
			check: emails("E1|cy@example.com", "E2|bob@example.com", "E3|cy.dunn@example.com"),
		},
		{
			name: "two employees may swap emails",
			seed: true,
			book: emp(
				[]any{"E1", "Ann Lee", "bob@example.com", "D1", "MGR"},
				[]any{"E2", "Bob Ray", "ann@example.com", "D2", "DRV"},
			),
			check: func(t *testing.T, d *testDB, res importer.Result) {
				wantSteps(t, res.Status, map[importer.StepKey]counts{importer.StepEmployees: {importer.StepDone, 2, 0, 2, 0, 0}})
				emails("E1|bob@example.com", "E2|ann@example.com", "E3|cy@example.com")(t, d, res)
			},
		},
		{
			name: "an email whose old holder keeps it in the workbook is a repeat",
			seed: true,
			book: emp(
				[]any{"E9", "Dee Fox", "ann@example.com", "D1", "MGR"},
				[]any{"E1", "Ann Lee", "ann@example.com", "D1", "MGR"},
			),
			problems: []problem{{"Employees", 3, "Email", "ann@example.com", "is also on row 2"}},
		},
		{
			name: "a licence number repeated in the workbook is a problem naming the earlier row",
			seed: true,
			book: drivers(
				[]any{"E1", "L-300", "2027-01-01"},
				[]any{"E2", "L-100", "2027-01-01"},
				[]any{"E3", "L-300", "2027-01-01"},
			),
			problems: []problem{{"Drivers", 4, "License No", "L-300", "is also on row 2"}},
		},
		{
			name:     "a licence number another driver has in the database is a problem",
			seed:     true,
			book:     drivers([]any{"E1", "L-200", "2027-01-01"}),
			problems: []problem{{"Drivers", 2, "License No", "L-200", `already belongs to Employee ID "E3"`}},
		},
		{
			name: "two drivers may swap licence numbers",
			seed: true,
			book: drivers(
				[]any{"E2", "L-200", "2026-12-31"},
				[]any{"E3", "L-100", "2027-06-30"},
			),
			check: licences("E2|L-200", "E3|L-100"),
		},
	}
}

func TestUniqueValues(t *testing.T) { runCases(t, openSQLite, uniqueCases()) }

func TestSeats(t *testing.T) {
	car := func(seats any) func() book {
		return func() book {
			return book{{name: "Car Assignments", rows: [][]any{
				{"Plate No", "Seats", "Driver Employee ID"},
				{"P-9", seats, "E2"},
			}}}
		}
	}
	var cases []ruleCase
	for _, c := range []struct {
		name string
		cell any
		want string
	}{
		{"1 seat", 1, "1"},
		{"99 seats", 99, "99"},
		{"seats typed as text", "12", "12"},
		{"a whole number written as a float", 5.0, "5"},
	} {
		cases = append(cases, ruleCase{name: c.name, seed: true, book: car(c.cell),
			check: func(t *testing.T, d *testDB, res importer.Result) {
				d.wantRows(t, "SELECT seats FROM car_assignments WHERE plate_no = 'P-9'", c.want)
			}})
	}
	for _, c := range []struct {
		name string
		cell any
		val  string
	}{
		{"0 seats is a problem", 0, "0"},
		{"100 seats is a problem", 100, "100"},
		{"2.5 seats is a problem", 2.5, "2.5"},
		{"four in words is a problem", "four", "four"},
		{"a negative number is a problem", -3, "-3"},
	} {
		cases = append(cases, ruleCase{name: c.name, seed: true, book: car(c.cell),
			problems: []problem{{"Car Assignments", 2, "Seats", c.val, "Expected a whole number of seats from 1 to 99"}}})
	}
	runCases(t, openSQLite, cases)
}

// ---------------------------------------------------------------------------
// References and keys

func TestReferences(t *testing.T) { runCases(t, openSQLite, referenceCases()) }

func referenceCases() []ruleCase {
	sheetOf := func(name string, rows ...[]any) *sheet { return &sheet{name: name, rows: rows} }
	return []ruleCase{
		{
			name: "a department's area must exist",
			seed: true,
			book: func() book {
				return book{sheetOf("Departments", []any{"Code", "Name", "Area Code"}, []any{"D9", "Legal", "X"})}
			},
			problems: []problem{{"Departments", 2, "Area Code", "X", `Area Code "X" is not in the Areas sheet and not yet in Roster; add it there or correct the value`}},
		},
		{
			name: "a department's area may be in the same workbook",
			book: func() book {
				return book{
					sheetOf("Areas", []any{"Code", "Name"}, []any{"W", "West"}),
					sheetOf("Departments", []any{"Code", "Name", "Area Code"}, []any{"D9", "Legal", "W"}),
				}
			},
			check: func(t *testing.T, d *testDB, res importer.Result) {
				d.wantRows(t, selectAll("departments"), "D9|Legal|W")
			},
		},
		{
			name: "a department's area may already be in the database",
			seed: true,
			book: func() book {
				return book{sheetOf("Departments", []any{"Code", "Name", "Area Code"}, []any{"D9", "Legal", "S"})}
			},
			check: func(t *testing.T, d *testDB, res importer.Result) {
				d.wantRows(t, selectAll("departments")+" WHERE code = 'D9'", "D9|Legal|S")
			},
		},
		{
			name: "an employee's department, designation and area must exist",
			seed: true,
			book: oneEmployee(func(s *sheet) {
				s.set("E2", "D9")
				s.set("F2", "CEO")
				s.set("G2", "X")
			}),
			problems: []problem{
				{"Employees", 2, "Department Code", "D9", "is not in the Departments sheet"},
				{"Employees", 2, "Designation Code", "CEO", "is not in the Designations sheet"},
				{"Employees", 2, "Area Code", "X", "is not in the Areas sheet"},
			},
		},
		{
			name: "an employee may refer to what the same workbook and the database hold",
			seed: true,
			book: func() book {
				b := oneEmployee(func(s *sheet) {
					s.set("E2", "D9")  // in this workbook
					s.set("F2", "DRV") // in the database
					s.set("G2", "W")   // in this workbook
				})()
				return append(book{
					sheetOf("Areas", []any{"Code", "Name"}, []any{"W", "West"}),
					sheetOf("Departments", []any{"Code", "Name"}, []any{"D9", "Legal"}),
				}, b...)
			},
			check: func(t *testing.T, d *testDB, res importer.Result) {
				d.wantRows(t, "SELECT department_code, designation_code, area_code FROM employees WHERE employee_id = 'E9'", "D9|DRV|W")
			},
		},
		{
			name: "a schedule's employee must exist",
			seed: true,
			book: func() book {
				return book{sheetOf("Schedules", []any{"Employee ID", "Date", "Shift Start", "Shift End"},
					[]any{"E1", "2024-04-01", "09:00", "17:00"},
					[]any{"E99", "2024-04-01", "09:00", "17:00"})}
			},
			problems: []problem{{"Schedules", 3, "Employee ID", "E99", `Employee ID "E99" is not in the Employees sheet`}},
		},
		{
			name: "a driver's employee must exist",
			seed: true,
			book: func() book {
				return book{sheetOf("Drivers", []any{"Employee ID", "License No", "License Expiry"},
					[]any{"E99", "L-900", "2027-01-01"})}
			},
			problems: []problem{{"Drivers", 2, "Employee ID", "E99", "is not in the Employees sheet"}},
		},
		{
			// The reader finds most references among the workbook's own
			// keys; the database still settles the rest, both ways.
			name: "a sheet may refer to the same workbook and the database at once, and only what is in neither is a problem",
			seed: true,
			book: func() book {
				b := oneEmployee(func(s *sheet) {})()
				return append(b, sheetOf("Schedules", []any{"Employee ID", "Date", "Shift Start", "Shift End"},
					[]any{"E9", "2024-04-01", "09:00", "17:00"},  // in this workbook
					[]any{"E1", "2024-04-01", "09:00", "17:00"},  // in the database
					[]any{"E99", "2024-04-01", "09:00", "17:00"}, // in neither
					[]any{"E9", "2024-04-02", "09:00", "17:00"}))
			},
			problems: []problem{{"Schedules", 4, "Employee ID", "E99", `Employee ID "E99" is not in the Employees sheet`}},
		},
		{
			name: "a car's driver must be a driver, not only an employee",
			seed: true,
			book: func() book {
				return book{sheetOf("Car Assignments", []any{"Plate No", "Driver Employee ID"},
					[]any{"P-9", "E1"},
					[]any{"P-8", "E3"})}
			},
			problems: []problem{{"Car Assignments", 2, "Driver Employee ID", "E1", "is not in the Drivers sheet"}},
		},
		{
			name: "a row with errors still defines its key, so rows that refer to it are not problems too",
			seed: true,
			book: func() book {
				b := oneEmployee(func(s *sheet) { s.set("C2", "not an email") })()
				return append(b,
					sheetOf("Schedules", []any{"Employee ID", "Date", "Shift Start", "Shift End"},
						[]any{"E9", "2024-04-01", "09:00", "17:00"},
						[]any{"E9", "2024-04-02", "09:00", "17:00"},
						[]any{"E9", "2024-04-03", "09:00", "17:00"}),
					sheetOf("Drivers", []any{"Employee ID", "License No", "License Expiry"},
						[]any{"E9", "L-900", "not a date"}),
					sheetOf("Car Assignments", []any{"Plate No", "Driver Employee ID"},
						[]any{"P-9", "E9"}),
				)
			},
			problems: []problem{
				{"Employees", 2, "Email", "not an email", "Expected an email address"},
				{"Drivers", 2, "License Expiry", "not a date", "Expected a date"},
			},
		},
	}
}

func TestRepeatedKeys(t *testing.T) { runCases(t, openSQLite, repeatedKeyCases()) }

// TestChecksDoneInTheDatabase: a sheet whose distinct keys and values
// would take more memory than the import allows is checked in the
// database instead, and its references looked up there, with the same
// findings.
func TestChecksDoneInTheDatabase(t *testing.T) {
	old := importer.CheckMemory
	importer.CheckMemory = 1
	t.Cleanup(func() { importer.CheckMemory = old })
	runCases(t, openSQLite, repeatedKeyCases())
	runCases(t, openSQLite, uniqueCases())
	runCases(t, openSQLite, referenceCases())
}

func repeatedKeyCases() []ruleCase {
	return []ruleCase{
		{
			name: "a repeated code is a problem on the later row, naming the earlier row",
			book: func() book {
				return book{{name: "Areas", rows: [][]any{
					{"Code", "Name"}, {"N", "North"}, {"S", "South"}, {"N", "Northern"}, {"N", "Far North"},
				}}}
			},
			problems: []problem{
				{"Areas", 4, "Code", "N", `Code "N" is repeated: row 2 already has it`},
				{"Areas", 5, "Code", "N", `Code "N" is repeated: row 2 already has it`},
			},
		},
		{
			name: "codes that differ only in case or leading zeros are different keys",
			book: func() book {
				return book{{name: "Areas", rows: [][]any{
					{"Code", "Name"}, {"n", "north"}, {"N", "North"}, {"07", "Seven"}, {"7", "seven"},
				}}}
			},
			check: func(t *testing.T, d *testDB, res importer.Result) {
				d.wantRows(t, "SELECT code FROM areas", "n", "N", "07", "7")
			},
		},
		{
			name: "a repeated employee ID is a problem",
			seed: true,
			book: oneEmployee(func(s *sheet) {
				s.add("E9", "Dee Fox", "dee.fox@example.com", nil, "D1", "MGR")
			}),
			problems: []problem{{"Employees", 3, "Employee ID", "E9", `Employee ID "E9" is repeated: row 2 already has it`}},
		},
		{
			name: "a repeated schedule (employee, date and start) is a problem",
			seed: true,
			book: func() book {
				return book{{name: "Schedules", rows: [][]any{
					{"Employee ID", "Date", "Shift Start", "Shift End"},
					{"E1", "2024-04-01", "09:00", "17:00"},
					{"E1", "2024-04-01", "13:00", "17:00"},         // another start: fine
					{"E1", "2024-04-02", "09:00", "17:00"},         // another date: fine
					{"E2", "2024-04-01", "09:00", "17:00"},         // another employee: fine
					{"E1", date(2024, 4, 1), clock(9, 0), "18:00"}, // the same key, typed differently
				}}}
			},
			problems: []problem{{"Schedules", 6, "Employee ID", "E1 / 2024-04-01 / 09:00",
				`Employee ID + Date + Shift Start "E1 / 2024-04-01 / 09:00" is repeated: row 2 already has it`}},
		},
		{
			name: "a repeated plate is a problem",
			seed: true,
			book: func() book {
				return book{{name: "Car Assignments", rows: [][]any{
					{"Plate No", "Driver Employee ID"}, {"P-1", "E2"}, {"P-1", "E3"},
				}}}
			},
			problems: []problem{{"Car Assignments", 3, "Plate No", "P-1", "row 2 already has it"}},
		},
	}
}

// ---------------------------------------------------------------------------
// Formulas, errors, merged cells

func TestFormulasErrorsAndMergedCells(t *testing.T) {
	areas := func(rows ...[]any) func() book {
		return func() book { return book{{name: "Areas", rows: append([][]any{{"Code", "Name"}}, rows...)}} }
	}
	runCases(t, openSQLite, []ruleCase{
		{
			name: "a formula counts by its saved result",
			book: areas(
				[]any{raw{`t="str"`, `<f>"N"&amp;""</f><v>N</v>`}, raw{`t="str"`, `<f>PROPER("north")</f><v>North</v>`}},
				[]any{raw{``, `<f>40+2</f><v>42</v>`}, "Forty-two"},
				[]any{raw{`s="0"`, `<f>7</f><v>7</v>`}, raw{`t="b"`, `<f>TRUE()</f><v>1</v>`}},
			),
			check: func(t *testing.T, d *testDB, res importer.Result) {
				d.wantRows(t, selectAll("areas"), "N|North", "42|Forty-two", "7|TRUE")
			},
		},
		{
			name: "a cell showing an error is a problem",
			book: areas(
				[]any{"N", raw{`t="e"`, `<f>VLOOKUP("x",B:B,2,FALSE)</f><v>#N/A</v>`}},
				[]any{raw{`t="e"`, `<f>1/0</f><v>#DIV/0!</v>`}, "South"},
				[]any{"W", raw{`t="e"`, `<v>#REF!</v>`}},
			),
			problems: []problem{
				{"Areas", 2, "Name", "#N/A", "The cell shows the error #N/A"},
				{"Areas", 3, "Code", "#DIV/0!", "The cell shows the error #DIV/0!"},
				{"Areas", 4, "Name", "#REF!", "The cell shows the error #REF!"},
			},
		},
		{
			name: "an error in a date, time or seats column is a problem",
			seed: true,
			book: func() book {
				return book{
					{name: "Schedules", rows: [][]any{
						{"Employee ID", "Date", "Shift Start", "Shift End"},
						{"E1", raw{`t="e"`, `<v>#VALUE!</v>`}, raw{`t="e"`, `<v>#NAME?</v>`}, "17:00"},
					}},
					{name: "Car Assignments", rows: [][]any{
						{"Plate No", "Seats", "Driver Employee ID"},
						{"P-9", raw{`t="e"`, `<v>#NUM!</v>`}, "E2"},
					}},
				}
			},
			problems: []problem{
				{"Schedules", 2, "Date", "#VALUE!", "#VALUE!"},
				{"Schedules", 2, "Shift Start", "#NAME?", "#NAME?"},
				{"Car Assignments", 2, "Seats", "#NUM!", "#NUM!"},
			},
		},
		{
			name: "a formula with no saved result is a problem",
			book: areas(
				[]any{"N", noResult(`PROPER("north")`)},
				[]any{raw{`t="str"`, `<f>"S"</f>`}, "South"},
			),
			problems: []problem{
				{"Areas", 2, "Name", "", "The formula has no saved result"},
				{"Areas", 3, "Code", "", "The formula has no saved result"},
			},
		},
		{
			name: "a merged range in the data area is a problem",
			book: func() book {
				return book{{name: "Areas", merged: []string{"A3:B3"}, rows: [][]any{
					{"Code", "Name"}, {"N", "North"}, {"S", "South"},
				}}}
			},
			problems: []problem{
				{"Areas", 3, "Code", "", "Cells A3:B3 are merged"},
				// Merging keeps only the first cell's value, in Excel as in excelize.
				{"Areas", 3, "Name", "", "Name is required"},
			},
		},
		{
			name: "merged cells above the header row are not a problem",
			book: func() book {
				return book{{name: "Areas", merged: []string{"A1:B1"}, rows: [][]any{
					nil, {"Code", "Name"}, {"N", "North"},
				}}}
			},
			check: func(t *testing.T, d *testDB, res importer.Result) {
				d.wantRows(t, selectAll("areas"), "N|North")
			},
		},
	})
}

// ---------------------------------------------------------------------------
// Outcome

func TestAllOrNothing(t *testing.T) { testAllOrNothing(t, openSQLite) }
func TestRoundTrip(t *testing.T)    { testRoundTrip(t, openSQLite) }

// changed is base with a change in every sheet: something to write.
func changed() book {
	b := base()
	b.sheet("Areas").add("W", "West")
	b.sheet("Departments").set("B3", "Ops")
	b.sheet("Designations").add("CEO", "Chief")
	b.sheet("Employees").set("D4", "555-0103")
	b.sheet("Schedules").set("D2", "18:00")
	b.sheet("Drivers").set("C3", "2028-06-30")
	b.sheet("Car Assignments").set("C3", 7)
	return b
}

func testAllOrNothing(t *testing.T, open opener) {
	t.Run("one bad cell in the last sheet writes nothing", func(t *testing.T) {
		t.Parallel()
		d := open(t)
		importOK(t, d, base())
		before := d.dump(t)
		b := changed()
		b.sheet("Car Assignments").set("C2", "four")
		res := importBook(t, d, b)
		if res.Status.State != importer.Failed || res.Status.Problems != 1 || !strings.Contains(res.Status.Error, "nothing was saved") {
			t.Errorf("status %s, %d problems, error %q; want failed, 1 problem, nothing saved", res.Status.State, res.Status.Problems, res.Status.Error)
		}
		wantProblems(t, res.Problems, problem{"Car Assignments", 2, "Seats", "four", "Expected a whole number of seats"})
		if after := d.dump(t); after != before {
			t.Errorf("the database changed:\nbefore:\n%s\nafter:\n%s", before, after)
		}
		want := allSteps(func(n int) counts { return counts{state: importer.StepDone, rows: n} })
		want[importer.StepAreas] = counts{state: importer.StepDone, rows: 3}
		want[importer.StepDesignations] = counts{state: importer.StepDone, rows: 3}
		want[importer.StepCarAssignments] = counts{importer.StepFailed, 2, 0, 0, 0, 1}
		wantSteps(t, res.Status, want)
	})
	t.Run("every sheet is checked and all problems are reported together", func(t *testing.T) {
		t.Parallel()
		d := open(t)
		before := d.dump(t)
		b := base()
		b.sheet("Areas").set("B3", nil)
		b.sheet("Employees").set("C3", "bob")
		b.sheet("Schedules").set("C4", "25:00")
		b.sheet("Drivers").set("B3", "L-100")
		b.sheet("Car Assignments").set("C2", 2.5)
		res := importBook(t, d, b)
		if res.Status.State != importer.Failed || res.Status.Problems != 5 {
			t.Errorf("status %s with %d problems, want failed with 5", res.Status.State, res.Status.Problems)
		}
		want := []problem{
			{"Areas", 3, "Name", "", "Name is required"},
			{"Employees", 3, "Email", "bob", "Expected an email address"},
			{"Schedules", 4, "Shift Start", "25:00", "Expected a time"},
			{"Drivers", 3, "License No", "L-100", "is also on row 2"},
			{"Car Assignments", 2, "Seats", "2.5", "Expected a whole number of seats"},
		}
		wantProblems(t, res.Problems, want...)
		for i := range min(len(want), len(res.Problems)) { // in the order a user fixes them
			if !want[i].matches(res.Problems[i]) {
				t.Errorf("problem %d is %+v, want %+v", i, res.Problems[i], want[i])
			}
		}
		for _, k := range []importer.StepKey{importer.StepAreas, importer.StepEmployees, importer.StepSchedules, importer.StepDrivers, importer.StepCarAssignments} {
			if s := res.Status.Step(k); s.State != importer.StepFailed || s.Problems != 1 {
				t.Errorf("step %s: %s with %d problems, want failed with 1", k, s.State, s.Problems)
			}
		}
		if after := d.dump(t); after != before {
			t.Errorf("the database changed:\n%s", after)
		}
	})
}

func testRoundTrip(t *testing.T, open opener) {
	t.Parallel()
	d := open(t)

	res := importOK(t, d, base())
	wantSteps(t, res.Status, allSteps(func(n int) counts { return counts{importer.StepDone, n, n, 0, 0, 0} }))
	if got := d.dump(t); got != baseDump {
		t.Fatalf("after the first import:\n%s\nwant:\n%s", got, baseDump)
	}

	res = importOK(t, d, base())
	wantSteps(t, res.Status, allSteps(func(n int) counts { return counts{importer.StepDone, n, 0, 0, n, 0} }))
	if got := d.dump(t); got != baseDump {
		t.Fatalf("after the same workbook again:\n%s\nwant:\n%s", got, baseDump)
	}

	res = importOK(t, d, changed())
	wantSteps(t, res.Status, map[importer.StepKey]counts{
		importer.StepAreas:          {importer.StepDone, 3, 1, 0, 2, 0},
		importer.StepDepartments:    {importer.StepDone, 2, 0, 1, 1, 0},
		importer.StepDesignations:   {importer.StepDone, 3, 1, 0, 2, 0},
		importer.StepEmployees:      {importer.StepDone, 3, 0, 1, 2, 0},
		importer.StepSchedules:      {importer.StepDone, 3, 0, 1, 2, 0},
		importer.StepDrivers:        {importer.StepDone, 2, 0, 1, 1, 0},
		importer.StepCarAssignments: {importer.StepDone, 2, 0, 1, 1, 0},
	})
	d.wantRows(t, selectAll("areas"), "N|North", "S|South", "W|West")
	d.wantRows(t, selectAll("departments")+" WHERE code = 'D2'", "D2|Ops|S")
	d.wantRows(t, "SELECT phone FROM employees WHERE employee_id = 'E3'", "555-0103")
	d.wantRows(t, "SELECT shift_end FROM schedules WHERE employee_id = 'E1'", "18:00")
	d.wantRows(t, "SELECT license_expiry FROM drivers WHERE employee_id = 'E3'", "2028-06-30")
	d.wantRows(t, "SELECT seats FROM car_assignments WHERE plate_no = 'P-2'", "7")

	// A cell emptied is a change too.
	b := changed()
	b.sheet("Car Assignments").set("C3", nil)
	res = importOK(t, d, b)
	wantSteps(t, res.Status, map[importer.StepKey]counts{
		importer.StepCarAssignments: {importer.StepDone, 2, 0, 1, 1, 0},
		importer.StepEmployees:      {importer.StepDone, 3, 0, 0, 3, 0},
	})
	d.wantRows(t, "SELECT seats FROM car_assignments WHERE plate_no = 'P-2'", "NULL")
}

func TestCancel(t *testing.T) { testCancel(t, openSQLite) }

// testCancel cancels an import while it stages employees: on PostgreSQL,
// in the middle of their COPY.
func testCancel(t *testing.T, open opener) {
	for _, c := range []struct {
		name string
		when func(importer.Step) bool
	}{
		{"cancelled when the employees step starts", func(s importer.Step) bool { return s.State == importer.StepRunning }},
		{"cancelled after the first batch of employees", func(s importer.Step) bool { return s.State == importer.StepRunning && s.Rows > 0 }},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			d := open(t)
			importOK(t, d, base())
			before := d.dump(t)

			b := changed() // areas to designations have changes the cancel must undo
			emp := b.sheet("Employees")
			for i := range 5000 {
				id := fmt.Sprintf("E%d", 1000+i)
				emp.add(id, "Person "+id, strings.ToLower(id)+"@example.com", nil, "D1", "MGR", "N", "2024-01-01")
			}
			path := b.write(t)

			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			var seen []importer.StepKey // steps at work when the import was cancelled
			res := importPath(t, ctx, d, path, func(st importer.Status) {
				if ctx.Err() == nil && c.when(st.Step(importer.StepEmployees)) {
					cancel()
					for _, s := range st.Steps {
						// The sheets checked before wait, running, to be saved.
						if s.State == importer.StepRunning && s.Phase != importer.PhaseChecked {
							seen = append(seen, s.Key)
						}
					}
				}
			})
			if !slices.Equal(seen, []importer.StepKey{importer.StepEmployees}) {
				t.Fatalf("cancelled while %v ran, want employees", seen)
			}
			if res.Status.State != importer.Cancelled || !strings.Contains(res.Status.Error, "cancelled") {
				t.Errorf("status %s (%q), want cancelled", res.Status.State, res.Status.Error)
			}
			if res.Status.Problems != 0 {
				t.Errorf("%d problems, want none:\n%s", res.Status.Problems, listProblems(res.Problems))
			}
			for _, s := range res.Status.Steps {
				if s.Created+s.Updated+s.Unchanged != 0 {
					t.Errorf("step %s claims %d created, %d updated, %d unchanged", s.Key, s.Created, s.Updated, s.Unchanged)
				}
				if s.Key != importer.StepAreas && s.Key != importer.StepDepartments && s.Key != importer.StepDesignations &&
					s.State != importer.StepCancelled {
					t.Errorf("step %s is %s, want cancelled", s.Key, s.State)
				}
			}
			if after := d.dump(t); after != before {
				t.Errorf("a cancelled import changed the database:\n%s", after)
			}
			// Nothing was left holding the database.
			res = importOK(t, d, base())
			wantSteps(t, res.Status, allSteps(func(n int) counts { return counts{importer.StepDone, n, 0, 0, n, 0} }))
		})
	}
}

// ---------------------------------------------------------------------------
// PostgreSQL

func TestPostgres(t *testing.T) {
	if os.Getenv("TEST_DATABASE_URL") == "" {
		t.Skip("TEST_DATABASE_URL not set; set it to a PostgreSQL URL (postgres://user@host:5432/db?sslmode=disable) to run the PostgreSQL tests")
	}
	t.Run("all or nothing", func(t *testing.T) { testAllOrNothing(t, openPostgres) })
	t.Run("round trip", func(t *testing.T) { testRoundTrip(t, openPostgres) })
	t.Run("unique values", func(t *testing.T) { runCases(t, openPostgres, uniqueCases()) })
	t.Run("text the database refuses", func(t *testing.T) { testTextTheDatabaseRefuses(t, openPostgres) })
	t.Run("hostile workbooks stay small", func(t *testing.T) { testHostileWorkbooksStaySmall(t, openPostgres) })
	t.Run("cancel", func(t *testing.T) { testCancel(t, openPostgres) })
}

// TestEverySheetIsCountedBeforeAnyIsRead: the first status that shows a
// step running already knows how many rows every sheet has, so the page
// can estimate the whole import from the start (issue 9: 4).
func TestEverySheetIsCountedBeforeAnyIsRead(t *testing.T) {
	d := openSQLite(t)
	var first *importer.Status
	importPath(t, t.Context(), d, base().write(t), func(st importer.Status) {
		if first == nil && st.Step(importer.StepAreas).State == importer.StepRunning {
			first = &st
		}
	})
	if first == nil {
		t.Fatal("no status showed the areas running")
	}
	for key, want := range baseRows {
		if got := first.Step(key).Total; got != want {
			t.Errorf("when the areas started, %s had a total of %d rows, want %d", key, got, want)
		}
	}
}

// TestMissingSheetsAreSkippedFromTheStart: a step whose sheet the
// workbook lacks is skipped in the first status that shows anything
// running, not in a report of its own later: watchers learn it with
// the rest (issue 12: 5, a thousand watchers woken once, not six times).
func TestMissingSheetsAreSkippedFromTheStart(t *testing.T) {
	d := openSQLite(t)
	var first *importer.Status
	importPath(t, t.Context(), d, base().only("Areas", "Designations").write(t), func(st importer.Status) {
		if first == nil && st.Step(importer.StepAreas).State == importer.StepRunning {
			first = &st
		}
	})
	if first == nil {
		t.Fatal("no status showed the areas running")
	}
	for _, key := range []importer.StepKey{importer.StepDepartments, importer.StepEmployees, importer.StepSchedules, importer.StepDrivers, importer.StepCarAssignments} {
		if got := first.Step(key).State; got != importer.StepSkipped {
			t.Errorf("when the areas started, %s was %s, want skipped", key, got)
		}
	}
}
