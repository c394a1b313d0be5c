package importer_test

// Workbooks built to make Roster quote one huge value many times: what it
// keeps and reports of them must stay small (contract 3: a cell holds at
// most 32,767 characters, values quoted anywhere are cut at 200).

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"roster/importer"
	"roster/importer/store/storetest"
	"roster/internal/rawxlsx"
)

func TestHostileWorkbooksStaySmall(t *testing.T) { testHostileWorkbooksStaySmall(t, openSQLite) }

// writeRaw saves a hand-built workbook in a temporary directory.
func writeRaw(t testing.TB, b rawxlsx.Book) string {
	t.Helper()
	body, err := b.Bytes()
	noErr(t, err)
	path := filepath.Join(t.TempDir(), "hostile.xlsx")
	noErr(t, os.WriteFile(path, body, 0o644))
	return path
}

// bigEmails is one shared string of 1 MiB, an email address as far as
// its form goes, used as the Email of 500 employees: a 15 KB upload.
func bigEmails(t testing.TB) string {
	t.Helper()
	rows := [][]any{{"Employee ID", "Full Name", "Email", "Department Code", "Designation Code"}}
	for i := range 500 {
		rows = append(rows, []any{fmt.Sprintf("X%d", i), "Person", rawxlsx.Shared(0), "D1", "MGR"})
	}
	return writeRaw(t, rawxlsx.Book{
		Sheets: []rawxlsx.Sheet{{Name: "Employees", Rows: rows}},
		Shared: []string{strings.Repeat("a", 1<<20) + "@example.com"},
	})
}

// wideHeader is a header row of 16,382 unknown columns after Code and
// Name, every one the same shared string of 64 KiB.
func wideHeader(t testing.TB) string {
	t.Helper()
	header := []any{"Code", "Name"}
	for len(header) < 16_384 {
		header = append(header, rawxlsx.Shared(0))
	}
	return writeRaw(t, rawxlsx.Book{
		Sheets: []rawxlsx.Sheet{{Name: "Areas", Rows: [][]any{header, {"W", "West"}}}},
		Shared: []string{strings.Repeat("h", 64<<10)},
	})
}

func testHostileWorkbooksStaySmall(t *testing.T, open opener) {
	runCases(t, open, []ruleCase{
		reportedCase(ruleCase{
			name:     "a cell of 40,000 characters is a problem naming its sheet, row and column",
			book:     with("Areas", "B2", inline(strings.Repeat("x", 40_000))),
			problems: []problem{{"Areas", 2, "Name", strings.Repeat("x", 200) + "…", "holds 40,000 characters, more than the 32,767"}},
		}),
		reportedCase(ruleCase{
			name:     "characters are counted as Excel counts them, in UTF-16 units",
			book:     with("Areas", "B2", inline(strings.Repeat("😀", 16_384))),
			problems: []problem{{"Areas", 2, "Name", strings.Repeat("😀", 200) + "…", "holds 32,768 characters"}},
		}),
		{
			name: "a cell of 32,767 characters is whole",
			seed: true,
			book: with("Areas", "B2", inline(strings.Repeat("é", 32_767))),
			check: func(t *testing.T, d *testDB, res importer.Result) {
				d.wantRows(t, "SELECT name FROM areas WHERE code = 'N'", strings.Repeat("é", 32_767))
			},
		},
	})
	t.Run("one 1 MiB string as the Email of 500 rows", func(t *testing.T) {
		t.Parallel()
		d := open(t)
		importOK(t, d, base())
		before := d.dump(t)
		res := importPath(t, t.Context(), d, bigEmails(t), nil)
		if res.Status.State != importer.Failed || res.Status.Problems != 500 {
			t.Fatalf("import %s with %d problems, want failed with 500", res.Status.State, res.Status.Problems)
		}
		for _, p := range res.Problems {
			if p.Sheet != "Employees" || p.Column != "Email" || !strings.Contains(p.Message, "1,048,588 characters") {
				t.Fatalf("problem %s row %d [%s]: %.300s; want the Email's length", p.Sheet, p.Row, p.Column, p.Message)
			}
		}
		wantSmall(t, res)
		if after := d.dump(t); after != before {
			t.Errorf("a failed import changed the database")
		}
		if kept := keep(t, d, res); len(kept) != 500 {
			t.Errorf("the store kept %d problems of 500", len(kept))
		}
	})
	t.Run("16,382 header cells of one 64 KiB string", func(t *testing.T) {
		t.Parallel()
		d := open(t)
		res := importPath(t, t.Context(), d, wideHeader(t), nil)
		if res.Status.State != importer.Succeeded {
			t.Fatalf("import %s (%s), want succeeded: unknown columns are ignored", res.Status.State, res.Status.Error)
		}
		if len(res.Status.Warnings) == 0 {
			t.Fatal("no warning about the unknown columns")
		}
		for _, w := range res.Status.Warnings {
			if n := utf8.RuneCountInString(w); n > 2*importer.MaxQuoted {
				t.Fatalf("a warning of %d characters: %.300s…", n, w)
			}
		}
		if n, all := len(res.Status.Warnings), res.Status.WarningCount; n != importer.MaxWarnings || all != 16_382 {
			t.Errorf("%d warnings kept of %d, want %d of 16,382", n, all, importer.MaxWarnings)
		}
		d.wantRows(t, selectAll("areas"), "W|West")
	})
}

// wantSmall checks what a failed import keeps and reports: every problem
// showable with its value cut, each message short, and the whole small
// enough to list, save and send.
func wantSmall(t *testing.T, res importer.Result) {
	t.Helper()
	for _, p := range res.Problems {
		wantShowable(t, p)
		if len(p.Message) > 1000 {
			t.Fatalf("problem %s row %d [%s] has a message of %d bytes: %.300s…", p.Sheet, p.Row, p.Column, len(p.Message), p.Message)
		}
	}
	problems, err := json.Marshal(res.Problems)
	noErr(t, err)
	status, err := json.Marshal(res.Status)
	noErr(t, err)
	if len(problems) > 1000*len(res.Problems) || len(status) > 50_000 {
		t.Errorf("%d problems take %d bytes of JSON and the status %d", len(res.Problems), len(problems), len(status))
	}
}

// BenchmarkHostile imports the hostile workbooks; with -benchmem it says
// what one import of each allocates.
func BenchmarkHostile(b *testing.B) {
	for _, c := range []struct {
		name string
		path func(testing.TB) string
	}{
		{"1MiB-email-x500", bigEmails},
		{"16382-headers-of-64KiB", wideHeader},
	} {
		b.Run(c.name, func(b *testing.B) {
			path := c.path(b)
			for b.Loop() {
				b.StopTimer()
				st, _ := storetest.SQLite(b)
				b.StartTimer()
				if _, err := importer.Import(b.Context(), st, path, importer.NewStatus("bench", "hostile.xlsx", time.Now()), nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// junkColumns is every sheet with its columns, then unknown columns up to
// the last one a sheet may have.
func junkColumns(t testing.TB) string {
	t.Helper()
	var sheets []rawxlsx.Sheet
	for _, sh := range importer.Sheets {
		var header []any
		for _, c := range sh.Columns {
			header = append(header, c.Header)
		}
		for len(header) < 16_384 {
			header = append(header, fmt.Sprintf("Junk %d", len(header)))
		}
		sheets = append(sheets, rawxlsx.Sheet{Name: sh.Name, Rows: [][]any{header}})
	}
	return writeRaw(t, rawxlsx.Book{Sheets: sheets})
}

func TestWarningsAreCountedAndTheFirstKept(t *testing.T) {
	d := openSQLite(t)
	res := importPath(t, t.Context(), d, junkColumns(t), nil)
	if res.Status.State != importer.Succeeded {
		t.Fatalf("import %s (%s), want succeeded: unknown columns are ignored", res.Status.State, res.Status.Error)
	}
	if n, all := len(res.Status.Warnings), res.Status.WarningCount; n != importer.MaxWarnings || all != 114_661 {
		t.Errorf("%d warnings kept of %d, want %d of 114,661", n, all, importer.MaxWarnings)
	}
	wantWarnings(t, res.Status.Warnings[:2], `Sheet "Areas": column "Junk 2" (C)`, `Sheet "Areas": column "Junk 3" (D)`)
	status, err := json.Marshal(res.Status)
	noErr(t, err)
	if len(status) > 50_000 {
		t.Errorf("the status takes %d bytes of JSON", len(status))
	}
}

// TestEveryRepeatIsCounted: a sheet that repeats one key on every row
// has a problem on every row but the first; past MaxProblems they are
// counted, not kept.
func TestEveryRepeatIsCounted(t *testing.T) {
	rows := [][]any{{"Code", "Name"}}
	for range importer.MaxProblems + 3 {
		rows = append(rows, []any{"N", "North"})
	}
	path := writeRaw(t, rawxlsx.Book{Sheets: []rawxlsx.Sheet{{Name: "Areas", Rows: rows}}})
	res := importPath(t, t.Context(), openSQLite(t), path, nil)
	if got, want := res.Status.Problems, importer.MaxProblems+2; got != want {
		t.Errorf("%d problems counted, want %d", got, want)
	}
	if len(res.Problems) != importer.MaxProblems {
		t.Errorf("%d problems kept, want %d", len(res.Problems), importer.MaxProblems)
	}
	if p := res.Problems[len(res.Problems)-1]; p.Row != importer.MaxProblems+2 || !strings.Contains(p.Message, "row 2 already has it") {
		t.Errorf("last problem kept: %+v", p)
	}
}
