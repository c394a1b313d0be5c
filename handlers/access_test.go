package handlers_test

import (
	"io"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"

	"roster/access"
)

// wantRoles is who may use each route, as contract section 9 says: the
// least role, or "" for anyone. It is written out here, apart from the
// server's own table, so that a route given the wrong rule fails, and a
// route the router has and this table lacks fails too.
var wantRoles = map[string]string{
	"GET /healthz":  "",
	"GET /assets/*": "",
	"GET /login":    "",
	"POST /login":   "",
	"GET /setup":    "",
	"POST /setup":   "",

	"GET /":                           "viewer",
	"GET /template.xlsx":              "viewer",
	"GET /export.xlsx":                "viewer",
	"GET /imports":                    "viewer",
	"GET /imports/{id}":               "viewer",
	"GET /imports/{id}/events":        "viewer",
	"GET /imports/{id}/problems.xlsx": "viewer",
	"GET /imports/{id}/changes.xlsx":  "viewer",
	"GET /account":                    "viewer",
	"POST /account/tokens/revoke":     "viewer",
	"POST /logout":                    "viewer",

	"POST /imports":              "importer",
	"POST /imports/{id}/cancel":  "importer",
	"POST /imports/{id}/confirm": "importer",

	"POST /imports/{id}/undo": "admin",
	"GET /users":              "admin",
	"POST /users":             "admin",
	"POST /users/role":        "admin",
	"POST /users/password":    "admin",
	"POST /users/remove":      "admin",
}

var roleRank = map[string]int{"": 0, "viewer": 1, "importer": 2, "admin": 3}

// send makes one request with an empty form body for unsafe methods,
// and the given headers, through a client that does not follow redirects.
func (a *app) send(t *testing.T, method, path string, header http.Header) (*http.Response, string) {
	t.Helper()
	var body io.Reader
	if method != http.MethodGet && method != http.MethodHead {
		body = strings.NewReader("")
	}
	req, err := http.NewRequest(method, a.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := a.anonymous().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(b)
}

func cookie(session string) http.Header {
	return http.Header{"Cookie": {"roster_session=" + session}}
}

// toSignIn reports whether an answer sends a browser to sign in first.
func toSignIn(resp *http.Response, path string) bool {
	return resp.StatusCode == http.StatusSeeOther && resp.Header.Get("Location") == "/login?next="+url.QueryEscape(path)
}

// TestEveryRouteAnswersEachRoleAsTheContractSays walks every route the
// router has, and asks each as nobody (a browser and a script), a viewer,
// an importer and an administrator.
func TestEveryRouteAnswersEachRoleAsTheContractSays(t *testing.T) {
	a := newApp(t, handlersConfig())
	page := a.upload(t, "areas.xlsx", areasWorkbook(t, 2), nil).Header.Get("Location")
	readEvents(t, a.URL+page+"/events")
	id := strings.TrimPrefix(page, "/imports/")

	routes, ok := a.Config.Handler.(chi.Routes)
	if !ok {
		t.Fatalf("the server's handler %T does not list its routes", a.Config.Handler)
	}
	seen := 0
	err := chi.Walk(routes, func(method, pattern string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		key := method + " " + pattern
		want, ok := wantRoles[key]
		if !ok {
			if method != http.MethodGet && pattern == "/assets/*" {
				return nil // the assets answer every method; GET stands for them
			}
			t.Errorf("%s: a route without a rule in this test; add who may use it (contract 9)", key)
			return nil
		}
		seen++
		path := strings.NewReplacer("{id}", id, "*", "app.css").Replace(pattern)
		// HEAD is answered by every GET route, so it must ask what GET asks.
		methods := []string{method}
		if method == http.MethodGet {
			methods = append(methods, http.MethodHead)
		}
		for _, method := range methods {
			t.Run(strings.ReplaceAll(method+" "+pattern, "/", "_"), func(t *testing.T) {
				resp, _ := a.send(t, method, path, nil)
				if want == "" {
					if toSignIn(resp, path) || resp.StatusCode == http.StatusForbidden {
						t.Errorf("nobody signed in: %s (to %q), want it open to anyone", resp.Status, resp.Header.Get("Location"))
					}
					return
				}
				if !toSignIn(resp, path) {
					t.Errorf("nobody signed in, a browser: %s to %q, want 303 to /login?next=%s", resp.Status, resp.Header.Get("Location"), path)
				}
				for _, accept := range []string{"application/json", "text/event-stream"} {
					if resp, _ := a.send(t, method, path, http.Header{"Accept": {accept}}); resp.StatusCode != http.StatusUnauthorized {
						t.Errorf("nobody signed in, Accept %s: %s, want 401", accept, resp.Status)
					}
				}
				for _, role := range []string{"viewer", "importer", "admin"} {
					session := a.signIn(t, "a "+role, access.Role(role)).session // a new one each time: one route signs out
					resp, body := a.send(t, method, path, cookie(session))
					allowed := roleRank[role] >= roleRank[want]
					switch {
					case allowed && (resp.StatusCode == http.StatusForbidden || resp.StatusCode == http.StatusUnauthorized || toSignIn(resp, path)):
						t.Errorf("%s: %s, want it allowed", role, resp.Status)
					case !allowed && resp.StatusCode != http.StatusForbidden:
						t.Errorf("%s: %s, want 403", role, resp.Status)
					case !allowed && method != http.MethodHead && !strings.Contains(body, "needs the "+want+" role"):
						t.Errorf("%s: the 403 page does not name the role needed (%s)", role, want)
					}
				}
			})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if seen < 20 {
		t.Errorf("walked %d routes with rules; the router has more", seen)
	}
}

func TestNotSignedInAndNotAllowedAreDistinctAnswers(t *testing.T) {
	a := newApp(t, handlersConfig())
	viewer := a.signIn(t, "vera", access.Viewer)

	resp, _ := a.send(t, "GET", "/users?x=1", nil)
	if !toSignIn(resp, "/users?x=1") {
		t.Errorf("a browser nobody signed in: %s to %q, want 303 to the sign-in page, back here after", resp.Status, resp.Header.Get("Location"))
	}
	resp, _ = a.send(t, "GET", "/imports", http.Header{"Accept": {"application/json"}})
	if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("WWW-Authenticate") == "" {
		t.Errorf("a script nobody signed in: %s (WWW-Authenticate %q), want 401", resp.Status, resp.Header.Get("WWW-Authenticate"))
	}
	resp, _ = a.send(t, "GET", "/imports", http.Header{"Authorization": {"Bearer roster_notatoken"}})
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("a wrong token: %s, want 401", resp.Status)
	}
	resp, _ = a.send(t, "POST", "/imports", http.Header{"HX-Request": {"true"}})
	if resp.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(resp.Header.Get("HX-Redirect"), "/login?next=") {
		t.Errorf("htmx nobody signed in: %s HX-Redirect %q, want 401 sending the page to sign in", resp.Status, resp.Header.Get("HX-Redirect"))
	}

	// A viewer is not offered what would be refused.
	if _, body := a.send(t, "GET", "/", cookie(viewer.session)); strings.Contains(body, `action="/imports"`) || !strings.Contains(body, "needs the importer role") {
		t.Error("a viewer's upload page offers the upload form, or does not say why not")
	}
	resp, body := a.send(t, "GET", "/users", cookie(viewer.session))
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "needs the admin role") || !strings.Contains(body, "vera") {
		t.Errorf("a viewer on the users page: %s, want 403 saying the admin role is needed", resp.Status)
	}
	resp = a.upload(t, "areas.xlsx", areasWorkbook(t, 1), cookie(viewer.session))
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("a viewer uploading: %s, want 403", resp.Status)
	}
	resp, body = a.send(t, "POST", "/imports", http.Header{"Authorization": {"Bearer " + viewer.token}, "Accept": {"application/json"}})
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, `"role_needed":"importer"`) {
		t.Errorf("a viewer's script uploading: %s %s, want 403 naming the importer role", resp.Status, body)
	}
	if got := countRows(t, a.dbPath, "imports"); got != 0 {
		t.Errorf("%d imports started by a viewer, want none", got)
	}
}

func postForm(t *testing.T, c *http.Client, u string, form url.Values) (*http.Response, string) {
	t.Helper()
	resp, err := c.PostForm(u, form)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(b)
}

func sessionCookieOf(resp *http.Response) *http.Cookie {
	for _, c := range resp.Cookies() {
		if c.Name == "roster_session" {
			return c
		}
	}
	return nil
}

func TestSignInReturnsToALocalPageOnlyAndSignOutEndsTheSession(t *testing.T) {
	a := newApp(t, handlersConfig())
	a.signIn(t, "ann", access.Importer)
	login := a.URL + "/login"

	// The sign-in page keeps where to return.
	resp, body := a.send(t, "GET", "/login?next="+url.QueryEscape("/imports?page=2"), nil)
	if resp.StatusCode != 200 || !strings.Contains(body, `name="next" value="/imports?page=2"`) {
		t.Errorf("the sign-in page: %s, without the page to return to", resp.Status)
	}

	for next, want := range map[string]string{
		"/imports?page=2":       "/imports?page=2",
		"":                      "/",
		"//evil.example/":       "/",
		`/\evil.example`:        "/",
		"https://evil.example/": "/",
		"javascript:alert(1)":   "/",
		"imports":               "/",
		"/%0d%0aSet-Cookie:x=1": "/%0d%0aSet-Cookie:x=1",
	} {
		resp, _ := postForm(t, a.anonymous(), login, url.Values{"name": {"ann"}, "password": {testPassword}, "next": {next}})
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != want {
			t.Errorf("next %q: %s to %q, want 303 to %q", next, resp.Status, resp.Header.Get("Location"), want)
		}
	}

	// A wrong name and a wrong password get the same answer.
	_, wrongName := postForm(t, a.anonymous(), login, url.Values{"name": {"nobody"}, "password": {testPassword}})
	resp, wrongPassword := postForm(t, a.anonymous(), login, url.Values{"name": {"ann"}, "password": {"not the password"}})
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("a wrong password: %s, want 401", resp.Status)
	}
	const message = "The name or the password is wrong."
	if !strings.Contains(wrongName, message) || !strings.Contains(wrongPassword, message) {
		t.Errorf("a wrong name and a wrong password are not told with the one message %q", message)
	}
	if !strings.Contains(wrongPassword, `role="alert"`) || !strings.Contains(wrongPassword, `autofocus`) {
		t.Error("the error is not announced, or no field takes the focus")
	}

	// The cookie, over plain HTTP.
	resp, _ = postForm(t, a.anonymous(), login, url.Values{"name": {"ann"}, "password": {testPassword}})
	c := sessionCookieOf(resp)
	if c == nil || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Secure || c.Path != "/" {
		t.Fatalf("session cookie %+v, want HttpOnly, SameSite=Lax, not Secure over plain HTTP", c)
	}
	if resp, _ := a.send(t, "GET", "/imports", cookie(c.Value)); resp.StatusCode != 200 {
		t.Fatalf("signed in: GET /imports %s", resp.Status)
	}
	// Signing out ends the session: the cookie no longer signs in.
	resp, _ = a.send(t, "POST", "/logout", cookie(c.Value))
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login" {
		t.Errorf("sign out: %s to %q", resp.Status, resp.Header.Get("Location"))
	}
	if resp, _ := a.send(t, "GET", "/imports", cookie(c.Value)); !toSignIn(resp, "/imports") {
		t.Errorf("after signing out the old cookie still signs in: %s", resp.Status)
	}
}

func TestTheSessionCookieIsSecureOverHTTPSThroughTheTrustedProxyOnly(t *testing.T) {
	for _, tt := range []struct {
		from       string
		wantSecure bool
	}{{"127.0.0.0/8", true}, {"10.0.0.0/8", false}} {
		cfg := handlersConfig()
		cfg.ProxyHeader, cfg.ProxyFrom = "X-Forwarded-Email", prefixes(t, tt.from)
		a := newApp(t, cfg)
		req, _ := http.NewRequest("POST", a.URL+"/login", strings.NewReader(url.Values{"name": {"tester"}, "password": {testPassword}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Forwarded-Proto", "https")
		resp, err := a.anonymous().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if c := sessionCookieOf(resp); c == nil || c.Secure != tt.wantSecure {
			t.Errorf("proxy trusted from %s, X-Forwarded-Proto https: cookie %+v, want Secure %v", tt.from, c, tt.wantSecure)
		}
	}
}

// clock is a clock a test moves by hand.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func TestFiveFailuresLockANameForAMinuteAndLongerAsFailuresGoOn(t *testing.T) {
	a := newApp(t, handlersConfig())
	a.signIn(t, "ann", access.Importer)
	clk := &clock{now: time.Now()}
	a.people.Now = clk.Now
	try := func(name, password, from string) int {
		t.Helper()
		req, _ := http.NewRequest("POST", a.URL+"/login", strings.NewReader(url.Values{"name": {name}, "password": {password}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Forwarded-For", from) // not believed: the lock is the name's wherever from
		resp, err := a.anonymous().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for i := range 5 {
		if got := try("ann", "wrong password "+string(rune('a'+i)), "10.0.0."+string(rune('1'+i))); got != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d, want 401", i+1, got)
		}
	}
	if got := try("ann", testPassword, "10.9.9.9"); got != http.StatusTooManyRequests {
		t.Errorf("the right password after 5 failures: %d, want 429 (locked)", got)
	}
	clk.advance(59 * time.Second)
	if got := try("ann", testPassword, "10.9.9.9"); got != http.StatusTooManyRequests {
		t.Errorf("59 s later: %d, want still locked", got)
	}
	clk.advance(2 * time.Second)
	if got := try("ann", "wrong again", "10.9.9.9"); got != http.StatusUnauthorized {
		t.Errorf("61 s later, a sixth failure: %d, want 401", got)
	}
	clk.advance(time.Minute + 59*time.Second)
	if got := try("ann", testPassword, "10.9.9.9"); got != http.StatusTooManyRequests {
		t.Errorf("1 min 59 s after the sixth failure: %d, want still locked (2 minutes now)", got)
	}
	clk.advance(2 * time.Second)
	if got := try("ann", testPassword, "10.9.9.9"); got != http.StatusSeeOther {
		t.Errorf("2 min after the sixth failure, the right password: %d, want signed in", got)
	}
	// Signed in: the count starts again.
	for range 4 {
		try("ann", "wrong", "10.0.0.1")
	}
	if got := try("ann", testPassword, "10.0.0.1"); got != http.StatusSeeOther {
		t.Errorf("4 failures after a sign-in: %d, want signed in", got)
	}
	// A name nobody has locks the same, so the lock tells nothing.
	for range 5 {
		try("nobody", "wrong", "10.0.0.1")
	}
	if got := try("nobody", "wrong", "10.0.0.1"); got != http.StatusTooManyRequests {
		t.Errorf("a name nobody has after 5 failures: %d, want 429 as any name", got)
	}
}

func prefixes(t *testing.T, cidrs ...string) []netip.Prefix {
	t.Helper()
	var out []netip.Prefix
	for _, c := range cidrs {
		p, err := netip.ParsePrefix(c)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, p)
	}
	return out
}
