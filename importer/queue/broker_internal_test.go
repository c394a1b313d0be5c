package queue

import (
	"testing"
	"time"

	"roster/importer"
)

// signalled reports whether the subscription has a signal waiting, without
// waiting for one.
func signalled(s *Subscription) bool {
	select {
	case <-s.C:
		return true
	default:
		return false
	}
}

// A paced subscription is woken at once by a change of state, and for a
// change of counts at most once per pace, with the newest counts (issue
// 12: 5, a thousand watchers not woken for each batch of rows).
func TestAPacedSubscriptionWaitsOnlyForCounts(t *testing.T) {
	st := importer.NewStatus("id", "staff.xlsx", time.Now())
	st.State = importer.Running
	areas := func(rows int, state importer.StepState) importer.Status {
		st := st.Clone()
		st.Steps[0].State, st.Steps[0].Rows = state, rows
		return st
	}

	s := newSubscription()
	s.Pace(time.Hour)
	s.set(areas(0, importer.StepRunning))
	if !signalled(s) {
		t.Fatal("the first status did not wake the subscriber")
	}
	s.set(areas(100, importer.StepRunning))
	s.set(areas(200, importer.StepRunning))
	if signalled(s) {
		t.Error("new counts woke the subscriber within its pace")
	}
	if got := s.Latest().Steps[0].Rows; got != 200 {
		t.Errorf("Latest has %d rows, want the newest, 200", got)
	}
	s.set(areas(300, importer.StepDone))
	if !signalled(s) {
		t.Error("a step's new state did not wake the subscriber at once")
	}

	// Counts held back are signalled once the pace has passed.
	s.Pace(time.Millisecond)
	s.set(areas(300, importer.StepDone))
	s.set(areas(400, importer.StepDone))
	select {
	case <-s.C:
	case <-time.After(10 * time.Second):
		t.Fatal("counts held back were never signalled")
	}
	if got := s.Latest().Steps[0].Rows; got != 400 {
		t.Errorf("Latest has %d rows, want 400", got)
	}

	// The end closes C, whatever is held back.
	s.Pace(time.Hour)
	s.set(areas(500, importer.StepDone))
	end := areas(500, importer.StepDone)
	end.State = importer.Succeeded
	s.set(end)
	for range s.C { // ends only when closed
	}
	s.Close()
}
