package handlers_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// TestBrowserCancelsAQueuedImportWithJavaScript clicks the import page's
// cancel button while the import waits in the queue: the page shows it
// cancelled in place, and nothing is written.
func TestBrowserCancelsAQueuedImportWithJavaScript(t *testing.T) {
	a := newStoppedApp(t, handlersConfig())
	ctx, tab := newTab(t, a)
	page := a.upload(t, "waiting.xlsx", areasWorkbook(t, 3), nil).Header.Get("Location")

	if err := chromedp.Do(ctx,
		chromedp.Navigate(a.URL+page),
		chromedp.WaitVisible(chromedp.CSS(`[data-step="areas"][data-state="pending"]`)),
		chromedp.Evaluate[chromedp.Void](`window.__marker = 1`),
		chromedp.Click(chromedp.CSS(`#summary form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-import-state="cancelled"]`)),
	); err != nil {
		t.Fatalf("cancelling on the page: %v", err)
	}
	for _, key := range stepKeys() {
		if _, err := textIn(ctx, fmt.Sprintf(`[data-step=%q][data-state="cancelled"]`, key)); err != nil {
			t.Errorf("step %s is not shown cancelled: %v", key, err)
		}
	}
	if marker, err := chromedp.Run(ctx, chromedp.Evaluate[int](`window.__marker`)); err != nil || marker != 1 {
		t.Errorf("the page was reloaded to show the cancellation")
	}
	if nav := tab.navigations(); len(nav) != 1 {
		t.Errorf("main-frame navigations %q, want only the import page", nav)
	}
	a.start()
	if got := countRows(t, a.dbPath, "areas"); got != 0 {
		t.Errorf("%d areas written, want none", got)
	}
}

// TestBrowserPagesFitAPhoneScreen opens every page at 320 CSS pixels wide:
// none may scroll sideways (wide tables scroll inside themselves).
func TestBrowserPagesFitAPhoneScreen(t *testing.T) {
	a := newApp(t, handlersConfig())
	ctx, _ := newTab(t, a)
	bad := workbook(t, map[string][][]any{"Employees": {
		{"Employee ID", "Full Name", "Email", "Phone", "Department Code", "Designation Code", "Area Code", "Joining Date"},
		{"E1", "Ana López de la Fuente y Montenegro", "not-an-email-address-at-all-but-long", "", "NOPE", "NOPE", "", "31/02/2024"},
	}}, "Employees")
	failed := a.upload(t, "a-rather-long-file-name-for-a-small-phone-screen.xlsx", bad, nil).Header.Get("Location")
	readEvents(t, a.URL+failed+"/events")

	screenSize(t, ctx, 320, 640, true)
	for _, path := range []string{"/", "/imports", failed, "/users", "/account", "/login"} {
		if err := chromedp.Do(ctx, chromedp.Navigate(a.URL+path), chromedp.WaitReady(chromedp.CSS("footer.site"))); err != nil {
			t.Fatal(err)
		}
		width, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth`))
		if err != nil {
			t.Fatal(err)
		}
		if width > 320 {
			t.Errorf("%s is %d px wide on a 320 px screen: it scrolls sideways", path, width)
		}
	}
}

// TestBrowserTheProblemsTableCanBeScrolledByKeyboard tabs through a failed
// import's page: the box the problems table scrolls in takes the focus, so
// a keyboard user can scroll it (axe-core: scrollable-region-focusable),
// and it is named for screen readers.
func TestBrowserTheProblemsTableCanBeScrolledByKeyboard(t *testing.T) {
	a := newApp(t, handlersConfig())
	ctx, _ := newTab(t, a)
	bad := workbook(t, map[string][][]any{"Areas": {{"Code", "Name"}, {"A1", ""}}}, "Areas")
	failed := a.upload(t, "bad.xlsx", bad, nil).Header.Get("Location")
	readEvents(t, a.URL+failed+"/events")

	if err := chromedp.Do(ctx,
		chromedp.Navigate(a.URL+failed),
		chromedp.WaitVisible(chromedp.CSS(`table.problems`)),
	); err != nil {
		t.Fatal(err)
	}
	const box = `document.activeElement.matches('.table-scroll') && document.activeElement.contains(document.querySelector('table.problems'))`
	reached := false
	for range 30 {
		if err := chromedp.Do(ctx, chromedp.KeyEvent(kb.Tab)); err != nil {
			t.Fatal(err)
		}
		at, err := chromedp.Run(ctx, chromedp.Evaluate[bool](box))
		if err != nil {
			t.Fatal(err)
		}
		if at {
			reached = true
			break
		}
	}
	if !reached {
		t.Fatal("tabbing through the page never reaches the problems table's scrolling box")
	}
	name, err := chromedp.Run(ctx, chromedp.Evaluate[string](
		`(document.activeElement.getAttribute('aria-labelledby') || '').split(' ').map(id => document.getElementById(id).textContent).join(' ') || document.activeElement.getAttribute('aria-label') || ''`))
	if err != nil || !strings.Contains(name, "problem") {
		t.Errorf("the scrolling box is named %q (%v), want a name that says it holds the problems", name, err)
	}
}

// TestBrowserSignsInAndOutWithoutJavaScriptOnAPhone goes where a person
// nobody signed in goes: to the sign-in page, back after signing in, and
// out again, with page scripts off and a phone's screen.
func TestBrowserSignsInAndOutWithoutJavaScriptOnAPhone(t *testing.T) {
	a := newApp(t, handlersConfig())
	ctx, _ := newTab(t, nil) // nobody signed in
	disableJavaScript(t, ctx)
	screenSize(t, ctx, 320, 640, true)
	location := func() string {
		t.Helper()
		u, err := chromedp.Run(ctx, chromedp.Location())
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimPrefix(u, a.URL)
	}
	focused := func() string {
		t.Helper()
		id, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.activeElement ? document.activeElement.id : ""`))
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	signIn := func(password string) {
		t.Helper()
		if err := chromedp.Do(ctx,
			chromedp.WaitVisible(chromedp.CSS(`#password`)),
			chromedp.SetValue(chromedp.CSS(`#name`), "tester"),
			chromedp.SetValue(chromedp.CSS(`#password`), password),
			chromedp.Submit(chromedp.CSS(`#password`)),
			chromedp.WaitReady(chromedp.CSS(`footer.site`)),
		); err != nil {
			t.Fatal(err)
		}
	}

	if err := chromedp.Do(ctx, chromedp.Navigate(a.URL+"/imports"), chromedp.WaitReady(chromedp.CSS(`footer.site`))); err != nil {
		t.Fatal(err)
	}
	if got := location(); got != "/login?next=%2Fimports" {
		t.Fatalf("nobody signed in, /imports leads to %q, want the sign-in page", got)
	}
	if got := focused(); got != "name" {
		t.Errorf("the sign-in page's focus is on %q, want the name field", got)
	}
	if width, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth`)); err != nil || width > 320 {
		t.Errorf("the sign-in page is %d px wide on a 320 px screen (%v)", width, err)
	}

	signIn("not the password")
	if msg, err := textIn(ctx, `[role="alert"]`); err != nil || msg != "The name or the password is wrong." {
		t.Errorf("a wrong password: the page announces %q (%v)", msg, err)
	}
	if got := focused(); got != "name" {
		t.Errorf("after a wrong password the focus is on %q, want the name field", got)
	}

	signIn(testPassword)
	if got := location(); got != "/imports" {
		t.Fatalf("signed in, the browser is at %q, want back at /imports", got)
	}
	if who, err := textIn(ctx, `header.site .who`); err != nil || !strings.HasPrefix(who, "tester") {
		t.Errorf("the header says %q (%v), want who is signed in", who, err)
	}

	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`form.sign-out button`)),
		chromedp.WaitVisible(chromedp.CSS(`#password`)),
	); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(a.URL+"/imports"), chromedp.WaitReady(chromedp.CSS(`footer.site`))); err != nil {
		t.Fatal(err)
	}
	if got := location(); got != "/login?next=%2Fimports" {
		t.Errorf("signed out, /imports leads to %q, want the sign-in page", got)
	}
}
