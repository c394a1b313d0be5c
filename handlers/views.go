package handlers

import (
	"fmt"
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
	importer.PhaseChecking: "Checking",
	importer.PhaseChecked:  "Checked, waiting to save",
	importer.PhaseSaving:   "Saving",
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
		Written:   s.State == importer.StepDone && st.State != importer.Failed && st.Problems == 0,
		Review:    st.Review,
		Undo:      st.Undoes != "",
	}
	if label, ok := phaseLabels[s.Phase]; ok && s.State == importer.StepRunning {
		v.Label = label
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
	if !st.Updated.IsZero() {
		now = st.Updated
	}
	if el := s.Elapsed(now); el > 0 {
		v.Elapsed = duration(el)
		if s.State == importer.StepRunning && s.Phase == importer.PhaseReading && s.Rows > 0 {
			rate := float64(s.Rows) / el.Seconds()
			v.Rate = humanize.Comma(int64(rate)) + " rows/s"
			if s.Total > s.Rows && rate > 0 {
				left := time.Duration(float64(s.Total-s.Rows) / rate * float64(time.Second))
				v.Left = "about " + duration(left) + " left"
			}
		}
	}
	return v
}

// duration says a length of time the way a person would read it.
func duration(d time.Duration) string {
	switch {
	case d < time.Second:
		return fmt.Sprintf("%d ms", d.Milliseconds())
	case d < time.Minute:
		return fmt.Sprintf("%.1f s", d.Seconds())
	case d < time.Hour:
		return fmt.Sprintf("%d min %02d s", int(d.Minutes()), int(d.Seconds())%60)
	default:
		return fmt.Sprintf("%d h %02d min", int(d.Hours()), int(d.Minutes())%60)
	}
}

func summaryView(st importer.Status) components.SummaryView {
	v := components.SummaryView{
		ImportID:  st.ID,
		State:     string(st.State),
		Problems:  st.Problems,
		Final:     st.State.Final(),
		CanCancel: !st.State.Final(),
		Message:   st.Error,
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
		Summary:   summaryView(st),
		Warnings:  st.Warnings,
		Total:     total,
		Ahead:     st.Ahead,
		Started:   st.Created.Local().Format("2 Jan 2006 15:04:05"),
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
		Started:  st.Created.Local().Format("2 Jan 2006 15:04"),
		Problems: st.Problems,
	}
	if !st.Started.IsZero() && !st.Finished.IsZero() {
		r.Duration = duration(st.Finished.Sub(st.Started))
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
