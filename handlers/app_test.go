package handlers_test

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/xuri/excelize/v2"

	"roster/handlers"
	"roster/importer/queue"
	"roster/importer/store"
	"roster/importer/store/storetest"
	"roster/importer/workbooks"
)

// app is the whole of Roster over a real SQLite file, served by httptest.
type app struct {
	*httptest.Server
	dbPath string
	runner importQueue
	start  func() // runs the queued imports
	logs   *logBuffer
}

// logBuffer keeps what the app logs, for tests that read it.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// importQueue is the queue of imports the app runs: queue.Local on
// SQLite, queue.Shared on PostgreSQL, as main chooses.
type importQueue interface {
	handlers.Imports
	workbooks.Uploads
	Run(ctx context.Context) error
}

func newApp(t testing.TB, cfg handlers.Config) *app {
	t.Helper()
	a := newStoppedApp(t, cfg)
	a.start()
	return a
}

// newStoppedApp serves Roster without running imports until start is
// called, so tests can see imports wait in the queue.
func newStoppedApp(t testing.TB, cfg handlers.Config) *app {
	t.Helper()
	st, path := storetest.SQLite(t)
	return serve(t, st, path, cfg)
}

// serve serves Roster over a store; dbPath is the SQLite file, if it is one.
func serve(t testing.TB, st *store.Store, dbPath string, cfg handlers.Config) *app {
	t.Helper()
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	logs := &logBuffer{}
	log := slog.New(slog.NewTextHandler(io.MultiWriter(debugLog(), logs), nil))
	var runner importQueue
	var err error
	if st.Postgres() {
		runner, err = queue.NewShared(st, filepath.Join(dir, "uploads"), log)
	} else {
		runner, err = queue.NewLocal(st, filepath.Join(dir, "uploads"), log)
	}
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	var started sync.Once
	start := func() {
		started.Do(func() {
			go func() {
				runner.Run(ctx)
				close(done)
			}()
		})
	}
	if cfg.MaxUpload == 0 {
		cfg.MaxUpload = 256 << 20
	}
	cfg.UploadDir = dir
	srv := httptest.NewServer(handlers.NewServer(log, cfg, runner, workbooks.NewDownloads(st, runner), st.Ping))
	t.Cleanup(func() {
		srv.CloseClientConnections()
		srv.Close()
		cancel()
		started.Do(func() { close(done) }) // never started: nothing to wait for
		<-done
	})
	return &app{Server: srv, dbPath: dbPath, runner: runner, start: start, logs: logs}
}

// client does not follow redirects, so tests see them.
func (a *app) client() *http.Client {
	return &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// workbook builds an .xlsx with the given sheets, each a list of rows.
func workbook(t testing.TB, sheets map[string][][]any, order ...string) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for i, name := range order {
		if i == 0 {
			f.SetSheetName("Sheet1", name)
		} else if _, err := f.NewSheet(name); err != nil {
			t.Fatal(err)
		}
		for r, row := range sheets[name] {
			cell, _ := excelize.CoordinatesToCellName(1, r+1)
			if err := f.SetSheetRow(name, cell, &row); err != nil {
				t.Fatal(err)
			}
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func areasWorkbook(t testing.TB, n int) []byte {
	rows := [][]any{{"Code", "Name"}}
	for i := range n {
		rows = append(rows, []any{"A" + string(rune('a'+i%26)) + strings.Repeat("x", i/26), "Area " + string(rune('A'+i%26))})
	}
	return workbook(t, map[string][][]any{"Areas": rows}, "Areas")
}

// upload posts a workbook as the browser's form does.
func (a *app) upload(t testing.TB, name string, body []byte, header http.Header) *http.Response {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, err := mw.CreateFormFile("file", name)
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(body)
	mw.Close()
	req, err := http.NewRequest("POST", a.URL+"/imports", &buf)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := a.client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// event is one server-sent event as a client parses it.
type event struct {
	id, name, data string
}

// readEvents reads a whole event stream until the server ends it.
func readEvents(t *testing.T, url string) []event {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("Content-Type = %q", ct)
	}
	var events []event
	var cur event
	var data []string
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			if cur.name != "" || len(data) > 0 {
				cur.data = strings.Join(data, "\n")
				events = append(events, cur)
			}
			cur, data = event{}, nil
		case strings.HasPrefix(line, ":"):
		case strings.HasPrefix(line, "id: "):
			cur.id = strings.TrimPrefix(line, "id: ")
		case strings.HasPrefix(line, "event: "):
			cur.name = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			data = append(data, strings.TrimPrefix(line, "data: "))
		case strings.HasPrefix(line, "data:"):
			data = append(data, strings.TrimPrefix(line, "data:"))
		default:
			t.Fatalf("unexpected line in stream: %q", line)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return events
}

func countRows(t *testing.T, dbPath, table string) int {
	t.Helper()
	db, err := sql.Open("sqlite", dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow("SELECT COUNT(*) FROM " + table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func handlersConfig() handlers.Config { return handlers.Config{} }

// importStatus is the status JSON of an import, as a script reads it.
type importStatus struct {
	State    string `json:"state"`
	FileName string `json:"file_name"`
	Problems int    `json:"problems"`
	Ahead    int    `json:"ahead"`
	Steps    []struct {
		Key       string `json:"key"`
		State     string `json:"state"`
		Rows      int    `json:"rows"`
		Created   int    `json:"created"`
		Updated   int    `json:"updated"`
		Unchanged int    `json:"unchanged"`
		Removed   int    `json:"removed"`
		Problems  int    `json:"problems"`
	} `json:"steps"`

	// Section 8.
	Review        bool   `json:"review"`
	RemoveMissing bool   `json:"remove_missing"`
	Confirms      string `json:"confirms"`
	ConfirmedIn   string `json:"confirmed_in"`
	Undoes        string `json:"undoes"`
	UndoneIn      string `json:"undone_in"`
}

// statusJSON asks for an import's page as JSON.
func statusJSON(t testing.TB, a *app, page string) importStatus {
	t.Helper()
	req, _ := http.NewRequest("GET", a.URL+page, nil)
	req.Header.Set("Accept", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("GET %s as JSON: Content-Type %q", page, ct)
	}
	var st importStatus
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		t.Fatal(err)
	}
	return st
}

// debugLog is where the served app logs: nowhere, or with ROSTER_TEST_LOG
// set, the test's standard error.
func debugLog() io.Writer {
	if os.Getenv("ROSTER_TEST_LOG") != "" {
		return os.Stderr
	}
	return io.Discard
}
