package queue_test

import (
	"context"
	"database/sql"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"roster/importer"
	"roster/importer/queue"
	"roster/importer/workbooks"
)

// signalLog tells when a log message containing a phrase is written.
type signalLog struct {
	phrase string
	once   sync.Once
	seen   chan struct{}
}

func (l *signalLog) Write(p []byte) (int, error) {
	if strings.Contains(string(p), l.phrase) {
		l.once.Do(func() { close(l.seen) })
	}
	return len(p), nil
}

// A save of an import's end that fails (here: the database stays locked
// past its busy timeout) is tried again: the import still reaches its end
// state, in the database too, instead of staying "running" for good.
func TestAnImportsEndIsSavedEvenWhenTheFirstSaveFails(t *testing.T) {
	d := openSQLite(t)
	logs := &signalLog{phrase: "trying again", seen: make(chan struct{})}
	q, err := queue.NewLocal(d.st, filepath.Join(t.TempDir(), "uploads"), slog.New(slog.NewTextHandler(logs, nil)))
	noErr(t, err)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- q.Run(ctx) }()
	defer func() { cancel(); <-done }()

	path := filepath.Join(t.TempDir(), "bad.xlsx")
	f, err := os.Create(path)
	noErr(t, err)
	noErr(t, workbooks.WriteSample(f, workbooks.SampleOptions{Employees: 5000, Errors: 1, Seed: 1}))
	noErr(t, f.Close())
	id, err := q.Submit(t.Context(), importer.Request{FileName: "bad.xlsx", Path: path})
	noErr(t, err)
	sub, err := q.Subscribe(t.Context(), id)
	noErr(t, err)
	defer sub.Close()
	// Once the import runs, another connection takes the write lock, as a
	// long writer would, until the import's first save of its end fails.
	for range sub.C {
		if sub.Latest().State == importer.Running {
			break
		}
	}
	db, err := sql.Open("sqlite", d.path)
	noErr(t, err)
	defer db.Close()
	conn, err := db.Conn(t.Context())
	noErr(t, err)
	_, err = conn.ExecContext(t.Context(), "BEGIN IMMEDIATE")
	noErr(t, err)
	<-logs.seen
	_, err = conn.ExecContext(t.Context(), "ROLLBACK")
	noErr(t, err)
	conn.Close()

	for range sub.C {
	}
	if end := sub.Latest(); end.State != importer.Failed {
		t.Fatalf("the import ended %s, want failed", end.State)
	}
	var state string
	noErr(t, db.QueryRow("SELECT state FROM imports WHERE id = ?", id).Scan(&state))
	if state != "failed" {
		t.Errorf("the database says the import is %s, want failed", state)
	}
	if problems, total, err := d.st.Problems(t.Context(), id, 0); err != nil || total != 1 || len(problems) != 1 {
		t.Errorf("problems kept: %d of %d (%v), want the one", len(problems), total, err)
	}
}
