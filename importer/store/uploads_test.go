package store_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"roster/importer"
	"roster/importer/store/storetest"
)

// TestStaleUploadsKeepReviewsAndFreshOnes sweeps the kept uploads (as
// Shared does daily): a review's is kept until reviewsSince passes its
// creation, and an upload whose import is not recorded yet (it is being
// queued) is kept for its first hour.
func TestStaleUploadsKeepReviewsAndFreshOnes(t *testing.T) {
	for name, open := range storetest.Databases {
		t.Run(name, func(t *testing.T) {
			st, _ := open(t)
			ctx := context.Background()
			now := time.Now()
			review := importer.NewStatus("review", "r.xlsx", now.Add(-time.Hour))
			review.State, review.Review = importer.Reviewed, true
			if _, err := st.SaveStatus(ctx, importer.NewStatus("review", "r.xlsx", now.Add(-time.Hour))); err != nil {
				t.Fatal(err)
			}
			if _, err := st.SaveStatusIf(ctx, review, importer.Queued); err != nil {
				t.Fatal(err)
			}
			for _, id := range []string{"review", "queuing"} {
				if err := st.SaveUpload(ctx, id, bytes.NewReader([]byte("xlsx"))); err != nil {
					t.Fatal(err)
				}
			}
			has := func(id string) bool {
				err := st.CopyUpload(ctx, id, &bytes.Buffer{})
				return err == nil
			}
			if _, err := st.DeleteStaleUploads(ctx, now, now.Add(-7*24*time.Hour)); err != nil {
				t.Fatal(err)
			}
			if !has("review") || !has("queuing") {
				t.Fatalf("swept too early: review kept %v, upload being queued kept %v", has("review"), has("queuing"))
			}
			if _, err := st.DeleteStaleUploads(ctx, now, now); err != nil {
				t.Fatal(err)
			}
			if has("review") {
				t.Error("a review's upload was kept past its time")
			}
		})
	}
}
