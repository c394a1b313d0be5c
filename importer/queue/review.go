package queue

import (
	"context"
	"crypto/rand"
	"slices"
	"time"

	"roster/importer"
)

// ReviewKept is how long a review's upload is kept, so that it can be
// confirmed: after it, the review can no longer be confirmed.
const ReviewKept = 7 * 24 * time.Hour

// Changes returns up to perKind changes of each kind of each step of an
// import (all when perKind is 0), in step order then kind order (created,
// updated, removed).
func (c *core) Changes(ctx context.Context, id string, perKind int) ([]importer.Change, error) {
	if _, err := c.store.Status(ctx, id); err != nil {
		if _, live := c.liveStatus(id); !live {
			return nil, err
		}
	}
	return c.store.Changes(ctx, id, perKind)
}

// Undoable reports whether Undo(id) would be accepted now.
func (c *core) Undoable(ctx context.Context, id string) (bool, error) {
	err := c.checkUndo(ctx, id)
	switch importer.ErrorCode(err) {
	case importer.CodeConflict:
		return false, nil
	case importer.CodeInternal:
		if err != nil {
			return false, err
		}
	}
	return err == nil, err
}

// confirmation is the import that confirms a review, and the review
// linked to it, both as they are to be recorded.
func (c *core) confirmation(ctx context.Context, reviewID, by string) (review, confirm importer.Status, err error) {
	review, err = c.store.Status(ctx, reviewID)
	if err != nil {
		return review, confirm, err
	}
	switch {
	case !review.Review:
		return review, confirm, importer.Errorf(importer.CodeConflict, nil, "This import is not a review, so there is nothing to confirm.")
	case review.ConfirmedIn != "":
		return review, confirm, alreadyConfirmed(review)
	case review.State != importer.Reviewed:
		return review, confirm, importer.Errorf(importer.CodeConflict, nil, "Only a review that found no problem can be confirmed; this one is %s.", review.State)
	case time.Since(review.Finished) > ReviewKept:
		return review, confirm, uploadGone()
	}
	req := importer.Request{
		FileName: review.FileName, RemoveMissing: review.RemoveMissing,
		By: review.UploadedBy, Confirms: review.ID,
	}
	confirm = req.Status(rand.Text(), time.Now())
	confirm.ConfirmedBy = by
	review.ConfirmedIn, review.ConfirmedBy = confirm.ID, by
	return review, confirm, nil
}

func alreadyConfirmed(review importer.Status) error {
	return importer.Errorf(importer.CodeConflict, nil, "This review has already been confirmed: its changes were sent to import %s.", review.ConfirmedIn)
}

func uploadGone() error {
	return importer.Errorf(importer.CodeConflict, nil, "The upload of this review was removed after %d days, so it can no longer be confirmed. Upload the workbook again.", int(ReviewKept.Hours()/24))
}

// refusedConfirm says why a review the store would not confirm cannot be:
// someone confirmed it meanwhile.
func (c *core) refusedConfirm(ctx context.Context, reviewID string) error {
	review, err := c.store.Status(ctx, reviewID)
	if err != nil {
		return err
	}
	return alreadyConfirmed(review)
}

// undoRequest is the import that undoes id, once checked that it may.
func (c *core) undoRequest(ctx context.Context, id, by string) (importer.Status, error) {
	if err := c.checkUndo(ctx, id); err != nil {
		return importer.Status{}, err
	}
	target, err := c.store.Status(ctx, id)
	if err != nil {
		return importer.Status{}, err
	}
	req := importer.Request{FileName: target.FileName, By: by, Undoes: id}
	return req.Status(rand.Text(), time.Now()), nil
}

// changedData reports whether an ended import changed any row.
func changedData(st importer.Status) bool {
	if st.State != importer.Succeeded {
		return false
	}
	for _, s := range st.Steps {
		if s.Created+s.Updated+s.Removed > 0 {
			return true
		}
	}
	return false
}

// checkUndo says whether the import id may be undone now. Undo is last in,
// first out, over the imports that changed data, in the order they were
// saved: a normal import is pushed on a stack; an undo pops its target,
// and the undo of an undo puts back what that undo took (and so on). An
// import may be undone when it is the top of the stack, or when it is an
// undo that is the latest import to change data. The state is all in the
// database, so it holds after a restart and on every instance.
func (c *core) checkUndo(ctx context.Context, id string) error {
	target, err := c.store.Status(ctx, id)
	if err != nil {
		return err
	}
	if !changedData(target) {
		if target.State == importer.Succeeded {
			return importer.Errorf(importer.CodeConflict, nil, "This import changed nothing, so there is nothing to undo.")
		}
		return importer.Errorf(importer.CodeConflict, nil, "Only an import that saved changes can be undone; this one is %s.", target.State)
	}
	if pending, err := c.pendingUndo(ctx, id); err != nil || pending != "" {
		if err == nil {
			err = importer.Errorf(importer.CodeConflict, nil, "An undo of this import is already waiting or running: import %s.", pending)
		}
		return err
	}
	saved, err := c.store.StatusesIn(ctx, importer.Succeeded)
	if err != nil {
		return err
	}
	var order []importer.Status
	byID := map[string]importer.Status{}
	for _, st := range saved {
		if changedData(st) {
			order = append(order, st)
			byID[st.ID] = st
		}
	}
	// One import at a time per database: they were saved in the order
	// they finished.
	slices.SortStableFunc(order, func(a, b importer.Status) int { return a.Finished.Compare(b.Finished) })
	stack := undoStack(order, byID)

	if target.Undoes != "" {
		latest := order[len(order)-1]
		if latest.ID == id && target.UndoneIn == "" {
			return nil
		}
		if target.UndoneIn != "" {
			return alreadyUndone(target)
		}
		var later []string
		for i := len(order) - 1; i >= 0 && order[i].ID != id; i-- {
			if order[i].UndoneIn == "" {
				later = append(later, order[i].ID)
			}
		}
		return &importer.BlockedError{Later: later}
	}
	at := slices.Index(stack, id)
	switch {
	case at == len(stack)-1:
		return nil
	case at >= 0:
		later := slices.Clone(stack[at+1:])
		slices.Reverse(later)
		return &importer.BlockedError{Later: later}
	case target.UndoneIn != "":
		return alreadyUndone(target)
	default:
		return importer.Errorf(importer.CodeConflict, nil, "This import cannot be undone now.")
	}
}

func alreadyUndone(st importer.Status) error {
	return importer.Errorf(importer.CodeConflict, nil, "This import was already undone by import %s.", st.UndoneIn)
}

// undoStack is the stack of normal imports that can be undone, oldest
// first, after the imports of order (each changed data; byID finds them).
func undoStack(order []importer.Status, byID map[string]importer.Status) []string {
	var stack []string
	for _, st := range order {
		if st.Undoes == "" {
			stack = append(stack, st.ID)
			continue
		}
		push, normal := undoEffect(st, byID, 0)
		if push {
			stack = append(stack, normal)
		} else if i := slices.Index(stack, normal); i >= 0 {
			stack = slices.Delete(stack, i, i+1)
		}
	}
	return stack
}

// undoEffect is what an undo does to the stack: it takes off (push false)
// or puts back (push true) one normal import. An undo of a normal import
// takes it off; an undo of an undo does the opposite of that undo.
func undoEffect(undo importer.Status, byID map[string]importer.Status, depth int) (push bool, normal string) {
	target, ok := byID[undo.Undoes]
	if !ok || target.Undoes == "" || depth > len(byID) {
		return false, undo.Undoes
	}
	push, normal = undoEffect(target, byID, depth+1)
	return !push, normal
}

// pendingUndo returns the id of a queued or running undo of id, if any.
func (c *core) pendingUndo(ctx context.Context, id string) (string, error) {
	c.mu.Lock()
	for other, j := range c.live {
		if j.status.Undoes == id && !j.status.State.Final() {
			c.mu.Unlock()
			return other, nil
		}
	}
	c.mu.Unlock()
	waiting, err := c.store.StatusesIn(ctx, importer.Queued, importer.Running)
	if err != nil {
		return "", err
	}
	for _, st := range waiting {
		if st.Undoes == id {
			return st.ID, nil
		}
	}
	return "", nil
}
