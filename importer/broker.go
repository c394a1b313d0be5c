package importer

import (
	"context"
	"sync"
	"time"
)

// The broker side of the runner: subscribers follow an import and hold
// only its latest status, so the import never waits for any of them.

// Subscription follows one import. C receives a value whenever the import
// changed since Latest was last called; it is closed once the import has
// ended and its final state can be read with Latest.
type Subscription struct {
	C      <-chan struct{}
	c      chan struct{}
	mu     sync.Mutex
	latest Status
	closed bool
	leave  func()
}

// Latest returns the newest status the subscription has seen. Only the
// newest is kept: a slow reader skips the states in between.
func (s *Subscription) Latest() Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.latest.Clone()
}

// Close stops the subscription.
func (s *Subscription) Close() { s.leave() }

func (s *Subscription) set(st Status) {
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
// any of them. The caller holds the runner's lock.
func (j *job) notify() {
	for s := range j.subs {
		s.set(j.status.Clone())
	}
}

// Subscribe follows an import. For an import that has ended, the
// subscription is already closed and holds the final status.
func (r *Runner) Subscribe(ctx context.Context, id string) (*Subscription, error) {
	c := make(chan struct{}, 1)
	s := &Subscription{C: c, c: c}
	r.mu.Lock()
	j, ok := r.live[id]
	if ok {
		j.subs[s] = struct{}{}
		s.leave = func() {
			r.mu.Lock()
			delete(j.subs, s)
			r.mu.Unlock()
		}
		s.set(j.status.Clone())
		r.mu.Unlock()
		return s, nil
	}
	r.mu.Unlock()
	st, err := r.Status(ctx, id)
	if err != nil {
		return nil, err
	}
	s.set(st)
	if st.State.Final() {
		s.leave = func() {}
		return s, nil
	}
	// Known to the database but not live here: another instance runs it,
	// or this one has yet to claim it. Follow what the database says (it
	// changes at each heartbeat), until this instance runs it or it ends.
	stop := make(chan struct{})
	var once sync.Once
	var attached *job // guarded by r.mu
	s.leave = func() {
		once.Do(func() { close(stop) })
		r.mu.Lock()
		if attached != nil {
			delete(attached.subs, s)
		}
		r.mu.Unlock()
	}
	go func() {
		tick := time.NewTicker(r.Beat)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			r.mu.Lock()
			if j, ok := r.live[id]; ok {
				select {
				case <-stop:
				default:
					attached = j
					j.subs[s] = struct{}{}
					s.set(j.status.Clone())
				}
				r.mu.Unlock()
				return
			}
			r.mu.Unlock()
			if st, err := r.Status(ctx, id); err == nil {
				s.set(st)
				if st.State.Final() {
					return
				}
			}
		}
	}()
	return s, nil
}
