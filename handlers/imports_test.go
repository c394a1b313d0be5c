package handlers_test

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/PuerkitoBio/goquery"
	"github.com/xuri/excelize/v2"
)

func TestUploadStreamsEveryStepToDoneAndWritesTheData(t *testing.T) {
	a := newApp(t, handlersConfig())
	resp := a.upload(t, "areas.xlsx", areasWorkbook(t, 30), nil)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("upload without htmx: %s, want 303", resp.Status)
	}
	page := resp.Header.Get("Location")
	if !regexp.MustCompile(`^/imports/[A-Z2-7]{26}$`).MatchString(page) {
		t.Fatalf("redirected to %q, want /imports/{id} with a 128-bit id", page)
	}

	events := readEvents(t, a.URL+page+"/events")
	last := map[string]string{}
	var names []string
	for _, e := range events {
		names = append(names, e.name)
		if e.id == "" {
			t.Errorf("event %s has no id", e.name)
		}
		if e.name == "done" {
			continue
		}
		doc, err := goquery.NewDocumentFromReader(strings.NewReader(e.data))
		if err != nil {
			t.Fatal(err)
		}
		step := doc.Find("[data-step]")
		if key, _ := step.Attr("data-step"); key != e.name {
			t.Errorf("event %s holds step %q", e.name, key)
		}
		state, _ := step.Attr("data-state")
		last[e.name] = state
	}
	if len(names) < 8 || strings.Join(names[:7], ",") != "areas,departments,designations,employees,schedules,drivers,car-assignments" {
		t.Errorf("the stream did not start with one event per step in order: %v", names)
	}
	if names[len(names)-1] != "done" {
		t.Fatalf("the stream did not end with done: %v", names)
	}
	if last["areas"] != "done" {
		t.Errorf("areas ended %q, want done", last["areas"])
	}
	for _, k := range []string{"departments", "designations", "employees", "schedules", "drivers", "car-assignments"} {
		if last[k] != "skipped" {
			t.Errorf("%s ended %q, want skipped (its sheet is missing)", k, last[k])
		}
	}
	done := events[len(events)-1]
	doc, _ := goquery.NewDocumentFromReader(strings.NewReader(done.data))
	if st, _ := doc.Find("[data-import-state]").Attr("data-import-state"); st != "succeeded" {
		t.Errorf("done says %q, want succeeded", st)
	}
	if got := countRows(t, a.dbPath, "areas"); got != 30 {
		t.Errorf("areas in the database: %d, want 30", got)
	}

	// The status JSON agrees.
	status := statusJSON(t, a, page)
	if status.State != "succeeded" || status.FileName != "areas.xlsx" || status.Steps[0].Created != 30 || status.Steps[0].Rows != 30 {
		t.Errorf("status JSON = %+v", status)
	}
}

func TestUploadingTheSameWorkbookTwiceLeavesEverythingUnchanged(t *testing.T) {
	a := newApp(t, handlersConfig())
	book := areasWorkbook(t, 5)
	for range 2 {
		page := a.upload(t, "areas.xlsx", book, nil).Header.Get("Location")
		readEvents(t, a.URL+page+"/events")
	}
	req, _ := http.NewRequest("GET", a.URL+"/imports", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	doc, _ := goquery.NewDocumentFromReader(resp.Body)
	rows := doc.Find("table.history tbody tr")
	if rows.Length() != 2 {
		t.Fatalf("history lists %d imports, want 2", rows.Length())
	}
	// Newest first: the second import created nothing.
	cells := rows.First().Find("td")
	if created, unchanged := strings.TrimSpace(cells.Eq(5).Text()), strings.TrimSpace(cells.Eq(7).Text()); created != "0" || unchanged != "5" {
		t.Errorf("second import: created %s, unchanged %s; want 0 and 5", created, unchanged)
	}
}

func TestUploadWithHTMXAnswersWithTheConnectedPanel(t *testing.T) {
	a := newApp(t, handlersConfig())
	resp := a.upload(t, "areas.xlsx", areasWorkbook(t, 1), http.Header{"Hx-Request": {"true"}})
	if resp.StatusCode != 200 {
		t.Fatalf("status %s, want 200", resp.Status)
	}
	doc, err := goquery.NewDocumentFromReader(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	live := doc.Find("[sse-connect]")
	if live.Length() != 1 {
		t.Fatalf("the panel has %d sse-connect elements, want 1", live.Length())
	}
	if v, _ := live.Attr("sse-close"); v != "done" {
		t.Errorf("sse-close = %q, want done", v)
	}
	if steps := live.Find("[sse-swap] [data-step][data-state]"); steps.Length() != 7 {
		t.Errorf("%d steps inside sse-swap slots, want 7", steps.Length())
	}
	if live.Find(`[sse-swap="done"]`).Length() != 1 {
		t.Error("no slot for the done event")
	}
}

// notAWorkbook is what Roster says, once, about a file that is no Excel
// workbook at all.
const notAWorkbook = "This file is not an Excel workbook (.xlsx). Open it in Excel and save it as Excel Workbook."

// wantSentences checks that a message a user reads is sentences: it
// starts with a capital letter and ends with a full stop.
func wantSentences(t testing.TB, msg string) {
	t.Helper()
	first, _ := utf8.DecodeRuneInString(msg)
	if !unicode.IsUpper(first) || !strings.HasSuffix(msg, ".") {
		t.Errorf("message %q does not start with a capital letter and end with a full stop", msg)
	}
}

func TestBadUploadsAreRefusedWithTheFormAndAMessage(t *testing.T) {
	tests := []struct {
		name   string
		file   string
		body   []byte
		status int
		says   string
	}{
		{"an empty file", "empty.xlsx", nil, 400, "is empty"},
		{"a text file", "notes.xlsx", []byte("just some text, not a workbook"), 422, notAWorkbook},
		{"a zip without a workbook", "zip.xlsx", []byte("PK\x05\x06" + strings.Repeat("\x00", 18)), 422, notAWorkbook},
		{"an old .xls workbook", "old.xls", []byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + strings.Repeat("\x00", 600)), 422, notAWorkbook},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newApp(t, handlersConfig())
			resp := a.upload(t, tt.file, tt.body, nil)
			if resp.StatusCode != tt.status {
				t.Errorf("status %d, want %d", resp.StatusCode, tt.status)
			}
			doc, _ := goquery.NewDocumentFromReader(resp.Body)
			if doc.Find(`form[action="/imports"] input[type=file][name=file]`).Length() != 1 {
				t.Error("the upload form is not shown again")
			}
			msg := strings.TrimSpace(doc.Find("#upload-error").Text())
			if !strings.Contains(msg, tt.says) {
				t.Errorf("message %q does not say %q", msg, tt.says)
			}
			wantSentences(t, msg)
			if n := strings.Count(msg, "save it"); n > 1 {
				t.Errorf("message %q says to save it %d times", msg, n)
			}
			if got := countRows(t, a.dbPath, "imports"); got != 0 {
				t.Errorf("%d imports started, want none", got)
			}
		})
	}
}

func TestAnUploadOverTheLimitIsRefusedWith413(t *testing.T) {
	cfg := handlersConfig()
	cfg.MaxUpload = 1 << 10
	a := newApp(t, cfg)
	resp := a.upload(t, "big.xlsx", make([]byte, 200<<10), nil)
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("status %s, want 413", resp.Status)
	}
	body, _ := io.ReadAll(resp.Body)
	if !strings.Contains(string(body), "larger than the 1 KiB") {
		t.Errorf("the page does not say the limit: %s", body)
	}
	doc, _ := goquery.NewDocumentFromReader(bytes.NewReader(body))
	wantSentences(t, strings.TrimSpace(doc.Find("#upload-error").Text()))
}

func TestAWorkbookThatUnpacksToMoreThan1GiBIsRefusedWith413(t *testing.T) {
	a := newApp(t, handlersConfig())
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, name := range []string{"xl/workbook.xml", "xl/worksheets/sheet1.xml", "xl/worksheets/sheet2.xml"} {
		// The directory declares 600 MiB a part; nothing is unpacked.
		if _, err := zw.CreateRaw(&zip.FileHeader{Name: name, Method: zip.Store, UncompressedSize64: 600 << 20}); err != nil {
			t.Fatal(err)
		}
	}
	zw.Close()
	resp := a.upload(t, "bomb.xlsx", buf.Bytes(), nil)
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("status %s, want 413", resp.Status)
	}
	doc, _ := goquery.NewDocumentFromReader(resp.Body)
	if msg := doc.Find("#upload-error").Text(); !strings.Contains(msg, "unpacks to more than 1 GiB") {
		t.Errorf("message %q does not say the limit", msg)
	}
	if got := countRows(t, a.dbPath, "imports"); got != 0 {
		t.Errorf("%d imports started, want none", got)
	}
}

func TestPagesCarryTheSecurityHeaders(t *testing.T) {
	a := newApp(t, handlersConfig())
	for _, path := range []string{"/", "/imports", "/imports/nope"} {
		resp, err := http.Get(a.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		csp := resp.Header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "default-src 'self'") || strings.Contains(csp, "unsafe-") {
			t.Errorf("%s: CSP %q", path, csp)
		}
		if resp.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: no nosniff", path)
		}
	}
}

func TestCrossSitePostsAreRefused(t *testing.T) {
	a := newApp(t, handlersConfig())
	tests := []struct {
		name   string
		header http.Header
	}{
		{"a browser marks it cross-site", http.Header{"Sec-Fetch-Site": {"cross-site"}}},
		{"it comes from a foreign origin", http.Header{"Origin": {"https://evil.example"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := a.upload(t, "areas.xlsx", areasWorkbook(t, 1), tt.header)
			if resp.StatusCode != http.StatusForbidden {
				t.Errorf("status %s, want 403", resp.Status)
			}
		})
	}
	if got := countRows(t, a.dbPath, "imports"); got != 0 {
		t.Errorf("%d imports started, want none", got)
	}
}

func TestUnknownImportIs404(t *testing.T) {
	a := newApp(t, handlersConfig())
	for _, path := range []string{"/imports/XYZ", "/imports/XYZ/events", "/imports/XYZ/problems.xlsx"} {
		resp, err := http.Get(a.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 404 {
			t.Errorf("%s: %s, want 404", path, resp.Status)
		}
	}
}

func TestHealthz(t *testing.T) {
	a := newApp(t, handlersConfig())
	resp, err := http.Get(a.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || strings.TrimSpace(string(body)) != "ok" {
		t.Errorf("healthz: %s %q", resp.Status, body)
	}
}

func TestAFailedImportListsTheFirstProblemsOfEachSheetAndOffersThemAll(t *testing.T) {
	a := newApp(t, handlersConfig())
	areas := [][]any{{"Code", "Name"}}
	for i := range 30 {
		areas = append(areas, []any{fmt.Sprintf("A%02d", i), ""})
	}
	designations := [][]any{{"Code", "Title"}}
	for i := range 5 {
		designations = append(designations, []any{fmt.Sprintf("D%d", i), ""})
	}
	book := workbook(t, map[string][][]any{"Areas": areas, "Designations": designations}, "Areas", "Designations")
	page := a.upload(t, "bad.xlsx", book, nil).Header.Get("Location")
	events := readEvents(t, a.URL+page+"/events")
	if done := events[len(events)-1]; !strings.Contains(done.data, `data-import-state="failed"`) || !strings.Contains(done.data, "35 problems") {
		t.Errorf("done does not say the import failed with 35 problems: %s", done.data)
	}

	resp, err := http.Get(a.URL + page)
	if err != nil {
		t.Fatal(err)
	}
	doc, _ := goquery.NewDocumentFromReader(resp.Body)
	resp.Body.Close()
	perSheet := map[string]int{}
	doc.Find("table.problems tbody tr").Each(func(_ int, tr *goquery.Selection) {
		perSheet[strings.TrimSpace(tr.Find("td").First().Text())]++
	})
	if perSheet["Areas"] != 20 || perSheet["Designations"] != 5 {
		t.Errorf("the page lists %v problems per sheet, want the first 20 of Areas and all 5 of Designations", perSheet)
	}
	link, ok := doc.Find(`a[href$="/problems.xlsx"]`).Attr("href")
	if !ok {
		t.Fatal("no link to the problems workbook")
	}

	dl, err := http.Get(a.URL + link)
	if err != nil {
		t.Fatal(err)
	}
	defer dl.Body.Close()
	if dl.StatusCode != 200 || !strings.Contains(dl.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("download: %s %q", dl.Status, dl.Header.Get("Content-Disposition"))
	}
	f, err := excelize.OpenReader(dl.Body)
	if err != nil {
		t.Fatalf("the problems workbook does not open: %v", err)
	}
	defer f.Close()
	rows, _ := f.GetRows("Problems")
	if len(rows) != 36 || f.GetSheetList()[0] != "Problems" {
		t.Errorf("the Problems sheet has %d rows (sheets %v), want a header and 35 problems first", len(rows), f.GetSheetList())
	}
}

func TestTemplateAndExportDownloadAsWorkbooks(t *testing.T) {
	a := newApp(t, handlersConfig())
	readEvents(t, a.URL+a.upload(t, "areas.xlsx", areasWorkbook(t, 3), nil).Header.Get("Location")+"/events")
	for path, wantRows := range map[string]int{"/template.xlsx": 1, "/export.xlsx": 4} {
		resp, err := http.Get(a.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		f, err := excelize.OpenReader(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatalf("%s does not open: %v", path, err)
		}
		rows, _ := f.GetRows("Areas")
		sheets := f.GetSheetList()
		if path == "/template.xlsx" && len(sheets) > 0 && sheets[0] == "Read me" {
			sheets = sheets[1:] // how to fill it in
		}
		if len(sheets) != 7 || len(rows) != wantRows {
			t.Errorf("%s: sheets %v, %d Areas rows; want the 7 sheets and %d rows", path, f.GetSheetList(), len(rows), wantRows)
		}
		f.Close()
	}
}

func TestCellsCannotFrameEventsOrInjectHTML(t *testing.T) {
	a := newApp(t, handlersConfig())
	evil := "X\r\n\r\nevent: done\r\ndata: <script>alert(1)</script>\n\nid: 99\rretry: 1"
	book := workbook(t, map[string][][]any{"Areas": {{"Code", "Name"}, {evil, "One"}, {evil, "Two"}}}, "Areas")
	page := a.upload(t, "evil.xlsx", book, nil).Header.Get("Location")
	events := readEvents(t, a.URL+page+"/events")
	dones := 0
	for _, e := range events {
		switch e.name {
		case "done":
			dones++
		case "areas", "departments", "designations", "employees", "schedules", "drivers", "car-assignments":
		default:
			t.Errorf("an event named %q came out of the stream", e.name)
		}
	}
	last := events[len(events)-1]
	if dones != 1 || last.name != "done" {
		t.Fatalf("%d done events, last %q; want exactly one, at the end", dones, last.name)
	}
	if strings.Contains(last.data, "<script>") || !strings.Contains(last.data, "&lt;script&gt;") {
		t.Errorf("the repeated code is not escaped in the done fragment: %s", last.data)
	}
	if !strings.Contains(last.data, `data-import-state="failed"`) {
		t.Errorf("the import did not fail on the repeated code: %s", last.data)
	}
}
