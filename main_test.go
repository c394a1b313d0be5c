package main

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	osuser "os/user"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"roster/access"
	"roster/importer/store"
)

func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func TestServeAnswersHealthzAndStopsWhenCancelled(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out, w := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0"},
			env(map[string]string{"DATABASE_URL": filepath.Join(dir, "roster.db")}), strings.NewReader(""), w, io.Discard)
		w.Close()
	}()
	r := bufio.NewReader(out)
	line, err := r.ReadString('\n')
	if strings.Contains(line, "/setup?token=") { // a fresh database: the setup address first
		line, err = r.ReadString('\n')
	}
	if err != nil {
		t.Fatalf("no start line: %v", err)
	}
	go io.Copy(io.Discard, r)
	_, rest, ok := strings.Cut(line, "http://")
	if !ok {
		t.Fatalf("start line %q has no address", line)
	}
	addr := strings.Fields(rest)[0]
	resp, err := http.Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || strings.TrimSpace(string(body)) != "ok" {
		t.Errorf("healthz: %s %q", resp.Status, body)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("run after cancel: %v", err)
	}
}

func writeAreas(t *testing.T, path string, rows [][]any) {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	f.SetSheetName("Sheet1", "Areas")
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow("Areas", cell, &r); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
}

func TestImportCommandExitsZeroOnlyWhenItCommitted(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "roster.db")
	good := filepath.Join(dir, "good.xlsx")
	bad := filepath.Join(dir, "bad.xlsx")
	writeAreas(t, good, [][]any{{"Code", "Name"}, {"N", "North"}, {"S", "South"}})
	writeAreas(t, bad, [][]any{{"Code", "Name"}, {"E", ""}})

	var out, errOut bytes.Buffer
	if err := run(context.Background(), []string{"import", good, "--db", db}, env(nil), strings.NewReader(""), &out, &errOut); err != nil {
		t.Fatalf("good workbook: %v\n%s%s", err, out.String(), errOut.String())
	}
	if !strings.Contains(out.String(), "areas") || !strings.Contains(out.String(), "2 created") {
		t.Errorf("progress does not show the areas created:\n%s", out.String())
	}

	out.Reset()
	err := run(context.Background(), []string{"import", "--db", db, bad}, env(nil), strings.NewReader(""), &out, &errOut)
	if err == nil {
		t.Fatalf("bad workbook: exit 0\n%s", out.String())
	}
	if !strings.Contains(out.String(), "Areas row 2, Name") {
		t.Errorf("the problem is not named by sheet, row and column:\n%s", out.String())
	}
}

// startServe runs serve on a database and returns the lines it printed
// at start, up to the one that says it serves, and a func that stops it.
func startServe(t *testing.T, db string) (lines []string, stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out, w := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--db", db}, env(nil), strings.NewReader(""), w, io.Discard)
		w.Close()
	}()
	r := bufio.NewReader(out)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("no start line: %v (read %q)", err, lines)
		}
		lines = append(lines, line)
		if strings.HasPrefix(line, "Roster is serving") {
			break
		}
	}
	go io.Copy(io.Discard, r)
	return lines, func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	}
}

func TestAFreshDatabasePrintsTheSetupAddressWhichMakesTheFirstAdminOnce(t *testing.T) {
	db := filepath.Join(t.TempDir(), "roster.db")
	lines, stop := startServe(t, db)
	if len(lines) != 2 || !strings.Contains(lines[0], "/setup?token=") {
		stop()
		t.Fatalf("a fresh database: printed %q, want the setup address on its own line", lines)
	}
	setup := "http" + strings.Fields(strings.SplitN(lines[0], "http", 2)[1])[0]
	u, _ := url.Parse(setup)
	token := u.Query().Get("token")
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	resp, err := noRedirect.Get(setup)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET the setup address: %v %v", resp.Status, err)
	}
	resp.Body.Close()
	form := url.Values{"token": {token}, "name": {"boss"}, "password": {"the first admin's password"}}
	resp, err = noRedirect.PostForm(u.Scheme+"://"+u.Host+"/setup", form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || len(resp.Cookies()) == 0 {
		t.Fatalf("POST /setup: %s, want 303 signed in", resp.Status)
	}
	// It works once.
	form.Set("name", "intruder")
	resp, err = noRedirect.PostForm(u.Scheme+"://"+u.Host+"/setup", form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("the setup address again: %s, want 404", resp.Status)
	}
	stop()

	var out bytes.Buffer
	if err := run(context.Background(), []string{"user", "list", "--db", db}, env(nil), strings.NewReader(""), &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); got != "boss\tadmin\n" {
		t.Errorf("users after setup: %q, want boss alone, an admin", got)
	}
	// With an admin, no setup address.
	lines, stop = startServe(t, db)
	stop()
	if len(lines) != 1 {
		t.Errorf("with an admin the server printed %q, want no setup address", lines)
	}
}

func TestUserCommands(t *testing.T) {
	db := filepath.Join(t.TempDir(), "roster.db")
	user := func(stdin string, args ...string) (string, string, error) {
		var out, errOut bytes.Buffer
		err := run(context.Background(), append(append([]string{"user"}, args...), "--db", db), env(nil), strings.NewReader(stdin), &out, &errOut)
		return out.String(), errOut.String(), err
	}
	if _, msg, err := user("short\n", "add", "ann", "--role", "importer"); err == nil || !strings.Contains(msg, "at least 12") {
		t.Errorf("a short password: %v %q, want refused", err, msg)
	}
	if _, msg, err := user("long enough password\n", "add", "ann", "--role", "boss"); err == nil || !strings.Contains(msg, "not a role") {
		t.Errorf("an unknown role: %v %q, want refused", err, msg)
	}
	if _, msg, err := user("long enough password\n", "add", "ann", "--role", "importer"); err != nil {
		t.Fatalf("user add: %v %s", err, msg)
	}
	if _, _, err := user("long enough password\n", "add", "ann", "--role", "importer"); err == nil {
		t.Error("adding ann twice succeeded")
	}
	out, _, err := user("", "token", "ann")
	token := strings.TrimSpace(out)
	if err != nil || !strings.HasPrefix(token, "roster_") {
		t.Fatalf("user token: %q %v", out, err)
	}
	st, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	people := access.NewPeople(st)
	if u, err := people.TokenUser(context.Background(), token); err != nil || u.Name != "ann" {
		t.Errorf("the printed token acts as %q (%v), want ann", u.Name, err)
	}
	if u, _, err := people.SignIn(context.Background(), "ann", "long enough password"); err != nil || u.Role != access.Importer {
		t.Errorf("ann signs in with the password from standard input: %+v %v", u, err)
	}
	st.Close()
	if out, _, _ := user("", "list"); out != "ann\timporter\n" {
		t.Errorf("user list: %q", out)
	}
	if _, _, err := user("", "remove", "ann"); err != nil {
		t.Fatal(err)
	}
	if _, msg, err := user("", "remove", "ann"); err == nil || !strings.Contains(msg, "no user") {
		t.Errorf("removing ann twice: %v %q", err, msg)
	}
	if out, _, _ := user("", "list"); out != "" {
		t.Errorf("user list after remove: %q", out)
	}
}

func TestACommandLineImportIsRecordedAsByTheOperatingSystemUser(t *testing.T) {
	dir := t.TempDir()
	db, book := filepath.Join(dir, "roster.db"), filepath.Join(dir, "good.xlsx")
	writeAreas(t, book, [][]any{{"Code", "Name"}, {"N", "North"}})
	if err := run(context.Background(), []string{"import", book, "--db", db}, env(nil), strings.NewReader(""), io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	list, err := st.Statuses(context.Background(), 1)
	if err != nil || len(list) != 1 {
		t.Fatalf("imports: %v %v", list, err)
	}
	me, err := osuser.Current()
	if err != nil {
		t.Skip("no OS user to compare with")
	}
	if list[0].UploadedBy != me.Username {
		t.Errorf("the import is recorded as by %q, want %q", list[0].UploadedBy, me.Username)
	}
}

func TestTheProxyFlagsGoTogetherAndTakeAddresses(t *testing.T) {
	db := filepath.Join(t.TempDir(), "roster.db")
	for _, args := range [][]string{
		{"--auth-proxy-header", "X-Forwarded-Email"},
		{"--auth-proxy-from", "10.0.0.0/8"},
		{"--auth-proxy-header", "X-Forwarded-Email", "--auth-proxy-from", "10.0.0.0/33"},
		{"--auth-proxy-header", "X-Forwarded-Email", "--auth-proxy-from", "proxy.example"},
	} {
		err := run(context.Background(), append([]string{"serve", "--addr", "127.0.0.1:0", "--db", db}, args...), env(nil), strings.NewReader(""), io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), "auth-proxy") {
			t.Errorf("serve %q: %v, want refused naming the flag", args, err)
		}
	}
	if got, err := parseCIDRs("10.0.0.5, 192.168.0.0/16,::1"); err != nil || len(got) != 3 || got[0].String() != "10.0.0.5/32" || got[2].String() != "::1/128" {
		t.Errorf("parseCIDRs = %v, %v", got, err)
	}
}

// TestServeStoppedWhileStartingStopsCleanly is a stop (Ctrl-C, SIGTERM)
// that arrives before the server has finished starting: a clean stop,
// not a failure. It happened in TestServeAnswersHealthzAndStopsWhenCancelled
// when the cancel came before the queue had looked for unfinished imports.
func TestServeStoppedWhileStartingStopsCleanly(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var stderr bytes.Buffer
	err := run(ctx, []string{"serve", "--addr", "127.0.0.1:0"},
		env(map[string]string{"DATABASE_URL": filepath.Join(dir, "roster.db")}), strings.NewReader(""), io.Discard, &stderr)
	if err != nil {
		t.Errorf("serve stopped while starting: %v\n%s", err, stderr.String())
	}
}

// badAreas writes a workbook of n areas, each without its name.
func badAreas(t *testing.T, path string, n int) {
	t.Helper()
	rows := [][]any{{"Code", "Name"}}
	for i := range n {
		rows = append(rows, []any{fmt.Sprintf("A%02d", i), ""})
	}
	writeAreas(t, path, rows)
}

func TestImportCommandPrintsEveryProblem(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.xlsx")
	badAreas(t, bad, 25)
	var out, errOut bytes.Buffer
	err := run(context.Background(), []string{"import", bad, "--db", filepath.Join(dir, "roster.db")}, env(nil), strings.NewReader(""), &out, &errOut)
	if err == nil {
		t.Fatalf("bad workbook: exit 0\n%s", out.String())
	}
	for row := 2; row <= 26; row++ {
		if !strings.Contains(out.String(), fmt.Sprintf("Areas row %d, Name:", row)) {
			t.Errorf("the problem of row %d is not printed", row)
		}
	}
	if strings.Contains(out.String(), "more problems") {
		t.Errorf("problems are left out:\n%s", out.String())
	}
}

func TestImportCommandWritesTheProblemsWorkbook(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.xlsx")
	badAreas(t, bad, 25)
	problems := filepath.Join(dir, "out", "bad-problems.xlsx")
	var out, errOut bytes.Buffer
	err := run(context.Background(), []string{"import", bad, "--problems", problems, "--db", filepath.Join(dir, "roster.db")}, env(nil), strings.NewReader(""), &out, &errOut)
	if err == nil {
		t.Fatalf("bad workbook: exit 0\n%s", out.String())
	}
	if !strings.Contains(out.String(), problems) {
		t.Errorf("the output does not say where the problems are:\n%s", out.String())
	}
	f, err := excelize.OpenFile(problems)
	if err != nil {
		t.Fatalf("no problems workbook: %v\n%s%s", err, out.String(), errOut.String())
	}
	defer f.Close()
	rows, err := f.GetRows("Problems")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 26 || rows[1][0] != "Areas" || rows[1][1] != "2" || rows[1][2] != "Name" {
		t.Errorf("the Problems sheet has %d rows, want a header and 25 problems: %q", len(rows), rows[:min(3, len(rows))])
	}
	if _, err := f.GetRows("Areas"); err != nil {
		t.Errorf("the uploaded sheet is not beside the problems: %v", err)
	}
}

func TestHelpListsTheCommands(t *testing.T) {
	for _, args := range [][]string{{"help"}, {"--help"}, {"-h"}} {
		var out bytes.Buffer
		if err := run(context.Background(), args, env(nil), strings.NewReader(""), &out, io.Discard); err != nil {
			t.Errorf("roster %s: %v, want exit 0", args[0], err)
		}
		for _, cmd := range []string{"serve", "sample", "import", "user"} {
			if !regexp.MustCompile(`(?m)^  ` + cmd + ` +\S.*$`).MatchString(out.String()) {
				t.Errorf("roster %s does not describe %s in a line:\n%s", args[0], cmd, out.String())
			}
		}
	}
}

// TestNoPageShowsATokenMadeByTheCommand makes tokens with `user token`,
// as the operator does, and reads every page their users see: the token
// works, the account page lists it by its label to revoke it, and no page
// shows it (contract 9: no token on a page). The account page makes none.
func TestNoPageShowsATokenMadeByTheCommand(t *testing.T) {
	db := filepath.Join(t.TempDir(), "roster.db")
	user := func(stdin string, args ...string) string {
		t.Helper()
		var out, errOut bytes.Buffer
		if err := run(context.Background(), append(append([]string{"user"}, args...), "--db", db), env(nil), strings.NewReader(stdin), &out, &errOut); err != nil {
			t.Fatalf("user %q: %v %s", args, err, errOut.String())
		}
		return strings.TrimSpace(out.String())
	}
	const password = "a long enough password"
	user(password+"\n", "add", "boss", "--role", "admin")
	user(password+"\n", "add", "ann", "--role", "viewer")
	tokens := map[string]string{
		"boss": user("", "token", "boss"),
		"ann":  user("", "token", "ann", "--label", "nightly export"),
	}
	lines, stop := startServe(t, db)
	defer stop()
	base := "http://" + strings.Fields(strings.SplitN(lines[len(lines)-1], "http://", 2)[1])[0]

	signedIn := func(name string) *http.Client {
		t.Helper()
		jar, _ := cookiejar.New(nil)
		c := &http.Client{Jar: jar}
		resp, err := c.PostForm(base+"/login", url.Values{"name": {name}, "password": {password}, "next": {"/account"}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Request.URL.Path != "/account" {
			t.Fatalf("%s signs in: %s at %s", name, resp.Status, resp.Request.URL)
		}
		return c
	}
	get := func(c *http.Client, path string, header ...string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest("GET", base+path, nil)
		if len(header) == 2 {
			req.Header.Set(header[0], header[1])
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}

	for name, token := range tokens {
		if !strings.HasPrefix(token, "roster_") {
			t.Fatalf("user token %s printed %q", name, token)
		}
		if status, _ := get(http.DefaultClient, "/imports", "Authorization", "Bearer "+token); status != 200 {
			t.Errorf("%s's token: %d, want it to work", name, status)
		}
	}
	for _, name := range []string{"ann", "boss"} {
		c := signedIn(name)
		pages := []string{"/", "/imports", "/account", "/login"}
		if name == "boss" {
			pages = append(pages, "/users")
		}
		for _, path := range pages {
			status, body := get(c, path)
			if status != 200 {
				t.Errorf("%s: GET %s: %d", name, path, status)
			}
			for _, token := range tokens {
				if strings.Contains(body, token) || strings.Contains(body, strings.TrimPrefix(token, "roster_")) {
					t.Errorf("%s: %s shows a token", name, path)
				}
			}
		}
		_, account := get(c, "/account")
		if name == "ann" && (!strings.Contains(account, "nightly export") || !strings.Contains(account, `action="/account/tokens/revoke"`)) {
			t.Errorf("ann's account page does not list her token by its label to revoke it:\n%s", account)
		}
		if strings.Contains(account, `action="/account/tokens"`) {
			t.Errorf("%s's account page still has a form that makes tokens", name)
		}
		// No route makes one either.
		resp, err := c.PostForm(base+"/account/tokens", url.Values{"label": {"sneaky"}})
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusMethodNotAllowed && resp.StatusCode != http.StatusNotFound || strings.Contains(string(body), "roster_") {
			t.Errorf("%s: POST /account/tokens: %s, want no such route", name, resp.Status)
		}
	}
}

// TestImportCommandReviewsAndRemoves runs `import --review` (counts
// printed, nothing written, exit 0) and `import --remove-missing` (the
// area the workbook lacks is removed and counted).
func TestImportCommandReviewsAndRemoves(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "roster.db")
	two := filepath.Join(dir, "two.xlsx")
	one := filepath.Join(dir, "one.xlsx")
	writeAreas(t, two, [][]any{{"Code", "Name"}, {"N", "North"}, {"S", "South"}})
	writeAreas(t, one, [][]any{{"Code", "Name"}, {"N", "North"}})

	var out, errOut bytes.Buffer
	if err := run(context.Background(), []string{"import", two, "--db", db, "--review"}, env(nil), strings.NewReader(""), &out, &errOut); err != nil {
		t.Fatalf("review: %v\n%s%s", err, out.String(), errOut.String())
	}
	if !strings.Contains(out.String(), "2 created") || !strings.Contains(out.String(), "nothing was written") {
		t.Errorf("the review does not show its counts:\n%s", out.String())
	}
	out.Reset()
	// Had the review written, nothing would be created now.
	if err := run(context.Background(), []string{"import", two, "--db", db}, env(nil), strings.NewReader(""), &out, &errOut); err != nil {
		t.Fatalf("import: %v\n%s%s", err, out.String(), errOut.String())
	}
	if !strings.Contains(out.String(), "2 created") {
		t.Errorf("the import after the review:\n%s", out.String())
	}
	out.Reset()
	if err := run(context.Background(), []string{"import", one, "--db", db, "--remove-missing"}, env(nil), strings.NewReader(""), &out, &errOut); err != nil {
		t.Fatalf("import --remove-missing: %v\n%s%s", err, out.String(), errOut.String())
	}
	if !strings.Contains(out.String(), "1 unchanged, 1 removed") {
		t.Errorf("the removal is not counted:\n%s", out.String())
	}
}

// A failed import saved nothing, so the command does not show the sheets
// that were fine as done with counts of zero ("nothing needed changing"):
// they were checked, not saved. One problem is "1 problem".
func TestImportCommandSaysAFailedImportsGoodSheetsWereNotSaved(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.xlsx")
	if err := run(context.Background(), []string{"sample", "--employees", "50", "--errors", "1", "-o", bad}, env(nil), strings.NewReader(""), io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := run(context.Background(), []string{"import", bad, "--db", filepath.Join(dir, "roster.db")}, env(nil), strings.NewReader(""), &out, io.Discard); err == nil {
		t.Fatalf("bad workbook: exit 0\n%s", out.String())
	}
	if m := regexp.MustCompile(`(?m)^\S+ +done .*0 created, 0 updated, 0 unchanged.*$`).FindString(out.String()); m != "" {
		t.Errorf("a sheet of the failed import is shown as done with nothing to change: %q\n%s", m, out.String())
	}
	if !regexp.MustCompile(`(?m)^\S+ +checked +[\d,]+ rows?, not saved$`).MatchString(out.String()) {
		t.Errorf("no sheet is said to be checked and not saved:\n%s", out.String())
	}
	if !regexp.MustCompile(`(?m)^\S+ +failed +[\d,]+ rows?, 1 problem$`).MatchString(out.String()) {
		t.Errorf("the failed sheet does not say \"1 problem\":\n%s", out.String())
	}
}

// The sample command writes its text in a shared-strings table when
// asked, as Excel saves a workbook, and the workbook imports all the same.
func TestSampleCommandWritesSharedStringsWhenAsked(t *testing.T) {
	dir := t.TempDir()
	for _, shared := range []bool{false, true} {
		path := filepath.Join(dir, fmt.Sprintf("shared-%v.xlsx", shared))
		args := []string{"sample", "--employees", "30", "-o", path}
		if shared {
			args = append(args, "--shared-strings")
		}
		if err := run(context.Background(), args, env(nil), strings.NewReader(""), io.Discard, io.Discard); err != nil {
			t.Fatal(err)
		}
		zr, err := zip.OpenReader(path)
		if err != nil {
			t.Fatal(err)
		}
		_, err = zr.Open("xl/sharedStrings.xml")
		zr.Close()
		if has := err == nil; has != shared {
			t.Errorf("--shared-strings %v: the workbook has a shared-strings table: %v", shared, has)
		}
		var out bytes.Buffer
		if err := run(context.Background(), []string{"import", path, "--db", filepath.Join(dir, "roster.db")}, env(nil), strings.NewReader(""), &out, io.Discard); err != nil {
			t.Errorf("--shared-strings %v: import: %v\n%s", shared, err, out.String())
		}
	}
}
