package importer_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"roster/importer"
	"roster/importer/store"
	"roster/importer/store/storetest"
	"roster/importer/workbooks"
)

// sampleFiles caches generated workbooks across benchmarks of one run,
// by their options.
var sampleFiles sync.Map

// samplePath writes (once per run) a sample workbook of n employees.
func samplePath(b *testing.B, n int) string {
	return sampleWith(b, workbooks.SampleOptions{Employees: n, Seed: 1})
}

func sampleWith(b *testing.B, o workbooks.SampleOptions) string {
	b.Helper()
	if p, ok := sampleFiles.Load(o); ok {
		return p.(string)
	}
	dir, err := os.MkdirTemp("", "roster-bench")
	if err != nil {
		b.Fatal(err)
	}
	p := filepath.Join(dir, fmt.Sprintf("sample-%d-%v.xlsx", o.Employees, o.SharedStrings))
	f, err := os.Create(p)
	if err != nil {
		b.Fatal(err)
	}
	if err := workbooks.WriteSample(f, o); err != nil {
		b.Fatal(err)
	}
	f.Close()
	sampleFiles.Store(o, p)
	return p
}

var benchSizes = []int{10_000, 100_000, 300_000, 1_000_000}

func sizes(b *testing.B) []int {
	if testing.Short() {
		return benchSizes[:1]
	}
	return benchSizes
}

// BenchmarkImport is the whole import of a sample workbook into a new
// SQLite database: read, check, write, commit.
func BenchmarkImport(b *testing.B) {
	for _, n := range sizes(b) {
		b.Run(fmt.Sprintf("employees=%d", n), func(b *testing.B) {
			benchmarkImport(b, samplePath(b, n), newSQLite)
		})
	}
}

// BenchmarkImportSharedStrings is BenchmarkImport of the same samples
// with their text in a shared-strings table, as Excel saves a workbook:
// the reader holds the table in memory (peak-RSS-MiB).
func BenchmarkImportSharedStrings(b *testing.B) {
	for _, n := range sizes(b) {
		b.Run(fmt.Sprintf("employees=%d", n), func(b *testing.B) {
			benchmarkImport(b, sampleWith(b, workbooks.SampleOptions{Employees: n, Seed: 1, SharedStrings: true}), newSQLite)
		})
	}
}

// BenchmarkImportPostgres is BenchmarkImport into a new, empty schema of
// the PostgreSQL server that TEST_DATABASE_URL names (skipped without it).
func BenchmarkImportPostgres(b *testing.B) {
	for _, n := range sizes(b) {
		b.Run(fmt.Sprintf("employees=%d", n), func(b *testing.B) {
			benchmarkImport(b, samplePath(b, n), func(b *testing.B) string { return storetest.PostgresURL(b) })
		})
	}
}

// newSQLite is a new SQLite file for one run of a benchmark.
func newSQLite(b *testing.B) string { return filepath.Join(b.TempDir(), "bench.db") }

// benchmarkImport imports the workbook at path into a new database (its
// address from newDB) each run, timing the import alone.
func benchmarkImport(b *testing.B, path string, newDB func(*testing.B) string) {
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		st, err := store.Open(context.Background(), newDB(b))
		if err != nil {
			b.Fatal(err)
		}
		resetPeakRSS(b)
		b.StartTimer()
		res, err := importer.Import(context.Background(), st, path, importer.NewStatus(rand.Text(), "sample.xlsx", time.Now()), nil)
		if err != nil || res.Status.State != importer.Succeeded {
			b.Fatalf("import: %v %s %s", err, res.Status.State, res.Status.Error)
		}
		b.StopTimer()
		reportPeakRSS(b)
		st.Close()
		b.StartTimer()
	}
}

// BenchmarkExcelizeRawRead reads every cell of the same workbook with
// excelize's streaming reader in raw mode: the yardstick of the issue.
func BenchmarkExcelizeRawRead(b *testing.B) {
	for _, n := range sizes(b) {
		b.Run(fmt.Sprintf("employees=%d", n), func(b *testing.B) {
			path := samplePath(b, n)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				f, err := excelize.OpenFile(path)
				if err != nil {
					b.Fatal(err)
				}
				cells := 0
				for _, sheet := range f.GetSheetList() {
					rows, err := f.Rows(sheet)
					if err != nil {
						b.Fatal(err)
					}
					for rows.Next() {
						cols, err := rows.Columns(excelize.Options{RawCellValue: true})
						if err != nil {
							b.Fatal(err)
						}
						cells += len(cols)
					}
					if err := rows.Close(); err != nil {
						b.Fatal(err)
					}
				}
				f.Close()
				b.ReportMetric(float64(cells), "cells/op")
			}
		})
	}
}

// BenchmarkReview is the review of a sample workbook against a new SQLite
// database: everything the import does but the merge, plus the change
// records (every row a created one).
func BenchmarkReview(b *testing.B) {
	for _, n := range sizes(b) {
		b.Run(fmt.Sprintf("employees=%d", n), func(b *testing.B) {
			path := samplePath(b, n)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				st, err := store.Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"))
				if err != nil {
					b.Fatal(err)
				}
				status := importer.Request{FileName: "sample.xlsx", Review: true}.Status(rand.Text(), time.Now())
				resetPeakRSS(b)
				b.StartTimer()
				res, err := importer.Import(context.Background(), st, path, status, nil)
				if err != nil || res.Status.State != importer.Reviewed {
					b.Fatalf("review: %v %s %s", err, res.Status.State, res.Status.Error)
				}
				b.StopTimer()
				reportPeakRSS(b)
				st.Close()
				b.StartTimer()
			}
		})
	}
}

// BenchmarkUndo is the undo of the import of a sample workbook into a new
// SQLite database (the import itself is not timed): every row it created
// is deleted.
func BenchmarkUndo(b *testing.B) {
	for _, n := range sizes(b) {
		b.Run(fmt.Sprintf("employees=%d", n), func(b *testing.B) {
			path := samplePath(b, n)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				st, err := store.Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"))
				if err != nil {
					b.Fatal(err)
				}
				res, err := importer.Import(context.Background(), st, path, importer.NewStatus(rand.Text(), "sample.xlsx", time.Now()), nil)
				if err != nil || res.Status.State != importer.Succeeded {
					b.Fatalf("import: %v %s %s", err, res.Status.State, res.Status.Error)
				}
				undo := importer.Request{FileName: "sample.xlsx", Undoes: res.Status.ID}.Status(rand.Text(), time.Now())
				resetPeakRSS(b)
				b.StartTimer()
				u, err := importer.Undo(context.Background(), st, undo, nil)
				if err != nil || u.Status.State != importer.Succeeded {
					b.Fatalf("undo: %v %s %s", err, u.Status.State, u.Status.Error)
				}
				b.StopTimer()
				reportPeakRSS(b)
				st.Close()
				b.StartTimer()
			}
		})
	}
}

// resetPeakRSS starts the process's peak resident memory (VmHWM) afresh
// (Linux; elsewhere it does nothing), so that reportPeakRSS gives the
// peak of what runs between them, not of making the sample workbook.
func resetPeakRSS(b *testing.B) {
	// What the making of a sample left is given back first, so that the
	// peak is the import's.
	debug.FreeOSMemory()
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
}

// reportPeakRSS reports the peak resident memory since resetPeakRSS, in
// MiB, as the metric peak-RSS-MiB.
func reportPeakRSS(b *testing.B) {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return
	}
	for _, line := range strings.Split(string(status), "\n") {
		if kb, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			var n float64
			if _, err := fmt.Sscanf(strings.TrimSpace(kb), "%f kB", &n); err == nil {
				b.ReportMetric(n/1024, "peak-RSS-MiB")
			}
		}
	}
}

// BenchmarkChangeList reads what an import page shows of its changes (the
// first 20 of each kind of each step) after a sample workbook's import
// into a new SQLite database (PostgreSQL below): of that import, which created every row,
// and of a later one that created one schedule among them all, the worst
// case for finding created rows by their table's created_in.
func BenchmarkChangeList(b *testing.B) { benchmarkChangeList(b, newSQLite) }

// BenchmarkChangeListPostgres is BenchmarkChangeList on PostgreSQL.
func BenchmarkChangeListPostgres(b *testing.B) {
	benchmarkChangeList(b, func(b *testing.B) string { return storetest.PostgresURL(b) })
}

func benchmarkChangeList(b *testing.B, newDB func(*testing.B) string) {
	for _, n := range sizes(b) {
		b.Run(fmt.Sprintf("employees=%d", n), func(b *testing.B) {
			ctx := context.Background()
			st, err := store.Open(ctx, newDB(b))
			if err != nil {
				b.Fatal(err)
			}
			defer st.Close()
			big, err := importer.Import(ctx, st, samplePath(b, n), importer.NewStatus(rand.Text(), "sample.xlsx", time.Now()), nil)
			if err != nil || big.Status.State != importer.Succeeded {
				b.Fatalf("import: %v %s %s", err, big.Status.State, big.Status.Error)
			}
			one, err := importer.Import(ctx, st, oneNewSchedule(b, st), importer.NewStatus(rand.Text(), "one.xlsx", time.Now()), nil)
			if err != nil || one.Status.State != importer.Succeeded || one.Status.Step(importer.StepSchedules).Created != 1 {
				b.Fatalf("import of one schedule: %v %s %s %+v", err, one.Status.State, one.Status.Error, one.Status.Step(importer.StepSchedules))
			}
			for _, im := range []struct{ name, id string }{{"import=sample", big.Status.ID}, {"import=one-schedule", one.Status.ID}} {
				b.Run(im.name, func(b *testing.B) {
					for b.Loop() {
						if _, err := st.Changes(ctx, im.id, 20); err != nil {
							b.Fatal(err)
						}
					}
				})
			}
		})
	}
}

// oneNewSchedule writes a workbook of one schedule for the first saved
// employee, on a day the sample has none.
func oneNewSchedule(b *testing.B, st *store.Store) string {
	var first string
	errFound := fmt.Errorf("found")
	err := st.Snapshot(context.Background(), func(sn *store.Snapshot) error {
		return sn.Each(context.Background(), importer.SheetFor(importer.StepEmployees), func(values []string) error {
			first = values[0]
			return errFound
		})
	})
	if err != errFound {
		b.Fatalf("find an employee: %v", err)
	}
	f := excelize.NewFile()
	defer f.Close()
	f.SetSheetName("Sheet1", "Schedules")
	for i, row := range [][]any{{"Employee ID", "Date", "Shift Start", "Shift End"}, {first, "2031-01-01", "09:00", "17:00"}} {
		if err := f.SetSheetRow("Schedules", fmt.Sprintf("A%d", i+1), &row); err != nil {
			b.Fatal(err)
		}
	}
	path := filepath.Join(b.TempDir(), "one.xlsx")
	if err := f.SaveAs(path); err != nil {
		b.Fatal(err)
	}
	return path
}
