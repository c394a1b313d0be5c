package handlers_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"roster/handlers"
	"roster/importer"
	"roster/importer/store"
	"roster/importer/store/storetest"
)

// BenchmarkEventLatencyAcrossInstances measures, as BenchmarkEventLatency
// does, the time from a step's change inside the importer on instance A
// to a client of instance B receiving it, while 1,000 other clients (in
// a process of their own, as browsers are) follow the import on B. B
// reaches the database through a proxy that counts its statements:
// b-stmts/s is what B's watchers cost the database while the import runs.
// Run it once (-benchtime=1x): the instances keep running between rounds.
func BenchmarkEventLatencyAcrossInstances(b *testing.B) {
	const watchers = 1000
	first, dsn := storetest.Postgres(b)
	cfg := handlers.Config{Throttle: time.Microsecond}
	a := serve(b, first, "", cfg)
	proxied, statements := storetest.CountQueries(b, dsn)
	second, err := store.Open(context.Background(), proxied)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { second.Close() })
	bi := serve(b, second, "", cfg)

	book := areasWorkbook(b, 100_000)
	var lat []time.Duration
	var asked int64
	var running time.Duration
	for i := 0; i < b.N; i++ {
		page := a.upload(b, "areas.xlsx", book, nil).Header.Get("Location")
		id := strings.TrimPrefix(page, "/imports/")
		changed := changesOn(b, a, id)

		crowdEnded := startCrowd(b, a, bi.URL+page+"/events", watchers)

		client := exec.Command(os.Args[0], "-test.run=^TestHelperStreamClient$")
		client.Env = clientEnv(a, bi.URL+page+"/events")
		events, err := client.StdoutPipe()
		if err != nil {
			b.Fatal(err)
		}
		if err := client.Start(); err != nil {
			b.Fatal(err)
		}
		// The timed client is connected (it has had the queued steps)
		// before the import starts.
		var seen strings.Builder
		lines := bufio.NewScanner(events)
		if lines.Scan() {
			seen.WriteString(lines.Text() + "\n")
		}
		read := make(chan struct{})
		go func() {
			for lines.Scan() {
				seen.WriteString(lines.Text() + "\n")
			}
			close(read)
		}()
		before := statements.Load()
		a.start()
		<-read
		if err := client.Wait(); err != nil {
			b.Fatalf("client: %v\n%s", err, seen.String())
		}
		crowdEnded()
		asked += statements.Load() - before
		st, err := a.runner.Status(context.Background(), id)
		if err != nil || st.State != importer.Succeeded {
			b.Fatalf("import: %v %s", err, st.State)
		}
		running += st.Finished.Sub(st.Started)
		lat = append(lat, latencies(changed(), seen.String())...)
	}
	reportLatencies(b, lat)
	b.ReportMetric(float64(asked)/running.Seconds(), "b-stmts/s")
	b.ReportMetric(float64(running.Milliseconds())/float64(b.N), "import-ms")
}

// changesOn follows an import on the instance that runs it and returns
// what returns when each (step, state, rows) change was first seen there.
func changesOn(b *testing.B, a *app, id string) (changes func() map[change]time.Time) {
	sub, err := a.runner.Subscribe(context.Background(), id)
	if err != nil {
		b.Fatal(err)
	}
	var mu sync.Mutex
	changed := map[change]time.Time{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		// A running step's rows differ in every snapshot, so the
		// snapshot that holds a (step, running, rows) change is the one
		// taken when it happened.
		for range sub.C {
			st := sub.Latest()
			mu.Lock()
			for _, s := range st.Steps {
				c := change{string(s.Key), string(s.State), s.Rows}
				if _, ok := changed[c]; !ok {
					changed[c] = st.Updated
				}
			}
			mu.Unlock()
		}
	}()
	return func() map[change]time.Time {
		<-done // the import has ended
		sub.Close()
		return changed
	}
}

// latencies matches the events a client printed with the changes seen on
// the running instance. Only the first event of each change counts: a
// running step that moves to its next phase with the same rows read is
// sent again, long after its rows were first seen.
func latencies(changed map[change]time.Time, out string) []time.Duration {
	var lat []time.Duration
	arrived := map[change]bool{}
	for _, line := range strings.Split(out, "\n") {
		var c change
		var nanos int64
		if _, err := fmt.Sscanf(line, "EVENT %s %s %d %d", &c.step, &c.state, &c.rows, &nanos); err != nil || arrived[c] {
			continue
		}
		arrived[c] = true
		if from, ok := changed[c]; ok && c.state == "running" {
			lat = append(lat, time.Unix(0, nanos).Sub(from))
		}
	}
	return lat
}
