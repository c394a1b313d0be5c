package store_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"roster/importer"
	"roster/importer/store"
	"roster/importer/store/storetest"
)

// The databases the migration tests run on. fresh makes a new, empty
// database for the test and returns its DSN without opening a store on it;
// dir holds the database's migrations.
var databaseKinds = []struct {
	name  string
	fresh func(testing.TB) string
	dir   string
}{
	{"SQLite", func(t testing.TB) string { return filepath.Join(t.TempDir(), "roster.db") }, "migrations/sqlite"},
	{"PostgreSQL", storetest.PostgresURL, "migrations/postgres"},
}

// Several instances starting at once on a new database all come up, and
// together they leave the schema one instance alone makes (contract,
// section 7). The race is a matter of timing, so it is run a few times.
func TestInstancesStartingAtOnceOnANewDatabaseAllComeUp(t *testing.T) {
	for _, kind := range databaseKinds {
		t.Run(kind.name, func(t *testing.T) {
			alone := kind.fresh(t)
			openStore(t, alone)
			want := describeSchema(t, alone)
			for round := range 3 {
				dsn := kind.fresh(t)
				if !openAtOnce(t, dsn, 4) {
					t.Fatalf("round %d: not every instance came up", round+1)
				}
				if got := describeSchema(t, dsn); !slices.Equal(got, want) {
					t.Fatalf("round %d: the schema differs from the one a single instance makes:\n%s",
						round+1, diffLines(want, got))
				}
			}
		})
	}
}

// An instance that finds another one migrating the database waits for it:
// it gives up only when its own context ends, and opens once the other is
// done. On SQLite the wait is longer than one busy timeout of the lock, so
// that the lock is tried again.
func TestOpenWaitsWhileAnotherInstanceMigrates(t *testing.T) {
	for _, kind := range databaseKinds {
		t.Run(kind.name, func(t *testing.T) {
			ctx := context.Background()
			dsn := kind.fresh(t)
			other := openStore(t, dsn)
			unlock, err := store.LockMigrations(other, ctx, dsn)
			if err != nil {
				t.Fatal(err)
			}
			unlock = sync.OnceFunc(unlock)
			t.Cleanup(unlock) // should the test stop early
			waiting, cancel := context.WithTimeout(ctx, 1500*time.Millisecond)
			defer cancel()
			if st, err := store.Open(waiting, dsn); !errors.Is(err, context.DeadlineExceeded) {
				if err == nil {
					st.Close()
				}
				t.Fatalf("open while another instance migrates = %v, want it to wait until its context ends", err)
			}
			unlock()
			openStore(t, dsn)
		})
	}
}

// Every migration is written for both databases, under the same number.
func TestEveryMigrationExistsForBothDatabases(t *testing.T) {
	names := func(dir string) []string {
		paths, err := filepath.Glob(filepath.Join(dir, "*.sql"))
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, p := range paths {
			out = append(out, filepath.Base(p))
		}
		return out
	}
	sqlite, postgres := names(databaseKinds[0].dir), names(databaseKinds[1].dir)
	if !slices.Equal(sqlite, postgres) || len(sqlite) == 0 {
		t.Errorf("migrations/sqlite has %v, migrations/postgres has %v; want the same files", sqlite, postgres)
	}
}

// Opening a database again applies no migration twice: each is recorded
// once, in order.
func TestEachMigrationIsRecordedOnce(t *testing.T) {
	for _, kind := range databaseKinds {
		t.Run(kind.name, func(t *testing.T) {
			dsn := kind.fresh(t)
			openStore(t, dsn)
			openStore(t, dsn)
			if got, want := appliedVersions(t, dsn), versionsIn(t, kind.dir); !slices.Equal(got, want) {
				t.Errorf("applied versions = %v, want %v", got, want)
			}
		})
	}
}

// A database made by an earlier release, whose own runner recorded its
// migrations in schema_migrations, opens with nothing lost: its versions
// are recorded as applied in goose's table, only the migrations it lacks
// run, and it ends with the schema of a new database. Instances of the new
// release may meet it at once.
func TestOpenAdoptsADatabaseOfAnEarlierRelease(t *testing.T) {
	for _, kind := range databaseKinds {
		for _, upTo := range []int{2, 1} {
			t.Run(fmt.Sprintf("%s made up to migration %d", kind.name, upTo), func(t *testing.T) {
				ctx := context.Background()
				dsn := kind.fresh(t)
				createLegacy(t, dsn, upTo)
				db := openRaw(t, dsn)
				mustExec(t, db, dsn, `INSERT INTO areas (code, name) VALUES (?, ?)`, "007", "North")
				mustExec(t, db, dsn, `INSERT INTO imports (id, file_name, state, created_at, status) VALUES (?, ?, ?, ?, ?)`,
					"old", "staff.xlsx", "failed", "2026-11-26T09:00:00.000000000Z", `{"n":1}`)
				mustExec(t, db, dsn, `INSERT INTO import_problems (import_id, seq, sheet, row_no, col, value, message) VALUES (?, ?, ?, ?, ?, ?, ?)`,
					"old", 0, "Areas", 2, "Name", "", "required")
				upload := []byte{0, 1, 2, 0xff, 'x'}
				if upTo >= 2 {
					mustExec(t, db, dsn, `INSERT INTO import_uploads (import_id, seq, data) VALUES (?, ?, ?)`, "old", 0, upload)
				}

				if !openAtOnce(t, dsn, 4) {
					t.Fatal("not every instance came up on the earlier release's database")
				}

				st := openStore(t, dsn)
				if im, err := st.Status(ctx, "old"); err != nil || im.FileName != "staff.xlsx" || im.State != importer.Failed {
					t.Errorf("Status(old) = %+v, %v; want the record the earlier release wrote", im, err)
				}
				var status string
				if err := db.QueryRow(rebind(dsn, `SELECT status FROM imports WHERE id = ?`), "old").Scan(&status); err != nil || status != `{"n":1}` {
					t.Errorf("the kept status = %q, %v; want the earlier release's", status, err)
				}
				if problems, total, err := st.Problems(ctx, "old", 0); err != nil || total != 1 || problems[0].Message != "required" {
					t.Errorf("Problems(old) = %+v (%d), %v; want the earlier release's one problem", problems, total, err)
				}
				var name string
				if err := db.QueryRow(rebind(dsn, `SELECT name FROM areas WHERE code = ?`), "007").Scan(&name); err != nil || name != "North" {
					t.Errorf("area 007 = %q, %v; want North", name, err)
				}
				if upTo >= 2 {
					var data []byte
					if err := db.QueryRow(rebind(dsn, `SELECT data FROM import_uploads WHERE import_id = ?`), "old").Scan(&data); err != nil || !bytes.Equal(data, upload) {
						t.Errorf("upload = %v, %v; want %v", data, err, upload)
					}
				}

				if got, want := appliedVersions(t, dsn), versionsIn(t, kind.dir); !slices.Equal(got, want) {
					t.Errorf("applied versions = %v, want %v: each once, the earlier release's included", got, want)
				}
				fresh := kind.fresh(t)
				openStore(t, fresh)
				if got, want := describeSchema(t, dsn), describeSchema(t, fresh); !slices.Equal(got, want) {
					t.Errorf("the adopted database's schema differs from a new one's:\n%s", diffLines(want, got))
				}
				// The earlier release's table is left as it was, so that
				// release still starts on this database if it is rolled back to.
				var legacy []int64
				rows, err := db.Query(`SELECT version FROM schema_migrations ORDER BY version`)
				if err != nil {
					t.Fatal(err)
				}
				defer rows.Close()
				for rows.Next() {
					var v int64
					if err := rows.Scan(&v); err != nil {
						t.Fatal(err)
					}
					legacy = append(legacy, v)
				}
				if want := versionsIn(t, "testdata/legacy")[1 : upTo+1]; !slices.Equal(legacy, want) {
					t.Errorf("schema_migrations = %v, want %v left in place", legacy, want)
				}
			})
		}
	}
}

// openStore opens a store on dsn for the rest of the test.
func openStore(t testing.TB, dsn string) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// openAtOnce opens n stores on dsn at the same moment, as n instances
// starting together would, and reports whether every one opened.
func openAtOnce(t testing.TB, dsn string, n int) bool {
	t.Helper()
	var (
		start  = make(chan struct{})
		wg     sync.WaitGroup
		errs   = make([]error, n)
		opened = make([]*store.Store, n)
	)
	for i := range n {
		wg.Go(func() {
			<-start
			opened[i], errs[i] = store.Open(context.Background(), dsn)
		})
	}
	close(start)
	wg.Wait()
	ok := true
	for i, err := range errs {
		if err != nil {
			t.Errorf("instance %d of %d: %v", i+1, n, err)
			ok = false
			continue
		}
		t.Cleanup(func() { opened[i].Close() })
	}
	return ok
}

// Tables that record migrations rather than hold Roster's data: each
// runner has its own, and SQLite keeps goose's id counter in
// sqlite_sequence.
const bookkeeping = `('schema_migrations', 'goose_db_version', 'sqlite_sequence')`

// describeSchema lists, one line each, the tables, columns, indexes and
// constraints of the database, without the migration bookkeeping, so
// that two databases can be compared. In SQLite a table is its CREATE
// statement, which also says WITHOUT ROWID.
func describeSchema(t testing.TB, dsn string) []string {
	t.Helper()
	db := openRaw(t, dsn)
	var queries []string
	if isPostgres(dsn) {
		queries = []string{
			`SELECT table_name, column_name, data_type, is_nullable, COALESCE(column_default, '')
			   FROM information_schema.columns
			  WHERE table_schema = current_schema() AND table_name NOT IN ` + bookkeeping + `
			  ORDER BY table_name, ordinal_position`,
			`SELECT tablename, indexname, replace(indexdef, current_schema() || '.', '')
			   FROM pg_indexes
			  WHERE schemaname = current_schema() AND tablename NOT IN ` + bookkeeping + `
			  ORDER BY tablename, indexname`,
			`SELECT c.relname, k.conname, pg_get_constraintdef(k.oid)
			   FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
			  WHERE c.relnamespace = current_schema()::regnamespace AND c.relname NOT IN ` + bookkeeping + `
			  ORDER BY c.relname, k.conname`,
		}
	} else {
		queries = []string{
			`SELECT type, name, tbl_name, COALESCE(sql, '') FROM sqlite_schema
			  WHERE tbl_name NOT IN ` + bookkeeping + ` ORDER BY type, name`,
		}
	}
	var lines []string
	for _, q := range queries {
		rows, err := db.Query(q)
		if err != nil {
			t.Fatalf("describe schema: %v", err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]string, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			lines = append(lines, strings.Join(strings.Fields(strings.Join(vals, " | ")), " "))
		}
		if err := rows.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if len(lines) == 0 {
		t.Fatal("describe schema: the database has no tables")
	}
	return lines
}

// appliedVersions lists the versions recorded in goose's table, in the
// order they were applied.
func appliedVersions(t testing.TB, dsn string) []int64 {
	t.Helper()
	rows, err := openRaw(t, dsn).Query(`SELECT version_id FROM goose_db_version ORDER BY id`)
	if err != nil {
		t.Fatalf("applied versions: %v", err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var v int64
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	return out
}

// versionsIn lists the versions of the migration files in dir, after the
// version 0 that goose records when it creates its table.
func versionsIn(t testing.TB, dir string) []int64 {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(dir, "*.sql"))
	if err != nil || len(names) == 0 {
		t.Fatalf("no migrations in %s: %v", dir, err)
	}
	out := []int64{0}
	for _, name := range names {
		v, err := strconv.ParseInt(strings.SplitN(filepath.Base(name), "_", 2)[0], 10, 64)
		if err != nil {
			t.Fatalf("migration %s: %v", name, err)
		}
		out = append(out, v)
	}
	slices.Sort(out)
	return out
}

// createLegacy makes a database as releases before goose did, with their
// runner (kept here as it was) and their migrations (testdata/legacy, as
// they were) up to version upTo: files split at ";", rewritten for
// PostgreSQL by text replacement, versions recorded in schema_migrations.
func createLegacy(t testing.TB, dsn string, upTo int) {
	t.Helper()
	db := openRaw(t, dsn)
	postgres := isPostgres(dsn)
	mustExec(t, db, dsn, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY)`)
	names, err := filepath.Glob("testdata/legacy/*.sql")
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(names)
	for _, name := range names {
		version, err := strconv.Atoi(strings.SplitN(filepath.Base(name), "_", 2)[0])
		if err != nil {
			t.Fatal(err)
		}
		if version > upTo {
			break
		}
		body, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		tx, err := db.Begin()
		if err != nil {
			t.Fatal(err)
		}
		for _, stmt := range strings.Split(string(body), ";") {
			if strings.TrimSpace(stripComments(stmt)) == "" {
				continue
			}
			if postgres {
				stmt = strings.ReplaceAll(stmt, "WITHOUT ROWID", "")
				stmt = strings.ReplaceAll(stmt, " BLOB ", " BYTEA ")
			}
			if _, err := tx.Exec(stmt); err != nil {
				t.Fatalf("legacy migration %s: %v", name, err)
			}
		}
		if _, err := tx.Exec(rebind(dsn, `INSERT INTO schema_migrations (version) VALUES (?)`), version); err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
	}
}

func stripComments(stmt string) string {
	var b strings.Builder
	for _, line := range strings.Split(stmt, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "--") {
			b.WriteString(line)
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// openRaw opens dsn with database/sql alone, as store.Open names it, for
// the rest of the test.
func openRaw(t testing.TB, dsn string) *sql.DB {
	t.Helper()
	var db *sql.DB
	var err error
	if isPostgres(dsn) {
		db, err = sql.Open("pgx", dsn)
	} else {
		db, err = sql.Open("sqlite", "file:"+dsn+"?_pragma=busy_timeout(10000)")
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func mustExec(t testing.TB, db *sql.DB, dsn, query string, args ...any) {
	t.Helper()
	if _, err := db.Exec(rebind(dsn, query), args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

func isPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// rebind turns ? placeholders into PostgreSQL's $1, $2, … for a PostgreSQL dsn.
func rebind(dsn, query string) string { return store.Rebind(isPostgres(dsn), query) }

// diffLines shows the lines only one of two lists has.
func diffLines(want, got []string) string {
	var b strings.Builder
	for _, l := range want {
		if !slices.Contains(got, l) {
			b.WriteString("- " + l + "\n")
		}
	}
	for _, l := range got {
		if !slices.Contains(want, l) {
			b.WriteString("+ " + l + "\n")
		}
	}
	if b.Len() == 0 {
		return "(the same lines, in another order)"
	}
	return b.String()
}

// A new SQLite database is in WAL mode once opened, so that the pages
// read while an import writes. The mode is set once, under the
// migrations' lock, rather than by every new connection: several
// connections switching a new file at once are refused without waiting.
func TestANewSQLiteDatabaseIsInWALMode(t *testing.T) {
	dsn := filepath.Join(t.TempDir(), "roster.db")
	openStore(t, dsn)
	var mode string
	if err := openRaw(t, dsn).QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil {
		t.Fatal(err)
	}
	if mode != "wal" {
		t.Fatalf("journal mode %q, want wal", mode)
	}
}
