package queue_test

import (
	"database/sql"
	"io"
	"log/slog"
	"net/url"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"roster/importer"
	"roster/importer/queue"
	"roster/importer/store"
	"roster/importer/store/storetest"
)

// watchingInstance is an instance that serves watchers and runs no
// import.
func watchingInstance(t *testing.T, dsn string) *queue.Shared {
	t.Helper()
	st, err := store.Open(t.Context(), dsn)
	noErr(t, err)
	t.Cleanup(func() { st.Close() })
	q, err := queue.NewShared(st, filepath.Join(t.TempDir(), "scratch"), slog.New(slog.NewTextHandler(io.Discard, nil)))
	noErr(t, err)
	return q
}

// follow reads a subscription to its end, calling seen with each status.
func follow(t *testing.T, sub *queue.Subscription, seen func(importer.Status)) importer.Status {
	t.Helper()
	defer sub.Close()
	for {
		st := sub.Latest()
		seen(st)
		if st.State.Final() {
			return st
		}
		select {
		case <-sub.C:
		case <-t.Context().Done():
			t.Error("the test ended first")
			return st
		}
	}
}

// forwardOnly checks that each status moves on from the one before:
// no step goes back to an earlier state, no count of rows read goes down.
type forwardOnly struct {
	last  importer.Status
	wrong string
	live  bool // a step was seen running with rows read
}

func (f *forwardOnly) see(st importer.Status) {
	rank := func(s importer.StepState) int {
		switch s {
		case importer.StepPending:
			return 0
		case importer.StepRunning:
			return 1
		}
		return 2
	}
	for i, s := range st.Steps {
		if s.State == importer.StepRunning && s.Rows > 0 {
			f.live = true
		}
		if i >= len(f.last.Steps) || f.wrong != "" {
			continue
		}
		was := f.last.Steps[i]
		if rank(s.State) < rank(was.State) || (s.State == was.State && s.Rows < was.Rows) {
			f.wrong = string(s.Key) + " went from " + string(was.State) + " to " + string(s.State)
		}
	}
	f.last = st
}

// Watchers of an import on an instance that does not run it cost the
// database nothing per watcher: 200 of them ask no more of it than a
// handful of statements and a slow re-read in case a notice was lost,
// and each still sees the import move, forward only, to its end.
func TestWatchersOnAnotherInstanceCostTheDatabaseNothingEach(t *testing.T) {
	dsn := storetest.PostgresURL(t)
	a := startInstance(t, dsn, 50*time.Millisecond, 5*time.Second)
	proxied, statements := storetest.CountQueries(t, dsn)
	b := watchingInstance(t, proxied)

	id, err := a.q.Submit(t.Context(), importer.Request{FileName: "big.xlsx", Path: sample(t, 5000)})
	noErr(t, err)
	waitFor(t, a.q, id, func(st importer.Status) bool { return st.State == importer.Running })

	const watchers = 200
	before, start := statements.Load(), time.Now()
	ends := make([]importer.Status, watchers)
	checks := make([]forwardOnly, watchers)
	var wg sync.WaitGroup
	for i := range watchers {
		sub, err := b.Subscribe(t.Context(), id)
		noErr(t, err)
		wg.Go(func() { ends[i] = follow(t, sub, checks[i].see) })
	}
	wg.Wait()
	took, asked := time.Since(start), statements.Load()-before
	t.Logf("%d watchers on B for %s asked the database %d statements (%.1f a second)",
		watchers, took.Round(time.Millisecond), asked, float64(asked)/took.Seconds())

	// Without notices each watcher read the import every Beat (50 ms
	// here): thousands of statements.
	if limit := 20 + int64(took/time.Second); asked > limit {
		t.Errorf("%d watchers on B asked the database %d statements in %s, want at most %d whatever their number",
			watchers, asked, took, limit)
	}
	live := 0
	for i, end := range ends {
		if end.State != importer.Succeeded {
			t.Fatalf("watcher %d saw the import end %s (%s), want succeeded", i, end.State, end.Error)
		}
		if checks[i].wrong != "" {
			t.Errorf("watcher %d saw a step go back: %s", i, checks[i].wrong)
		}
		if checks[i].live {
			live++
		}
	}
	if live == 0 {
		t.Error("no watcher on B saw a step running with its rows counted, only the end")
	}
}

// A watcher whose instance loses its listening connection still hears
// the end: the instance listens again and reads what it missed. Its slow
// re-read is turned off, so the end can only come through the listener.
func TestAWatcherHearsTheEndAfterItsListenerIsCut(t *testing.T) {
	dsn := storetest.PostgresURL(t)
	a := startInstance(t, dsn, 50*time.Millisecond, 5*time.Second)
	b := watchingInstance(t, dsn)
	b.Reread = time.Hour

	id, err := a.q.Submit(t.Context(), importer.Request{FileName: "big.xlsx", Path: sample(t, 5000)})
	noErr(t, err)
	waitFor(t, a.q, id, func(st importer.Status) bool { return st.State == importer.Running })
	sub, err := b.Subscribe(t.Context(), id)
	noErr(t, err)

	admin, err := sql.Open("pgx", dsn)
	noErr(t, err)
	defer admin.Close()
	u, err := url.Parse(dsn)
	noErr(t, err)
	listening := `LISTEN "roster.` + u.Query().Get("search_path") + `"`
	// B's listener: looked for at each change B hears of, until found.
	cut := 0
	var check forwardOnly
	end := follow(t, sub, func(st importer.Status) {
		check.see(st)
		if cut > 0 || st.State.Final() {
			return
		}
		var pid int
		if admin.QueryRow(`SELECT pid FROM pg_stat_activity WHERE query = $1`, listening).Scan(&pid) != nil {
			return
		}
		var ok bool
		noErr(t, admin.QueryRow(`SELECT pg_terminate_backend($1)`, pid).Scan(&ok))
		if ok {
			cut = pid
		}
	})
	if cut == 0 {
		t.Fatal("the import ended before B's listening connection was found and cut")
	}
	if end.State != importer.Succeeded {
		t.Errorf("B's watcher saw the import end %s (%s), want succeeded", end.State, end.Error)
	}
	if check.wrong != "" {
		t.Errorf("B's watcher saw a step go back: %s", check.wrong)
	}
}
