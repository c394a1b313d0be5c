package handlers_test

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"testing"
)

// FuzzUpload posts any bytes as the workbook: the server answers each
// with a page of its own (a refusal, or the import queued), never a
// failure of its own and never a crash.
func FuzzUpload(f *testing.F) {
	f.Add([]byte("PK\x03\x04"))
	f.Add([]byte("PK\x05\x06" + string(make([]byte, 18))))
	f.Add(areasWorkbook(f, 2))
	f.Add([]byte("<html><script>alert(1)</script>"))
	a := newApp(f, handlersConfig())
	f.Fuzz(func(t *testing.T, data []byte) {
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		part, err := mw.CreateFormFile("file", "fuzz.xlsx")
		if err != nil {
			t.Fatal(err)
		}
		part.Write(data)
		mw.Close()
		resp, err := a.client().Post(a.URL+"/imports", mw.FormDataContentType(), &body)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		switch resp.StatusCode {
		case http.StatusSeeOther, http.StatusBadRequest, http.StatusUnprocessableEntity,
			http.StatusRequestEntityTooLarge, http.StatusServiceUnavailable:
		default:
			t.Errorf("an upload of %d bytes answered %s", len(data), resp.Status)
		}
	})
}
