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
	now := stamp(time.Now())
	for seq := 0; ; seq++ {
		n, err := io.ReadFull(r, buf)
		if n > 0 {
			if _, err := tx.ExecContext(ctx, s.rebind(
				`INSERT INTO import_uploads (import_id, seq, data, saved_at) VALUES (?, ?, ?, ?)`), id, seq, buf[:n], now); err != nil {
				return full(fmt.Errorf("save upload: %w", err))
			}
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("read upload: %w", err)
		}
	}
	return full(tx.Commit())
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

// DeleteStaleUploads forgets the uploads nothing needs any more: those
// of imports that ended other than failed or reviewed, of failed imports
// created before keptSince, of reviews created before reviewsSince (a
// confirmed review's upload became its confirm's), and of imports the
// database does not know, once an hour old (an upload is saved before
// its import is recorded: a sweep at that moment must not take it).
func (s *Store) DeleteStaleUploads(ctx context.Context, keptSince, reviewsSince time.Time) (int64, error) {
	res, err := s.db.ExecContext(ctx, s.rebind(`
		DELETE FROM import_uploads AS u WHERE NOT EXISTS (
			SELECT 1 FROM imports i WHERE i.id = u.import_id
			AND (i.state IN ('queued', 'running')
				OR (i.state = 'failed' AND i.created_at >= ?)
				OR (i.state = 'reviewed' AND i.created_at >= ?)))
		AND (EXISTS (SELECT 1 FROM imports i WHERE i.id = u.import_id)
			OR u.saved_at IS NULL OR u.saved_at < ?)`),
		stamp(keptSince), stamp(reviewsSince), stamp(time.Now().Add(-time.Hour)))
	if err != nil {
		return 0, fmt.Errorf("delete stale uploads: %w", err)
	}
	return res.RowsAffected()
}

// DeleteUpload forgets a kept upload.
func (s *Store) DeleteUpload(ctx context.Context, id string) error {
	_, err := s.db.ExecContext(ctx, s.rebind(`DELETE FROM import_uploads WHERE import_id = ?`), id)
	return err
}

// stamp writes a time as the database keeps it: UTC with nine digits of
// fraction, so that the text sorts as the time does.
func stamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000000Z") }

// dbNow is the database's clock as stamp writes a time: heartbeats and
// the sweeps that judge them read one clock, whatever the instances'
// clocks say.
const dbNow = `to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"000Z"')`

// queueLock is the PostgreSQL advisory lock, held for a claim's
// transaction only, that keeps two instances from claiming at once.
const queueLock = 0x526f73746572 // "Roster"

// Claim makes owner the runner of the oldest queued import and returns
// it, unless an import is running already: one import at a time across
// every instance. ok is false when none was claimed. The claim holds no
// lock afterwards: the running import is the lock, and a sweep frees it
// when its instance stops showing signs of life.
func (s *Store) Claim(ctx context.Context, owner string) (st importer.Status, ok bool, err error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return importer.Status{}, false, err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, queueLock); err != nil {
		return importer.Status{}, false, fmt.Errorf("claim an import: %w", err)
	}
	var running int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM imports WHERE state = 'running'`).Scan(&running); err != nil {
		return importer.Status{}, false, fmt.Errorf("claim an import: %w", err)
	}
	if running > 0 {
		return importer.Status{}, false, nil
	}
	q := `UPDATE imports SET state = 'running', owner = $1, heartbeat_at = ` + dbNow + `
		WHERE id = (SELECT id FROM imports WHERE state = 'queued' ORDER BY created_at LIMIT 1)
		RETURNING ` + statusColumns
	st, err = scanStatus(tx.QueryRowContext(ctx, q, owner))
	if errors.Is(err, sql.ErrNoRows) {
		return importer.Status{}, false, nil
	}
	if err != nil {
		return importer.Status{}, false, fmt.Errorf("claim an import: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return importer.Status{}, false, fmt.Errorf("claim an import: %w", err)
	}
	return st, true, nil
}

// Beat records that owner is alive and running the import, with its
// latest status. stop says that the import must stop: someone asked to
// cancel it, or it is no longer this owner's to run (another instance
// declared it interrupted while this one was out of touch). by is who
// asked to cancel it, if anyone did.
func (s *Store) Beat(ctx context.Context, st importer.Status, owner string) (stop bool, by string, err error) {
	body, err := json.Marshal(st)
	if err != nil {
		return false, "", err
	}
	var asked int
	err = s.db.QueryRowContext(ctx, `
		UPDATE imports SET heartbeat_at = `+dbNow+`, status = $1
		WHERE id = $2 AND owner = $3 AND state = 'running'
		RETURNING cancel_requested, cancel_requested_by`, string(body), st.ID, owner).Scan(&asked, &by)
	if errors.Is(err, sql.ErrNoRows) {
		return true, "", nil
	}
	if err != nil {
		return false, "", fmt.Errorf("heartbeat of import %s: %w", st.ID, err)
	}
	return asked != 0, by, nil
}

// RequestCancel asks the instance that runs an import to cancel it, on
// behalf of by.
func (s *Store) RequestCancel(ctx context.Context, id, by string) error {
	_, err := s.db.ExecContext(ctx, s.rebind(
		`UPDATE imports SET cancel_requested = 1, cancel_requested_by = ? WHERE id = ? AND state IN ('queued', 'running')`), by, id)
	return err
}

// Stale returns the running imports whose owner has shown no sign of life
// for the given time, by the database's clock.
func (s *Store) Stale(ctx context.Context, silent time.Duration) ([]importer.Status, error) {
	return s.queryStatuses(ctx, "find stale imports", `SELECT `+statusColumns+` FROM imports
		WHERE state = 'running' AND (heartbeat_at IS NULL OR heartbeat_at <
			to_char((clock_timestamp() - make_interval(secs => ?)) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"000Z"'))`,
		silent.Seconds())
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
