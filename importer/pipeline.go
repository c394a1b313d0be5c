// Package importer is the workbook as the contract defines it and how one
// is imported: the sheets, their columns, keys and rules (sheets.go), the
// steps and problems a user sees (status.go), the reading and checking of
// every cell (read.go), and the pipeline that writes a workbook all or
// nothing (this file), through the transaction it asks of its storage.
// It knows no SQL and no HTTP.
package importer

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/dustin/go-humanize"
	"github.com/dustin/go-humanize/english"

	"roster/importer/xlsx"
)

// Storage is what an import needs of the database: a transaction.
type Storage interface {
	BeginImport(ctx context.Context) (Tx, error)
}

// Tx is one import's transaction. Each sheet's rows are staged, checked
// against each other, the staged sheets before it and the data already
// saved, and merged into the saved data; nothing is seen by anyone else
// before Commit, and Rollback leaves the data as it was.
type Tx interface {
	// Stage adds rows: the Excel row number, then one value per column
	// of the sheet (nil for an empty cell).
	Stage(ctx context.Context, sh *Sheet, rows [][]any) error
	// Index makes the checks on the fields of a fully staged sheet fast.
	Index(ctx context.Context, sh *Sheet, fields ...string) error
	// Repeats finds staged rows whose fields an earlier staged row has.
	Repeats(ctx context.Context, sh *Sheet, fields ...string) ([]Repeat, error)
	// Taken finds staged rows whose unique field another saved row keeps.
	Taken(ctx context.Context, sh *Sheet, field string) ([]Taken, error)
	// Dangling finds staged rows whose reference is neither staged nor
	// saved; when removing, a saved key the target's staged sheet lacks
	// is missing too (it is removed).
	Dangling(ctx context.Context, sh *Sheet, ref Ref, removing bool) ([]Dangling, error)
	// Orphans finds, for a staged sheet that removes the saved rows it
	// lacks, the saved rows of from (not uploaded, so staying) that refer
	// through ref to a removed key.
	Orphans(ctx context.Context, sh, from *Sheet, ref Ref) ([]Orphan, error)
	// Record saves the change records of a checked sheet (what its merge
	// would update and, when removing, remove) under the import's id, and
	// counts them with the rows it would create. The created rows are
	// recorded only in a review: an import's merge marks them in their
	// table. It is called once every sheet has been staged and checked,
	// before any merge.
	Record(ctx context.Context, sh *Sheet, id string, removing, review bool) (Counts, error)
	// SameChanges reports whether the import, recorded and not merged,
	// makes exactly the changes its review other recorded.
	SameChanges(ctx context.Context, id, other string) (bool, error)
	// Merge saves the staged rows: when removing, saved rows whose key the
	// sheet lacks deleted; new keys created, changed rows updated.
	Merge(ctx context.Context, sh *Sheet, removing bool) (Counts, error)
	// Commit makes what was merged visible together with the import's
	// outcome, or nothing: ErrEnded when the import had been ended
	// elsewhere meanwhile.
	Commit(ctx context.Context, outcome Status) error
	// Rollback abandons everything; after Commit it does nothing.
	Rollback() error
}

// Repeat is a staged row whose value (or key) an earlier row already has.
type Repeat struct {
	Row, FirstRow int
	Value         string // the repeated value; parts of a key joined by " / "
}

// Taken is a staged row whose unique value belongs to another row already
// saved, one that this import does not change.
type Taken struct {
	Row   int
	Value string
	Owner string // the key of the saved row that has the value
}

// Dangling is a staged row whose reference leads nowhere.
type Dangling struct {
	Row     int
	Value   string
	Removed bool // the key is saved, but this upload removes it
}

// Orphan is a key a sheet removes that saved rows of another table, whose
// sheet was not uploaded, still refer to.
type Orphan struct {
	Value    string // the removed key
	Referrer string // the key of the first row that refers to it
	Count    int    // how many rows refer to it
}

// Counts is how many rows one step creates, updates and removes.
type Counts struct{ Created, Updated, Removed int }

// MaxProblems is how many problems an import keeps in detail. Past it the
// problems are still counted, so the user knows how many there are, but a
// workbook wrong in every cell cannot fill the server's memory.
const MaxProblems = 100_000

// MaxWarnings is how many warnings an import keeps. Past it they are only
// counted: a workbook of 16,384 unknown columns in each sheet has 114,661
// warnings, which nobody reads and which made its page 12 MB.
const MaxWarnings = 100

// Limits of what a workbook may be; the contract's are Excel's own and
// 1 GiB unpacked.
var Limits = xlsx.DefaultLimits

// Result is how an import ended.
type Result struct {
	Status   Status
	Problems []Problem // at most MaxProblems; Status.Problems counts them all
}

// run is one import as it runs: the snapshot the user sees, kept up to date
// and reported after every change.
type run struct {
	status   Status
	problems []Problem
	report   func(Status)
	now      func() time.Time
	uploaded map[StepKey]bool // the steps whose sheet the workbook has

	// While holding, nothing is reported: the sheets are being counted
	// (counts sends each sheet's rows, in the order of order).
	holding bool
	counts  <-chan []int
	order   []found
}

func (r *run) step(key StepKey) *Step {
	for i := range r.status.Steps {
		if r.status.Steps[i].Key == key {
			return &r.status.Steps[i]
		}
	}
	panic("importer: unknown step " + string(key))
}

func (r *run) addProblems(key StepKey, ps []Problem) {
	r.step(key).Problems += len(ps)
	r.status.Problems += len(ps)
	room := MaxProblems - len(r.problems)
	for _, p := range ps[:max(0, min(room, len(ps)))] {
		// Whatever made the problem, what is kept of it can be shown,
		// and saved in either database.
		r.problems = append(r.problems, p.clean())
	}
}

// countProblems counts n more problems of a step that are not kept.
func (r *run) countProblems(key StepKey, n int) {
	r.step(key).Problems += n
	r.status.Problems += n
}

func (r *run) warn(msg string) { r.addWarnings([]string{msg}, 1) }

// addWarnings counts total warnings, of which msgs are the first: every
// one is counted, the first MaxWarnings kept.
func (r *run) addWarnings(msgs []string, total int) {
	r.status.WarningCount += total
	room := MaxWarnings - len(r.status.Warnings)
	r.status.Warnings = append(r.status.Warnings, msgs[:max(0, min(room, len(msgs)))]...)
}

func (r *run) publish() {
	if r.holding {
		return
	}
	r.status.Updated = r.now()
	if r.report != nil {
		r.report(r.status.Clone())
	}
}

// Import reads the workbook at path and writes it to the store in one
// transaction, or writes nothing. It reports every change of the import's
// status to report (which must not block for long) and returns the final
// status. An error is returned only with a final status that says, in
// words a user can act on, what went wrong; the error has the detail for
// the log.
func Import(ctx context.Context, st Storage, path string, status Status, report func(Status)) (Result, error) {
	r := startRun(status, report)
	return r.end(ctx, r.importWorkbook(ctx, st, path))
}

// startRun starts an import (or undo) of the given status.
func startRun(status Status, report func(Status)) *run {
	r := &run{status: status, report: report, now: time.Now}
	r.status.State = Running
	r.status.Started = r.now()
	r.publish()
	return r
}

// end settles how the run ended, from what its work returned: succeeded
// or reviewed (already recorded with its data), or failed, cancelled or
// interrupted with nothing written.
func (r *run) end(ctx context.Context, err error) (Result, error) {
	r.holding = false
	if (r.status.State == Succeeded || r.status.State == Reviewed) && err == nil {
		r.publish()
		return Result{Status: r.status}, nil
	}
	r.status.Finished = r.now()
	switch {
	case err == nil && r.status.Problems > 0:
		r.status.State = Failed
		r.status.Error = fmt.Sprintf("The workbook has %s %s; nothing was saved. Fix the cells listed and upload it again.",
			humanize.Comma(int64(r.status.Problems)), english.PluralWord(r.status.Problems, "problem", "problems"))
	case errors.Is(err, ErrEnded):
		r.status.State = Interrupted
		r.status.Error = ErrorMessage(err)
	case ctx.Err() != nil:
		// Whatever the error says (the database may report the interrupted
		// statement rather than the context), the import was stopped.
		r.status.State = Cancelled
		r.status.Error = "The import was cancelled; nothing was saved."
		err = nil
	default:
		r.status.State = Failed
		r.status.Error = ErrorMessage(err) + " Nothing was saved."
	}
	if r.status.State != Succeeded {
		r.endSteps()
	}
	sortProblems(r.problems)
	r.publish()
	return Result{Status: r.status, Problems: r.problems}, err
}

// endSteps settles the steps of an import that did not succeed: nothing
// was written, so no step claims to have created or updated anything.
func (r *run) endSteps() {
	final := StepCancelled
	if r.status.State == Failed {
		final = StepFailed
	}
	for i := range r.status.Steps {
		s := &r.status.Steps[i]
		s.Created, s.Updated, s.Unchanged, s.Removed, s.Phase = 0, 0, 0, 0, ""
		if s.State.Final() {
			continue
		}
		if s.State == StepRunning || r.status.State == Cancelled {
			s.State = final
		} else {
			// A step the failure kept from starting.
			s.State = StepCancelled
		}
		if s.Finished.IsZero() && !s.Started.IsZero() {
			s.Finished = r.status.Finished
		}
	}
}

// sortProblems puts problems in the order a user fixes them: sheet by
// sheet in step order, then row by row. The checks across rows run after
// a sheet is read, so their problems arrive late.
func sortProblems(ps []Problem) {
	order := map[string]int{}
	for i, sh := range Sheets {
		order[Normalize(sh.Name)] = i
	}
	slices.SortStableFunc(ps, func(a, b Problem) int {
		if c := cmp.Compare(order[Normalize(a.Sheet)], order[Normalize(b.Sheet)]); c != 0 {
			return c
		}
		return cmp.Compare(a.Row, b.Row)
	})
}

// piece is what the reader hands the writer: for each sheet batches of
// its rows, then its end.
type piece struct {
	rows     *batch
	end      bool
	err      error    // at the end: why the sheet could not be read
	findings findings // at the end: what the reader found across the rows
}

// found is a sheet of the workbook matched to a step.
type found struct {
	sheet *Sheet
	name  string
}

// readAhead is how many pieces the reader may run ahead of the writer. It
// reads the next sheet while the writer checks and merges the last one,
// and it bounds the rows held in memory (readAhead × rowsPerBatch).
const readAhead = 32

// readSheets reads the matched sheets in step order on its own goroutine,
// so that reading and writing use both cores.
func readSheets(wb *xlsx.Workbook, sheets []found, out chan<- piece, stop <-chan struct{}) {
	defer close(out)
	send := func(p piece) bool {
		select {
		case out <- p:
			return true
		case <-stop:
			return false
		}
	}
	// The keys of the sheets read so far that a later one refers to, for
	// its references to be looked up in (refFinder). Together they may
	// take half of CheckMemory more than the sheet being read; a sheet's
	// keys past that are left to the database. A million employees' IDs
	// take about 37 MiB with their table.
	known := map[StepKey]*keySet{}
	budget := CheckMemory / 2
	for i, f := range sheets {
		fs, err := readSheet(wb, f.sheet, f.name, known, func(b batch) bool { return send(piece{rows: &b}) })
		if keys := fs.keys; keys != nil && referredToLater(sheets[i:]) && keys.size() <= budget {
			known[f.sheet.Step] = keys
			budget -= keys.size()
		}
		fs.keys = nil // the writer has no use for them
		if !send(piece{end: true, err: err, findings: fs}) || err != nil {
			return
		}
	}
}

// countSheets counts the rows of every sheet (header included; 0 when a
// sheet cannot be counted, which reading then explains) and sends them
// once, so that the page can estimate the whole import from the start.
// It is a quick scan, run beside the reading: done first, it kept the
// writer waiting for a tenth of the import.
func countSheets(wb *xlsx.Workbook, sheets []found, out chan<- []int, stop <-chan struct{}) {
	defer close(out)
	totals := make([]int, len(sheets))
	for i, f := range sheets {
		select {
		case <-stop:
			return
		default:
		}
		total, err := wb.CountRows(f.name)
		if err != nil {
			total = 0
		}
		totals[i] = total
	}
	out <- totals // buffered: never blocks
}

func (r *run) importWorkbook(ctx context.Context, st Storage, path string) error {
	wb, err := xlsx.OpenContext(ctx, path, Limits)
	if err != nil {
		return unreadable(err)
	}
	defer wb.Close()

	matched := r.matchSheets(wb)
	r.uploaded = map[StepKey]bool{}
	for step := range matched {
		r.uploaded[step] = true
	}
	// A step without its sheet is skipped from the start, in the first
	// report: a watcher learns it with the rest, not in an event of its own.
	for _, sh := range Sheets {
		if _, ok := matched[sh.Step]; !ok {
			r.step(sh.Step).State = StepSkipped
		}
	}
	tx, err := st.BeginImport(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()

	var order []found
	for _, sh := range Sheets {
		if name, ok := matched[sh.Step]; ok {
			order = append(order, found{sh, name})
		}
	}
	pieces := make(chan piece, readAhead)
	counts := make(chan []int, 1)
	stop := make(chan struct{})
	go readSheets(wb, order, pieces, stop)
	go countSheets(wb, order, counts, stop)
	defer func() {
		close(stop)
		for range pieces { // let the reader see stop and end
		}
		for range counts { // and the counter
		}
	}()
	// Until every sheet is counted, the import runs without reporting:
	// the first step a user sees running already has its total.
	r.counts, r.order, r.holding = counts, order, true

	for _, sh := range Sheets {
		if err := ctx.Err(); err != nil {
			return err
		}
		name, ok := matched[sh.Step]
		if !ok {
			continue // skipped
		}
		if err := r.importSheet(ctx, tx, sh, name, pieces); err != nil {
			return err
		}
	}
	if err := r.takeCounts(ctx, true); err != nil {
		return err
	}
	if r.status.Problems > 0 {
		r.settleChecked()
		return nil // the deferred rollback undoes everything
	}
	return r.save(ctx, tx)
}

// takeCounts gives the steps their row counts when the counter has sent
// them (or waits for them, with wait), and reports again from then on.
func (r *run) takeCounts(ctx context.Context, wait bool) error {
	if r.counts == nil {
		return nil
	}
	var totals []int
	var ok bool
	if wait {
		select {
		case totals, ok = <-r.counts:
		case <-ctx.Done():
			return ctx.Err()
		}
	} else {
		select {
		case totals, ok = <-r.counts:
		default:
			return nil
		}
	}
	r.counts = nil
	if !ok {
		return ctx.Err() // stopped before counting everything
	}
	for i, f := range r.order {
		s := r.step(f.sheet.Step)
		if s.State == StepPending || s.Phase == PhaseReading {
			s.Total = max(s.Rows, totals[i]-1) // the header row
		}
	}
	r.holding = false
	r.publish()
	return nil
}

// save records what every checked sheet changes, in step order, then
// (unless the import is a review, which stops there) merges them, and
// commits with the import's outcome. Everything before it only read the
// database, so that SQLite's single writer is held for this alone.
func (r *run) save(ctx context.Context, tx Tx) error {
	removing := r.status.RemoveMissing
	for _, sh := range Sheets {
		s := r.step(sh.Step)
		if s.State != StepRunning {
			continue // skipped
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		s.Phase = PhaseSaving
		if r.status.Review {
			s.Phase = PhaseChecking
		}
		r.publish()
		c, err := tx.Record(ctx, sh, r.status.ID, removing, r.status.Review)
		if err != nil {
			return err
		}
		if r.status.Review {
			r.stepDone(s, c)
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if r.status.Review {
		return r.commit(ctx, tx, Reviewed)
	}
	if r.status.Confirms != "" {
		same, err := tx.SameChanges(ctx, r.status.ID, r.status.Confirms)
		if err != nil {
			return err
		}
		if !same {
			return ErrChangedSinceReview
		}
	}
	for _, sh := range Sheets {
		s := r.step(sh.Step)
		if s.State != StepRunning {
			continue
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		c, err := tx.Merge(ctx, sh, removing)
		if err != nil {
			return err
		}
		r.stepDone(s, c)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return r.commit(ctx, tx, Succeeded)
}

// ErrChangedSinceReview fails the import that confirms a review when it
// would not make exactly the reviewed changes.
var ErrChangedSinceReview = &Error{Code: CodeConflict, Message: "The data in Roster changed since this upload was reviewed, so saving it now would not make the changes that were reviewed. Review the workbook again."}

// stepDone ends a step that made (or, in a review, would make) c.
func (r *run) stepDone(s *Step, c Counts) {
	s.Created, s.Updated, s.Removed = c.Created, c.Updated, c.Removed
	s.Unchanged = max(0, s.Rows-c.Created-c.Updated)
	s.State, s.Phase, s.Finished = StepDone, "", r.now()
	r.publish()
}

// committer is what an import's and an undo's transactions share.
type committer interface {
	Commit(ctx context.Context, outcome Status) error
}

// commit ends the run in state (succeeded, or reviewed) and commits it
// with that outcome.
func (r *run) commit(ctx context.Context, tx committer, state State) error {
	r.status.State, r.status.Finished = state, r.now()
	if err := tx.Commit(ctx, r.status); err != nil {
		r.status.State = Running // not saved: Import says how it ended
		return err
	}
	return nil
}

// settleChecked ends, once the import has failed, the steps whose sheets
// had nothing wrong: they are done, and nothing of them was written.
func (r *run) settleChecked() {
	for i := range r.status.Steps {
		s := &r.status.Steps[i]
		if s.State == StepRunning && s.Phase == PhaseChecked {
			s.State, s.Phase, s.Finished = StepDone, "", r.now()
		}
	}
	r.publish()
}

// matchSheets finds the workbook's sheet for each step and warns about the
// sheets it ignores.
func (r *run) matchSheets(wb *xlsx.Workbook) map[StepKey]string {
	found := map[StepKey]string{}
	for _, info := range wb.Sheets() {
		var match *Sheet
		for _, sh := range Sheets {
			if Normalize(sh.Name) == Normalize(info.Name) {
				match = sh
			}
		}
		switch {
		case Normalize(info.Name) == Normalize(ProblemsName), Normalize(info.Name) == Normalize(ReadMeName):
			// Sheets Roster writes itself (the problems workbook's list,
			// the template's instructions): ignored on purpose.
		case info.Hidden:
			r.warn(fmt.Sprintf("Sheet %s is hidden; it was ignored.", Quote(info.Name)))
		case match == nil:
			r.warn(fmt.Sprintf("Sheet %s is not one Roster knows; it was ignored.", Quote(info.Name)))
		case found[match.Step] != "":
			r.warn(fmt.Sprintf("Sheet %s repeats sheet %s; it was ignored.", Quote(info.Name), Quote(found[match.Step])))
		default:
			found[match.Step] = info.Name
		}
	}
	return found
}

// importSheet stages the rows of one sheet as the reader hands them over,
// then checks them across rows. A sheet with nothing wrong stays running
// until save.
func (r *run) importSheet(ctx context.Context, tx Tx, sh *Sheet, name string, pieces <-chan piece) error {
	s := r.step(sh.Step)
	s.State, s.Phase = StepRunning, PhaseReading
	s.Started = r.now()
	r.publish()

	var fs findings
	for p := range pieces {
		if err := r.takeCounts(ctx, false); err != nil {
			return err
		}
		if p.end {
			if p.err != nil {
				return unreadable(namingSheet(p.err, name))
			}
			fs = p.findings
			break
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		b := p.rows
		if err := tx.Stage(ctx, sh, b.rows); err != nil {
			return err
		}
		s.Rows = b.read
		s.Total = max(s.Total, s.Rows)
		r.addProblems(sh.Step, b.problems)
		r.addWarnings(b.warnings, b.warned)
		r.publish()
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	s.Total = s.Rows
	s.Phase = PhaseChecking
	r.publish()

	if err := r.checkSheet(ctx, tx, sh, name, fs); err != nil {
		return err
	}
	if s.Problems > 0 {
		s.State, s.Phase, s.Finished = StepFailed, "", r.now()
	} else {
		s.Phase = PhaseChecked
	}
	r.publish()
	return nil
}

// namingSheet is a reader's error that names the sheet it is about,
// once: most of them already do.
func namingSheet(err error, name string) error {
	if strings.Contains(err.Error(), fmt.Sprintf("%q", name)) {
		return err
	}
	return fmt.Errorf("sheet %q: %w", name, err)
}

// checkSheet runs the rules that look across rows: keys not repeated,
// unique values unique in the workbook and the database, references that
// lead somewhere. The reader has found the repeats within the sheet,
// unless the sheet had too many distinct values for memory: then the
// database finds them. It has also settled the references whose every
// value is a key of the workbook; the database checks the others.
func (r *run) checkSheet(ctx context.Context, tx Tx, sh *Sheet, name string, fs findings) error {
	repeated := fs.repeats
	if repeated == nil || r.keyLookedUp(sh) {
		// Other sheets' references, the unique values' owners and the
		// removal look up the staged rows by key.
		if err := tx.Index(ctx, sh, sh.Key...); err != nil {
			return err
		}
	}
	var problems []Problem
	keyRepeats := func() ([]Repeat, error) { return tx.Repeats(ctx, sh, sh.Key...) }
	uniqueRepeats := func(i int) ([]Repeat, error) {
		if err := tx.Index(ctx, sh, sh.Unique[i]); err != nil {
			return nil, err
		}
		return tx.Repeats(ctx, sh, sh.Unique[i])
	}
	if repeated != nil {
		r.countProblems(sh.Step, repeated.more)
		keyRepeats = func() ([]Repeat, error) { return repeated.key, nil }
		uniqueRepeats = func(i int) ([]Repeat, error) { return repeated.unique[i], nil }
	}
	repeats, err := keyRepeats()
	if err != nil {
		return err
	}
	keyHeader := sh.Column(sh.Key[0]).Header
	keyName := keyName(sh)
	for _, rp := range repeats {
		problems = append(problems, Problem{
			Sheet: name, Row: rp.Row, Column: keyHeader, Value: Cut(rp.Value),
			Message: fmt.Sprintf("%s %s is repeated: row %d already has it.", keyName, Quote(rp.Value), rp.FirstRow),
		})
	}
	for i, field := range sh.Unique {
		col := sh.Column(field)
		repeats, err := uniqueRepeats(i)
		if err != nil {
			return err
		}
		for _, rp := range repeats {
			problems = append(problems, Problem{
				Sheet: name, Row: rp.Row, Column: col.Header, Value: Cut(rp.Value),
				Message: fmt.Sprintf("%s %s is also on row %d; each must be different.", col.Header, Quote(rp.Value), rp.FirstRow),
			})
		}
		if r.removes(sh.Step) {
			// Every saved row the sheet lacks is removed and the others are
			// in it: the repeats above are the only clashes.
			continue
		}
		taken, err := tx.Taken(ctx, sh, field)
		if err != nil {
			return err
		}
		for _, tk := range taken {
			problems = append(problems, Problem{
				Sheet: name, Row: tk.Row, Column: col.Header, Value: Cut(tk.Value),
				Message: fmt.Sprintf("%s %s already belongs to %s %s in Roster.", col.Header, Quote(tk.Value), keyHeader, Quote(tk.Owner)),
			})
		}
	}
	for i, ref := range sh.Refs {
		if i < len(fs.resolved) && fs.resolved[i] {
			continue
		}
		col := sh.Column(ref.Field)
		target := SheetFor(ref.To)
		dangling, err := tx.Dangling(ctx, sh, ref, r.removes(ref.To))
		if err != nil {
			return err
		}
		for _, d := range dangling {
			msg := fmt.Sprintf("%s %s is not in the %s sheet and not yet in Roster; add it there or correct the value.", col.Header, Quote(d.Value), target.Name)
			if d.Removed {
				msg = fmt.Sprintf("%s %s is not in the %s sheet, so this upload removes it from Roster, but this row still refers to it; add it back to the %s sheet or correct the value.", col.Header, Quote(d.Value), target.Name, target.Name)
			}
			problems = append(problems, Problem{Sheet: name, Row: d.Row, Column: col.Header, Value: Cut(d.Value), Message: msg})
		}
	}
	orphans, err := r.checkOrphans(ctx, tx, sh, name)
	if err != nil {
		return err
	}
	r.addProblems(sh.Step, append(problems, orphans...))
	return nil
}

// keyLookedUp reports whether the import's SQL looks up a sheet's staged
// rows by key: when another sheet refers to it, when it has unique values
// (whose owners are checked and moved by key), and when it removes the
// saved rows it lacks. The staged rows of other sheets are only read in
// order, and not indexed: indexing every staged key took 0.8 s of the
// 100,000-employee sample's import, most of it the 700,000 schedules.
func (r *run) keyLookedUp(sh *Sheet) bool {
	if len(sh.Unique) > 0 || r.removes(sh.Step) {
		return true
	}
	for _, other := range Sheets {
		for _, ref := range other.Refs {
			if ref.To == sh.Step {
				return true
			}
		}
	}
	return false
}

// removes reports whether the import removes the saved rows of a step
// that its sheet lacks: only with RemoveMissing, and only for a sheet the
// workbook has.
func (r *run) removes(step StepKey) bool {
	return r.status.RemoveMissing && r.uploaded[step]
}

// checkOrphans finds the keys a removing sheet drops that saved rows of a
// sheet not uploaded (which all stay) still refer to. Such a key cannot be
// removed; the problem is the sheet's, since the key has no row in it.
func (r *run) checkOrphans(ctx context.Context, tx Tx, sh *Sheet, name string) ([]Problem, error) {
	if !r.removes(sh.Step) {
		return nil, nil
	}
	keyHeader := sh.Column(sh.Key[0]).Header
	var problems []Problem
	for _, child := range Sheets {
		if r.uploaded[child.Step] {
			continue // its staged rows were, or will be, checked themselves
		}
		for _, ref := range child.Refs {
			if ref.To != sh.Step {
				continue
			}
			orphans, err := tx.Orphans(ctx, sh, child, ref)
			if err != nil {
				return nil, err
			}
			for _, o := range orphans {
				more := ""
				if o.Count > 1 {
					more = fmt.Sprintf(" (and %s more)", humanize.Comma(int64(o.Count-1)))
				}
				problems = append(problems, Problem{
					Sheet: name, Column: keyHeader, Value: Cut(o.Value),
					Message: fmt.Sprintf("%s %s is not in this sheet, so this upload would remove it from Roster, but %s %s %s%s in Roster still refers to it; keep it in this sheet, or upload the %s sheet too without the rows that refer to it.",
						keyHeader, Quote(o.Value), child.StepName, child.Column(child.Key[0]).Header, Quote(o.Referrer), more, child.Name),
				})
			}
		}
	}
	return problems, nil
}
