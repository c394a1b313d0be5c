package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"roster/importer"
	"roster/importer/store"
	"roster/importer/store/storetest"
)

// The records of imports, on both databases.
func TestImportRecords(t *testing.T) {
	for name, open := range storetest.Databases {
		t.Run(name, func(t *testing.T) {
			st, _ := open(t)
			ctx := context.Background()
			t0 := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
			for i, state := range []importer.State{importer.Succeeded, importer.Running, importer.Queued, importer.Failed} {
				s := importer.NewStatus(fmt.Sprint("id", i), fmt.Sprint("f", i, ".xlsx"), t0.Add(time.Duration(i)*time.Minute))
				s.State, s.Problems = state, i
				if _, err := st.SaveStatus(ctx, s); err != nil {
					t.Fatal(err)
				}
			}
			// Saving again replaces state and status, not the creation.
			again := importer.NewStatus("id1", "ignored", t0)
			again.State, again.Problems = importer.Failed, 9
			if _, err := st.SaveStatus(ctx, again); err != nil {
				t.Fatal(err)
			}
			got, err := st.Status(ctx, "id1")
			if err != nil || got.State != importer.Failed || got.Problems != 9 || got.FileName != "f1.xlsx" || !got.Created.Equal(t0.Add(time.Minute)) {
				t.Errorf("Status(id1) = %+v, %v", got, err)
			}
			if _, err := st.Status(ctx, "nope"); !errors.Is(err, importer.ErrNotFound) {
				t.Errorf("Status(nope) error = %v, want ErrNotFound", err)
			}
			list, err := st.Statuses(ctx, 3)
			if err != nil || len(list) != 3 || list[0].ID != "id3" || list[2].ID != "id1" {
				t.Fatalf("Statuses(3) = %v, %v; want id3, id2, id1 (newest first)", ids(list), err)
			}
			left, err := st.StatusesIn(ctx, importer.Queued, importer.Running)
			if err != nil || len(left) != 1 || left[0].ID != "id2" {
				t.Fatalf("StatusesIn(queued, running) = %v, %v; want id2", ids(left), err)
			}

			var problems []importer.Problem
			for i := range 30 {
				problems = append(problems, importer.Problem{Sheet: "Areas", Row: i + 2, Column: "Name", Message: "required"})
			}
			problems = append(problems, importer.Problem{Sheet: "Employees", Row: 2, Column: "Email", Value: "x", Message: "bad"})
			// id2 is still running: its end is saved with its problems;
			// id3 has ended, and saving an end again is refused.
			end := left[0]
			end.State = importer.Failed
			if ok, err := st.SaveEnd(ctx, end, problems); err != nil || !ok {
				t.Fatalf("SaveEnd(id2) = %v, %v", ok, err)
			}
			if ok, err := st.SaveEnd(ctx, list[0], problems); err != nil || ok {
				t.Errorf("SaveEnd(id3, ended) = %v, %v; want refused", ok, err)
			}
			first, total, err := st.Problems(ctx, "id2", 5)
			if err != nil || total != 31 || len(first) != 6 || first[4].Row != 6 || first[5].Sheet != "Employees" {
				t.Errorf("Problems(5 a sheet) = %d of %d, %v: %+v", len(first), total, err, first)
			}
			all, _, err := st.Problems(ctx, "id2", 0)
			if err != nil || len(all) != 31 {
				t.Errorf("Problems(all) = %d, %v", len(all), err)
			}
			if err := st.Ping(ctx); err != nil {
				t.Errorf("Ping: %v", err)
			}
		})
	}
}

// Opening a database twice applies each migration once.
func TestMigrationsRunOnce(t *testing.T) {
	_, path := storetest.SQLite(t)
	st, err := store.Open(context.Background(), path)
	if err != nil {
		t.Fatalf("second open: %v", err)
	}
	st.Close()
}

func ids(list []importer.Status) []string {
	var out []string
	for _, im := range list {
		out = append(out, im.ID)
	}
	return out
}

// An export reads one snapshot: rows committed while it reads are not in it.
func TestSnapshotDoesNotSeeLaterCommits(t *testing.T) {
	for name, open := range storetest.Databases {
		t.Run(name, func(t *testing.T) {
			st, _ := open(t)
			ctx := context.Background()
			areas := importer.SheetFor(importer.StepAreas)
			count := func(sn *store.Snapshot) int {
				n := 0
				if err := sn.Each(ctx, areas, func([]string) error { n++; return nil }); err != nil {
					t.Fatal(err)
				}
				return n
			}
			err := st.Snapshot(ctx, func(sn *store.Snapshot) error {
				before := count(sn)
				tx, err := st.BeginImport(ctx)
				if err != nil {
					return err
				}
				defer tx.Rollback()
				if err := tx.Stage(ctx, areas, [][]any{{2, "N", "North"}}); err != nil {
					return err
				}
				if _, err := tx.Merge(ctx, areas, false); err != nil {
					return err
				}
				done := importer.NewStatus("commit", "areas.xlsx", time.Now())
				done.State = importer.Succeeded
				if err := tx.Commit(ctx, done); err != nil {
					return err
				}
				if after := count(sn); after != before {
					t.Errorf("the snapshot saw %d areas, then %d after another commit", before, after)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}
