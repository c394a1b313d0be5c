package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"roster/importer"
)

// What several instances on one PostgreSQL database need to share the
// imports: the uploads, who runs what, signs of life, cancels asked of
// another instance, and one lock so that one import runs at a time.

// uploadChunk is how much of an upload one row holds.
const uploadChunk = 1 << 20

// SaveUpload keeps an upload in the database, in chunks, so any instance
// can run the import or make its problems workbook.
func (s *Store) SaveUpload(ctx context.Context, id string, r io.Reader) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	buf := make([]byte, uploadChunk)
	for seq := 0; ; seq++ {
		n, err := io.ReadFull(r, buf)
		if n > 0 {
			if _, err := tx.ExecContext(ctx, s.rebind(
				`INSERT INTO import_uploads (import_id, seq, data) VALUES (?, ?, ?)`), id, seq, buf[:n]); err != nil {
				return fmt.Errorf("save upload: %w", err)
			}
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("read upload: %w", err)
		}
	}
	return tx.Commit()
}

// CopyUpload writes a kept upload to w, chunk by chunk; importer.ErrNotFound when
// there is none.
func (s *Store) CopyUpload(ctx context.Context, id string, w io.Writer) error {
	rows, err := s.db.QueryContext(ctx, s.rebind(
		`SELECT data FROM import_uploads WHERE import_id = ? ORDER BY seq`), id)
	if err != nil {
		return fmt.Errorf("read upload: %w", err)
	}
	defer rows.Close()
	found := false
	var data []byte
	for rows.Next() {
		found = true
		if err := rows.Scan(&data); err != nil {
			return err
		}
		if _, err := w.Write(data); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if !found {
		return importer.ErrNotFound
	}
	return nil
}

// DeleteUpload forgets a kept upload.
func (s *Store) DeleteUpload(ctx context.Context, id string) error {
	_, err := s.db.ExecContext(ctx, s.rebind(`DELETE FROM import_uploads WHERE import_id = ?`), id)
	return err
}

// stamp writes a time as the database keeps it: UTC with nine digits of
// fraction, so that the text sorts as the time does.
func stamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000000Z") }

// Claim makes owner the runner of the oldest queued import and returns
// it; ok is false when none is queued. Instances that claim at once get
// different imports.
func (s *Store) Claim(ctx context.Context, owner string, now time.Time) (st importer.Status, ok bool, err error) {
	q := `UPDATE imports SET state = 'running', owner = ?, heartbeat_at = ?
		WHERE id = (SELECT id FROM imports WHERE state = 'queued' ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED)
		RETURNING ` + statusColumns
	st, err = scanStatus(s.db.QueryRowContext(ctx, s.rebind(q), owner, stamp(now)))
	if errors.Is(err, sql.ErrNoRows) {
		return importer.Status{}, false, nil
	}
	if err != nil {
		return importer.Status{}, false, fmt.Errorf("claim an import: %w", err)
	}
	return st, true, nil
}

// Beat records that owner is alive and running the import, with its
// latest status, and says whether someone asked to cancel it.
func (s *Store) Beat(ctx context.Context, st importer.Status, owner string, now time.Time) (cancel bool, err error) {
	body, err := json.Marshal(st)
	if err != nil {
		return false, err
	}
	var asked int
	err = s.db.QueryRowContext(ctx, s.rebind(`
		UPDATE imports SET heartbeat_at = ?, status = ? WHERE id = ? AND owner = ?
		RETURNING cancel_requested`), stamp(now), string(body), st.ID, owner).Scan(&asked)
	if err != nil {
		return false, fmt.Errorf("heartbeat of import %s: %w", st.ID, err)
	}
	return asked != 0, nil
}

// RequestCancel asks the instance that runs an import to cancel it.
func (s *Store) RequestCancel(ctx context.Context, id string) error {
	_, err := s.db.ExecContext(ctx, s.rebind(
		`UPDATE imports SET cancel_requested = 1 WHERE id = ? AND state IN ('queued', 'running')`), id)
	return err
}

// Stale returns the running imports whose owner has shown no sign of life
// since before.
func (s *Store) Stale(ctx context.Context, before time.Time) ([]importer.Status, error) {
	return s.queryStatuses(ctx, "find stale imports", `SELECT `+statusColumns+` FROM imports
		WHERE state = 'running' AND (heartbeat_at IS NULL OR heartbeat_at < ?)`, stamp(before))
}

// Ahead counts the imports queued or running that were created before
// the given time.
func (s *Store) Ahead(ctx context.Context, created time.Time) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, s.rebind(`
		SELECT COUNT(*) FROM imports WHERE state IN ('queued', 'running') AND created_at < ?`),
		stamp(created)).Scan(&n)
	return n, err
}

// importLock is the PostgreSQL advisory lock that lets one import run at a
// time across every instance on the database.
const importLock = 0x526f73746572 // "Roster"

// TryLock takes the database's import lock if it is free. The lock lives
// with a connection of its own: if the process dies, PostgreSQL drops the
// connection and the lock with it. unlock gives it back.
func (s *Store) TryLock(ctx context.Context) (unlock func(), ok bool, err error) {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return nil, false, err
	}
	if err := conn.QueryRowContext(ctx, `SELECT pg_try_advisory_lock($1)`, importLock).Scan(&ok); err != nil || !ok {
		conn.Close()
		return nil, false, err
	}
	return func() {
		conn.ExecContext(context.Background(), `SELECT pg_advisory_unlock($1)`, importLock)
		conn.Close()
	}, true, nil
}
