package importer

import (
	"context"
	"strings"
)

// UndoStorage is what an undo needs of the database.
type UndoStorage interface {
	BeginUndo(ctx context.Context) (UndoTx, error)
}

// UndoTx is one undo's transaction: it puts back, from its target's change
// records, every row the target created, updated or removed.
type UndoTx interface {
	// Counted counts the target's changes of a step.
	Counted(ctx context.Context, sh *Sheet, target string) (Counts, error)
	// Drifted finds a row of the step that is no longer as the target
	// left it (the key of the first one).
	Drifted(ctx context.Context, sh *Sheet, target string) (key []string, found bool, err error)
	// RecordUndo saves the undo's own change records for a step: the
	// mirror of the target's.
	RecordUndo(ctx context.Context, sh *Sheet, target, id string) error
	DeleteCreated(ctx context.Context, sh *Sheet, target string) error
	RevertUpdated(ctx context.Context, sh *Sheet, target string) error
	RestoreRemoved(ctx context.Context, sh *Sheet, target string) error
	// Commit makes the undo visible with its outcome, and records on the
	// target that it was undone.
	Commit(ctx context.Context, outcome Status) error
	Rollback() error
}

// Undo puts back everything the import status.Undoes changed, in one
// transaction, or nothing. It runs as an import does: its steps report
// counts (created: rows put back; updated: rows given their old values;
// removed: rows the target had created), and it ends like one.
func Undo(ctx context.Context, st UndoStorage, status Status, report func(Status)) (Result, error) {
	r := startRun(status, report)
	return r.end(ctx, r.undo(ctx, st))
}

func (r *run) undo(ctx context.Context, st UndoStorage) error {
	target := r.status.Undoes
	tx, err := st.BeginUndo(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()

	// Every step is checked before any row is written: the target's rows
	// must still be as it left them.
	counts := map[StepKey]Counts{}
	for _, sh := range Sheets {
		if err := ctx.Err(); err != nil {
			return err
		}
		c, err := tx.Counted(ctx, sh, target)
		if err != nil {
			return err
		}
		s := r.step(sh.Step)
		n := c.Created + c.Updated + c.Removed
		if n == 0 {
			s.State = StepSkipped
			r.publish()
			continue
		}
		counts[sh.Step] = c
		s.State, s.Phase, s.Started, s.Total = StepRunning, PhaseChecking, r.now(), n
		r.publish()
		key, found, err := tx.Drifted(ctx, sh, target)
		if err != nil {
			return err
		}
		if found {
			return Errorf(CodeConflict, nil, "%s %s of the %s sheet is no longer as that import left it: the data has changed since, so the import cannot be undone.",
				keyName(sh), Quote(strings.Join(key, " / ")), sh.Name)
		}
		if err := tx.RecordUndo(ctx, sh, target, r.status.ID); err != nil {
			return err
		}
		s.Phase = PhaseChecked
		r.publish()
	}
	// Created rows go first, children before parents (in reverse step
	// order), freeing their keys and unique values; then, parents first,
	// updated rows get their old values and removed rows come back.
	for i := len(Sheets) - 1; i >= 0; i-- {
		sh := Sheets[i]
		if counts[sh.Step].Created == 0 {
			continue
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		s := r.step(sh.Step)
		s.Phase = PhaseSaving
		r.publish()
		if err := tx.DeleteCreated(ctx, sh, target); err != nil {
			return err
		}
	}
	for _, sh := range Sheets {
		c, ok := counts[sh.Step]
		if !ok {
			continue
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		s := r.step(sh.Step)
		s.Phase = PhaseSaving
		r.publish()
		if c.Updated > 0 {
			if err := tx.RevertUpdated(ctx, sh, target); err != nil {
				return err
			}
		}
		if c.Removed > 0 {
			if err := tx.RestoreRemoved(ctx, sh, target); err != nil {
				return err
			}
		}
		s.Rows = s.Total
		s.Created, s.Updated, s.Removed = c.Removed, c.Updated, c.Created
		s.State, s.Phase, s.Finished = StepDone, "", r.now()
		r.publish()
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return r.commit(ctx, tx, Succeeded)
}

// keyName is the name of a sheet's key as a user reads it: its columns'
// headers, joined by " + ".
func keyName(sh *Sheet) string {
	hs := make([]string, len(sh.Key))
	for i, k := range sh.Key {
		hs[i] = sh.Column(k).Header
	}
	return strings.Join(hs, " + ")
}
