package handlers_test

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"roster/handlers"
	"roster/importer"
)

// change identifies one state of one step as both sides see it.
type change struct {
	step, state string
	rows        int
}

var (
	stepRe = regexp.MustCompile(`data-step="([^"]+)" data-state="([^"]+)"`)
	rowsRe = regexp.MustCompile(`([\d,]+)\s+(?:of [\d,]+\s+)?rows? read`)
)

// parseStep reads the step, state and rows read from a step fragment.
func parseStep(data string) (change, bool) {
	m := stepRe.FindStringSubmatch(data)
	if m == nil {
		return change{}, false
	}
	c := change{step: m[1], state: m[2]}
	if r := rowsRe.FindStringSubmatch(data); r != nil {
		c.rows, _ = strconv.Atoi(strings.ReplaceAll(r[1], ",", ""))
	}
	return c, true
}

// streamUntilDone reads an event stream and calls seen with each step
// event's change and the time it arrived.
func streamUntilDone(ctx context.Context, url string, seen func(change, time.Time)) error {
	req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	var name string
	var data []string
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "event: "):
			name = line[len("event: "):]
		case strings.HasPrefix(line, "data: "):
			data = append(data, line[len("data: "):])
		case line == "":
			if name == "done" {
				return nil
			}
			if c, ok := parseStep(strings.Join(data, "\n")); ok && seen != nil {
				seen(c, time.Now())
			}
			name, data = "", nil
		}
	}
	return sc.Err()
}

// BenchmarkEventLatency measures, over loopback, the time from a step's
// change inside the importer to a browser-like client receiving it. The
// throttle of running counts is turned down to a microsecond so that every
// change is a sample; the figure is the stream's own delay.
func BenchmarkEventLatency(b *testing.B) {
	a := newApp(b, handlers.Config{Throttle: time.Microsecond})
	book := areasWorkbook(b, 20_000)
	var lat []time.Duration
	for i := 0; i < b.N; i++ {
		page := a.upload(b, "areas.xlsx", book, nil).Header.Get("Location")
		id := strings.TrimPrefix(page, "/imports/")
		sub, err := a.runner.Subscribe(context.Background(), id)
		if err != nil {
			b.Fatal(err)
		}
		var mu sync.Mutex
		changed := map[change]time.Time{}
		go func() {
			for range sub.C {
				now := time.Now()
				st := sub.Latest()
				mu.Lock()
				for _, s := range st.Steps {
					c := change{string(s.Key), string(s.State), s.Rows}
					if _, ok := changed[c]; !ok {
						changed[c] = now
					}
				}
				mu.Unlock()
			}
		}()
		received := map[change]time.Time{}
		if err := streamUntilDone(context.Background(), a.URL+page+"/events", func(c change, at time.Time) {
			if _, ok := received[c]; !ok {
				received[c] = at
			}
		}); err != nil {
			b.Fatal(err)
		}
		sub.Close()
		mu.Lock()
		for c, at := range received {
			if from, ok := changed[c]; ok && c.state == "running" {
				lat = append(lat, at.Sub(from))
			}
		}
		mu.Unlock()
	}
	if len(lat) == 0 {
		b.Fatal("no change was seen on both sides")
	}
	slices.Sort(lat)
	q := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000 }
	b.ReportMetric(q(0.5), "p50-ms")
	b.ReportMetric(q(0.99), "p99-ms")
	b.ReportMetric(float64(len(lat)), "samples")
}

// BenchmarkImportWatchedByManyClients imports the same workbook with 0
// and with 1,000 clients following its event stream; compare the two
// ns/op to see what the watchers cost the import.
func BenchmarkImportWatchedByManyClients(b *testing.B) {
	for _, clients := range []int{0, 1000} {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) {
			a := newStoppedApp(b, handlers.Config{})
			book := areasWorkbook(b, 50_000)
			http.DefaultTransport.(*http.Transport).MaxIdleConnsPerHost = clients + 10
			var took time.Duration
			for i := 0; i < b.N; i++ {
				page := a.upload(b, "areas.xlsx", book, nil).Header.Get("Location")
				// Every client is connected before the import starts.
				var ready, done sync.WaitGroup
				for range clients {
					ready.Add(1)
					done.Add(1)
					go func() {
						defer done.Done()
						first := true
						streamUntilDone(context.Background(), a.URL+page+"/events", func(change, time.Time) {
							if first {
								first = false
								ready.Done()
							}
						})
					}()
				}
				ready.Wait()
				a.start()
				streamUntilDone(context.Background(), a.URL+page+"/events", nil)
				done.Wait()
				st, err := a.runner.Status(context.Background(), strings.TrimPrefix(page, "/imports/"))
				if err != nil || st.State != importer.Succeeded {
					b.Fatalf("import: %v %s", err, st.State)
				}
				took += st.Finished.Sub(st.Started)
			}
			b.ReportMetric(float64(took.Milliseconds())/float64(b.N), "import-ms")
		})
	}
}
