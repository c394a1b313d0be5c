// Package storetest opens real databases for tests: a SQLite file in a
// temporary directory, or, when TEST_DATABASE_URL names a PostgreSQL
// server, a schema of its own there, dropped when the test ends.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"roster/importer/store"
)

// Databases are both databases a test runs on, by name: PostgreSQL
// skips without TEST_DATABASE_URL.
var Databases = map[string]func(testing.TB) (*store.Store, string){
	"SQLite": SQLite, "PostgreSQL": Postgres,
}

// SQLite opens a new SQLite database for the test and returns it with the
// path of its file.
func SQLite(t testing.TB) (*store.Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "roster.db")
	st, err := store.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st, path
}

// Postgres opens a schema of its own, named at random, on the server that
// TEST_DATABASE_URL names, and returns the store with a URL that reaches
// the same schema; tests of several packages may share the server at once.
// Without TEST_DATABASE_URL the test is skipped.
func Postgres(t testing.TB) (*store.Store, string) {
	t.Helper()
	dsn := PostgresURL(t)
	st, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() }) // runs before the schema is dropped
	return st, dsn
}

// PostgresURL creates a new, empty schema, named at random, on the server
// that TEST_DATABASE_URL names, and returns a URL that reaches it, without
// opening a store: for tests of what store.Open does to a new database.
// The schema is dropped when the test ends; stores the test opens on it
// after this call are closed first if the test closes them in a Cleanup.
// Without TEST_DATABASE_URL the test is skipped.
func PostgresURL(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv("TEST_DATABASE_URL")
	if dsn == "" {
		t.Skip("TEST_DATABASE_URL not set; set it to a PostgreSQL URL (postgres://user@host:5432/db?sslmode=disable) to run the PostgreSQL tests")
	}
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() })
	var rnd [6]byte
	_, _ = rand.Read(rnd[:])
	schema := "roster_test_" + hex.EncodeToString(rnd[:])
	if _, err := admin.ExecContext(context.Background(), "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		if _, err := admin.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	q := u.Query()
	q.Set("search_path", schema) // pgx sends unknown parameters as run-time settings
	u.RawQuery = q.Encode()
	return u.String()
}
