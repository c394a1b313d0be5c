package xlsx

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// A Budget bounds the memory that the shared-string tables of all the
// workbooks open at once take together, whatever each file's own limit:
// the table is the one part of a workbook held in memory, and a small zip
// can hold hundreds of megabytes of it.
//
// Open reserves, before loading a table, the most the load can need (from
// the part's size and the per-file limit, at most the whole budget), and
// keeps what the loaded table takes until the workbook and its Rows are
// closed. While other workbooks hold too much of the budget, Open waits,
// up to Limits.StringsWait or until its context is done. Workbooks that
// fit are not held back by a larger one waiting before them.
//
// The count is of the table (its text, a string header for each string,
// and the buffers loading it); memory the Go runtime has not collected
// yet is not counted, so the process needs headroom beyond the budget
// (GOMEMLIMIT).
type Budget struct {
	size int64

	mu      sync.Mutex
	used    int64
	freed   chan struct{} // closed, and replaced, whenever memory is given back
	peak    int64         // the most ever used, for tests
	waiting int           // workbooks waiting, for tests
}

// NewBudget returns a budget of size bytes.
func NewBudget(size int64) *Budget {
	return &Budget{size: size, freed: make(chan struct{})}
}

// defaultBudget is the budget of DefaultLimits, one for the process.
var defaultBudget = NewBudget(384 << 20)

// defaultStringsWait is DefaultLimits.StringsWait.
const defaultStringsWait = 20 * time.Second

// Size is the budget's size in bytes.
func (b *Budget) Size() int64 { return b.size }

// InUse is the number of bytes the open workbooks hold.
func (b *Budget) InUse() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.used
}

// ErrBusy is wrapped, together with ErrTooLarge, when a workbook's shared
// strings waited for memory that other open workbooks held until
// Limits.StringsWait passed. The same file may open a little later.
var ErrBusy = errors.New("the server is busy reading other large workbooks")

type busyError struct{ need int64 }

func (e busyError) Error() string {
	return fmt.Sprintf("%v (this one needs %s for its shared strings); try again in a minute", ErrBusy, sizeText(int64(e.need)))
}

func (busyError) Unwrap() []error { return []error{ErrBusy, ErrTooLarge} }

// acquire takes n bytes of the budget (at most its size), waiting while
// they are not free.
func (b *Budget) acquire(ctx context.Context, n int64, wait time.Duration) (*hold, error) {
	n = min(n, b.size)
	var timeout <-chan time.Time
	for {
		b.mu.Lock()
		if b.used+n <= b.size {
			b.used += n
			b.peak = max(b.peak, b.used)
			b.mu.Unlock()
			return &hold{b: b, n: n}, nil
		}
		freed := b.freed
		b.waiting++
		b.mu.Unlock()
		if timeout == nil {
			t := time.NewTimer(wait)
			defer t.Stop()
			timeout = t.C
		}
		var err error
		select {
		case <-freed:
		case <-timeout:
			err = busyError{need: n}
		case <-ctx.Done():
			err = fmt.Errorf("wait for memory to read the shared strings: %w", context.Cause(ctx))
		}
		b.mu.Lock()
		b.waiting--
		b.mu.Unlock()
		if err != nil {
			return nil, err
		}
	}
}

func (b *Budget) giveBack(n int64) {
	if n <= 0 {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.used -= n
	close(b.freed)
	b.freed = make(chan struct{})
}

// A hold is memory taken from a Budget.
type hold struct {
	b  *Budget
	mu sync.Mutex
	n  int64
}

// size is the number of bytes held.
func (h *hold) size() int64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.n
}

// keep gives back all but n bytes.
func (h *hold) keep(n int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if n < h.n {
		h.b.giveBack(h.n - n)
		h.n = n
	}
}

// release gives everything back; calling it again does nothing.
func (h *hold) release() { h.keep(0) }
