// Package components renders every piece of Roster's HTML: pages, and the
// fragments the event stream sends. Each component takes a small view
// struct that the handlers build, so nothing here knows about the database
// or the importer.
package components

// StepView is one step of the stepper.
type StepView struct {
	Key       string // the contract's step key, e.g. "car-assignments"
	Name      string // for people, e.g. "Car assignments"
	State     string // pending, running, done, failed, skipped, cancelled
	Label     string // the state in words
	Current   bool   // the step running now
	Rows      int
	Total     int // 0 when not known
	Created   int
	Updated   int
	Unchanged int
	Removed   int
	Problems  int
	Written   bool   // whether created/updated/unchanged mean anything yet
	Review    bool   // the counts are what saving would do
	Undo      bool   // the step puts back what an import changed; it reads no sheet
	Busy      bool   // at work on something not measured row by row (checking, saving)
	Activity  string // what a running step whose bar would mean nothing is doing
	Elapsed   string // e.g. "12 seconds"; empty before the step starts
}

// SummaryView is the end of an import, or where it stands.
type SummaryView struct {
	ImportID  string
	State     string // the import's state
	Title     string
	Message   string
	Problems  int
	Final     bool
	CanCancel bool
	When      string // "Queued at …" before the start, "Started at …" after
	Left      string // how long the whole import has left, in words; empty when not known
	ReportURL string // the problems workbook; empty when there is none
	Who       string // who confirmed, cancelled or undid it, in words
}

// ProblemView is one row of the problems table.
type ProblemView struct {
	Sheet, Column, Value, Message string
	Row                           int
}

// ImportView is the import page.
type ImportView struct {
	ID        string
	Heading   string // "Import of", "Review of" or "Undo of", before the file name
	FileName  string
	State     string
	Steps     []StepView
	Summary   SummaryView
	Warnings  []string
	Problems  []ProblemView // the first ones
	Total     int           // every problem
	Ahead     int           // imports queued before this one
	By        string        // who uploaded it
	EventsURL string
	Live      bool // connected to the event stream
	Focus     bool // take the keyboard focus (swapped in after an upload)
	CancelURL string
	Changes   ChangesView // section 8: links, Save or Undo, the change lists

	// MoreWarnings is how many warnings there are besides Warnings, the
	// first ones, which alone are kept.
	MoreWarnings int
}

// HistoryRow is one import in the history.
type HistoryRow struct {
	ID, FileName, State, Label, Started, Duration string
	By                                            string // who did what: "uploaded by ann, cancelled by bo"
	Rows, Created, Updated, Unchanged, Problems   int
	Removed                                       int
	Links                                         []ImportLink // undone by, undo of, review of, saved by
}

// UploadView is the upload page.
type UploadView struct {
	Error    string // what was wrong with the last upload
	ViewOnly bool   // the user may not upload (a viewer)

	// The options' checkboxes: ticked on a new form, as sent on a refused one.
	Review        bool
	RemoveMissing bool
}

// ErrorView is a page for a request that went wrong.
type ErrorView struct {
	Status  int
	Title   string
	Message string
}
