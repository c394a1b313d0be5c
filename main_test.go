package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"path/filepath"
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
