package queue

import (
	"context"
	"errors"

	"roster/importer"
)

var errNotBuilt = errors.New("not built yet")

// Confirm queues the import of a reviewed upload with the review's
// options, and returns its id.
func (c *core) Confirm(ctx context.Context, reviewID, by string) (string, error) {
	return "", errNotBuilt
}

// Undo queues an undo of the import, and returns the undo's id.
func (c *core) Undo(ctx context.Context, id, by string) (string, error) {
	return "", errNotBuilt
}

// Changes returns up to perKind changes of each kind of each step, in
// step order then kind order (created, updated, removed).
func (c *core) Changes(ctx context.Context, id string, perKind int) ([]importer.Change, error) {
	return nil, errNotBuilt
}

// Undoable reports whether Undo(id) would be accepted now.
func (c *core) Undoable(ctx context.Context, id string) (bool, error) {
	return false, errNotBuilt
}
