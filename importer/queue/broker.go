package queue

import (
	"context"
	"errors"
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

// follow subscribes to an import that this process does not hold (yet):
// it reads the import's status every so often, the database changing at
// each heartbeat of the instance that runs it, until this process holds
// it or it ends.
func (c *core) follow(ctx context.Context, st importer.Status, status func(context.Context, string) (importer.Status, error), every time.Duration) *Subscription {
	s := newSubscription()
	s.set(st)
	stop := make(chan struct{})
	var once sync.Once
	var attached *job // guarded by c.mu
	s.leave = func() {
		once.Do(func() { close(stop) })
		c.mu.Lock()
		if attached != nil {
			delete(attached.subs, s)
		}
		c.mu.Unlock()
	}
	go func() {
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			c.mu.Lock()
			if j, ok := c.live[st.ID]; ok {
				select {
				case <-stop:
				default:
					attached = j
					j.subs[s] = struct{}{}
					s.set(j.status.Clone())
				}
				c.mu.Unlock()
				return
			}
			c.mu.Unlock()
			latest, err := status(ctx, st.ID)
			if errors.Is(err, importer.ErrNotFound) {
				return
			}
			if err == nil {
				s.set(latest)
				if latest.State.Final() {
					return
				}
			}
		}
	}()
	return s
}
