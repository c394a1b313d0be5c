package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Import is the record of one upload. Status is the importer's snapshot,
// kept as JSON: the store does not look inside it.
type Import struct {
	ID       string
	FileName string
	State    string
	Created  time.Time
	Status   []byte
}

// Problem is one problem of an import, as kept.
type Problem struct {
	Sheet   string
	Row     int
	Column  string
	Value   string
	Message string
}

// SaveImport creates or replaces the record of an import.
func (s *Store) SaveImport(ctx context.Context, im Import) error {
	_, err := s.db.ExecContext(ctx, s.rebind(`
		INSERT INTO imports (id, file_name, state, created_at, status) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET state = excluded.state, status = excluded.status`),
		im.ID, im.FileName, im.State, stamp(im.Created), string(im.Status))
	if err != nil {
		return fmt.Errorf("save import %s: %w", im.ID, err)
	}
	return nil
}

// Import returns the record of an import, or ErrNotFound.
func (s *Store) Import(ctx context.Context, id string) (Import, error) {
	row := s.db.QueryRowContext(ctx, s.rebind(
		`SELECT `+importColumns+` FROM imports WHERE id = ?`), id)
	im, err := scanImport(row)
	if errors.Is(err, sql.ErrNoRows) {
		return Import{}, ErrNotFound
	}
	return im, err
}

// Imports returns the records of the latest imports, newest first.
func (s *Store) Imports(ctx context.Context, limit int) ([]Import, error) {
	return s.queryImports(ctx, "list imports",
		`SELECT `+importColumns+` FROM imports ORDER BY created_at DESC LIMIT ?`, limit)
}

// ImportsInState returns the imports in one of the states, oldest first.
func (s *Store) ImportsInState(ctx context.Context, states ...string) ([]Import, error) {
	marks := strings.TrimSuffix(strings.Repeat("?, ", len(states)), ", ")
	args := make([]any, len(states))
	for i, st := range states {
		args[i] = st
	}
	return s.queryImports(ctx, "find imports by state",
		`SELECT `+importColumns+` FROM imports WHERE state IN (`+marks+`) ORDER BY created_at`, args...)
}

// importColumns are the columns scanImport reads, in its order.
const importColumns = "id, file_name, state, created_at, status"

// queryImports runs a query of importColumns and reads every record.
func (s *Store) queryImports(ctx context.Context, what, query string, args ...any) ([]Import, error) {
	rows, err := s.db.QueryContext(ctx, s.rebind(query), args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	defer rows.Close()
	var out []Import
	for rows.Next() {
		im, err := scanImport(rows)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		out = append(out, im)
	}
	return out, rows.Err()
}

type scanner interface{ Scan(...any) error }

func scanImport(row scanner) (Import, error) {
	var im Import
	var created, status string
	if err := row.Scan(&im.ID, &im.FileName, &im.State, &created, &status); err != nil {
		return Import{}, err
	}
	im.Created, _ = time.Parse(time.RFC3339Nano, created)
	im.Status = []byte(status)
	return im, nil
}

// AddProblems keeps the problems of an import, numbered in order.
func (s *Store) AddProblems(ctx context.Context, id string, problems []Problem) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	const batch = 500
	for start := 0; start < len(problems); start += batch {
		end := min(start+batch, len(problems))
		q := `INSERT INTO import_problems (import_id, seq, sheet, row_no, col, value, message) VALUES `
		args := make([]any, 0, (end-start)*7)
		for i := start; i < end; i++ {
			if i > start {
				q += ", "
			}
			q += "(?, ?, ?, ?, ?, ?, ?)"
			p := problems[i]
			args = append(args, id, i, p.Sheet, p.Row, p.Column, p.Value, p.Message)
		}
		if _, err := tx.ExecContext(ctx, s.rebind(q), args...); err != nil {
			return fmt.Errorf("save problems: %w", err)
		}
	}
	return tx.Commit()
}

// Problems returns the first perSheet problems of each sheet of an import
// (all of them when perSheet is 0), in order, and how many there are in
// all.
func (s *Store) Problems(ctx context.Context, id string, perSheet int) ([]Problem, int, error) {
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
	var out []Problem
	for rows.Next() {
		var p Problem
		if err := rows.Scan(&p.Sheet, &p.Row, &p.Column, &p.Value, &p.Message); err != nil {
			return nil, 0, err
		}
		out = append(out, p)
	}
	return out, total, rows.Err()
}
