package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"roster/importer"
)

// Snapshot is the company tables as they were at one moment: an import
// that commits while an export is written does not end up half in it.
type Snapshot struct {
	tx *sql.Tx
}

// Snapshot calls fn with a snapshot of the company tables, read in one
// read-only transaction.
func (s *Store) Snapshot(ctx context.Context, fn func(*Snapshot) error) error {
	opts := &sql.TxOptions{}
	if s.postgres {
		// SQLite's transaction reads one snapshot already (WAL).
		opts = &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true}
	}
	tx, err := s.db.BeginTx(ctx, opts)
	if err != nil {
		return fmt.Errorf("begin snapshot: %w", err)
	}
	defer tx.Rollback()
	return fn(&Snapshot{tx: tx})
}

// Each calls fn with every row of a company table, ordered by the table's
// key: one value per column of the sheet, NULL as "", numbers as their
// digits. The rows are read one at a time, so memory does not grow with
// the table. fn must not keep values: the slice is reused for the next
// row. An error from fn stops the reading and is returned as it is.
func (sn *Snapshot) Each(ctx context.Context, sh *importer.Sheet, fn func(values []string) error) error {
	tb := tableOf(sh)
	q := fmt.Sprintf("SELECT %s FROM %s ORDER BY %s",
		strings.Join(tb.Fields, ", "), tb.Name, strings.Join(tb.Key, ", "))
	rows, err := sn.tx.QueryContext(ctx, q)
	if err != nil {
		return fmt.Errorf("read %s: %w", tb.Name, err)
	}
	defer rows.Close()
	scanned := make([]sql.NullString, len(tb.Fields))
	dest := make([]any, len(tb.Fields))
	for i := range scanned {
		dest[i] = &scanned[i]
	}
	values := make([]string, len(tb.Fields))
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return fmt.Errorf("read %s: %w", tb.Name, err)
		}
		for i, v := range scanned {
			values[i] = v.String // "" when NULL
		}
		if err := fn(values); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read %s: %w", tb.Name, err)
	}
	return nil
}
