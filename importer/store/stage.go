package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync"

	"roster/importer"
)

// table is a company table as the import's SQL needs it, made from the
// importer's sheet. Names come from the importer's fixed description of
// the workbook, never from a workbook, so they are safe in SQL text.
type table struct {
	Name   string
	Key    []string // the fields that identify a row
	Fields []string // every field, key included, in staging order
	Types  []string // the SQL type of each field
	Unique []string // fields with a UNIQUE constraint besides the key
}

func tableOf(sh *importer.Sheet) table {
	t := table{Name: sh.Table, Key: sh.Key, Unique: sh.Unique}
	for _, c := range sh.Columns {
		t.Fields = append(t.Fields, c.Field)
		t.Types = append(t.Types, sqlType(c.Kind))
	}
	return t
}

// sqlType is how a column of a kind is kept: whole numbers as numbers,
// everything else as text (dates as YYYY-MM-DD and times as HH:MM, which
// sort and compare as text the same way in both databases).
func sqlType(k importer.Kind) string {
	if k == importer.KindWhole {
		return "INTEGER"
	}
	return "TEXT"
}

func (t table) stage() string { return "stage_" + t.Name }

// Tx is one import: every sheet is first staged in a temporary table,
// checked there with SQL (duplicates, uniqueness, references), and only
// once every sheet has been checked merged into the real tables and
// committed with the import's outcome. Nothing is visible to anyone else
// until Commit, and Rollback leaves the database as it was.
//
// SQLite has one writer at a time, and every other write (a second upload
// being queued, a cancel) waits for it. So on SQLite the staging and the
// checks run in a transaction that writes only the connection's temporary
// tables, and the write lock on the database is taken (BEGIN IMMEDIATE)
// only for the merge: the lock is held for the merge and commit alone, not
// for reading and checking the whole workbook. Company data changes only
// by imports, one at a time per database, so what was checked is still
// what is merged. On PostgreSQL, whose writers do not block each other
// here, it is one transaction from start to end.
type Tx struct {
	q         querier
	conn      *sql.Conn // the connection that holds the temporary tables
	tx        *sql.Tx   // PostgreSQL: the transaction, on conn
	postgres  bool
	copy      *copying                   // PostgreSQL: the COPY that stages the current sheet, while open
	merging   bool                       // SQLite: the write transaction has begun
	inserts   map[batchShape]*sql.Stmt   // staging inserts, by table and rows
	recorded  map[string]importer.Counts // what Record found, by table
	allNew    map[string]bool            // every staged key is new, by table (from Record)
	staged    map[string]int             // rows staged, by table
	changeSet int64                      // the change set being recorded: the created_in of the rows inserted
	done      bool
	releasing *sync.WaitGroup // SQLite: the store's connections being released (release)
}

// querier is what a Tx runs its SQL on: the PostgreSQL transaction
// (through pgQuerier, which first ends a COPY), or the SQLite connection
// inside the transactions it begins itself.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	PrepareContext(ctx context.Context, query string) (*sql.Stmt, error)
}

// BeginImport starts an import and creates a staging table for every
// sheet of the workbook.
func (s *Store) BeginImport(ctx context.Context) (importer.Tx, error) {
	t := &Tx{postgres: s.postgres, inserts: map[batchShape]*sql.Stmt{}, releasing: &s.releasing}
	if s.postgres {
		if err := s.beginPostgres(ctx, t); err != nil {
			return nil, err
		}
	} else {
		conn, err := s.db.Conn(ctx)
		if err != nil {
			return nil, fmt.Errorf("begin import: %w", err)
		}
		t.conn, t.q = conn, conn
		if _, err := conn.ExecContext(ctx, "BEGIN"); err != nil {
			conn.Close()
			return nil, fmt.Errorf("begin import: %w", err)
		}
	}
	for _, sh := range importer.Sheets {
		if err := t.createStage(ctx, tableOf(sh)); err != nil {
			t.Rollback()
			return nil, err
		}
	}
	return t, nil
}

func (t *Tx) createStage(ctx context.Context, tb table) error {
	cols := []string{"row_no INTEGER NOT NULL"}
	for i, f := range tb.Fields {
		cols = append(cols, f+" "+tb.Types[i])
	}
	suffix := " ON COMMIT DROP"
	if !t.postgres {
		suffix = "" // dropped by Rollback and Commit, before the connection goes back to the pool
		if _, err := t.q.ExecContext(ctx, "DROP TABLE IF EXISTS temp."+tb.stage()); err != nil {
			return fmt.Errorf("drop staging table: %w", err)
		}
	}
	q := fmt.Sprintf("CREATE TEMP TABLE %s (%s)%s", tb.stage(), strings.Join(cols, ", "), suffix)
	if _, err := t.q.ExecContext(ctx, q); err != nil {
		return full(fmt.Errorf("create staging table: %w", err))
	}
	return nil
}

// beginMerge takes SQLite's write lock for the merge, after the staging
// transaction (temporary tables only) has committed.
func (t *Tx) beginMerge(ctx context.Context) error {
	if t.postgres || t.merging {
		return nil
	}
	if _, err := t.q.ExecContext(ctx, "COMMIT"); err != nil {
		return fmt.Errorf("end staging: %w", err)
	}
	t.merging = true
	// The merge fills tables and their unique indexes (employees' emails
	// go in no particular order): with SQLite's default 2 MB of cache, a
	// million employees' save took 26 s instead of 11, most of it reading
	// and writing the same pages again (docs/performance.md).
	if _, err := t.q.ExecContext(ctx, fmt.Sprintf("PRAGMA main.cache_size = %d", -mergeCacheKiB)); err != nil {
		return fmt.Errorf("begin writing: %w", err)
	}
	if _, err := t.q.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		t.merging = false
		return fmt.Errorf("begin writing: %w", err)
	}
	return nil
}

// Rollback abandons the import; nothing it did remains. It may be called
// after Commit, and then does nothing.
func (t *Tx) Rollback() error {
	if t.done {
		return nil
	}
	t.done = true
	if t.postgres {
		return t.endPostgres(false)
	}
	// A fresh context: the import's may be cancelled, and the connection
	// must go back to the pool clean.
	_, err := t.conn.ExecContext(context.Background(), "ROLLBACK")
	t.release()
	return err
}

// release gives the connection back to the pool once it is as the pool
// lends it (dropStages). The import need not wait for that: dropping the
// sample's 800,000 staged rows took 0.12 s of its time, and the tables
// are the connection's own, lent to nobody else until they are gone.
// Store.Close waits for it.
func (t *Tx) release() {
	t.releasing.Add(1)
	go func() {
		defer t.releasing.Done()
		t.dropStages(context.Background())
		t.conn.Close()
	}()
}

// dropStages leaves the connection as the pool lends it: no staging
// tables, SQLite's default cache.
func (t *Tx) dropStages(ctx context.Context) {
	for _, stmt := range t.inserts {
		stmt.Close()
	}
	for _, sh := range importer.Sheets {
		t.conn.ExecContext(ctx, "DROP TABLE IF EXISTS temp."+tableOf(sh).stage())
	}
	t.conn.ExecContext(ctx, "PRAGMA main.cache_size = -2000")
}

// mergeCacheKiB is the page cache of an import's connection while it
// saves, against SQLite's default 2,000 KiB. It counts against the
// import's memory; 64 MiB saved about as much as 32, and a bigger cache for
// the staging tables saved nothing measurable (docs/performance.md).
const mergeCacheKiB = 32 << 10

// Commit records the import's outcome and makes the import visible, in
// one transaction: an import is saved with its record or not at all. An
// import that has already ended (another instance declared it
// interrupted) is not saved: Commit then rolls back and returns
// importer.ErrEnded.
func (t *Tx) Commit(ctx context.Context, outcome importer.Status) error {
	if err := t.beginMerge(ctx); err != nil {
		return err
	}
	ok, err := saveStatus(ctx, t.q, t.postgres, outcome)
	if err != nil {
		return err
	}
	if !ok {
		return importer.ErrEnded
	}
	if outcome.Undoes != "" && outcome.State == importer.Succeeded {
		if err := t.markUndone(ctx, outcome); err != nil {
			return err
		}
	}
	if t.postgres {
		return t.endPostgres(true)
	}
	if _, err := t.q.ExecContext(ctx, "COMMIT"); err != nil {
		return full(fmt.Errorf("commit: %w", err))
	}
	t.done = true
	t.release()
	return nil
}

// Stage adds rows to a table's staging table. Each row is the Excel row
// number followed by one value per field; nil is NULL.
// On PostgreSQL the rows go through COPY (stage_postgres.go).
func (t *Tx) Stage(ctx context.Context, sh *importer.Sheet, rows [][]any) error {
	tb := tableOf(sh)
	if t.staged == nil {
		t.staged = map[string]int{}
	}
	t.staged[tb.Name] += len(rows)
	if t.postgres {
		return t.copyStage(ctx, tb, rows)
	}
	width := len(tb.Fields) + 1
	// SQLite allows 32,766 variables a statement; stay well below.
	per := max(1, 4000/width)
	args := make([]any, 0, per*width)
	for start := 0; start < len(rows); start += per {
		end := min(start+per, len(rows))
		args = args[:0]
		for _, r := range rows[start:end] {
			args = append(args, r...)
		}
		stmt, err := t.insert(ctx, tb, end-start)
		if err == nil {
			_, err = stmt.ExecContext(ctx, args...)
		}
		if err != nil {
			return full(fmt.Errorf("stage %s: %w", tb.Name, err))
		}
	}
	return nil
}

// batchShape is a staging insert's table and number of rows.
type batchShape struct {
	table string
	rows  int
}

// insert returns the prepared statement that stages n rows of a table.
// Batches come in two sizes a sheet (full, and what is left of each of
// the reader's runs of rows) and one more at its end, so each is parsed
// once.
func (t *Tx) insert(ctx context.Context, tb table, n int) (*sql.Stmt, error) {
	shape := batchShape{tb.Name, n}
	if stmt, ok := t.inserts[shape]; ok {
		return stmt, nil
	}
	// Closed by Commit or Rollback.
	stmt, err := t.q.PrepareContext(ctx, t.insertSQL(tb, n))
	if err != nil {
		return nil, err
	}
	t.inserts[shape] = stmt
	return stmt, nil
}

// insertSQL is a multi-row INSERT of n rows into a staging table.
func (t *Tx) insertSQL(tb table, n int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "INSERT INTO %s (row_no, %s) VALUES ", tb.stage(), strings.Join(tb.Fields, ", "))
	one := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(tb.Fields)+1), ", ") + ")"
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(one)
	}
	return rebind(t.postgres, b.String())
}

// Index indexes the staging table on the given fields, once it is full,
// so that the checks and the merge do not scan it again and again.
func (t *Tx) Index(ctx context.Context, sh *importer.Sheet, fields ...string) error {
	tb := tableOf(sh)
	name := tb.stage() + "_" + strings.Join(fields, "_")
	_, err := t.q.ExecContext(ctx, fmt.Sprintf("CREATE INDEX %s ON %s (%s)", name, tb.stage(), strings.Join(fields, ", ")))
	if err != nil {
		return full(fmt.Errorf("index %s: %w", tb.stage(), err))
	}
	return nil
}

// The checks' findings carry their values cut to 201 characters: a
// problem quotes at most 200 (importer.Cut adds the ellipsis), and a
// workbook of long repeated values must not be read back whole.

// Repeats finds the staged rows whose fields repeat those of an earlier
// staged row, ignoring rows where any of the fields is NULL.
func (t *Tx) Repeats(ctx context.Context, sh *importer.Sheet, fields ...string) ([]importer.Repeat, error) {
	tb := tableOf(sh)
	on := make([]string, len(fields))
	notNull := make([]string, len(fields))
	for i, f := range fields {
		on[i] = "s." + f + " = f." + f
		notNull[i] = f + " IS NOT NULL"
	}
	q := fmt.Sprintf(`
		SELECT s.row_no, f.first_row, substr(%[1]s, 1, 201)
		FROM %[2]s s
		JOIN (SELECT %[3]s, MIN(row_no) AS first_row FROM %[2]s
		      WHERE %[4]s GROUP BY %[3]s HAVING COUNT(*) > 1) f ON %[5]s
		WHERE s.row_no > f.first_row
		ORDER BY s.row_no`,
		t.concat("s.", fields), tb.stage(), strings.Join(fields, ", "),
		strings.Join(notNull, " AND "), strings.Join(on, " AND "))
	rows, err := t.q.QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("find repeats in %s: %w", tb.Name, err)
	}
	defer rows.Close()
	var out []importer.Repeat
	for rows.Next() {
		var r importer.Repeat
		if err := rows.Scan(&r.Row, &r.FirstRow, &r.Value); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Taken finds the staged rows whose field would clash with a row of the
// database that keeps its value after the import. The table's key must be
// a single field.
func (t *Tx) Taken(ctx context.Context, sh *importer.Sheet, field string) ([]importer.Taken, error) {
	tb := tableOf(sh)
	key := tb.Key[0]
	q := fmt.Sprintf(`
		SELECT s.row_no, substr(s.%[1]s, 1, 201), substr(d.%[2]s, 1, 201)
		FROM %[3]s s
		JOIN %[4]s d ON d.%[1]s = s.%[1]s AND d.%[2]s <> s.%[2]s
		WHERE NOT EXISTS (SELECT 1 FROM %[3]s o WHERE o.%[2]s = d.%[2]s)
		ORDER BY s.row_no`, field, key, tb.stage(), tb.Name)
	rows, err := t.q.QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("find taken %s in %s: %w", field, tb.Name, err)
	}
	defer rows.Close()
	var out []importer.Taken
	for rows.Next() {
		var r importer.Taken
		if err := rows.Scan(&r.Row, &r.Value, &r.Owner); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Dangling finds the staged rows whose field is neither a key staged in
// the target table nor a key already in the database. When removing (the
// target's sheet was uploaded and is the whole truth for its table), a
// saved key the target's sheet lacks is removed, so it counts as missing;
// the finding says so (Removed).
func (t *Tx) Dangling(ctx context.Context, sh *importer.Sheet, ref importer.Ref, removing bool) ([]importer.Dangling, error) {
	tb, target, field := tableOf(sh), tableOf(importer.SheetFor(ref.To)), ref.Field
	key := target.Key[0]
	saved := fmt.Sprintf("NOT EXISTS (SELECT 1 FROM %s d WHERE d.%s = v.%s)", target.Name, key, field)
	if removing {
		saved = "1 = 1"
	}
	// Each distinct value is looked up once (700,000 schedules name only
	// 100,000 employees); only then are the rows that use a missing one
	// listed.
	q := fmt.Sprintf(`
		SELECT s.row_no, substr(s.%[1]s, 1, 201),
			CASE WHEN EXISTS (SELECT 1 FROM %[5]s d WHERE d.%[4]s = s.%[1]s) THEN 1 ELSE 0 END
		FROM %[2]s s
		WHERE s.%[1]s IN (
			SELECT v.%[1]s FROM (SELECT DISTINCT %[1]s FROM %[2]s WHERE %[1]s IS NOT NULL) v
			WHERE NOT EXISTS (SELECT 1 FROM %[3]s r WHERE r.%[4]s = v.%[1]s)
			  AND %[6]s)
		ORDER BY s.row_no`, field, tb.stage(), target.stage(), key, target.Name, saved)
	rows, err := t.q.QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("check %s.%s: %w", tb.Name, field, err)
	}
	defer rows.Close()
	var out []importer.Dangling
	for rows.Next() {
		var r importer.Dangling
		var removed int
		if err := rows.Scan(&r.Row, &r.Value, &removed); err != nil {
			return nil, err
		}
		r.Removed = removed == 1
		out = append(out, r)
	}
	return out, rows.Err()
}

// Merge writes the staged rows into the table: when removing, the saved
// rows whose key the sheet lacks are deleted first (freeing their unique
// values); then new keys are inserted, rows whose values differ are
// updated, identical rows are not touched. It returns how many rows were
// created, updated and removed.
func (t *Tx) Merge(ctx context.Context, sh *importer.Sheet, removing bool) (importer.Counts, error) {
	tb := tableOf(sh)
	if err := t.beginMerge(ctx); err != nil {
		return importer.Counts{}, err
	}
	// What Record found in this transaction tells which statements have
	// nothing to do: a first import updates nothing, a repeated one
	// inserts nothing.
	known, recorded := t.recorded[tb.Name]
	var c importer.Counts
	if removing && (!recorded || known.Removed > 0) {
		var err error
		if c.Removed, err = t.remove(ctx, layoutOf(sh)); err != nil {
			return c, err
		}
	}
	var err error
	if t.allNew[tb.Name] {
		c.Created, err = t.insertAll(ctx, tb)
		return c, err
	}
	c.Created, c.Updated, err = t.merge(ctx, tb, !recorded || known.Created > 0, !recorded || known.Updated > 0)
	return c, err
}

// insertAll inserts every staged row, when Record found them all new. The
// plain INSERT … SELECT does not read the table it fills, which the merge's
// (WHERE NOT EXISTS) does: SQLite then first copies every selected row
// into a temporary table.
func (t *Tx) insertAll(ctx context.Context, tb table) (int, error) {
	fields := strings.Join(tb.Fields, ", ")
	n, err := t.exec(ctx, fmt.Sprintf(`INSERT INTO %s (%s, created_in) SELECT %s, %d FROM %s`, tb.Name, fields, fields, t.changeSet, tb.stage()))
	if err != nil {
		return 0, fmt.Errorf("insert into %s: %w", tb.Name, err)
	}
	return n, nil
}

// merge inserts the staged rows with new keys and updates the changed ones.
func (t *Tx) merge(ctx context.Context, tb table, inserts, updates bool) (created, updated int, err error) {
	var keyMatch, differs, sets []string
	for _, k := range tb.Key {
		keyMatch = append(keyMatch, fmt.Sprintf("%s.%s = s.%s", tb.Name, k, k))
	}
	for _, f := range tb.Fields {
		if contains(tb.Key, f) {
			continue
		}
		sets = append(sets, fmt.Sprintf("%s = s.%s", f, f))
		differs = append(differs, fmt.Sprintf("%s.%s %s s.%s", tb.Name, f, t.distinct(), f))
	}
	if len(sets) > 0 && updates {
		if err := t.park(ctx, tb); err != nil {
			return 0, 0, err
		}
		q := fmt.Sprintf(`UPDATE %s SET %s FROM %s s WHERE %s AND (%s)`,
			tb.Name, strings.Join(sets, ", "), tb.stage(),
			strings.Join(keyMatch, " AND "), strings.Join(differs, " OR "))
		res, err := t.q.ExecContext(ctx, q)
		if err != nil {
			return 0, 0, full(fmt.Errorf("update %s: %w", tb.Name, err))
		}
		n, _ := res.RowsAffected()
		updated = int(n)
	}
	if !inserts {
		return 0, updated, nil
	}
	fields := strings.Join(tb.Fields, ", ")
	q := fmt.Sprintf(`INSERT INTO %s (%s, created_in) SELECT %s, %d FROM %s s WHERE NOT EXISTS (SELECT 1 FROM %s WHERE %s)`,
		tb.Name, fields, "s."+strings.Join(tb.Fields, ", s."), t.changeSet, tb.stage(), tb.Name, strings.Join(keyMatch, " AND "))
	res, err := t.q.ExecContext(ctx, q)
	if err != nil {
		return 0, 0, full(fmt.Errorf("insert into %s: %w", tb.Name, err))
	}
	n, _ := res.RowsAffected()
	return int(n), updated, nil
}

// parkPrefix starts the placeholder a unique value is parked under; the
// control character keeps it from meeting a value from a workbook.
const parkPrefix = "\x01moving:"

// park gives every row whose unique value the merge changes a placeholder
// value of its own (the prefix and its key) before the update. The checks
// have made sure the new values clash with no row the import keeps, but
// both databases check a UNIQUE constraint row by row during one UPDATE:
// without parking, two employees swapping emails, or an email moving to a
// row updated before its old holder's, fails with a constraint error.
func (t *Tx) park(ctx context.Context, tb table) error {
	var keyMatch []string
	for _, k := range tb.Key {
		keyMatch = append(keyMatch, fmt.Sprintf("%s.%s = s.%s", tb.Name, k, k))
	}
	for _, f := range tb.Unique {
		q := fmt.Sprintf(`UPDATE %[1]s SET %[2]s = CAST(? AS TEXT) || %[3]s
			WHERE EXISTS (SELECT 1 FROM %[4]s s WHERE %[5]s AND %[1]s.%[2]s %[6]s s.%[2]s)`,
			tb.Name, f, t.concat(tb.Name+".", tb.Key), tb.stage(), strings.Join(keyMatch, " AND "), t.distinct())
		if _, err := t.q.ExecContext(ctx, rebind(t.postgres, q), parkPrefix); err != nil {
			return fmt.Errorf("park %s.%s: %w", tb.Name, f, err)
		}
	}
	return nil
}

// distinct is the null-safe "differs from" of the database.
func (t *Tx) distinct() string {
	if t.postgres {
		return "IS DISTINCT FROM"
	}
	return "IS NOT"
}

// concat joins fields into one text value, parts separated by " / ".
func (t *Tx) concat(prefix string, fields []string) string {
	parts := make([]string, len(fields))
	for i, f := range fields {
		parts[i] = "CAST(" + prefix + f + " AS TEXT)"
	}
	return strings.Join(parts, " || ' / ' || ")
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
