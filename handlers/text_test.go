package handlers_test

// Hostile text over real HTTP, on SQLite and PostgreSQL: however long or
// strange what a workbook or an upload holds, the pages, the status JSON
// and the problems workbook stay small and valid (contract 3 and 4).

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/PuerkitoBio/goquery"
	"github.com/xuri/excelize/v2"

	"roster/importer"
	"roster/importer/store"
	"roster/importer/store/storetest"
	"roster/internal/rawxlsx"
)

// onEachDatabase runs test against Roster served over SQLite and over
// PostgreSQL (skipped without TEST_DATABASE_URL).
func onEachDatabase(t *testing.T, test func(t *testing.T, a *app)) {
	for _, db := range []struct {
		name string
		open func(testing.TB) (*store.Store, string)
	}{{"SQLite", storetest.SQLite}, {"PostgreSQL", storetest.Postgres}} {
		t.Run(db.name, func(t *testing.T) {
			st, path := db.open(t)
			a := serve(t, st, path, handlersConfig())
			a.start()
			test(t, a)
		})
	}
}

func rawBook(t testing.TB, b rawxlsx.Book) []byte {
	t.Helper()
	body, err := b.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	return body
}

// staffWith is a workbook whose departments and designations are fine and
// whose employees are rows, after the header.
func staffWith(t testing.TB, shared []string, rows ...[]any) []byte {
	return rawBook(t, rawxlsx.Book{
		Sheets: []rawxlsx.Sheet{
			{Name: "Departments", Rows: [][]any{{"Code", "Name"}, {"D1", "Sales"}}},
			{Name: "Designations", Rows: [][]any{{"Code", "Title"}, {"MGR", "Manager"}}},
			{Name: "Employees", Rows: append([][]any{{"Employee ID", "Full Name", "Email", "Department Code", "Designation Code"}}, rows...)},
		},
		Shared: shared,
	})
}

// finished uploads a workbook and follows its import to the end; it
// returns the import's page.
func finished(t *testing.T, a *app, name string, body []byte) string {
	t.Helper()
	resp := a.upload(t, name, body, nil)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("upload %s: %s", name, resp.Status)
	}
	page := resp.Header.Get("Location")
	lastEvent(t, a, page)
	return page
}

// wantPageSmall fetches an import's page and its status JSON and checks
// they are valid UTF-8 and small.
func wantPageSmall(t *testing.T, a *app, page string, maxPage, maxJSON int) *goquery.Document {
	t.Helper()
	html := get(t, a.URL+page)
	if len(html) > maxPage || !utf8.Valid(html) {
		t.Errorf("the import page has %d bytes (valid UTF-8: %v), want at most %d", len(html), utf8.Valid(html), maxPage)
	}
	req, _ := http.NewRequest("GET", a.URL+page, nil)
	req.Header.Set("Accept", "application/json")
	resp, err := a.client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body bytes.Buffer
	body.ReadFrom(resp.Body)
	if body.Len() > maxJSON {
		t.Errorf("the status JSON has %d bytes, want at most %d: %.300s…", body.Len(), maxJSON, body.String())
	}
	doc, err := goquery.NewDocumentFromReader(bytes.NewReader(html))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// problemsListed reads the Problems sheet of an import's problems
// workbook, and checks every value on it is cut.
func problemsListed(t *testing.T, a *app, page string) [][]string {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(get(t, a.URL+page+"/problems.xlsx")))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows("Problems")
	if err != nil {
		t.Fatal(err)
	}
	for _, row := range rows {
		for _, cell := range row {
			if n := utf8.RuneCountInString(cell); n > 1000 {
				t.Fatalf("the Problems sheet holds a text of %d characters: %.300s…", n, cell)
			}
		}
		if len(row) > 3 && utf8.RuneCountInString(row[3]) > importer.MaxQuoted+1 {
			t.Fatalf("the Problems sheet quotes a value of %d characters", utf8.RuneCountInString(row[3]))
		}
	}
	return rows
}

func TestHostileCellsKeepThePagesSmall(t *testing.T) {
	onEachDatabase(t, func(t *testing.T, a *app) {
		t.Run("one 1 MiB string as the Email of 500 rows", func(t *testing.T) {
			var rows [][]any
			for i := range 500 {
				rows = append(rows, []any{fmt.Sprintf("X%d", i), "Person", rawxlsx.Shared(0), "D1", "MGR"})
			}
			page := finished(t, a, "emails.xlsx", staffWith(t, []string{strings.Repeat("a", 1<<20) + "@example.com"}, rows...))
			doc := wantPageSmall(t, a, page, 200_000, 10_000)
			if got := strings.TrimSpace(doc.Find("#problems-title").Text()); got != "500 problems" {
				t.Errorf("the page says %q, want 500 problems", got)
			}
			if listed := problemsListed(t, a, page); len(listed) != 501 {
				t.Errorf("the Problems sheet has %d rows, want a header and 500 problems", len(listed))
			}
		})
		t.Run("a cell of 40,000 characters", func(t *testing.T) {
			page := finished(t, a, "long.xlsx", staffWith(t, nil, []any{"E1", strings.Repeat("x", 40_000), "e1@example.com", "D1", "MGR"}))
			doc := wantPageSmall(t, a, page, 200_000, 10_000)
			var cells []string
			doc.Find("table.problems tbody tr").First().Find("td").Each(func(_ int, s *goquery.Selection) {
				cells = append(cells, strings.TrimSpace(s.Text()))
			})
			if len(cells) != 5 || cells[0] != "Employees" || cells[1] != "2" || cells[2] != "Full Name" ||
				cells[3] != strings.Repeat("x", 200)+"…" || !strings.Contains(cells[4], "40,000 characters") {
				t.Errorf("the problem shown is %.400q", cells)
			}
			problemsListed(t, a, page)
		})
	})
}

func TestManyWarningsAreCountedAndTheFirstShown(t *testing.T) {
	// Every sheet with its columns, then unknown ones up to the last
	// column a sheet may have: 114,661 warnings.
	var sheets []rawxlsx.Sheet
	for _, sh := range importer.Sheets {
		var header []any
		for _, c := range sh.Columns {
			header = append(header, c.Header)
		}
		for len(header) < 16_384 {
			header = append(header, fmt.Sprintf("Junk %d", len(header)))
		}
		sheets = append(sheets, rawxlsx.Sheet{Name: sh.Name, Rows: [][]any{header}})
	}
	junk := rawBook(t, rawxlsx.Book{Sheets: sheets})
	onEachDatabase(t, func(t *testing.T, a *app) {
		page := finished(t, a, "junk.xlsx", junk)
		doc := wantPageSmall(t, a, page, 200_000, 50_000)
		if n := doc.Find("ul.warnings li").Length(); n != 100 {
			t.Errorf("the page lists %d warnings, want the first 100", n)
		}
		if got := strings.TrimSpace(doc.Find(".more-warnings").Text()); got != "… and 114,561 more warnings" {
			t.Errorf("the page says %q after the warnings, want … and 114,561 more warnings", got)
		}
		var st struct {
			Warnings     []string `json:"warnings"`
			WarningCount int      `json:"warning_count"`
		}
		req, _ := http.NewRequest("GET", a.URL+page, nil)
		req.Header.Set("Accept", "application/json")
		resp, err := a.client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
			t.Fatal(err)
		}
		if len(st.Warnings) != 100 || st.WarningCount != 114_661 {
			t.Errorf("the status JSON lists %d warnings and counts %d, want 100 and 114,661", len(st.Warnings), st.WarningCount)
		}
	})
}

// uploadNamed posts a workbook whose part says filename as it is: the
// Content-Disposition parameters written by hand, so that a test can send
// what a browser or a script might (RFC 2231 bytes, control characters).
func uploadNamed(t *testing.T, a *app, params string, body []byte) *http.Response {
	t.Helper()
	var buf bytes.Buffer
	buf.WriteString("--b0undary\r\nContent-Disposition: form-data; name=\"file\"; " + params + "\r\n")
	buf.WriteString("Content-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet\r\n\r\n")
	buf.Write(body)
	buf.WriteString("\r\n--b0undary--\r\n")
	req, err := http.NewRequest("POST", a.URL+"/imports", &buf)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "multipart/form-data; boundary=b0undary")
	resp, err := a.client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func TestFileNamesAreKeptShortAndReadable(t *testing.T) {
	book := areasWorkbook(t, 2)
	onEachDatabase(t, func(t *testing.T, a *app) {
		t.Run("a name of 9 MB is kept as its first 255 bytes, with its extension", func(t *testing.T) {
			long := strings.Repeat("ü", 4_500_000) + ".xlsx"
			var pages []string
			for range 3 {
				resp := a.upload(t, long, book, nil)
				if resp.StatusCode != http.StatusSeeOther {
					t.Fatalf("upload: %s", resp.Status)
				}
				pages = append(pages, resp.Header.Get("Location"))
			}
			for _, page := range pages {
				lastEvent(t, a, page)
				name := statusJSON(t, a, page).FileName
				if len(name) > 255 || !utf8.ValidString(name) || !strings.HasPrefix(name, "üüü") || !strings.HasSuffix(name, "….xlsx") {
					t.Errorf("the name is kept as %d bytes (valid UTF-8: %v): %.40q…%q", len(name), utf8.ValidString(name), name, name[max(0, len(name)-12):])
				}
				wantPageSmall(t, a, page, 100_000, 10_000)
			}
			if history := get(t, a.URL+"/imports"); len(history) > 100_000 {
				t.Errorf("the history of 3 imports has %d bytes", len(history))
			}
		})
		t.Run("control characters and bytes that are not UTF-8 are made readable", func(t *testing.T) {
			resp := uploadNamed(t, a, `filename*=UTF-8''bad%FF%00tab%09name.xlsx`, book)
			if resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("upload: %s", resp.Status)
			}
			page := resp.Header.Get("Location")
			lastEvent(t, a, page)
			if name := statusJSON(t, a, page).FileName; name != "bad\uFFFD␀tab␉name.xlsx" {
				t.Errorf("the name is kept as %q", name)
			}
			doc := wantPageSmall(t, a, page, 100_000, 10_000)
			if got := doc.Find(".file-name").Text(); got != "bad\uFFFD␀tab␉name.xlsx" {
				t.Errorf("the page names the file %q", got)
			}
			if history := get(t, a.URL+"/imports"); !utf8.Valid(history) || !bytes.Contains(history, []byte("bad\uFFFD␀tab␉name.xlsx")) {
				t.Errorf("the history does not show the name readable")
			}
		})
	})
}
