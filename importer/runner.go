package importer

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"roster/importer/store"
	"roster/importer/xlsx"
)

const (
	interruptedMessage   = "The server stopped during this import; nothing was saved. Upload the workbook again."
	cancelledWhileQueued = "The import was cancelled before it started; nothing was saved."
)

// ErrNotFound is returned for an import id nobody knows.
var ErrNotFound = errors.New("no such import")

// ErrTooLarge is wrapped (with ErrUnreadable) when a workbook exceeds a
// limit: it unpacks to more than 1 GiB, or a sheet is larger than Excel's.
var ErrTooLarge = xlsx.ErrTooLarge

// ErrNotWorkbook is wrapped (with ErrUnreadable) when a file is not a
// readable .xlsx workbook; the message says why.
var ErrNotWorkbook = xlsx.ErrNotXLSX

// ErrUnreadable wraps the reason an upload cannot be imported at all.
var ErrUnreadable = errors.New("unreadable workbook")

// Runner queues imports and runs them one at a time, keeps the live state
// of the ones under way, and tells subscribers when it changes.
type Runner struct {
	store   *store.Store
	uploads string // where uploads are kept while needed
	log     *slog.Logger

	// On PostgreSQL, several instances share the imports (see shared.go):
	// the queue and the uploads live in the database.
	shared bool
	owner  string // this instance, as the database knows it
	// Beat is how often the instance running an import shows, with its
	// progress, that it is alive; an import whose instance has not for
	// Stale is interrupted by any other. Set them before Run.
	Beat, Stale time.Duration

	mu    sync.Mutex
	live  map[string]*job // queued and running imports
	queue []*job          // waiting, oldest first
	wake  chan struct{}
}

type job struct {
	status Status
	path   string
	cancel context.CancelFunc // set while it runs
	subs   map[*Subscription]struct{}
}

// NewRunner returns a runner over a store that keeps uploads in dir.
func NewRunner(st *store.Store, dir string, log *slog.Logger) (*Runner, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create upload directory: %w", err)
	}
	return &Runner{
		store: st, uploads: dir, log: log,
		shared: st.Postgres(), owner: rand.Text(), Beat: time.Second, Stale: 30 * time.Second,
		live: map[string]*job{}, wake: make(chan struct{}, 1),
	}, nil
}

// Run marks the imports a previous process left unfinished as interrupted,
// then runs queued imports until ctx ends.
func (r *Runner) Run(ctx context.Context) error {
	if r.shared {
		return r.runShared(ctx)
	}
	if err := r.interruptLeftovers(ctx); err != nil {
		return err
	}
	for {
		j := r.next()
		if j == nil {
			select {
			case <-ctx.Done():
				return nil
			case <-r.wake:
				continue
			}
		}
		r.runJob(ctx, j)
	}
}

func (r *Runner) interruptLeftovers(ctx context.Context) error {
	left, err := r.store.ImportsInState(ctx, string(Queued), string(Running))
	if err != nil {
		return fmt.Errorf("find unfinished imports: %w", err)
	}
	for _, im := range left {
		var st Status
		if err := json.Unmarshal(im.Status, &st); err != nil {
			st = NewStatus(im.ID, im.FileName, im.Created)
		}
		st = st.EndedOutside(Interrupted, interruptedMessage, time.Now())
		if err := r.save(ctx, st); err != nil {
			return err
		}
		r.log.Info("import interrupted by a restart", "import", im.ID)
	}
	return nil
}

// next takes the oldest queued import, or nil.
func (r *Runner) next() *job {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.queue) == 0 {
		return nil
	}
	j := r.queue[0]
	r.queue = r.queue[1:]
	r.publishAhead()
	return j
}

// Submit queues an import of the workbook at path, which the runner takes
// over (it moves or removes the file). An upload that cannot be read as a
// workbook is refused with ErrUnreadable and nothing is queued.
func (r *Runner) Submit(ctx context.Context, fileName, path string) (string, error) {
	if err := Check(path); err != nil {
		os.Remove(path)
		return "", err
	}
	id := rand.Text()
	if r.shared {
		return id, r.submitShared(ctx, id, fileName, path)
	}
	kept := filepath.Join(r.uploads, id+".xlsx")
	if err := os.Rename(path, kept); err != nil {
		os.Remove(path)
		return "", fmt.Errorf("keep upload: %w", err)
	}
	st := NewStatus(id, fileName, time.Now())
	if err := r.save(ctx, st); err != nil {
		os.Remove(kept)
		return "", err
	}
	r.mu.Lock()
	j := &job{status: st, path: kept, subs: map[*Subscription]struct{}{}}
	r.live[id] = j
	r.queue = append(r.queue, j)
	r.publishAhead()
	r.mu.Unlock()
	select {
	case r.wake <- struct{}{}:
	default:
	}
	return id, nil
}

// Check tells whether the file at path can be opened as a workbook.
func Check(path string) error {
	info, err := os.Stat(path)
	if err != nil {
		return err
	}
	if info.Size() == 0 {
		return fmt.Errorf("%w: the file is empty", ErrUnreadable)
	}
	wb, err := xlsx.Open(path, Limits)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrUnreadable, err)
	}
	return wb.Close()
}

// publishAhead tells each queued import how many are before it. The
// caller holds r.mu.
func (r *Runner) publishAhead() {
	running := 0
	for _, j := range r.live {
		if j.status.State == Running {
			running = 1
		}
	}
	for i, j := range r.queue {
		if j.status.Ahead != i+running {
			j.status.Ahead = i + running
			j.notify()
		}
	}
}

func (r *Runner) runJob(server context.Context, j *job) {
	ctx, cancel := context.WithCancel(server)
	defer cancel()
	r.mu.Lock()
	if j.status.State != Queued { // cancelled while it waited
		r.mu.Unlock()
		return
	}
	j.cancel = cancel
	j.status.State = Running
	j.status.Ahead = 0
	start := j.status.Clone()
	r.mu.Unlock()

	if err := r.save(ctx, start); err != nil {
		r.log.Error("save import", "import", start.ID, "err", err)
	}
	stopBeating := r.beat(ctx, j, cancel)
	res, err := Import(ctx, r.store, j.path, start, func(st Status) {
		if st.State.Final() {
			// Told to everyone only once it is saved with its problems
			// (in finish), so nobody sees an end without its problems.
			return
		}
		r.mu.Lock()
		j.status = st
		j.notify()
		r.mu.Unlock()
		// The subscribers just woken wait on this goroutine's processor;
		// without a yield they would run only when the scheduler preempts
		// the import, up to 10 ms later, since both cores are busy with it.
		runtime.Gosched()
	})
	stopBeating()
	if err != nil {
		r.log.Error("import failed", "import", start.ID, "err", err)
	}
	if server.Err() != nil && res.Status.State == Cancelled {
		// Stopped by the server shutting down, not by a user.
		res.Status.State = Interrupted
		res.Status.Error = interruptedMessage
	}
	// Saved with a context of its own: a server shutting down still
	// records how its imports ended.
	saveCtx, done := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer done()
	if err := r.store.AddProblems(saveCtx, start.ID, toStore(res.Problems)); err != nil {
		r.log.Error("save problems", "import", start.ID, "err", err)
	}
	if err := r.save(saveCtx, res.Status); err != nil {
		r.log.Error("save import", "import", start.ID, "err", err)
	}
	if r.shared {
		os.Remove(j.path) // a copy; the upload itself is in the database
	}
	if res.Status.State != Failed {
		// Only a failed import's problems workbook needs the upload.
		r.forgetUpload(saveCtx, start.ID, j.path)
	}
	r.finish(j, res.Status)
}

// finish ends the live life of an import: its subscribers get the final
// status and the runner forgets it.
func (r *Runner) finish(j *job, st Status) {
	r.mu.Lock()
	defer r.mu.Unlock()
	j.status = st
	j.notify()
	delete(r.live, st.ID)
	r.publishAhead()
}

func toStore(ps []Problem) []store.Problem {
	out := make([]store.Problem, len(ps))
	for i, p := range ps {
		out[i] = store.Problem(p)
	}
	return out
}

func (r *Runner) save(ctx context.Context, st Status) error {
	body, err := json.Marshal(st)
	if err != nil {
		return err
	}
	return r.store.SaveImport(ctx, store.Import{
		ID: st.ID, FileName: st.FileName, State: string(st.State), Created: st.Created, Status: body,
	})
}

// Status returns the current status of an import.
func (r *Runner) Status(ctx context.Context, id string) (Status, error) {
	r.mu.Lock()
	if j, ok := r.live[id]; ok {
		st := j.status.Clone()
		r.mu.Unlock()
		return st, nil
	}
	r.mu.Unlock()
	im, err := r.store.Import(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return Status{}, ErrNotFound
	}
	if err != nil {
		return Status{}, err
	}
	var st Status
	if err := json.Unmarshal(im.Status, &st); err != nil {
		return Status{}, fmt.Errorf("read status of import %s: %w", id, err)
	}
	st.State = State(im.State) // the column is the truth; see SaveImportIf
	if r.shared && st.State == Queued {
		if st.Ahead, err = r.store.Ahead(ctx, st.Created); err != nil {
			return Status{}, err
		}
	}
	return st, nil
}

// History returns the latest imports, newest first.
func (r *Runner) History(ctx context.Context, limit int) ([]Status, error) {
	ims, err := r.store.Imports(ctx, limit)
	if err != nil {
		return nil, err
	}
	out := make([]Status, 0, len(ims))
	for _, im := range ims {
		st, err := r.Status(ctx, im.ID)
		if err != nil {
			return nil, err
		}
		out = append(out, st)
	}
	return out, nil
}

// Problems returns the first perSheet problems of each sheet of an import
// (all when perSheet is 0) and how many there are in all.
func (r *Runner) Problems(ctx context.Context, id string, perSheet int) ([]Problem, int, error) {
	ps, total, err := r.store.Problems(ctx, id, perSheet)
	if err != nil {
		return nil, 0, err
	}
	out := make([]Problem, len(ps))
	for i, p := range ps {
		out[i] = Problem(p)
	}
	return out, total, nil
}

// upload returns the path of the kept upload of a failed import, and what
// to call when done with it.
func (r *Runner) upload(ctx context.Context, id string) (path string, done func(), err error) {
	if strings.ContainsAny(id, `/\.`) {
		return "", nil, ErrNotFound
	}
	if r.shared {
		return r.copyUpload(ctx, id)
	}
	p := filepath.Join(r.uploads, id+".xlsx")
	if _, err := os.Stat(p); err != nil {
		return "", nil, ErrNotFound
	}
	return p, func() {}, nil
}

// forgetUpload removes an upload that no workbook will need again.
func (r *Runner) forgetUpload(ctx context.Context, id, path string) {
	if !r.shared {
		os.Remove(path)
		return
	}
	if err := r.store.DeleteUpload(ctx, id); err != nil {
		r.log.Error("delete upload", "import", id, "err", err)
	}
}

// Cancel stops a queued or running import; nothing of it is written. It
// does nothing to an import that has ended.
func (r *Runner) Cancel(ctx context.Context, id string) error {
	r.mu.Lock()
	j, ok := r.live[id]
	if !ok {
		r.mu.Unlock()
		st, err := r.Status(ctx, id)
		if err != nil || !r.shared || st.State.Final() {
			return err
		}
		return r.cancelShared(ctx, st)
	}
	if j.status.State == Running {
		j.cancel()
		r.mu.Unlock()
		return nil
	}
	// Still queued: it ends here, without running.
	for i, q := range r.queue {
		if q == j {
			r.queue = append(r.queue[:i], r.queue[i+1:]...)
			break
		}
	}
	st := j.status.EndedOutside(Cancelled, cancelledWhileQueued, time.Now())
	r.mu.Unlock()
	if err := r.save(ctx, st); err != nil {
		return err
	}
	r.forgetUpload(ctx, id, j.path)
	r.finish(j, st)
	return nil
}
