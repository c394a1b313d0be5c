package workbooks

import (
	"archive/zip"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"roster/importer"
	"roster/importer/store"
	"roster/importer/xlsx"
)

// The workbooks Roster writes: the template users start from, the export
// of the current data, the problems of a failed import beside the sheets as
// they were uploaded, and samples (sample.go). All of them stream their
// rows (excelize's StreamWriter keeps them in a temporary file, not in
// memory) and zip the package straight into the destination, so memory
// does not grow with the data.

// maxSheetRows is Excel's last row: a sheet holds a header and at most
// maxSheetRows-1 data rows.
const maxSheetRows = 1 << 20

// maxSheetCols is Excel's last column, counted from 1.
const maxSheetCols = 1 << 14

// ErrTooManyRows is returned when a table has more rows than one Excel
// sheet can hold; nothing has been written to the destination then.
var ErrTooManyRows = errors.New("more rows than an Excel sheet can hold (1,048,575 below the header)")

// problemsSheet is the name of the first sheet of the problems workbook,
// and of the column it adds to each sheet; the reader ignores both.
const problemsSheet = importer.ProblemsName

// WriteTemplate writes the empty workbook users start from: the seven
// sheets of the contract in step order, each with its header row only.
// Required headers end in " *"; every header has a note saying what the
// column takes; the header row is frozen; codes, IDs and text columns are
// formatted as Text (so "007" stays "007" when typed), date columns as
// yyyy-mm-dd and time columns as hh:mm.
//
// A first sheet, Read me, says how to fill it in, with an example row of
// each sheet; the reader ignores it.
func WriteTemplate(w io.Writer) error {
	b := newBook()
	defer b.close()
	if err := b.readMe(); err != nil {
		return err
	}
	for _, sh := range importer.Sheets {
		sw, err := b.contractSheet(sh)
		if err != nil {
			return err
		}
		if err := sw.Flush(); err != nil {
			return fmt.Errorf("sheet %q: %w", sh.Name, err)
		}
	}
	return b.writeTo(w)
}

// readMe writes the template's Read me sheet: a few lines on filling the
// workbook in, then each sheet's header row with an example row under
// it, from the sheets' own description.
func (b *book) readMe() error {
	sw, err := b.newSheet(importer.ReadMeName, 0)
	if err != nil {
		return err
	}
	ids, err := b.roles(roleTitle, roleHeader)
	if err != nil {
		return err
	}
	bold, hs := ids[0], ids[1]
	widest := 0
	for _, sh := range importer.Sheets {
		widest = max(widest, len(sh.Columns))
	}
	for i := range widest {
		if err := sw.SetColWidth(i+1, i+1, 22); err != nil {
			return err
		}
	}
	row := 0
	put := func(cells ...any) error {
		row++
		return sw.SetRow("A"+strconv.Itoa(row), cells)
	}
	if err := put(excelize.Cell{StyleID: bold, Value: "How to fill in this workbook"}); err != nil {
		return err
	}
	for _, line := range readMeLines() {
		if err := put(line); err != nil {
			return err
		}
	}
	row++
	if err := put(excelize.Cell{StyleID: bold, Value: "An example row for each sheet"}); err != nil {
		return err
	}
	for _, sh := range importer.Sheets {
		head, example := make([]any, len(sh.Columns)), make([]any, len(sh.Columns))
		var hints []string
		for i, col := range sh.Columns {
			head[i] = excelize.Cell{StyleID: hs, Value: headerTitle(col)}
			example[i] = col.Example
			if col.Hint != "" {
				hints = append(hints, col.Header+": "+col.Hint)
			}
		}
		row++
		if err := put(excelize.Cell{StyleID: bold, Value: sh.Name}); err != nil {
			return err
		}
		if err := put(head...); err != nil {
			return err
		}
		if err := put(example...); err != nil {
			return err
		}
		for _, h := range hints {
			if err := put(h); err != nil {
				return err
			}
		}
	}
	return sw.Flush()
}

// readMeLines say how the workbook is filled in, with the sheets' own
// names and example values.
func readMeLines() []string {
	var names []string
	examples := map[importer.Kind]string{}
	for _, sh := range importer.Sheets {
		names = append(names, sh.Name)
		for _, col := range sh.Columns {
			if examples[col.Kind] == "" {
				examples[col.Kind] = col.Example
			}
		}
	}
	return []string{
		"Each sheet after this one fills one part of Roster, in this order: " + strings.Join(names, ", ") + ". A sheet you leave out is skipped.",
		"Keep each sheet's header row, and put one row below it for each thing to import. Columns marked * are required; the others may be left empty. The note on each header says what its column takes.",
		"Dates are a date cell or text like " + examples[importer.KindDate] + " (year-month-day). Times are a time cell or text like " + examples[importer.KindTime] +
			" (24-hour clock). Codes and IDs are kept exactly as typed, leading zeros too.",
		"A code or ID that a row refers to must be in its own sheet or already in Roster. A row Roster already has (the same code or ID; the notes on the headers say which columns identify a row) is updated.",
		"All or nothing: if any cell is wrong, nothing is saved, and Roster lists every problem so that you can fix them all and upload the workbook again.",
		"Roster ignores this sheet when you upload the workbook.",
	}
}

// headerTitle is a column's header as the template writes it: required
// ones marked with a star.
func headerTitle(col importer.Column) string {
	if col.Required {
		return col.Header + " *"
	}
	return col.Header
}

// WriteExport writes all current data in the template's format (same
// sheets, headers, notes and formats), each sheet ordered by its key.
// Codes, IDs and text are text cells, dates are date cells, times are time
// cells and seats numbers, so that uploading the export unchanged leaves
// every step unchanged. A table too big for one sheet makes it fail with
// ErrTooManyRows before anything is written to w.
func WriteExport(ctx context.Context, st *store.Store, w io.Writer) error {
	return st.Snapshot(ctx, func(sn *store.Snapshot) error { return writeExport(ctx, sn, w) })
}

func writeExport(ctx context.Context, sn *store.Snapshot, w io.Writer) error {
	b := newBook()
	defer b.close()
	for _, sh := range importer.Sheets {
		sw, err := b.contractSheet(sh)
		if err != nil {
			return err
		}
		row := 1
		cells := make([]any, len(sh.Columns))
		err = sn.Each(ctx, sh, func(values []string) error {
			row++
			if row > maxSheetRows {
				return fmt.Errorf("sheet %q: %w", sh.Name, ErrTooManyRows)
			}
			for i, col := range sh.Columns {
				cells[i] = exportCell(col.Kind, values[i])
			}
			if err := sw.SetRow("A"+strconv.Itoa(row), cells); err != nil {
				return fmt.Errorf("sheet %q row %d: %w", sh.Name, row, err)
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("export %s: %w", sh.Table, err)
		}
		if err := sw.Flush(); err != nil {
			return fmt.Errorf("sheet %q: %w", sh.Name, err)
		}
	}
	return b.writeTo(w)
}

// exportCell is the cell that holds a stored value so that the reader
// gives the same value back. The column's style gives it its format.
func exportCell(kind importer.Kind, v string) any {
	if v == "" {
		return nil
	}
	switch kind {
	case importer.KindDate:
		if t, err := time.Parse("2006-01-02", v); err == nil {
			if serial, ok := dateSerial(t); ok {
				return serial
			}
		}
	case importer.KindTime:
		if t, err := time.Parse("15:04", v); err == nil {
			return timeSerial(t.Hour()*60 + t.Minute())
		}
	case importer.KindWhole:
		if n, err := strconv.Atoi(v); err == nil {
			return n
		}
	}
	return v // text, or a value kept as text because it is no date or time Excel can show
}

var (
	excelEpoch   = time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)
	firstSerial  = time.Date(1900, 3, 1, 0, 0, 0, 0, time.UTC) // before it, Excel's 1900 leap-year bug shifts dates
	lastCalendar = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)
)

// dateSerial is a date as an Excel serial day number (1900 date system),
// or false for a date Excel cannot show as a serial.
func dateSerial(t time.Time) (int, bool) {
	t = time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	if t.Before(firstSerial) || t.After(lastCalendar) {
		return 0, false
	}
	return int(t.Sub(excelEpoch).Hours() / 24), true
}

// timeSerial is a time of day, in minutes after midnight, as the fraction
// of a day Excel stores.
func timeSerial(minutes int) any {
	return excelNumber(float64(minutes) / (24 * 60))
}

// excelNumber prepares a number for excelize, which writes floats with at
// most 15 significant digits by cutting off the rest: whole numbers go as
// integers (exact), others are first rounded to 15 digits, Excel's own
// precision, so that nothing is cut (22:00 stays 0.916666666666667, not
// 0.916666666666666).
func excelNumber(f float64) any {
	if f == math.Trunc(f) && math.Abs(f) < 1e15 {
		return int64(f)
	}
	if g, err := strconv.ParseFloat(strconv.FormatFloat(f, 'g', 15, 64), 64); err == nil {
		return g
	}
	return f
}

// WriteProblems writes the problems workbook of a failed import: first a
// sheet Problems with columns Sheet, Row, Column, Value, Message, one row a
// problem; then every sheet of the upload that is not hidden, as it was
// uploaded, re-read from uploadPath a row at a time. Cells keep their rows
// and columns, and their values as the reader sees them (formulas replaced
// by their saved results; numbers stay numbers with their date, time,
// padded or text format), so the same cells re-import the same way. Bad
// cells are highlighted, and each row's problems are in an added last
// column headed Problems (problems of a whole sheet, and of a header row,
// are on the Problems sheet only). Every text, even one starting with "=",
// is written as text, never as a formula. The reader ignores the Problems
// sheet and column, so the user can fix the cells and upload this file.
//
// problems are those of one import, sorted by sheet and row as Import
// returns them; they are looked up sheet by sheet and row by row while the
// upload is streamed.
func WriteProblems(w io.Writer, uploadPath string, problems []importer.Problem) error {
	wb, err := xlsx.Open(uploadPath, importer.Limits)
	if err != nil {
		return fmt.Errorf("open upload: %w", err)
	}
	defer wb.Close()

	b := newBook()
	defer b.close()
	if wb.Date1904() {
		// Keep the upload's serial numbers meaning the same dates.
		yes := true
		if err := b.f.SetWorkbookProps(&excelize.WorkbookPropsOptions{Date1904: &yes}); err != nil {
			return err
		}
	}
	// A first pass over every sheet finds its header and width, so that
	// each problem can link to its cell before the sheets are copied.
	var copies []*copied
	used := map[string]bool{strings.ToLower(problemsSheet): true}
	for _, info := range wb.Sheets() {
		if info.Hidden || importer.Normalize(info.Name) == importer.Normalize(problemsSheet) {
			continue // ignored on upload, so left out here too
		}
		u, err := scanSheet(wb, info.Name)
		if err != nil {
			return fmt.Errorf("sheet %q: %w", info.Name, err)
		}
		copies = append(copies, &copied{name: info.Name, outName: sheetName(info.Name, used), sheet: u})
	}
	if err := b.problemsList(problems, copies); err != nil {
		return err
	}
	bySheet := map[string][]importer.Problem{}
	for _, p := range problems {
		bySheet[p.Sheet] = append(bySheet[p.Sheet], p)
	}
	for _, c := range copies {
		// Problems name their sheet as the importer keeps it: cut, with
		// its control characters made visible.
		ps := bySheet[importer.Cut(c.name)]
		slices.SortStableFunc(ps, func(a, b importer.Problem) int { return a.Row - b.Row })
		if err := b.copySheet(wb, c, ps); err != nil {
			return fmt.Errorf("sheet %q: %w", c.name, err)
		}
	}
	return b.writeTo(w)
}

// maxSheetName is the longest sheet name a HYPERLINK formula shows:
// Excel's own names have at most 31 characters, and a formula's text at
// most 255.
const maxSheetName = 31

// linkFormula is a HYPERLINK formula that goes to location and shows text.
func linkFormula(location, text string) string {
	quote := func(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
	return "HYPERLINK(" + quote("#"+location) + "," + quote(text) + ")"
}

// copied is an uploaded sheet as the problems workbook copies it.
type copied struct {
	name    string // in the upload
	outName string // in the problems workbook
	sheet   *uploadedSheet
}

// cellOf is where a problem is in the copy of its sheet, as a hyperlink's
// location ('Employees'!C10537), or "" when its sheet is not copied. A
// problem of a whole row is at its first cell, one of a whole sheet at
// the header row's.
func cellOf(p importer.Problem, copies []*copied) string {
	for _, c := range copies {
		if importer.Cut(c.name) != p.Sheet {
			continue
		}
		row := p.Row
		if row <= 0 {
			row = max(c.sheet.headerRow, 1)
		}
		col := max(c.sheet.column(p.Column), 0)
		return "'" + strings.ReplaceAll(c.outName, "'", "''") + "'!" + xlsx.ColumnName(col) + strconv.Itoa(row)
	}
	return ""
}

// maxLinks is how many problems link to their cell with a hyperlink of
// the sheet; the rest link with a HYPERLINK formula. excelize checks each
// new hyperlink against every earlier one: 10,000 take a third of a
// second, 65,000 (Excel's most per sheet) twenty seconds.
const maxLinks = 10_000

// problemsList writes the Problems sheet. The Sheet cell of each problem
// links to the problem's cell in the copied sheet.
func (b *book) problemsList(problems []importer.Problem, copies []*copied) error {
	sw, err := b.newSheet(problemsSheet, 1)
	if err != nil {
		return err
	}
	headers := []string{"Sheet", "Row", "Column", "Value", "Message"}
	widths := []float64{18, 8, 20, 30, 90}
	for i, wd := range widths {
		if err := sw.SetColWidth(i+1, i+1, wd); err != nil {
			return err
		}
	}
	if err := freezeHeader(sw, 1); err != nil {
		return err
	}
	ids, err := b.roles(roleHeader, roleLink, roleWrapped)
	if err != nil {
		return err
	}
	hs, link, wrap := ids[0], ids[1], ids[2]
	head := make([]any, len(headers))
	for i, h := range headers {
		head[i] = excelize.Cell{StyleID: hs, Value: h}
	}
	if err := sw.SetRow("A1", head); err != nil {
		return err
	}
	cells := make([]any, len(headers))
	links := 0
	for i, p := range problems {
		clear(cells)
		cells[0], cells[2] = p.Sheet, p.Column
		cells[4] = excelize.Cell{StyleID: wrap, Value: p.Message}
		if p.Row > 0 {
			cells[1] = p.Row
		}
		if p.Value != "" {
			cells[3] = excelize.Cell{StyleID: wrap, Value: p.Value}
		}
		at := cellOf(p, copies)
		ref := "A" + strconv.Itoa(i+2)
		if at != "" && links < maxLinks {
			cells[0] = excelize.Cell{StyleID: link, Value: p.Sheet}
		} else if at != "" && utf8.RuneCountInString(p.Sheet) <= maxSheetName {
			cells[0] = excelize.Cell{StyleID: link, Value: p.Sheet, Formula: linkFormula(at, p.Sheet)}
		}
		if err := sw.SetRow(ref, cells); err != nil {
			return fmt.Errorf("problems sheet: %w", err)
		}
		if at != "" && links < maxLinks {
			tip := "Go to the cell"
			if err := b.f.SetCellHyperLink(problemsSheet, ref, at, "Location", excelize.HyperlinkOpts{Tooltip: &tip}); err != nil {
				return fmt.Errorf("problems sheet: link %s: %w", ref, err)
			}
			links++
		}
	}
	return sw.Flush()
}

// uploadedSheet is what the first pass over an uploaded sheet learns.
type uploadedSheet struct {
	headerRow int            // the first non-blank row; 0 when there is none
	header    map[int]string // its texts by column
	skip      map[int]bool   // columns headed Problems (of an earlier problems workbook)
	byName    map[string]int // the first column of each normalised header
	lastCol   int            // the last column with a value, besides skipped ones; -1 if none
}

// column finds the column a problem names: by header, as the reader
// matches them, or by letter for a column without a header.
func (u *uploadedSheet) column(name string) int {
	if name == "" {
		return -1
	}
	if col, ok := u.byName[importer.Normalize(name)]; ok {
		return col
	}
	if n, err := excelize.ColumnNameToNumber(name); err == nil && strings.TrimSpace(u.header[n-1]) == "" {
		return n - 1
	}
	return -1
}

// scanSheet is the first pass: where the header is and how wide the sheet
// is, so the Problems column can go after the last column.
func scanSheet(wb *xlsx.Workbook, name string) (*uploadedSheet, error) {
	rows, err := wb.Rows(name)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	u := &uploadedSheet{header: map[int]string{}, skip: map[int]bool{}, byName: map[string]int{}, lastCol: -1}
	for rows.Next() {
		row := rows.Row()
		if u.headerRow == 0 && !importer.Blank(row, -1) {
			u.headerRow = row.Number
			for _, c := range row.Cells {
				text, _ := xlsx.Text(c)
				u.header[c.Col] = text
				switch {
				case importer.HeaderKey(text) == importer.Normalize(problemsSheet):
					u.skip[c.Col] = true
				case strings.TrimSpace(text) != "":
					// Problems name a column the importer knows by its
					// header, and one it does not know by its header as
					// the importer keeps it: cut.
					for _, n := range []string{importer.HeaderKey(text), importer.Normalize(importer.Cut(text))} {
						if _, dup := u.byName[n]; !dup && n != "" {
							u.byName[n] = c.Col
						}
					}
				}
			}
		}
		for i := len(row.Cells) - 1; i >= 0; i-- {
			if c := row.Cells[i]; !u.skip[c.Col] {
				u.lastCol = max(u.lastCol, c.Col)
				break
			}
		}
	}
	return u, rows.Err()
}

// copySheet is the second pass: the sheet as uploaded, bad cells
// highlighted, each row's problems in the Problems column.
func (b *book) copySheet(wb *xlsx.Workbook, c *copied, problems []importer.Problem) error {
	name, u := c.name, c.sheet
	sw, err := b.newSheet(c.outName, u.headerRow)
	if err != nil {
		return err
	}
	pcol := u.lastCol + 1 // the Problems column; none when the sheet is full to the last column
	if pcol >= maxSheetCols {
		pcol = -1
	}
	if err := b.sheetLayout(sw, name, u, pcol); err != nil {
		return err
	}

	rows, err := wb.Rows(name)
	if err != nil {
		return err
	}
	defer rows.Close()
	var (
		cells []any
		bad   = map[int]bool{}
		msgs  []string
		next  int // the first problem not yet passed
	)
	for rows.Next() {
		row := rows.Row()
		clear(bad)
		msgs = msgs[:0]
		isBlank := importer.Blank(row, -1)
		for ; next < len(problems) && problems[next].Row <= row.Number; next++ {
			p := problems[next]
			if p.Row < row.Number || p.Row <= u.headerRow || isBlank {
				// A row the upload does not have, the header, or a blank
				// row (a merged range): on the Problems sheet only, so no
				// row is made that the reader would take for data.
				continue
			}
			if col := u.column(p.Column); col >= 0 {
				bad[col] = true
			}
			if p.Column != "" {
				msgs = append(msgs, p.Column+": "+p.Message)
			} else {
				msgs = append(msgs, p.Message)
			}
		}

		first, last := -1, -1
		for _, c := range row.Cells {
			if !u.skip[c.Col] {
				first, last = minCol(first, c.Col), c.Col
			}
		}
		for col := range bad {
			first, last = minCol(first, col), max(last, col)
		}
		extra := ""
		if pcol >= 0 && row.Number == u.headerRow {
			extra = problemsSheet
		} else if pcol >= 0 && len(msgs) > 0 {
			extra = strings.Join(msgs, "\n") // each a sentence, one a line
		}
		if extra != "" {
			first, last = minCol(first, pcol), pcol
		}
		if first < 0 {
			continue
		}

		cells = slices.Grow(cells[:0], last-first+1)[:last-first+1]
		clear(cells)
		for _, c := range row.Cells {
			if u.skip[c.Col] {
				continue
			}
			v, err := b.copyCell(c, bad[c.Col])
			if err != nil {
				return err
			}
			cells[c.Col-first] = v
		}
		for col := range bad {
			if cells[col-first] == nil { // a required value left empty
				v, err := b.copyCell(xlsx.Cell{Col: col, Type: xlsx.TypeBlank}, true)
				if err != nil {
					return err
				}
				cells[col-first] = v
			}
		}
		if extra != "" {
			role := roleNote
			if row.Number == u.headerRow {
				role = roleHeader
			}
			s, err := b.style(cellStyle{role: role})
			if err != nil {
				return err
			}
			cells[pcol-first] = excelize.Cell{StyleID: s, Value: extra}
		}
		if err := sw.SetRow(xlsx.ColumnName(first)+strconv.Itoa(row.Number), cells); err != nil {
			return fmt.Errorf("row %d: %w", row.Number, err)
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	return sw.Flush()
}

func minCol(a, b int) int {
	if a < 0 {
		return b
	}
	return min(a, b)
}

// sheetLayout sets an uploaded sheet's widths (those of the template for
// the columns Roster knows) and freezes its header row.
func (b *book) sheetLayout(sw *excelize.StreamWriter, name string, u *uploadedSheet, pcol int) error {
	var known *importer.Sheet
	for _, sh := range importer.Sheets {
		if importer.Normalize(sh.Name) == importer.Normalize(name) {
			known = sh
		}
	}
	if known != nil {
		for col, h := range u.header {
			key := importer.HeaderKey(h)
			for _, c := range known.Columns {
				if key != "" && importer.Normalize(c.Header) == key && !u.skip[col] {
					if err := sw.SetColWidth(col+1, col+1, columnWidth(c)); err != nil {
						return err
					}
					break
				}
			}
		}
	}
	if pcol >= 0 {
		if err := sw.SetColWidth(pcol+1, pcol+1, 80); err != nil {
			return err
		}
	}
	if u.headerRow > 0 && u.headerRow < maxSheetRows {
		return freezeHeader(sw, u.headerRow)
	}
	return nil
}

// excelErrors are the error values a cell can show in Excel.
var excelErrors = map[string]bool{
	"#NULL!": true, "#DIV/0!": true, "#VALUE!": true, "#REF!": true, "#NAME?": true,
	"#NUM!": true, "#N/A": true, "#GETTING_DATA": true, "#SPILL!": true, "#CALC!": true,
	"#FIELD!": true, "#BLOCKED!": true, "#CONNECT!": true, "#UNKNOWN!": true, "#BUSY!": true,
}

// copyCell is an uploaded cell as the problems workbook holds it.
func (b *book) copyCell(c xlsx.Cell, isBad bool) (any, error) {
	role := rolePlain
	if isBad {
		role = roleBad
	}
	var v any
	switch c.Type {
	case xlsx.TypeText:
		v = c.Value
	case xlsx.TypeError:
		// An error (#N/A) stays an error: as a formula that yields it
		// (=#N/A), so a cell the user leaves unfixed is a problem again on
		// the next upload instead of the text "#N/A" slipping in as a value.
		// Only Excel's own error literals become formulas; anything else a
		// file claims to be an error is written as text.
		if !excelErrors[c.Value] {
			v = c.Value
			break
		}
		s, err := b.style(cellStyle{format: c.Format, role: role})
		if err != nil {
			return nil, err
		}
		return excelize.Cell{StyleID: s, Formula: c.Value}, nil
	case xlsx.TypeNumber:
		if f, err := strconv.ParseFloat(strings.TrimSpace(c.Value), 64); err == nil && !math.IsNaN(f) && !math.IsInf(f, 0) {
			v = excelNumber(f)
		} else {
			v = c.Value
		}
	case xlsx.TypeBool:
		v = strings.EqualFold(c.Value, "TRUE") || c.Value == "1"
	case xlsx.TypeNoValue, xlsx.TypeBlank:
		// A formula without a saved result has nothing to show.
	}
	s, err := b.style(cellStyle{format: c.Format, role: role})
	if err != nil {
		return nil, err
	}
	if v == nil && s == 0 {
		return nil, nil
	}
	return excelize.Cell{StyleID: s, Value: v}, nil
}

// sheetName is an uploaded sheet's name made one excelize accepts and not
// yet used. Excel's own names pass unchanged.
func sheetName(name string, used map[string]bool) string {
	clean := strings.Map(func(r rune) rune {
		if strings.ContainsRune(`:\/?*[]`, r) {
			return '_'
		}
		return r
	}, name)
	clean = strings.Trim(clean, "'")
	if strings.TrimSpace(clean) == "" {
		clean = "Sheet"
	}
	clean = truncateUTF16(clean, 31)
	out := clean
	for n := 2; used[strings.ToLower(out)]; n++ {
		suffix := " (" + strconv.Itoa(n) + ")"
		out = truncateUTF16(clean, 31-len(suffix)) + suffix
	}
	used[strings.ToLower(out)] = true
	return out
}

func truncateUTF16(s string, n int) string {
	units := 0
	for i, r := range s {
		units += len(utf16.Encode([]rune{r}))
		if units > n {
			return s[:i]
		}
	}
	return s
}

// ---- the workbook being written ----

// book is a workbook being written with excelize.
type book struct {
	f      *excelize.File
	styles map[cellStyle]int
	sheets int
}

// role is what a cell is for, besides its number format.
type role uint8

const (
	rolePlain   role = iota
	roleHeader       // a header cell: bold on a light fill
	roleBad          // a cell with a problem
	roleNote         // a problem message in the Problems column
	roleLink         // a hyperlink
	roleWrapped      // a long text, wrapped to its column's width
	roleTitle        // a title: bold
)

// cellStyle is the look of a written cell; each one becomes one excelize
// style, made once.
type cellStyle struct {
	format xlsx.Format
	role   role
}

// Colours: dark text on light fills, well above WCAG's 4.5:1 contrast; a
// bad cell also has a dark red border, so it stands out without colour
// vision too.
const (
	headerFill = "DDEBF7"
	badFill    = "FFC7CE"
	badInk     = "9C0006"
	linkInk    = "0563C1" // Excel's own hyperlink blue
)

func newBook() *book {
	return &book{f: excelize.NewFile(), styles: map[cellStyle]int{}}
}

// close removes the temporary files of the streamed sheets.
func (b *book) close() { b.f.Close() }

// newSheet adds a sheet (the first one takes the place of excelize's
// "Sheet1"), set up to print, and opens its stream. headerRow is the
// sheet's header row, 0 when it has none.
func (b *book) newSheet(name string, headerRow int) (*excelize.StreamWriter, error) {
	var err error
	if b.sheets == 0 {
		err = b.f.SetSheetName(b.f.GetSheetName(0), name)
	} else {
		_, err = b.f.NewSheet(name)
	}
	if err != nil {
		return nil, fmt.Errorf("add sheet %q: %w", name, err)
	}
	b.sheets++
	if err := b.printSetup(name, headerRow); err != nil {
		return nil, fmt.Errorf("sheet %q: print setup: %w", name, err)
	}
	sw, err := b.f.NewStreamWriter(name)
	if err != nil {
		return nil, fmt.Errorf("sheet %q: %w", name, err)
	}
	return sw, nil
}

// printSetup makes a sheet print as people expect a list to: landscape,
// as wide as one page and as many pages long as it takes, the header row
// repeated at the top of every page. It must come before the sheet's
// stream is opened, which writes the fit-to-page property first.
func (b *book) printSetup(name string, headerRow int) error {
	if err := b.f.SetSheetProps(name, &excelize.SheetPropsOptions{FitToPage: ptr(true)}); err != nil {
		return err
	}
	err := b.f.SetPageLayout(name, &excelize.PageLayoutOptions{
		Orientation: ptr("landscape"), FitToWidth: ptr(1), FitToHeight: ptr(0),
	})
	if err != nil || headerRow <= 0 {
		return err
	}
	row := "$" + strconv.Itoa(headerRow)
	return b.f.SetDefinedName(&excelize.DefinedName{
		Name: "_xlnm.Print_Titles", Scope: name,
		RefersTo: "'" + strings.ReplaceAll(name, "'", "''") + "'!" + row + ":" + row,
	})
}

// contractSheet adds one of the contract's sheets laid out as the template
// lays it out, and writes its header row; data rows follow from row 2.
func (b *book) contractSheet(sh *importer.Sheet) (*excelize.StreamWriter, error) {
	sw, err := b.newSheet(sh.Name, 1)
	if err != nil {
		return nil, err
	}
	hs, err := b.style(cellStyle{role: roleHeader})
	if err != nil {
		return nil, err
	}
	head := make([]any, len(sh.Columns))
	for i, col := range sh.Columns {
		n := i + 1
		if err := sw.SetColWidth(n, n, columnWidth(col)); err != nil {
			return nil, err
		}
		// The whole column has the format, so what users type in new
		// rows is kept as they typed it.
		if s, err := b.style(cellStyle{format: kindFormat(col.Kind)}); err != nil {
			return nil, err
		} else if s != 0 {
			if err := sw.SetColStyle(n, n, s); err != nil {
				return nil, err
			}
		}
		head[i] = excelize.Cell{StyleID: hs, Value: headerTitle(col)}
		if col.Kind == importer.KindWhole {
			if err := b.wholeNumbers(sh.Name, i, col.Min, col.Max); err != nil {
				return nil, err
			}
		}
		err := b.f.AddComment(sh.Name, excelize.Comment{
			Cell: xlsx.ColumnName(i) + "1", Author: "Roster", Text: columnNote(sh, col),
			Width: 300, Height: 110,
		})
		if err != nil {
			return nil, fmt.Errorf("sheet %q: note on %q: %w", sh.Name, col.Header, err)
		}
	}
	if err := freezeHeader(sw, 1); err != nil {
		return nil, err
	}
	if err := sw.SetRow("A1", head, excelize.RowOpts{Height: 20}); err != nil {
		return nil, err
	}
	return sw, nil
}

// wholeNumbers makes Excel refuse anything but a whole number from lo to
// hi typed in a column below the header.
func (b *book) wholeNumbers(sheet string, col, lo, hi int) error {
	dv := excelize.NewDataValidation(true)
	name := xlsx.ColumnName(col)
	dv.Sqref = name + "2:" + name + strconv.Itoa(maxSheetRows)
	if err := dv.SetRange(lo, hi, excelize.DataValidationTypeWhole, excelize.DataValidationOperatorBetween); err != nil {
		return err
	}
	msg := fmt.Sprintf("A whole number from %d to %d.", lo, hi)
	dv.SetError(excelize.DataValidationErrorStyleStop, "Not a whole number from "+strconv.Itoa(lo)+" to "+strconv.Itoa(hi), msg)
	return b.f.AddDataValidation(sheet, dv)
}

func freezeHeader(sw *excelize.StreamWriter, headerRow int) error {
	top := "A" + strconv.Itoa(headerRow+1)
	return sw.SetPanes(&excelize.Panes{
		Freeze: true, YSplit: headerRow, TopLeftCell: top, ActivePane: "bottomLeft",
		Selection: []excelize.Selection{{SQRef: top, ActiveCell: top, Pane: "bottomLeft"}},
	})
}

// writeTo zips the workbook into w. excelize's Write builds the whole
// package in a bytes.Buffer first; its zip writer is pointed at w instead,
// so the package goes out as it is made and the buffer stays empty.
func (b *book) writeTo(w io.Writer) error {
	cw := &countWriter{w: w}
	b.f.SetZipWriter(func(io.Writer) excelize.ZipWriter { return zip.NewWriter(cw) })
	if err := b.f.Write(io.Discard); err != nil {
		return fmt.Errorf("write workbook: %w", err)
	}
	if cw.n == 0 {
		return errors.New("write workbook: nothing was written")
	}
	return cw.err
}

type countWriter struct {
	w   io.Writer
	n   int64
	err error
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	if err != nil && c.err == nil {
		c.err = err
	}
	return n, err
}

// style returns the excelize style of a look, made on first use; 0 for a
// plain General cell.
func (b *book) style(cs cellStyle) (int, error) {
	if cs == (cellStyle{}) {
		return 0, nil
	}
	if id, ok := b.styles[cs]; ok {
		return id, nil
	}
	s := &excelize.Style{}
	switch f := cs.format; f.Kind {
	case xlsx.FormatDate:
		s.CustomNumFmt = ptr("yyyy-mm-dd")
	case xlsx.FormatTime:
		s.CustomNumFmt = ptr("hh:mm")
	case xlsx.FormatDateTime:
		s.CustomNumFmt = ptr("yyyy-mm-dd hh:mm")
	case xlsx.FormatText:
		s.NumFmt = 49 // "@"
	case xlsx.FormatPadded:
		if f.Width <= 1 {
			s.NumFmt = 1 // "0"
		} else {
			s.CustomNumFmt = ptr(strings.Repeat("0", min(f.Width, 255)))
		}
	}
	switch cs.role {
	case roleHeader:
		s.Font = &excelize.Font{Bold: true, Color: "1F1F1F"}
		s.Fill = excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{headerFill}}
		s.Border = []excelize.Border{{Type: "bottom", Color: "5B7DB1", Style: 2}}
		s.Alignment = &excelize.Alignment{Vertical: "center"}
	case roleBad:
		s.Fill = excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{badFill}}
		s.Font = &excelize.Font{Color: "000000"}
		for _, side := range []string{"left", "top", "right", "bottom"} {
			s.Border = append(s.Border, excelize.Border{Type: side, Color: badInk, Style: 2})
		}
	case roleNote:
		s.Font = &excelize.Font{Color: badInk}
		s.Alignment = &excelize.Alignment{WrapText: true, Vertical: "top"}
	case roleTitle:
		s.Font = &excelize.Font{Bold: true, Size: 12}
	case roleWrapped:
		s.Alignment = &excelize.Alignment{WrapText: true, Vertical: "top"}
	case roleLink:
		s.Font = &excelize.Font{Color: linkInk, Underline: "single"}
	}
	id, err := b.f.NewStyle(s)
	if err != nil {
		return 0, fmt.Errorf("style: %w", err)
	}
	b.styles[cs] = id
	return id, nil
}

// roles returns the styles of plain cells with the given roles.
func (b *book) roles(rs ...role) ([]int, error) {
	ids := make([]int, len(rs))
	for i, r := range rs {
		id, err := b.style(cellStyle{role: r})
		if err != nil {
			return nil, err
		}
		ids[i] = id
	}
	return ids, nil
}

func ptr[T any](v T) *T { return &v }

// kindFormat is the number format of a contract column: Text for codes,
// IDs and other text, so that Excel keeps what is typed as typed.
func kindFormat(k importer.Kind) xlsx.Format {
	switch k {
	case importer.KindCode, importer.KindText, importer.KindEmail:
		return xlsx.Format{Kind: xlsx.FormatText}
	case importer.KindDate:
		return xlsx.Format{Kind: xlsx.FormatDate}
	case importer.KindTime:
		return xlsx.Format{Kind: xlsx.FormatTime}
	}
	return xlsx.Format{}
}

// columnWidth is a contract column's width in characters.
func columnWidth(c importer.Column) float64 {
	w := map[importer.Kind]float64{importer.KindCode: 14, importer.KindText: 26, importer.KindEmail: 34, importer.KindDate: 13, importer.KindTime: 10, importer.KindWhole: 8}[c.Kind]
	return max(w, float64(len(c.Header))+5) // room for " *" and a filter button
}

// columnNote says what a column takes, for the note on its header.
func columnNote(sh *importer.Sheet, col importer.Column) string {
	var b strings.Builder
	if col.Required {
		b.WriteString("Required.")
	} else {
		b.WriteString("Optional.")
	}
	ex := col.Example
	switch col.Kind {
	case importer.KindCode:
		fmt.Fprintf(&b, " Text, e.g. %s; kept exactly as typed, leading zeros too.", ex)
	case importer.KindText:
		fmt.Fprintf(&b, " Text, e.g. %s.", ex)
	case importer.KindEmail:
		fmt.Fprintf(&b, " An email address, e.g. %s; kept in lower case.", ex)
	case importer.KindDate:
		fmt.Fprintf(&b, " A date, e.g. %s: a date cell or text YYYY-MM-DD.", ex)
	case importer.KindTime:
		fmt.Fprintf(&b, " A time of day on the 24-hour clock, e.g. %s: a time cell or text HH:MM.", ex)
	case importer.KindWhole:
		fmt.Fprintf(&b, " A whole number from %d to %d, e.g. %s.", col.Min, col.Max, ex)
	}
	if slices.Contains(sh.Key, col.Field) {
		if len(sh.Key) == 1 {
			fmt.Fprintf(&b, " Identifies the row, so each row needs its own; a row with %s %s already in Roster updates it.", article(col.Header), col.Header)
		} else {
			var others []string
			for _, k := range sh.Key {
				if k != col.Field {
					others = append(others, sh.Column(k).Header)
				}
			}
			fmt.Fprintf(&b, " With %s it identifies the row: no two rows may have the same.", strings.Join(others, " and "))
		}
	}
	if slices.Contains(sh.Unique, col.Field) {
		b.WriteString(" Each row needs its own, one that no other row already in Roster has.")
	}
	for _, ref := range sh.Refs {
		if ref.Field == col.Field {
			to := importer.SheetFor(ref.To)
			key := to.Column(to.Key[0]).Header
			fmt.Fprintf(&b, " Must match %s %s of the %s sheet or one already in Roster.", article(key), key, to.Name)
		}
	}
	if col.Hint != "" {
		b.WriteString(" " + col.Hint)
	}
	return b.String()
}

func article(word string) string {
	if word != "" && strings.ContainsRune("AEIOUaeiou", rune(word[0])) {
		return "an"
	}
	return "a"
}
