package importer_test

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"roster/importer"
)

// TestImportsLeftByAStoppedServerAreInterrupted queues an import with a
// runner that never runs it, as a server that stopped would leave it; the
// next runner to start on the database marks it interrupted, all its
// steps cancelled, and writes nothing of it.
func TestImportsLeftByAStoppedServerAreInterrupted(t *testing.T) {
	d := openSQLite(t)
	empty := d.dump(t)
	uploads := filepath.Join(t.TempDir(), "uploads")
	log := slog.New(slog.NewTextHandler(io.Discard, nil))

	stopped, err := importer.NewRunner(d.st, uploads, log)
	noErr(t, err)
	id, err := stopped.Submit(t.Context(), "left.xlsx", base().write(t))
	noErr(t, err)

	restarted, err := importer.NewRunner(d.st, uploads, log)
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
	if after := d.dump(t); after != empty {
		t.Errorf("an interrupted import wrote data:\n%s", after)
	}
}

// TestAnImportRunningWhenTheServerStopsIsInterrupted stops the runner (as
// a server shutting down does) while an import runs: the import ends
// interrupted, not cancelled, and nothing of it is written.
func TestAnImportRunningWhenTheServerStopsIsInterrupted(t *testing.T) {
	d := openSQLite(t)
	empty := d.dump(t)
	runner, err := importer.NewRunner(d.st, filepath.Join(t.TempDir(), "uploads"), slog.New(slog.NewTextHandler(io.Discard, nil)))
	noErr(t, err)
	path := filepath.Join(t.TempDir(), "sample.xlsx")
	f, err := os.Create(path)
	noErr(t, err)
	noErr(t, importer.WriteSample(f, importer.SampleOptions{Employees: 3000, Seed: 1}))
	noErr(t, f.Close())

	ctx, stop := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- runner.Run(ctx) }()
	id, err := runner.Submit(t.Context(), "sample.xlsx", path)
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
	if after := d.dump(t); after != empty {
		t.Errorf("an interrupted import wrote data:\n%s", after)
	}
}
