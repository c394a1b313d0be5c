package handlers_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
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
	resp, err := clientFor(url).Do(req)
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

// TestHelperStreamClient is not a test: BenchmarkEventLatency runs the
// test binary again as an event stream client in a process of its own, as
// a browser is, so the client does not compete with the import for the
// server's scheduler. It prints each step event with its arrival time.
func TestHelperStreamClient(t *testing.T) {
	url := os.Getenv("ROSTER_STREAM_CLIENT_URL")
	if url == "" {
		t.Skip("only run by BenchmarkEventLatency")
	}
	err := streamUntilDone(context.Background(), url, func(c change, at time.Time) {
		fmt.Printf("EVENT %s %s %d %d\n", c.step, c.state, c.rows, at.UnixNano())
	})
	if err != nil {
		t.Fatal(err)
	}
}

// BenchmarkEventLatency measures, over loopback, the time from a step's
// change inside the importer to a client in another process receiving it.
// The throttle of running counts is turned down to a microsecond so that
// every change is a sample; the figure is the stream's own delay.
func BenchmarkEventLatency(b *testing.B) {
	a := newApp(b, handlers.Config{Throttle: time.Microsecond})
	book := areasWorkbook(b, 20_000)
	var lat []time.Duration
	for i := 0; i < b.N; i++ {
		page := a.upload(b, "areas.xlsx", book, nil).Header.Get("Location")
		id := strings.TrimPrefix(page, "/imports/")
		changed := changesOn(b, a, id)
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperStreamClient$")
		cmd.Env = clientEnv(a, a.URL+page+"/events")
		out, err := cmd.Output()
		if err != nil {
			b.Fatalf("client: %v\n%s", err, out)
		}
		lat = append(lat, latencies(changed(), string(out))...)
	}
	reportLatencies(b, lat)
}

// reportLatencies reports the median and 99th percentile of the delays.
func reportLatencies(b *testing.B, lat []time.Duration) {
	if len(lat) == 0 {
		b.Fatal("no change was seen on both sides")
	}
	slices.Sort(lat)
	q := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000 }
	b.ReportMetric(q(0.5), "p50-ms")
	b.ReportMetric(q(0.99), "p99-ms")
	b.ReportMetric(float64(len(lat)), "samples")
}

// TestHelperManyStreamClients is not a test: it is the process of many
// watching browsers for BenchmarkImportWatchedByManyClients. It connects
// the clients, says READY once each has had its first event, and ends
// when every stream has ended.
func TestHelperManyStreamClients(t *testing.T) {
	url := os.Getenv("ROSTER_STREAM_CLIENT_URL")
	n, _ := strconv.Atoi(os.Getenv("ROSTER_STREAM_CLIENTS"))
	if url == "" || n == 0 {
		t.Skip("only run by BenchmarkImportWatchedByManyClients")
	}
	http.DefaultTransport.(*http.Transport).MaxIdleConnsPerHost = n
	var ready, done sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		ready.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			errs <- follow(url, ready.Done)
		}()
	}
	ready.Wait()
	fmt.Println("READY")
	done.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

// follow reads an event stream to its done event as cheaply as it can,
// calling first when the first event has arrived.
func follow(url string, first func()) error {
	resp, err := clientFor(url).Get(url)
	if err != nil {
		first()
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		first()
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 500))
		return fmt.Errorf("the stream answered %s: %s", resp.Status, body)
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	started := false
	for sc.Scan() {
		line := sc.Bytes()
		if len(line) == 0 && !started {
			started = true
			first()
		}
		if string(line) == "event: done" {
			return nil
		}
	}
	if !started {
		first()
	}
	return fmt.Errorf("stream ended without done: %v", sc.Err())
}

// startCrowd starts n clients of the event stream at url, in a process of
// their own (as browsers are), signed in as a's user, and returns once
// every one is connected. The returned func waits until every stream has
// ended with done, and fails b if one did not.
func startCrowd(b *testing.B, a *app, url string, n int) (ended func()) {
	crowd := exec.Command(os.Args[0], "-test.run=^TestHelperManyStreamClients$")
	crowd.Env = clientEnv(a, url, "ROSTER_STREAM_CLIENTS="+strconv.Itoa(n))
	out, err := crowd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := crowd.Start(); err != nil {
		b.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	for sc.Scan() && sc.Text() != "READY" {
	}
	var said strings.Builder
	copied := make(chan struct{})
	go func() { io.Copy(&said, out); close(copied) }()
	return func() {
		<-copied
		if err := crowd.Wait(); err != nil {
			b.Fatalf("clients: %v\n%s", err, said.String())
		}
	}
}

// BenchmarkImportWatchedByManyClients imports the same workbook with 0
// and with 1,000 clients (in another process, as browsers are) following
// its event stream; import-ms is the import's own duration.
func BenchmarkImportWatchedByManyClients(b *testing.B) {
	for _, clients := range []int{0, 1000} {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) {
			book := areasWorkbook(b, 50_000)
			var took time.Duration
			for i := 0; i < b.N; i++ {
				a := newStoppedApp(b, handlers.Config{})
				page := a.upload(b, "areas.xlsx", book, nil).Header.Get("Location")
				crowdEnded := func() {}
				if clients > 0 {
					crowdEnded = startCrowd(b, a, a.URL+page+"/events", clients)
				}
				a.start()
				if err := follow(a.URL+page+"/events", func() {}); err != nil {
					b.Fatal(err)
				}
				crowdEnded()
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
