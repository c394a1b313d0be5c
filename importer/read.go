package importer

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"roster/importer/xlsx"
)

// rowsPerBatch is how many rows travel together from the reader to the
// database: big enough to amortise a statement, small enough that progress
// moves often.
const rowsPerBatch = 2000

// batch is a run of checked rows of one sheet, ready to stage.
type batch struct {
	rows     [][]any   // Excel row number, then one value per field
	problems []Problem // found in these rows
	warnings []string  // about the sheet's header: the first MaxWarnings
	warned   int       // how many warnings there are about it
	read     int       // data rows read so far in the sheet
}

// ProblemsName names the sheet the problems workbook starts with and the
// column it adds to each sheet; both are ignored when that workbook is
// uploaded again.
const ProblemsName = "Problems"

// ReadMeName names the template's first sheet, which says how to fill the
// workbook in; it is ignored on upload, without a warning.
const ReadMeName = "Read me"

// sheetReader turns the rows of one sheet into values for its table.
type sheetReader struct {
	sheet    *Sheet
	name     string // the sheet's name in the workbook
	date1904 bool
	cols     []int // workbook column of each of the sheet's columns; -1 if absent
	header   []string
	headerAt int      // Excel row number of the header row
	warnings []string // the first MaxWarnings
	warned   int      // every warning, counted
	notes    int      // the problems workbook's Problems column; -1 if none

	dates map[time.Time]string // see dateText

	// The last text found too long, and why: one shared string may fill a
	// million cells, and is measured once.
	long    string
	longErr error
}

// findings is what the reader found across the rows of a whole sheet.
type findings struct {
	repeats  *repeats // the rows that repeat a key or unique value of an earlier row; nil when there were too many distinct values to find them in memory
	resolved []bool   // for each of the sheet's Refs: every value is a key of a sheet read before
	keys     *keySet  // the sheet's keys, for later sheets' references; nil if not kept
}

// readSheet reads every row of a sheet and hands checked batches to send,
// which returns false when the import no longer wants them. Its
// references are looked up in known, the keys of the sheets read before.
func readSheet(wb *xlsx.Workbook, sh *Sheet, name string, known map[StepKey]*keySet, send func(batch) bool) (findings, error) {
	rows, err := wb.Rows(name)
	if err != nil {
		return findings{}, err
	}
	defer rows.Close()
	// The XML is scanned on a goroutine of its own and the rows checked
	// here: with the writer, three stages that keep both cores busy,
	// where scanning and checking one after the other made the writer
	// wait.
	scanned := make(chan scannedRows, 2)
	free := make(chan scannedRows, 3) // runs checked, for the scanner to fill again
	done := make(chan struct{})
	go scanRows(rows, scanned, free, done)
	defer func() {
		close(done)
		for range scanned { // until the scanner has stopped using rows
		}
	}()
	r := &sheetReader{sheet: sh, name: name, date1904: wb.Date1904(), notes: -1}
	finder, refs := newRepeatFinder(sh), newRefFinder(sh, known)
	cur := batch{}
	for sc := range scanned {
		for i := range sc.numbers {
			row := sc.row(i)
			if Blank(row, r.notes) {
				continue
			}
			if r.cols == nil {
				cur.problems = append(cur.problems, r.readHeader(row)...)
				cur.warnings, cur.warned = r.warnings, r.warned
				continue
			}
			cur.read++
			values, problems := r.readRow(row)
			finder.add(values)
			refs.add(values)
			cur.rows = append(cur.rows, values)
			cur.problems = append(cur.problems, problems...)
			if len(cur.rows) >= rowsPerBatch {
				if !send(cur) {
					return findings{}, nil
				}
				cur = batch{read: cur.read}
			}
		}
		select {
		case free <- sc: // nothing here keeps its cells, only their texts
		default:
		}
		// The scanner, this and the writer are three busy goroutines on
		// what may be two cores: a stream woken to send a step's change
		// would wait for the scheduler's 10 ms time slice to end. Each run
		// is a millisecond or two of work.
		runtime.Gosched()
	}
	if err := rows.Err(); err != nil {
		return findings{}, err
	}
	if r.cols == nil {
		cur.problems = append(cur.problems, Problem{Sheet: name, Message: "The sheet has no header row; use the template's headers."})
	}
	for _, m := range rows.Merged() {
		if m.LastRow > r.headerAt && r.headerAt > 0 {
			cur.problems = append(cur.problems, Problem{
				Sheet: name, Row: max(m.FirstRow, r.headerAt+1), Column: r.headerName(m.FirstCol),
				Message: fmt.Sprintf("Cells %s are merged; unmerge them and give each cell its own value.", rangeName(m)),
			})
		}
	}
	send(cur)
	return findings{repeats: finder.result(), resolved: refs.resolved(len(sh.Refs)), keys: finder.keys()}, nil
}

// scannedRows is a run of rows as the scanner read them: the cells of
// each are copied, since the scanner reuses its own for the next row.
type scannedRows struct {
	numbers []int
	ends    []int // where each row's cells end in cells
	cells   []xlsx.Cell
}

func (s scannedRows) row(i int) xlsx.Row {
	start := 0
	if i > 0 {
		start = s.ends[i-1]
	}
	return xlsx.Row{Number: s.numbers[i], Cells: s.cells[start:s.ends[i]:s.ends[i]]}
}

// A run of scanned rows is handed over once it has this many rows, cells
// or bytes of text, whichever comes first: the rows in flight stay few
// even when each is 16,384 cells wide or its cells long.
const (
	scannedRowsMax  = 512
	scannedCellsMax = 8192
	scannedBytesMax = 1 << 20
)

// scanRows reads the sheet's rows into runs and sends them to out until
// the sheet ends or done is closed; Err then says why it ended. It fills
// again the runs it gets back on free, rather than allocate new ones.
func scanRows(rows *xlsx.Rows, out chan<- scannedRows, free <-chan scannedRows, done <-chan struct{}) {
	defer close(out)
	var cur scannedRows
	bytes := 0
	flush := func() bool {
		select {
		case out <- cur:
		case <-done:
			return false
		}
		select {
		case cur = <-free:
			cur.numbers, cur.ends, cur.cells = cur.numbers[:0], cur.ends[:0], cur.cells[:0]
		default:
			cur = scannedRows{}
		}
		bytes = 0
		return true
	}
	for rows.Next() {
		row := rows.Row()
		cur.numbers = append(cur.numbers, row.Number)
		cur.cells = append(cur.cells, row.Cells...)
		cur.ends = append(cur.ends, len(cur.cells))
		for _, c := range row.Cells {
			bytes += len(c.Value)
		}
		if len(cur.numbers) >= scannedRowsMax || len(cur.cells) >= scannedCellsMax || bytes >= scannedBytesMax {
			if !flush() {
				return
			}
			runtime.Gosched() // as the checker does, for the streams
		}
	}
	if len(cur.numbers) > 0 {
		flush()
	}
}

// Blank tells whether a row has nothing in it but spaces, not counting the
// column skip (the Problems column of a problems workbook, whose rows keep
// their notes after the user has emptied them).
func Blank(row xlsx.Row, skip int) bool {
	for _, c := range row.Cells {
		if c.Col == skip {
			continue
		}
		if c.Type != xlsx.TypeBlank && !(c.Type == xlsx.TypeText && strings.TrimSpace(c.Value) == "") {
			return false
		}
	}
	return true
}

// readHeader finds the sheet's columns in its header row.
func (r *sheetReader) readHeader(row xlsx.Row) []Problem {
	r.headerAt = row.Number
	r.cols = make([]int, len(r.sheet.Columns))
	for i := range r.cols {
		r.cols[i] = -1
	}
	var dup []Problem
	for _, c := range row.Cells {
		text, _ := xlsx.Text(c)
		for len(r.header) <= c.Col {
			r.header = append(r.header, "")
		}
		r.header[c.Col] = text
		if strings.TrimSpace(text) == "" {
			continue
		}
		key := HeaderKey(text)
		found := false
		for i, col := range r.sheet.Columns {
			if key == "" || Normalize(col.Header) != key {
				continue
			}
			found = true
			if r.cols[i] < 0 {
				r.cols[i] = c.Col
				continue
			}
			// Which copy holds the data the user means? Roster cannot
			// tell, so it asks rather than silently ignoring one.
			dup = append(dup, Problem{
				Sheet: r.name, Row: row.Number, Column: col.Header, Value: text,
				Message: fmt.Sprintf("The column %q appears twice (columns %s and %s); keep one.",
					col.Header, xlsx.ColumnName(r.cols[i]), xlsx.ColumnName(c.Col)),
			})
		}
		if !found && key == Normalize(ProblemsName) {
			r.notes = c.Col
			continue
		}
		if !found {
			r.warned++
			if len(r.warnings) < MaxWarnings { // the rest are only counted
				r.warnings = append(r.warnings, fmt.Sprintf("Sheet %s: column %s (%s) is not one Roster knows; it was ignored.",
					Quote(r.name), Quote(text), xlsx.ColumnName(c.Col)))
			}
		}
	}
	problems := dup
	for i, col := range r.sheet.Columns {
		if r.cols[i] < 0 && col.Required {
			problems = append(problems, Problem{
				Sheet: r.name, Row: row.Number, Column: col.Header,
				Message: fmt.Sprintf("The required column %q is missing from the header row.", col.Header),
			})
		}
	}
	return problems
}

// maxHeader is the longest header text, spaces around it aside, that is
// compared with the headers Roster knows; those are a few words.
const maxHeader = 1 << 10

// HeaderKey is a header text normalised for matching, or "" for a text
// too long to be a header Roster knows. Compute it once per cell, not once
// per column compared: a row of 16,384 header cells of 64 KiB each would
// otherwise be normalised over and over, gigabytes of copies.
func HeaderKey(text string) string {
	if len(strings.TrimSpace(text)) > maxHeader {
		return ""
	}
	return Normalize(text)
}

func (r *sheetReader) headerName(col int) string {
	if col < len(r.header) && strings.TrimSpace(r.header[col]) != "" {
		return r.header[col]
	}
	return xlsx.ColumnName(col)
}

// readRow checks one data row: every problem of the row is reported, and
// the values that are good are kept, so the row still defines its key.
func (r *sheetReader) readRow(row xlsx.Row) ([]any, []Problem) {
	values := make([]any, len(r.cols)+1)
	values[0] = row.Number
	var problems []Problem
	for i, col := range r.sheet.Columns {
		at := r.cols[i]
		if at < 0 {
			continue
		}
		cell := cellAt(row, at)
		if cell.Type == xlsx.TypeError {
			// The reader's message quotes the error text whole.
			cell.Value = Cut(cell.Value)
		}
		err := r.checkCell(cell)
		var v any
		if err == nil {
			v, err = r.convert(col, cell)
		}
		if err != nil {
			problems = append(problems, Problem{
				Sheet: r.name, Row: row.Number, Column: col.Header,
				Value: shown(cell), Message: err.Error(),
			})
			continue
		}
		if v != nil {
			values[i+1] = v
		}
	}
	for i, col := range r.sheet.Columns {
		if col.Required && values[i+1] == nil && r.cols[i] >= 0 && !hasProblem(problems, col.Header) {
			problems = append(problems, Problem{
				Sheet: r.name, Row: row.Number, Column: col.Header,
				Message: fmt.Sprintf("%s is required.", col.Header),
			})
		}
	}
	return values, problems
}

func hasProblem(problems []Problem, column string) bool {
	for _, p := range problems {
		if p.Column == column {
			return true
		}
	}
	return false
}

// cellAt returns the cell in a column of a sparse row, blank if absent.
func cellAt(row xlsx.Row, col int) xlsx.Cell {
	for _, c := range row.Cells {
		if c.Col == col {
			return c
		}
		if c.Col > col {
			break
		}
	}
	return xlsx.Cell{Col: col, Type: xlsx.TypeBlank}
}

// shown is a cell's value as the problem reports it.
func shown(c xlsx.Cell) string { return Cut(c.Value) }

// checkCell finds what Roster cannot keep of a cell, whatever its column
// wants: more than a cell can hold, or a control character in its text.
// Trimming is the one change Roster makes to a text, so a control
// character that trimming removes is no problem.
func (r *sheetReader) checkCell(c xlsx.Cell) error {
	if len(c.Value) > MaxCellChars {
		if c.Value != r.long { // the same string compares at once
			r.long, r.longErr = c.Value, checkLength(c.Value)
		}
		if r.longErr != nil {
			return r.longErr
		}
	}
	if c.Type == xlsx.TypeText {
		return checkControl(strings.TrimSpace(c.Value))
	}
	return nil
}

// convert turns a cell into the value stored for a column: nil for an
// empty cell, or an error that says what was expected.
func (r *sheetReader) convert(col Column, c xlsx.Cell) (any, error) {
	if c.Type == xlsx.TypeBlank || (c.Type == xlsx.TypeText && strings.TrimSpace(c.Value) == "") {
		return nil, nil
	}
	switch col.Kind {
	case KindDate:
		d, err := xlsx.Date(c, r.date1904)
		if err != nil {
			return nil, err
		}
		return r.dateText(d), nil
	case KindTime:
		h, m, err := xlsx.Time(c)
		if err != nil {
			return nil, err
		}
		return clockTexts[h*60+m], nil
	}
	text, err := xlsx.Text(c)
	if err != nil {
		return nil, err
	}
	if text == "" {
		return nil, nil
	}
	switch col.Kind {
	case KindEmail:
		return checkEmail(text)
	case KindWhole:
		n, err := strconv.Atoi(text)
		if err != nil || n < col.Min || n > col.Max {
			return nil, fmt.Errorf("Expected a whole number of %s from %d to %d, found %s.",
				strings.ToLower(col.Header), col.Min, col.Max, Quote(text))
		}
		return n, nil
	}
	return text, nil
}

// clockTexts is every time of day as stored, "00:00" to "23:59": made
// once, not once per cell (a million schedules have two times each).
var clockTexts = func() []string {
	t := make([]string, 24*60)
	for m := range t {
		t[m] = fmt.Sprintf("%02d:%02d", m/60, m%60)
	}
	return t
}()

// maxDateTexts bounds a sheet's cache of date texts: a sheet of all
// different dates is formatted as it goes.
const maxDateTexts = 10_000

// dateText is a date as stored. A sheet repeats its dates (700,000
// schedules have a few hundred), and formatting each again took a tenth
// of the reading, so the texts are kept.
func (r *sheetReader) dateText(d time.Time) string {
	if s, ok := r.dates[d]; ok {
		return s
	}
	s := d.Format("2006-01-02")
	if len(r.dates) < maxDateTexts {
		if r.dates == nil {
			r.dates = map[time.Time]string{}
		}
		r.dates[d] = s
	}
	return s
}

var errEmail = errors.New("Expected an email address like name@example.com")

// checkEmail accepts one @ with a non-empty local part and a dot in the
// domain, and returns the address in lower case.
func checkEmail(s string) (string, error) {
	local, domain, ok := strings.Cut(s, "@")
	if !ok || local == "" || strings.Contains(domain, "@") ||
		!strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") ||
		strings.ContainsAny(s, " \t\r\n<>,;") {
		return "", fmt.Errorf("%w, found %s.", errEmail, Quote(s))
	}
	if _, err := mail.ParseAddress(s); err != nil {
		return "", fmt.Errorf("%w, found %s.", errEmail, Quote(s))
	}
	return strings.ToLower(s), nil
}

func rangeName(m xlsx.Range) string {
	return fmt.Sprintf("%s%d:%s%d", xlsx.ColumnName(m.FirstCol), m.FirstRow, xlsx.ColumnName(m.LastCol), m.LastRow)
}

// Check tells whether the file at path can be opened as a workbook at all,
// so that an upload that cannot be is refused before it is queued.
func Check(ctx context.Context, path string) error {
	info, err := os.Stat(path)
	if err != nil {
		return err
	}
	if info.Size() == 0 {
		return &Error{Code: CodeInvalid, Message: "The file is empty. Choose the workbook again."}
	}
	wb, err := xlsx.OpenContext(ctx, path, Limits)
	if err != nil {
		return unreadable(err)
	}
	return wb.Close()
}
