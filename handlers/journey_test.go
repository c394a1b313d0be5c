package handlers_test

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"roster/importer/store/storetest"
	"roster/importer/workbooks"
)

// TestTheWholeJourney is what an office user does, on each database: a
// sample with mistakes fails with every problem listed and downloadable;
// the clean workbook imports; its export imports again with nothing
// changed.
func TestTheWholeJourney(t *testing.T) {
	for name, open := range storetest.Databases {
		t.Run(name, func(t *testing.T) {
			st, path := open(t)
			a := serve(t, st, path, handlersConfig())
			a.start()

			bad := sample(t, 12)
			page := a.upload(t, "staff.xlsx", bad, nil).Header.Get("Location")
			if done := lastEvent(t, a, page); !strings.Contains(done, `data-import-state="failed"`) || !strings.Contains(done, "12 problems") {
				t.Fatalf("a sample with 12 bad cells ended: %s", done)
			}
			resp, err := a.client().Get(a.URL + page + "/problems.xlsx")
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Errorf("problems workbook: %s", resp.Status)
			}

			page = a.upload(t, "staff.xlsx", sample(t, 0), nil).Header.Get("Location")
			if done := lastEvent(t, a, page); !strings.Contains(done, `data-import-state="succeeded"`) {
				t.Fatalf("the clean sample ended: %s", done)
			}
			first := stepsOf(t, a, page)
			if first["employees"].Created != 300 || first["schedules"].Created == 0 {
				t.Errorf("the clean sample created %+v", first)
			}

			export := get(t, a.URL+"/export.xlsx")
			page = a.upload(t, "export.xlsx", export, nil).Header.Get("Location")
			if done := lastEvent(t, a, page); !strings.Contains(done, `data-import-state="succeeded"`) {
				t.Fatalf("the export ended: %s", done)
			}
			for key, s := range stepsOf(t, a, page) {
				if s.Created != 0 || s.Updated != 0 || s.Unchanged != first[key].Created {
					t.Errorf("re-importing the export, %s: %+v; want all %d unchanged", key, s, first[key].Created)
				}
			}
		})
	}
}

func sample(t *testing.T, errors int) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := workbooks.WriteSample(&buf, workbooks.SampleOptions{Employees: 300, Errors: errors, Seed: 7}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func lastEvent(t *testing.T, a *app, page string) string {
	t.Helper()
	events := readEvents(t, a.URL+page+"/events")
	return events[len(events)-1].data
}

func get(t *testing.T, url string) []byte {
	t.Helper()
	resp, err := clientFor(url).Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET %s: %s %v", url, resp.Status, err)
	}
	return body
}

type stepCounts struct{ Created, Updated, Unchanged int }

func stepsOf(t *testing.T, a *app, page string) map[string]stepCounts {
	t.Helper()
	out := map[string]stepCounts{}
	for _, s := range statusJSON(t, a, page).Steps {
		out[s.Key] = stepCounts{s.Created, s.Updated, s.Unchanged}
	}
	return out
}
