package queue_test

// Reviews, confirms and undos through both queues (contract section 8):
// real sample workbooks, real databases (SQLite for Local, PostgreSQL for
// Shared when TEST_DATABASE_URL is set), followed through subscriptions.

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"roster/importer"
	"roster/importer/queue"
	"roster/importer/store"
	"roster/importer/store/storetest"
	"roster/importer/workbooks"
)

// reviewQueue is what both queues offer for section 8.
type reviewQueue interface {
	Submit(ctx context.Context, req importer.Request) (string, error)
	Confirm(ctx context.Context, reviewID, by string) (string, error)
	Undo(ctx context.Context, id, by string) (string, error)
	Undoable(ctx context.Context, id string) (bool, error)
	Changes(ctx context.Context, id string, perKind int) ([]importer.Change, error)
	Subscribe(ctx context.Context, id string) (*queue.Subscription, error)
}

// harness runs one queue on one database; restart stops it and starts a
// new one on the same database (and upload directory), as a restarted
// server would.
type harness struct {
	q       reviewQueue
	restart func()
	rows    func() int // rows in the company tables, read apart from the queue
}

func localHarness(t *testing.T) *harness {
	d := openSQLite(t)
	uploads := filepath.Join(t.TempDir(), "uploads")
	h := &harness{rows: func() int { return d.companyRows(t) }}
	var stop func()
	start := func() {
		q, err := queue.NewLocal(d.st, uploads, slog.New(slog.NewTextHandler(io.Discard, nil)))
		noErr(t, err)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { q.Run(ctx); close(done) }()
		stop = func() { cancel(); <-done }
		h.q = q
	}
	start()
	t.Cleanup(func() { stop() })
	h.restart = func() { stop(); start() }
	return h
}

func sharedHarness(t *testing.T) *harness {
	dsn := storetest.PostgresURL(t)
	st, err := store.Open(t.Context(), dsn)
	noErr(t, err)
	st.Close()
	h := &harness{rows: func() int { return companyRowsAt(t, dsn) }}
	in := startInstance(t, dsn, 100e6, 30e9)
	h.q = in.q
	h.restart = func() {
		in.stop()
		in = startInstance(t, dsn, 100e6, 30e9)
		h.q = in.q
	}
	return h
}

// seeded writes a sample workbook; another seed gives other values for
// the same keys.
func seeded(t *testing.T, n int, seed int64) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "sample.xlsx")
	f, err := os.Create(path)
	noErr(t, err)
	noErr(t, workbooks.WriteSample(f, workbooks.SampleOptions{Employees: n, Seed: seed}))
	noErr(t, f.Close())
	return path
}

func (h *harness) wait(t *testing.T, id string) importer.Status {
	t.Helper()
	sub, err := h.q.Subscribe(t.Context(), id)
	noErr(t, err)
	defer sub.Close()
	for range sub.C {
	}
	return sub.Latest()
}

func (h *harness) submit(t *testing.T, req importer.Request, want importer.State) importer.Status {
	t.Helper()
	id, err := h.q.Submit(t.Context(), req)
	noErr(t, err)
	return h.mustEnd(t, id, want)
}

func (h *harness) mustEnd(t *testing.T, id string, want importer.State) importer.Status {
	t.Helper()
	st := h.wait(t, id)
	if st.State != want {
		t.Fatalf("import %s ended %s (%s), want %s", id, st.State, st.Error, want)
	}
	return st
}

func (h *harness) undo(t *testing.T, id string) importer.Status {
	t.Helper()
	uid, err := h.q.Undo(t.Context(), id, "ann")
	noErr(t, err)
	return h.mustEnd(t, uid, importer.Succeeded)
}

func wantConflict(t *testing.T, err error, fragment string) {
	t.Helper()
	if importer.ErrorCode(err) != importer.CodeConflict || !strings.Contains(importer.ErrorMessage(err), fragment) {
		t.Errorf("got %v, want a conflict saying %q", err, fragment)
	}
}

func TestReviewConfirmUndoLocal(t *testing.T) { testReviewConfirmUndo(t, localHarness) }

func TestReviewConfirmUndoShared(t *testing.T) { testReviewConfirmUndo(t, sharedHarness) }

func testReviewConfirmUndo(t *testing.T, open func(*testing.T) *harness) {
	t.Run("review then confirm", func(t *testing.T) {
		h := open(t)
		review := h.submit(t, importer.Request{FileName: "a.xlsx", Path: seeded(t, 10, 1), Review: true, By: "ann"}, importer.Reviewed)
		if n := h.rows(); n != 0 {
			t.Fatalf("a review wrote %d rows", n)
		}
		changes, err := h.q.Changes(t.Context(), review.ID, 5)
		noErr(t, err)
		if len(changes) == 0 || changes[0].Kind != importer.ChangeCreated {
			t.Fatalf("changes of the review: %v", changes)
		}
		id, err := h.q.Confirm(t.Context(), review.ID, "bob")
		noErr(t, err)
		done := h.mustEnd(t, id, importer.Succeeded)
		if done.Confirms != review.ID || done.ConfirmedBy != "bob" || done.UploadedBy != "ann" {
			t.Errorf("the confirm: confirms %q, by %q, uploaded by %q", done.Confirms, done.ConfirmedBy, done.UploadedBy)
		}
		total := 0
		for i, s := range done.Steps {
			if s.Created != review.Steps[i].Created {
				t.Errorf("step %s created %d, the review said %d", s.Key, s.Created, review.Steps[i].Created)
			}
			total += s.Created
		}
		if n := h.rows(); n != total {
			t.Errorf("%d rows saved, the steps say %d", n, total)
		}
		// A second confirm is refused, and names the first.
		_, err = h.q.Confirm(t.Context(), review.ID, "bob")
		wantConflict(t, err, id)
	})

	t.Run("review, another import, then confirm", func(t *testing.T) {
		h := open(t)
		review := h.submit(t, importer.Request{FileName: "a.xlsx", Path: seeded(t, 10, 1), Review: true}, importer.Reviewed)
		h.submit(t, importer.Request{FileName: "b.xlsx", Path: seeded(t, 10, 2)}, importer.Succeeded)
		before := h.rows()
		id, err := h.q.Confirm(t.Context(), review.ID, "")
		noErr(t, err)
		st := h.mustEnd(t, id, importer.Failed)
		if !strings.Contains(st.Error, "changed since this upload was reviewed") {
			t.Errorf("error %q", st.Error)
		}
		if n := h.rows(); n != before {
			t.Errorf("a refused confirm changed the rows: %d, was %d", n, before)
		}
	})

	t.Run("undo in order, after a restart", func(t *testing.T) {
		h := open(t)
		first := h.submit(t, importer.Request{FileName: "a.xlsx", Path: seeded(t, 10, 1)}, importer.Succeeded)
		afterFirst := h.rows()
		second := h.submit(t, importer.Request{FileName: "b.xlsx", Path: seeded(t, 12, 2)}, importer.Succeeded)

		_, err := h.q.Undo(t.Context(), first.ID, "ann")
		var blocked *importer.BlockedError
		if !errors.As(err, &blocked) || !slices.Equal(blocked.Later, []string{second.ID}) || importer.ErrorCode(err) != importer.CodeConflict {
			t.Fatalf("undo of the older import: %v, want blocked by %s", err, second.ID)
		}
		if ok, err := h.q.Undoable(t.Context(), first.ID); err != nil || ok {
			t.Errorf("Undoable(older) = %v, %v", ok, err)
		}

		h.restart()
		u := h.undo(t, second.ID)
		if n := h.rows(); n != afterFirst {
			t.Errorf("after undoing the second import: %d rows, want %d", n, afterFirst)
		}
		_, err = h.q.Undo(t.Context(), second.ID, "ann")
		wantConflict(t, err, "already undone by import "+u.ID)

		// Undo the undo: the second import's rows are back; then the
		// undo of the undo is the one to undo, and the first is blocked.
		uu := h.undo(t, u.ID)
		if n := h.rows(); n == afterFirst {
			t.Errorf("undoing the undo put nothing back")
		}
		if ok, _ := h.q.Undoable(t.Context(), first.ID); ok {
			t.Errorf("the first import is undoable while the second is back")
		}
		if ok, err := h.q.Undoable(t.Context(), uu.ID); err != nil || !ok {
			t.Errorf("Undoable(undo of the undo) = %v, %v", ok, err)
		}
		h.undo(t, second.ID) // the second import is on top again
		h.restart()
		h.undo(t, first.ID)
		if n := h.rows(); n != 0 {
			t.Errorf("after undoing everything: %d rows", n)
		}
	})

	t.Run("a review changes nothing to undo", func(t *testing.T) {
		h := open(t)
		review := h.submit(t, importer.Request{FileName: "a.xlsx", Path: seeded(t, 5, 1), Review: true}, importer.Reviewed)
		_, err := h.q.Undo(t.Context(), review.ID, "")
		wantConflict(t, err, "Only an import that saved changes")
		_, err = h.q.Confirm(t.Context(), "nosuchimport", "")
		if importer.ErrorCode(err) != importer.CodeNotFound {
			t.Errorf("confirm of an unknown import: %v", err)
		}
	})
}

// TestSweepKeepsAConfirmableReview sweeps the uploads (as at start and
// daily) between a review and its confirm: the review's upload is kept,
// and the confirm saves.
func TestSweepKeepsAConfirmableReview(t *testing.T) {
	d := openSQLite(t)
	q, err := queue.NewLocal(d.st, filepath.Join(t.TempDir(), "uploads"), slog.New(slog.NewTextHandler(io.Discard, nil)))
	noErr(t, err)
	q.KeepFailed = 0
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { q.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	h := &harness{q: q}
	review := h.submit(t, importer.Request{FileName: "a.xlsx", Path: seeded(t, 5, 1), Review: true}, importer.Reviewed)
	q.SweepUploads(t.Context())
	id, err := q.Confirm(t.Context(), review.ID, "")
	noErr(t, err)
	h.mustEnd(t, id, importer.Succeeded)
	if d.companyRows(t) == 0 {
		t.Error("the confirm saved nothing")
	}
}

// TestAQueuedUndoCanBeCancelled queues an undo behind a running import and
// cancels it: it ends cancelled, having put nothing back; once the
// running import has saved, the undone-to-be import is no longer the
// latest, and its undo is refused.
func TestAQueuedUndoCanBeCancelled(t *testing.T) {
	h := localHarness(t)
	first := h.submit(t, importer.Request{FileName: "a.xlsx", Path: seeded(t, 10, 1)}, importer.Succeeded)
	bigID, err := h.q.Submit(t.Context(), importer.Request{FileName: "big.xlsx", Path: seeded(t, 2000, 2)})
	noErr(t, err)
	undoID, err := h.q.Undo(t.Context(), first.ID, "ann")
	noErr(t, err)
	noErr(t, h.q.(*queue.Local).Cancel(t.Context(), undoID, "bo"))
	if st := h.wait(t, undoID); st.State != importer.Cancelled {
		t.Errorf("the undo ended %s, want cancelled", st.State)
	}
	h.mustEnd(t, bigID, importer.Succeeded)
	afterBig := h.rows()
	_, err = h.q.Undo(t.Context(), first.ID, "ann")
	var blocked *importer.BlockedError
	if !errors.As(err, &blocked) || !slices.Equal(blocked.Later, []string{bigID}) {
		t.Errorf("undo of the first import after the big one: %v", err)
	}
	if n := h.rows(); n != afterBig {
		t.Errorf("rows changed to %d from %d", n, afterBig)
	}
}
