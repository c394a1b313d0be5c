package handlers_test

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
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
	"time"

	"github.com/xuri/excelize/v2"

	"roster/access"
	"roster/handlers"
	"roster/importer/queue"
	"roster/importer/store"
	"roster/importer/store/storetest"
	"roster/importer/workbooks"
)

// app is the whole of Roster over a real SQLite file, served by httptest.
// Its requests sign in as me, an administrator of its own database (see
// signIn); tests of access make other users.
type app struct {
	*httptest.Server
	dbPath string
	runner importQueue
	start  func() // runs the queued imports
	logs   *logBuffer
	store  *store.Store
	people *access.People
	me     *user
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
	people := access.NewPeople(st)
	srv := httptest.NewServer(handlers.NewServer(log, cfg, runner, workbooks.NewDownloads(st, runner), people, st.Ping))
	t.Cleanup(func() {
		srv.CloseClientConnections()
		srv.Close()
		cancel()
		started.Do(func() { close(done) }) // never started: nothing to wait for
		<-done
	})
	a := &app{Server: srv, dbPath: dbPath, runner: runner, start: start, logs: logs, store: st, people: people}
	a.me = a.signIn(t, "tester", access.Admin)
	servedApps.Store(srv.URL, a)
	t.Cleanup(func() { servedApps.Delete(srv.URL) })
	return a
}

// testPassword is every test user's password; its slow hash is made once.
const testPassword = "a long enough test password"

var testPasswordHash = sync.OnceValue(func() string { return access.HashPassword(testPassword) })

// user is a user of an app, signed in: a session (as a browser has it
// after the sign-in page) and an API token.
type user struct {
	name    string
	session string
	token   string
}

// signIn makes a user with the role in the app's own database (unless it
// has them already: instances share one), with testPassword, and starts a
// new session and API token of theirs, as the sign-in page and the
// account page would. Every test signs in here. (The sign-in page itself,
// with its slow password check, has tests of its own.)
func (a *app) signIn(t testing.TB, name string, role access.Role) *user {
	t.Helper()
	ctx := context.Background()
	err := a.store.AddUser(ctx, access.User{Name: name, Role: role}, testPasswordHash(), time.Now())
	if err != nil && !errors.Is(err, access.ErrUserExists) {
		t.Fatal(err)
	}
	u := &user{name: name}
	if u.session, err = a.people.StartSession(ctx, name); err != nil {
		t.Fatal(err)
	}
	if u.token, err = a.people.NewToken(ctx, name, "test"); err != nil {
		t.Fatal(err)
	}
	return u
}

// client is a browser-like client of the user: it sends the session
// cookie (so the cross-site check applies, as to a browser) and does not
// follow redirects, so tests see them.
func (u *user) client() *http.Client {
	return &http.Client{
		Transport:     withHeader{"Cookie", "roster_session=" + u.session},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// script is a client of the user as a script is: the API token, no cookie.
func (u *user) script() *http.Client {
	return &http.Client{
		Transport:     withHeader{"Authorization", "Bearer " + u.token},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// withHeader adds a header to every request that does not set it.
type withHeader struct{ name, value string }

func (h withHeader) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Header.Get(h.name) == "" {
		req = req.Clone(req.Context())
		req.Header.Set(h.name, h.value)
	}
	return http.DefaultTransport.RoundTrip(req)
}

// client is the app's signed-in client (an administrator's session).
func (a *app) client() *http.Client { return a.me.client() }

// anonymous is a client that nobody signed in, not following redirects.
func (a *app) anonymous() *http.Client {
	return &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// servedApps are the apps of the running tests by URL, so that helpers
// given only an address sign in as that app's user.
var servedApps sync.Map

// clientFor is the signed-in client of the app that serves url. For an
// address no app of the test serves, it is the session a benchmark gave
// its client process (ROSTER_STREAM_CLIENT_SESSION, see clientEnv), or
// nobody signed in.
func clientFor(url string) *http.Client {
	var found *app
	servedApps.Range(func(k, v any) bool {
		if strings.HasPrefix(url, k.(string)+"/") {
			found = v.(*app)
			return false
		}
		return true
	})
	if found == nil {
		if session := os.Getenv("ROSTER_STREAM_CLIENT_SESSION"); session != "" {
			return (&user{session: session}).client()
		}
		return http.DefaultClient
	}
	return found.client()
}

// clientEnv is the environment of a client process that a benchmark runs
// (the test binary again, as a browser is another process): the stream's
// address and the session of the app's user, then more.
func clientEnv(a *app, url string, more ...string) []string {
	env := append(os.Environ(), "ROSTER_STREAM_CLIENT_URL="+url, "ROSTER_STREAM_CLIENT_SESSION="+a.me.session)
	return append(env, more...)
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

// upload posts a workbook as the browser's form does, signed in as the
// app's user unless the header says otherwise.
func (a *app) upload(t testing.TB, name string, body []byte, header http.Header) *http.Response {
	t.Helper()
	return a.uploadBy(t, a.client(), name, body, header)
}

// uploadBy posts a workbook as the browser's form does, through a client.
func (a *app) uploadBy(t testing.TB, c *http.Client, name string, body []byte, header http.Header) *http.Response {
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
	resp, err := c.Do(req)
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
	resp, err := clientFor(url).Get(url)
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
	resp, err := a.client().Do(req)
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
