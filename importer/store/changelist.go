package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"roster/importer"
)

// Changes returns up to perKind change records of each kind of each step
// of an import (all of them when perKind is 0), in step order, then kind
// order (created, updated, removed), then key order.
func (s *Store) Changes(ctx context.Context, id string, perKind int) ([]importer.Change, error) {
	var out []importer.Change
	for _, sh := range importer.Sheets {
		for _, kind := range importer.ChangeKinds {
			err := s.eachChange(ctx, id, sh, kind, perKind, func(c importer.Change) error {
				out = append(out, c)
				return nil
			})
			if err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// EachChange calls fn with every change record of one step of an import,
// in kind order then key order, read one at a time so that memory does
// not grow with the changes. An error from fn stops the reading and is
// returned as it is.
func (s *Store) EachChange(ctx context.Context, id string, sh *importer.Sheet, fn func(importer.Change) error) error {
	for _, kind := range importer.ChangeKinds {
		if err := s.eachChange(ctx, id, sh, kind, 0, fn); err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) eachChange(ctx context.Context, id string, sh *importer.Sheet, kind importer.ChangeKind, limit int, fn func(importer.Change) error) error {
	l := layoutOf(sh)
	cs, ok, err := changeSetOf(ctx, s.db, s.postgres, id)
	if err != nil || !ok {
		return err
	}
	var keys [3]string
	var old, nu [7]sql.NullString
	dest := []any{&keys[0], &keys[1], &keys[2]}
	// A created row is its key alone: its values are in the table.
	q := l.createdList(cs, limit)
	if kind != importer.ChangeCreated {
		for i := range old {
			dest = append(dest, &old[i])
		}
		for i := range nu {
			dest = append(dest, &nu[i])
		}
		q = fmt.Sprintf(`SELECT key_1, key_2, key_3,
			old_1, old_2, old_3, old_4, old_5, old_6, old_7,
			new_1, new_2, new_3, new_4, new_5, new_6, new_7
			FROM import_changes WHERE change_set = %d AND step_no = %d AND kind = '%s'
			ORDER BY key_1, key_2, key_3`, cs, l.stepNo, kind)
		if limit > 0 {
			q += fmt.Sprintf(" LIMIT %d", limit)
		}
	}
	rows, err := s.db.QueryContext(ctx, q)
	if err != nil {
		return fmt.Errorf("list changes: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return fmt.Errorf("list changes: %w", err)
		}
		c := importer.Change{Step: sh.Step, Kind: kind, Key: append([]string(nil), keys[:len(l.tb.Key)]...)}
		for i, f := range l.others {
			o, n := old[i], nu[i]
			if kind == importer.ChangeUpdated && o == n {
				continue
			}
			if kind == importer.ChangeCreated || kind == importer.ChangeRemoved && !o.Valid {
				continue // an empty cell
			}
			c.Columns = append(c.Columns, importer.ColumnChange{Column: sh.Column(f).Header, Old: o.String, New: n.String})
		}
		if err := fn(c); err != nil {
			return err
		}
	}
	return rows.Err()
}

// ConfirmReview records, in one transaction, that a review is confirmed
// by the import confirm, which it queues, as long as nobody confirmed it
// first (ok is false then): confirmed is the review's status with the
// link. When moveUpload, the review's upload kept in the database becomes
// the confirm's; gone is true when there was none left to move.
func (s *Store) ConfirmReview(ctx context.Context, confirmed, confirm importer.Status, moveUpload bool) (ok, gone bool, err error) {
	body, err := json.Marshal(confirmed)
	if err != nil {
		return false, false, err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return false, false, err
	}
	defer tx.Rollback()
	// A write first, so that SQLite takes its write lock before reading.
	res, err := tx.ExecContext(ctx, s.rebind(`UPDATE imports SET confirmed_in = ?, status = ?
		WHERE id = ? AND state = 'reviewed' AND confirmed_in IS NULL`), confirm.ID, string(body), confirmed.ID)
	if err != nil {
		return false, false, busy(full(err))
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return false, false, nil
	}
	if moveUpload {
		res, err := tx.ExecContext(ctx, s.rebind(`UPDATE import_uploads SET import_id = ? WHERE import_id = ?`), confirm.ID, confirmed.ID)
		if err != nil {
			return false, false, full(err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return false, true, nil
		}
	}
	if _, err := saveStatus(ctx, tx, s.postgres, confirm); err != nil {
		return false, false, err
	}
	return true, false, full(tx.Commit())
}

// busy says in the importer's words that SQLite's one writer stayed taken
// (by a big import saving its rows) for longer than the busy timeout: a
// moment later the same request succeeds.
func busy(err error) error {
	var e *sqlite.Error
	if errors.As(err, &e) && e.Code()&0xff == sqlite3.SQLITE_BUSY {
		return importer.Errorf(importer.CodeBusy, err, "Roster is busy saving another import. Nothing was changed; try again in a minute.")
	}
	return err
}
