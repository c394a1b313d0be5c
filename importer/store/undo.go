package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"roster/importer"
)

// An undo reads its target's change records and puts every row back as it
// was, in one transaction. It writes from its first statement, so on
// SQLite it takes the write lock at once; it reads nothing but the rows it
// changes.

// BeginUndo starts an undo's transaction.
func (s *Store) BeginUndo(ctx context.Context) (importer.UndoTx, error) {
	t := &Tx{postgres: s.postgres, inserts: map[batchShape]*sql.Stmt{}, releasing: &s.releasing}
	if s.postgres {
		tx, err := s.db.BeginTx(ctx, nil)
		if err != nil {
			return nil, fmt.Errorf("begin undo: %w", err)
		}
		t.tx, t.q = tx, tx
		return t, nil
	}
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("begin undo: %w", err)
	}
	t.conn, t.q, t.merging = conn, conn, true
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		conn.Close()
		return nil, fmt.Errorf("begin undo: %w", err)
	}
	return t, nil
}

// Counted returns how many rows of a step the target created, updated and
// removed.
func (t *Tx) Counted(ctx context.Context, sh *importer.Sheet, target string) (importer.Counts, error) {
	var c importer.Counts
	cs, ok, err := changeSetOf(ctx, t.q, t.postgres, target)
	if err != nil || !ok {
		return c, err
	}
	l := layoutOf(sh)
	q := fmt.Sprintf(`SELECT
		(SELECT COUNT(*) FROM (%s) k),
		(SELECT COUNT(*) FROM import_changes WHERE change_set = %[2]d AND step_no = %[3]d AND kind = 'updated'),
		(SELECT COUNT(*) FROM import_changes WHERE change_set = %[2]d AND step_no = %[3]d AND kind = 'removed')`,
		l.createdKeys(cs), cs, l.stepNo)
	if err := t.scanOne(ctx, q, nil, &c.Created, &c.Updated, &c.Removed); err != nil {
		return c, fmt.Errorf("count changes: %w", err)
	}
	return c, nil
}

type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// Drifted finds a row of the step that is no longer as the target left
// it: an updated row gone or with other values, a removed row back, a
// created row gone. A created row that is gone is found through the
// records alone: a later import that removed it recorded so (its table
// no longer has it to ask). found is false when every row is as the
// target left it.
func (t *Tx) Drifted(ctx context.Context, sh *importer.Sheet, target string) (key []string, found bool, err error) {
	cs, ok, err := changeSetOf(ctx, t.q, t.postgres, target)
	if err != nil || !ok {
		return nil, false, err
	}
	l := layoutOf(sh)
	var differs []string
	for i, f := range l.others {
		differs = append(differs, fmt.Sprintf("%s %s c.new_%d", l.asText("d", f), t.distinct(), i+1))
	}
	differs = append(differs, "d."+l.tb.Key[0]+" IS NULL")
	recorded := fmt.Sprintf(`
		SELECT c.key_1, c.key_2, c.key_3 FROM import_changes c LEFT JOIN %[1]s d ON %[2]s
		WHERE c.change_set = %[5]d AND c.step_no = %[6]d AND (
			(c.kind = 'removed' AND d.%[3]s IS NOT NULL) OR
			(c.kind = 'updated' AND (%[4]s)))`,
		l.tb.Name, l.recordMatch("d"), l.tb.Key[0], strings.Join(differs, " OR "), cs, l.stepNo)
	created := fmt.Sprintf(`
		SELECT k.key_1, k.key_2, k.key_3 FROM (%s) k
		WHERE NOT EXISTS (SELECT 1 FROM %s d WHERE %s)`,
		l.createdRecords(cs), l.tb.Name, l.matchRecord("d", "k"))
	for _, q := range []string{recorded, created} {
		k := make([]string, 3)
		err := t.scanOne(ctx, q+" LIMIT 1", nil, &k[0], &k[1], &k[2])
		if errors.Is(err, errNoRow) {
			continue
		}
		if err != nil {
			return nil, false, fmt.Errorf("compare %s with the import: %w", l.tb.Name, err)
		}
		return k[:len(l.tb.Key)], true, nil
	}
	return nil, false, nil
}

// RecordUndo saves the undo's own change records for a step: the mirror
// of its target's, so that the undo can be undone in turn. The rows the
// target created are removed, with the values they have (as the target
// left them: Drifted checked) and their created_in; the rows it updated
// swap their old and new values. The rows it removed are created: they
// will carry the undo's number (RestoreRemoved).
func (t *Tx) RecordUndo(ctx context.Context, sh *importer.Sheet, target, id string) error {
	if err := t.newChangeSet(ctx, id); err != nil {
		return err
	}
	cs, _, err := changeSetOf(ctx, t.q, t.postgres, target)
	if err != nil {
		return err
	}
	l := layoutOf(sh)
	queries := []string{
		fmt.Sprintf(`INSERT INTO import_changes (%s, %s, created_in) SELECT %d, %d, 'removed', %s, %s, d.created_in
			FROM %s d WHERE %s`,
			changeColumns, l.valueCols("old"), t.changeSet, l.stepNo, l.keyList("d"), l.values("d"), l.tb.Name, l.createdBy("d", cs)),
		fmt.Sprintf(`INSERT INTO import_changes (%s, change_set) SELECT c.step_no, 'updated', c.key_1, c.key_2, c.key_3,
			c.new_1, c.new_2, c.new_3, c.new_4, c.new_5, c.new_6, c.new_7,
			c.old_1, c.old_2, c.old_3, c.old_4, c.old_5, c.old_6, c.old_7, %d
			FROM import_changes c WHERE c.change_set = %d AND c.step_no = %d AND c.kind = 'updated'`,
			allChangeColumns, t.changeSet, cs, l.stepNo),
	}
	for _, q := range queries {
		if _, err := t.exec(ctx, q); err != nil {
			return fmt.Errorf("record the undo of %s: %w", l.tb.Name, err)
		}
	}
	return nil
}

// DeleteCreated deletes the rows of a step that the target created.
func (t *Tx) DeleteCreated(ctx context.Context, sh *importer.Sheet, target string) error {
	cs, _, err := changeSetOf(ctx, t.q, t.postgres, target)
	if err != nil {
		return err
	}
	l := layoutOf(sh)
	q := fmt.Sprintf(`DELETE FROM %s WHERE %s`, l.tb.Name, l.createdBy(l.tb.Name, cs))
	if _, err := t.exec(ctx, q); err != nil {
		return fmt.Errorf("undo created %s: %w", l.tb.Name, err)
	}
	return nil
}

// RevertUpdated gives the rows of a step that the target updated their
// old values. Unique values are
// parked first, as in the merge: two employees whose emails the target
// swapped swap them back.
func (t *Tx) RevertUpdated(ctx context.Context, sh *importer.Sheet, target string) error {
	cs, _, err := changeSetOf(ctx, t.q, t.postgres, target)
	if err != nil {
		return err
	}
	l := layoutOf(sh)
	updated := fmt.Sprintf(`EXISTS (SELECT 1 FROM import_changes c
		WHERE c.change_set = %d AND c.step_no = %d AND c.kind = 'updated' AND %s)`, cs, l.stepNo, l.recordMatch(l.tb.Name))
	for _, f := range l.tb.Unique {
		q := fmt.Sprintf(`UPDATE %s SET %s = CAST(? AS TEXT) || %s WHERE %s`,
			l.tb.Name, f, t.concat(l.tb.Name+".", l.tb.Key), updated)
		if _, err := t.exec(ctx, q, parkPrefix); err != nil {
			return fmt.Errorf("park %s.%s: %w", l.tb.Name, f, err)
		}
	}
	if len(l.others) == 0 {
		return nil
	}
	sets := make([]string, len(l.others))
	for i, f := range l.others {
		sets[i] = fmt.Sprintf("%s = %s", f, l.fromText(fmt.Sprintf("c.old_%d", i+1), f))
	}
	q := fmt.Sprintf(`UPDATE %s SET %s FROM import_changes c
		WHERE c.change_set = %d AND c.step_no = %d AND c.kind = 'updated' AND %s`,
		l.tb.Name, strings.Join(sets, ", "), cs, l.stepNo, l.recordMatch(l.tb.Name))
	if _, err := t.exec(ctx, q); err != nil {
		return fmt.Errorf("undo updated %s: %w", l.tb.Name, err)
	}
	return nil
}

// RestoreRemoved puts back the rows of a step that the target removed,
// as created by the undo (RecordUndo numbered its change set).
func (t *Tx) RestoreRemoved(ctx context.Context, sh *importer.Sheet, target string) error {
	cs, _, err := changeSetOf(ctx, t.q, t.postgres, target)
	if err != nil {
		return err
	}
	l := layoutOf(sh)
	vals := make([]string, len(l.tb.Fields))
	for i, f := range l.tb.Fields {
		if col, isKey := l.keyCol[f]; isKey {
			vals[i] = "c." + col
		} else {
			vals[i] = l.fromText(fmt.Sprintf("c.old_%d", l.valNo[f]), f)
		}
	}
	q := fmt.Sprintf(`INSERT INTO %s (%s, created_in) SELECT %s, %d FROM import_changes c
		WHERE c.change_set = %d AND c.step_no = %d AND c.kind = 'removed'`,
		l.tb.Name, strings.Join(l.tb.Fields, ", "), strings.Join(vals, ", "), t.changeSet, cs, l.stepNo)
	if _, err := t.exec(ctx, q); err != nil {
		return fmt.Errorf("restore removed %s: %w", l.tb.Name, err)
	}
	return nil
}

// markUndone records on the target of a succeeded undo that it was undone,
// by which import and whom, in the undo's transaction.
func (t *Tx) markUndone(ctx context.Context, undo importer.Status) error {
	rows, err := t.q.QueryContext(ctx, rebind(t.postgres, `SELECT status FROM imports WHERE id = ?`), undo.Undoes)
	if err != nil {
		return fmt.Errorf("read the undone import: %w", err)
	}
	var body string
	found := rows.Next()
	if found {
		err = rows.Scan(&body)
	}
	rows.Close()
	if err != nil {
		return err
	}
	if !found {
		return errors.New("the undone import is not recorded")
	}
	var st importer.Status
	if err := json.Unmarshal([]byte(body), &st); err != nil {
		return fmt.Errorf("read the undone import: %w", err)
	}
	st.UndoneIn, st.UndoneBy = undo.ID, undo.UploadedBy
	out, err := json.Marshal(st)
	if err != nil {
		return err
	}
	_, err = t.exec(ctx, `UPDATE imports SET status = ? WHERE id = ?`, string(out), undo.Undoes)
	return err
}
