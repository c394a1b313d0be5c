package queue

import (
	"context"
	"sync"
	"time"

	"roster/importer"
)

// The broker side of the queues: subscribers follow an import and hold
// only its latest status, so the import never waits for any of them.

// Subscription follows one import. C receives a value whenever the import
// changed since Latest was last called; it is closed once the import has
// ended and its final state can be read with Latest.
type Subscription struct {
	C      <-chan struct{}
	c      chan struct{}
	mu     sync.Mutex
	latest importer.Status
	closed bool
	leave  func()
}

func newSubscription() *Subscription {
	c := make(chan struct{}, 1)
	return &Subscription{C: c, c: c, leave: func() {}}
}

// ended is a subscription to an import that has ended (or that nobody
// will run here), closed at once with its status.
func ended(st importer.Status) *Subscription {
	s := newSubscription()
	s.set(st)
	return s
}

// Latest returns the newest status the subscription has seen. Only the
// newest is kept: a slow reader skips the states in between.
func (s *Subscription) Latest() importer.Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.latest.Clone()
}

// Close stops the subscription.
func (s *Subscription) Close() { s.leave() }

func (s *Subscription) set(st importer.Status) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	s.latest = st
	if st.State.Final() {
		s.closed = true
		close(s.c)
		return
	}
	select {
	case s.c <- struct{}{}:
	default: // a signal is already waiting; it will read the newest state
	}
}

// notify hands the job's status to its subscribers without waiting for
// any of them. The caller holds the queue's lock.
func (j *job) notify() {
	for s := range j.subs {
		s.set(j.status.Clone())
	}
}

// attach subscribes to an import this process holds; ok is false when it
// holds none of that id.
func (c *core) attach(id string) (s *Subscription, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	j, ok := c.live[id]
	if !ok {
		return nil, false
	}
	s = newSubscription()
	j.subs[s] = struct{}{}
	s.leave = func() {
		c.mu.Lock()
		delete(j.subs, s)
		c.mu.Unlock()
	}
	s.set(j.status.Clone())
	return s, true
}

// readers are the readers of the imports this process follows without
// holding them, by id. listen, when set (Shared), starts this process's
// hearing of other instances' notices; it runs while any reader does.
type readers struct {
	m        map[string]*reader
	listen   func() (stop func())
	unlisten func()
}

// reader reads, for every subscription of this process to it, an import
// that this process does not hold: one reader per import, however many
// watch it, so the database's load does not grow with watchers. It reads
// the import every so often, and at once when poked (a notice said that
// it changed, or notices may have been missed); a notice that brings the
// snapshot spares the reading.
type reader struct {
	id     string
	latest importer.Status
	subs   map[*Subscription]struct{}
	job    *job // the job its subscriptions moved to, once this process holds the import
	poke   chan struct{}
	ctx    context.Context
	cancel context.CancelFunc
}

// readFunc reads an import's status from the database.
type readFunc func(context.Context, string) (importer.Status, error)

// join subscribes to an import that a reader of this process follows
// already; ok is false when none does.
func (c *core) join(id string) (s *Subscription, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	r, ok := c.readers.m[id]
	if !ok {
		return nil, false
	}
	return c.addReaderSub(r), true
}

// follow subscribes to an import that this process does not hold (yet),
// whose status was st: the import's reader, started if need be, reads it
// every so often (every tells how often, for a status), and at once when
// a notice says it changed, until this process holds it or it ends.
func (c *core) follow(st importer.Status, read readFunc, every func(importer.Status) time.Duration) *Subscription {
	c.mu.Lock()
	defer c.mu.Unlock()
	r, ok := c.readers.m[st.ID]
	if !ok {
		r = &reader{id: st.ID, latest: st, subs: map[*Subscription]struct{}{}, poke: make(chan struct{}, 1)}
		r.ctx, r.cancel = context.WithCancel(context.Background())
		if c.readers.m == nil {
			c.readers.m = map[string]*reader{}
		}
		if len(c.readers.m) == 0 && c.readers.listen != nil {
			c.readers.unlisten = c.readers.listen()
		}
		c.readers.m[st.ID] = r
		go c.read(r, read, every)
	} else {
		c.offerLocked(r, st)
	}
	return c.addReaderSub(r)
}

// addReaderSub adds a subscription to a reader. The caller holds c.mu.
func (c *core) addReaderSub(r *reader) *Subscription {
	s := newSubscription()
	r.subs[s] = struct{}{}
	s.leave = func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		if r.job != nil {
			delete(r.job.subs, s)
			return
		}
		delete(r.subs, s)
		if len(r.subs) == 0 {
			c.dropReader(r)
		}
	}
	s.set(r.latest.Clone())
	return s
}

// dropReader stops a reader, and the hearing of notices with the last
// one. The caller holds c.mu.
func (c *core) dropReader(r *reader) {
	r.cancel()
	if c.readers.m[r.id] != r {
		return
	}
	delete(c.readers.m, r.id)
	if len(c.readers.m) == 0 && c.readers.unlisten != nil {
		c.readers.unlisten()
		c.readers.unlisten = nil
	}
}

func (c *core) read(r *reader, read readFunc, every func(importer.Status) time.Duration) {
	c.mu.Lock()
	timer := time.NewTimer(every(r.latest))
	c.mu.Unlock()
	defer timer.Stop()
	for {
		select {
		case <-r.ctx.Done():
			return
		case <-timer.C:
		case <-r.poke:
			timer.Stop()
		}
		if c.handOver(r) {
			return
		}
		st, err := read(r.ctx, r.id)
		if err == nil && c.offer(r, st) {
			return
		}
		timer.Reset(every(st))
	}
}

// handOver moves a reader's subscriptions to the job, once this process
// holds the import: they hear of its changes from it at once.
func (c *core) handOver(r *reader) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if r.ctx.Err() != nil {
		return true
	}
	j, ok := c.live[r.id]
	if !ok {
		return false
	}
	for s := range r.subs {
		j.subs[s] = struct{}{}
		s.set(j.status.Clone())
	}
	r.job = j
	c.dropReader(r)
	return true
}

// offer hands a status of the import to the reader's subscriptions,
// unless they have seen a newer one; it reports whether the reader is
// done (the import ended, or nobody follows it any more).
func (c *core) offer(r *reader, st importer.Status) (done bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.offerLocked(r, st)
}

func (c *core) offerLocked(r *reader, st importer.Status) (done bool) {
	if r.ctx.Err() != nil {
		return true
	}
	if !st.State.Final() && olderThan(st, r.latest) {
		// A snapshot read from the database (saved at the last
		// heartbeat) after a newer one came with a notice: steps and
		// counts never go back.
		return false
	}
	r.latest = st
	for s := range r.subs {
		s.set(st.Clone())
	}
	if st.State.Final() {
		c.dropReader(r)
		return true
	}
	return false
}

// olderThan reports whether a status of a running or queued import was
// taken before another.
func olderThan(st, than importer.Status) bool {
	return st.Updated.Before(than.Updated) || (st.State == importer.Queued && than.State == importer.Running)
}

// notice tells the readers of this process that an import changed:
// st is its new snapshot, or nil when it must be read from the database.
func (c *core) notice(id string, st *importer.Status) {
	c.mu.Lock()
	defer c.mu.Unlock()
	r, ok := c.readers.m[id]
	if !ok {
		return
	}
	if _, held := c.live[id]; st == nil || st.State.Final() || held {
		r.wake()
		return
	}
	c.offerLocked(r, *st)
}

// wakeReaders has every reader read its import again: notices may have
// been missed (while the listener was not listening).
func (c *core) wakeReaders() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, r := range c.readers.m {
		r.wake()
	}
}

func (r *reader) wake() {
	select {
	case r.poke <- struct{}{}:
	default:
	}
}
