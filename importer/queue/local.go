package queue

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"roster/importer"
	"roster/importer/store"
)

// Local is the queue of one process: the imports wait in memory, oldest
// first, and their uploads are files in one directory.
type Local struct {
	core
	// KeepFailed is how long a failed import's upload is kept, for its
	// problems workbook; SweepUploads removes it after. Set before Run.
	KeepFailed time.Duration
	uploads    string
	queue      []*job // waiting, oldest first; guarded by mu
	current    *job   // taken from the queue to run; guarded by mu
}

// NewLocal returns the queue of a process that keeps uploads in dir.
func NewLocal(st *store.Store, dir string, log *slog.Logger) (*Local, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create upload directory: %w", err)
	}
	return &Local{core: newCore(st, log), uploads: dir, KeepFailed: 7 * 24 * time.Hour}, nil
}

// Run marks the imports a previous process left unfinished as interrupted,
// then runs queued imports until ctx ends.
func (q *Local) Run(ctx context.Context) error {
	if err := q.interruptLeftovers(ctx); err != nil {
		if ctx.Err() != nil {
			// Stopped while starting: a clean stop. The leftovers are
			// still unfinished, and the next start marks them.
			return nil
		}
		return err
	}
	q.SweepUploads(ctx)
	daily := time.NewTicker(24 * time.Hour)
	defer daily.Stop()
	for {
		j := q.next()
		if j == nil {
			select {
			case <-ctx.Done():
				return nil
			case <-q.wake:
			case <-daily.C:
				q.SweepUploads(ctx)
			}
			continue
		}
		if st, ran := q.runJob(ctx, j, nil); ran {
			if !keepsUpload(st) {
				q.removeFile(j.path)
			}
			q.finish(j, st)
		}
		q.mu.Lock()
		q.current = nil
		q.publishAhead()
		q.mu.Unlock()
	}
}

func (q *Local) interruptLeftovers(ctx context.Context) error {
	left, err := q.store.StatusesIn(ctx, importer.Queued, importer.Running)
	if err != nil {
		return fmt.Errorf("find unfinished imports: %w", err)
	}
	for _, st := range left {
		if _, held := q.liveStatus(st.ID); held {
			continue // queued here before Run started
		}
		if _, err := q.store.SaveStatus(ctx, st.EndedOutside(importer.Interrupted, interruptedMessage, time.Now())); err != nil {
			return err
		}
		q.log.Info("import interrupted by a restart", "import", st.ID)
	}
	return nil
}

// next takes the oldest queued import, or nil.
func (q *Local) next() *job {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.queue) == 0 {
		return nil
	}
	j := q.queue[0]
	q.queue = q.queue[1:]
	q.current = j
	q.publishAhead()
	return j
}

func (q *Local) uploadPath(id string) string { return filepath.Join(q.uploads, id+".xlsx") }

// Submit queues an import of the workbook at path, which the queue takes
// over (it moves or removes the file). An upload that cannot be read as a
// workbook is refused with an importer.Error and nothing is queued.
func (q *Local) Submit(ctx context.Context, req importer.Request) (string, error) {
	if err := importer.Check(ctx, req.Path); err != nil {
		os.Remove(req.Path)
		return "", err
	}
	id := rand.Text()
	kept := q.uploadPath(id)
	if err := os.Rename(req.Path, kept); err != nil {
		os.Remove(req.Path)
		return "", fmt.Errorf("keep upload: %w", err)
	}
	q.enqueue(ctx, req.Status(id, time.Now()), kept)
	return id, nil
}

// enqueue records and queues an import whose upload (none for an undo)
// is kept at path.
func (q *Local) enqueue(ctx context.Context, st importer.Status, path string) {
	id := st.ID
	// While an import is saving its rows, SQLite's one writer is taken and
	// this save would wait: the upload is answered at once all the same,
	// since this process answers for the queued import from memory, and
	// the record is written when the import starts.
	saveCtx, cancel := context.WithTimeout(ctx, time.Second)
	if _, err := q.store.SaveStatus(saveCtx, st); err != nil {
		q.log.Warn("record a queued import; it is recorded when it starts", "import", id, "err", err)
	}
	cancel()
	q.hold(st, path)
}

// hold queues an import whose record is saved.
func (q *Local) hold(st importer.Status, path string) {
	q.mu.Lock()
	j := &job{status: st, path: path, subs: map[*Subscription]struct{}{}}
	q.live[st.ID] = j
	q.queue = append(q.queue, j)
	q.publishAhead()
	q.mu.Unlock()
	q.signal()
}

// Confirm queues the import of a reviewed upload with the review's
// options, and returns its id. The review's upload becomes the import's.
func (q *Local) Confirm(ctx context.Context, reviewID, by string) (string, error) {
	review, confirm, err := q.confirmation(ctx, reviewID, by)
	if err != nil {
		return "", err
	}
	kept := q.uploadPath(reviewID)
	if _, err := os.Stat(kept); err != nil {
		return "", uploadGone()
	}
	ok, _, err := q.store.ConfirmReview(ctx, review, confirm, false)
	if err != nil {
		return "", err
	}
	if !ok {
		return "", q.refusedConfirm(ctx, reviewID)
	}
	path := q.uploadPath(confirm.ID)
	if err := os.Rename(kept, path); err != nil {
		q.log.Error("move a confirmed review's upload", "review", reviewID, "err", err)
	}
	q.hold(confirm, path)
	return confirm.ID, nil
}

// Undo queues an undo of the import, and returns the undo's id.
func (q *Local) Undo(ctx context.Context, id, by string) (string, error) {
	st, err := q.undoRequest(ctx, id, by)
	if err != nil {
		return "", err
	}
	q.enqueue(ctx, st, "")
	return st.ID, nil
}

// publishAhead tells each queued import how many are before it. The
// caller holds q.mu.
func (q *Local) publishAhead() {
	running := 0
	if q.current != nil {
		running = 1 // the one taken to run counts, started or about to
	}
	for i, j := range q.queue {
		if j.status.Ahead != i+running {
			j.status.Ahead = i + running
			j.notify()
		}
	}
}

// Status returns the current status of an import.
func (q *Local) Status(ctx context.Context, id string) (importer.Status, error) {
	if st, ok := q.liveStatus(id); ok {
		return st, nil
	}
	return q.store.Status(ctx, id)
}

// Subscribe follows an import. For an import that has ended, the
// subscription is already closed and holds the final status.
func (q *Local) Subscribe(ctx context.Context, id string) (*Subscription, error) {
	if s, ok := q.attach(id); ok {
		return s, nil
	}
	if s, ok := q.join(id); ok {
		return s, nil
	}
	st, err := q.store.Status(ctx, id)
	if err != nil {
		return nil, err
	}
	if st.State.Final() {
		return ended(st), nil
	}
	// Left unfinished by a process that stopped, until Run marks it
	// interrupted, or written by another process on the same file.
	return q.follow(st, q.Status, func(importer.Status) time.Duration { return time.Second }), nil
}

// Upload returns the path of the kept upload of a failed import, and what
// to call when done with it.
func (q *Local) Upload(ctx context.Context, id string) (path string, done func(), err error) {
	if strings.ContainsAny(id, `/\.`) {
		return "", nil, importer.ErrNotFound
	}
	p := q.uploadPath(id)
	if _, err := os.Stat(p); err != nil {
		return "", nil, importer.ErrNotFound
	}
	return p, func() {}, nil
}

// Cancel stops a queued or running import; nothing of it is written. by
// is who asked, recorded in its status. It does nothing to an import that
// has ended.
func (q *Local) Cancel(ctx context.Context, id, by string) error {
	q.mu.Lock()
	j, ok := q.live[id]
	if !ok {
		q.mu.Unlock()
		_, err := q.store.Status(ctx, id)
		return err
	}
	if j.status.State == importer.Running {
		j.cancelledBy = by
		j.cancel()
		q.mu.Unlock()
		return nil
	}
	// Still queued (or taken to run and not yet started, which then sees
	// it has ended): it ends here, without running, before the lock is
	// let go.
	for i, w := range q.queue {
		if w == j {
			q.queue = append(q.queue[:i], q.queue[i+1:]...)
			break
		}
	}
	st := j.status.EndedOutside(importer.Cancelled, cancelledWhileQueued, time.Now())
	st.CancelledBy = by
	j.status = st
	j.notify()
	q.publishAhead()
	q.mu.Unlock()
	q.removeFile(j.path)
	// Saved in the background, trying again until it is: the user has been
	// told, and this process answers for the import until then.
	go func() {
		q.finish(j, q.saveEnd(context.Background(), importer.Result{Status: st}))
	}()
	return nil
}

// leftoverAge is how old a temporary file must be before a sweep takes it
// for a leftover of a crash rather than an upload or download under way.
const leftoverAge = time.Hour

// SweepUploads removes the files nothing needs any more: uploads of
// failed imports older than KeepFailed, uploads of imports that ended
// otherwise or that the database does not know (an interrupted import's,
// say), and temporary files a crash left behind. A full disk must not
// block every later upload and download.
func (q *Local) SweepUploads(ctx context.Context) {
	entries, err := os.ReadDir(q.uploads)
	if err != nil {
		q.log.Warn("sweep uploads", "err", err)
		return
	}
	for _, e := range entries {
		name := e.Name()
		path := filepath.Join(q.uploads, name)
		if strings.HasPrefix(name, "upload-") || strings.HasPrefix(name, "download-") {
			if info, err := e.Info(); err == nil && time.Since(info.ModTime()) > leftoverAge {
				q.removeFile(path)
			}
			continue
		}
		id, ok := strings.CutSuffix(name, ".xlsx")
		if !ok || e.IsDir() {
			continue
		}
		if _, held := q.liveStatus(id); held {
			continue
		}
		st, err := q.store.Status(ctx, id)
		switch {
		case errors.Is(err, importer.ErrNotFound):
			// An upload being queued right now is kept until its record is
			// written: only an old one is known to be nobody's.
			if info, err := e.Info(); err != nil || time.Since(info.ModTime()) < leftoverAge {
				continue
			}
		case err != nil:
			continue // keep it until the database can say
		case st.State == importer.Failed && time.Since(st.Finished) < q.KeepFailed:
			continue
		case st.State == importer.Reviewed && time.Since(st.Finished) < ReviewKept:
			continue // it can still be confirmed
		case !st.State.Final():
			continue
		}
		q.removeFile(path)
		q.log.Info("removed an upload no longer needed", "file", name)
	}
}
