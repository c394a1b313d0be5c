// Package queue runs imports one at a time per database and tells their
// subscribers how they go. Local is the queue of one process (SQLite):
// its waiting imports and their uploads live in the process and on its
// disk. Shared is the queue that several instances keep in one PostgreSQL
// database. Both run an import the same way (this file) and fan its
// snapshots out the same way (broker.go).
package queue

import (
	"context"
	"log/slog"
	"os"
	"runtime"
	"sync"
	"time"

	"roster/importer"
	"roster/importer/store"
)

const (
	interruptedMessage   = "The server stopped during this import; nothing was saved. Upload the workbook again."
	cancelledWhileQueued = "The import was cancelled before it started; nothing was saved."
)

// yieldForAtMost is how many woken subscribers an import yields its
// processor to: a stream or two take microseconds, and the event latency
// depends on them running at once.
const yieldForAtMost = 16

// core is what both queues share: the imports this process is running or
// holding, with their subscribers.
type core struct {
	store *store.Store
	log   *slog.Logger

	mu   sync.Mutex
	live map[string]*job // imports this process holds, by id
	wake chan struct{}   // a new import may be waiting

	readers readers // imports this process follows without holding them
}

// job is an import this process holds.
type job struct {
	status importer.Status
	path   string             // the upload, a file of this process
	cancel context.CancelFunc // set while it runs
	// cancelledBy is who asked to cancel it while it ran: the import
	// ends cancelled on its own goroutine, which records them.
	cancelledBy string
	subs        map[*Subscription]struct{}
}

func newCore(st *store.Store, log *slog.Logger) core {
	return core{store: st, log: log, live: map[string]*job{}, wake: make(chan struct{}, 1)}
}

func (c *core) signal() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// liveStatus is the status of an import this process holds.
func (c *core) liveStatus(id string) (importer.Status, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if j, ok := c.live[id]; ok {
		return j.status.Clone(), true
	}
	return importer.Status{}, false
}

// History returns the latest imports, newest first, each as it stands.
func (c *core) History(ctx context.Context, limit int) ([]importer.Status, error) {
	list, err := c.store.Statuses(ctx, limit)
	if err != nil {
		return nil, err
	}
	for i, st := range list {
		if live, ok := c.liveStatus(st.ID); ok {
			list[i] = live
		}
	}
	return list, nil
}

// Problems returns the first perSheet problems of each sheet of an import
// (all when perSheet is 0) and how many there are in all.
func (c *core) Problems(ctx context.Context, id string, perSheet int) ([]importer.Problem, int, error) {
	return c.store.Problems(ctx, id, perSheet)
}

// runJob runs an import that this process holds, saves how it ended and
// returns that; the caller then lets go of the job with finish. ran is
// false when the import had been cancelled before it could start: Cancel
// then saves it and lets go of it. beat, when set, runs beside the import
// until it ends (Shared's heartbeat).
func (c *core) runJob(server context.Context, j *job, beat func(ctx context.Context, j *job, cancel context.CancelFunc) (stop func())) (end importer.Status, ran bool) {
	ctx, cancel := context.WithCancel(server)
	defer cancel()
	c.mu.Lock()
	if j.status.State != importer.Queued {
		st := j.status
		c.mu.Unlock()
		return st, false
	}
	j.cancel = cancel
	j.status.State = importer.Running
	j.status.Ahead = 0
	start := j.status.Clone()
	c.mu.Unlock()

	if _, err := c.store.SaveStatus(ctx, start); err != nil {
		// Not fatal: the import's outcome is saved at its end, with a
		// retry, and the process answers for it from memory meanwhile.
		c.log.Warn("save import start", "import", start.ID, "err", err)
	}
	stopBeating := func() {}
	if beat != nil {
		// The beat lives on the server's context, not the import's: a
		// cancelled import still winds down (a rollback, its end saved),
		// and without a sign of life meanwhile another instance would
		// take it for dead and end it interrupted instead of cancelled.
		stopBeating = beat(server, j, cancel)
	}
	run := func(ctx context.Context, start importer.Status, report func(importer.Status)) (importer.Result, error) {
		if start.Undoes != "" {
			return importer.Undo(ctx, c.store, start, report)
		}
		return importer.Import(ctx, c.store, j.path, start, report)
	}
	res, err := run(ctx, start, func(st importer.Status) {
		if st.State.Final() {
			// Told to everyone only once it is saved with its problems
			// (in finish), so nobody sees an end without its problems.
			return
		}
		c.mu.Lock()
		j.status = st
		woken := j.notify()
		c.mu.Unlock()
		// The subscribers just woken wait on this goroutine's processor;
		// without a yield they would run only when the scheduler preempts
		// the import, up to 10 ms later, since both cores are busy with it.
		// Many are left to the other processors instead: the import would
		// wait for every one of them.
		if woken > 0 && woken <= yieldForAtMost {
			runtime.Gosched()
		}
	})
	stopBeating()
	if err != nil {
		c.log.Error("import failed", "import", start.ID, "err", err)
	}
	if server.Err() != nil && res.Status.State == importer.Cancelled {
		// Stopped by the server shutting down, not by a user.
		res.Status.State = importer.Interrupted
		res.Status.Error = interruptedMessage
	}
	if res.Status.State == importer.Cancelled {
		c.mu.Lock()
		res.Status.CancelledBy = j.cancelledBy
		c.mu.Unlock()
	}
	return c.saveEnd(server, res), true
}

// saveEnd records how an import ended, with its problems, trying again
// until it is saved: every import must reach an end state in the
// database, whatever fails on the way (a busy or unreachable database).
// The job stays live meanwhile, so its pages show the end from memory.
// It returns the end as recorded: the database's, when another instance
// had already ended the import. A succeeded import was recorded with its
// data, in the same transaction, and a reviewed one with its changes.
func (c *core) saveEnd(server context.Context, res importer.Result) importer.Status {
	st := res.Status
	if st.State == importer.Succeeded || st.State == importer.Reviewed {
		return st
	}
	wait := 100 * time.Millisecond
	for {
		// A context of its own: a server shutting down still records how
		// its imports ended.
		ctx, done := context.WithTimeout(context.WithoutCancel(server), 30*time.Second)
		ok, err := c.store.SaveEnd(ctx, st, res.Problems)
		if err == nil && !ok {
			if saved, err := c.store.Status(ctx, st.ID); err == nil {
				st = saved
			}
		}
		done()
		if err == nil {
			return st
		}
		c.log.Error("save the end of an import; trying again", "import", st.ID, "in", wait, "err", err)
		select {
		case <-server.Done():
			// A restart marks it interrupted, which is true: nothing of
			// it was written.
			return st
		case <-time.After(wait):
		}
		wait = min(2*wait, 30*time.Second)
	}
}

// finish ends the live life of an import: its subscribers get the final
// status and this process forgets it.
func (c *core) finish(j *job, st importer.Status) {
	c.mu.Lock()
	defer c.mu.Unlock()
	j.status = st
	j.notify()
	delete(c.live, st.ID)
}

// keepsUpload reports whether an ended import's upload is still needed: a
// failed import's for its problems workbook, a review's to be confirmed.
func keepsUpload(st importer.Status) bool {
	return st.State == importer.Failed || st.State == importer.Reviewed
}

// removeFile removes a file the queue no longer needs, saying so in the
// log when it cannot.
func (c *core) removeFile(path string) {
	if path == "" {
		return // an undo has no upload
	}
	if err := os.Remove(path); err != nil && !os.IsNotExist(err) {
		c.log.Warn("remove upload", "path", path, "err", err)
	}
}
