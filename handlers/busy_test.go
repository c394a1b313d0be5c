package handlers_test

import (
	"context"
	"database/sql"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// holdWriteLock takes SQLite's one write lock on the app's database from
// another connection, as a long import saving its rows would, until the
// returned func is called.
func holdWriteLock(t *testing.T, a *app) (release func()) {
	t.Helper()
	db, err := sql.Open("sqlite", a.dbPath)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(context.Background(), "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	released := false
	release = func() {
		if released {
			return
		}
		released = true
		conn.ExecContext(context.Background(), "ROLLBACK")
		conn.Close()
		db.Close()
	}
	t.Cleanup(release)
	return release
}

// While an import holds SQLite's write lock (saving a big workbook), a
// second upload is still answered 303 at once, not 500 after the busy
// timeout, and it runs once the lock is free.
func TestAnUploadWhileTheDatabaseIsBeingWrittenIsQueuedAtOnce(t *testing.T) {
	a := newApp(t, handlersConfig())
	release := holdWriteLock(t, a)
	resp := a.upload(t, "second.xlsx", areasWorkbook(t, 2), nil)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("upload while the database is being written: %s, want 303", resp.Status)
	}
	page := resp.Header.Get("Location")
	if state, _, _ := statusOf(t, a, page); state != "queued" && state != "running" {
		t.Errorf("the new import is %s, want queued or running", state)
	}
	release()
	events := readEvents(t, a.URL+page+"/events")
	if last := events[len(events)-1]; !strings.Contains(last.data, `data-import-state="succeeded"`) {
		t.Errorf("the import ended %q, want succeeded", last.data)
	}
	if got := countRows(t, a.dbPath, "areas"); got != 2 {
		t.Errorf("%d areas, want 2", got)
	}
}

// Cancelling a queued import while the database is being written ends it
// at once, for the user and for the stream; its record follows once the
// database is free, and it never runs.
func TestCancellingAQueuedImportWhileTheDatabaseIsBusyEndsItAtOnce(t *testing.T) {
	a := newStoppedApp(t, handlersConfig())
	page := a.upload(t, "areas.xlsx", areasWorkbook(t, 3), nil).Header.Get("Location")
	release := holdWriteLock(t, a)

	resp, err := a.client().Post(a.URL+page+"/cancel", "application/x-www-form-urlencoded", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("cancel while the database is busy: %s, want 303", resp.Status)
	}
	if state, _, _ := statusOf(t, a, page); state != "cancelled" {
		t.Errorf("right after the cancel the import is %s, want cancelled", state)
	}
	events := readEvents(t, a.URL+page+"/events")
	if last := events[len(events)-1]; !strings.Contains(last.data, `data-import-state="cancelled"`) {
		t.Errorf("the stream ended %q, want cancelled", last.data)
	}
	release()
	a.start()
	// The record reaches the database once the lock is free: read it
	// from the file, as a restarted server would.
	deadline := time.Now().Add(20 * time.Second)
	for recordedState(t, a) != "cancelled" {
		if time.Now().After(deadline) {
			t.Fatalf("the cancelled import is %q in the database, want cancelled", recordedState(t, a))
		}
		time.Sleep(20 * time.Millisecond) // polling the file: no event tells when it is written
	}
	if got := countRows(t, a.dbPath, "areas"); got != 0 {
		t.Errorf("%d areas written, want none", got)
	}
}

// recordedState is the state of the only import in the app's database.
func recordedState(t *testing.T, a *app) string {
	t.Helper()
	db, err := sql.Open("sqlite", a.dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var state string
	if err := db.QueryRow("SELECT state FROM imports").Scan(&state); err != nil && err != sql.ErrNoRows {
		t.Fatal(err)
	}
	return state
}

// The running import counts in the queue position: with one running, the
// next waiting import has one ahead of it, the one after that two.
func TestTheRunningImportCountsInTheQueuePosition(t *testing.T) {
	a := newStoppedApp(t, handlersConfig())
	first := a.upload(t, "first.xlsx", areasWorkbook(t, 1), nil).Header.Get("Location")
	second := a.upload(t, "second.xlsx", areasWorkbook(t, 2), nil).Header.Get("Location")
	third := a.upload(t, "third.xlsx", areasWorkbook(t, 3), nil).Header.Get("Location")
	// The first cannot finish while the lock is held: it stays running.
	release := holdWriteLock(t, a)
	a.start()
	deadline := time.Now().Add(5 * time.Second)
	for {
		state, _, _ := statusOf(t, a, first)
		if state == "running" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the first import is %s, want running", state)
		}
		time.Sleep(10 * time.Millisecond) // polling the status as a script would
	}
	for page, want := range map[string]int{second: 1, third: 2} {
		if state, ahead, _ := statusOf(t, a, page); state != "queued" || ahead != want {
			t.Errorf("%s: %s with %d ahead, want queued with %d ahead (the running one counts)", page, state, ahead, want)
		}
	}
	release()
}

// A client that goes away in the middle of its upload is its own doing:
// the server logs no error and no 500 for it, and queues nothing.
func TestAClientThatDropsMidUploadIsNotAServerError(t *testing.T) {
	a := newApp(t, handlersConfig())
	conn, err := net.Dial("tcp", strings.TrimPrefix(a.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	body := "--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"staff.xlsx\"\r\n\r\nPK\x03\x04 part of a workbook"
	fmt.Fprintf(conn, "POST /imports HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=B\r\nContent-Length: 100000\r\n\r\n%s", body)
	conn.Close()

	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(a.logs.String(), "path=/imports") {
		if time.Now().After(deadline) {
			t.Fatalf("the request was never logged:\n%s", a.logs.String())
		}
		time.Sleep(10 * time.Millisecond) // the log is the only sign the server has finished with it
	}
	logs := a.logs.String()
	if strings.Contains(logs, "level=ERROR") || strings.Contains(logs, "status=500") {
		t.Errorf("a dropped upload is logged as the server's failure:\n%s", logs)
	}
	if list, _ := a.runner.History(context.Background(), 10); len(list) != 0 {
		t.Errorf("%d imports queued from a dropped upload", len(list))
	}
}
