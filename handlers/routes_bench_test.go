package handlers_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"roster/assets"
	"roster/handlers"
	"roster/importer"
	"roster/importer/workbooks"
)

// BenchmarkRoutesWhileImporting measures how long each page, download
// and stream a user asks for takes to answer while a big import runs
// (contract 4: every other route keeps answering while an import runs,
// whatever its size): one client asks for them in turn, again and again,
// from the upload until the import ends, and each route reports its
// slowest answer and its 99th percentile in milliseconds (a request's
// whole answer, body included; for the event stream, its first event).
// The import runs on SQLite, whose one writer the import holds while it
// saves. The samples are made once a run (a million employees take a
// minute); run it once:
//
//	go test -run '^$' -bench 'BenchmarkRoutesWhileImporting/employees=1000000$' -benchtime 1x -timeout 30m ./handlers/
func BenchmarkRoutesWhileImporting(b *testing.B) {
	dir := b.TempDir()
	for _, n := range []int{100_000, 300_000, 1_000_000} {
		b.Run(fmt.Sprintf("employees=%d", n), func(b *testing.B) {
			path := filepath.Join(dir, fmt.Sprintf("sample-%d.xlsx", n))
			if _, err := os.Stat(path); err != nil {
				writeSample(b, path, workbooks.SampleOptions{Employees: n, Seed: 1})
			}
			book, err := os.ReadFile(path)
			if err != nil {
				b.Fatal(err)
			}
			lat := map[string][]time.Duration{}
			var imports time.Duration
			b.ResetTimer()
			for range b.N {
				b.StopTimer()
				a := newApp(b, handlers.Config{})
				// An import that ended before, for the history, its page
				// and its list of changes to show.
				prior := a.upload(b, "areas.xlsx", areasWorkbook(b, 100), nil).Header.Get("Location")
				if err := streamUntilDone(context.Background(), a.URL+prior+"/events", nil); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				started := time.Now()
				resp := a.upload(b, "sample.xlsx", book, nil)
				if resp.StatusCode != http.StatusSeeOther {
					b.Fatalf("upload: %s", resp.Status)
				}
				page := resp.Header.Get("Location")
				routes := userRoutes(page, prior)
				round := make([]time.Duration, len(routes))
				for {
					for i, r := range routes {
						d, err := r.ask(a)
						if err != nil {
							b.Fatalf("%s: %v", r.name, err)
						}
						round[i] = d
					}
					// A round counts when the import still ran at its end:
					// the export of all its rows once it has ended takes
					// as long as it takes.
					st := statusJSON(b, a, page)
					if st.State != "queued" && st.State != "running" {
						if st.State != "succeeded" {
							b.Fatalf("the import ended %s", st.State)
						}
						break
					}
					for i, r := range routes {
						lat[r.name] = append(lat[r.name], round[i])
						if round[i] > slow {
							b.Logf("%s took %v, %v into the import (%s)", r.name, round[i].Round(time.Millisecond),
								time.Since(started).Round(time.Second), doing(a, page))
						}
					}
				}
				imports += time.Since(started)
			}
			names := make([]string, 0, len(lat))
			for name := range lat {
				names = append(names, name)
			}
			slices.Sort(names)
			for _, name := range names {
				d := lat[name]
				slices.Sort(d)
				ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
				b.ReportMetric(ms(d[len(d)-1]), name+"-max-ms")
				b.ReportMetric(ms(d[int(0.99*float64(len(d)-1))]), name+"-p99-ms")
			}
			b.ReportMetric(float64(len(lat["healthz"]))/float64(b.N), "rounds/import")
			b.ReportMetric(imports.Seconds()/float64(b.N), "import-s")
		})
	}
}

// slow is the answer the benchmark logs, with what the import was doing.
const slow = 250 * time.Millisecond

// doing says what an import does: the state and phase of its running steps.
func doing(a *app, page string) string {
	st, err := a.runner.Status(context.Background(), strings.TrimPrefix(page, "/imports/"))
	if err != nil {
		return err.Error()
	}
	var running []string
	for _, s := range st.Steps {
		if s.State == importer.StepRunning {
			running = append(running, string(s.Key)+" "+string(s.Phase))
		}
	}
	return strings.Join(running, ", ")
}

// route is one request a user makes, timed by ask.
type route struct {
	name string
	ask  func(a *app) (time.Duration, error)
}

// userRoutes are the GET requests of a user following an import (page)
// after an earlier one (prior).
func userRoutes(page, prior string) []route {
	get := func(name, path string, header ...string) route {
		return route{name, func(a *app) (time.Duration, error) {
			req, _ := http.NewRequest("GET", a.URL+path, nil)
			for i := 0; i+1 < len(header); i += 2 {
				req.Header.Set(header[i], header[i+1])
			}
			start := time.Now()
			resp, err := a.client().Do(req)
			if err != nil {
				return 0, err
			}
			defer resp.Body.Close()
			if _, err := io.Copy(io.Discard, resp.Body); err != nil {
				return 0, err
			}
			if resp.StatusCode != http.StatusOK {
				return 0, fmt.Errorf("GET %s: %s", path, resp.Status)
			}
			return time.Since(start), nil
		}}
	}
	return []route{
		get("upload-page", "/"),
		get("history", "/imports"),
		get("import-page", page),
		get("status-json", page, "Accept", "application/json"),
		{"events-first", func(a *app) (time.Duration, error) { return firstEvent(a, page+"/events") }},
		get("ended-import-page", prior),
		get("changes-xlsx", prior+"/changes.xlsx"),
		get("account", "/account"),
		get("users", "/users"),
		get("template-xlsx", "/template.xlsx"),
		get("export-xlsx", "/export.xlsx"),
		get("asset-htmx", assets.URL("htmx.min.js")),
		get("asset-css", assets.URL("app.css")),
		get("healthz", "/healthz"),
	}
}

// firstEvent is the time an event stream takes to send its first event.
func firstEvent(a *app, path string) (time.Duration, error) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", a.URL+path, nil)
	start := time.Now()
	resp, err := a.client().Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("GET %s: %s", path, resp.Status)
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "data: ") {
			for sc.Scan() && sc.Text() != "" {
			}
			return time.Since(start), nil
		}
	}
	return 0, fmt.Errorf("GET %s: the stream ended before its first event: %v", path, sc.Err())
}

// writeSample writes a sample workbook to path.
func writeSample(b *testing.B, path string, o workbooks.SampleOptions) {
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	if err := workbooks.WriteSample(f, o); err != nil {
		f.Close()
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
}
