package queue_test

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"roster/importer"
	"roster/importer/queue"
	"roster/importer/workbooks"
)

// Uploads are not kept without end: a failed import's upload stays for
// its problems workbook while KeepFailed runs, and every other file (an
// upload no import needs, a temporary file a crash left) is swept, so
// that a full disk does not block every later upload.
func TestSweepingUploadsKeepsOnlyWhatIsNeeded(t *testing.T) {
	d := openSQLite(t)
	dir := filepath.Join(t.TempDir(), "uploads")
	q, err := queue.NewLocal(d.st, dir, slog.New(slog.NewTextHandler(io.Discard, nil)))
	noErr(t, err)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- q.Run(ctx) }()
	defer func() { cancel(); <-done }()

	bad := filepath.Join(t.TempDir(), "bad.xlsx")
	f, err := os.Create(bad)
	noErr(t, err)
	noErr(t, workbooks.WriteSample(f, workbooks.SampleOptions{Employees: 50, Errors: 1, Seed: 1}))
	noErr(t, f.Close())
	id, err := q.Submit(t.Context(), importer.Request{FileName: "bad.xlsx", Path: bad})
	noErr(t, err)
	sub, err := q.Subscribe(t.Context(), id)
	noErr(t, err)
	for range sub.C {
	}
	if st := sub.Latest(); st.State != importer.Failed {
		t.Fatalf("the import ended %s, want failed", st.State)
	}
	sub.Close()

	kept := filepath.Join(dir, id+".xlsx")
	orphan := filepath.Join(dir, "NOIMPORTKNOWSTHIS.xlsx")
	oldTemp := filepath.Join(dir, "upload-123.xlsx")
	newTemp := filepath.Join(dir, "upload-456.xlsx")
	for _, p := range []string{orphan, oldTemp, newTemp} {
		noErr(t, os.WriteFile(p, []byte("x"), 0o644))
	}
	hoursAgo := time.Now().Add(-2 * time.Hour)
	noErr(t, os.Chtimes(oldTemp, hoursAgo, hoursAgo))
	noErr(t, os.Chtimes(orphan, hoursAgo, hoursAgo))
	fresh := filepath.Join(dir, "BEINGQUEUEDNOW.xlsx") // renamed in by Submit, its record not yet written
	noErr(t, os.WriteFile(fresh, []byte("x"), 0o644))

	q.SweepUploads(t.Context())
	exists := func(p string) bool { _, err := os.Stat(p); return err == nil }
	for p, want := range map[string]bool{kept: true, orphan: false, oldTemp: false, newTemp: true, fresh: true} {
		if exists(p) != want {
			t.Errorf("%s kept: %v, want %v", filepath.Base(p), exists(p), want)
		}
	}

	q.KeepFailed = 0
	q.SweepUploads(t.Context())
	if exists(kept) {
		t.Error("a failed import's upload is kept past KeepFailed")
	}
}
