package importer

import "time"

// StepKey names one stage of an import. The keys are part of the contract:
// they are the event names of the stream and the keys of the status JSON.
type StepKey string

const (
	StepAreas          StepKey = "areas"
	StepDepartments    StepKey = "departments"
	StepDesignations   StepKey = "designations"
	StepEmployees      StepKey = "employees"
	StepSchedules      StepKey = "schedules"
	StepDrivers        StepKey = "drivers"
	StepCarAssignments StepKey = "car-assignments"
)

// StepState is where a step is. It only moves forward: pending, running,
// then one of the final states.
type StepState string

const (
	StepPending   StepState = "pending"
	StepRunning   StepState = "running"
	StepDone      StepState = "done"
	StepFailed    StepState = "failed"
	StepSkipped   StepState = "skipped"
	StepCancelled StepState = "cancelled"
)

// Final reports whether the step will change no more.
func (s StepState) Final() bool {
	return s == StepDone || s == StepFailed || s == StepSkipped || s == StepCancelled
}

// Phase is what a running step is doing. Every sheet is read and checked
// before any is saved, so a step whose sheet has been checked waits,
// still running, until the saving comes to it.
type Phase string

const (
	PhaseReading  Phase = "reading"  // its rows are read and checked cell by cell
	PhaseChecking Phase = "checking" // its rows are checked against each other and the saved data
	PhaseChecked  Phase = "checked"  // nothing wrong; waiting for the other sheets before saving
	PhaseSaving   Phase = "saving"   // its rows are being saved
)

// State is where a whole import is.
type State string

const (
	Queued      State = "queued"
	Running     State = "running"
	Succeeded   State = "succeeded"
	Failed      State = "failed"
	Cancelled   State = "cancelled"
	Interrupted State = "interrupted" // the server stopped during it
	Reviewed    State = "reviewed"    // checked without a problem; nothing written (a review)
)

// Final reports whether the import has ended.
func (s State) Final() bool {
	return s == Succeeded || s == Failed || s == Cancelled || s == Interrupted || s == Reviewed
}

// Step is a snapshot of one step: what a user sees of it at one moment.
type Step struct {
	Key       StepKey   `json:"key"`
	State     StepState `json:"state"`
	Rows      int       `json:"rows"`  // rows read so far
	Total     int       `json:"total"` // rows expected; 0 when not known yet
	Created   int       `json:"created"`
	Updated   int       `json:"updated"`
	Unchanged int       `json:"unchanged"`
	Removed   int       `json:"removed"`
	Problems  int       `json:"problems"`
	Phase     Phase     `json:"phase,omitempty"` // what a running step is doing
	Started   time.Time `json:"started,omitzero"`
	Finished  time.Time `json:"finished,omitzero"`
}

// Elapsed is how long the step has run, up to now while it runs.
func (s Step) Elapsed(now time.Time) time.Duration {
	switch {
	case s.Started.IsZero():
		return 0
	case s.Finished.IsZero():
		return now.Sub(s.Started)
	default:
		return s.Finished.Sub(s.Started)
	}
}

// Problem is one thing wrong with one cell (or row, or sheet) of a workbook.
// Problems are data for the user, not errors of the program.
type Problem struct {
	Sheet   string `json:"sheet"`
	Row     int    `json:"row"`    // the Excel row number; 0 for the sheet as a whole
	Column  string `json:"column"` // the header name; empty for a whole row or sheet
	Value   string `json:"value"`
	Message string `json:"message"`
}

// Status is a snapshot of a whole import.
type Status struct {
	ID       string    `json:"id"`
	State    State     `json:"state"`
	FileName string    `json:"file_name"`
	Problems int       `json:"problems"`
	Steps    []Step    `json:"steps"`
	Warnings []string  `json:"warnings,omitempty"`
	Error    string    `json:"error,omitempty"` // what went wrong, in words a user can act on
	Ahead    int       `json:"ahead,omitempty"` // imports queued before this one
	Created  time.Time `json:"created"`
	Updated  time.Time `json:"updated,omitzero"` // when this snapshot was taken
	Started  time.Time `json:"started,omitzero"`
	Finished time.Time `json:"finished,omitzero"`

	// WarningCount counts every warning, whether Warnings keeps it (the
	// first MaxWarnings) or not; 0 in a status saved before warnings were
	// counted, all of whose warnings were kept.
	WarningCount int `json:"warning_count,omitempty"`

	// How the upload is treated (contract section 8).
	Review        bool `json:"review"`         // check and count the changes, write nothing
	RemoveMissing bool `json:"remove_missing"` // each sheet is the whole truth for its table

	// Links between imports (section 8): empty where they do not apply.
	Confirms    string `json:"confirms,omitempty"`     // the review this import confirms
	ConfirmedIn string `json:"confirmed_in,omitempty"` // the import that confirmed this review
	Undoes      string `json:"undoes,omitempty"`       // the import this one undoes
	UndoneIn    string `json:"undone_in,omitempty"`    // the import that undid this one

	// Who did what (section 9): user names, empty where nobody did.
	UploadedBy  string `json:"uploaded_by,omitempty"`
	ConfirmedBy string `json:"confirmed_by,omitempty"`
	CancelledBy string `json:"cancelled_by,omitempty"`
	UndoneBy    string `json:"undone_by,omitempty"`
}

// Request is what starts an import: the upload, how to treat it and who
// asked for it.
type Request struct {
	FileName      string // the name the user gave the upload, only shown
	Path          string // the uploaded workbook; the queue takes the file over
	Review        bool
	RemoveMissing bool
	By            string // the user who asked: a signed-in name, or the OS user of a command
	Confirms      string // the review this import confirms, if any
	Undoes        string // the import this one undoes, if any
}

// NewStatus is the status of an import that has not started. Its file
// name is kept as FileName makes it, whoever gives it.
func NewStatus(id, fileName string, created time.Time) Status {
	st := Status{ID: id, State: Queued, FileName: FileName(fileName), Created: created}
	for _, k := range Steps {
		st.Steps = append(st.Steps, Step{Key: k, State: StepPending})
	}
	return st
}

// Step returns the snapshot of the step with the given key.
func (s Status) Step(key StepKey) Step {
	for _, st := range s.Steps {
		if st.Key == key {
			return st
		}
	}
	return Step{Key: key, State: StepPending}
}

// Clone returns a copy that shares no memory with s, so one goroutine can
// keep changing a status while others read the copy.
func (s Status) Clone() Status {
	s.Steps = append([]Step(nil), s.Steps...)
	s.Warnings = append([]string(nil), s.Warnings...)
	return s
}

// EndedOutside is the status of an import ended other than by running to
// its end (cancelled while queued, or interrupted): every step not yet
// final is cancelled, and since nothing was written, no step claims to
// have created, updated or left anything.
func (s Status) EndedOutside(state State, message string, at time.Time) Status {
	s = s.Clone()
	s.State, s.Error, s.Finished, s.Ahead = state, message, at, 0
	for i := range s.Steps {
		if !s.Steps[i].State.Final() {
			s.Steps[i].State = StepCancelled
		}
		s.Steps[i].Created, s.Steps[i].Updated, s.Steps[i].Unchanged, s.Steps[i].Removed = 0, 0, 0, 0
	}
	return s
}

// Status is the status of the import the request starts, before it
// starts.
func (r Request) Status(id string, created time.Time) Status {
	st := NewStatus(id, r.FileName, created)
	st.Review, st.RemoveMissing = r.Review, r.RemoveMissing
	st.Confirms, st.Undoes = r.Confirms, r.Undoes
	st.UploadedBy = r.By
	return st
}
