// Package store keeps Roster's data in SQLite or PostgreSQL: the company
// tables the importer fills, and the record of every import. The SQL is
// plain and shared by both databases where it can be.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"

	"roster/importer"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/database"
	"modernc.org/sqlite" // registers the "sqlite" driver; its errors tell a busy database
	sqlite3 "modernc.org/sqlite/lib"
)

// One directory of migrations per database, each plain SQL for its
// database, numbered alike: 001_init.sql in both is version 1.
//
//go:embed migrations/sqlite/*.sql migrations/postgres/*.sql
var migrations embed.FS

// Store is an open database.
type Store struct {
	db        *sql.DB
	postgres  bool
	releasing sync.WaitGroup // SQLite connections an import is giving back (Tx.release)
}

// PostgresConnections is how many connections an instance opens to
// PostgreSQL at most, besides one that listens for the other instances'
// notices: four instances stay within PostgreSQL's default of 100.
const PostgresConnections = 20

// Open opens the database named by dsn and brings its schema up to date.
// A dsn starting with postgres:// or postgresql:// is a PostgreSQL URL;
// anything else is the path of a SQLite file, created with its directory
// when missing.
func Open(ctx context.Context, dsn string) (*Store, error) {
	s := &Store{}
	var err error
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		s.postgres = true
		if s.db, err = sql.Open("pgx", dsn); err == nil {
			// PostgreSQL refuses connections past its max_connections
			// (100 by default), shared by every instance: a crowd of
			// requests waits its turn for one of a few connections
			// instead of being refused.
			s.db.SetMaxOpenConns(PostgresConnections)
			s.db.SetMaxIdleConns(PostgresConnections)
		}
	} else {
		if dir := filepath.Dir(dsn); dir != "." {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return nil, fmt.Errorf("create database directory: %w", err)
			}
		}
		// The busy timeout makes a second writer wait instead of failing
		// at once. Temporary tables stay on disk so a big import's
		// staging does not grow the heap. Pages of 16 KiB (for a new
		// file; one made before keeps its 4 KiB) write a big import in a
		// quarter of the system calls. The journal mode is not set
		// here, on every new connection, but once under the migrations'
		// lock (see migrate).
		s.db, err = sql.Open("sqlite", "file:"+dsn+
			"?_pragma=busy_timeout(10000)"+
			"&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(ON)&_pragma=temp_store(FILE)"+
			"&_pragma=page_size(16384)")
	}
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	if err := s.db.PingContext(ctx); err != nil {
		s.db.Close()
		return nil, fmt.Errorf("connect to database: %w", err)
	}
	if err := s.migrate(ctx, dsn); err != nil {
		s.db.Close()
		return nil, err
	}
	return s, nil
}

// Close closes the database, once the imports' connections are back.
func (s *Store) Close() error {
	s.releasing.Wait()
	return s.db.Close()
}

// Ping reports whether the database answers.
func (s *Store) Ping(ctx context.Context) error { return s.db.PingContext(ctx) }

// Postgres reports whether the store is PostgreSQL.
func (s *Store) Postgres() bool { return s.postgres }

// migrate brings the schema up to date: goose applies, in order and each
// in its own transaction, the embedded migrations of the database's
// dialect that are not yet recorded in its table, goose_db_version.
//
// Everything happens under one lock for the database (see lockMigrations),
// so that instances starting at once on a new database apply each
// migration once, one after the other, instead of racing to create the
// same tables. goose's own session locker is not used because its Up
// looks for pending migrations and creates its table before it takes the
// lock, and because a database of an earlier release must be adopted
// (adoptLegacy) before goose looks at it at all.
func (s *Store) migrate(ctx context.Context, dsn string) error {
	dialect, dir := goose.DialectSQLite3, "migrations/sqlite"
	if s.postgres {
		dialect, dir = goose.DialectPostgres, "migrations/postgres"
	}
	fsys, err := fs.Sub(migrations, dir)
	if err != nil {
		return err
	}
	// Only the SQL files: no Go migration registered anywhere else in the
	// program can slip in.
	provider, err := goose.NewProvider(dialect, s.db, fsys, goose.WithDisableGlobalRegistry(true))
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	unlock, err := s.lockMigrations(ctx, dsn)
	if err != nil {
		return fmt.Errorf("lock the database for its migrations: %w", err)
	}
	defer unlock()
	if !s.postgres {
		// WAL lets the pages read while an import writes. The mode is
		// kept in the database file, so setting it once is enough; it is
		// set under the lock because switching a new database to WAL
		// needs it to itself, and SQLite answers "database is locked" at
		// once, without waiting, to a second connection switching it at
		// the same moment (instances starting together on a new file).
		if _, err := s.db.ExecContext(ctx, `PRAGMA journal_mode = WAL`); err != nil {
			return fmt.Errorf("set the journal mode: %w", err)
		}
	}
	if err := s.adoptLegacy(ctx, dialect, provider.ListSources()); err != nil {
		return fmt.Errorf("adopt the migrations of an earlier release: %w", err)
	}
	if _, err := provider.Up(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}

// lockMigrations waits until no other instance migrates the database and
// keeps the others waiting until unlock is called. The lock goes with the
// process if it dies, so a crash never leaves the database locked.
//
// PostgreSQL: a transaction-level advisory lock, held by a transaction
// that does nothing else and is rolled back to unlock; a broken connection
// ends the transaction and frees the lock. Its key is the schema the
// migrations go to, so databases in other schemas of one server (tests,
// other deployments) do not wait for each other.
//
// SQLite has no lock that leaves the database itself writable for the
// migrations, so the lock is an exclusive transaction on a small file of
// its own beside the database (PATH-migrate.lock), which SQLite locks
// across processes as it does any database. The file is left in place:
// removing a lock file while another process waits on it would let two
// hold "the" lock.
func (s *Store) lockMigrations(ctx context.Context, dsn string) (unlock func(), err error) {
	if s.postgres {
		tx, err := s.db.BeginTx(ctx, nil)
		if err != nil {
			return nil, err
		}
		var schema sql.NullString
		if err := tx.QueryRowContext(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
			tx.Rollback()
			return nil, err
		}
		key := fnv.New64a()
		key.Write([]byte("roster migrations " + schema.String))
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(key.Sum64())); err != nil {
			tx.Rollback()
			return nil, err
		}
		return func() { tx.Rollback() }, nil
	}
	// A short busy timeout, retried: a cancelled ctx is noticed between
	// tries, however long another instance's migrations take.
	db, err := sql.Open("sqlite", "file:"+dsn+"-migrate.lock?_pragma=busy_timeout(1000)")
	if err != nil {
		return nil, err
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		db.Close()
		return nil, err
	}
	for {
		_, err = conn.ExecContext(ctx, `BEGIN EXCLUSIVE`)
		var e *sqlite.Error
		if !errors.As(err, &e) || e.Code()&0xff != sqlite3.SQLITE_BUSY {
			break // locked, or failed for another reason than the wait
		}
		if ctx.Err() != nil {
			err = ctx.Err()
			break
		}
	}
	if err != nil {
		conn.Close()
		db.Close()
		return nil, err
	}
	return func() {
		conn.ExecContext(context.Background(), `ROLLBACK`)
		conn.Close()
		db.Close()
	}, nil
}

// adoptLegacy records in goose's table the migrations that releases before
// goose applied and recorded in their own table, schema_migrations
// (version INTEGER PRIMARY KEY), so that goose applies only the ones they
// lacked. It runs under the migrations lock, once: only while
// schema_migrations exists and goose's table does not, and it creates
// goose's table with the versions in one transaction.
//
// schema_migrations is left as it was, and never read again: the release
// before goose still starts on the database if an operator rolls back to
// it. A later migration may drop it once that no longer matters.
func (s *Store) adoptLegacy(ctx context.Context, dialect goose.Dialect, known []*goose.Source) error {
	if legacy, err := s.tableExists(ctx, "schema_migrations"); err != nil || !legacy {
		return err
	}
	if adopted, err := s.tableExists(ctx, goose.DefaultTablename); err != nil || adopted {
		return err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, `SELECT version FROM schema_migrations ORDER BY version`)
	if err != nil {
		return err
	}
	var versions []int64
	for rows.Next() {
		var v int64
		if err := rows.Scan(&v); err != nil {
			rows.Close()
			return err
		}
		versions = append(versions, v)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, v := range versions {
		if !slices.ContainsFunc(known, func(src *goose.Source) bool { return src.Version == v }) {
			return fmt.Errorf("schema_migrations has version %d, which this release does not know", v)
		}
	}
	// goose's own statements make its table, so that it is exactly the
	// table goose would make; version 0 is the row goose starts it with.
	versionTable, err := database.NewStore(dialect, goose.DefaultTablename)
	if err != nil {
		return err
	}
	if err := versionTable.CreateVersionTable(ctx, tx); err != nil {
		return err
	}
	for _, v := range append([]int64{0}, versions...) {
		if err := versionTable.Insert(ctx, tx, database.InsertRequest{Version: v}); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// tableExists reports whether the schema that the migrations go to has the
// table: the current schema in PostgreSQL, where goose makes its table.
func (s *Store) tableExists(ctx context.Context, name string) (bool, error) {
	query := `SELECT COUNT(*) FROM sqlite_schema WHERE type = 'table' AND name = ?`
	if s.postgres {
		query = `SELECT COUNT(*) FROM pg_tables WHERE schemaname = current_schema() AND tablename = $1`
	}
	var n int
	err := s.db.QueryRowContext(ctx, query, name).Scan(&n)
	return n > 0, err
}

// rebind turns the ? placeholders of a query into PostgreSQL's $1, $2, …
// so one query text serves both databases. Our queries have no ? inside
// string literals.
func (s *Store) rebind(query string) string {
	return rebind(s.postgres, query)
}

func rebind(postgres bool, query string) string {
	if !postgres {
		return query
	}
	var b strings.Builder
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// full says a full disk in the importer's words, however the database
// reports it: SQLite's SQLITE_FULL, PostgreSQL's disk_full (53100), or
// the system's ENOSPC.
func full(err error) error {
	if err == nil {
		return nil
	}
	if pg, ok := errors.AsType[*pgconn.PgError](err); ok && pg.Code == "53100" {
		return importer.DiskFullError(err)
	}
	if strings.Contains(err.Error(), "database or disk is full") {
		return importer.DiskFullError(err)
	}
	return importer.DiskFull(err)
}
