package queue_test

import (
	"context"
	"database/sql"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"roster/importer"
	"roster/importer/queue"
	"roster/importer/store"
	"roster/importer/store/storetest"
)

// instance is one Roster instance on a shared PostgreSQL database.
type instance struct {
	q    *queue.Shared
	stop func()
}

func startInstance(t *testing.T, dsn string, beat, stale time.Duration) *instance {
	t.Helper()
	st, err := store.Open(t.Context(), dsn)
	noErr(t, err)
	t.Cleanup(func() { st.Close() })
	q, err := queue.NewShared(st, filepath.Join(t.TempDir(), "scratch"), slog.New(slog.NewTextHandler(io.Discard, nil)))
	noErr(t, err)
	q.Beat, q.Stale = beat, stale
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { q.Run(ctx); close(done) }()
	stop := func() { cancel(); <-done }
	t.Cleanup(stop)
	return &instance{q: q, stop: stop}
}

// waitFor follows an import until cond holds or it ends, and returns
// its status then.
func waitFor(t *testing.T, q *queue.Shared, id string, cond func(importer.Status) bool) importer.Status {
	t.Helper()
	sub, err := q.Subscribe(t.Context(), id)
	noErr(t, err)
	defer sub.Close()
	for {
		st := sub.Latest()
		if cond(st) || st.State.Final() {
			return st
		}
		select {
		case <-sub.C:
		case <-t.Context().Done():
			t.Fatal("the test ended first")
		}
	}
}

func companyRowsAt(t *testing.T, dsn string) int {
	t.Helper()
	db, err := sql.Open("pgx", dsn)
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

// holdCompanyTables keeps every import on the database waiting, from its
// first look at the saved areas, until release is called: an import on a
// silent instance is then surely still running when another instance
// sweeps it, however fast imports have become.
func holdCompanyTables(t *testing.T, dsn string) (release func()) {
	t.Helper()
	db, err := sql.Open("pgx", dsn)
	noErr(t, err)
	tx, err := db.BeginTx(t.Context(), nil)
	noErr(t, err)
	_, err = tx.Exec("LOCK TABLE areas IN ACCESS EXCLUSIVE MODE")
	noErr(t, err)
	var once sync.Once
	release = func() {
		once.Do(func() {
			tx.Rollback()
			db.Close()
		})
	}
	t.Cleanup(release)
	return release
}

// An import that another instance declared interrupted (its own instance
// was paused, or cut off from the database) never commits afterwards:
// interrupted is final, and nothing of it is written.
func TestAnImportDeclaredInterruptedElsewhereNeverCommits(t *testing.T) {
	dsn := storetest.PostgresURL(t)
	// A shows no sign of life after its claim, as if paused.
	a := startInstance(t, dsn, time.Hour, time.Hour)
	release := holdCompanyTables(t, dsn)
	id, err := a.q.Submit(t.Context(), importer.Request{FileName: "big.xlsx", Path: sample(t, 2000)})
	noErr(t, err)
	waitFor(t, a.q, id, func(st importer.Status) bool { return st.State == importer.Running })

	// B sweeps: A's import has been silent past B's limit.
	b := startInstance(t, dsn, 50*time.Millisecond, 300*time.Millisecond)
	got := waitFor(t, b.q, id, func(importer.Status) bool { return false })
	if got.State != importer.Interrupted {
		t.Fatalf("B sees the import %s, want interrupted", got.State)
	}
	release()
	// A goes on, and ends: whatever it did, the database still says
	// interrupted, and holds nothing of the import.
	end := waitFor(t, a.q, id, func(importer.Status) bool { return false })
	if end.State != importer.Interrupted {
		t.Errorf("A ended the import %s, want interrupted", end.State)
	}
	a.stop()
	if st, err := b.q.Status(t.Context(), id); err != nil || st.State != importer.Interrupted {
		t.Errorf("in the database the import is %s (%v), want interrupted", st.State, err)
	}
	if n := companyRowsAt(t, dsn); n != 0 {
		t.Errorf("an interrupted import wrote %d rows", n)
	}
}

// While the instance running an import is out of touch, an import queued
// on another instance does not wait for it: the other sweeps the silent
// one's import and runs its own.
func TestAQueuedImportDoesNotWaitForAnInstanceOutOfTouch(t *testing.T) {
	dsn := storetest.PostgresURL(t)
	a := startInstance(t, dsn, time.Hour, time.Hour)
	release := holdCompanyTables(t, dsn)
	stuck, err := a.q.Submit(t.Context(), importer.Request{FileName: "big.xlsx", Path: sample(t, 2000)})
	noErr(t, err)
	waitFor(t, a.q, stuck, func(st importer.Status) bool { return st.State == importer.Running })

	// B's stale limit is short, to see A's silence soon, but not so short
	// that a busy machine (-race, two cores, browsers in other packages)
	// starves B's own beats past it: B would take its own import for dead.
	b := startInstance(t, dsn, 100*time.Millisecond, 2*time.Second)
	next, err := b.q.Submit(t.Context(), importer.Request{FileName: "small.xlsx", Path: sample(t, 10)})
	noErr(t, err)
	got := waitFor(t, b.q, next, func(st importer.Status) bool { return st.State == importer.Running })
	if got.State != importer.Running && got.State != importer.Succeeded {
		t.Fatalf("the import queued on B is %s (%s), want it run", got.State, got.Error)
	}
	if st, _ := b.q.Status(t.Context(), stuck); st.State != importer.Interrupted {
		t.Errorf("the silent instance's import is %s when B's runs, want interrupted", st.State)
	}
	release()
	if end := waitFor(t, b.q, next, func(importer.Status) bool { return false }); end.State != importer.Succeeded {
		t.Errorf("the import queued on B ended %s (%s), want succeeded", end.State, end.Error)
	}
}
