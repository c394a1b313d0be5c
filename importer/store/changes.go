package store

import (
	"context"
	"fmt"
	"strings"

	"roster/importer"
)

// The change records of imports (migration 003): what each import created,
// updated and removed, row by row, with the values before and after. An
// import writes them in its own transaction, by comparing its staged rows
// with the saved ones just before its merge; a review writes them instead
// of merging; an undo writes the mirror image of its target's. They are
// the change lists users read, what a confirm compares with its review,
// and what an undo puts back.

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
	m := make([]string, len(l.tb.Key))
	for i, k := range l.tb.Key {
		m[i] = alias + "." + k + " = c." + l.keyCol[k]
	}
	return strings.Join(m, " AND ")
}

const changeColumns = "change_set, step_no, kind, key_1, key_2, key_3"

// changeSet is the number of an import's change set, from its id (the
// one ? of the fragment): an uncorrelated subquery, computed once.
const changeSet = "(SELECT change_set FROM import_change_sets WHERE import_id = ?)"

// newChangeSet numbers the change set of an import, once.
func (t *Tx) newChangeSet(ctx context.Context, id string) error {
	_, err := t.exec(ctx, `INSERT INTO import_change_sets (import_id) VALUES (?) ON CONFLICT (import_id) DO NOTHING`, id)
	if err != nil {
		return fmt.Errorf("number the changes: %w", err)
	}
	return nil
}

// Record saves the change records of a staged sheet: every staged row
// whose key is new (created), every saved row whose values the staged
// row changes (updated, with its old and new values) and, when removing,
// every saved row whose key the sheet lacks (removed, with its values).
// It writes only import_changes, and returns the counts.
func (t *Tx) Record(ctx context.Context, sh *importer.Sheet, id string, removing bool) (importer.Counts, error) {
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
	created := fmt.Sprintf(`
		INSERT INTO import_changes (%s)
		SELECT %s, ?, 'created', %s FROM %s s
		WHERE NOT EXISTS (SELECT 1 FROM %s d WHERE %s)`,
		changeColumns, changeSet, l.keyList("s"), l.tb.stage(), l.tb.Name, l.keyMatch("d", "s"))
	var c importer.Counts
	var err error
	if c.Created, err = t.exec(ctx, created, id, l.stepNo); err != nil {
		return c, fmt.Errorf("record created %s: %w", l.tb.Name, err)
	}
	if len(differs) > 0 {
		updated := fmt.Sprintf(`
			INSERT INTO import_changes (%s, %s, %s)
			SELECT %s, ?, 'updated', %s, %s, %s FROM %s s JOIN %s d ON %s
			WHERE %s`,
			changeColumns, l.valueCols("old"), l.valueCols("new"), changeSet,
			l.keyList("s"), l.values("d"), l.values("s"), l.tb.stage(), l.tb.Name, l.keyMatch("d", "s"),
			strings.Join(differs, " OR "))
		if c.Updated, err = t.exec(ctx, updated, id, l.stepNo); err != nil {
			return c, fmt.Errorf("record updated %s: %w", l.tb.Name, err)
		}
	}
	if removing {
		removed := fmt.Sprintf(`
			INSERT INTO import_changes (%s, %s)
			SELECT %s, ?, 'removed', %s, %s FROM %s d
			WHERE NOT EXISTS (SELECT 1 FROM %s s WHERE %s)`,
			changeColumns, l.valueCols("old"), changeSet, l.keyList("d"), l.values("d"), l.tb.Name, l.tb.stage(), l.keyMatch("d", "s"))
		if c.Removed, err = t.exec(ctx, removed, id, l.stepNo); err != nil {
			return c, fmt.Errorf("record removed %s: %w", l.tb.Name, err)
		}
	}
	if t.recorded == nil {
		t.recorded, t.allNew = map[string]importer.Counts{}, map[string]bool{}
	}
	t.recorded[l.tb.Name] = c
	if c.Created > 0 {
		var staged int
		rows, err := t.q.QueryContext(ctx, "SELECT COUNT(*) FROM "+l.tb.stage())
		if err != nil {
			return c, fmt.Errorf("count staged %s: %w", l.tb.Name, err)
		}
		for rows.Next() {
			err = rows.Scan(&staged)
		}
		rows.Close()
		if err != nil {
			return c, err
		}
		t.allNew[l.tb.Name] = staged == c.Created
	}
	return c, nil
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

// SameChanges reports whether two imports' change records are the same
// set: as many, and none of one missing from the other (EXCEPT compares
// NULLs as equal).
func (t *Tx) SameChanges(ctx context.Context, id, other string) (bool, error) {
	var a, b, missing int
	q := rebind(t.postgres, `SELECT
		(SELECT COUNT(*) FROM import_changes WHERE change_set = `+changeSet+`),
		(SELECT COUNT(*) FROM import_changes WHERE change_set = `+changeSet+`),
		(SELECT COUNT(*) FROM (
			SELECT `+allChangeColumns+` FROM import_changes WHERE change_set = `+changeSet+`
			EXCEPT
			SELECT `+allChangeColumns+` FROM import_changes WHERE change_set = `+changeSet+`) x)`)
	rows, err := t.q.QueryContext(ctx, q, id, other, other, id)
	if err != nil {
		return false, fmt.Errorf("compare changes: %w", err)
	}
	defer rows.Close()
	if !rows.Next() {
		return false, fmt.Errorf("compare changes: %w", rows.Err())
	}
	if err := rows.Scan(&a, &b, &missing); err != nil {
		return false, err
	}
	return a == b && missing == 0, rows.Err()
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
