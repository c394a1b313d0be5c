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

	pace      time.Duration // see Pace
	signalled time.Time     // when C was last given a value
	owed      *time.Timer   // signals a paced change, when one is held
	owedNo    int           // numbers the timers of owed
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
func (s *Subscription) Close() {
	s.leave()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.owed != nil {
		s.owed.Stop()
	}
}

// Pace makes C signal a change that moves no state (of the import or of
// a step: counts, phases, problems found) at most once per d; a change of
// state is signalled at once, as without it. A subscriber that sends
// counts at most once per d is then not woken for nothing each time a
// thousand others are.
func (s *Subscription) Pace(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pace = d
}

// set gives the subscription st, and reports whether it signalled C.
func (s *Subscription) set(st importer.Status) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	was := s.latest
	s.latest = st
	if st.State.Final() {
		s.closed = true
		if s.owed != nil {
			s.owed.Stop()
		}
		close(s.c)
		return true
	}
	if s.pace > 0 && sameStates(was, st) {
		if s.owed != nil {
			return false // the signal already held will read the newest state
		}
		if wait := s.pace - time.Since(s.signalled); wait > 0 {
			s.owedNo++
			no := s.owedNo
			s.owed = time.AfterFunc(wait, func() { s.payOwed(no) })
			return false
		}
	}
	s.signal()
	return true
}

// payOwed sends the signal that Pace held back (the one numbered no),
// unless a change of state has sent one since.
func (s *Subscription) payOwed(no int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.owed != nil && s.owedNo == no && !s.closed {
		s.signal()
	}
}

func (s *Subscription) signal() {
	s.signalled = time.Now()
	if s.owed != nil {
		s.owed.Stop()
		s.owed = nil
	}
	select {
	case s.c <- struct{}{}:
	default: // a signal is already waiting; it will read the newest state
	}
}

// sameStates reports whether b is a, save for what Pace lets wait.
func sameStates(a, b importer.Status) bool {
	if a.State != b.State || a.Ahead != b.Ahead || len(a.Steps) != len(b.Steps) {
		return false
	}
	for i := range a.Steps {
		if a.Steps[i].State != b.Steps[i].State {
			return false
		}
	}
	return true
}

// notify hands the job's status to its subscribers without waiting for
// any of them, and returns how many it woke. The caller holds the queue's
// lock.
func (j *job) notify() (woken int) {
	if len(j.subs) == 0 {
		return 0
	}
	// One copy for all: a subscription never changes what it holds, and
	// Latest hands out copies of it.
	st := j.status.Clone()
	for s := range j.subs {
		if s.set(st) {
			woken++
		}
	}
	return woken
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
