package queue

import (
	"context"
	"errors"
	"time"

	"roster/importer"
)

// Shared's notices: the instance that runs an import announces its
// changes through the database (LISTEN/NOTIFY), and every instance that
// serves watchers of it hears them on one connection, so that a watcher
// on any instance sees each change at once and the database's load does
// not grow with watchers. The readers' slow reading (Reread) is the
// fallback for a notice lost or a listener cut off.

const (
	// announceEvery is the least time between two notices of an import
	// whose steps only counted on or moved to their next phase: as often
	// as a stream sends them (Subscription.Pace). A change of a step's
	// state goes at once.
	announceEvery = 100 * time.Millisecond
	// listenCheck is how long the listener waits for a notice before it
	// makes sure that its connection still answers.
	listenCheck = 30 * time.Second
)

// announce tells the other instances of each change of an import this
// instance runs, until it ends and its end is saved. The returned func
// waits until the end has been announced.
func (q *Shared) announce(ctx context.Context, j *job) (wait func()) {
	q.mu.Lock()
	s := newSubscription()
	s.Pace(announceEvery)
	j.subs[s] = struct{}{}
	q.mu.Unlock()
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer func() {
			q.mu.Lock()
			delete(j.subs, s)
			q.mu.Unlock()
		}()
		var last time.Time // when the snapshot last told was made
		for {
			<-s.C
			st := s.Latest()
			if st.State == importer.Queued || (!st.State.Final() && st.Updated.Equal(last)) {
				// Queued: runJob starts it, claimed and running already.
				// The same snapshot as the last sent: nothing new.
				continue
			}
			q.tell(ctx, st)
			last = st.Updated
			if st.State.Final() {
				return
			}
		}
	}()
	return func() { <-done }
}

// tell announces a status, without waiting long: a notice that cannot be
// sent is made up for by the readers' slow reading.
func (q *Shared) tell(ctx context.Context, st importer.Status) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := q.store.Announce(ctx, st); err != nil {
		q.log.Warn("announce a change of an import", "import", st.ID, "err", err)
	}
}

// listen hears the notices of the other instances until stopped,
// listening again whenever its connection is lost.
func (q *Shared) listen() (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		const first = 50 * time.Millisecond
		wait := first
		for {
			if q.hear(ctx) {
				wait = first
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(wait):
			}
			wait = min(2*wait, 5*time.Second)
		}
	}()
	return cancel
}

// hear listens until its connection is lost or ctx ends, handing each
// notice to the readers; it reports whether it listened at all.
func (q *Shared) hear(ctx context.Context) bool {
	l, err := q.store.Listen(ctx)
	if err != nil {
		if ctx.Err() == nil {
			q.log.Warn("listen to the other instances; trying again", "err", err)
		}
		return false
	}
	defer l.Close()
	// Whatever was announced before the listener took hold is read.
	q.wakeReaders()
	for {
		wait, cancel := context.WithTimeout(ctx, listenCheck)
		n, err := l.Next(wait)
		cancel()
		switch {
		case err == nil:
			q.notice(n.ID, n.Status)
		case ctx.Err() != nil:
			return true
		case errors.Is(err, context.DeadlineExceeded):
			ping, cancel := context.WithTimeout(ctx, 5*time.Second)
			err = l.Ping(ping)
			cancel()
			if err != nil {
				q.log.Warn("the connection listening to the other instances is lost; listening again", "err", err)
				return true
			}
		default:
			q.log.Warn("the connection listening to the other instances is lost; listening again", "err", err)
			return true
		}
	}
}

// reread is how often a reader of this instance reads an import again
// from the database: a queued one as often as the queue moves, a running
// one only in case a notice was lost.
func (q *Shared) reread(st importer.Status) time.Duration {
	if st.State == importer.Queued {
		return min(q.Beat, time.Second)
	}
	return q.Reread
}
