package importer

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sync"
	"time"

	"roster/importer/store"
)

// Several instances on one PostgreSQL database behave as one product: the
// uploads and the queue live in the database; whichever instance holds
// the database's import lock claims the oldest queued import and runs it,
// saving its progress every Beat as a sign of life; any instance answers
// for any import from the database, asks the running instance to cancel
// through it, and marks interrupted an import whose instance has shown no
// life for Stale. On SQLite (one process) none of this runs.

// runShared runs queued imports of the whole database, one at a time
// across instances, until ctx ends.
func (r *Runner) runShared(ctx context.Context) error {
	tick := time.NewTicker(r.Beat)
	defer tick.Stop()
	var swept time.Time
	for {
		if time.Since(swept) >= r.Stale/3 {
			r.sweep(ctx)
			swept = time.Now()
		}
		if r.runNextShared(ctx) {
			continue
		}
		select {
		case <-ctx.Done():
			return nil
		case <-r.wake:
		case <-tick.C:
		}
	}
}

// runNextShared runs the oldest queued import if this instance can take
// the import lock; it reports whether it ran one.
func (r *Runner) runNextShared(ctx context.Context) bool {
	unlock, ok, err := r.store.TryLock(ctx)
	if err != nil && ctx.Err() == nil {
		r.log.Error("take the import lock", "err", err)
	}
	if !ok {
		return false
	}
	defer unlock()
	im, ok, err := r.store.Claim(ctx, r.owner, time.Now())
	if err != nil && ctx.Err() == nil {
		r.log.Error("claim an import", "err", err)
	}
	if !ok {
		return false
	}
	var st Status
	if err := json.Unmarshal(im.Status, &st); err != nil {
		st = NewStatus(im.ID, im.FileName, im.Created)
	}
	st.State, st.Ahead = Queued, 0 // runJob starts it
	path, done, err := r.copyUpload(ctx, im.ID)
	if err != nil {
		r.log.Error("fetch upload", "import", im.ID, "err", err)
		st.State, st.Error, st.Finished = Failed, "The uploaded file could not be found; upload it again.", time.Now()
		if err := r.save(context.WithoutCancel(ctx), st); err != nil {
			r.log.Error("save import", "import", im.ID, "err", err)
		}
		return true
	}
	defer done()
	j := &job{status: st, path: path, subs: map[*Subscription]struct{}{}}
	r.mu.Lock()
	r.live[im.ID] = j
	r.mu.Unlock()
	r.runJob(ctx, j)
	return true
}

// submitShared keeps the upload in the database, then queues its import
// for any instance to run.
func (r *Runner) submitShared(ctx context.Context, id, fileName, path string) error {
	defer os.Remove(path)
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := r.store.SaveUpload(ctx, id, f); err != nil {
		return err
	}
	if err := r.save(ctx, NewStatus(id, fileName, time.Now())); err != nil {
		r.store.DeleteUpload(context.WithoutCancel(ctx), id)
		return err
	}
	select {
	case r.wake <- struct{}{}:
	default:
	}
	return nil
}

// copyUpload writes a kept upload to a file of this instance.
func (r *Runner) copyUpload(ctx context.Context, id string) (path string, done func(), err error) {
	f, err := os.CreateTemp(r.uploads, id+"-*.xlsx")
	if err != nil {
		return "", nil, err
	}
	done = func() { os.Remove(f.Name()) }
	err = r.store.CopyUpload(ctx, id, f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == store.ErrNotFound {
		err = ErrNotFound
	}
	if err != nil {
		done()
		return "", nil, err
	}
	return filepath.Clean(f.Name()), done, nil
}

// beat saves, every Beat while the import runs, its latest status as a
// sign of life, and cancels it when another instance asked. The returned
// func stops it, and returns once it has stopped, so that no beat lands
// after the final status.
func (r *Runner) beat(ctx context.Context, j *job, cancel context.CancelFunc) (stop func()) {
	if !r.shared {
		return func() {}
	}
	quit := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(r.Beat)
		defer tick.Stop()
		for {
			select {
			case <-quit:
				return
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			r.mu.Lock()
			st := j.status.Clone()
			r.mu.Unlock()
			body, err := json.Marshal(st)
			if err != nil {
				continue
			}
			asked, err := r.store.Beat(ctx, st.ID, r.owner, time.Now(), body)
			if err != nil && ctx.Err() == nil {
				r.log.Error("heartbeat", "import", st.ID, "err", err)
			}
			if asked {
				cancel()
			}
		}
	}()
	return func() {
		close(quit)
		wg.Wait()
	}
}

// cancelShared cancels an import that this instance does not run: a
// queued one at once, a running one by asking its instance.
func (r *Runner) cancelShared(ctx context.Context, st Status) error {
	if st.State == Queued {
		ok, err := r.saveIf(ctx, st.EndedOutside(Cancelled, cancelledWhileQueued, time.Now()), Queued)
		if err != nil || ok {
			if ok {
				r.forgetUpload(ctx, st.ID, "")
			}
			return err
		}
		// Claimed in the meantime: ask its instance, as for a running one.
	}
	return r.store.RequestCancel(ctx, st.ID)
}

// sweep marks interrupted the imports whose instance has shown no sign of
// life for Stale: it died, and nothing of them was written.
func (r *Runner) sweep(ctx context.Context) {
	stale, err := r.store.Stale(ctx, time.Now().Add(-r.Stale))
	if err != nil {
		if ctx.Err() == nil {
			r.log.Error("find stale imports", "err", err)
		}
		return
	}
	for _, im := range stale {
		var st Status
		if err := json.Unmarshal(im.Status, &st); err != nil {
			st = NewStatus(im.ID, im.FileName, im.Created)
		}
		ok, err := r.saveIf(ctx, st.EndedOutside(Interrupted, interruptedMessage, time.Now()), Running)
		if err != nil {
			r.log.Error("interrupt import", "import", im.ID, "err", err)
			continue
		}
		if ok {
			r.log.Info("import interrupted: its instance stopped answering", "import", im.ID)
			r.forgetUpload(ctx, im.ID, "")
		}
	}
}

// saveIf saves a status only while the import is still in state from.
func (r *Runner) saveIf(ctx context.Context, st Status, from State) (bool, error) {
	body, err := json.Marshal(st)
	if err != nil {
		return false, err
	}
	return r.store.SaveImportIf(ctx, store.Import{ID: st.ID, State: string(st.State), Status: body}, string(from))
}
