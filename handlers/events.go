package handlers

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"

	"roster/components"
	"roster/importer"
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
		if errors.Is(err, importer.ErrNotFound) {
			s.notFound(w, r)
			return
		}
		if err != nil {
			s.serverError(w, r, err)
			return
		}
		defer sub.Close()
		stream, err := newEventStream(w, writeDeadline)
		if err != nil {
			return
		}
		if err := s.follow(r.Context(), stream, sub); err != nil && r.Context().Err() == nil {
			s.log.Info("event stream ended", "import", id, "err", err)
		}
	}
}

// sentStep is what a client last got of a step.
type sentStep struct {
	view components.StepView
	at   time.Time
}

func (s *Server) follow(ctx context.Context, stream *eventStream, sub *importer.Subscription) error {
	sent := map[importer.StepKey]sentStep{}
	var buf bytes.Buffer
	// sendSteps sends each step that changed. A running step whose counts
	// moved is sent at most once per throttle interval; any change of
	// state goes at once. It returns how long until a held-back update is
	// due, or 0.
	sendSteps := func(st importer.Status, force bool) (time.Duration, error) {
		now := s.now()
		var due time.Duration
		for _, step := range st.Steps {
			view := stepView(st, step, now)
			last, ok := sent[step.Key]
			if ok && last.view == view {
				continue
			}
			if ok && !force && last.view.State == view.State {
				if wait := s.cfg.Throttle - now.Sub(last.at); wait > 0 {
					if due == 0 || wait < due {
						due = wait
					}
					continue
				}
			}
			buf.Reset()
			if err := components.Step(view).Render(ctx, &buf); err != nil {
				return 0, err
			}
			if err := stream.Event(string(step.Key), buf.Bytes()); err != nil {
				return 0, err
			}
			sent[step.Key] = sentStep{view: view, at: now}
		}
		return due, nil
	}
	sendDone := func(st importer.Status) error {
		problems, total, err := s.imports.Problems(ctx, st.ID, firstProblems)
		if err != nil {
			return err
		}
		buf.Reset()
		if err := components.Outcome(importView(st, problems, total, s.now())).Render(ctx, &buf); err != nil {
			return err
		}
		return stream.Event("done", buf.Bytes())
	}

	keepAlive := time.NewTicker(s.cfg.KeepAlive)
	defer keepAlive.Stop()
	held := time.NewTimer(time.Hour)
	held.Stop()
	defer held.Stop()

	for first := true; ; first = false {
		st := sub.Latest()
		due, err := sendSteps(st, first || st.State.Final())
		if err != nil {
			return err
		}
		if st.State.Final() {
			return sendDone(st)
		}
		if due > 0 {
			held.Reset(due)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-sub.C:
		case <-held.C:
		case <-keepAlive.C:
			if err := stream.Comment("keep-alive"); err != nil {
				return err
			}
		}
	}
}
