package queue_test

import (
	"context"
	"database/sql"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"roster/importer"
	"roster/importer/queue"
	"roster/importer/store"
	"roster/importer/store/storetest"
	"roster/importer/workbooks"
)

func noErr(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// testDB is a fresh SQLite database.
type testDB struct {
	st   *store.Store
	path string
}

func openSQLite(t *testing.T) *testDB {
	st, path := storetest.SQLite(t)
	return &testDB{st: st, path: path}
}

// companyRows counts the rows of every company table, read apart from
// the store.
func (d *testDB) companyRows(t *testing.T) int {
	t.Helper()
	db, err := sql.Open("sqlite", d.path)
	noErr(t, err)
	defer db.Close()
	total := 0
	for _, sh := range importer.Sheets {
		var n int
		noErr(t, db.QueryRow("SELECT COUNT(*) FROM "+sh.Table).Scan(&n))
		total += n
	}
	return total
}

// sample writes a sample workbook of n employees.
func sample(t *testing.T, n int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "sample.xlsx")
	f, err := os.Create(path)
	noErr(t, err)
	noErr(t, workbooks.WriteSample(f, workbooks.SampleOptions{Employees: n, Seed: 1}))
	noErr(t, f.Close())
	return path
}

// TestImportsLeftByAStoppedServerAreInterrupted queues an import with a
// runner that never runs it, as a server that stopped would leave it; the
// next runner to start on the database marks it interrupted, all its
// steps cancelled, and writes nothing of it.
func TestImportsLeftByAStoppedServerAreInterrupted(t *testing.T) {
	d := openSQLite(t)
	uploads := filepath.Join(t.TempDir(), "uploads")
	log := slog.New(slog.NewTextHandler(io.Discard, nil))

	stopped, err := queue.NewLocal(d.st, uploads, log)
	noErr(t, err)
	id, err := stopped.Submit(t.Context(), importer.Request{FileName: "left.xlsx", Path: sample(t, 10)})
	noErr(t, err)

	restarted, err := queue.NewLocal(d.st, uploads, log)
	noErr(t, err)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- restarted.Run(ctx) }()
	// The restarted runner does not hold the import; its subscription
	// follows the database until the import has ended.
	sub, err := restarted.Subscribe(t.Context(), id)
	noErr(t, err)
	for range sub.C {
	}
	got := sub.Latest()
	sub.Close()
	cancel()
	noErr(t, <-done)

	if got.State != importer.Interrupted {
		t.Fatalf("state %s, want interrupted", got.State)
	}
	for _, s := range got.Steps {
		if s.State != importer.StepCancelled {
			t.Errorf("step %s is %s, want cancelled", s.Key, s.State)
		}
	}
	if n := d.companyRows(t); n != 0 {
		t.Errorf("an interrupted import wrote %d rows", n)
	}
}

// TestAnImportRunningWhenTheServerStopsIsInterrupted stops the runner (as
// a server shutting down does) while an import runs: the import ends
// interrupted, not cancelled, and nothing of it is written.
func TestAnImportRunningWhenTheServerStopsIsInterrupted(t *testing.T) {
	d := openSQLite(t)
	runner, err := queue.NewLocal(d.st, filepath.Join(t.TempDir(), "uploads"), slog.New(slog.NewTextHandler(io.Discard, nil)))
	noErr(t, err)
	path := sample(t, 3000)

	ctx, stop := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- runner.Run(ctx) }()
	id, err := runner.Submit(t.Context(), importer.Request{FileName: "sample.xlsx", Path: path})
	noErr(t, err)
	sub, err := runner.Subscribe(t.Context(), id)
	noErr(t, err)
	for range sub.C {
		if sub.Latest().Step(importer.StepEmployees).State != importer.StepPending {
			break // the employees are being imported, or a later sheet
		}
	}
	stop()
	sub.Close()
	noErr(t, <-done)

	st, err := runner.Status(t.Context(), id)
	noErr(t, err)
	if st.State != importer.Interrupted {
		t.Errorf("state %s (%s), want interrupted", st.State, st.Error)
	}
	if n := d.companyRows(t); n != 0 {
		t.Errorf("an interrupted import wrote %d rows", n)
	}
}

// TestARunnerStoppedWhileStartingStopsCleanly stops the runner before it
// has looked for the imports a previous process left: a server told to
// stop while it starts stops, and says nothing failed.
func TestARunnerStoppedWhileStartingStopsCleanly(t *testing.T) {
	d := openSQLite(t)
	q, err := queue.NewLocal(d.st, filepath.Join(t.TempDir(), "uploads"), slog.New(slog.NewTextHandler(io.Discard, nil)))
	noErr(t, err)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := q.Run(ctx); err != nil {
		t.Errorf("a runner stopped while starting returned %v", err)
	}
}
