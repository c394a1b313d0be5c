package importer_test

import (
	"context"
	"io"
	"log/slog"
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
