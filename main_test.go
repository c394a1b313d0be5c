package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
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
			env(map[string]string{"DATABASE_URL": filepath.Join(dir, "roster.db")}), w, io.Discard)
		w.Close()
	}()
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("no start line: %v", err)
	}
	go io.Copy(io.Discard, out)
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
	if err := run(context.Background(), []string{"import", good, "--db", db}, env(nil), &out, &errOut); err != nil {
		t.Fatalf("good workbook: %v\n%s%s", err, out.String(), errOut.String())
	}
	if !strings.Contains(out.String(), "areas") || !strings.Contains(out.String(), "2 created") {
		t.Errorf("progress does not show the areas created:\n%s", out.String())
	}

	out.Reset()
	err := run(context.Background(), []string{"import", "--db", db, bad}, env(nil), &out, &errOut)
	if err == nil {
		t.Fatalf("bad workbook: exit 0\n%s", out.String())
	}
	if !strings.Contains(out.String(), "Areas row 2, Name") {
		t.Errorf("the problem is not named by sheet, row and column:\n%s", out.String())
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
		env(map[string]string{"DATABASE_URL": filepath.Join(dir, "roster.db")}), io.Discard, &stderr)
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
	err := run(context.Background(), []string{"import", bad, "--db", filepath.Join(dir, "roster.db")}, env(nil), &out, &errOut)
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
	err := run(context.Background(), []string{"import", bad, "--problems", problems, "--db", filepath.Join(dir, "roster.db")}, env(nil), &out, &errOut)
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
		if err := run(context.Background(), args, env(nil), &out, io.Discard); err != nil {
			t.Errorf("roster %s: %v, want exit 0", args[0], err)
		}
		for _, cmd := range []string{"serve", "sample", "import"} {
			if !regexp.MustCompile(`(?m)^  ` + cmd + ` +\S.*$`).MatchString(out.String()) {
				t.Errorf("roster %s does not describe %s in a line:\n%s", args[0], cmd, out.String())
			}
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
	if err := run(context.Background(), []string{"import", two, "--db", db, "--review"}, env(nil), &out, &errOut); err != nil {
		t.Fatalf("review: %v\n%s%s", err, out.String(), errOut.String())
	}
	if !strings.Contains(out.String(), "2 created") || !strings.Contains(out.String(), "nothing was written") {
		t.Errorf("the review does not show its counts:\n%s", out.String())
	}
	out.Reset()
	// Had the review written, nothing would be created now.
	if err := run(context.Background(), []string{"import", two, "--db", db}, env(nil), &out, &errOut); err != nil {
		t.Fatalf("import: %v\n%s%s", err, out.String(), errOut.String())
	}
	if !strings.Contains(out.String(), "2 created") {
		t.Errorf("the import after the review:\n%s", out.String())
	}
	out.Reset()
	if err := run(context.Background(), []string{"import", one, "--db", db, "--remove-missing"}, env(nil), &out, &errOut); err != nil {
		t.Fatalf("import --remove-missing: %v\n%s%s", err, out.String(), errOut.String())
	}
	if !strings.Contains(out.String(), "1 unchanged, 1 removed") {
		t.Errorf("the removal is not counted:\n%s", out.String())
	}
}
