package handlers_test

// Contract section 8 in a real browser, with JavaScript and without:
// review, then save; save twice; undo.

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"roster/importer"
)

// endedIn is the summary of an import that ended in state.
func endedIn(state string) string {
	return `#summary [data-import-state="` + state + `"]`
}

// browserTab is a tab with JavaScript on or off, and what it needs to
// follow pages that load themselves.
type browserTab struct {
	ctx      context.Context
	log      *tabLog
	js       bool
	nextLoad func() error
}

func openTab(t *testing.T, a *app, js bool) *browserTab {
	t.Helper()
	ctx, log := newTab(t, a)
	if !js {
		disableJavaScript(t, ctx)
	}
	return &browserTab{ctx: ctx, log: log, js: js, nextLoad: pageLoads(t, ctx)}
}

// open navigates to a page and waits until it has loaded.
func (b *browserTab) open(t *testing.T, url string) {
	t.Helper()
	if err := chromedp.Do(b.ctx, chromedp.Navigate(url)); err != nil {
		t.Fatal(err)
	}
	if err := b.nextLoad(); err != nil { // the navigation's load
		t.Fatal(err)
	}
}

// submit clicks a form's button. With JavaScript, htmx posts the form and
// swaps the answer in, and the wait is for want to show; without, the
// browser loads the answer, and the wait is for that load.
func (b *browserTab) submit(t *testing.T, button, want string) {
	t.Helper()
	if err := chromedp.Do(b.ctx, chromedp.Click(chromedp.CSS(button))); err != nil {
		t.Fatalf("click %s: %v", button, err)
	}
	var err error
	if b.js {
		err = chromedp.Do(b.ctx, chromedp.WaitVisible(chromedp.CSS(want)))
	} else if err = b.nextLoad(); err == nil {
		_, err = chromedp.Run(b.ctx, chromedp.Nodes(chromedp.CSS(want), chromedp.AtLeast(1)))
	}
	if err != nil {
		summary, _ := textIn(b.ctx, "main")
		t.Fatalf("after clicking %s, waiting for %s: %v; the page says: %s", button, want, err, summary)
	}
}

// untilEnded waits for the import the tab shows to end: with JavaScript
// the stream brings the end; without, the page reloads until it ends.
func (b *browserTab) untilEnded(t *testing.T, state string) string {
	t.Helper()
	if b.js {
		if err := chromedp.Do(b.ctx, chromedp.WaitVisible(chromedp.CSS(endedIn(state)))); err != nil {
			summary, _ := textIn(b.ctx, "#summary")
			t.Fatalf("waiting for the import to end %s: %v; the page says: %s", state, err, summary)
		}
	} else {
		p, err := readImportPage(b.ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !importer.State(p.state).Final() {
			seen, err := untilEnded(b.ctx, b.nextLoad, 20)
			if err != nil {
				t.Fatal(err)
			}
			p = seen[len(seen)-1]
		}
		if p.state != state || p.refresh {
			t.Fatalf("the import ended %s (refreshing: %v), want %s", p.state, p.refresh, state)
		}
	}
	url, err := chromedp.Run(b.ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	return url
}

func jsModes() []bool { return []bool{true, false} }

func jsName(js bool) string {
	if js {
		return "with JavaScript"
	}
	return "without JavaScript"
}

func TestBrowserReviewThenSaveAndSaveTwice(t *testing.T) {
	for _, js := range jsModes() {
		t.Run(jsName(js), func(t *testing.T) {
			a := newApp(t, handlersConfig())
			first := a.upload(t, "first.xlsx", areasBook(t, []any{"A1", "Area 1"}, []any{"A2", "Area 2"}), nil).Header.Get("Location")
			ended(t, a, first)
			book := workbookFile(t, "second.xlsx", areasBook(t, []any{"A1", "Area 1"}, []any{"A2", hostileName}, []any{"A4", "Area 4"}))

			// Upload with the page's defaults: review ticked.
			b := openTab(t, a, js)
			b.open(t, a.URL+"/")
			if err := chromedp.Do(b.ctx, chromedp.Evaluate[chromedp.Void](`window.__marker = 1`)); err != nil {
				t.Fatal(err)
			}
			if err := chromedp.Do(b.ctx,
				chromedp.SetUploadFiles(chromedp.CSS(`input[name=file]`), []string{book}),
				chromedp.Click(chromedp.CSS(`form[action="/imports"] button[type=submit]`)),
			); err != nil {
				t.Fatal(err)
			}
			if !js {
				if err := b.nextLoad(); err != nil {
					t.Fatal(err)
				}
			}
			review := b.untilEnded(t, "reviewed")
			reviewPath := strings.TrimPrefix(review, a.URL)
			if got, err := textIn(b.ctx, `[data-changes-step="areas"] [data-change="created"]`); err != nil || got != "A4" {
				t.Errorf("the review lists created %q (%v), want A4", got, err)
			}
			if got, err := textIn(b.ctx, `[data-changes-step="areas"] [data-change="updated"] .new`); err != nil || got != hostileName {
				t.Errorf("the review shows the new name %q (%v), want the cell as text", got, err)
			}
			if got, err := textIn(b.ctx, endedIn("reviewed")); err != nil || !strings.Contains(got, "nothing has been saved yet") {
				t.Errorf("the review's summary says %q (%v)", got, err)
			}
			if got := countRows(t, a.dbPath, "areas"); got != 2 {
				t.Fatalf("%d areas after the review, want the 2 of before", got)
			}

			if js {
				screenshot(t, b.ctx, "review.png")
			}

			// A second tab shows the same review, Save button and all.
			other := openTab(t, a, js)
			other.open(t, review)

			b.submit(t, `form.confirm button[type=submit]`, endedIn("succeeded")+", "+endedIn("queued")+", "+endedIn("running"))
			saved := b.untilEnded(t, "succeeded")
			if saved == review || !strings.HasPrefix(saved, a.URL+"/imports/") {
				t.Fatalf("after saving the tab is at %s, want the saving import", saved)
			}
			savedPath := strings.TrimPrefix(saved, a.URL)
			if js {
				if marker, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](`window.__marker`)); err != nil || marker != 1 {
					t.Errorf("the page was reloaded (marker %d, %v)", marker, err)
				}
				if got := b.log.requestsTo(savedPath + "/events"); len(got) != 1 {
					t.Errorf("requests to the saving import's stream: %q, want one", got)
				}
			}
			if got, want := areaNames(t, a.dbPath), map[string]string{"A1": "Area 1", "A2": hostileName, "A4": "Area 4"}; !mapsEqual(got, want) {
				t.Errorf("after saving the areas are %v, want %v", got, want)
			}
			if got, err := textIn(b.ctx, `.import-links a[href="`+reviewPath+`"]`); err != nil || !strings.Contains(got, "second.xlsx") {
				t.Errorf("the saving import does not link to its review: %q (%v)", got, err)
			}

			// The other tab's Save is refused, with a way to what saved it.
			other.submit(t, `form.confirm button[type=submit]`, `.conflict a[href="`+savedPath+`"]`)
			if got, _ := textIn(other.ctx, ".conflict h1"); got != "Already saved" {
				t.Errorf("the refusal is headed %q", got)
			}
			if err := chromedp.Do(other.ctx, chromedp.Click(chromedp.CSS(`.conflict a[href="`+savedPath+`"]`))); err != nil {
				t.Fatal(err)
			}
			if err := chromedp.Do(other.ctx, chromedp.WaitVisible(chromedp.CSS(endedIn("succeeded")))); err != nil {
				t.Fatal(err)
			}
			if url, _ := chromedp.Run(other.ctx, chromedp.Location()); url != saved {
				t.Errorf("the link led to %s, want %s", url, saved)
			}
			if got := countRows(t, a.dbPath, "imports"); got != 3 {
				t.Errorf("%d imports, want 3", got)
			}
		})
	}
}

func TestBrowserUndoRunsLiveAndTheUndoneImportLinksToIt(t *testing.T) {
	for _, js := range jsModes() {
		t.Run(jsName(js), func(t *testing.T) {
			a := newApp(t, handlersConfig())
			imported := a.upload(t, "staff.xlsx", areasWorkbook(t, 3), nil).Header.Get("Location")
			ended(t, a, imported)

			b := openTab(t, a, js)
			b.open(t, a.URL+imported)
			if err := chromedp.Do(b.ctx, chromedp.Evaluate[chromedp.Void](`window.__marker = 1`)); err != nil {
				t.Fatal(err)
			}
			// The undo's panel names the import it undoes from the start.
			b.submit(t, `form.undo button[type=submit]`, `#summary .import-links a[href="`+imported+`"]`)
			undo := b.untilEnded(t, "succeeded")
			undoPath := strings.TrimPrefix(undo, a.URL)
			if undoPath == imported {
				t.Fatalf("the tab stayed on the undone import")
			}
			if js {
				if marker, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](`window.__marker`)); err != nil || marker != 1 {
					t.Errorf("the page was reloaded (marker %d, %v)", marker, err)
				}
				if got := b.log.requestsTo(undoPath + "/events"); len(got) != 1 {
					t.Errorf("requests to the undo's stream: %q, want one", got)
				}
				if ev := b.log.events(); len(ev) < 8 || ev[len(ev)-1].name != "done" {
					t.Errorf("the page received %d events, want the steps and done", len(ev))
				}
			}
			if got, err := textIn(b.ctx, `[data-step="areas"][data-state="done"]`); err != nil {
				t.Errorf("the undo's areas step is not done: %q (%v)", got, err)
			}
			if got := countRows(t, a.dbPath, "areas"); got != 0 {
				t.Errorf("%d areas after the undo, want none", got)
			}

			// The undone import says so, linking to the undo.
			b.open(t, a.URL+imported)
			got, err := textIn(b.ctx, `.import-links li:has(a[href="`+undoPath+`"])`)
			if err != nil || !strings.Contains(got, "undone by") {
				t.Fatalf("the undone import says %q (%v), want a link to its undo", got, err)
			}
			if n, _ := chromedp.Run(b.ctx, chromedp.Evaluate[int](`document.querySelectorAll("form.undo").length`)); n != 0 {
				t.Error("the undone import still offers Undo")
			}
			if err := chromedp.Do(b.ctx, chromedp.Click(chromedp.CSS(`.import-links a[href="`+undoPath+`"]`))); err != nil {
				t.Fatal(err)
			}
			if err := b.nextLoad(); err != nil {
				t.Fatal(err)
			}
			if url, _ := chromedp.Run(b.ctx, chromedp.Location()); url != undo {
				t.Errorf("the link led to %s, want the undo %s", url, undo)
			}
		})
	}
}

// TestBrowserChangePagesFitAPhoneScreen opens a review with long values,
// the import that saved it and the history at 375 CSS pixels: none may
// scroll sideways.
func TestBrowserChangePagesFitAPhoneScreen(t *testing.T) {
	a := newApp(t, handlersConfig())
	long := strings.Repeat("Nameswithoutanyspaces", 8)
	rows := [][]any{}
	for i := range 30 {
		rows = append(rows, []any{fmt.Sprintf("AREA-%s-%03d", strings.Repeat("X", 40), i), long})
	}
	first := a.upload(t, "first.xlsx", areasBook(t, rows...), nil).Header.Get("Location")
	ended(t, a, first)
	for i := range rows {
		rows[i][1] = long + " renamed"
	}
	review := reviewUpload(t, a, "a-rather-long-file-name-for-a-small-phone-screen.xlsx", areasBook(t, rows...), true)
	ended(t, a, review)
	saved := post(t, a, review+"/confirm", nil).Header.Get("Location")
	ended(t, a, saved)

	ctx, _ := newTab(t, a)
	screenSize(t, ctx, 375, 740, true)
	for _, path := range []string{"/", review, saved, "/imports"} {
		if err := chromedp.Do(ctx, chromedp.Navigate(a.URL+path), chromedp.WaitReady(chromedp.CSS("footer.site"))); err != nil {
			t.Fatal(err)
		}
		width, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth`))
		if err != nil {
			t.Fatal(err)
		}
		if width > 375 {
			t.Errorf("%s is %d px wide on a 375 px screen: it scrolls sideways", path, width)
		}
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(a.URL+review), chromedp.WaitReady(chromedp.CSS("footer.site"))); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(a.URL+"/imports"), chromedp.WaitReady(chromedp.CSS("footer.site"))); err != nil {
		t.Fatal(err)
	}
	if n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("table.history .history-link a").length`)); err != nil || n != 2 {
		t.Errorf("the history shows %d links between imports (%v), want 2 (the review and what saved it)", n, err)
	}
}
