package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"sync"
	"time"

	"roster/importer"
	"roster/importer/store"
	"roster/importer/workbooks"

	"github.com/dustin/go-humanize/english"
)

// sample writes a realistic workbook for trying Roster out.
func sample(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("sample", flag.ContinueOnError)
	fs.SetOutput(stderr)
	employees := fs.Int("employees", 1000, "number of employees; the other sheets grow with it")
	out := fs.String("o", "", "the workbook to write (.xlsx)")
	errs := fs.Int("errors", 0, "number of known bad cells to spread over the sheets")
	seed := fs.Int64("seed", 1, "seed of the generator; the same seed gives the same workbook")
	shared := fs.Bool("shared-strings", false, "keep the text in a shared-strings table, as Excel saves it (by default each text is inline in its cell)")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	if *out == "" || *employees < 1 || *errs < 0 {
		fmt.Fprintln(stderr, "usage: roster sample --employees N -o FILE.xlsx [--errors K] [--seed S] [--shared-strings]")
		return errReported
	}
	f, err := os.Create(*out)
	if err != nil {
		return err
	}
	if err := workbooks.WriteSample(f, workbooks.SampleOptions{Employees: *employees, Errors: *errs, Seed: *seed, SharedStrings: *shared}); err != nil {
		f.Close()
		os.Remove(*out)
		return fmt.Errorf("write sample: %w", err)
	}
	if err := f.Close(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s: %d employees, %d bad cells\n", *out, *employees, *errs)
	return nil
}

// importMemoryLimit is the import command's soft limit on the Go heap.
const importMemoryLimit = 160 << 20

// importFile runs one import without the web server. It succeeds only
// when the import committed, or, with --review, found no problem (the
// review's record and change list are kept; the company tables are not
// touched).
func importFile(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dsn := fs.String("db", orDefault(getenv("DATABASE_URL"), defaultDB), "SQLite file or postgres:// URL (env DATABASE_URL)")
	review := fs.Bool("review", false, "check the workbook and count the changes it would make; write nothing")
	removeMissing := fs.Bool("remove-missing", false, "each sheet in the workbook is the whole truth for its table: remove the rows it lacks")
	problemsPath := fs.String("problems", "", "when the import fails, write its problems workbook to this .xlsx file instead of listing the problems")
	files, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(files) != 1 {
		fmt.Fprintln(stderr, "usage: roster import FILE.xlsx [--db PATH_OR_URL] [--review] [--remove-missing] [--problems FILE.xlsx]")
		return errReported
	}
	if getenv("GOMEMLIMIT") == "" {
		// Without a limit the collector lets the heap grow to twice what
		// is live: a million employees saved with shared strings took
		// 336 MiB, and 247 MiB with this one (docs/performance.md). The
		// server keeps its own, higher limit, for every user at once.
		debug.SetMemoryLimit(importMemoryLimit)
	}
	path := files[0]
	if err := importer.Check(ctx, path); err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", path, err)
		return errReported
	}
	st, err := store.Open(ctx, *dsn)
	if err != nil {
		return err
	}
	defer st.Close()

	p := &progress{w: stdout, last: map[importer.StepKey]time.Time{}}
	status := importer.Request{FileName: filepath.Base(path), Review: *review, RemoveMissing: *removeMissing}.Status(rand.Text(), time.Now())
	status.UploadedBy = osUser(getenv)
	res, err := importer.Import(ctx, st, path, status, p.report)
	p.ended(res.Status)
	if *problemsPath != "" && len(res.Problems) > 0 {
		if werr := writeProblems(*problemsPath, path, res.Problems); werr != nil {
			fmt.Fprintf(stderr, "%s: %v\n", *problemsPath, werr)
		} else {
			fmt.Fprintf(stdout, "The problems are listed in %s, beside the sheets as they were uploaded.\n", *problemsPath)
		}
	} else {
		p.problems(res)
	}
	p.summary(res)
	if err != nil && !errors.Is(err, context.Canceled) {
		fmt.Fprintln(stderr, "detail:", err)
	}
	if res.Status.State != importer.Succeeded && res.Status.State != importer.Reviewed {
		return errReported
	}
	return nil
}

// writeProblems writes the problems workbook of an import of the
// workbook at upload, as the server offers it, creating its directory.
func writeProblems(path, upload string, problems []importer.Problem) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := workbooks.WriteProblems(f, upload, problems); err != nil {
		f.Close()
		os.Remove(path)
		return err
	}
	return f.Close()
}

// progress prints an import's steps as they change: every change of
// state, and running counts at most once a second.
type progress struct {
	mu    sync.Mutex
	w     io.Writer
	state map[importer.StepKey]importer.StepState
	last  map[importer.StepKey]time.Time
	// saving is when the first step began saving: from then to the end,
	// SQLite's one write lock is held by the import.
	saving time.Time
	held   []importer.StepKey // done steps, printed once the import has ended
}

func (p *progress) report(st importer.Status) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.state == nil {
		p.state = map[importer.StepKey]importer.StepState{}
	}
	now := time.Now()
	for _, s := range st.Steps {
		if s.Phase == importer.PhaseSaving && p.saving.IsZero() {
			p.saving = now
		}
		changed := p.state[s.Key] != s.State
		if !changed && (s.State != importer.StepRunning || now.Sub(p.last[s.Key]) < time.Second) {
			continue
		}
		if !changed && s.State != importer.StepRunning {
			continue
		}
		p.state[s.Key] = s.State
		p.last[s.Key] = now
		switch s.State {
		case importer.StepPending:
		case importer.StepRunning:
			fmt.Fprintf(p.w, "%-16s running  %d of %d rows\n", s.Key, s.Rows, s.Total)
		case importer.StepDone:
			// Whether a done step's counts were saved is known only once
			// the import has ended: until then it waits.
			p.held = append(p.held, s.Key)
		default:
			fmt.Fprintf(p.w, "%-16s %-8s %s, %s\n", s.Key, s.State, english.Plural(s.Rows, "row", ""), english.Plural(s.Problems, "problem", ""))
		}
	}
}

// ended prints the steps that were done, now that the import has ended
// and it is known whether their counts were saved.
func (p *progress) ended(st importer.Status) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	for _, k := range p.held {
		s := st.Step(k)
		if st.State != importer.Succeeded && st.State != importer.Reviewed {
			// Its sheet was fine, but the import wrote nothing: counts
			// of zero would read as "nothing needed changing".
			fmt.Fprintf(p.w, "%-16s checked  %s, not saved\n", s.Key, english.Plural(s.Rows, "row", ""))
			continue
		}
		fmt.Fprintf(p.w, "%-16s done     %s: %d created, %d updated, %d unchanged, %d removed (%s)\n",
			s.Key, english.Plural(s.Rows, "row", ""), s.Created, s.Updated, s.Unchanged, s.Removed, s.Elapsed(now).Round(time.Millisecond))
	}
	p.held = nil
}

// problems prints every problem the import kept, one a line, named by
// sheet, row and column.
func (p *progress) problems(res importer.Result) {
	for _, pr := range res.Problems {
		at := pr.Sheet
		if pr.Row > 0 {
			at += fmt.Sprintf(" row %d", pr.Row)
		}
		if pr.Column != "" {
			at += ", " + pr.Column
		}
		fmt.Fprintf(p.w, "%s: %s\n", at, pr.Message)
	}
	if more := res.Status.Problems - len(res.Problems); more > 0 {
		fmt.Fprintf(p.w, "Roster lists the first %d problems; %d more were found.\n", len(res.Problems), more)
	}
}

func (p *progress) summary(res importer.Result) {
	st := res.Status
	for _, w := range st.Warnings {
		fmt.Fprintln(p.w, "warning:", w)
	}
	if more := st.WarningCount - len(st.Warnings); more > 0 {
		fmt.Fprintf(p.w, "… and %d more warnings\n", more)
	}
	took := st.Finished.Sub(st.Started).Round(time.Millisecond)
	switch st.State {
	case importer.Reviewed:
		fmt.Fprintf(p.w, "review found no problem in %s; nothing was written\n", took)
	case importer.Succeeded:
		fmt.Fprintf(p.w, "import succeeded in %s; saving the rows took %s\n", took, st.Finished.Sub(p.saving).Round(time.Millisecond))
	default:
		fmt.Fprintf(p.w, "import %s in %s: %s\n", st.State, took, st.Error)
	}
}
