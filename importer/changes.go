package importer

import "strings"

// ChangeKind is what an import does to one row.
type ChangeKind string

const (
	ChangeCreated ChangeKind = "created"
	ChangeUpdated ChangeKind = "updated"
	ChangeRemoved ChangeKind = "removed"
)

// ChangeKinds lists the kinds in the order change lists show them.
var ChangeKinds = []ChangeKind{ChangeCreated, ChangeUpdated, ChangeRemoved}

// Change is one row an import creates, updates or removes.
type Change struct {
	Step StepKey
	Kind ChangeKind
	// Key holds the key columns' values, in the sheet's key order.
	Key []string
	// Columns: updated, each changed column; created, every non-key
	// column (New only); removed, every non-key column (Old only).
	Columns []ColumnChange
}

// ColumnChange is one column of a changed row.
type ColumnChange struct {
	Column   string // the header name, as in the template
	Old, New string
}

// BlockedError says an import cannot be undone before later imports are:
// undo is last in, first out.
type BlockedError struct {
	Later []string // import ids, newest first
}

func (e *BlockedError) Error() string {
	return "Undo these later imports first, newest first: " + strings.Join(e.Later, ", ") + "."
}
