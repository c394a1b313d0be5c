package queue

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"roster/importer"
	"roster/importer/store/storetest"
	"roster/importer/workbooks"
)

// A cancel that comes after the queue has taken an import to run, but
// before it started, ends it unrun: it never writes after the user was
// told it was cancelled.
func TestACancelBetweenTakingAndStartingEndsTheImportUnrun(t *testing.T) {
	st, _ := storetest.SQLite(t)
	q, err := NewLocal(st, filepath.Join(t.TempDir(), "uploads"), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "areas.xlsx")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := workbooks.WriteSample(f, workbooks.SampleOptions{Employees: 10, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	f.Close()
	id, err := q.Submit(t.Context(), importer.Request{FileName: "areas.xlsx", Path: path})
	if err != nil {
		t.Fatal(err)
	}

	j := q.next() // taken to run, as Run does, and not yet started
	if err := q.Cancel(t.Context(), id, "ann"); err != nil {
		t.Fatal(err)
	}
	if end, ran := q.runJob(t.Context(), j, nil); ran || end.State != importer.Cancelled {
		t.Errorf("after the cancel the import ran (%v) and ended %s; want it unrun and cancelled", ran, end.State)
	}
	got, err := q.Status(t.Context(), id)
	if err != nil || got.State != importer.Cancelled {
		t.Errorf("status %s (%v), want cancelled", got.State, err)
	}
}
