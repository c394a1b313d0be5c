package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"roster/importer"
)

// The record of every import: its state (a column, so that queries can
// choose by it and a change can be made only from a given state) and its
// latest status as JSON, which the store keeps whole.

// SaveStatus records the status of an import, unless the import has
// already ended: an ended import never changes again (interrupted means
// nothing was written, and stays so; a cancelled import cannot be brought
// back by a late save). ok says whether it was recorded.
func (s *Store) SaveStatus(ctx context.Context, st importer.Status) (ok bool, err error) {
	return saveStatus(ctx, s.db, s.postgres, st)
}

// execer runs a statement: the database, or a transaction.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

func saveStatus(ctx context.Context, db execer, postgres bool, st importer.Status) (bool, error) {
	body, err := json.Marshal(st)
	if err != nil {
		return false, err
	}
	res, err := db.ExecContext(ctx, rebind(postgres, `
		INSERT INTO imports (id, file_name, state, created_at, status) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET state = excluded.state, status = excluded.status
		WHERE imports.state IN ('queued', 'running')`),
		st.ID, st.FileName, string(st.State), stamp(st.Created), string(body))
	if err != nil {
		return false, full(fmt.Errorf("save import %s: %w", st.ID, err))
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// SaveEnd records how an import ended, with its problems, in one
// transaction, unless the import had already ended (ok is then false).
// Saving again after a failure is safe: nothing of a failed try remains.
func (s *Store) SaveEnd(ctx context.Context, st importer.Status, problems []importer.Problem) (ok bool, err error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer tx.Rollback()
	if ok, err = saveStatus(ctx, tx, s.postgres, st); err != nil || !ok {
		return ok, err
	}
	if err := addProblems(ctx, tx, s.postgres, st.ID, problems); err != nil {
		return false, full(err)
	}
	return true, full(tx.Commit())
}

// SaveStatusIf replaces the status of an import only while it is still
// in state from; ok says whether it was.
func (s *Store) SaveStatusIf(ctx context.Context, st importer.Status, from importer.State) (ok bool, err error) {
	body, err := json.Marshal(st)
	if err != nil {
		return false, err
	}
	res, err := s.db.ExecContext(ctx, s.rebind(
		`UPDATE imports SET state = ?, status = ? WHERE id = ? AND state = ?`),
		string(st.State), string(body), st.ID, string(from))
	if err != nil {
		return false, fmt.Errorf("save import %s: %w", st.ID, err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// Status returns the saved status of an import, or importer.ErrNotFound.
func (s *Store) Status(ctx context.Context, id string) (importer.Status, error) {
	row := s.db.QueryRowContext(ctx, s.rebind(
		`SELECT `+statusColumns+` FROM imports WHERE id = ?`), id)
	st, err := scanStatus(row)
	if errors.Is(err, sql.ErrNoRows) {
		return importer.Status{}, importer.ErrNotFound
	}
	return st, err
}

// Statuses returns the latest imports, newest first.
func (s *Store) Statuses(ctx context.Context, limit int) ([]importer.Status, error) {
	return s.queryStatuses(ctx, "list imports",
		`SELECT `+statusColumns+` FROM imports ORDER BY created_at DESC LIMIT ?`, limit)
}

// StatusesIn returns the imports in one of the states, oldest first.
func (s *Store) StatusesIn(ctx context.Context, states ...importer.State) ([]importer.Status, error) {
	marks := strings.TrimSuffix(strings.Repeat("?, ", len(states)), ", ")
	args := make([]any, len(states))
	for i, st := range states {
		args[i] = string(st)
	}
	return s.queryStatuses(ctx, "find imports by state",
		`SELECT `+statusColumns+` FROM imports WHERE state IN (`+marks+`) ORDER BY created_at`, args...)
}

// statusColumns are the columns scanStatus reads, in its order.
const statusColumns = "id, file_name, state, created_at, status"

// queryStatuses runs a query of statusColumns and reads every record.
func (s *Store) queryStatuses(ctx context.Context, what, query string, args ...any) ([]importer.Status, error) {
	rows, err := s.db.QueryContext(ctx, s.rebind(query), args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	defer rows.Close()
	var out []importer.Status
	for rows.Next() {
		st, err := scanStatus(rows)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		out = append(out, st)
	}
	return out, rows.Err()
}

type scanner interface{ Scan(...any) error }

// scanStatus reads one record. The columns are the truth where the JSON
// may lag behind (a state set by SaveStatusIf from another instance), and
// a status that cannot be read still shows the import with its steps.
func scanStatus(row scanner) (importer.Status, error) {
	var id, fileName, state, created, body string
	if err := row.Scan(&id, &fileName, &state, &created, &body); err != nil {
		return importer.Status{}, err
	}
	at, _ := time.Parse(time.RFC3339Nano, created)
	var st importer.Status
	if err := json.Unmarshal([]byte(body), &st); err != nil || len(st.Steps) == 0 {
		st = importer.NewStatus(id, fileName, at)
	}
	st.ID, st.FileName, st.State, st.Created = id, fileName, importer.State(state), at
	return st, nil
}

// addProblems keeps the problems of an import, numbered in order.
func addProblems(ctx context.Context, tx *sql.Tx, postgres bool, id string, problems []importer.Problem) error {
	const batch = 500
	for start := 0; start < len(problems); start += batch {
		end := min(start+batch, len(problems))
		var q strings.Builder
		q.WriteString(`INSERT INTO import_problems (import_id, seq, sheet, row_no, col, value, message) VALUES `)
		args := make([]any, 0, (end-start)*7)
		for i := start; i < end; i++ {
			if i > start {
				q.WriteString(", ")
			}
			q.WriteString("(?, ?, ?, ?, ?, ?, ?)")
			p := problems[i]
			args = append(args, id, i, p.Sheet, p.Row, p.Column, p.Value, p.Message)
		}
		if _, err := tx.ExecContext(ctx, rebind(postgres, q.String()), args...); err != nil {
			return fmt.Errorf("save problems: %w", err)
		}
	}
	return nil
}

// Problems returns the first perSheet problems of each sheet of an import
// (all of them when perSheet is 0), in order, and how many there are in
// all.
func (s *Store) Problems(ctx context.Context, id string, perSheet int) ([]importer.Problem, int, error) {
	var total int
	if err := s.db.QueryRowContext(ctx, s.rebind(
		`SELECT COUNT(*) FROM import_problems WHERE import_id = ?`), id).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count problems: %w", err)
	}
	if perSheet <= 0 {
		perSheet = total
	}
	rows, err := s.db.QueryContext(ctx, s.rebind(`
		SELECT sheet, row_no, col, value, message FROM (
			SELECT p.*, ROW_NUMBER() OVER (PARTITION BY sheet ORDER BY seq) AS nth
			FROM import_problems p WHERE import_id = ?
		) numbered
		WHERE nth <= ? ORDER BY seq`), id, perSheet)
	if err != nil {
		return nil, 0, fmt.Errorf("list problems: %w", err)
	}
	defer rows.Close()
	var out []importer.Problem
	for rows.Next() {
		var p importer.Problem
		if err := rows.Scan(&p.Sheet, &p.Row, &p.Column, &p.Value, &p.Message); err != nil {
			return nil, 0, err
		}
		out = append(out, p)
	}
	return out, total, rows.Err()
}
