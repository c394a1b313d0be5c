package handlers

import (
	"fmt"
	"strings"
	"time"

	"github.com/dustin/go-humanize"
	"github.com/dustin/go-humanize/english"

	"roster/components"
	"roster/importer"
)

var stepLabels = map[importer.StepState]string{
	importer.StepPending:   "Waiting",
	importer.StepRunning:   "Running",
	importer.StepDone:      "Done",
	importer.StepFailed:    "Failed",
	importer.StepSkipped:   "Skipped",
	importer.StepCancelled: "Cancelled",
}

// phaseLabels say what a running step is doing once its rows are read.
var phaseLabels = map[importer.Phase]string{
	importer.PhaseChecking: "Checking references…",
	importer.PhaseChecked:  "Checked, waiting to save",
	importer.PhaseSaving:   "Saving…",
}

var stateLabels = map[importer.State]string{
	importer.Queued:      "Queued",
	importer.Running:     "Running",
	importer.Succeeded:   "Succeeded",
	importer.Failed:      "Failed",
	importer.Cancelled:   "Cancelled",
	importer.Interrupted: "Interrupted",
	importer.Reviewed:    "Checked, not saved",
}

// wrote reports whether an import's counts of created, updated and
// unchanged rows are true of the database (or, for a review, would be).
func wrote(st importer.Status) bool {
	switch st.State {
	case importer.Failed, importer.Cancelled, importer.Interrupted:
		return false
	}
	return st.Problems == 0
}

// stepView is what the stepper shows of one step at the moment now.
func stepView(st importer.Status, s importer.Step, now time.Time) components.StepView {
	v := components.StepView{
		Key:       string(s.Key),
		Name:      importer.SheetFor(s.Key).StepName,
		State:     string(s.State),
		Label:     stepLabels[s.State],
		Current:   s.State == importer.StepRunning && s.Phase != importer.PhaseChecked,
		Rows:      s.Rows,
		Total:     s.Total,
		Created:   s.Created,
		Updated:   s.Updated,
		Unchanged: s.Unchanged,
		Removed:   s.Removed,
		Problems:  s.Problems,
		Written:   s.State == importer.StepDone && wrote(st),
		Review:    st.Review,
		Undo:      st.Undoes != "",
	}
	if s.State == importer.StepRunning {
		if label, ok := phaseLabels[s.Phase]; ok {
			v.Label = label
		}
		v.Busy = s.Phase == importer.PhaseChecking || s.Phase == importer.PhaseSaving
		if s.Phase == importer.PhaseChecked {
			v.Activity = "Nothing wrong. It is saved once every sheet has been checked."
			if st.Review {
				v.Activity = "Nothing wrong. Its changes are counted once every sheet has been checked."
			}
		}
	}
	// A done step of an import that ended without saving was checked, and
	// perhaps saved in the transaction that was then undone: it is not
	// "Done" in the sense a user reads it.
	if s.State == importer.StepDone && st.State.Final() && !wrote(st) {
		v.Label = "Checked, not saved"
	}
	if st.Review && s.State == importer.StepDone {
		v.Label = "Checked" // a review saves nothing
	}
	// The first step carries the queue position: the stream's only events
	// are the steps and done, and a waiting user wants to see it move.
	if st.State == importer.Queued && s.Key == importer.Steps[0] {
		if st.Ahead > 0 {
			v.Label = fmt.Sprintf("Waiting: %d %s ahead", st.Ahead, english.PluralWord(st.Ahead, "import", "imports"))
		} else {
			v.Label = "Waiting to start"
		}
	}
	// Time is read at the snapshot, not now: every client then renders the
	// same view of one snapshot, and the server renders it once for all.
	if el := s.Elapsed(snapshotTime(st, now)); el > 0 {
		v.Elapsed = spokenDuration(el)
	}
	return v
}

// snapshotTime is the moment a status describes: when it was taken, or
// now for a status that does not say.
func snapshotTime(st importer.Status, now time.Time) time.Time {
	if !st.Updated.IsZero() {
		return st.Updated
	}
	return now
}

// spokenDuration says a length of time as people say it: "less than a
// second", "4 seconds", "2 minutes 5 seconds", "1 hour 3 minutes".
func spokenDuration(d time.Duration) string {
	switch {
	case d < time.Second:
		return "less than a second"
	case d < time.Minute:
		return counted(int(d/time.Second), "second")
	case d < time.Hour:
		m, s := int(d/time.Minute), int(d%time.Minute/time.Second)
		return joinUnits(counted(m, "minute"), s, "second")
	default:
		h, m := int(d/time.Hour), int(d%time.Hour/time.Minute)
		return joinUnits(counted(h, "hour"), m, "minute")
	}
}

func counted(n int, unit string) string { return english.Plural(n, unit, "") }

func joinUnits(first string, n int, unit string) string {
	if n == 0 {
		return first
	}
	return first + " " + counted(n, unit)
}

// aboutLeft says how long is left, rounded as people round it.
func aboutLeft(d time.Duration) string {
	switch {
	case d < 10*time.Second:
		return "A few seconds left"
	case d < 50*time.Second:
		return "About " + counted(int((d+5*time.Second)/(10*time.Second))*10, "second") + " left"
	case d < 90*time.Minute:
		return "About " + counted(max(1, int((d+30*time.Second)/time.Minute)), "minute") + " left"
	default:
		return "About " + counted(int((d+30*time.Minute)/time.Hour), "hour") + " left"
	}
}

// Shares of an import's work: reading and checking its rows, then saving
// them (about a quarter of the time on a large import: docs/performance.md).
const (
	readShare = 0.75
	saveShare = 1 - readShare
)

// timeLeft estimates how long the import has left from the share of its
// rows done so far and the time that took. It knows only once every
// sheet's rows have been counted and enough is done to go by.
func timeLeft(st importer.Status, now time.Time) (time.Duration, bool) {
	if st.State != importer.Running || st.Started.IsZero() {
		return 0, false
	}
	var total, done float64
	for _, s := range st.Steps {
		switch {
		case s.State == importer.StepSkipped:
			continue
		case s.State == importer.StepPending && s.Total == 0:
			return 0, false // not counted yet
		}
		rows := float64(max(s.Total, s.Rows))
		total += rows
		switch {
		case s.State == importer.StepDone:
			done += rows
		case s.State == importer.StepRunning && s.Phase == importer.PhaseReading:
			done += readShare * float64(s.Rows)
		case s.State == importer.StepRunning:
			done += readShare * rows
		}
	}
	at := snapshotTime(st, now)
	elapsed := at.Sub(st.Started)
	if total == 0 || done < 0.01*total || elapsed < 2*time.Second {
		return 0, false
	}
	// Counted down from the snapshot, so that the estimate keeps moving
	// while a long step reports nothing new (a big sheet being saved).
	left := time.Duration(float64(elapsed)*(total-done)/done) - max(0, now.Sub(at))
	return max(0, left), true
}

// whenText says when an import was queued or started, and how long it took.
func whenText(st importer.Status) string {
	if st.Started.IsZero() {
		text := "Queued at " + clock(st.Created)
		if st.State.Final() {
			text += "; it never started."
		}
		return text
	}
	text := "Started at " + clock(st.Started)
	if st.State.Final() && !st.Finished.IsZero() {
		text += "; took " + spokenDuration(st.Finished.Sub(st.Started)) + "."
	}
	return text
}

// clock writes a moment as people read it: "14:03:05 on 7 Dec 2026".
func clock(t time.Time) string { return t.Local().Format("15:04:05 on 2 Jan 2006") }

// outcomeWords says what a finished import did to the data, in words.
func outcomeWords(created, updated, unchanged, removed int) string {
	var changes []string
	for _, c := range []struct {
		n    int
		what string
	}{{created, "created"}, {updated, "updated"}, {removed, "removed"}} {
		if c.n > 0 {
			changes = append(changes, humanize.Comma(int64(c.n))+" "+c.what)
		}
	}
	switch {
	case len(changes) == 0 && unchanged == 0:
		return "Nothing needed changing: the workbook has no rows."
	case len(changes) == 0 && unchanged == 1:
		return "Nothing needed changing: its one row already matches."
	case len(changes) == 0:
		return "Nothing needed changing: all " + humanize.Comma(int64(unchanged)) + " rows already match."
	}
	text := "Saved: " + english.WordSeries(changes, "and")
	switch {
	case unchanged == 1:
		text += "; 1 row already matched"
	case unchanged > 1:
		text += "; " + humanize.Comma(int64(unchanged)) + " rows already matched"
	}
	return text + "."
}

func summaryView(st importer.Status, now time.Time) components.SummaryView {
	v := components.SummaryView{
		ImportID:  st.ID,
		State:     string(st.State),
		Problems:  st.Problems,
		Final:     st.State.Final(),
		CanCancel: !st.State.Final(),
		Message:   st.Error,
		When:      whenText(st),
		Who:       capitalize(whoDid(st, false)),
	}
	switch st.State {
	case importer.Queued:
		v.Title = "Waiting to start"
		v.Message = "Imports run one at a time; this one starts as soon as the ones before it end."
		if st.Ahead > 0 {
			v.Message = fmt.Sprintf("%d %s ahead of this one. Imports run one at a time.", st.Ahead, english.PluralWord(st.Ahead, "import is", "imports are"))
		}
	case importer.Running:
		v.Title = "Importing"
		v.Message = "Nothing is saved until every sheet has been checked."
		if st.Review {
			// A review saves nothing at all; saving is a later choice.
			v.Title = "Checking"
			v.Message = "Nothing is saved: this is a review. Its changes can be saved once it is done."
		}
		if st.Undoes != "" {
			v.Title = "Undoing"
			v.Message = "Nothing is put back until every step is ready; then everything is, at once."
		}
		if left, ok := timeLeft(st, now); ok {
			v.Left = aboutLeft(left)
		}
	case importer.Succeeded:
		v.Title, v.Message = succeededSummary(st)
	case importer.Reviewed:
		v.Title, v.Message = reviewedSummary(st)
	case importer.Failed:
		v.Title = "Nothing was saved"
	case importer.Cancelled:
		v.Title = "Import cancelled"
	case importer.Interrupted:
		v.Title = "Import interrupted"
	}
	if st.State == importer.Failed && st.Problems > 0 {
		v.ReportURL = "/imports/" + st.ID + "/problems.xlsx"
	}
	return v
}

func importView(st importer.Status, problems []importer.Problem, total int, ch components.ChangesView, now time.Time) components.ImportView {
	v := components.ImportView{
		ID:        st.ID,
		Heading:   heading(st),
		FileName:  st.FileName,
		State:     string(st.State),
		Summary:   summaryView(st, now),
		Warnings:  st.Warnings,
		Total:     total,
		Ahead:     st.Ahead,
		By:        st.UploadedBy,
		EventsURL: "/imports/" + st.ID + "/events",
		Live:      !st.State.Final(),
		CancelURL: "/imports/" + st.ID + "/cancel",
		Changes:   ch,
	}
	v.MoreWarnings = warningCount(st) - len(st.Warnings)
	for _, s := range st.Steps {
		v.Steps = append(v.Steps, stepView(st, s, now))
	}
	for _, p := range problems {
		v.Problems = append(v.Problems, components.ProblemView{
			Sheet: p.Sheet, Row: p.Row, Column: p.Column, Value: p.Value, Message: p.Message,
		})
	}
	return v
}

// warningCount is how many warnings an import has: its count, or for a
// status saved before warnings were counted, those it kept (all).
func warningCount(st importer.Status) int { return max(st.WarningCount, len(st.Warnings)) }

func historyRow(st importer.Status, names map[string]string) components.HistoryRow {
	r := components.HistoryRow{
		ID: st.ID, FileName: st.FileName, State: string(st.State), Label: stateLabels[st.State],
		Started:  "Not started",
		Problems: st.Problems,
		By:       whoDid(st, true),
	}
	if !st.Started.IsZero() {
		r.Started = st.Started.Local().Format("2 Jan 2006 15:04")
	}
	if !st.Started.IsZero() && !st.Finished.IsZero() {
		r.Duration = spokenDuration(st.Finished.Sub(st.Started))
	}
	for _, s := range st.Steps {
		r.Rows += s.Rows
		r.Created += s.Created
		r.Updated += s.Updated
		r.Unchanged += s.Unchanged
		r.Removed += s.Removed
	}
	r.Links = historyLinks(st, names)
	if st.State == importer.Reviewed && st.ConfirmedIn != "" {
		r.Label = "Checked, then saved"
	}
	return r
}

// whoDid says who did what to an import, "uploaded by ann, cancelled by
// bo": with the upload for the history, without it for the import page,
// whose heading says it.
func whoDid(st importer.Status, uploaded bool) string {
	var parts []string
	for _, d := range []struct{ did, by string }{
		{"uploaded", st.UploadedBy}, {"confirmed", st.ConfirmedBy}, {"cancelled", st.CancelledBy}, {"undone", st.UndoneBy},
	} {
		if d.by != "" && (uploaded || d.did != "uploaded") {
			parts = append(parts, d.did+" by "+d.by)
		}
	}
	return strings.Join(parts, ", ")
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:] + "."
}
