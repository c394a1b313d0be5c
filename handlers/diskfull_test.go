package handlers_test

import (
	"context"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"roster/importer/store"
)

// smallDisk mounts a tmpfs of the given size for the test, or skips the
// test where mounting is not allowed.
func smallDisk(t *testing.T, size string) string {
	t.Helper()
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size="+size); err != nil {
		t.Skipf("cannot mount a small disk here (%v); the test needs root", err)
	}
	t.Cleanup(func() { syscall.Unmount(dir, syscall.MNT_DETACH) })
	return dir
}

// When the database's disk fills during an import, nothing is written and
// the user reads that the server's disk is full, not that something went
// wrong on the server.
func TestAFullDiskIsSaidToBeOne(t *testing.T) {
	disk := smallDisk(t, "2m")
	path := filepath.Join(disk, "roster.db")
	st, err := store.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	a := serve(t, st, path, handlersConfig())
	a.start()

	page := a.upload(t, "big.xlsx", sampleOf(t, 3000), nil).Header.Get("Location")
	events := readEvents(t, a.URL+page+"/events")
	done := events[len(events)-1].data
	if !strings.Contains(done, `data-import-state="failed"`) || !strings.Contains(done, "disk is full") {
		t.Errorf("the import ended %q, want failed with the disk full", done)
	}
	if got := countRows(t, path, "employees"); got != 0 {
		t.Errorf("%d employees written, want none", got)
	}
}
