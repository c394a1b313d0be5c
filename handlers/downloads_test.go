package handlers_test

import (
	"bytes"
	"io"
	"mime"
	"net/http"
	"testing"

	"github.com/xuri/excelize/v2"
)

// TestHeadAnswersLikeGetWithoutABody asks for the upload page with HEAD,
// as link checkers and monitors do: the same answer as GET, no body.
func TestHeadAnswersLikeGetWithoutABody(t *testing.T) {
	a := newApp(t, handlersConfig())
	do := func(method string) (*http.Response, []byte) {
		t.Helper()
		req, err := http.NewRequest(method, a.URL+"/", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := a.client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp, body
	}
	get, _ := do(http.MethodGet)
	head, body := do(http.MethodHead)
	if head.StatusCode != get.StatusCode {
		t.Fatalf("HEAD / answers %s, GET / %s", head.Status, get.Status)
	}
	for _, h := range []string{"Content-Type", "Content-Security-Policy"} {
		if head.Header.Get(h) != get.Header.Get(h) {
			t.Errorf("HEAD / has %s %q, GET / %q", h, head.Header.Get(h), get.Header.Get(h))
		}
	}
	if len(body) != 0 {
		t.Errorf("HEAD / has a body of %d bytes", len(body))
	}
}

// TestTheProblemsWorkbookIsNamedAfterTheUpload downloads the problems of
// failed uploads under names a user or a script may give: each is named
// after its upload, readable by any browser, and the workbook it names
// opens.
func TestTheProblemsWorkbookIsNamedAfterTheUpload(t *testing.T) {
	a := newApp(t, handlersConfig())
	bad := workbook(t, map[string][][]any{"Areas": {{"Code", "Name"}, {"N", ""}}}, "Areas")
	for upload, want := range map[string]string{
		"staff.xlsx":               "staff-problems.xlsx",
		`Zeitplan "März"; v2.xlsx`: `Zeitplan "März"; v2-problems.xlsx`,
		"報告.xlsx":                  "報告-problems.xlsx",
		".xlsx":                    "problems.xlsx",
	} {
		page := finished(t, a, upload, bad)
		resp, err := a.client().Get(a.URL + page + "/problems.xlsx")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: problems.xlsx answers %s", upload, resp.Status)
		}
		header := resp.Header.Get("Content-Disposition")
		disposition, params, err := mime.ParseMediaType(header)
		if err != nil || disposition != "attachment" || params["filename"] != want {
			t.Errorf("%s: Content-Disposition %q gives %q (%v), want an attachment named %q", upload, header, params["filename"], err, want)
		}
		for _, r := range header {
			if r > 0x7e {
				t.Errorf("%s: Content-Disposition %q is not all ASCII", upload, header)
				break
			}
		}
		if _, err := excelize.OpenReader(bytes.NewReader(body)); err != nil {
			t.Errorf("%s: the download is not a workbook: %v", upload, err)
		}
	}
}
