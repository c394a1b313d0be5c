package store

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"roster/importer"
)

// The change records of imports (migration 003): what each import updated
// and removed, row by row, with the values before and after, and (below,
// createdKeys) which rows it created. An import writes them in its own
// transaction, by comparing its staged rows with the saved ones just
// before its merge; a review writes them instead of merging; an undo
// writes the mirror image of its target's. They are the change lists
// users read, what a confirm compares with its review, and what an undo
// puts back.

// changeLayout says where each field of a table sits in import_changes:
// the key fields in key_1..key_3, the others in old_N and new_N by their
// place among the non-key fields.
type changeLayout struct {
	tb     table
	stepNo int
	keyCol map[string]string // key field → key_N
	valNo  map[string]int    // other field → N
	others []string          // the non-key fields, in order
}

func layoutOf(sh *importer.Sheet) changeLayout {
	l := changeLayout{tb: tableOf(sh), keyCol: map[string]string{}, valNo: map[string]int{}}
	for i, s := range importer.Sheets {
		if s == sh {
			l.stepNo = i
		}
	}
	for i, k := range l.tb.Key {
		l.keyCol[k] = fmt.Sprintf("key_%d", i+1)
	}
	for _, f := range l.tb.Fields {
		if _, isKey := l.keyCol[f]; !isKey {
			l.others = append(l.others, f)
			l.valNo[f] = len(l.others)
		}
	}
	return l
}

// fieldType is the SQL type of a field of the table.
func (l changeLayout) fieldType(f string) string {
	for i, x := range l.tb.Fields {
		if x == f {
			return l.tb.Types[i]
		}
	}
	panic("store: no field " + f)
}

// asText is a field of alias as the change records keep it: text.
func (l changeLayout) asText(alias, f string) string {
	if l.fieldType(f) == "TEXT" {
		return alias + "." + f
	}
	return "CAST(" + alias + "." + f + " AS TEXT)"
}

// fromText is a value column of the change records as the field's type.
func (l changeLayout) fromText(col, f string) string {
	if l.fieldType(f) == "TEXT" {
		return col
	}
	return "CAST(" + col + " AS " + l.fieldType(f) + ")"
}

// keyList is the key_1..key_3 values of a row of alias: its key fields,
// then ” for the unused places.
func (l changeLayout) keyList(alias string) string {
	parts := make([]string, 3)
	for i := range parts {
		parts[i] = "''"
		if i < len(l.tb.Key) {
			parts[i] = alias + "." + l.tb.Key[i]
		}
	}
	return strings.Join(parts, ", ")
}

// valueCols is the value columns of one side (old or new) that the table
// uses, and values the matching fields of alias as text.
func (l changeLayout) valueCols(side string) string {
	cols := make([]string, len(l.others))
	for i := range l.others {
		cols[i] = fmt.Sprintf("%s_%d", side, i+1)
	}
	return strings.Join(cols, ", ")
}

func (l changeLayout) values(alias string) string {
	vals := make([]string, len(l.others))
	for i, f := range l.others {
		vals[i] = l.asText(alias, f)
	}
	return strings.Join(vals, ", ")
}

// keyMatch matches the key fields of a (a table or staging alias) with
// those of b.
func (l changeLayout) keyMatch(a, b string) string {
	m := make([]string, len(l.tb.Key))
	for i, k := range l.tb.Key {
		m[i] = a + "." + k + " = " + b + "." + k
	}
	return strings.Join(m, " AND ")
}

// recordMatch matches the key fields of a table alias with a change record c.
func (l changeLayout) recordMatch(alias string) string {
	return l.matchRecord(alias, "c")
}

// matchRecord matches the key fields of a table alias with the key_N of
// rec, a change record or a row of keys.
func (l changeLayout) matchRecord(alias, rec string) string {
	m := make([]string, len(l.tb.Key))
	for i, k := range l.tb.Key {
		m[i] = alias + "." + k + " = " + rec + "." + l.keyCol[k]
	}
	return strings.Join(m, " AND ")
}

const changeColumns = "change_set, step_no, kind, key_1, key_2, key_3"

// newChangeSet numbers the change set of an import, once, and keeps the
// number for the rows the transaction inserts (created_in).
func (t *Tx) newChangeSet(ctx context.Context, id string) error {
	_, err := t.exec(ctx, `INSERT INTO import_change_sets (import_id) VALUES (?) ON CONFLICT (import_id) DO NOTHING`, id)
	if err != nil {
		return fmt.Errorf("number the changes: %w", err)
	}
	t.changeSet, _, err = changeSetOf(ctx, t.q, t.postgres, id)
	return err
}

// changeSetOf is the number of an import's change set; ok is false when
// the import has none (it recorded nothing).
func changeSetOf(ctx context.Context, q queryer, postgres bool, id string) (cs int64, ok bool, err error) {
	rows, err := q.QueryContext(ctx, rebind(postgres, `SELECT change_set FROM import_change_sets WHERE import_id = ?`), id)
	if err != nil {
		return 0, false, fmt.Errorf("find the changes of %s: %w", id, err)
	}
	defer rows.Close()
	if rows.Next() {
		err, ok = rows.Scan(&cs), true
	}
	if err == nil {
		err = rows.Err()
	}
	return cs, ok, err
}

// The rows an import created are not recorded one by one: each row of a
// company table carries the number of the change set that inserted it
// (created_in, migration 006), and a removed record keeps the created_in
// of the row it removed. So the rows change set cs created in a step are
//   - its 'created' records: those of a review, which inserts nothing,
//     and of imports saved before migration 006;
//   - the rows of the table whose created_in is cs;
//   - the 'removed' records, written by later imports and undos, of rows
//     whose created_in was cs.
// A row inserted again, by an import or an undo, takes the number of the
// change set that inserts it, so a row has a given created_in for one
// stretch of its life and the three never name the same key twice.

// createdKeys is a query for the keys (key_1, key_2, key_3) of the rows
// change set cs created in the step.
func (l changeLayout) createdKeys(cs int64) string {
	return strings.Join(l.createdParts(cs), " UNION ALL ")
}

// createdList is createdKeys in key order, only the first limit of them
// when limit > 0. Each part is then ordered and cut on its own: read in
// its index's order, it stops at the limit, where the whole (of a big
// import: a million rows) would be sorted first.
func (l changeLayout) createdList(cs int64, limit int) string {
	order := " ORDER BY key_1, key_2, key_3"
	parts := l.createdParts(cs)
	if limit > 0 {
		order += fmt.Sprintf(" LIMIT %d", limit)
		for i, p := range parts {
			parts[i] = fmt.Sprintf("SELECT * FROM (%s%s) p%d", p, order, i)
		}
	}
	return strings.Join(parts, " UNION ALL ") + order
}

// createdParts are the two parts of createdKeys, each with its own index
// (or order) to be read by: the records, and the table's rows.
func (l changeLayout) createdParts(cs int64) []string {
	keys := make([]string, 3)
	for i := range keys {
		keys[i] = fmt.Sprintf("'' AS key_%d", i+1)
		if i < len(l.tb.Key) {
			keys[i] = fmt.Sprintf("d.%s AS key_%d", l.tb.Key[i], i+1)
		}
	}
	return []string{
		l.createdRecords(cs),
		fmt.Sprintf(`SELECT %s FROM %s d WHERE d.created_in = %d`, strings.Join(keys, ", "), l.tb.Name, cs),
	}
}

// createdRecords is the part of createdKeys that is records: the rows
// change set cs created that were recorded by key, or removed since.
func (l changeLayout) createdRecords(cs int64) string {
	return fmt.Sprintf(`
		SELECT key_1, key_2, key_3 FROM import_changes WHERE change_set = %[1]d AND step_no = %[2]d AND kind = 'created'
		UNION ALL
		SELECT key_1, key_2, key_3 FROM import_changes WHERE created_in = %[1]d AND step_no = %[2]d AND kind = 'removed'`,
		cs, l.stepNo)
}

// createdBy is a condition on a row of the step's table (alias): change
// set cs created it.
func (l changeLayout) createdBy(alias string, cs int64) string {
	return fmt.Sprintf(`(%[1]s.created_in = %[2]d
		OR EXISTS (SELECT 1 FROM import_changes c WHERE c.change_set = %[2]d AND c.step_no = %[3]d AND c.kind = 'created' AND %[4]s)
		OR EXISTS (SELECT 1 FROM import_changes c WHERE c.created_in = %[2]d AND c.step_no = %[3]d AND c.kind = 'removed' AND %[4]s))`,
		alias, cs, l.stepNo, l.recordMatch(alias))
}

// Record saves the change records of a staged sheet and returns its
// counts: every saved row whose values the staged row changes (updated,
// with its old and new values) and, when removing, every saved row whose
// key the sheet lacks (removed, with its values and created_in). The
// staged rows whose key is new (created) are counted; a review, whose
// rows are not merged, records them too, by key. It writes only
// import_changes.
func (t *Tx) Record(ctx context.Context, sh *importer.Sheet, id string, removing, review bool) (importer.Counts, error) {
	if err := t.beginMerge(ctx); err != nil {
		return importer.Counts{}, err
	}
	l := layoutOf(sh)
	var differs []string
	for _, f := range l.others {
		differs = append(differs, fmt.Sprintf("d.%s %s s.%s", f, t.distinct(), f))
	}
	if err := t.newChangeSet(ctx, id); err != nil {
		return importer.Counts{}, err
	}
	var c importer.Counts
	staged, err := t.countNew(ctx, l, &c.Created)
	if err != nil {
		return c, err
	}
	if review && c.Created > 0 {
		created := fmt.Sprintf(`
			INSERT INTO import_changes (%s)
			SELECT %d, %d, 'created', %s FROM %s s
			WHERE NOT EXISTS (SELECT 1 FROM %s d WHERE %s)`,
			changeColumns, t.changeSet, l.stepNo, l.keyList("s"), l.tb.stage(), l.tb.Name, l.keyMatch("d", "s"))
		if _, err = t.exec(ctx, created); err != nil {
			return c, fmt.Errorf("record created %s: %w", l.tb.Name, err)
		}
	}
	if len(differs) > 0 && staged > c.Created {
		updated := fmt.Sprintf(`
			INSERT INTO import_changes (%s, %s, %s)
			SELECT %d, %d, 'updated', %s, %s, %s FROM %s s JOIN %s d ON %s
			WHERE %s`,
			changeColumns, l.valueCols("old"), l.valueCols("new"), t.changeSet, l.stepNo,
			l.keyList("s"), l.values("d"), l.values("s"), l.tb.stage(), l.tb.Name, l.keyMatch("d", "s"),
			strings.Join(differs, " OR "))
		if c.Updated, err = t.exec(ctx, updated); err != nil {
			return c, fmt.Errorf("record updated %s: %w", l.tb.Name, err)
		}
	}
	if removing {
		removed := fmt.Sprintf(`
			INSERT INTO import_changes (%s, %s, created_in)
			SELECT %d, %d, 'removed', %s, %s, d.created_in FROM %s d
			WHERE NOT EXISTS (SELECT 1 FROM %s s WHERE %s)`,
			changeColumns, l.valueCols("old"), t.changeSet, l.stepNo, l.keyList("d"), l.values("d"), l.tb.Name, l.tb.stage(), l.keyMatch("d", "s"))
		if c.Removed, err = t.exec(ctx, removed); err != nil {
			return c, fmt.Errorf("record removed %s: %w", l.tb.Name, err)
		}
	}
	if t.recorded == nil {
		t.recorded, t.allNew = map[string]importer.Counts{}, map[string]bool{}
	}
	t.recorded[l.tb.Name] = c
	t.allNew[l.tb.Name] = c.Created > 0 && staged == c.Created
	return c, nil
}

// countNew counts a staged sheet's rows, and (into created) those whose
// key is not saved yet: with a join, not an EXISTS per row, so that
// PostgreSQL can hash it, or with none when the table is empty (a first
// import), where the join read the sample's 700,000 staged schedules for
// 0.14 s to find nothing.
func (t *Tx) countNew(ctx context.Context, l changeLayout, created *int) (staged int, err error) {
	staged = t.staged[l.tb.Name]
	var empty bool
	if err := t.scanOne(ctx, fmt.Sprintf(`SELECT NOT EXISTS (SELECT 1 FROM %s)`, l.tb.Name), nil, &empty); err != nil {
		return 0, fmt.Errorf("count new %s: %w", l.tb.Name, err)
	}
	var saved int
	if !empty {
		q := fmt.Sprintf(`SELECT COUNT(*) FROM %s s JOIN %s d ON %s`, l.tb.stage(), l.tb.Name, l.keyMatch("d", "s"))
		if err := t.scanOne(ctx, q, nil, &saved); err != nil {
			return 0, fmt.Errorf("count new %s: %w", l.tb.Name, err)
		}
	}
	*created = staged - saved
	return staged, nil
}

// exec runs a statement with ? placeholders and returns the rows it
// touched.
func (t *Tx) exec(ctx context.Context, query string, args ...any) (int, error) {
	res, err := t.q.ExecContext(ctx, rebind(t.postgres, query), args...)
	if err != nil {
		return 0, full(err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// allChangeColumns are the columns two change lists are compared on.
const allChangeColumns = `step_no, kind, key_1, key_2, key_3,
	old_1, old_2, old_3, old_4, old_5, old_6, old_7,
	new_1, new_2, new_3, new_4, new_5, new_6, new_7`

// SameChanges reports whether the import id, whose sheets are recorded
// but not merged, makes exactly the changes its review other recorded:
// the same updated and removed records (as many, and none of one missing
// from the other; EXCEPT compares NULLs as equal) and, step by step, as
// many new keys as the review's created records, every one of which is
// among them.
func (t *Tx) SameChanges(ctx context.Context, id, other string) (bool, error) {
	mine, _, err := changeSetOf(ctx, t.q, t.postgres, id)
	if err != nil {
		return false, err
	}
	theirs, ok, err := changeSetOf(ctx, t.q, t.postgres, other)
	if err != nil || !ok {
		return false, err
	}
	var a, b, missing int
	q := fmt.Sprintf(`SELECT
		(SELECT COUNT(*) FROM import_changes WHERE change_set = %[2]d AND kind <> 'created'),
		(SELECT COUNT(*) FROM import_changes WHERE change_set = %[3]d AND kind <> 'created'),
		(SELECT COUNT(*) FROM (
			SELECT %[1]s FROM import_changes WHERE change_set = %[2]d AND kind <> 'created'
			EXCEPT
			SELECT %[1]s FROM import_changes WHERE change_set = %[3]d AND kind <> 'created') x)`,
		allChangeColumns, mine, theirs)
	if err := t.scanOne(ctx, q, nil, &a, &b, &missing); err != nil {
		return false, fmt.Errorf("compare changes: %w", err)
	}
	if a != b || missing != 0 {
		return false, nil
	}
	for _, sh := range importer.Sheets {
		l := layoutOf(sh)
		var reviewed, notNew int
		q := fmt.Sprintf(`SELECT COUNT(*), COALESCE(SUM(CASE
				WHEN EXISTS (SELECT 1 FROM %s s WHERE %s) AND NOT EXISTS (SELECT 1 FROM %s d WHERE %s) THEN 0 ELSE 1 END), 0)
			FROM import_changes c WHERE c.change_set = %d AND c.step_no = %d AND c.kind = 'created'`,
			l.tb.stage(), l.recordMatch("s"), l.tb.Name, l.recordMatch("d"), theirs, l.stepNo)
		if err := t.scanOne(ctx, q, nil, &reviewed, &notNew); err != nil {
			return false, fmt.Errorf("compare created %s: %w", l.tb.Name, err)
		}
		if reviewed != t.recorded[l.tb.Name].Created || notNew != 0 {
			return false, nil
		}
	}
	return true, nil
}

var errNoRow = errors.New("no row")

// scanOne runs a query with ? placeholders that gives one row, into dest.
func (t *Tx) scanOne(ctx context.Context, query string, args []any, dest ...any) error {
	rows, err := t.q.QueryContext(ctx, rebind(t.postgres, query), args...)
	if err != nil {
		return full(err)
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return err
		}
		return errNoRow
	}
	if err := rows.Scan(dest...); err != nil {
		return err
	}
	return rows.Err()
}

// Remove deletes the saved rows whose key the staged sheet lacks, and
// returns how many.
func (t *Tx) remove(ctx context.Context, l changeLayout) (int, error) {
	q := fmt.Sprintf(`DELETE FROM %s WHERE NOT EXISTS (SELECT 1 FROM %s s WHERE %s)`,
		l.tb.Name, l.tb.stage(), l.keyMatch(l.tb.Name, "s"))
	n, err := t.exec(ctx, q)
	if err != nil {
		return 0, fmt.Errorf("remove from %s: %w", l.tb.Name, err)
	}
	return n, nil
}

// Orphans finds, for a staged sheet whose missing rows are removed, the
// saved rows of another table (whose sheet was not uploaded, so they all
// stay) that refer to a removed key: one finding per removed key, with
// the first referring row's key and how many refer to it.
func (t *Tx) Orphans(ctx context.Context, sh, from *importer.Sheet, ref importer.Ref) ([]importer.Orphan, error) {
	target, child := tableOf(sh), tableOf(from)
	key := target.Key[0]
	q := fmt.Sprintf(`
		SELECT substr(c.%[1]s, 1, 201), substr(MIN(%[2]s), 1, 201), COUNT(*)
		FROM %[3]s c
		WHERE c.%[1]s IN (SELECT d.%[4]s FROM %[5]s d
			WHERE NOT EXISTS (SELECT 1 FROM %[6]s s WHERE s.%[4]s = d.%[4]s))
		GROUP BY c.%[1]s ORDER BY c.%[1]s`,
		ref.Field, t.concat("c.", child.Key), child.Name, key, target.Name, target.stage())
	rows, err := t.q.QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("check removals of %s against %s: %w", target.Name, child.Name, err)
	}
	defer rows.Close()
	var out []importer.Orphan
	for rows.Next() {
		var o importer.Orphan
		if err := rows.Scan(&o.Value, &o.Referrer, &o.Count); err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, rows.Err()
}
