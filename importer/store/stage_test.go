package store_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"roster/importer"
	"roster/importer/store"
	"roster/importer/store/storetest"
)

// Rows arrive in batches, some of them empty, sheet after sheet; on
// PostgreSQL one COPY a sheet takes them (an empty batch once left the
// COPY waiting for ever).
func TestStagingInBatches(t *testing.T) {
	for name, open := range storetest.Databases {
		t.Run(name, func(t *testing.T) {
			st, _ := open(t)
			ctx := t.Context()
			areas := importer.SheetFor(importer.StepAreas)
			departments := importer.SheetFor(importer.StepDepartments)
			tx, err := st.BeginImport(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer tx.Rollback()
			for _, b := range []struct {
				sheet *importer.Sheet
				rows  [][]any
			}{
				{areas, nil},
				{areas, [][]any{{2, "N", "North"}, {3, "S", "South"}}},
				{areas, [][]any{}},
				{areas, [][]any{{4, "E", "East \\N\t\"x\""}}},
				{departments, [][]any{{2, "D1", "Ops", "N"}}},
				{departments, nil},
			} {
				if err := tx.Stage(ctx, b.sheet, b.rows); err != nil {
					t.Fatal(err)
				}
			}
			saveSucceeded(t, tx, "batches", areas, departments)
			want := [][]string{{"E", "East \\N\t\"x\""}, {"N", "North"}, {"S", "South"}}
			if got := saved(t, st, areas); !slices.EqualFunc(got, want, slices.Equal) {
				t.Errorf("areas saved: %q, want %q", got, want)
			}
			if got := saved(t, st, departments); len(got) != 1 {
				t.Errorf("departments saved: %q, want D1", got)
			}
		})
	}
}

// A rollback in the middle of a sheet's staging (on PostgreSQL, with its
// COPY open) leaves nothing, and the database serves the next import.
func TestRollbackWhileStaging(t *testing.T) {
	for name, open := range storetest.Databases {
		t.Run(name, func(t *testing.T) {
			st, _ := open(t)
			ctx := t.Context()
			areas := importer.SheetFor(importer.StepAreas)
			for _, commit := range []bool{false, true} {
				tx, err := st.BeginImport(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if err := tx.Stage(ctx, areas, [][]any{{2, "N", "North"}}); err != nil {
					t.Fatal(err)
				}
				if !commit {
					if err := tx.Rollback(); err != nil {
						t.Fatal(err)
					}
					if got := saved(t, st, areas); len(got) != 0 {
						t.Fatalf("after the rollback the areas are %q, want none", got)
					}
					continue
				}
				saveSucceeded(t, tx, "after", areas)
			}
			if got := saved(t, st, areas); len(got) != 1 {
				t.Errorf("the import after the rollback saved %q, want N", got)
			}
		})
	}
}

// saved is the rows of a sheet's table, in the order of its key.
// saveSucceeded saves the staged sheets as an import does: records, then
// merges them, and commits a succeeded import of that id.
func saveSucceeded(t *testing.T, tx importer.Tx, id string, sheets ...*importer.Sheet) {
	t.Helper()
	for _, sh := range sheets {
		if _, err := tx.Record(t.Context(), sh, id, false, false); err != nil {
			t.Fatal(err)
		}
	}
	for _, sh := range sheets {
		if _, err := tx.Merge(t.Context(), sh, false); err != nil {
			t.Fatal(err)
		}
	}
	done := importer.NewStatus(id, "book.xlsx", time.Now())
	done.State = importer.Succeeded
	if err := tx.Commit(t.Context(), done); err != nil {
		t.Fatal(err)
	}
}

func saved(t *testing.T, st *store.Store, sh *importer.Sheet) [][]string {
	t.Helper()
	var rows [][]string
	err := st.Snapshot(context.Background(), func(sn *store.Snapshot) error {
		return sn.Each(context.Background(), sh, func(r []string) error {
			rows = append(rows, append([]string(nil), r...))
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return rows
}
