package components

// ChangesView is what section 8 adds to an import's page: the links to the
// imports it is tied to, what the user may do next (save a review, undo an
// import), and the rows it changed, or as a review would change.
type ChangesView struct {
	Links      []ImportLink
	ConfirmURL string // a review not yet saved: where its Save button posts
	UndoURL    string // an import that can be undone now: where Undo posts
	Shown      bool   // whether the change lists apply (a review or a succeeded import)
	Review     bool   // the lists say what would change, not what did
	Steps      []StepChanges
	Total      int    // changes of every kind in every step
	Workbook   string // changes.xlsx
	PerKind    int    // how many of each kind of each step are listed at most
}

// ImportLink ties an import to another: "Undone by" the undo, "Saved by" the
// import that confirmed a review, and the way back.
type ImportLink struct {
	Says string // e.g. "This import was undone by"
	URL  string
	Name string // the other import's file name and start, to tell it by
}

// StepChanges are one step's changes of each kind, the first ones listed.
type StepChanges struct {
	Key, Name string
	KeyHeader string // the key columns' headers, e.g. "Employee ID · Date · Shift Start"
	Created   ChangeList
	Updated   ChangeList
	Removed   ChangeList
}

// ChangeList is the changes of one kind: how many there are, and the
// first of them.
type ChangeList struct {
	Count int
	Rows  []ChangedRow
}

// ChangedRow is one row by its key; for an update, each changed column.
type ChangedRow struct {
	Key     string // the key values, joined with " · "
	Columns []ChangedCell
}

// ChangedCell is one column's value before and after.
type ChangedCell struct {
	Column, Old, New string
}

// More is how many changes the list leaves for the workbook.
func (l ChangeList) More() int { return l.Count - len(l.Rows) }

// kindHeading heads a list of changes: "3 created", or in a review "3 to
// create".
func kindHeading(kind string, n int, review bool) string {
	return count(n) + " " + KindWord(kind, review)
}

// KindWord says a kind of change in a count: "created", or for a review,
// which has changed nothing yet, "to create".
func KindWord(kind string, review bool) string {
	if !review {
		return kind
	}
	switch kind {
	case "created":
		return "to create"
	case "updated":
		return "to update"
	case "removed":
		return "to remove"
	case "unchanged":
		return "unchanged"
	}
	return kind
}
