package handlers_test

// Contract section 8 over HTTP: the upload's options, a review and its
// confirmation, undo, the change lists and changes.xlsx, the 409s.

import (
	"bytes"
	"database/sql"
	"io"
	"mime/multipart"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/xuri/excelize/v2"
)

// formPart is one part of a multipart form: a field, or the file when
// file is set.
type formPart struct {
	name, value string
	file        []byte
}

// postParts posts a multipart form to /imports with the parts in the
// order given, as a script or an odd browser might send them.
func postParts(t testing.TB, a *app, parts []formPart, header http.Header) *http.Response {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, p := range parts {
		if p.file != nil {
			fw, err := mw.CreateFormFile(p.name, p.value)
			if err != nil {
				t.Fatal(err)
			}
			fw.Write(p.file)
			continue
		}
		if err := mw.WriteField(p.name, p.value); err != nil {
			t.Fatal(err)
		}
	}
	mw.Close()
	req, err := http.NewRequest("POST", a.URL+"/imports", &buf)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := a.client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// reviewUpload uploads a workbook as the upload form does with "Review
// the changes before saving" ticked, and with removeMissing the other box.
func reviewUpload(t testing.TB, a *app, name string, book []byte, removeMissing bool) string {
	t.Helper()
	parts := []formPart{{name: "review", value: "1"}, {name: "file", value: name, file: book}}
	if removeMissing {
		parts = append(parts, formPart{name: "remove_missing", value: "1"})
	}
	resp := postParts(t, a, parts, nil)
	if resp.StatusCode != http.StatusSeeOther {
		body, _ := io.ReadAll(resp.Body)
		t.Fatalf("review upload: %s: %s", resp.Status, body)
	}
	return resp.Header.Get("Location")
}

// post posts an empty form, as the page's buttons do.
func post(t testing.TB, a *app, path string, header http.Header) *http.Response {
	t.Helper()
	req, err := http.NewRequest("POST", a.URL+path, strings.NewReader(""))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := a.client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// getPage gets a page and parses it.
func getPage(t testing.TB, a *app, path string) *goquery.Document {
	t.Helper()
	resp, err := a.client().Get(a.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %s", path, resp.Status)
	}
	doc, err := goquery.NewDocumentFromReader(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// ended waits for an import to end by reading its event stream, and
// returns the state its done event says.
func ended(t *testing.T, a *app, page string) string {
	t.Helper()
	events := readEvents(t, a.URL+page+"/events")
	if len(events) < 8 || events[len(events)-1].name != "done" {
		t.Fatalf("the stream of %s sent %d events, the last %+v; want the steps, then done", page, len(events), events[len(events)-1])
	}
	for i, k := range stepKeys() {
		if events[i].name != k {
			t.Errorf("the stream of %s began with %s at %d, want %s", page, events[i].name, i, k)
		}
	}
	// Section 5 holds for reviews, confirms and undos as for any import.
	for _, e := range events {
		if e.id == "" || (e.name != "done" && !slices.Contains(stepKeys(), e.name)) {
			t.Errorf("the stream of %s sent an event %q with id %q", page, e.name, e.id)
		}
	}
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(events[len(events)-1].data))
	if err != nil {
		t.Fatal(err)
	}
	state, _ := doc.Find("[data-import-state]").Attr("data-import-state")
	return state
}

func text(s *goquery.Selection) string { return strings.Join(strings.Fields(s.Text()), " ") }

func texts(s *goquery.Selection) []string {
	var out []string
	s.Each(func(_ int, s *goquery.Selection) { out = append(out, text(s)) })
	return out
}

// areaNames reads the areas table: code → name.
func areaNames(t *testing.T, dbPath string) map[string]string {
	t.Helper()
	db, err := sql.Open("sqlite", dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query("SELECT code, name FROM areas")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var code, name string
		if err := rows.Scan(&code, &name); err != nil {
			t.Fatal(err)
		}
		out[code] = name
	}
	return out
}

func areasBook(t testing.TB, rows ...[]any) []byte {
	return workbook(t, map[string][][]any{"Areas": append([][]any{{"Code", "Name"}}, rows...)}, "Areas")
}

func TestTheUploadOptionsAreReadBeforeOrAfterTheFile(t *testing.T) {
	a := newStoppedApp(t, handlersConfig()) // the imports wait: only their options are read
	book := areasWorkbook(t, 2)
	file := formPart{name: "file", value: "areas.xlsx", file: book}
	review, remove := formPart{name: "review", value: "1"}, formPart{name: "remove_missing", value: "1"}
	other := formPart{name: "comment", value: "ignored"}
	tests := []struct {
		name                  string
		parts                 []formPart
		review, removeMissing bool
	}{
		{"before the file", []formPart{review, remove, file}, true, true},
		{"after the file", []formPart{file, review, remove}, true, true},
		{"around the file", []formPart{remove, other, file, review}, true, true},
		{"review alone, after", []formPart{file, review}, true, false},
		{"removal alone, before", []formPart{remove, file}, false, true},
		{"none, as scripts send", []formPart{file}, false, false},
		{"unticked values", []formPart{{name: "review", value: "0"}, file, {name: "remove_missing", value: ""}}, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := postParts(t, a, tt.parts, nil)
			if resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("%s, want 303", resp.Status)
			}
			st := statusJSON(t, a, resp.Header.Get("Location"))
			if st.Review != tt.review || st.RemoveMissing != tt.removeMissing || st.FileName != "areas.xlsx" {
				t.Errorf("status JSON: review %v, remove_missing %v, file %q; want %v, %v, areas.xlsx",
					st.Review, st.RemoveMissing, st.FileName, tt.review, tt.removeMissing)
			}
		})
	}
}

func TestTheUploadPageOffersReviewTickedAndRemovalUnticked(t *testing.T) {
	a := newApp(t, handlersConfig())
	doc := getPage(t, a, "/")
	form := doc.Find(`form[action="/imports"][enctype="multipart/form-data"]`)
	for _, box := range []struct {
		name, label string
		checked     bool
	}{
		{"review", "Review the changes before saving", true},
		{"remove_missing", "Remove rows that are not in the workbook", false},
	} {
		input := form.Find(`input[type=checkbox][name="` + box.name + `"][value="1"]`)
		if input.Length() != 1 {
			t.Errorf("the form has no checkbox %s with value 1", box.name)
			continue
		}
		if _, checked := input.Attr("checked"); checked != box.checked {
			t.Errorf("%s is checked: %v, want %v", box.name, checked, box.checked)
		}
		id, _ := input.Attr("id")
		if got := text(form.Find(`label[for="` + id + `"]`)); got != box.label {
			t.Errorf("the label of %s says %q, want %q", box.name, got, box.label)
		}
	}
}

func TestARefusedUploadKeepsTheOptionsAsSent(t *testing.T) {
	a := newApp(t, handlersConfig())
	// The file is empty and refused; the box after it still counts.
	resp := postParts(t, a, []formPart{{name: "file", value: "empty.xlsx", file: []byte{}}, {name: "remove_missing", value: "1"}}, nil)
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("%s, want 400", resp.Status)
	}
	doc, _ := goquery.NewDocumentFromReader(resp.Body)
	if _, on := doc.Find(`input[name=review]`).Attr("checked"); on {
		t.Error("review is ticked again, though the form was sent without it")
	}
	if _, on := doc.Find(`input[name=remove_missing]`).Attr("checked"); !on {
		t.Error("remove_missing is not ticked again, though the form was sent with it")
	}
	if msg := doc.Find("#upload-error").Text(); !strings.Contains(msg, "is empty") {
		t.Errorf("message %q", msg)
	}
}

// hostileName is a cell that must stay text on every page.
const hostileName = `<img src=x onerror=alert(1)>`

func TestAReviewListsTheChangesWritesNothingAndIsSavedOnce(t *testing.T) {
	a := newApp(t, handlersConfig())
	first := a.upload(t, "first.xlsx", areasBook(t, []any{"A1", "Area 1"}, []any{"A2", "Area 2"}, []any{"A3", "Area 3"}), nil).Header.Get("Location")
	if got := ended(t, a, first); got != "succeeded" {
		t.Fatalf("the first import ended %s", got)
	}

	// Keep A1, rename A2, leave out A3, add A4; remove what is missing.
	review := reviewUpload(t, a, "second.xlsx", areasBook(t, []any{"A1", "Area 1"}, []any{"A2", hostileName}, []any{"A4", "Area 4"}), true)
	if got := ended(t, a, review); got != "reviewed" {
		t.Fatalf("the review ended %s, want reviewed", got)
	}
	st := statusJSON(t, a, review)
	areas := st.Steps[0]
	if st.State != "reviewed" || !st.Review || !st.RemoveMissing || areas.Created != 1 || areas.Updated != 1 || areas.Unchanged != 1 || areas.Removed != 1 {
		t.Errorf("the review's status JSON: %+v", st)
	}
	want := map[string]string{"A1": "Area 1", "A2": "Area 2", "A3": "Area 3"}
	if got := areaNames(t, a.dbPath); !mapsEqual(got, want) {
		t.Fatalf("after the review the areas are %v, want them untouched: %v", got, want)
	}

	doc := getPage(t, a, review)
	if got := text(doc.Find("h1")); got != "Review of second.xlsx" {
		t.Errorf("the review's page is headed %q", got)
	}
	summary := text(doc.Find(`#summary [data-import-state="reviewed"]`))
	if !strings.Contains(summary, "nothing has been saved yet") || !strings.Contains(summary, "1 to create, 1 to update, 1 to remove") {
		t.Errorf("the review's summary says %q", summary)
	}
	if got := text(doc.Find(`[data-step="areas"] .removed`)); got != "1 to remove" {
		t.Errorf("the areas step says %q, want 1 to remove", got)
	}
	confirm := doc.Find(`form[method=post][action="` + review + `/confirm"]`)
	if confirm.Length() != 1 || text(confirm.Find("button")) != "Save these changes" {
		t.Errorf("the review's page has no Save button posting to %s/confirm", review)
	}
	checkChangeLists(t, doc, review)

	// changes.xlsx lists the same.
	resp, err := a.client().Get(a.URL + review + "/changes.xlsx")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Disposition"), `filename="changes.xlsx"`) {
		t.Fatalf("GET changes.xlsx: %s, Content-Disposition %q", resp.Status, resp.Header.Get("Content-Disposition"))
	}
	checkChangesWorkbook(t, body)

	// Saving writes exactly those changes, as a new import.
	resp = post(t, a, review+"/confirm", nil)
	saved := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(saved, "/imports/") || saved == review {
		t.Fatalf("confirm: %s to %q, want 303 to a new import", resp.Status, saved)
	}
	if got := ended(t, a, saved); got != "succeeded" {
		t.Fatalf("the confirmed import ended %s", got)
	}
	want = map[string]string{"A1": "Area 1", "A2": hostileName, "A4": "Area 4"}
	if got := areaNames(t, a.dbPath); !mapsEqual(got, want) {
		t.Errorf("after saving the areas are %v, want %v", got, want)
	}
	if s := statusJSON(t, a, saved); "/imports/"+s.Confirms != review {
		t.Errorf("the saving import's confirms = %q, want the review %s", s.Confirms, review)
	}
	if s := statusJSON(t, a, review); "/imports/"+s.ConfirmedIn != saved {
		t.Errorf("the review's confirmed_in = %q, want %s", s.ConfirmedIn, saved)
	}

	// A second save is refused, with a link to the first, with or without htmx.
	for _, header := range []http.Header{nil, {"Hx-Request": {"true"}}} {
		resp = post(t, a, review+"/confirm", header)
		if resp.StatusCode != http.StatusConflict {
			t.Errorf("confirm again (htmx %v): %s, want 409", header != nil, resp.Status)
		}
		page, _ := goquery.NewDocumentFromReader(resp.Body)
		if page.Find(`a[href="`+saved+`"]`).Length() != 1 {
			t.Errorf("the 409 (htmx %v) has no link to the import that saved the review: %s", header != nil, text(page.Find("body")))
		}
		if htmx := header != nil; htmx == (page.Find("header.site").Length() > 0) {
			t.Errorf("the 409 with htmx %v: a whole page %v; want a whole page without htmx, the panel alone with it", htmx, !htmx)
		}
	}
	if got := countRows(t, a.dbPath, "imports"); got != 3 {
		t.Errorf("%d imports, want 3: a refused confirm starts none", got)
	}

	// The review now links to the import that saved it, and offers no Save;
	// the import links back to its review and lists what it changed.
	doc = getPage(t, a, review)
	if doc.Find(`form[action$="/confirm"]`).Length() != 0 {
		t.Error("a saved review still offers Save")
	}
	if link := doc.Find(`.import-links a[href="` + saved + `"]`); link.Length() != 1 {
		t.Errorf("the saved review does not link to the import that saved it")
	}
	doc = getPage(t, a, saved)
	if doc.Find(`.import-links a[href="`+review+`"]`).Length() != 1 {
		t.Errorf("the saving import does not link to its review")
	}
	checkChangeLists(t, doc, saved)

	// The history says it in words, with the same links.
	history := getPage(t, a, "/imports").Find(`table.history tbody tr`)
	reviewRow := history.FilterFunction(func(_ int, r *goquery.Selection) bool {
		return r.Find(`a[href="`+review+`"]`).Length() > 0 && r.AttrOr("data-import-state", "") == "reviewed"
	})
	if got := text(reviewRow.Find("td").Eq(1)); got != "Checked, then saved Saved by second.xlsx" || reviewRow.Find(`.history-link a[href="`+saved+`"]`).Length() != 1 {
		t.Errorf("the history's row of the review says %q", got)
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// checkChangeLists checks the page's lists of the second workbook's
// changes: A4 created, A2's name changed to the hostile cell (as text),
// A3 removed, and the link to every change.
func checkChangeLists(t *testing.T, doc *goquery.Document, page string) {
	t.Helper()
	step := doc.Find(`#summary [data-changes-step="areas"]`)
	if got := texts(step.Find(`[data-change="created"] li`)); !slices.Equal(got, []string{"A4"}) {
		t.Errorf("%s: created %q, want A4", page, got)
	}
	if got := texts(step.Find(`[data-change="removed"] li`)); !slices.Equal(got, []string{"A3"}) {
		t.Errorf("%s: removed %q, want A3", page, got)
	}
	updated := step.Find(`[data-change="updated"] > li`)
	if got := text(updated.Find(".change-key")); got != "A2" {
		t.Errorf("%s: updated %q, want A2", page, got)
	}
	cell := updated.Find(".changed-cells li")
	if text(cell.Find(".column")) != "Name:" || text(cell.Find(".old")) != "Area 2" || text(cell.Find(".new")) != hostileName {
		t.Errorf("%s: the changed cell reads %q", page, text(cell))
	}
	if doc.Find("img").Length() != 0 {
		t.Errorf("%s: a cell became an element", page)
	}
	if doc.Find(`#summary a[href="`+page+`/changes.xlsx"]`).Length() != 1 {
		t.Errorf("%s: no link to changes.xlsx", page)
	}
	if doc.Find(`[data-changes-step="departments"]`).Length() != 0 {
		t.Errorf("%s: a step without changes is listed", page)
	}
}

// checkChangesWorkbook checks changes.xlsx of the second workbook: a sheet
// Areas, first column Change, then the key.
func checkChangesWorkbook(t *testing.T, body []byte) {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("changes.xlsx does not open: %v", err)
	}
	defer f.Close()
	rows, err := f.GetRows("Areas")
	if err != nil {
		t.Fatalf("changes.xlsx: %v (sheets %v)", err, f.GetSheetList())
	}
	if len(rows) == 0 || len(rows[0]) < 2 || rows[0][0] != "Change" || rows[0][1] != "Code" {
		t.Fatalf("changes.xlsx's Areas begins %q, want Change, Code", rows)
	}
	got := map[string]string{}
	for _, r := range rows[1:] {
		if len(r) >= 2 {
			got[r[1]] = r[0]
		}
	}
	if want := map[string]string{"A4": "created", "A2": "updated", "A3": "removed"}; !mapsEqual(got, want) {
		t.Errorf("changes.xlsx lists %v, want %v", got, want)
	}
}

func TestSavingAReviewWithHTMXAnswersWithTheNewImportsPanel(t *testing.T) {
	a := newApp(t, handlersConfig())
	review := reviewUpload(t, a, "areas.xlsx", areasWorkbook(t, 2), false)
	if got := ended(t, a, review); got != "reviewed" {
		t.Fatalf("the review ended %s", got)
	}
	resp := post(t, a, review+"/confirm", http.Header{"Hx-Request": {"true"}})
	if resp.StatusCode != 200 {
		t.Fatalf("confirm with htmx: %s", resp.Status)
	}
	saved := resp.Header.Get("HX-Push-Url")
	if !strings.HasPrefix(saved, "/imports/") || saved == review {
		t.Fatalf("HX-Push-Url %q, want the new import", saved)
	}
	doc, _ := goquery.NewDocumentFromReader(resp.Body)
	if v, _ := doc.Find("[sse-connect]").Attr("sse-connect"); v != saved+"/events" {
		t.Errorf("the panel follows %q, want %s/events", v, saved)
	}
	if got := ended(t, a, saved); got != "succeeded" {
		t.Errorf("the saving import ended %s", got)
	}
	if got := countRows(t, a.dbPath, "areas"); got != 2 {
		t.Errorf("%d areas, want 2", got)
	}
}

func TestUndoPutsBackTheLatestImportAndLinksBothWays(t *testing.T) {
	a := newApp(t, handlersConfig())
	first := a.upload(t, "first.xlsx", areasBook(t, []any{"A1", "Area 1"}, []any{"A2", "Area 2"}), nil).Header.Get("Location")
	if got := ended(t, a, first); got != "succeeded" {
		t.Fatalf("first ended %s", got)
	}
	second := a.upload(t, "second.xlsx", areasBook(t, []any{"A1", "Area 1"}, []any{"A2", "Renamed"}), nil).Header.Get("Location")
	if got := ended(t, a, second); got != "succeeded" {
		t.Fatalf("second ended %s", got)
	}

	// Only the latest offers Undo; undoing the first is refused, naming the second.
	if getPage(t, a, first).Find(`form[action="`+first+`/undo"]`).Length() != 0 {
		t.Error("the first import offers Undo, though a later one changed data")
	}
	doc := getPage(t, a, second)
	if undo := doc.Find(`form[method=post][action="` + second + `/undo"] button`); text(undo) != "Undo this import" {
		t.Errorf("the latest import offers no Undo button")
	}
	resp := post(t, a, first+"/undo", nil)
	if resp.StatusCode != http.StatusConflict {
		t.Errorf("undo of the older import: %s, want 409", resp.Status)
	}
	page, _ := goquery.NewDocumentFromReader(resp.Body)
	if page.Find(`a[href="`+second+`"]`).Length() != 1 || !strings.Contains(text(page.Find("a[href=\""+second+"\"]")), "second.xlsx") {
		t.Errorf("the 409 does not name the later import to undo first: %s", text(page.Find("main")))
	}

	resp = post(t, a, second+"/undo", nil)
	undo := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(undo, "/imports/") {
		t.Fatalf("undo: %s to %q, want 303 to the undo", resp.Status, undo)
	}
	if got := ended(t, a, undo); got != "succeeded" {
		t.Fatalf("the undo ended %s", got)
	}
	if got, want := areaNames(t, a.dbPath), map[string]string{"A1": "Area 1", "A2": "Area 2"}; !mapsEqual(got, want) {
		t.Errorf("after the undo the areas are %v, want %v", got, want)
	}
	if s := statusJSON(t, a, second); "/imports/"+s.UndoneIn != undo {
		t.Errorf("undone_in = %q, want %s", s.UndoneIn, undo)
	}
	if s := statusJSON(t, a, undo); "/imports/"+s.Undoes != second {
		t.Errorf("undoes = %q, want %s", s.Undoes, second)
	}

	doc = getPage(t, a, second)
	if link := doc.Find(`.import-links a[href="` + undo + `"]`); !strings.Contains(text(link.Parent()), "undone by") {
		t.Errorf("the undone import does not say it was undone, linking to the undo: %q", text(doc.Find(".import-links")))
	}
	if doc.Find(`form[action$="/undo"]`).Length() != 0 {
		t.Error("the undone import still offers Undo")
	}
	doc = getPage(t, a, undo)
	if link := doc.Find(`.import-links a[href="` + second + `"]`); !strings.Contains(text(link.Parent()), "undoes") {
		t.Errorf("the undo does not say which import it undoes: %q", text(doc.Find(".import-links")))
	}
	if got := text(doc.Find(`[data-step="employees"][data-state="skipped"] .step-meta`)); got != "Nothing to put back in this step." {
		t.Errorf("a skipped step of the undo says %q", got)
	}
	if got := text(doc.Find("h1")); got != "Undo of second.xlsx" {
		t.Errorf("the undo's page is headed %q", got)
	}
	if got := text(doc.Find(`#summary [data-import-state="succeeded"] h2`)); got != "Undo complete" {
		t.Errorf("the undo's summary is headed %q", got)
	}

	// The history shows the same links.
	history := getPage(t, a, "/imports")
	row := func(id string) *goquery.Selection {
		return history.Find(`table.history tbody tr`).FilterFunction(func(_ int, r *goquery.Selection) bool {
			return r.Find(`td:first-child a[href="`+id+`"]`).Length() == 1
		})
	}
	if got := text(row(second).Find(`.history-link`)); !strings.Contains(got, "Undone by") || row(second).Find(`.history-link a[href="`+undo+`"]`).Length() != 1 {
		t.Errorf("the history's row of the undone import says %q", got)
	}
	if got := text(row(undo).Find(`.history-link`)); !strings.Contains(got, "Undo of second.xlsx") {
		t.Errorf("the history's row of the undo says %q", got)
	}

	// Undone once is undone: again is refused.
	if resp := post(t, a, second+"/undo", nil); resp.StatusCode != http.StatusConflict {
		t.Errorf("undo again: %s, want 409", resp.Status)
	}

	// The undo is now the latest change, and can itself be undone.
	resp = post(t, a, undo+"/undo", nil)
	redo := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("undo of the undo: %s", resp.Status)
	}
	if got := ended(t, a, redo); got != "succeeded" {
		t.Fatalf("the undo of the undo ended %s", got)
	}
	if got, want := areaNames(t, a.dbPath), map[string]string{"A1": "Area 1", "A2": "Renamed"}; !mapsEqual(got, want) {
		t.Errorf("after undoing the undo the areas are %v, want %v", got, want)
	}
}

func TestSavingAReviewAfterTheDataChangedFailsAndSaysSo(t *testing.T) {
	a := newApp(t, handlersConfig())
	review := reviewUpload(t, a, "review.xlsx", areasBook(t, []any{"A1", "From the review"}), false)
	if got := ended(t, a, review); got != "reviewed" {
		t.Fatalf("the review ended %s", got)
	}
	other := a.upload(t, "other.xlsx", areasBook(t, []any{"A1", "From another import"}), nil).Header.Get("Location")
	if got := ended(t, a, other); got != "succeeded" {
		t.Fatalf("the other import ended %s", got)
	}
	saved := post(t, a, review+"/confirm", nil).Header.Get("Location")
	if got := ended(t, a, saved); got != "failed" {
		t.Fatalf("saving a review of changed data ended %s, want failed", got)
	}
	if got, want := areaNames(t, a.dbPath), map[string]string{"A1": "From another import"}; !mapsEqual(got, want) {
		t.Errorf("the areas are %v, want %v: nothing written", got, want)
	}
	summary := text(getPage(t, a, saved).Find(endedIn("failed")))
	if !strings.Contains(summary, "Nothing was saved") || !strings.Contains(strings.ToLower(summary), "review") {
		t.Errorf("the failed save says %q; want that nothing was saved and to review again", summary)
	}
}

func TestSection8RoutesOfAnUnknownImportAre404(t *testing.T) {
	a := newApp(t, handlersConfig())
	const page = "/imports/AAAAAAAAAAAAAAAAAAAAAAAAAA"
	for _, r := range []struct{ method, path string }{
		{"POST", page + "/confirm"}, {"POST", page + "/undo"}, {"GET", page + "/changes.xlsx"},
	} {
		var resp *http.Response
		if r.method == "POST" {
			resp = post(t, a, r.path, nil)
		} else {
			var err error
			if resp, err = a.client().Get(a.URL + r.path); err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
		}
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s %s: %s, want 404", r.method, r.path, resp.Status)
		}
	}
}

// TestAReviewIsSavedAndUndoneFromAnyInstance runs section 8 across two
// instances on one PostgreSQL database: reviewed on A, saved on B, undone
// on A, each followed on the other.
func TestAReviewIsSavedAndUndoneFromAnyInstance(t *testing.T) {
	apps, _ := instances(t, 2)
	a, b := apps[0], apps[1]
	a.start()
	b.start()

	review := reviewUpload(t, a, "areas.xlsx", areasWorkbook(t, 3), false)
	if got := ended(t, b, review); got != "reviewed" {
		t.Fatalf("B's stream of A's review ended %s", got)
	}
	resp := post(t, b, review+"/confirm", nil)
	saved := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("confirm on B: %s", resp.Status)
	}
	if got := ended(t, a, saved); got != "succeeded" {
		t.Fatalf("A's stream of the import B queued ended %s", got)
	}
	if got := exportedAreas(t, b); got != 3 {
		t.Fatalf("B exports %d areas after the save, want 3", got)
	}
	if getPage(t, b, saved).Find(`form[action="`+saved+`/undo"]`).Length() != 1 {
		t.Error("B's page of the saved import offers no Undo")
	}
	resp = post(t, a, saved+"/undo", nil)
	undo := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("undo on A: %s", resp.Status)
	}
	if got := ended(t, b, undo); got != "succeeded" {
		t.Fatalf("B's stream of the undo ended %s", got)
	}
	if got := exportedAreas(t, b); got != 0 {
		t.Errorf("B exports %d areas after the undo, want none", got)
	}
	if getPage(t, b, saved).Find(`.import-links a[href="`+undo+`"]`).Length() != 1 {
		t.Error("B's page of the undone import does not link to the undo")
	}
}

// exportedAreas counts the areas in an instance's export.
func exportedAreas(t *testing.T, a *app) int {
	t.Helper()
	resp, err := a.client().Get(a.URL + "/export.xlsx")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	f, err := excelize.OpenReader(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows("Areas")
	if err != nil {
		t.Fatal(err)
	}
	return len(rows) - 1
}

func TestCrossSiteSavesAndUndosAreRefused(t *testing.T) {
	a := newApp(t, handlersConfig())
	review := reviewUpload(t, a, "areas.xlsx", areasWorkbook(t, 2), false)
	ended(t, a, review)
	imported := a.upload(t, "other.xlsx", areasWorkbook(t, 1), nil).Header.Get("Location")
	ended(t, a, imported)
	for _, path := range []string{review + "/confirm", imported + "/undo"} {
		if resp := post(t, a, path, http.Header{"Sec-Fetch-Site": {"cross-site"}}); resp.StatusCode != http.StatusForbidden {
			t.Errorf("a cross-site POST %s: %s, want 403", path, resp.Status)
		}
	}
	if got := countRows(t, a.dbPath, "imports"); got != 2 {
		t.Errorf("%d imports, want the 2 uploaded: a refused request starts none", got)
	}
}

func TestLongValuesAreCutInTheChangeLists(t *testing.T) {
	a := newApp(t, handlersConfig())
	first := a.upload(t, "first.xlsx", areasBook(t, []any{"A1", "Area 1"}), nil).Header.Get("Location")
	ended(t, a, first)
	long := strings.Repeat("x", 30_000)
	review := reviewUpload(t, a, "long.xlsx", areasBook(t, []any{"A1", long}), false)
	if got := ended(t, a, review); got != "reviewed" {
		t.Fatalf("the review ended %s", got)
	}
	shown := text(getPage(t, a, review).Find(`[data-change="updated"] .new`))
	if n := len([]rune(shown)); n == 0 || n > 201 || !strings.HasSuffix(shown, "…") {
		t.Errorf("the new value is shown with %d characters, ending %q; want it cut at 200 with …", n, shown[max(0, len(shown)-10):])
	}
}
