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
	ctx, tab := newTab(t)
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
	ctx, _ := newTab(t)
	bad := workbook(t, map[string][][]any{"Employees": {
		{"Employee ID", "Full Name", "Email", "Phone", "Department Code", "Designation Code", "Area Code", "Joining Date"},
		{"E1", "Ana López de la Fuente y Montenegro", "not-an-email-address-at-all-but-long", "", "NOPE", "NOPE", "", "31/02/2024"},
	}}, "Employees")
	failed := a.upload(t, "a-rather-long-file-name-for-a-small-phone-screen.xlsx", bad, nil).Header.Get("Location")
	readEvents(t, a.URL+failed+"/events")

	screenSize(t, ctx, 320, 640, true)
	for _, path := range []string{"/", "/imports", failed} {
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
	ctx, _ := newTab(t)
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
