package handlers_test

import (
	"bufio"
	"bytes"
	"net/http"
	"strings"
	"testing"
	"time"

	"roster/importer/workbooks"

	"github.com/PuerkitoBio/goquery"
)

func statusOf(t *testing.T, a *app, page string) (state string, ahead int, steps map[string]string) {
	t.Helper()
	st := statusJSON(t, a, page)
	steps = map[string]string{}
	for _, s := range st.Steps {
		steps[s.Key] = s.State
	}
	return st.State, st.Ahead, steps
}

func TestQueuedImportsWaitTheirTurnAndSayHowManyAreAhead(t *testing.T) {
	a := newStoppedApp(t, handlersConfig())
	first := a.upload(t, "first.xlsx", areasWorkbook(t, 3), nil).Header.Get("Location")
	second := a.upload(t, "second.xlsx", areasWorkbook(t, 4), nil).Header.Get("Location")

	if state, ahead, _ := statusOf(t, a, second); state != "queued" || ahead != 1 {
		t.Errorf("second import: %s with %d ahead, want queued with 1 ahead", state, ahead)
	}
	resp, err := a.client().Get(a.URL + second)
	if err != nil {
		t.Fatal(err)
	}
	doc, _ := goquery.NewDocumentFromReader(resp.Body)
	resp.Body.Close()
	if text := doc.Find(`[data-step="areas"]`).Text(); !strings.Contains(text, "1 import ahead") {
		t.Errorf("the queued page does not say one import is ahead: %q", text)
	}
	if !refreshes(doc) {
		t.Error("a queued import's page does not refresh itself without JavaScript")
	}

	a.start()
	for _, page := range []string{first, second} {
		events := readEvents(t, a.URL+page+"/events")
		if last := events[len(events)-1]; last.name != "done" || !strings.Contains(last.data, `data-import-state="succeeded"`) {
			t.Errorf("%s ended with %s %q", page, last.name, last.data)
		}
	}
	if got := countRows(t, a.dbPath, "areas"); got != 4 {
		t.Errorf("%d areas, want 4", got)
	}
}

func TestCancellingAQueuedImportEndsItWithNothingWritten(t *testing.T) {
	a := newStoppedApp(t, handlersConfig())
	page := a.upload(t, "areas.xlsx", areasWorkbook(t, 3), nil).Header.Get("Location")

	resp, err := a.client().Post(a.URL+page+"/cancel", "application/x-www-form-urlencoded", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != page {
		t.Errorf("cancel without htmx: %s to %q, want 303 to %s", resp.Status, resp.Header.Get("Location"), page)
	}
	a.start()
	state, _, steps := statusOf(t, a, page)
	if state != "cancelled" {
		t.Errorf("state %q, want cancelled", state)
	}
	for k, s := range steps {
		if s != "cancelled" {
			t.Errorf("step %s is %q, want cancelled", k, s)
		}
	}
	events := readEvents(t, a.URL+page+"/events")
	if len(events) != 8 || events[7].name != "done" {
		t.Errorf("the stream of an ended import sent %d events, want the 7 steps and done", len(events))
	}
	if got := countRows(t, a.dbPath, "areas"); got != 0 {
		t.Errorf("%d areas written, want none", got)
	}
	// The finished page no longer refreshes itself.
	r2, err := a.client().Get(a.URL + page)
	if err != nil {
		t.Fatal(err)
	}
	doc, _ := goquery.NewDocumentFromReader(r2.Body)
	r2.Body.Close()
	if refreshes(doc) {
		t.Error("an ended import's page still refreshes itself")
	}
	if st, _ := doc.Find("[data-import-state]").Attr("data-import-state"); st != "cancelled" {
		t.Errorf("the page shows %q, want cancelled", st)
	}
}

// refreshes tells whether a page reloads itself when JavaScript is off.
// An HTML parser with scripting on reads <noscript> as text, so the meta
// element is looked for in that text.
func refreshes(doc *goquery.Document) bool {
	found := false
	doc.Find("noscript").Each(func(_ int, s *goquery.Selection) {
		if strings.Contains(s.Text(), `http-equiv="refresh"`) {
			found = true
		}
	})
	return found || doc.Find(`meta[http-equiv="refresh"]`).Length() > 0
}

func TestCancellingARunningImportRollsItBack(t *testing.T) {
	a := newApp(t, handlersConfig())
	var book bytes.Buffer
	if err := workbooks.WriteSample(&book, workbooks.SampleOptions{Employees: 3_000, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	page := a.upload(t, "sample.xlsx", book.Bytes(), nil).Header.Get("Location")

	// Follow the stream; cancel once the schedules step runs.
	resp, err := a.client().Get(a.URL + page + "/events")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	var cancelled time.Time
	var last string
	for sc.Scan() {
		line := sc.Text()
		if cancelled.IsZero() && strings.Contains(line, `data-step="schedules" data-state="running"`) {
			r, err := a.client().Post(a.URL+page+"/cancel", "application/x-www-form-urlencoded", nil)
			if err != nil {
				t.Fatal(err)
			}
			r.Body.Close()
			cancelled = time.Now()
		}
		if strings.Contains(line, "data-import-state=") {
			last = line
		}
	}
	if cancelled.IsZero() {
		t.Fatal("the schedules step was never seen running")
	}
	t.Logf("from the cancel to the end of the stream: %s", time.Since(cancelled))
	if !strings.Contains(last, `data-import-state="cancelled"`) {
		t.Errorf("the import did not end cancelled: %s", last)
	}
	if state, _, _ := statusOf(t, a, page); state != "cancelled" {
		t.Errorf("status %s, want cancelled", state)
	}
	for _, table := range []string{"areas", "employees", "schedules"} {
		if got := countRows(t, a.dbPath, table); got != 0 {
			t.Errorf("%d %s written, want none", got, table)
		}
	}
}
