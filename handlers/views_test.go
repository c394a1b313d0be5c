package handlers

import (
	"testing"
	"time"

	"roster/importer"
)

// A running review or undo does not say it is importing: a review saves
// nothing, an undo puts rows back.
func TestARunningReviewOrUndoSaysWhatItDoes(t *testing.T) {
	now := time.Now()
	for _, c := range []struct {
		st    importer.Status
		title string
	}{
		{importer.Status{State: importer.Running}, "Importing"},
		{importer.Status{State: importer.Running, Review: true}, "Checking"},
		{importer.Status{State: importer.Running, Undoes: "x"}, "Undoing"},
	} {
		v := summaryView(c.st, now)
		if v.Title != c.title {
			t.Errorf("a running import with review=%v, undoes=%q is titled %q, want %q", c.st.Review, c.st.Undoes, v.Title, c.title)
		}
		if c.st.Review && v.Message == "Nothing is saved until every sheet has been checked." {
			t.Errorf("a running review says %q, as if it would save", v.Message)
		}
	}
}

func TestOutcomeWords(t *testing.T) {
	for _, c := range []struct {
		created, updated, unchanged, removed int
		want                                 string
	}{
		{0, 0, 1260182, 0, "Nothing needed changing: all 1,260,182 rows already match."},
		{0, 0, 1, 0, "Nothing needed changing: its one row already matches."},
		{0, 0, 0, 0, "Nothing needed changing: the workbook has no rows."},
		{2000, 0, 0, 0, "Saved: 2,000 created."},
		{3, 5, 0, 0, "Saved: 3 created and 5 updated."},
		{0, 5, 1000, 0, "Saved: 5 updated; 1,000 rows already matched."},
		{1, 2, 1, 0, "Saved: 1 created and 2 updated; 1 row already matched."},
		{1, 2, 3, 4, "Saved: 1 created, 2 updated and 4 removed; 3 rows already matched."},
		{0, 0, 10, 7, "Saved: 7 removed; 10 rows already matched."},
	} {
		if got := outcomeWords(c.created, c.updated, c.unchanged, c.removed); got != c.want {
			t.Errorf("outcomeWords(%d, %d, %d, %d) = %q, want %q", c.created, c.updated, c.unchanged, c.removed, got, c.want)
		}
	}
}

func TestTimesAreSaidInWords(t *testing.T) {
	for d, want := range map[time.Duration]string{
		98 * time.Millisecond:                   "less than a second",
		time.Second:                             "1 second",
		4*time.Second + 400*time.Millisecond:    "4 seconds",
		2*time.Minute + 5*time.Second:           "2 minutes 5 seconds",
		time.Minute:                             "1 minute",
		time.Hour + 3*time.Minute + time.Second: "1 hour 3 minutes",
	} {
		if got := spokenDuration(d); got != want {
			t.Errorf("spokenDuration(%v) = %q, want %q", d, got, want)
		}
	}
	for d, want := range map[time.Duration]string{
		98 * time.Millisecond:           "A few seconds left",
		24 * time.Second:                "About 20 seconds left",
		46 * time.Second:                "About 50 seconds left",
		55 * time.Second:                "About 1 minute left",
		2*time.Minute + 20*time.Second:  "About 2 minutes left",
		2*time.Minute + 40*time.Second:  "About 3 minutes left",
		3 * time.Hour:                   "About 3 hours left",
		89*time.Minute + 10*time.Second: "About 89 minutes left",
	} {
		if got := aboutLeft(d); got != want {
			t.Errorf("aboutLeft(%v) = %q, want %q", d, got, want)
		}
	}
}
