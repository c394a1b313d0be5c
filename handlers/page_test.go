package handlers_test

// Browser tests of what the pages say at every moment of an import (issue
// 9): refused uploads with JavaScript, the summary that follows the import
// live, the busy upload, the estimate, the words of each phase, the
// outcome in view, and phone-sized tables.

import (
	"context"
	"crypto/rand"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"roster/importer"
	"roster/importer/store"
)

// within runs actions with a deadline of their own, so that a wait for
// something that never comes fails in seconds rather than at the tab's
// deadline.
func within(ctx context.Context, d time.Duration, actions ...chromedp.Action[chromedp.Void]) error {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	return chromedp.Do(ctx, actions...)
}

// foreign is an import that the test runs itself, as another process on
// the same database would: the app shows whatever status the test saves.
type foreign struct {
	t      *testing.T
	store  *store.Store
	status importer.Status
	url    string
}

// newForeign saves a queued import into the app's database. A real import
// runs first, so the app is past its start-up (where it marks unfinished
// imports interrupted).
func newForeign(t *testing.T, a *app, file string) *foreign {
	t.Helper()
	readEvents(t, a.URL+a.upload(t, "warm-up.xlsx", areasWorkbook(t, 1), nil).Header.Get("Location")+"/events")
	st, err := store.Open(context.Background(), a.dbPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f := &foreign{t: t, store: st, status: importer.NewStatus(rand.Text(), file, time.Now())}
	f.url = a.URL + "/imports/" + f.status.ID
	f.save()
	return f
}

func (f *foreign) save() {
	f.t.Helper()
	f.status.Updated = time.Now()
	if _, err := f.store.SaveStatus(context.Background(), f.status.Clone()); err != nil {
		f.t.Fatal(err)
	}
}

// run puts the import in the middle of reading its areas: 75 of 100 rows
// read in the 30 seconds since it started, two more sheets to come.
func (f *foreign) run() {
	f.t.Helper()
	now := time.Now()
	f.status.State, f.status.Started = importer.Running, now.Add(-30*time.Second)
	f.status.Steps[0] = importer.Step{Key: importer.StepAreas, State: importer.StepRunning, Phase: importer.PhaseReading,
		Rows: 75, Total: 100, Started: f.status.Started}
	f.status.Steps[1] = importer.Step{Key: importer.StepDepartments, State: importer.StepPending, Total: 100}
	f.status.Steps[2] = importer.Step{Key: importer.StepDesignations, State: importer.StepPending, Total: 100}
	for i := 3; i < len(f.status.Steps); i++ {
		f.status.Steps[i].State = importer.StepSkipped
	}
	f.save()
}

// screenSize makes the tab's screen width × height CSS pixels, a phone's
// if mobile.
func screenSize(t *testing.T, ctx context.Context, width, height int64, mobile bool) {
	t.Helper()
	if _, err := chromedp.Call(ctx, emulation.SetDeviceMetricsOverride, emulation.SetDeviceMetricsOverrideParams{
		Width: width, Height: height, DeviceScaleFactor: 1, Mobile: mobile,
	}); err != nil {
		t.Fatal(err)
	}
}

// pageText is the whole visible text of the page, spaces collapsed.
func pageText(ctx context.Context) (string, error) {
	return textIn(ctx, "body")
}

// jargon is what a page must never say: rates and milliseconds.
var jargon = regexp.MustCompile(`rows/s|\d ms\b|\d+\.\d+ s\b`)

// Point 1: a refused upload shows its message in the form, announced and
// focused, with JavaScript as without.
func TestBrowserARefusedUploadSaysWhyWithJavaScript(t *testing.T) {
	cfg := handlersConfig()
	cfg.MaxUpload = 4 << 10
	a := newApp(t, cfg)
	cases := []struct {
		name, file string
		body       []byte
		status     int
	}{
		{"not a workbook", "notes.xlsx", []byte(strings.Repeat("just some text\n", 20)), 422},
		{"empty", "empty.xlsx", nil, 400},
		{"too large", "big.xlsx", []byte(strings.Repeat(rand.Text(), 4000)), 413},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp := a.upload(t, c.file, c.body, nil)
			if resp.StatusCode != c.status {
				t.Fatalf("upload: %s, want %d", resp.Status, c.status)
			}
			doc, err := goquery.NewDocumentFromReader(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			want := strings.Join(strings.Fields(doc.Find("#upload-error").Text()), " ")
			if want == "" {
				t.Fatal("the page without JavaScript shows no message")
			}

			ctx, _ := newTab(t, a)
			path := workbookFile(t, c.file, c.body)
			if err := browserUpload(ctx, a.URL, path); err != nil {
				t.Fatal(err)
			}
			if err := within(ctx, 10*time.Second, chromedp.WaitVisible(chromedp.CSS(`#upload-error`))); err != nil {
				t.Fatalf("no message on the page after a %d answer: %v", c.status, err)
			}
			if got, _ := textIn(ctx, "#upload-error"); got != want {
				t.Errorf("the message says %q, want %q as without JavaScript", got, want)
			}
			role, _ := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS("#upload-error"), "role"))
			if role.Value != "alert" {
				t.Errorf("the message has role %q, want alert (announced)", role.Value)
			}
			focused, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.activeElement.id`))
			if err != nil || focused != "upload-error" {
				t.Errorf("the focus is on %q (%v), want the message", focused, err)
			}
			// The form is there once, ready for the next try.
			if n, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('form[action="/imports"]').length`)); n != 1 {
				t.Errorf("%d upload forms on the page, want 1", n)
			}
		})
	}
}

// Point 2: whatever the page says of the import as a whole follows it
// live: queued, then running, then ended.
func TestBrowserTheSummaryFollowsTheImportLive(t *testing.T) {
	a := newApp(t, handlersConfig())
	f := newForeign(t, a, "live.xlsx")
	ctx, _ := newTab(t, a)
	if err := chromedp.Do(ctx, chromedp.Navigate(f.url),
		chromedp.WaitVisible(chromedp.CSS(`#summary [data-import-state="queued"]`))); err != nil {
		t.Fatal(err)
	}
	f.run()
	if err := within(ctx, 10*time.Second, chromedp.WaitVisible(chromedp.CSS(`#summary [data-import-state="running"]`))); err != nil {
		got, _ := textIn(ctx, "#summary")
		t.Fatalf("the import runs, the summary still says %q: %v", got, err)
	}
	text, _ := pageText(ctx)
	if strings.Contains(text, "Waiting to start") || strings.Contains(text, "Queued at") {
		t.Errorf("a running import's page still says it waits: %q", text)
	}
	if !strings.Contains(text, "Started at") {
		t.Errorf("a running import's page does not say when it started: %q", text)
	}
	f.status = f.status.EndedOutside(importer.Cancelled, "The import was cancelled; nothing was saved.", time.Now())
	f.save()
	if err := within(ctx, 10*time.Second, chromedp.WaitVisible(chromedp.CSS(`#summary [data-import-state="cancelled"]`))); err != nil {
		t.Fatal(err)
	}
	if n, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('[data-import-state]').length`)); n != 1 {
		t.Errorf("%d summaries on the page, want 1", n)
	}
}

// Point 3: while the file is being sent, the button cannot be pressed
// again and the page says it is busy.
func TestBrowserTheUploadButtonIsBusyWhileTheFileIsSent(t *testing.T) {
	a := newApp(t, handlersConfig())
	ctx, tab := newTab(t, a)
	book := workbookFile(t, "slow.xlsx", areasWorkbook(t, 6000))
	if err := chromedp.Do(ctx, chromedp.Navigate(a.URL+"/"),
		chromedp.SetUploadFiles(chromedp.CSS(`input[name=file]`), []string{book})); err != nil {
		t.Fatal(err)
	}
	// About 60 KB at 20 KB/s: the upload takes a few seconds.
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{
		MatchedNetworkConditions: []*network.Conditions{{DownloadThroughput: -1, UploadThroughput: 20 << 10}},
	}); err != nil {
		t.Fatal(err)
	}
	button := chromedp.CSS(`form[action="/imports"] button[type=submit]`)
	if err := chromedp.Do(ctx, chromedp.Click(button)); err != nil {
		t.Fatal(err)
	}
	disabled, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector('form[action="/imports"] button[type=submit]').disabled`))
	if err != nil || !disabled {
		t.Errorf("the button can be pressed while the file is sent (disabled = %v, %v)", disabled, err)
	}
	busy, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`[...document.querySelectorAll('.htmx-indicator')].filter(e => getComputedStyle(e).visibility == 'visible').map(e => e.textContent).join(' ')`))
	if !strings.Contains(busy, "Sending") {
		t.Errorf("the page says %q while the file is sent, want it to say it is sending the file", busy)
	}
	chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](`document.querySelector('form[action="/imports"] button[type=submit]') && document.querySelector('form[action="/imports"] button[type=submit]').click()`))
	if err := within(ctx, 30*time.Second, chromedp.WaitVisible(chromedp.CSS(finalState))); err != nil {
		t.Fatal(err)
	}
	posts := 0
	for _, r := range tab.requestsTo("/imports") {
		if strings.HasPrefix(r, "POST ") {
			posts++
		}
	}
	if posts != 1 {
		t.Errorf("%d uploads sent, want 1", posts)
	}
}

// Points 4 and 6: an estimate for the whole import in words, "Queued at"
// before the start and "Started at" after, and no jargon, with JavaScript
// and without.
func TestBrowserTheImportSaysHowLongItHasLeftInWords(t *testing.T) {
	for _, js := range []bool{true, false} {
		t.Run(fmt.Sprintf("javascript=%v", js), func(t *testing.T) {
			a := newApp(t, handlersConfig())
			f := newForeign(t, a, "estimate.xlsx")
			ctx, _ := newTab(t, a)
			if !js {
				disableJavaScript(t, ctx)
			}
			if err := chromedp.Do(ctx, chromedp.Navigate(f.url), chromedp.WaitVisible(chromedp.CSS(`#summary`))); err != nil {
				t.Fatal(err)
			}
			text, _ := pageText(ctx)
			if !strings.Contains(text, "Queued at") || strings.Contains(text, "Started") {
				t.Errorf("a queued import's page says %q, want Queued at and no Started", text)
			}
			f.run()
			if err := chromedp.Do(ctx, chromedp.Navigate(f.url), chromedp.WaitVisible(chromedp.CSS(`#summary [data-import-state="running"]`))); err != nil {
				t.Fatal(err)
			}
			// A quarter of 300 rows read in 30 seconds, the saving still
			// to come: a minute or two left, said in whole minutes.
			waitCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
			defer cancel()
			left, err := textIn(waitCtx, "#summary .time-left")
			if err != nil || !regexp.MustCompile(`^About [1-3] minutes? left`).MatchString(left) {
				t.Errorf("the summary's estimate says %q (%v), want about 1 to 3 minutes left", left, err)
			}
			text, _ = pageText(ctx)
			if jargon.MatchString(text) {
				t.Errorf("the page uses jargon: %q", jargon.FindString(text))
			}
			if !strings.Contains(text, "Started at") {
				t.Errorf("a running import's page does not say when it started: %q", text)
			}
			if m := regexp.MustCompile(`\b30(\.0)? s\b`).FindString(text); m != "" {
				t.Errorf("a step's time is written %q, want it in words", m)
			}

			// Every row of the areas read (a quarter of the work) in 33
			// seconds: 99 seconds left, "About 2 minutes"; no news comes,
			// and within about 9 seconds the page counts down to "About 1
			// minute", by itself with JavaScript, at a refresh without.
			// (The 9 seconds leave a loaded machine time to show the page
			// before the estimate turns.)
			now := time.Now()
			f.status.Started = now.Add(-33 * time.Second)
			f.status.Steps[0].Rows, f.status.Steps[0].Started = 100, f.status.Started
			f.save()
			var nextLoad func() error
			if !js {
				nextLoad = pageLoads(t, ctx)
			}
			if err := chromedp.Do(ctx, chromedp.Navigate(f.url)); err != nil {
				t.Fatal(err)
			}
			var seen []string
			note := func(left string) {
				if len(seen) == 0 || seen[len(seen)-1] != left {
					seen = append(seen, left)
				}
			}
			// Read in one go in the page: with JavaScript the summary is
			// swapped in every second, and a node found by one call of the
			// browser may be gone by the next (textIn then reads nothing).
			waitCtx, cancel = context.WithTimeout(ctx, 5*time.Second)
			first, _ := chromedp.Run(waitCtx, chromedp.Poll[string](`(() => {
				const e = document.querySelector('#summary .time-left');
				return e ? e.textContent.trim() : null;
			})()`))
			cancel()
			note(first)
			if js {
				pollCtx, cancel := context.WithTimeout(ctx, 20*time.Second)
				last, _ := chromedp.Run(pollCtx, chromedp.Poll[string](`(() => {
					const e = document.querySelector('#summary .time-left');
					return e && e.textContent.trim() === 'About 1 minute left' ? e.textContent.trim() : null;
				})()`))
				cancel()
				note(last)
			} else {
				for range 10 {
					if err := nextLoad(); err != nil {
						t.Fatal(err)
					}
					left, _ := textIn(ctx, "#summary .time-left")
					if note(left); left == "About 1 minute left" {
						break
					}
				}
			}
			if len(seen) < 2 || seen[0] != "About 2 minutes left" || seen[len(seen)-1] != "About 1 minute left" {
				t.Errorf("with no news from the import, the estimate said %q, want it to count down from about 2 minutes to about 1", seen)
			}
		})
	}
}

// Point 5: a step whose rows are all read but which is still checking or
// saving says so, and its bar does not sit full.
func TestBrowserAStepSaysWhenItIsCheckingOrSaving(t *testing.T) {
	for _, phase := range []struct {
		phase importer.Phase
		words string
	}{{importer.PhaseChecking, "Checking references"}, {importer.PhaseSaving, "Saving"}} {
		t.Run(string(phase.phase), func(t *testing.T) {
			a := newApp(t, handlersConfig())
			f := newForeign(t, a, "phase.xlsx")
			f.run()
			f.status.Steps[0].Rows, f.status.Steps[0].Phase = 100, phase.phase
			f.save()
			for _, js := range []bool{true, false} {
				ctx, _ := newTab(t, a)
				if !js {
					disableJavaScript(t, ctx)
				}
				if err := chromedp.Do(ctx, chromedp.Navigate(f.url), chromedp.WaitVisible(chromedp.CSS(`[data-step="areas"][data-state="running"]`))); err != nil {
					t.Fatal(err)
				}
				got, _ := textIn(ctx, `[data-step="areas"]`)
				if !strings.Contains(got, phase.words+"…") {
					t.Errorf("javascript=%v: the step says %q, want %q", js, got, phase.words+"…")
				}
				full, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`[...document.querySelectorAll('[data-step="areas"] progress')].some(p => p.hasAttribute('value') && p.value >= p.max)`))
				if full {
					t.Errorf("javascript=%v: the step's bar sits full while it is %s", js, phase.phase)
				}
			}
		})
	}
}

// Point 7: at 1280×800 the outcome of an ended import is in view without
// scrolling, and has the focus, with JavaScript and without.
func TestBrowserTheOutcomeIsInViewWhenTheImportEnds(t *testing.T) {
	books := map[string][]byte{
		"succeeded": workbook(t, map[string][][]any{
			"Areas":        areaRows("OK", 40),
			"Departments":  {{"Code", "Name", "Area Code"}, {"HR", "People", "OK0001"}},
			"Designations": {{"Code", "Title"}, {"CLK", "Clerk"}},
		}, "Areas", "Departments", "Designations"),
		"failed": workbook(t, map[string][][]any{
			"Areas":       areaRows("BAD", 40),
			"Departments": {{"Code", "Name", "Area Code"}, {"HR", "People", "NOPE"}, {"OPS", "", "BAD0001"}},
		}, "Areas", "Departments"),
	}
	for _, js := range []bool{true, false} {
		for want, book := range books {
			t.Run(fmt.Sprintf("%s javascript=%v", want, js), func(t *testing.T) {
				a := newApp(t, handlersConfig())
				ctx, _ := newTab(t, a)
				screenSize(t, ctx, 1280, 800, false)
				path := workbookFile(t, want+".xlsx", book)
				if js {
					if err := browserUpload(ctx, a.URL, path); err != nil {
						t.Fatal(err)
					}
					if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(finalState))); err != nil {
						t.Fatal(err)
					}
				} else {
					disableJavaScript(t, ctx)
					nextLoad := pageLoads(t, ctx)
					if err := browserUpload(ctx, a.URL, path); err != nil {
						t.Fatal(err)
					}
					if _, err := untilEnded(ctx, nextLoad, 10); err != nil {
						t.Fatal(err)
					}
				}
				state, _ := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS(finalState), "data-import-state"))
				if state.Value != want {
					t.Fatalf("the import ended %q, want %s", state.Value, want)
				}
				// Focus and scrolling settle after the swap's task.
				pollCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
				defer cancel()
				_, err := chromedp.Run(pollCtx, chromedp.Poll[map[string]any](`(() => {
					const s = document.querySelector('#summary .summary');
					const r = s.getBoundingClientRect();
					const focused = s.contains(document.activeElement);
					return focused && r.top >= 0 && r.bottom <= innerHeight ? {top: r.top, bottom: r.bottom, height: innerHeight, focused} : null;
				})()`))
				if err != nil {
					r, _ := chromedp.Run(ctx, chromedp.Evaluate[map[string]any](`(() => { const r = document.querySelector('#summary .summary').getBoundingClientRect(); return {top: r.top, bottom: r.bottom, innerHeight, scrollY, active: document.activeElement.outerHTML.slice(0, 80)} })()`))
					t.Fatalf("the outcome is not in view with the focus at the end: %v", r)
				}
			})
		}
	}
}

// Point 8: at 375 px the problems and the history are cards, every field
// visible, nothing scrolling sideways.
func TestBrowserTablesBecomeCardsOnAPhone(t *testing.T) {
	a := newApp(t, handlersConfig())
	bad := workbook(t, map[string][][]any{"Employees": {
		{"Employee ID", "Full Name", "Email", "Phone", "Department Code", "Designation Code", "Area Code", "Joining Date"},
		{"E1", "Ana López de la Fuente y Montenegro", "not-an-email-address-at-all-but-long", "", "NOPE", "NOPE", "", "31/02/2024"},
	}}, "Employees")
	failed := a.upload(t, "phone.xlsx", bad, nil).Header.Get("Location")
	readEvents(t, a.URL+failed+"/events")
	ctx, _ := newTab(t, a)
	screenSize(t, ctx, 375, 700, true)
	for path, table := range map[string]string{failed: "table.problems", "/imports": "table.history"} {
		if err := chromedp.Do(ctx, chromedp.Navigate(a.URL+path), chromedp.WaitReady(chromedp.CSS(table))); err != nil {
			t.Fatal(err)
		}
		got, err := chromedp.Run(ctx, chromedp.Evaluate[struct {
			PageWide bool
			Scrolls  []string
			Hidden   []string
			Cells    int
		}](`(() => {
			const out = {pageWide: document.documentElement.scrollWidth > innerWidth, scrolls: [], hidden: [], cells: 0};
			for (const b of document.querySelectorAll('.table-scroll')) {
				if (b.scrollWidth > b.clientWidth) out.scrolls.push(b.scrollWidth + ' > ' + b.clientWidth);
			}
			const heads = [...document.querySelectorAll('`+table+` thead th')].map(th => th.textContent.trim());
			for (const tr of document.querySelectorAll('`+table+` tbody tr')) {
				[...tr.cells].forEach((td, i) => {
					out.cells++;
					const r = td.getBoundingClientRect();
					const label = getComputedStyle(td, '::before').content;
					if (td.textContent.trim() === '') return;
					if (r.width === 0 || r.left < 0 || r.right > innerWidth) out.hidden.push(heads[i] + ': outside ' + r.left + '..' + r.right);
					else if (!label.includes(heads[i])) out.hidden.push(heads[i] + ': unlabelled (' + label + ')');
				});
			}
			return out;
		})()`))
		if err != nil {
			t.Fatal(err)
		}
		if got.PageWide || len(got.Scrolls) > 0 || len(got.Hidden) > 0 || got.Cells == 0 {
			t.Errorf("%s at 375 px: page wider than the screen %v, boxes scrolling sideways %v, fields hidden or unlabelled %v (%d cells)",
				path, got.PageWide, got.Scrolls, got.Hidden, got.Cells)
		}
		if path == failed {
			screenshot(t, ctx, "problems-phone.png")
		}
	}
}

// Point 10: the outcome in words, and a cancelled import's steps never
// "Done" with nothing saved.
func TestBrowserTheOutcomeIsSaidInWords(t *testing.T) {
	a := newApp(t, handlersConfig())
	ctx, _ := newTab(t, a)
	book := workbookFile(t, "twice.xlsx", workbook(t, map[string][][]any{"Areas": areaRows("TW", 1260)}, "Areas"))
	for range 2 {
		if err := browserUpload(ctx, a.URL, book); err != nil {
			t.Fatal(err)
		}
		if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(finalState))); err != nil {
			t.Fatal(err)
		}
	}
	if got, _ := textIn(ctx, "#summary"); !strings.Contains(got, "Nothing needed changing: all 1,260 rows already match.") {
		t.Errorf("the second import of the same workbook says %q", got)
	}

	f := newForeign(t, a, "cancelled.xlsx")
	f.run()
	f.status.Steps[0] = importer.Step{Key: importer.StepAreas, State: importer.StepDone, Rows: 100, Total: 100,
		Created: 100, Started: f.status.Started, Finished: time.Now()}
	f.status = f.status.EndedOutside(importer.Cancelled, "The import was cancelled; nothing was saved.", time.Now())
	f.save()
	if err := chromedp.Do(ctx, chromedp.Navigate(f.url), chromedp.WaitVisible(chromedp.CSS(`[data-import-state="cancelled"]`))); err != nil {
		t.Fatal(err)
	}
	step, _ := textIn(ctx, `[data-step="areas"]`)
	if strings.Contains(step, "Done") || strings.Contains(step, "0 created") {
		t.Errorf("a step of a cancelled import says %q", step)
	}
}

// Point 15: the lines and boxes keep their distance.
func TestBrowserNothingTouches(t *testing.T) {
	a := newApp(t, handlersConfig())
	page := a.upload(t, "gaps.xlsx", areasWorkbook(t, 3), nil).Header.Get("Location")
	readEvents(t, a.URL+page+"/events")
	ctx, _ := newTab(t, a)
	gaps := []struct {
		path, what, js string
	}{
		{page, "the Started line and the first step", `document.querySelector('ol.stepper').getBoundingClientRect().top - document.querySelector('.import-when, .import > p.step-meta').getBoundingClientRect().bottom`},
		{"/", "the file box and the button", `document.querySelector('form[action="/imports"] button').getBoundingClientRect().top - document.querySelector('input[type=file]').getBoundingClientRect().bottom`},
		{"/imports", "the history's last column and the table's edge", `(() => { const td = document.querySelector('table.history tbody tr td:last-child'); const r = document.createRange(); r.selectNodeContents(td); return document.querySelector('table.history').getBoundingClientRect().right - r.getBoundingClientRect().right })()`},
	}
	for _, g := range gaps {
		if err := chromedp.Do(ctx, chromedp.Navigate(a.URL+g.path), chromedp.WaitReady(chromedp.CSS("footer.site"))); err != nil {
			t.Fatal(err)
		}
		px, err := chromedp.Run(ctx, chromedp.Evaluate[float64](g.js))
		if err != nil || px < 8 {
			t.Errorf("%s: %v px between %s (%v), want at least 8", g.path, px, g.what, err)
		}
	}
}
