package handlers_test

import (
	"io"
	"net/http"
	"testing"
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
