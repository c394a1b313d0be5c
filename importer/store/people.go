package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"roster/access"
)

// People, sessions, API tokens and failed sign-ins (access.Store). The
// secrets arrive hashed; this file never sees one.

// usedEvery is how stale a session's or token's last use may be before
// it is written again: a write on every request would queue behind an
// import that holds SQLite's one writer, and the 12-hour idle limit does
// not need the second.
const usedEvery = time.Minute

// AddUser adds a user; access.ErrUserExists when the name is taken.
func (s *Store) AddUser(ctx context.Context, u access.User, passwordHash string, at time.Time) error {
	res, err := s.db.ExecContext(ctx, s.rebind(`
		INSERT INTO users (name, role, password_hash, created_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (name) DO NOTHING`), u.Name, string(u.Role), passwordHash, stamp(at))
	if err != nil {
		return fmt.Errorf("add user: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return access.ErrUserExists
	}
	return nil
}

// AddFirstAdmin adds an administrator only while there is none.
func (s *Store) AddFirstAdmin(ctx context.Context, name, passwordHash string, at time.Time) (bool, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer tx.Rollback()
	if s.postgres {
		// Two setups at once on two instances: one waits for the other.
		if _, err := tx.ExecContext(ctx, `LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE`); err != nil {
			return false, err
		}
	}
	res, err := tx.ExecContext(ctx, s.rebind(`
		INSERT INTO users (name, role, password_hash, created_at)
		SELECT ?, 'admin', ?, ? WHERE NOT EXISTS (SELECT 1 FROM users WHERE role = 'admin')
		ON CONFLICT (name) DO UPDATE SET role = 'admin', password_hash = excluded.password_hash`),
		name, passwordHash, stamp(at))
	if err != nil {
		return false, fmt.Errorf("add the first administrator: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, tx.Commit()
}

// PasswordHash returns a user with the hash of their password;
// access.ErrNoUser when nobody has the name.
func (s *Store) PasswordHash(ctx context.Context, name string) (access.User, string, error) {
	var u access.User
	var role, hash string
	err := s.db.QueryRowContext(ctx, s.rebind(
		`SELECT name, role, password_hash FROM users WHERE name = ?`), name).Scan(&u.Name, &role, &hash)
	if errors.Is(err, sql.ErrNoRows) {
		return access.User{}, "", access.ErrNoUser
	}
	if err != nil {
		return access.User{}, "", fmt.Errorf("find user: %w", err)
	}
	u.Role = access.Role(role)
	return u, hash, nil
}

// Users lists every user by name.
func (s *Store) Users(ctx context.Context) ([]access.User, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT name, role FROM users ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	defer rows.Close()
	var out []access.User
	for rows.Next() {
		var u access.User
		var role string
		if err := rows.Scan(&u.Name, &role); err != nil {
			return nil, err
		}
		u.Role = access.Role(role)
		out = append(out, u)
	}
	return out, rows.Err()
}

// HasAdmin reports whether any user is an administrator.
func (s *Store) HasAdmin(ctx context.Context) (bool, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM users WHERE role = 'admin'`).Scan(&n)
	return n > 0, err
}

// PeopleVersion is a number that moves whenever somebody may have lost
// access: a session or token ended, a user removed, a role changed
// (migration 005's triggers move it).
func (s *Store) PeopleVersion(ctx context.Context) (int64, error) {
	var v int64
	err := s.db.QueryRowContext(ctx, `SELECT version FROM people_version`).Scan(&v)
	return v, err
}

// changeUser runs change on a user in a transaction that first makes sure
// the user exists and that the change leaves an administrator: an admin
// losing the role (keepsAdmin false) must not be the last one.
func (s *Store) changeUser(ctx context.Context, name string, keepsAdmin bool, change func(tx *sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if s.postgres {
		if _, err := tx.ExecContext(ctx, `LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE`); err != nil {
			return err
		}
	}
	var role string
	err = tx.QueryRowContext(ctx, s.rebind(`SELECT role FROM users WHERE name = ?`), name).Scan(&role)
	if errors.Is(err, sql.ErrNoRows) {
		return access.ErrNoUser
	}
	if err != nil {
		return err
	}
	if role == string(access.Admin) && !keepsAdmin {
		var admins int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM users WHERE role = 'admin'`).Scan(&admins); err != nil {
			return err
		}
		if admins <= 1 {
			return access.ErrLastAdmin
		}
	}
	if err := change(tx); err != nil {
		return err
	}
	return tx.Commit()
}

// SetRole changes a user's role; it takes effect at the user's next
// request, since sessions are read with their user's role.
func (s *Store) SetRole(ctx context.Context, name string, role access.Role) error {
	return s.changeUser(ctx, name, role == access.Admin, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, s.rebind(`UPDATE users SET role = ? WHERE name = ?`), string(role), name)
		return err
	})
}

// SetPassword replaces a user's password hash.
func (s *Store) SetPassword(ctx context.Context, name, passwordHash string) error {
	return s.changeUser(ctx, name, true, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, s.rebind(`UPDATE users SET password_hash = ? WHERE name = ?`), passwordHash, name)
		return err
	})
}

// RemoveUser removes a user with their sessions and tokens.
func (s *Store) RemoveUser(ctx context.Context, name string) error {
	return s.changeUser(ctx, name, false, func(tx *sql.Tx) error {
		for _, q := range []string{
			`DELETE FROM sessions WHERE user_name = ?`,
			`DELETE FROM api_tokens WHERE user_name = ?`,
			`DELETE FROM users WHERE name = ?`,
		} {
			if _, err := tx.ExecContext(ctx, s.rebind(q), name); err != nil {
				return err
			}
		}
		return nil
	})
}

// AddSession records a new session of a user.
func (s *Store) AddSession(ctx context.Context, hash, name string, at time.Time) error {
	_, err := s.db.ExecContext(ctx, s.rebind(`
		INSERT INTO sessions (id_hash, user_name, created_at, last_used_at) VALUES (?, ?, ?, ?)`),
		hash, name, stamp(at), stamp(at))
	if err != nil {
		return fmt.Errorf("start session: %w", err)
	}
	// Sessions idle past the limit are of no use: forget them now and then.
	_, err = s.db.ExecContext(ctx, s.rebind(`DELETE FROM sessions WHERE last_used_at < ?`), stamp(at.Add(-access.IdleLimit)))
	return err
}

// SessionUser returns the user of a session used since idleSince.
func (s *Store) SessionUser(ctx context.Context, hash string, idleSince, now time.Time) (access.User, error) {
	return s.userOf(ctx, `SELECT u.name, u.role, s.last_used_at FROM sessions s JOIN users u ON u.name = s.user_name
		WHERE s.id_hash = ? AND s.last_used_at >= ?`, `UPDATE sessions SET last_used_at = ? WHERE id_hash = ?`,
		hash, now, stamp(idleSince))
}

// TokenUser returns the user an API token acts as.
func (s *Store) TokenUser(ctx context.Context, hash string, now time.Time) (access.User, error) {
	return s.userOf(ctx, `SELECT u.name, u.role, t.last_used_at FROM api_tokens t JOIN users u ON u.name = t.user_name
		WHERE t.hash = ?`, `UPDATE api_tokens SET last_used_at = ? WHERE hash = ?`, hash, now)
}

// userOf finds the user of a session or token by its hash, and marks it
// used when it was last marked more than usedEvery ago. The mark is
// written on the side, so that no request waits for a database writer.
func (s *Store) userOf(ctx context.Context, query, touch, hash string, now time.Time, args ...any) (access.User, error) {
	var u access.User
	var role, used string
	err := s.db.QueryRowContext(ctx, s.rebind(query), append([]any{hash}, args...)...).Scan(&u.Name, &role, &used)
	if errors.Is(err, sql.ErrNoRows) {
		return access.User{}, access.ErrNotSignedIn
	}
	if err != nil {
		return access.User{}, fmt.Errorf("find session: %w", err)
	}
	u.Role = access.Role(role)
	if last, _ := time.Parse(time.RFC3339Nano, used); now.Sub(last) > usedEvery {
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			s.db.ExecContext(ctx, s.rebind(touch), stamp(now), hash) // only a mark: a lost one costs nothing
		}()
	}
	return u, nil
}

// RemoveSession ends a session.
func (s *Store) RemoveSession(ctx context.Context, hash string) error {
	_, err := s.db.ExecContext(ctx, s.rebind(`DELETE FROM sessions WHERE id_hash = ?`), hash)
	return err
}

// AddToken records a user's new API token.
func (s *Store) AddToken(ctx context.Context, id, hash, name, label string, at time.Time) error {
	_, err := s.db.ExecContext(ctx, s.rebind(`
		INSERT INTO api_tokens (id, hash, user_name, label, created_at) VALUES (?, ?, ?, ?, ?)`),
		id, hash, name, label, stamp(at))
	if err != nil {
		return fmt.Errorf("add token: %w", err)
	}
	return nil
}

// Tokens lists a user's API tokens, newest first.
func (s *Store) Tokens(ctx context.Context, name string) ([]access.Token, error) {
	rows, err := s.db.QueryContext(ctx, s.rebind(
		`SELECT id, label, created_at, last_used_at FROM api_tokens WHERE user_name = ? ORDER BY created_at DESC`), name)
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	defer rows.Close()
	var out []access.Token
	for rows.Next() {
		var t access.Token
		var created, used string
		if err := rows.Scan(&t.ID, &t.Label, &created, &used); err != nil {
			return nil, err
		}
		t.Created, _ = time.Parse(time.RFC3339Nano, created)
		t.LastUsed, _ = time.Parse(time.RFC3339Nano, used)
		out = append(out, t)
	}
	return out, rows.Err()
}

// RevokeToken removes one of a user's tokens.
func (s *Store) RevokeToken(ctx context.Context, name, id string) error {
	res, err := s.db.ExecContext(ctx, s.rebind(`DELETE FROM api_tokens WHERE id = ? AND user_name = ?`), id, name)
	if err != nil {
		return fmt.Errorf("revoke token: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return access.ErrNoToken
	}
	return nil
}

// Failures returns the failed sign-ins in a row for a name and when the
// last was.
func (s *Store) Failures(ctx context.Context, name string) (int, time.Time, error) {
	var n int
	var last string
	err := s.db.QueryRowContext(ctx, s.rebind(
		`SELECT failures, last_at FROM sign_in_failures WHERE name = ?`), name).Scan(&n, &last)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, time.Time{}, nil
	}
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("count failed sign-ins: %w", err)
	}
	at, _ := time.Parse(time.RFC3339Nano, last)
	return n, at, nil
}

// AddFailure counts one more failed sign-in for a name. Names whose last
// failure is older than any lock are forgotten on the way, so guesses at
// names nobody has do not pile up.
func (s *Store) AddFailure(ctx context.Context, name string, at time.Time) error {
	_, err := s.db.ExecContext(ctx, s.rebind(`
		INSERT INTO sign_in_failures (name, failures, last_at) VALUES (?, 1, ?)
		ON CONFLICT (name) DO UPDATE SET failures = sign_in_failures.failures + 1, last_at = excluded.last_at`),
		name, stamp(at))
	if err != nil {
		return fmt.Errorf("count a failed sign-in: %w", err)
	}
	_, err = s.db.ExecContext(ctx, s.rebind(`DELETE FROM sign_in_failures WHERE last_at < ?`),
		stamp(at.Add(-2*access.DefaultLockout.Max)))
	return err
}

// ClearFailures forgets the failed sign-ins of a name that signed in.
func (s *Store) ClearFailures(ctx context.Context, name string) error {
	_, err := s.db.ExecContext(ctx, s.rebind(`DELETE FROM sign_in_failures WHERE name = ?`), name)
	return err
}

var _ access.Store = (*Store)(nil)
