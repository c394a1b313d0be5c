package queue

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"roster/importer"
	"roster/importer/store"
)

// Shared is the queue that several instances keep in one PostgreSQL
// database, so that they behave as one product: the uploads and the queue
// live in the database; an instance claims the oldest queued import when
// none is running and runs it, saving its progress every Beat as a sign
// of life; any instance answers for any import from the database, asks
// the running instance to cancel through it, and marks interrupted an
// import whose instance has shown no life for Stale (by the database's
// clock). An instance that was out of touch that long finds, at its next
// heartbeat, that the import is no longer its own and stops it; and
// whatever it does, its commit is refused (the store records an import's
// outcome only while it is running), so interrupted stays true: nothing
// was written.
type Shared struct {
	core
	scratch string // where this instance copies an upload it needs as a file
	owner   string // this instance, as the database knows it
	// Beat is how often the instance running an import shows, with its
	// progress, that it is alive; an import whose instance has not for
	// Stale is interrupted by any other. Set them before Run.
	Beat, Stale time.Duration
	// KeepFailed is how long a failed import's upload is kept, for its
	// problems workbook. Set before Run.
	KeepFailed time.Duration
	// Reread is how often a running import that another instance runs is
	// read from the database for its watchers here, in case a notice of
	// its changes was lost. Set before Subscribe.
	Reread time.Duration

	firstReads singleflight.Group // of imports a crowd of watchers subscribes to at once
}

// NewShared returns this instance's part of the queue of a shared
// database; dir holds the copies of uploads it works on.
func NewShared(st *store.Store, dir string, log *slog.Logger) (*Shared, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create upload directory: %w", err)
	}
	q := &Shared{
		core: newCore(st, log), scratch: dir, owner: rand.Text(),
		Beat: time.Second, Stale: 30 * time.Second, KeepFailed: 7 * 24 * time.Hour,
		Reread: 3 * time.Second,
	}
	q.readers.listen = q.listen
	return q, nil
}

// Run runs queued imports of the whole database, one at a time across
// instances, and sweeps for imports whose instance died, until ctx ends.
// The sweep runs on its own: an instance busy running an import still
// frees the queue of one that died.
func (q *Shared) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Go(func() {
		tick := time.NewTicker(q.Stale / 3)
		defer tick.Stop()
		var uploadsSwept time.Time
		for {
			q.sweep(ctx)
			if time.Since(uploadsSwept) > 24*time.Hour {
				q.sweepUploads(ctx)
				uploadsSwept = time.Now()
			}
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	})
	tick := time.NewTicker(q.Beat)
	defer tick.Stop()
	for {
		if q.runNext(ctx) {
			continue
		}
		select {
		case <-ctx.Done():
			return nil
		case <-q.wake:
		case <-tick.C:
		}
	}
}

// runNext claims the oldest queued import, if none runs, and runs it; it
// reports whether it ran one.
func (q *Shared) runNext(ctx context.Context) bool {
	st, ok, err := q.store.Claim(ctx, q.owner)
	if err != nil && ctx.Err() == nil {
		q.log.Error("claim an import", "err", err)
	}
	if !ok {
		return false
	}
	st.State, st.Ahead = importer.Queued, 0 // runJob starts it
	path, done, err := "", func() {}, error(nil)
	if st.Undoes == "" { // an undo has no upload
		path, done, err = q.Upload(ctx, st.ID)
	}
	if err != nil {
		q.log.Error("fetch upload", "import", st.ID, "err", err)
		st.State, st.Error, st.Finished = importer.Failed, "The uploaded file could not be found; upload it again.", time.Now()
		q.tell(ctx, q.saveEnd(ctx, importer.Result{Status: st}))
		return true
	}
	defer done()
	j := &job{status: st, path: path, subs: map[*Subscription]struct{}{}}
	q.mu.Lock()
	q.live[st.ID] = j
	q.mu.Unlock()
	announced := q.announce(ctx, j)
	defer announced()
	end, _ := q.runJob(ctx, j, q.beat) // a claimed import is cancelled through its instance, never before it starts
	if !keepsUpload(end) {
		q.forgetUpload(context.WithoutCancel(ctx), st.ID)
	}
	q.finish(j, end)
	return true
}

// Submit keeps the upload in the database, then queues its import for
// any instance to run. An upload that cannot be read as a workbook is
// refused with an importer.Error and nothing is queued.
func (q *Shared) Submit(ctx context.Context, req importer.Request) (string, error) {
	defer os.Remove(req.Path)
	if err := importer.Check(ctx, req.Path); err != nil {
		return "", err
	}
	id := rand.Text()
	f, err := os.Open(req.Path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	if err := q.store.SaveUpload(ctx, id, f); err != nil {
		return "", err
	}
	if _, err := q.store.SaveStatus(ctx, req.Status(id, time.Now())); err != nil {
		q.forgetUpload(context.WithoutCancel(ctx), id)
		return "", err
	}
	q.signal()
	return id, nil
}

// Confirm queues the import of a reviewed upload with the review's
// options, for any instance to run, and returns its id. The review's
// upload becomes the import's.
func (q *Shared) Confirm(ctx context.Context, reviewID, by string) (string, error) {
	review, confirm, err := q.confirmation(ctx, reviewID, by)
	if err != nil {
		return "", err
	}
	ok, gone, err := q.store.ConfirmReview(ctx, review, confirm, true)
	switch {
	case err != nil:
		return "", err
	case gone:
		return "", uploadGone()
	case !ok:
		return "", q.refusedConfirm(ctx, reviewID)
	}
	q.signal()
	return confirm.ID, nil
}

// Undo queues an undo of the import, for any instance to run, and returns
// the undo's id.
func (q *Shared) Undo(ctx context.Context, id, by string) (string, error) {
	st, err := q.undoRequest(ctx, id, by)
	if err != nil {
		return "", err
	}
	if _, err := q.store.SaveStatus(ctx, st); err != nil {
		return "", err
	}
	q.signal()
	return st.ID, nil
}

// Status returns the current status of an import, wherever it runs.
func (q *Shared) Status(ctx context.Context, id string) (importer.Status, error) {
	if st, ok := q.liveStatus(id); ok {
		return st, nil
	}
	st, err := q.store.Status(ctx, id)
	if err != nil {
		return importer.Status{}, err
	}
	if st.State == importer.Queued {
		if st.Ahead, err = q.store.Ahead(ctx, st.Created); err != nil {
			return importer.Status{}, err
		}
	}
	return st, nil
}

// Upload writes a kept upload to a file of this instance, and returns its
// path and what to call when done with it.
func (q *Shared) Upload(ctx context.Context, id string) (path string, done func(), err error) {
	f, err := os.CreateTemp(q.scratch, "upload-*.xlsx")
	if err != nil {
		return "", nil, err
	}
	done = func() { q.removeFile(f.Name()) }
	err = q.store.CopyUpload(ctx, id, f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		done()
		return "", nil, err
	}
	return filepath.Clean(f.Name()), done, nil
}

// forgetUpload removes an upload that no workbook will need again.
func (q *Shared) forgetUpload(ctx context.Context, id string) {
	if err := q.store.DeleteUpload(ctx, id); err != nil {
		q.log.Error("delete upload", "import", id, "err", err)
	}
}

// beat saves, every Beat while the import runs, its latest status as a
// sign of life, and cancels it when another instance asked or when the
// import is no longer this instance's to run. The returned
// func stops it, and returns once it has stopped, so that no beat lands
// after the final status.
func (q *Shared) beat(ctx context.Context, j *job, cancel context.CancelFunc) (stop func()) {
	quit := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(q.Beat)
		defer tick.Stop()
		for {
			select {
			case <-quit:
				return
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			q.mu.Lock()
			st := j.status.Clone()
			q.mu.Unlock()
			stop, by, err := q.store.Beat(ctx, st, q.owner)
			if err != nil && ctx.Err() == nil {
				q.log.Error("heartbeat", "import", st.ID, "err", err)
			}
			if stop {
				q.mu.Lock()
				j.cancelledBy = by
				q.mu.Unlock()
				cancel()
			}
		}
	})
	return func() {
		close(quit)
		wg.Wait()
	}
}

// Cancel stops a queued or running import, wherever it runs: a queued
// one at once, a running one by asking its instance. It does nothing to
// an import that has ended. by is who asked, recorded in its status.
func (q *Shared) Cancel(ctx context.Context, id, by string) error {
	q.mu.Lock()
	if j, ok := q.live[id]; ok && j.cancel != nil {
		j.cancelledBy = by
		j.cancel()
		q.mu.Unlock()
		return nil
	}
	q.mu.Unlock()
	st, err := q.store.Status(ctx, id)
	if err != nil || st.State.Final() {
		return err
	}
	if st.State == importer.Queued {
		ended := st.EndedOutside(importer.Cancelled, cancelledWhileQueued, time.Now())
		ended.CancelledBy = by
		ok, err := q.store.SaveStatusIf(ctx, ended, importer.Queued)
		if err != nil {
			return err
		}
		if ok {
			q.forgetUpload(ctx, id)
			return nil
		}
		// Claimed in the meantime: ask its instance, as for a running one.
	}
	return q.store.RequestCancel(ctx, id, by)
}

// sweep marks interrupted the imports whose instance has shown no sign of
// life for Stale: it died, and nothing of them was written.
func (q *Shared) sweep(ctx context.Context) {
	stale, err := q.store.Stale(ctx, q.Stale)
	if err != nil {
		if ctx.Err() == nil {
			q.log.Error("find stale imports", "err", err)
		}
		return
	}
	for _, st := range stale {
		end := st.EndedOutside(importer.Interrupted, interruptedMessage, time.Now())
		ok, err := q.store.SaveStatusIf(ctx, end, importer.Running)
		if err != nil {
			q.log.Error("interrupt import", "import", st.ID, "err", err)
			continue
		}
		if ok {
			q.tell(ctx, end)
			q.log.Info("import interrupted: its instance stopped answering", "import", st.ID)
			q.forgetUpload(ctx, st.ID)
		}
	}
}

// Subscribe follows an import, wherever it runs. For an import that has
// ended, the subscription is already closed and holds the final status.
func (q *Shared) Subscribe(ctx context.Context, id string) (*Subscription, error) {
	if s, ok := q.attach(id); ok {
		return s, nil
	}
	if s, ok := q.join(id); ok {
		return s, nil
	}
	// Watchers arriving together read the import once between them.
	read, err, _ := q.firstReads.Do(id, func() (any, error) {
		return q.Status(context.WithoutCancel(ctx), id)
	})
	if err != nil {
		return nil, err
	}
	st := read.(importer.Status).Clone()
	if st.State.Final() {
		return ended(st), nil
	}
	// Another instance runs it, or this one has yet to claim it.
	return q.follow(st, q.Status, q.reread), nil
}

// sweepUploads forgets the uploads nothing needs any more (a failed
// import's after KeepFailed), and removes the copies a crash of this
// instance left in its scratch directory.
func (q *Shared) sweepUploads(ctx context.Context) {
	n, err := q.store.DeleteStaleUploads(ctx, time.Now().Add(-q.KeepFailed), time.Now().Add(-ReviewKept))
	if err != nil {
		q.log.Warn("sweep uploads", "err", err)
	} else if n > 0 {
		q.log.Info("removed uploads no longer needed", "parts", n)
	}
	entries, err := os.ReadDir(q.scratch)
	if err != nil {
		return
	}
	for _, e := range entries {
		if info, err := e.Info(); err == nil && !e.IsDir() && time.Since(info.ModTime()) > leftoverAge {
			q.removeFile(filepath.Join(q.scratch, e.Name()))
		}
	}
}
