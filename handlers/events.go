package handlers

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"
	"golang.org/x/sync/singleflight"

	"roster/access"
	"roster/components"
	"roster/importer"
	"roster/importer/queue"
)

// writeDeadline is how long one event may take to reach a client before
// its stream is given up.
const writeDeadline = 10 * time.Second

// events streams an import: every step at once, then each change of a
// step, then done. The subscription keeps only the latest status, so a
// slow client skips states rather than holding anything up.
func (s *Server) events() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id := chi.URLParam(r, "id")
		sub, err := s.imports.Subscribe(r.Context(), id)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		defer sub.Close()
		s.streams.Add(1)
		defer s.streams.Add(-1)
		stream, err := newEventStream(w, writeDeadline)
		if err != nil {
			return
		}
		if err := s.follow(r.Context(), stream, sub, s.stillSignedIn(r)); err != nil && r.Context().Err() == nil {
			s.log.Info("event stream ended", "import", id, "err", err)
		}
	}
}

// sentStep is what a client last got of a step.
type sentStep struct {
	view components.StepView
	at   time.Time
}

// errSignedOut ends the stream of a user no longer signed in.
var errSignedOut = errors.New("the session ended: signed out, or the user was removed")

// stillSignedIn reports, each time it is called, whether the request's
// user is still signed in the way they were and may still follow imports.
// It asks again only when the people's version has moved since it last
// did (somebody may have lost access), so that a thousand streams cost the
// database one read of that number, not a thousand sign-in checks. A
// database that does not answer (busy, out of connections) has not signed
// anybody out: the stream goes on, and is checked again later.
func (s *Server) stillSignedIn(r *http.Request) func() bool {
	was, _ := userOf(r)
	checkedAt := was.version // the version its user was last checked at
	return func() bool {
		version, verr := s.peopleVersion(r.Context())
		if verr == nil && version == checkedAt {
			return true
		}
		now, err := s.identify(r)
		if err != nil && !errors.Is(err, access.ErrNotSignedIn) {
			s.log.Warn("could not check again who follows an event stream", "user", was.Name, "err", err)
			return true
		}
		ok := err == nil && now.Name == was.Name && now.Role.Allows(access.Viewer)
		if ok && verr == nil {
			checkedAt = version
		}
		return ok
	}
}

// versionCache holds the people's version (access.Store.PeopleVersion)
// as this instance last read it, for every stream to compare with.
type versionCache struct {
	mu      sync.Mutex
	version int64
	read    time.Time
	reading singleflight.Group
}

// peopleVersion returns the people's version, read at most Recheck/2 ago.
func (s *Server) peopleVersion(ctx context.Context) (int64, error) {
	c := &s.versions
	c.mu.Lock()
	version, read := c.version, c.read
	c.mu.Unlock()
	if !read.IsZero() && s.now().Sub(read) < s.cfg.Recheck/2 {
		return version, nil
	}
	v, err, _ := c.reading.Do("", func() (any, error) {
		at := s.now()
		version, err := s.people.Store.PeopleVersion(context.WithoutCancel(ctx))
		if err != nil {
			return int64(0), err
		}
		c.mu.Lock()
		c.version, c.read = version, at
		c.mu.Unlock()
		return version, nil
	})
	return v.(int64), err
}

// follow sends an import's events until it ends, and checks every
// Recheck that the user is still signed in (signedIn), ending the stream
// when not.
func (s *Server) follow(ctx context.Context, stream *eventStream, sub *queue.Subscription, signedIn func() bool) error {
	sent := map[importer.StepKey]sentStep{}
	var sentSummary components.SummaryView
	// addSteps adds to the stream each step that changed. A running step
	// whose counts moved is sent at most once per throttle interval; any
	// change of state goes at once. It returns how long until a held-back
	// update is due, or 0.
	addSteps := func(st importer.Status, force bool) (time.Duration, error) {
		now := s.now()
		// A change of the summary (the import's state, its estimate) rides
		// with the first step, sent for it if need be: the stream's only
		// events are the steps and done. At the end, done brings it.
		var summary *components.SummaryView
		if sv := summaryView(st, now); !st.State.Final() && sv != sentSummary {
			summary, sentSummary = &sv, sv
		}
		var due time.Duration
		for i, step := range st.Steps {
			view := stepView(st, step, now)
			last, ok := sent[step.Key]
			carry := i == 0 && summary != nil
			if ok && !carry && last.view == view {
				continue
			}
			if ok && !carry && !force && last.view.State == view.State {
				if wait := s.throttle() - now.Sub(last.at); wait > 0 {
					if due == 0 || wait < due {
						due = wait
					}
					continue
				}
			}
			var with *components.SummaryView
			if carry {
				with = summary
			}
			html, err := s.fragments.step(ctx, view, with)
			if err != nil {
				return 0, err
			}
			stream.Add(string(step.Key), html)
			sent[step.Key] = sentStep{view: view, at: now}
		}
		return due, nil
	}
	// addDone adds the end of the import.
	addDone := func(st importer.Status) error {
		key, err := s.outcomeKey(ctx, st)
		if err != nil {
			return err
		}
		html, err := s.fragments.outcome(key, func() ([]byte, error) {
			v, err := s.pageView(ctx, st)
			if err != nil {
				return nil, err
			}
			var buf bytes.Buffer
			err = components.Outcome(v).Render(ctx, &buf)
			return buf.Bytes(), err
		})
		if err != nil {
			return err
		}
		stream.Add("done", html)
		return nil
	}

	keepAlive := time.NewTicker(s.cfg.KeepAlive)
	defer keepAlive.Stop()
	// Streams opened together (a page shared with a room) would check
	// their users together: each waits between half of Recheck and all
	// of it, so that the checks spread out instead of coming at once.
	recheckIn := func() time.Duration {
		return s.cfg.Recheck/2 + rand.N(s.cfg.Recheck/2+1)
	}
	recheck := time.NewTimer(recheckIn())
	defer recheck.Stop()
	// The estimate counts down between snapshots: once a second the
	// summary is looked at again, and sent if its words changed.
	countdown := time.NewTicker(time.Second)
	defer countdown.Stop()
	held := time.NewTimer(time.Hour)
	held.Stop()
	defer held.Stop()

	for first := true; ; first = false {
		st := sub.Latest()
		due, err := addSteps(st, first || st.State.Final())
		if err != nil {
			return err
		}
		if st.State.Final() {
			if err := addDone(st); err != nil {
				return err
			}
			return stream.Send()
		}
		if err := stream.Send(); err != nil {
			return err
		}
		if due > 0 {
			held.Reset(due)
		}
		// Counts are sent at most once per throttle interval, so there is
		// no need to be woken for them more often.
		sub.Pace(s.throttle())
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-sub.C:
		case <-held.C:
		case <-countdown.C:
		case <-keepAlive.C:
			if err := stream.Comment("keep-alive"); err != nil {
				return err
			}
		case <-recheck.C:
			if !signedIn() {
				return errSignedOut
			}
			recheck.Reset(recheckIn())
		}
	}
}

// outcomeKey names what the end of a finished import shows: besides the
// import itself, what changes after it has ended (whether it was saved or
// undone, whether it can be undone now), so a cached end is never stale.
func (s *Server) outcomeKey(ctx context.Context, st importer.Status) (string, error) {
	undoable := false
	if st.State == importer.Succeeded && st.UndoneIn == "" {
		// A thousand watchers reach the end at once: one of them asks, for
		// all (so not on its own request's context, which may end first).
		v, err, _ := s.undoChecks.Do(st.ID, func() (any, error) {
			return s.imports.Undoable(context.WithoutCancel(ctx), st.ID)
		})
		if err != nil {
			return "", err
		}
		undoable = v.(bool)
	}
	return fmt.Sprintf("%s|%s|%s|%t", st.ID, st.ConfirmedIn, st.UndoneIn, undoable), nil
}

// throttle is the least time between two updates of one running step to
// one client. It grows with the number of open streams, so that a
// thousand watchers cost the import little: each still sees the steps
// move, only less often (at most once a second). A change of state is
// never held back.
func (s *Server) throttle() time.Duration {
	const perStep = 100 // streams served at the configured rate
	n := time.Duration(s.streams.Load()/perStep + 1)
	return min(s.cfg.Throttle*n, max(s.cfg.Throttle, time.Second))
}

// fragmentCache renders each step view once for every client that follows
// the import, and the end of an import once: a thousand watchers of one
// import share the work.
type fragmentCache struct {
	mu       sync.Mutex
	m        map[stepFragment][]byte
	outcomes map[string][]byte // by outcomeKey; only final imports

	rendering singleflight.Group // of outcomes, by outcomeKey
}

// outcome returns the rendered end of a finished import.
func (c *fragmentCache) outcome(key string, render func() ([]byte, error)) ([]byte, error) {
	c.mu.Lock()
	html, ok := c.outcomes[key]
	c.mu.Unlock()
	if ok {
		return html, nil
	}
	// The watchers of an import all reach its end at once: one of them
	// renders it (and reads its problems), the others wait for it.
	v, err, _ := c.rendering.Do(key, func() (any, error) {
		html, err := render()
		if err != nil {
			return nil, err
		}
		c.mu.Lock()
		if c.outcomes == nil || len(c.outcomes) >= fragmentCacheSize/16 {
			c.outcomes = make(map[string][]byte)
		}
		c.outcomes[key] = html
		c.mu.Unlock()
		return html, nil
	})
	if err != nil {
		return nil, err
	}
	return v.([]byte), nil
}

// fragmentCacheSize bounds the cache; views go stale within seconds (their
// elapsed time moves), so it is simply emptied when full.
const fragmentCacheSize = 4096

// stepFragment is what one step event shows: the step, and the summary
// when it comes along.
type stepFragment struct {
	step    components.StepView
	summary components.SummaryView
	with    bool
}

// step returns the rendered step event, with the summary if it is not
// nil; callers must not change the bytes.
func (c *fragmentCache) step(ctx context.Context, v components.StepView, summary *components.SummaryView) ([]byte, error) {
	key := stepFragment{step: v, with: summary != nil}
	if summary != nil {
		key.summary = *summary
	}
	c.mu.Lock()
	html, ok := c.m[key]
	c.mu.Unlock()
	if ok {
		return html, nil
	}
	var buf bytes.Buffer
	if err := components.StepEvent(v, summary).Render(ctx, &buf); err != nil {
		return nil, err
	}
	html = buf.Bytes()
	c.mu.Lock()
	if c.m == nil || len(c.m) >= fragmentCacheSize {
		c.m = make(map[stepFragment][]byte)
	}
	c.m[key] = html
	c.mu.Unlock()
	return html, nil
}
