package handlers_test

// Browser tests: Roster's pages in a real headless Chromium, driven through
// chromedp, with JavaScript (htmx and its SSE extension) and without it
// (plain form posts and a page that refreshes itself).
//
// One Chromium serves every test of this file; each test gets a tab of its
// own. The tests skip when no Chromium is installed and under -short. With
// ROSTER_SCREENSHOTS=1 they also write docs/stepper.png,
// docs/stepper-nojs.png and docs/problems.png.

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"iter"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/chromedp/cdproto/emulation"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"roster/importer"
	"roster/importer/store"
)

// tabTimeout bounds everything one test does in its tab.
const tabTimeout = 60 * time.Second

// finalState selects the summary of an import that has ended.
const finalState = `#summary [data-import-state]:not([data-import-state="queued"]):not([data-import-state="running"])`

// shared is the one browser of this file, started by the first test that
// needs it and stopped by TestMain.
var shared struct {
	once   sync.Once
	ctx    context.Context // owns the browser; tabs are its children
	cancel context.CancelFunc
	err    error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shared.cancel != nil {
		shared.cancel()
	}
	os.Exit(code)
}

// findChromium returns the path of a Chromium or Chrome, or "".
func findChromium() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	return ""
}

// sharedBrowser returns the context of the shared browser, starting it once.
func sharedBrowser(t *testing.T) context.Context {
	t.Helper()
	if testing.Short() {
		t.Skip("browser tests do not run with -short")
	}
	path := findChromium()
	if path == "" {
		t.Skip("no Chromium found; install it (apt-get install chromium) to run the browser tests")
	}
	shared.once.Do(func() {
		dir, err := os.MkdirTemp("", "roster-chromium-")
		if err != nil {
			shared.err = err
			return
		}
		opts := append(chromedp.DefaultExecAllocatorOptions[:],
			chromedp.ExecPath(path),
			chromedp.Flag("no-sandbox", true),
			chromedp.Flag("disable-gpu", true),
			chromedp.Flag("disable-background-networking", true),
			chromedp.Flag("disable-component-update", true),
			chromedp.Flag("disable-sync", true),
			chromedp.Flag("no-first-run", true),
			chromedp.Flag("disable-quic", true),
			chromedp.WindowSize(1280, 900),
			chromedp.UserDataDir(dir),
		)
		actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
		bctx, cancelBrowser := chromedp.NewContext(actx)
		shared.ctx = bctx
		shared.cancel = func() {
			cancelBrowser()
			cancelAlloc()
			os.RemoveAll(dir)
		}
		shared.err = chromedp.Do(bctx) // starts the browser
	})
	if shared.err != nil {
		t.Fatalf("start Chromium at %s: %v", path, shared.err)
	}
	return shared.ctx
}

// newTab opens a tab of the shared browser for one test, with a deadline,
// and records what happens in it. The tab has cookies of its own, and
// with an app, is signed in to it as the app's user (signInTab).
func newTab(t *testing.T, a *app) (context.Context, *tabLog) {
	t.Helper()
	ctx, closeTab := chromedp.NewContext(sharedBrowser(t), chromedp.WithNewBrowserContext())
	t.Cleanup(closeTab)
	ctx, cancel := context.WithTimeout(ctx, tabTimeout)
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil { // opens the tab
		t.Fatalf("open a tab: %v", err)
	}
	l := &tabLog{}
	if err := chromedp.Listen(ctx, l.record); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.checkConsole(t) })
	if a != nil {
		signInTab(t, ctx, a, a.me)
	}
	return ctx, l
}

// signInTab gives the tab the user's session cookie for the app, as the
// sign-in page leaves it.
func signInTab(t *testing.T, ctx context.Context, a *app, u *user) {
	t.Helper()
	httpOnly := true
	_, err := chromedp.Call(ctx, network.SetCookie, network.SetCookieParams{
		Name: "roster_session", Value: u.session, URL: a.URL + "/", Path: "/",
		HTTPOnly: &httpOnly, SameSite: network.CookieSameSiteLax,
	})
	if err != nil {
		t.Fatalf("sign the tab in: %v", err)
	}
}

// tabLog is what a tab did: its console, its requests, its navigations and
// the server-sent events it received. chromedp.Listen calls record in the
// order the browser sends events, before the reply to any later command, so
// whatever happened before a wait ended is here once the wait returns.
type tabLog struct {
	mu        sync.Mutex
	console   []consoleLine
	requests  []string // method and URL of every request
	navigated []string // main-frame navigations (not pushState)
	stream    []streamEvent
}

type consoleLine struct {
	source, level, text string
}

type streamEvent struct {
	name, data string
}

func (l *tabLog) record(ev any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch ev := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		var parts []string
		for _, a := range ev.Args {
			if a.Description != "" {
				parts = append(parts, a.Description)
			} else {
				parts = append(parts, string(a.Value))
			}
		}
		l.console = append(l.console, consoleLine{"console-api", string(ev.Type), strings.Join(parts, " ")})
	case *runtime.EventExceptionThrown:
		text := ev.ExceptionDetails.Text
		if ex := ev.ExceptionDetails.Exception; ex != nil {
			text += " " + ex.Description
		}
		l.console = append(l.console, consoleLine{"exception", "error", text})
	case *cdplog.EventEntryAdded:
		l.console = append(l.console, consoleLine{string(ev.Entry.Source), string(ev.Entry.Level), ev.Entry.Text + " " + ev.Entry.URL})
	case *network.EventRequestWillBeSent:
		l.requests = append(l.requests, ev.Request.Method+" "+ev.Request.URL)
	case *page.EventFrameNavigated:
		if ev.Frame.ParentID == "" {
			l.navigated = append(l.navigated, ev.Frame.URL)
		}
	case *network.EventEventSourceMessageReceived:
		l.stream = append(l.stream, streamEvent{ev.EventName, ev.Data})
	}
}

// checkConsole fails the test for anything the Content-Security-Policy
// blocked and for uncaught exceptions; other messages are logged.
func (l *tabLog) checkConsole(t *testing.T) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, c := range l.console {
		line := fmt.Sprintf("[%s %s] %s", c.source, c.level, c.text)
		switch {
		case c.source == "security",
			strings.Contains(c.text, "Content Security Policy"),
			strings.Contains(c.text, "Refused to"):
			t.Errorf("the Content-Security-Policy blocked something: %s", line)
		case c.source == "exception":
			t.Errorf("uncaught exception in the page: %s", line)
		default:
			t.Logf("console: %s", line)
		}
	}
}

// requestsTo returns the requests whose URL path ends with suffix.
func (l *tabLog) requestsTo(suffix string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, r := range l.requests {
		if strings.HasSuffix(strings.SplitN(r, "?", 2)[0], suffix) {
			out = append(out, r)
		}
	}
	return out
}

func (l *tabLog) navigations() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.navigated)
}

func (l *tabLog) events() []streamEvent {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.stream)
}

// areaRows is an Areas sheet of n areas with codes prefix0001, prefix0002, …
func areaRows(prefix string, n int) [][]any {
	rows := [][]any{{"Code", "Name"}}
	for i := range n {
		rows = append(rows, []any{fmt.Sprintf("%s%04d", prefix, i+1), fmt.Sprintf("Area %d", i+1)})
	}
	return rows
}

// workbookFile writes a workbook where the browser can pick it.
func workbookFile(t *testing.T, name string, body []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, body, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// screenshot saves a full-page PNG to docs/ when ROSTER_SCREENSHOTS=1.
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	if os.Getenv("ROSTER_SCREENSHOTS") != "1" {
		return
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	dir := filepath.Join("..", "docs")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote docs/%s", name)
}

// browserUpload opens the upload page, picks the file, unticks "Review
// the changes before saving" (so the workbook is imported at once) and
// submits the form.
func browserUpload(ctx context.Context, base, file string) error {
	return chromedp.Do(ctx,
		chromedp.Navigate(base+"/"),
		chromedp.SetUploadFiles(chromedp.CSS(`form[action="/imports"] input[type=file][name=file]`), []string{file}),
		importAtOnce(),
		chromedp.Click(chromedp.CSS(`form[action="/imports"] button[type=submit]`)),
	)
}

// importAtOnce unticks the upload form's review box, ticked by default,
// as a user does: by clicking its label. It works with scripts off.
func importAtOnce() chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		if _, err := chromedp.Click(chromedp.CSS(`label[for="review"]`))(ctx, t); err != nil {
			return err
		}
		on, err := chromedp.JavascriptAttribute[bool](chromedp.CSS(`#review`), "checked")(ctx, t)
		if err != nil {
			return err
		}
		if on {
			return errors.New("the review box is still ticked after a click on its label")
		}
		return nil
	})
}

// importID is the id in an /imports/{id} URL.
func importID(url string) string {
	_, id, _ := strings.Cut(url, "/imports/")
	return strings.SplitN(id, "/", 2)[0]
}

// textIn is the trimmed textContent of the first element that matches css.
func textIn(ctx context.Context, css string) (string, error) {
	s, err := chromedp.Run(ctx, chromedp.TextContent(chromedp.CSS(css)))
	return strings.Join(strings.Fields(s), " "), err
}

func TestBrowserShowsStepsLiveWithJavaScript(t *testing.T) {
	a := newApp(t, handlersConfig())
	ctx, tab := newTab(t, a)
	book := workbookFile(t, "staff.xlsx", workbook(t, map[string][][]any{
		"Areas":       areaRows("AR", 2000),
		"Departments": {{"Code", "Name", "Area Code"}, {"HR", "People", "AR0001"}, {"OPS", "Operations", "AR2000"}},
	}, "Areas", "Departments"))

	if err := chromedp.Do(ctx, chromedp.Navigate(a.URL+"/")); err != nil {
		t.Fatal(err)
	}
	// A marker a page load would wipe out, and a note of how htmx closes
	// the stream. Both are the test's own JavaScript, run by DevTools.
	if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`
		window.__marker = 1;
		window.__sseClose = [];
		document.body.addEventListener("htmx:sseClose", e => window.__sseClose.push(e.detail.type));
	`)); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx,
		chromedp.SetUploadFiles(chromedp.CSS(`input[name=file]`), []string{book}),
		importAtOnce(),
		chromedp.Click(chromedp.CSS(`form[action="/imports"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(finalState)),
	); err != nil {
		t.Fatalf("waiting for the import to end on the page: %v", err)
	}

	state, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS(finalState), "data-import-state"))
	if err != nil {
		t.Fatal(err)
	}
	if state.Value != "succeeded" {
		summary, _ := textIn(ctx, "#summary")
		t.Fatalf("the import ended %q, want succeeded: %s", state.Value, summary)
	}
	for key, want := range map[string]string{"areas": "2,000 rows read", "departments": "2 rows read"} {
		got, err := textIn(ctx, fmt.Sprintf(`[data-step=%q][data-state="done"] .rows`, key))
		if err != nil {
			t.Fatalf("%s is not done: %v", key, err)
		}
		if got != want {
			t.Errorf("%s says %q, want %q", key, got, want)
		}
	}
	if got, err := textIn(ctx, `[data-step="areas"] .created`); err != nil || got != "2,000 created" {
		t.Errorf("areas says %q (%v), want 2,000 created", got, err)
	}

	// The page was never reloaded: the marker survived, and the only
	// main-frame navigation is the one to the upload page.
	if marker, err := chromedp.Run(ctx, chromedp.Evaluate[int](`window.__marker`)); err != nil || marker != 1 {
		t.Errorf("window.__marker = %d (%v): the page was reloaded", marker, err)
	}
	if nav := tab.navigations(); len(nav) != 1 || nav[0] != a.URL+"/" {
		t.Errorf("main-frame navigations %q, want only the upload page", nav)
	}

	// The keyboard focus moved from the gone form to the import, and at
	// its end to the outcome (issue 9: 7).
	if focused, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.activeElement ? document.activeElement.id : ""`)); err != nil || focused != "import-summary" {
		t.Errorf("the focus is on %q (%v), want the outcome", focused, err)
	}

	// htmx pushed the import's own URL.
	url, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	id := importID(url)
	if url != a.URL+"/imports/"+id || len(id) < 26 {
		t.Errorf("the URL is %q, want %s/imports/{id}", url, a.URL)
	}

	// One stream, closed by the page on done, so no reconnect follows.
	if got := tab.requestsTo("/events"); len(got) != 1 || !strings.HasSuffix(got[0], "/imports/"+id+"/events") {
		t.Errorf("requests to the event stream: %q, want exactly one to /imports/%s/events", got, id)
	}
	if closed, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`window.__sseClose`)); err != nil || !slices.Equal(closed, []string{"message"}) {
		t.Errorf("htmx:sseClose events %q (%v), want one, for the done message", closed, err)
	}

	// What the stream sent: every step first, in order, and done last.
	events := tab.events()
	var names []string
	for _, e := range events {
		names = append(names, e.name)
	}
	if len(names) < 8 || strings.Join(names[:7], ",") != strings.Join(stepKeys(), ",") || names[len(names)-1] != "done" {
		t.Errorf("the page received %v, want the seven steps, their changes, then done", names)
	}
	running := 0
	for _, e := range events {
		if e.name == "areas" && strings.Contains(e.data, `data-state="running"`) {
			running++
		}
	}
	t.Logf("the page received %d events, %d of them areas while running", len(events), running)

	if got := countRows(t, a.dbPath, "areas"); got != 2000 {
		t.Errorf("areas in the database: %d, want 2000", got)
	}
	if got := countRows(t, a.dbPath, "departments"); got != 2 {
		t.Errorf("departments in the database: %d, want 2", got)
	}
	screenshot(t, ctx, "stepper.png")
}

func stepKeys() []string {
	keys := make([]string, len(importer.Steps))
	for i, k := range importer.Steps {
		keys[i] = string(k)
	}
	return keys
}

// disableJavaScript turns page scripts off in the tab, as a browser with
// JavaScript disabled has it: <noscript> counts, htmx never runs.
func disableJavaScript(t *testing.T, ctx context.Context) {
	t.Helper()
	_, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
	if err != nil {
		t.Fatal(err)
	}
}

// importPage is what a tab without JavaScript shows of an import.
type importPage struct {
	url, state string
	refresh    bool // a <noscript><meta http-equiv="refresh"> is in force
}

// readImportPage reads the import page with DOM queries only, which work
// with page scripts off.
func readImportPage(ctx context.Context) (importPage, error) {
	var p importPage
	url, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		return p, err
	}
	state, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS("#summary [data-import-state]"), "data-import-state"))
	if err != nil {
		return p, err
	}
	// With scripting off the browser parses <noscript> as markup, so the
	// meta element is in the DOM exactly when it refreshes the page.
	metas, err := chromedp.Run(ctx, chromedp.Nodes(chromedp.CSSAll(`head noscript meta[http-equiv="refresh"]`), chromedp.AtLeast(0)))
	if err != nil {
		return p, err
	}
	return importPage{url: url, state: state.Value, refresh: len(metas) > 0}, nil
}

// pageLoads returns a func that waits for the tab's next load event; the
// subscription starts at once, so no load is missed.
func pageLoads(t *testing.T, ctx context.Context) func() error {
	next, stop := iter.Pull2(chromedp.Events(ctx, page.LoadEventFired))
	t.Cleanup(stop)
	return func() error {
		_, err, ok := next()
		if !ok && err == nil {
			err = errors.New("the tab is gone")
		}
		return err
	}
}

// untilEnded reads the page after each load until it shows an ended
// import, and returns every page it read. The page's own refresh makes the
// loads; maxLoads bounds the wait.
func untilEnded(ctx context.Context, nextLoad func() error, maxLoads int) ([]importPage, error) {
	var seen []importPage
	for len(seen) < maxLoads {
		if err := nextLoad(); err != nil {
			return seen, err
		}
		p, err := readImportPage(ctx)
		if err != nil {
			return seen, err
		}
		seen = append(seen, p)
		if importer.State(p.state).Final() {
			return seen, nil
		}
	}
	return seen, fmt.Errorf("the import did not end within %d page loads: %+v", maxLoads, seen)
}

func TestBrowserImportsWithoutJavaScript(t *testing.T) {
	a := newApp(t, handlersConfig())
	ctx, tab := newTab(t, a)
	disableJavaScript(t, ctx)
	book := workbookFile(t, "plain.xlsx", workbook(t, map[string][][]any{"Areas": areaRows("NJ", 300)}, "Areas"))

	if err := chromedp.Do(ctx, chromedp.Navigate(a.URL+"/")); err != nil {
		t.Fatal(err)
	}
	// DevTools may still evaluate; the page's own scripts did not run.
	if typ, err := chromedp.Run(ctx, chromedp.Evaluate[string](`typeof htmx`)); err != nil || typ != "undefined" {
		t.Fatalf("typeof htmx = %q (%v): page scripts ran", typ, err)
	}
	nextLoad := pageLoads(t, ctx)
	if err := chromedp.Do(ctx,
		chromedp.SetUploadFiles(chromedp.CSS(`input[name=file]`), []string{book}),
		importAtOnce(),
		chromedp.Click(chromedp.CSS(`form[action="/imports"] button[type=submit]`)),
	); err != nil {
		t.Fatal(err)
	}
	seen, err := untilEnded(ctx, nextLoad, 10)
	if err != nil {
		t.Fatal(err)
	}
	last := seen[len(seen)-1]
	id := importID(last.url)
	if last.url != a.URL+"/imports/"+id || id == "" {
		t.Errorf("the browser is at %q, want the import page the 303 leads to", last.url)
	}
	for _, p := range seen {
		if p.refresh == importer.State(p.state).Final() {
			t.Errorf("a page of an import %s has refresh = %v", p.state, p.refresh)
		}
	}
	t.Logf("pages read: %+v", seen)
	if last.state != "succeeded" {
		summary, _ := textIn(ctx, "#summary")
		t.Fatalf("the import ended %q, want succeeded: %s", last.state, summary)
	}
	if last.refresh {
		t.Error("the page of an ended import still refreshes itself")
	}
	if st, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS(`[data-step="areas"]`), "data-state")); err != nil || st.Value != "done" {
		t.Errorf("areas is %q (%v), want done", st.Value, err)
	}
	if got, err := textIn(ctx, `[data-step="areas"] .rows`); err != nil || got != "300 rows read" {
		t.Errorf("areas says %q (%v), want 300 rows read", got, err)
	}
	if got := tab.requestsTo("/events"); len(got) != 0 {
		t.Errorf("without JavaScript the page opened the event stream: %q", got)
	}
	if got := countRows(t, a.dbPath, "areas"); got != 300 {
		t.Errorf("areas in the database: %d, want 300", got)
	}
	screenshot(t, ctx, "stepper-nojs.png")
}

func TestBrowserWithoutJavaScriptTheImportPageRefreshesUntilTheImportEnds(t *testing.T) {
	a := newApp(t, handlersConfig())
	// One real import first: once it has ended, the runner is past its
	// start-up, where it marks unfinished imports interrupted.
	readEvents(t, a.URL+a.upload(t, "warm-up.xlsx", areasWorkbook(t, 1), nil).Header.Get("Location")+"/events")

	// An import that runs elsewhere (another instance on the same
	// database), so this test decides when it ends.
	st, err := store.Open(context.Background(), a.dbPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	save := func(s importer.Status) {
		t.Helper()
		if _, err := st.SaveStatus(context.Background(), s); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Now()
	status := importer.NewStatus(rand.Text(), "elsewhere.xlsx", now)
	status.State, status.Started = importer.Running, now
	status.Steps[0] = importer.Step{Key: importer.StepAreas, State: importer.StepRunning, Rows: 40, Total: 100, Started: now}
	save(status)
	pageURL := a.URL + "/imports/" + status.ID

	// The HTML itself, as any client gets it while the import runs.
	resp, err := a.client().Get(pageURL)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := goquery.NewDocumentFromReader(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if got := doc.Find("head noscript").Text(); !strings.Contains(got, `http-equiv="refresh"`) {
		t.Errorf("the page of a running import has no <noscript> refresh: head noscript = %q", got)
	}

	ctx, _ := newTab(t, a)
	disableJavaScript(t, ctx)
	nextLoad := pageLoads(t, ctx)
	if err := chromedp.Do(ctx, chromedp.Navigate(pageURL)); err != nil {
		t.Fatal(err)
	}
	if err := nextLoad(); err != nil { // the load of the navigation
		t.Fatal(err)
	}
	first, err := readImportPage(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if first.state != "running" || !first.refresh {
		t.Fatalf("the page of a running import: %+v, want running and refreshing", first)
	}
	if got, err := textIn(ctx, `[data-step="areas"] .rows`); err != nil || got != "40 of 100 rows read" {
		t.Errorf("areas says %q (%v), want 40 of 100 rows read", got, err)
	}

	// The import ends; the page's next refresh shows it, and stops.
	status.State, status.Finished = importer.Succeeded, time.Now()
	for i := range status.Steps {
		status.Steps[i].State = importer.StepSkipped
	}
	status.Steps[0] = importer.Step{Key: importer.StepAreas, State: importer.StepDone, Rows: 100, Total: 100, Created: 100, Started: now, Finished: status.Finished}
	save(status)
	seen, err := untilEnded(ctx, nextLoad, 5)
	if err != nil {
		t.Fatal(err)
	}
	last := seen[len(seen)-1]
	if last.url != pageURL || last.state != "succeeded" || last.refresh {
		t.Errorf("after the import ended the page is %+v, want %s succeeded and not refreshing", last, pageURL)
	}
	if got, err := textIn(ctx, `[data-step="areas"] .rows`); err != nil || got != "100 rows read" {
		t.Errorf("areas says %q (%v), want 100 rows read", got, err)
	}
}

func TestBrowserTwoTabsEachFollowTheirOwnImport(t *testing.T) {
	a := newApp(t, handlersConfig())
	type tab struct {
		file  string
		areas int
		ctx   context.Context
		log   *tabLog
		path  string
	}
	tabs := []*tab{{file: "ten.xlsx", areas: 10}, {file: "twenty.xlsx", areas: 20}}
	for _, tb := range tabs {
		tb.ctx, tb.log = newTab(t, a)
		tb.path = workbookFile(t, tb.file, workbook(t, map[string][][]any{"Areas": areaRows(strings.TrimSuffix(tb.file, ".xlsx"), tb.areas)}, "Areas"))
	}

	// Both upload at once, and each waits for its import to end.
	errs := make([]error, len(tabs))
	var wg sync.WaitGroup
	for i, tb := range tabs {
		wg.Go(func() {
			if err := browserUpload(tb.ctx, a.URL, tb.path); err != nil {
				errs[i] = fmt.Errorf("%s: upload: %w", tb.file, err)
				return
			}
			if err := chromedp.Do(tb.ctx, chromedp.WaitVisible(chromedp.CSS(finalState))); err != nil {
				errs[i] = fmt.Errorf("%s: waiting for the end: %w", tb.file, err)
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}

	ids := map[string]bool{}
	for _, tb := range tabs {
		url, err := chromedp.Run(tb.ctx, chromedp.Location())
		if err != nil {
			t.Fatal(err)
		}
		id := importID(url)
		ids[id] = true
		state, err := chromedp.Run(tb.ctx, chromedp.AttributeValue(chromedp.CSS(finalState), "data-import-state"))
		if err != nil {
			t.Fatal(err)
		}
		if state.Value != "succeeded" {
			t.Errorf("%s ended %q, want succeeded", tb.file, state.Value)
		}
		if got, err := textIn(tb.ctx, "#import-title .file-name"); err != nil || got != tb.file {
			t.Errorf("%s: the heading names %q (%v)", tb.file, got, err)
		}
		want := fmt.Sprintf("%d rows read", tb.areas)
		if got, err := textIn(tb.ctx, `[data-step="areas"][data-state="done"] .rows`); err != nil || got != want {
			t.Errorf("%s: areas says %q (%v), want %q", tb.file, got, err, want)
		}
		if got := tb.log.requestsTo("/events"); len(got) != 1 || !strings.HasSuffix(got[0], "/imports/"+id+"/events") {
			t.Errorf("%s: requests to event streams %q, want one, to its own import %s", tb.file, got, id)
		}
		for _, e := range tb.log.events() {
			if e.name != "areas" {
				continue
			}
			doc, err := goquery.NewDocumentFromReader(strings.NewReader(e.data))
			if err != nil {
				t.Fatal(err)
			}
			step := doc.Find(`[data-step="areas"][data-state="done"]`)
			if got := strings.Join(strings.Fields(step.Find(".rows").Text()), " "); step.Length() > 0 && got != want {
				t.Errorf("%s: its stream sent areas done with %q, want %q", tb.file, got, want)
			}
		}
	}
	if len(ids) != 2 {
		t.Errorf("the two tabs show imports %v, want two different ones", ids)
	}
	if got := countRows(t, a.dbPath, "areas"); got != 30 {
		t.Errorf("areas in the database: %d, want 30", got)
	}
}

// scriptValue is a cell value that must reach the page as text.
const scriptValue = `<script>alert(1)</script>`

func TestBrowserShowsEveryProblemOfABadWorkbookAsText(t *testing.T) {
	a := newApp(t, handlersConfig())
	ctx, tab := newTab(t, a)
	book := workbookFile(t, "bad.xlsx", workbook(t, map[string][][]any{
		"Departments":  {{"Code", "Name"}, {"HR", "People"}},
		"Designations": {{"Code", "Title"}, {"CLK", "Clerk"}},
		"Employees": {
			{"Employee ID", "Full Name", "Email", "Department Code", "Designation Code"},
			{"E1", "Ann Lee", "not-an-email", "HR", "CLK"},
			{"E2", "Bo Chan", "bo@example.com", scriptValue, "CLK"},
		},
	}, "Departments", "Designations", "Employees"))

	if err := browserUpload(ctx, a.URL, book); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(finalState))); err != nil {
		t.Fatalf("waiting for the import to end on the page: %v", err)
	}
	state, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS(finalState), "data-import-state"))
	if err != nil {
		t.Fatal(err)
	}
	if state.Value != "failed" {
		t.Fatalf("the import ended %q, want failed", state.Value)
	}

	// The done event brings the problems; a fresh load of the page shows
	// them too (without a stream, as the import has ended).
	checkProblems(t, ctx, tab, "on the live page")
	href, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS(`#summary a[href$="/problems.xlsx"]`), "href"))
	if err != nil {
		t.Fatal(err)
	}
	url, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	if id := importID(url); href.Value != "/imports/"+id+"/problems.xlsx" {
		t.Errorf("the problems link is %q, want /imports/%s/problems.xlsx", href.Value, id)
	}
	resp, err := a.client().Get(a.URL + href.Value)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("GET %s: %s", href.Value, resp.Status)
	}
	if err := chromedp.Do(ctx, chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(finalState))); err != nil {
		t.Fatal(err)
	}
	checkProblems(t, ctx, nil, "after a reload")
	if got := countRows(t, a.dbPath, "employees") + countRows(t, a.dbPath, "departments"); got != 0 {
		t.Errorf("%d rows written by a failed import, want none", got)
	}
	screenshot(t, ctx, "problems.png")
}

// checkProblems checks the problems table of the bad workbook: both
// problems with sheet, row and column, and the script in a cell shown as
// text, not run and not made an element.
func checkProblems(t *testing.T, ctx context.Context, tab *tabLog, where string) {
	t.Helper()
	rows, err := chromedp.Run(ctx, chromedp.Evaluate[[][]string](`
		[...document.querySelectorAll("#summary table.problems tbody tr")]
			.map(tr => [...tr.cells].map(td => td.textContent.trim()))`))
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"Employees", "2", "Email", "not-an-email"},
		{"Employees", "3", "Department Code", scriptValue},
	}
	for _, w := range want {
		found := slices.ContainsFunc(rows, func(r []string) bool { return len(r) == 5 && slices.Equal(r[:4], w) && r[4] != "" })
		if !found {
			t.Errorf("%s: no problem %q with a message in the table %q", where, w, rows)
		}
	}
	if len(rows) != len(want) && tab != nil {
		// Evidence for a report: what the done event carried, and what
		// the same page shows when loaded afresh.
		for _, e := range tab.events() {
			if e.name == "done" {
				t.Logf("the done event's data: %s", e.data)
			}
		}
		url, _ := chromedp.Run(ctx, chromedp.Location())
		if resp, err := clientFor(url).Get(url); err == nil {
			doc, _ := goquery.NewDocumentFromReader(resp.Body)
			resp.Body.Close()
			t.Logf("GET %s now lists %d problems", url, doc.Find("table.problems tbody tr").Length())
		}
	}

	// Only the layout's two scripts are in the page: the cell made none.
	scripts, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.scripts].map(s => s.getAttribute("src") || "inline: " + s.textContent)`))
	if err != nil {
		t.Fatal(err)
	}
	if len(scripts) != 2 || !slices.ContainsFunc(scripts, func(s string) bool { return strings.HasPrefix(s, "/assets/htmx.min.js") }) {
		t.Errorf("%s: scripts in the page: %q, want only htmx and its SSE extension", where, scripts)
	}
}
