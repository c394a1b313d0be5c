package handlers_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"roster/access"
)

// statusBy is the status JSON's record of who did what.
type statusBy struct {
	State       string `json:"state"`
	UploadedBy  string `json:"uploaded_by"`
	ConfirmedBy string `json:"confirmed_by"`
	CancelledBy string `json:"cancelled_by"`
	UndoneBy    string `json:"undone_by"`
}

func statusByOf(t *testing.T, c *http.Client, u string) statusBy {
	t.Helper()
	req, _ := http.NewRequest("GET", u, nil)
	req.Header.Set("Accept", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var st statusBy
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		t.Fatalf("GET %s as JSON: %s: %v", u, resp.Status, err)
	}
	return st
}

func TestEveryImportNamesWhoUploadedAndCancelledIt(t *testing.T) {
	a := newStoppedApp(t, handlersConfig())
	ivy := a.signIn(t, "ivy", access.Importer)
	carl := a.signIn(t, "carl", access.Importer)

	// Uploaded by a browser's session, cancelled by a script's token.
	page := a.upload(t, "areas.xlsx", areasWorkbook(t, 2), cookie(ivy.session)).Header.Get("Location")
	resp, err := carl.script().Post(a.URL+page+"/cancel", "application/x-www-form-urlencoded", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	st := statusByOf(t, a.client(), a.URL+page)
	if st.State != "cancelled" || st.UploadedBy != "ivy" || st.CancelledBy != "carl" || st.ConfirmedBy != "" || st.UndoneBy != "" {
		t.Errorf("status JSON %+v, want cancelled, uploaded by ivy, cancelled by carl", st)
	}

	doc := getDoc(t, a, page)
	if got := strings.TrimSpace(doc.Find(".uploaded-by").Text()); got != "ivy" {
		t.Errorf("the import page says uploaded by %q, want ivy", got)
	}
	if got := strings.TrimSpace(doc.Find("#summary .who").Text()); got != "Cancelled by carl." {
		t.Errorf("the import page's summary says %q, want Cancelled by carl.", got)
	}
	doc = getDoc(t, a, "/imports")
	if got := strings.TrimSpace(doc.Find("table.history tbody tr td.by").First().Text()); got != "uploaded by ivy, cancelled by carl" {
		t.Errorf("the history says %q", got)
	}

	// A running import cancelled: the one who asked is recorded too.
	a.start()
	page = a.upload(t, "big.xlsx", sampleOf(t, 20_000), cookie(ivy.session)).Header.Get("Location")
	go streamUntilDone(context.Background(), a.URL+page+"/events", func(c change, _ time.Time) {
		if c.state == "running" {
			if r, err := carl.client().Post(a.URL+page+"/cancel", "application/x-www-form-urlencoded", nil); err == nil {
				r.Body.Close()
			}
		}
	})
	lastEvent(t, a, page)
	if st := statusByOf(t, a.client(), a.URL+page); st.State != "cancelled" || st.CancelledBy != "carl" || st.UploadedBy != "ivy" {
		t.Errorf("a running import cancelled: %+v, want cancelled by carl", st)
	}
}

func getDoc(t *testing.T, a *app, path string) *goquery.Document {
	t.Helper()
	return getDocAs(t, a.client(), a.URL+path)
}

func TestAScriptActsWithItsTokenWithoutTheCrossSiteCheckUntilRevoked(t *testing.T) {
	a := newApp(t, handlersConfig())
	ivy := a.signIn(t, "ivy", access.Importer)

	// A token as `user token ivy --label "nightly script"` makes it.
	token, err := a.people.NewToken(context.Background(), "ivy", "nightly script")
	if err != nil {
		t.Fatal(err)
	}
	script := (&user{name: "ivy", token: token}).script()

	// No cookie, so no cross-site check: a script is no browser.
	resp := a.uploadBy(t, script, "areas.xlsx", areasWorkbook(t, 1), http.Header{"Sec-Fetch-Site": {"cross-site"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("a script's upload: %s, want 303", resp.Status)
	}
	page := resp.Header.Get("Location")
	readEvents(t, a.URL+page+"/events")
	if st := statusByOf(t, script, a.URL+page); st.UploadedBy != "ivy" {
		t.Errorf("uploaded by %q, want ivy (the token's user)", st.UploadedBy)
	}
	// A cookie with it: a browser's request, checked as any.
	resp = a.upload(t, "areas.xlsx", areasWorkbook(t, 1), http.Header{
		"Authorization": {"Bearer " + token}, "Sec-Fetch-Site": {"cross-site"},
	})
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("a cross-site request with a cookie and a token: %s, want 403", resp.Status)
	}

	// Listed without the token itself; revoked, it no longer works.
	doc := getDocAs(t, ivy.client(), a.URL+"/account")
	if strings.Contains(doc.Text(), token) || !strings.Contains(doc.Find("table.tokens").Text(), "nightly script") {
		t.Fatal("the account page lists the token by its label only")
	}
	var id string
	doc.Find("table.tokens tbody tr").Each(func(_ int, tr *goquery.Selection) {
		if strings.Contains(tr.Text(), "nightly script") {
			id, _ = tr.Find(`input[name="id"]`).Attr("value")
		}
	})
	resp, _ = postForm(t, ivy.client(), a.URL+"/account/tokens/revoke", url.Values{"id": {id}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("revoke: %s", resp.Status)
	}
	resp, err = script.Get(a.URL + "/imports")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("a revoked token: %s, want 401", resp.Status)
	}
	// Another user cannot revoke ivy's tokens.
	resp, _ = postForm(t, a.client(), a.URL+"/account/tokens/revoke", url.Values{"id": {id}})
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("revoking another's token: %s, want 404", resp.Status)
	}
}

func getDocAs(t *testing.T, c *http.Client, u string) *goquery.Document {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	doc, err := goquery.NewDocumentFromReader(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func TestTheUsersPageAddsChangesAndRemovesUsersAtOnce(t *testing.T) {
	a := newApp(t, handlersConfig())
	admin := a.client()
	users := a.URL + "/users"

	// A short password is refused, its field named and focused.
	resp, body := postForm(t, admin, users, url.Values{"name": {"bo"}, "role": {"viewer"}, "password": {"short"}})
	doc, _ := goquery.NewDocumentFromReader(strings.NewReader(body))
	if resp.StatusCode != http.StatusBadRequest || doc.Find(`#add-password[aria-invalid="true"][autofocus]`).Length() != 1 ||
		!strings.Contains(doc.Find(`#add-password-error[role="alert"]`).Text(), "at least 12") {
		t.Errorf("a short password: %s; want 400 with the password field marked, focused and its error announced", resp.Status)
	}
	resp, _ = postForm(t, admin, users, url.Values{"name": {"bo"}, "role": {"viewer"}, "password": {"a fine password"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("add bo: %s", resp.Status)
	}
	resp, _ = postForm(t, admin, users, url.Values{"name": {"bo"}, "role": {"viewer"}, "password": {"a fine password"}})
	if resp.StatusCode != http.StatusConflict {
		t.Errorf("add bo again: %s, want 409", resp.Status)
	}
	resp, _ = postForm(t, a.anonymous(), a.URL+"/login", url.Values{"name": {"bo"}, "password": {"a fine password"}})
	bo := &user{name: "bo", session: sessionCookieOf(resp).Value}
	if got := a.upload(t, "a.xlsx", areasWorkbook(t, 1), cookie(bo.session)).StatusCode; got != http.StatusForbidden {
		t.Errorf("bo, a viewer, uploads: %d, want 403", got)
	}

	// A new role applies to the session bo already has.
	if resp, _ := postForm(t, admin, users+"/role", url.Values{"name": {"bo"}, "role": {"importer"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("change role: %s", resp.Status)
	}
	if got := a.upload(t, "a.xlsx", areasWorkbook(t, 1), cookie(bo.session)).StatusCode; got != http.StatusSeeOther {
		t.Errorf("bo, now an importer, uploads: %d, want 303", got)
	}

	// A new password: the old one no longer signs in.
	if resp, _ := postForm(t, admin, users+"/password", url.Values{"name": {"bo"}, "password": {"another fine password"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("set password: %s", resp.Status)
	}
	if resp, _ := postForm(t, a.anonymous(), a.URL+"/login", url.Values{"name": {"bo"}, "password": {"a fine password"}}); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("the old password: %s, want 401", resp.Status)
	}

	// Removed: signed out at once.
	if resp, _ := postForm(t, admin, users+"/remove", url.Values{"name": {"bo"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("remove: %s", resp.Status)
	}
	if resp, _ := a.send(t, "GET", "/imports", cookie(bo.session)); !toSignIn(resp, "/imports") {
		t.Errorf("a removed user's session: %s, want signed out", resp.Status)
	}
	// The last administrator stays.
	if resp, _ := postForm(t, admin, users+"/remove", url.Values{"name": {"tester"}}); resp.StatusCode != http.StatusConflict {
		t.Errorf("remove the last administrator: %s, want 409", resp.Status)
	}
	if resp, _ := postForm(t, admin, users+"/role", url.Values{"name": {"tester"}, "role": {"viewer"}}); resp.StatusCode != http.StatusConflict {
		t.Errorf("make the last administrator a viewer: %s, want 409", resp.Status)
	}
	doc = getDoc(t, a, "/users")
	if got := doc.Find("table.users tbody tr").Length(); got != 1 {
		t.Errorf("the users page lists %d users, want tester alone", got)
	}
}

func TestATrustedProxySignsInByHeaderAndOthersAreIgnored(t *testing.T) {
	cfg := handlersConfig()
	cfg.ProxyHeader, cfg.ProxyFrom = "X-Forwarded-Email", prefixes(t, "127.0.0.1/32")
	a := newApp(t, cfg)
	resp, body := a.send(t, "GET", "/imports", http.Header{"X-Forwarded-Email": {"sso@example.com"}})
	if resp.StatusCode != 200 || !strings.Contains(body, "sso@example.com") {
		t.Fatalf("from the proxy: %s, want signed in as sso@example.com", resp.Status)
	}
	if resp := a.uploadBy(t, a.anonymous(), "a.xlsx", areasWorkbook(t, 1), http.Header{"X-Forwarded-Email": {"sso@example.com"}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("a user made by the proxy uploads: %s, want 403 (a viewer)", resp.Status)
	}
	users, err := a.store.Users(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(users) != 2 || users[0].Name != "sso@example.com" || users[0].Role != access.Viewer {
		t.Errorf("users %+v, want sso@example.com made a viewer", users)
	}

	cfg.ProxyFrom = prefixes(t, "10.0.0.0/8")
	b := newApp(t, cfg)
	if resp, _ := b.send(t, "GET", "/imports", http.Header{"X-Forwarded-Email": {"tester"}}); !toSignIn(resp, "/imports") {
		t.Errorf("the header from an address not trusted: %s, want it ignored", resp.Status)
	}
}

// openStream opens an import's event stream with the given headers and
// returns a channel closed when the server ends it, once its first event
// has arrived.
func openStream(t *testing.T, a *app, page string, header http.Header) <-chan struct{} {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, "GET", a.URL+page+"/events", nil)
	req.Header = header
	req.Header.Set("Accept", "text/event-stream")
	resp, err := a.anonymous().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 {
		resp.Body.Close()
		t.Fatalf("open the stream: %s", resp.Status)
	}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() && !strings.HasPrefix(sc.Text(), "event: ") {
	}
	ended := make(chan struct{})
	go func() {
		defer close(ended)
		defer resp.Body.Close()
		for sc.Scan() {
		}
	}()
	return ended
}

func TestTheEventStreamEndsWhenItsSessionEnds(t *testing.T) {
	a := newStoppedApp(t, handlersConfig()) // the import waits: its stream would stay open
	page := a.upload(t, "a.xlsx", areasWorkbook(t, 1), nil).Header.Get("Location")
	if resp, _ := a.send(t, "GET", page+"/events", http.Header{"Accept": {"text/event-stream"}}); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("the stream opened by nobody: %s, want 401", resp.Status)
	}
	wait := func(what string, ended <-chan struct{}) {
		t.Helper()
		start := time.Now()
		select {
		case <-ended:
			t.Logf("%s: the stream ended %s after", what, time.Since(start).Round(time.Millisecond))
		case <-time.After(10 * time.Second):
			t.Errorf("%s: the stream is still open 10 s later", what)
		}
	}

	signedOut := a.signIn(t, "sam", access.Viewer)
	ended := openStream(t, a, page, cookie(signedOut.session))
	if resp, _ := a.send(t, "POST", "/logout", cookie(signedOut.session)); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign out: %s", resp.Status)
	}
	wait("signed out", ended)

	removed := a.signIn(t, "rita", access.Viewer)
	ended = openStream(t, a, page, http.Header{"Authorization": {"Bearer " + removed.token}})
	if resp, _ := postForm(t, a.client(), a.URL+"/users/remove", url.Values{"name": {"rita"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("remove: %s", resp.Status)
	}
	wait("user removed", ended)

	stays := openStream(t, a, page, cookie(a.me.session))
	select {
	case <-stays:
		t.Error("the stream of a user still signed in ended")
	case <-time.After(3 * time.Second): // past a recheck: it holds
	}
}

func TestNoPasswordTokenOrSessionIdIsEverLogged(t *testing.T) {
	a := newApp(t, handlersConfig())
	ann := a.signIn(t, "ann", access.Importer)
	resp, _ := postForm(t, a.anonymous(), a.URL+"/login", url.Values{"name": {"ann"}, "password": {testPassword}})
	signedIn := sessionCookieOf(resp)
	if signedIn == nil {
		t.Fatalf("sign in: %s", resp.Status)
	}
	postForm(t, a.anonymous(), a.URL+"/login", url.Values{"name": {"ann"}, "password": {"a wrong password here"}})
	postForm(t, a.client(), a.URL+"/users", url.Values{"name": {"bo"}, "role": {"viewer"}, "password": {"bo's secret password"}})
	postForm(t, a.client(), a.URL+"/users/password", url.Values{"name": {"bo"}, "password": {"bo's newer password"}})
	token, err := a.people.NewToken(context.Background(), "ann", "script") // as `user token` makes it
	if err != nil {
		t.Fatal(err)
	}
	(&user{token: token}).script().Get(a.URL + "/imports")
	ann.script().Get(a.URL + "/imports")
	a.send(t, "GET", "/setup?token=guess", nil)
	a.send(t, "POST", "/logout", cookie(ann.session))

	logs := a.logs.String()
	for _, secret := range []string{testPassword, "a wrong password here", "bo's secret password", "bo's newer password",
		token, ann.token, ann.session, signedIn.Value, a.me.session, a.me.token, "guess"} {
		if strings.Contains(logs, secret) {
			t.Errorf("the log holds a secret %q", secret)
		}
	}
	for _, want := range []string{`msg="signed in" user=ann`, `msg="failed sign-in" user=ann`, `msg="user changed" by=tester user=bo change=added`,
		`user=ann via=token`, `msg="signed out" user=ann`} {
		if !strings.Contains(logs, want) {
			t.Errorf("the log lacks %s", want)
		}
	}
}

// TestConfirmAndUndoNameWhoDidThemAndAreOfferedOnlyToWhoMay follows a
// review through its confirm and undo: each page offers Save to an
// importer and Undo to an administrator only, and the status names who
// uploaded, confirmed and undid.
func TestConfirmAndUndoNameWhoDidThemAndAreOfferedOnlyToWhoMay(t *testing.T) {
	a := newApp(t, handlersConfig())
	ivy := a.signIn(t, "ivy", access.Importer)
	vera := a.signIn(t, "vera", access.Viewer)
	review := reviewUpload(t, a, "areas.xlsx", areasBook(t, []any{"N", "North"}), false)
	ended(t, a, review)

	offers := func(u *user, page, form string) bool {
		t.Helper()
		return getDocAs(t, u.client(), a.URL+page).Find("form."+form).Length() > 0
	}
	if offers(vera, review, "confirm") || !offers(ivy, review, "confirm") {
		t.Errorf("the review's Save: offered to the viewer %v, to the importer %v; want the importer only",
			offers(vera, review, "confirm"), offers(ivy, review, "confirm"))
	}
	resp, _ := postForm(t, ivy.client(), a.URL+review+"/confirm", nil)
	saved := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || saved == review {
		t.Fatalf("ivy confirms: %s to %q", resp.Status, saved)
	}
	ended(t, a, saved)
	if st := statusByOf(t, a.client(), a.URL+review); st.UploadedBy != "tester" || st.ConfirmedBy != "ivy" {
		t.Errorf("the review: %+v, want uploaded by tester, confirmed by ivy", st)
	}
	if st := statusByOf(t, a.client(), a.URL+saved); st.State != "succeeded" || st.ConfirmedBy != "ivy" {
		t.Errorf("the saving import: %+v, want succeeded, confirmed by ivy", st)
	}

	if offers(ivy, saved, "undo") || !offers(a.me, saved, "undo") {
		t.Errorf("Undo: offered to the importer %v, to the administrator %v; want the administrator only",
			offers(ivy, saved, "undo"), offers(a.me, saved, "undo"))
	}
	resp, _ = postForm(t, a.client(), a.URL+saved+"/undo", nil)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("undo: %s", resp.Status)
	}
	ended(t, a, resp.Header.Get("Location"))
	if st := statusByOf(t, a.client(), a.URL+saved); st.UndoneBy != "tester" {
		t.Errorf("the undone import: %+v, want undone by tester", st)
	}
}
