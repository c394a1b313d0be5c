package handlers_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"roster/handlers"
	"roster/importer"
	"roster/importer/queue"
	"roster/importer/store"
	"roster/importer/store/storetest"
	"roster/importer/workbooks"
)

// instances serves n instances of Roster on one PostgreSQL database, as
// behind a load balancer, not yet running imports. The test skips without
// TEST_DATABASE_URL.
func instances(t testing.TB, n int) ([]*app, *store.Store) {
	t.Helper()
	first, dsn := storetest.Postgres(t)
	apps := []*app{serve(t, first, "", handlersConfig())}
	for range n - 1 {
		st, err := store.Open(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		apps = append(apps, serve(t, st, "", handlersConfig()))
	}
	for _, a := range apps {
		shared := a.runner.(*queue.Shared)
		shared.Beat, shared.Stale = 50*time.Millisecond, 5*time.Second // the sweep must not mistake a busy test machine for a dead instance
	}
	return apps, first
}

func TestSeveralInstancesAnswerForEveryImport(t *testing.T) {
	apps, _ := instances(t, 2)
	a, b := apps[0], apps[1]
	a.start()
	b.start()

	// Uploaded to A, followed, read and downloaded on B.
	page := a.upload(t, "staff.xlsx", sample(t, 12), nil).Header.Get("Location")
	if done := lastEvent(t, b, page); !strings.Contains(done, `data-import-state="failed"`) || !strings.Contains(done, "12 problems") {
		t.Fatalf("B's stream of A's import ended: %s", done)
	}
	resp, err := b.client().Get(b.URL + page + "/problems.xlsx")
	if err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatalf("B's problems workbook of A's import: %v", err)
	}
	rows, _ := f.GetRows("Problems")
	f.Close()
	if len(rows) != 13 {
		t.Errorf("the problems workbook from B lists %d rows, want a header and 12 problems", len(rows))
	}

	// Uploaded to B, seen on A.
	page = b.upload(t, "staff.xlsx", sample(t, 0), nil).Header.Get("Location")
	if done := lastEvent(t, a, page); !strings.Contains(done, `data-import-state="succeeded"`) {
		t.Fatalf("A's stream of B's import ended: %s", done)
	}
	if got := stepsOf(t, a, page)["employees"].Created; got != 300 {
		t.Errorf("A says B's import created %d employees, want 300", got)
	}
	doc := get(t, a.URL+"/imports")
	if n := strings.Count(string(doc), `<tr data-import-state=`); n != 2 {
		t.Errorf("A's history lists %d imports, want both", n)
	}
}

func TestOneImportRunsAtATimeAcrossInstances(t *testing.T) {
	apps, _ := instances(t, 2)
	a, b := apps[0], apps[1]
	// Both queued before either instance runs imports; then both run.
	first := a.upload(t, "first.xlsx", sample(t, 0), nil).Header.Get("Location")
	second := b.upload(t, "second.xlsx", sample(t, 0), nil).Header.Get("Location")
	if state, ahead, _ := statusOf(t, b, second); state != "queued" || ahead != 1 {
		t.Errorf("the second import is %s with %d ahead, want queued behind the first", state, ahead)
	}
	a.start()
	b.start()

	lastEvent(t, b, first)
	lastEvent(t, a, second)
	s1, _ := a.runner.Status(context.Background(), strings.TrimPrefix(first, "/imports/"))
	s2, _ := a.runner.Status(context.Background(), strings.TrimPrefix(second, "/imports/"))
	if s1.State != importer.Succeeded || s2.State != importer.Succeeded {
		t.Fatalf("imports ended %s and %s", s1.State, s2.State)
	}
	if s2.Started.Before(s1.Finished) {
		t.Errorf("the second import started at %s, before the first ended at %s", s2.Started, s1.Finished)
	}
}

func TestAnyInstanceCancelsAnImportRunningOnAnother(t *testing.T) {
	apps, _ := instances(t, 2)
	a, b := apps[0], apps[1]
	a.start() // only A runs imports
	page := a.upload(t, "big.xlsx", sampleOf(t, 20_000), nil).Header.Get("Location")

	cancelled := make(chan time.Time, 1)
	go func() {
		// Cancel on B once A's stream shows a step running.
		streamUntilDone(context.Background(), a.URL+page+"/events", func(c change, _ time.Time) {
			if c.state == "running" && len(cancelled) == 0 {
				r, err := b.client().Post(b.URL+page+"/cancel", "application/x-www-form-urlencoded", nil)
				if err == nil {
					r.Body.Close()
				}
				cancelled <- time.Now()
			}
		})
	}()
	done := lastEvent(t, b, page)
	if !strings.Contains(done, `data-import-state="cancelled"`) {
		t.Fatalf("the import ended: %s", done)
	}
	select {
	case at := <-cancelled:
		t.Logf("from the cancel on B to the end seen on B: %s", time.Since(at))
	default:
		t.Fatal("the import ended before the cancel was sent")
	}
	if st := statusByOf(t, a.client(), a.URL+page); st.CancelledBy != "tester" {
		t.Errorf("A records the import cancelled by %q, want tester, who asked on B", st.CancelledBy)
	}
}

func TestASessionAndItsSignOutHoldOnEveryInstance(t *testing.T) {
	apps, _ := instances(t, 2)
	a, b := apps[0], apps[1]
	page := a.upload(t, "waits.xlsx", sample(t, 0), nil).Header.Get("Location") // never runs: its stream stays open

	// Signed in on A, used on B.
	resp, _ := postForm(t, a.anonymous(), a.URL+"/login", url.Values{"name": {"tester"}, "password": {testPassword}})
	c := sessionCookieOf(resp)
	if c == nil {
		t.Fatalf("sign in on A: %s", resp.Status)
	}
	if resp, _ := b.send(t, "GET", page, cookie(c.Value)); resp.StatusCode != 200 {
		t.Fatalf("A's session on B: %s, want 200", resp.Status)
	}
	streamOnA := openStream(t, a, page, cookie(c.Value))

	// Signed out on B: at once on A, and A's stream of it ends.
	if resp, _ := b.send(t, "POST", "/logout", cookie(c.Value)); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign out on B: %s", resp.Status)
	}
	if resp, _ := a.send(t, "GET", page, cookie(c.Value)); !toSignIn(resp, page) {
		t.Errorf("on A after signing out on B: %s, want sent to sign in", resp.Status)
	}
	select {
	case <-streamOnA:
	case <-time.After(10 * time.Second):
		t.Error("A's stream of the session is still open 10 s after signing out on B")
	}
}

func TestAnImportWhoseInstanceDiedIsInterruptedAndTheNextOneRuns(t *testing.T) {
	apps, st := instances(t, 2)
	a, b := apps[0], apps[1]
	// A takes two uploads but never runs them; a "ghost" instance claims
	// the first and dies at once: no sign of life ever again.
	ghost := a.upload(t, "ghost.xlsx", sample(t, 0), nil).Header.Get("Location")
	next := a.upload(t, "next.xlsx", sample(t, 0), nil).Header.Get("Location")
	if _, ok, err := st.Claim(context.Background(), "ghost"); !ok || err != nil {
		t.Fatalf("claim: %v %v", ok, err)
	}

	b.start()
	if done := lastEvent(t, b, ghost); !strings.Contains(done, `data-import-state="interrupted"`) {
		t.Fatalf("the dead instance's import ended: %s", done)
	}
	if state, _, _ := statusOf(t, a, ghost); state != "interrupted" {
		t.Errorf("A sees the dead instance's import %s, want interrupted", state)
	}
	if done := lastEvent(t, a, next); !strings.Contains(done, `data-import-state="succeeded"`) {
		t.Errorf("the next import ended: %s", done)
	}
}

func sampleOf(t *testing.T, employees int) []byte {
	t.Helper()
	var buf strings.Builder
	if err := workbooks.WriteSample(&buf, workbooks.SampleOptions{Employees: employees, Seed: 3}); err != nil {
		t.Fatal(err)
	}
	return []byte(buf.String())
}

// TestManyRequestsAtOnceOnPostgres: a crowd opening the same import's
// page and stream together (300 at once, more than PostgreSQL's default
// 100 connections) is answered, every one, instead of failing with
// "too many clients" for those past the server's limit.
func TestManyRequestsAtOnceOnPostgres(t *testing.T) {
	apps, _ := instances(t, 1)
	a := apps[0]
	a.start()
	page := a.upload(t, "staff.xlsx", sample(t, 12), nil).Header.Get("Location")
	lastEvent(t, a, page) // it has ended
	const crowd = 300
	client := a.client()
	failed := make(chan string, crowd)
	var wg sync.WaitGroup
	for i := range crowd {
		wg.Go(func() {
			url := a.URL + page
			if i%2 == 1 {
				url += "/events"
			}
			resp, err := client.Get(url)
			if err != nil {
				failed <- err.Error()
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				failed <- url + ": " + resp.Status
			}
		})
	}
	wg.Wait()
	close(failed)
	n := 0
	for f := range failed {
		if n++; n <= 3 {
			t.Error(f)
		}
	}
	if n > 0 {
		t.Errorf("%d of %d requests failed", n, crowd)
	}
}

// TestStreamsDoNotEachAskWhoIsSignedIn: open event streams check that
// their users are still signed in by one read of the people's version,
// not by a sign-in check each (issue 12: 4, the database's load does not
// grow with watchers). 100 streams re-checking every 100 ms asked about
// 1,000 statements a second before.
func TestStreamsDoNotEachAskWhoIsSignedIn(t *testing.T) {
	_, dsn := storetest.Postgres(t)
	counted, statements := storetest.CountQueries(t, dsn)
	st, err := store.Open(context.Background(), counted)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	const recheck = 100 * time.Millisecond
	a := serve(t, st, "", handlers.Config{Recheck: recheck}) // not started: the import waits, its streams stay open
	page := a.upload(t, "a.xlsx", areasWorkbook(t, 1), nil).Header.Get("Location")
	const streams = 100
	for range streams {
		openStream(t, a, page, cookie(a.me.session))
	}
	// Past their first rechecks: from the start, a stream reads only the
	// version, checked when it opened.
	time.Sleep(3 * recheck)
	before := statements.Load()
	const window = time.Second
	time.Sleep(window)
	asked := statements.Load() - before
	t.Logf("%d streams, rechecking every %v, asked %d statements in %v", streams, recheck, asked, window)
	if asked >= streams {
		t.Errorf("%d streams asked %d statements in %v; want fewer than one each", streams, asked, window)
	}
}
