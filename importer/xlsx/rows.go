package xlsx

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dustin/go-humanize"
)

// CellType is the kind of value a cell holds.
type CellType uint8

const (
	TypeBlank   CellType = iota // no value (such cells are left out of Row.Cells)
	TypeText                    // a shared, inline or formula string
	TypeNumber                  // a number, dates and times included
	TypeBool                    // TRUE or FALSE
	TypeError                   // an error value such as #N/A
	TypeNoValue                 // a formula without a saved result
)

var cellTypeNames = [...]string{"Blank", "Text", "Number", "Bool", "Error", "NoValue"}

func (t CellType) String() string {
	if int(t) < len(cellTypeNames) {
		return cellTypeNames[t]
	}
	return "CellType(?)"
}

// Cell is one non-blank cell of a row.
type Cell struct {
	Col  int      // 0-based column index
	Type CellType // never TypeBlank in Row.Cells
	// Value is the text (shared or inline strings resolved, entities and
	// _xHHHH_ escapes decoded, not trimmed), the number as written in the
	// XML ("123456789012345", "1.5E-3"), "TRUE"/"FALSE", or the error text
	// ("#N/A"). Empty for TypeNoValue.
	Value   string
	Formula bool   // the cell has a formula; Value is its saved result
	Format  Format // from the cell's style
}

// Ref is the cell's A1-style reference in row.
func (c Cell) Ref(row int) string { return ColumnName(c.Col) + strconv.Itoa(row) }

// Row is one <row> of a sheet.
type Row struct {
	Number int    // Excel row number, 1-based
	Cells  []Cell // ascending Col; cells without a value and formula are left out
}

// Range is a merged range: rows 1-based, columns 0-based, inclusive. A
// range of whole columns ("B:D") spans Excel's rows 1 to 1,048,576, one of
// whole rows ("3:5") its columns A to XFD.
type Range struct {
	FirstRow, LastRow, FirstCol, LastCol int
}

// String is the range in A1 notation, "B2:C3".
func (r Range) String() string {
	return ColumnName(r.FirstCol) + strconv.Itoa(r.FirstRow) + ":" + ColumnName(r.LastCol) + strconv.Itoa(r.LastRow)
}

// ColumnName returns the letters of a 0-based column index: 0 → "A",
// 25 → "Z", 26 → "AA". It returns "" for a negative index.
func ColumnName(col int) string {
	if col < 0 {
		return ""
	}
	var b [16]byte
	i := len(b)
	for col++; col > 0; col = (col - 1) / 26 {
		i--
		b[i] = byte('A' + (col-1)%26)
	}
	return string(b[i:])
}

const (
	maxRowText = 16 << 20 // inline text and numbers of one row
	maxMerged  = 1 << 20

	// Excel's sheet size, which a merged range of whole rows or columns
	// spans whatever the Limits.
	excelRows = 1 << 20
	excelCols = 1 << 14
)

// Rows reads the rows of one sheet in order. Use it from one goroutine.
//
//	rows, err := wb.Rows("Employees")
//	...
//	defer rows.Close()
//	for rows.Next() {
//		row := rows.Row()
//		...
//	}
//	if err := rows.Err(); err != nil { ... }
//	merged := rows.Merged()
//
// Rows must come in ascending order, each at most once, and cells within a
// row in ascending column order, each at most once (as Excel writes them);
// anything else is an error wrapping ErrNotXLSX. Row numbers beyond
// MaxRows and columns beyond MaxCols are errors wrapping ErrTooLarge.
// Every <row> element gives a Row, even one without cells.
type Rows struct {
	wb     *Workbook
	sheet  string
	rc     io.ReadCloser
	sc     *scanner
	state  uint8 // rowsBefore, rowsIn, rowsDone
	err    error
	row    Row
	cells  []Cell
	spans  []span
	arena  []byte
	last   int // number of the last row read
	merged []Range
	user   bool // holds a use of the workbook's shared strings
}

const (
	rowsBefore = iota
	rowsIn
	rowsDone
)

// span locates a cell's value in the row arena; start < 0 when the value
// is already set.
type span struct{ start, end int32 }

// Rows opens a sheet for reading by its exact name (as Sheets lists it).
// Several Rows may be open at once.
func (w *Workbook) Rows(sheet string) (*Rows, error) {
	se, err := w.sheet(sheet)
	if err != nil {
		return nil, err
	}
	if err := w.use(); err != nil {
		return nil, fmt.Errorf("read sheet %q: %w", sheet, err)
	}
	rc, ok, err := w.openPart(se.part)
	if err == nil && !ok {
		err = notXLSX("the part of sheet %q is missing", sheet)
	}
	if err != nil {
		w.done()
		return nil, err
	}
	r, err := w.newRows(sheet, rc)
	if err != nil {
		rc.Close()
		w.done()
		return nil, err
	}
	r.user = true
	return r, nil
}

// newRows reads the sheet XML from rc.
func (w *Workbook) newRows(sheet string, rc io.ReadCloser) (*Rows, error) {
	sc := newScanner(rc)
	if err := checkEncoding(sc); err != nil {
		return nil, sheetError(sheet, err)
	}
	return &Rows{wb: w, sheet: sheet, rc: rc, sc: sc}, nil
}

// CountRows returns the number of <row> elements in a sheet's data (not
// the <xdr:row> anchors of its drawings), by a quick byte scan of its XML
// (about a third of the time Rows takes), for progress reports: it is the
// number of rows Rows returns for any sheet a spreadsheet program writes.
// More rows than MaxRows is an ErrTooLarge.
func (w *Workbook) CountRows(sheet string) (int, error) {
	se, err := w.sheet(sheet)
	if err != nil {
		return 0, err
	}
	rc, ok, err := w.openPart(se.part)
	if err != nil {
		return 0, err
	}
	if !ok {
		return 0, notXLSX("the part of sheet %q is missing", sheet)
	}
	defer rc.Close()
	sc := newScanner(rc)
	if err := checkEncoding(sc); err != nil {
		return 0, sheetError(sheet, err)
	}
	n, err := countRows(sc)
	if err != nil {
		return n, sheetError(sheet, err)
	}
	if n > w.lim.MaxRows {
		return n, tooLarge("sheet %q has more than %s rows", sheet, humanize.Comma(int64(w.lim.MaxRows)))
	}
	return n, nil
}

// countRows counts the <row> start tags in the first <sheetData>, the
// sheet's own rows. Elsewhere an element with the local name row is not
// one: drawings and form controls anchor themselves with <xdr:row>.
func countRows(s *scanner) (int, error) {
	n := 0
	var end []byte // the name of the sheet data as its start tag wrote it, once in it
	for {
		i := bytes.IndexByte(s.buf[s.pos:s.end], '<')
		if i < 0 {
			s.pos = s.end
			if !s.fill() {
				if end != nil && s.err == nil {
					return n, errTruncated
				}
				return n, s.err
			}
			continue
		}
		s.pos += i
		if !s.ensure(2) {
			return n, s.eofErr()
		}
		switch s.buf[s.pos+1] {
		case '!', '?':
			if err := s.skipMarkup(); err != nil {
				return n, err
			}
			continue
		case '/':
			// XML ends an element with the name it started with, so one
			// byte tells most end tags from the sheet data's.
			if end != nil && s.atEndTag(end) {
				return n, nil
			}
			s.pos += 2
			continue
		}
		// Read the whole name (up to 1 KiB), filling the buffer as needed.
		var b []byte
		j := 1
		for {
			b = s.buf[s.pos:s.end]
			for j < len(b) && !isNameEnd(b[j]) {
				j++
			}
			if j < len(b) || j > 1024 || !s.ensure(len(b)+1) {
				break
			}
		}
		if j >= len(b) {
			s.pos += j
			continue
		}
		switch local := localName(b[1:j]); {
		case end != nil:
			if string(local) == "row" {
				n++
			}
		case string(local) == "sheetData":
			end = append([]byte(nil), b[1:j]...)
			te, err := s.tagEnd()
			if err != nil {
				return n, err
			}
			if s.buf[s.pos+te-1] == '/' { // <sheetData/>
				return n, nil
			}
			j = te + 1
		}
		s.pos += j
	}
}

// atEndTag reports whether the tag at pos is the end tag </name>.
func (s *scanner) atEndTag(name []byte) bool {
	if s.pos+2 < s.end && s.buf[s.pos+2] != name[0] {
		return false
	}
	if !s.ensure(len(name) + 3) {
		return false
	}
	b := s.buf[s.pos+2 : s.end]
	return bytes.HasPrefix(b, name) && isNameEnd(b[len(name)])
}

func sheetError(sheet string, err error) error {
	switch {
	case errors.Is(err, ErrTooLarge), errors.Is(err, ErrNotXLSX):
		return err
	case errors.Is(err, errTextTooBig):
		return tooLarge("sheet %q has a row with more than %s of text", sheet, sizeText(int64(maxRowText)))
	}
	return notXLSX("sheet %q: %v", sheet, err)
}

// Next reads the next row. It returns false at the end of the sheet or on
// an error (see Err).
func (r *Rows) Next() bool {
	if r.state == rowsDone {
		return false
	}
	if err := r.next(); err != nil {
		r.err = sheetError(r.sheet, err)
		r.state = rowsDone
	}
	if r.state == rowsDone {
		r.release()
		return false
	}
	return true
}

// release closes the part early, once the sheet is read.
func (r *Rows) release() {
	if r.rc != nil {
		r.rc.Close()
		r.rc = nil
	}
	if r.user {
		r.user = false
		r.wb.done()
	}
}

// Row is the current row; it (and its Cells slice) is valid until the next
// call to Next.
func (r *Rows) Row() Row { return r.row }

// Err is the error that stopped Next, if any.
func (r *Rows) Err() error { return r.err }

// Merged lists the sheet's merged ranges. They follow the rows in the XML,
// so the list is complete only once Next has returned false without error.
func (r *Rows) Merged() []Range { return r.merged }

// Close releases the sheet. Calling it again does nothing.
func (r *Rows) Close() error {
	r.state = rowsDone
	r.release()
	return nil
}

func (r *Rows) next() error {
	sc := r.sc
	for {
		tok, err := sc.next()
		if err != nil {
			return err
		}
		if tok == tokEOF {
			if r.state == rowsIn {
				return errTruncated
			}
			r.state = rowsDone
			return nil
		}
		name := sc.name
		switch r.state {
		case rowsBefore:
			if tok != tokStart {
				continue
			}
			switch string(name) {
			case "sheetData":
				if sc.self {
					return r.tail()
				}
				r.state = rowsIn
			case "mergeCell":
				if err := r.addMerge(); err != nil {
					return err
				}
			}
		case rowsIn:
			if tok == tokEnd {
				if string(name) == "sheetData" {
					return r.tail()
				}
				return syntaxError("unexpected </" + string(name) + "> in the sheet data")
			}
			if string(name) == "row" {
				return r.readRow()
			}
			if !sc.self {
				if err := sc.skipRest(); err != nil {
					return err
				}
			}
		}
	}
}

// tail reads what follows the sheet data, for the merged ranges.
func (r *Rows) tail() error {
	r.state = rowsDone
	for {
		tok, err := r.sc.next()
		if err != nil || tok == tokEOF {
			return err
		}
		switch {
		case tok == tokStart && string(r.sc.name) == "mergeCell":
			if err := r.addMerge(); err != nil {
				return err
			}
		case tok == tokEnd && string(r.sc.name) == "mergeCells":
			return nil
		}
	}
}

func (r *Rows) addMerge() error {
	raw, _ := attr(r.sc.attrs, "ref")
	ref := string(trimSpace(raw))
	a, b, pair := strings.Cut(ref, ":")
	if !pair {
		b = a
	}
	c1, r1, ok1 := parseRef([]byte(a))
	c2, r2, ok2 := parseRef([]byte(b))
	switch {
	case ok1 && ok2 && r1 > 0 && r2 > 0:
	case !pair || ok1 != ok2:
		return syntaxError(fmt.Sprintf("bad merged range %q", ref))
	case ok1 && r1 == 0 && r2 == 0: // whole columns, "B:D"
		r1, r2 = 1, excelRows
	default: // whole rows, "3:5"
		var okR1, okR2 bool
		r1, okR1 = atoi([]byte(a))
		r2, okR2 = atoi([]byte(b))
		if !okR1 || !okR2 || r1 == 0 || r2 == 0 {
			return syntaxError(fmt.Sprintf("bad merged range %q", ref))
		}
		c1, c2 = 0, excelCols-1
	}
	if len(r.merged) >= maxMerged {
		return tooLarge("sheet %q has more than %s merged ranges", r.sheet, humanize.Comma(int64(maxMerged)))
	}
	r.merged = append(r.merged, Range{
		FirstRow: min(r1, r2), LastRow: max(r1, r2),
		FirstCol: min(c1, c2), LastCol: max(c1, c2),
	})
	return nil
}

// parseRef parses "B12" (or just "B") into a 0-based column and a row
// number (0 when absent). Absurdly large columns come back as math.MaxInt32.
func parseRef(b []byte) (col, row int, ok bool) {
	i := 0
	for i < len(b) {
		c := b[i] | 0x20
		if c < 'a' || c > 'z' {
			break
		}
		if col < math.MaxInt32/26 {
			col = col*26 + int(c-'a'+1)
		} else {
			col = math.MaxInt32
		}
		i++
	}
	if i == 0 {
		return 0, 0, false
	}
	for ; i < len(b); i++ {
		c := b[i]
		if c < '0' || c > '9' {
			return 0, 0, false
		}
		if row < math.MaxInt32/10 {
			row = row*10 + int(c-'0')
		} else {
			row = math.MaxInt32
		}
	}
	if col != math.MaxInt32 {
		col--
	}
	return col, row, true
}

func (r *Rows) tooManyCols(col int) error {
	name := "beyond " + ColumnName(r.wb.lim.MaxCols-1)
	if col < 1<<20 {
		name = ColumnName(col)
	}
	return tooLarge("sheet %q has a cell in column %s; a sheet may have at most %s columns", r.sheet, name, humanize.Comma(int64(r.wb.lim.MaxCols)))
}

// readRow reads the row whose start tag was just read.
func (r *Rows) readRow() error {
	sc := r.sc
	lim := &r.wb.lim
	num := r.last + 1
	numText := ""
	if v, ok := attr(sc.attrs, "r"); ok {
		n, ok := atoi(v)
		if !ok {
			if v = trimSpace(v); len(v) > 9 && len(bytes.Trim(v, "0123456789")) == 0 {
				n, numText = math.MaxInt32, string(v)
			} else {
				return syntaxError(fmt.Sprintf("bad row number %q", v))
			}
		}
		num = n
	}
	switch {
	case num > lim.MaxRows:
		if numText == "" {
			numText = humanize.Comma(int64(num))
		}
		return tooLarge("sheet %q has row %s; a sheet may have at most %s rows", r.sheet, numText, humanize.Comma(int64(lim.MaxRows)))
	case num < 1:
		return syntaxError("row number 0")
	case num == r.last:
		return syntaxError(fmt.Sprintf("row %d appears twice", num))
	case num < r.last:
		return syntaxError(fmt.Sprintf("row %d comes after row %d (rows must be in order)", num, r.last))
	}
	r.last = num
	r.cells, r.spans, r.arena = r.cells[:0], r.spans[:0], r.arena[:0]
	r.row = Row{Number: num}
	if sc.self {
		r.row.Cells = r.cells
		return nil
	}
	prevCol := -1
	for {
		tok, err := sc.next()
		if err != nil {
			return err
		}
		switch tok {
		case tokEOF:
			return errTruncated
		case tokEnd:
			if string(sc.name) != "row" {
				return syntaxError("unexpected </" + string(sc.name) + "> in a row")
			}
			r.finishRow()
			return nil
		case tokStart:
			if string(sc.name) != "c" {
				if !sc.self {
					if err := sc.skipRest(); err != nil {
						return err
					}
				}
				continue
			}
			col, err := r.readCell(prevCol)
			if err != nil {
				return err
			}
			prevCol = col
		}
	}
}

// readCell reads the cell whose start tag was just read and appends it to
// the row unless it is blank. It returns the cell's column.
func (r *Rows) readCell(prevCol int) (int, error) {
	sc := r.sc
	col := prevCol + 1
	style := 0
	var typ []byte
	for i := 0; ; {
		name, val, next, ok := nextAttr(sc.attrs, i)
		if !ok {
			break
		}
		i = next
		if len(name) != 1 {
			continue
		}
		switch name[0] {
		case 'r':
			c, _, ok := parseRef(trimSpace(val))
			if !ok {
				return 0, syntaxError(fmt.Sprintf("bad cell reference %q in row %d", val, r.last))
			}
			col = c
		case 's':
			if n, ok := atoi(val); ok {
				style = n
			}
		case 't':
			typ = val
		}
	}
	if col >= r.wb.lim.MaxCols {
		return 0, r.tooManyCols(col)
	}
	if col <= prevCol {
		ref := ColumnName(col) + strconv.Itoa(r.last)
		if col == prevCol {
			return 0, syntaxError(fmt.Sprintf("cell %s appears twice", ref))
		}
		return 0, syntaxError(fmt.Sprintf("cell %s comes after %s%d (cells must be in order)", ref, ColumnName(prevCol), r.last))
	}
	var ct cellType
	switch string(typ) {
	case "", "n":
		ct = ctNumber
	case "s":
		ct = ctShared
	case "str":
		ct = ctStr
	case "inlineStr":
		ct = ctInline
	case "b":
		ct = ctBool
	case "e":
		ct = ctError
	case "d":
		ct = ctDate
	default:
		return 0, syntaxError(fmt.Sprintf("unknown cell type %q", typ))
	}
	if sc.self {
		return col, nil // blank
	}
	// Read the children: <f>, <v>, <is>; anything else is skipped.
	var formula, hasV, hasIS bool
	base := len(r.arena)
	vs, ve, is, ie := 0, 0, 0, 0
	for {
		tok, err := sc.next()
		if err != nil {
			return 0, err
		}
		if tok == tokEOF {
			return 0, errTruncated
		}
		if tok == tokEnd {
			if string(sc.name) != "c" {
				return 0, syntaxError("unexpected </" + string(sc.name) + "> in a cell")
			}
			break
		}
		self := sc.self
		switch string(sc.name) {
		case "v":
			hasV = true
			vs = len(r.arena)
			if !self {
				if r.arena, err = sc.readText(r.arena, maxRowText); err != nil {
					return 0, err
				}
				if err = sc.skipRest(); err != nil {
					return 0, err
				}
			}
			ve = len(r.arena)
		case "f":
			formula = true
			if !self {
				err = sc.skipRest()
			}
		case "is":
			hasIS = true
			is = len(r.arena)
			if !self {
				r.arena, err = sc.readRich(r.arena, maxRowText)
			}
			ie = len(r.arena)
		default:
			if !self {
				err = sc.skipRest()
			}
		}
		if err != nil {
			return 0, err
		}
	}

	c := Cell{Col: col, Formula: formula}
	if style < len(r.wb.formats) {
		c.Format = r.wb.formats[style]
	}
	sp := span{-1, -1}
	if ct == ctNumber && hasIS && !hasV { // inline text without t="inlineStr"
		ct = ctInline
	}
	switch ct {
	case ctInline:
		if hasIS || hasV {
			c.Type = TypeText
			if hasIS {
				sp = r.xstring(is, ie)
			} else {
				sp = r.xstring(vs, ve)
			}
		}
	case ctStr:
		if hasV {
			c.Type = TypeText
			sp = r.xstring(vs, ve)
		}
	default:
		v := trimSpace(r.arena[vs:ve])
		if !hasV || len(v) == 0 {
			break
		}
		switch ct {
		case ctNumber:
			c.Type = TypeNumber
			sp = trimmedSpan(r.arena, vs, ve)
		case ctShared:
			n, ok := atoi(v)
			s, found := r.wb.strs.get(n)
			if !ok || !found {
				return 0, syntaxError(fmt.Sprintf("cell %s refers to shared string %q, but the workbook has %d", ColumnName(col)+strconv.Itoa(r.last), v, r.wb.strs.Len()))
			}
			c.Type, c.Value = TypeText, s
		case ctBool:
			c.Type = TypeBool
			switch string(v) {
			case "1", "true", "TRUE":
				c.Value = "TRUE"
			case "0", "false", "FALSE":
				c.Value = "FALSE"
			default:
				return 0, syntaxError(fmt.Sprintf("cell %s has the bad boolean %q", ColumnName(col)+strconv.Itoa(r.last), v))
			}
		case ctError:
			c.Type = TypeError
			sp = trimmedSpan(r.arena, vs, ve)
		case ctDate:
			serial, clock, ok := isoToSerial(string(v), r.wb.date1904)
			if !ok {
				return 0, syntaxError(fmt.Sprintf("cell %s has the bad date %q", ColumnName(col)+strconv.Itoa(r.last), v))
			}
			c.Type = TypeNumber
			if !c.Format.IsDate() && !c.Format.IsTime() {
				switch {
				case clock:
					c.Format = Format{Kind: FormatTime}
				case serial == math.Trunc(serial):
					c.Format = Format{Kind: FormatDate}
				default:
					c.Format = Format{Kind: FormatDateTime}
				}
			}
			r.arena = strconv.AppendFloat(r.arena[:base], serial, 'f', -1, 64)
			sp = span{int32(base), int32(len(r.arena))}
		}
	}
	if c.Type == TypeBlank {
		if !formula {
			r.arena = r.arena[:base]
			return col, nil
		}
		c.Type = TypeNoValue
	}
	if sp.start < 0 {
		r.arena = r.arena[:base]
	}
	r.cells = append(r.cells, c)
	r.spans = append(r.spans, sp)
	return col, nil
}

type cellType uint8

const (
	ctNumber cellType = iota
	ctShared
	ctStr
	ctInline
	ctBool
	ctError
	ctDate
)

func trimmedSpan(b []byte, s, e int) span {
	for s < e && (b[s] == ' ' || b[s] == '\t' || b[s] == '\n' || b[s] == '\r') {
		s++
	}
	for e > s && (b[e-1] == ' ' || b[e-1] == '\t' || b[e-1] == '\n' || b[e-1] == '\r') {
		e--
	}
	return span{int32(s), int32(e)}
}

// xstring decodes the _xHHHH_ escapes of arena[s:e] in place and returns
// its span.
func (r *Rows) xstring(s, e int) span {
	d := decodeXString(r.arena[s:e])
	return span{int32(s), int32(s + len(d))}
}

// finishRow turns the arena into one string and points the cells into it.
func (r *Rows) finishRow() {
	var text string
	valid := true
	if len(r.arena) > 0 {
		text = string(r.arena)
		valid = utf8.ValidString(text)
	}
	for i, sp := range r.spans {
		if sp.start < 0 {
			continue
		}
		v := text[sp.start:sp.end]
		if !valid && !utf8.ValidString(v) {
			v = strings.ToValidUTF8(v, "\uFFFD")
		}
		r.cells[i].Value = v
	}
	r.row.Cells = r.cells
}

// Epochs of the date systems. In the 1900 system Excel counts 1900-02-29,
// a day that never was, so it counts days from 1899-12-30 from March 1900
// on and from 1899-12-31 before.
var (
	epoch1900      = time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)
	epoch1900Early = time.Date(1899, 12, 31, 0, 0, 0, 0, time.UTC)
	march1900      = time.Date(1900, 3, 1, 0, 0, 0, 0, time.UTC)
	epoch1904      = time.Date(1904, 1, 1, 0, 0, 0, 0, time.UTC)
)

// isoToSerial converts the ISO 8601 value of a t="d" cell (a date, a date
// and time, a time, or a duration as Excel Strict writes times) to the
// serial Excel would store for it, rounded to the millisecond as Excel
// keeps it; clock reports a time or duration without a date. A date Excel
// cannot show gives a serial the value parsers refuse, so that it is a
// problem in its cell, not a damaged sheet.
func isoToSerial(s string, date1904 bool) (serial float64, clock, ok bool) {
	var t time.Time
	var err error
	for _, layout := range []string{"2006-01-02T15:04:05.999999999Z07:00", "2006-01-02T15:04:05.999999999", "2006-01-02", "15:04:05.999999999", "15:04"} {
		if t, err = time.Parse(layout, s); err == nil {
			break
		}
	}
	if err != nil {
		days, ok := parseDuration(s)
		return days, ok, ok
	}
	// The wall clock counts, whatever the offset.
	t = time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
	epoch, clock := epoch1900, false
	switch {
	case t.Year() == 0: // a time only
		epoch, clock = time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC), true
	case date1904:
		epoch = epoch1904
	case !t.Before(march1900):
	case !t.Before(epoch1900Early):
		epoch = epoch1900Early
	case !t.Before(epoch1900):
		// 1899-12-30 has no serial; programs that count from it write a
		// time of day on it, which is how it is read.
	default:
		epoch = epoch1900Early
	}
	// Whole seconds from the Unix times, since time.Duration cannot span
	// the 8,000 years Excel's dates do.
	ms := (t.Unix()-epoch.Unix())*1000 + int64(math.Round(float64(t.Nanosecond())/1e6))
	return float64(ms) / msPerDay, clock, true
}

const msPerDay = 24 * 60 * 60 * 1000

// parseDuration parses an ISO 8601 duration such as PT0H11M0.000S into
// days, rounded to the millisecond. Years and months, whose length
// varies, must be zero.
func parseDuration(s string) (float64, bool) {
	neg := strings.HasPrefix(s, "-")
	rest, ok := strings.CutPrefix(strings.TrimPrefix(s, "-"), "P")
	if !ok {
		return 0, false
	}
	datePart, timePart, hasTime := strings.Cut(rest, "T")
	if (hasTime && timePart == "") || (!hasTime && datePart == "") {
		return 0, false
	}
	d, ok1 := durationParts(datePart, "YMWD", [...]float64{0, 0, 7, 1})
	t, ok2 := durationParts(timePart, "HMS", [...]float64{1.0 / 24, 1.0 / (24 * 60), 1.0 / (24 * 60 * 60), 0})
	if !ok1 || !ok2 {
		return 0, false
	}
	days := math.Round((d+t)*msPerDay) / msPerDay
	if neg && days != 0 {
		days = -days
	}
	return days, true
}

// durationParts sums the parts of one half of a duration ("1DT", "2H30M")
// in days: each a decimal number and one of units, in order, at most once;
// a unit of scale 0 must have the number 0.
func durationParts(s, units string, scale [4]float64) (float64, bool) {
	days, next := 0.0, 0
	for s != "" {
		i := 0
		for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.' || s[i] == ',') {
			i++
		}
		if i == 0 || i == len(s) {
			return 0, false
		}
		n, err := strconv.ParseFloat(strings.Replace(s[:i], ",", ".", 1), 64)
		u := strings.IndexByte(units[next:], s[i])
		if err != nil || u < 0 {
			return 0, false
		}
		u += next
		if scale[u] == 0 && n != 0 {
			return 0, false
		}
		days += n * scale[u]
		next, s = u+1, s[i+1:]
	}
	return days, true
}

// IsBlank reports whether the row shows nothing: it has no cells, or only
// text cells holding nothing but spaces.
func (r Row) IsBlank() bool {
	for _, c := range r.Cells {
		if c.Type != TypeText || strings.TrimSpace(c.Value) != "" {
			return false
		}
	}
	return true
}
