// Package xlsx reads the sheets of an .xlsx workbook as typed cells, fast,
// streaming, and safely on hostile input.
//
// It reads the package parts itself with archive/zip over the file (never
// the whole upload in memory) and a small byte-level XML scanner, because
// the importer needs what general readers hide: whether a number cell is
// date- or time-formatted or zero-padded ("000"), whether a formula has a
// saved result, and the merged ranges. The value parsers (Text, Date, Time)
// turn a Cell into the values of the product contract.
//
// Limits (Limits, DefaultLimits) bound everything read: the unpacked size
// of all parts together (counted while decompressing, whatever the zip
// directory says), rows and columns per sheet, the shared-string table of
// each workbook and of all open workbooks together (Budget), and a few
// internal caps against pathological parts (1 MiB per XML tag,
// 16 MiB of inline text per row, 65,536 cell formats, 1,048,576 merged
// ranges, 10,000 sheets, 8 MiB of zip directory).
package xlsx

import (
	"archive/zip"
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/dustin/go-humanize"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// Limits bound what a workbook may unpack to. A zero field means the value
// of DefaultLimits.
type Limits struct {
	// MaxUnpacked is the most uncompressed bytes all parts together may
	// hold. Each part counts once, however often it is read.
	MaxUnpacked int64
	// MaxRows and MaxCols bound row numbers and column indexes per sheet.
	MaxRows, MaxCols int
	// MaxSharedStrings is the most memory the shared-string table may take,
	// counted as its text plus 16 bytes a string.
	MaxSharedStrings int64
	// StringsBudget is the memory that the shared-string tables of all
	// open workbooks share (see Budget); a table that needs more than all
	// of it is ErrTooLarge, whatever MaxSharedStrings says.
	StringsBudget *Budget
	// StringsWait is how long Open waits for room in StringsBudget before
	// it fails with ErrBusy.
	StringsWait time.Duration
}

// DefaultLimits are the contract's: 1 GiB unpacked, and Excel's own
// 1,048,576 rows and 16,384 columns; plus 256 MiB of shared strings per
// workbook, 384 MiB for all open workbooks together (one budget for the
// process), and 20 seconds' wait for it.
var DefaultLimits = Limits{
	MaxUnpacked: 1 << 30, MaxRows: 1 << 20, MaxCols: 1 << 14, MaxSharedStrings: 256 << 20,
	StringsBudget: defaultBudget, StringsWait: defaultStringsWait,
}

func (l Limits) withDefaults() Limits {
	if l.MaxUnpacked <= 0 {
		l.MaxUnpacked = DefaultLimits.MaxUnpacked
	}
	if l.MaxRows <= 0 {
		l.MaxRows = DefaultLimits.MaxRows
	}
	if l.MaxCols <= 0 {
		l.MaxCols = DefaultLimits.MaxCols
	}
	if l.MaxSharedStrings <= 0 {
		l.MaxSharedStrings = DefaultLimits.MaxSharedStrings
	}
	if l.StringsBudget == nil {
		l.StringsBudget = cmp.Or(DefaultLimits.StringsBudget, defaultBudget)
	}
	if l.StringsWait <= 0 {
		l.StringsWait = cmp.Or(DefaultLimits.StringsWait, defaultStringsWait)
	}
	return l
}

var (
	// ErrNotXLSX is wrapped by every error about a file that is not a
	// readable .xlsx workbook: not a zip, no workbook part, damaged XML, …
	ErrNotXLSX = errors.New("the file is not a readable .xlsx workbook")
	// ErrNotWorkbook is wrapped, with ErrNotXLSX, by the errors about a
	// file that is no .xlsx workbook at all (not a zip, an .xlsb, a zip of
	// something else), as opposed to a workbook that is damaged.
	ErrNotWorkbook = fmt.Errorf("%w: it is not an .xlsx workbook", ErrNotXLSX)
	// ErrTooLarge is wrapped when a limit is exceeded; the message says which.
	ErrTooLarge = errors.New("the workbook is too large")
	// ErrNoSheet is wrapped when Rows or CountRows is asked for a sheet the
	// workbook does not have.
	ErrNoSheet = errors.New("no such sheet")
)

// maxZipDirectory bounds the bytes zip.NewReader may read while opening
// (a variable so that tests can lower it).
var maxZipDirectory int64 = 8 << 20

const (
	maxSheets      = 10000
	maxCellFormats = 1 << 16
	maxNumFmts     = 1 << 16
	maxMetaBytes   = 8 << 20 // sheet names and part paths together
)

func notXLSX(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrNotXLSX}, args...)...)
}

func notWorkbook(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrNotWorkbook}, args...)...)
}

func tooLarge(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrTooLarge}, args...)...)
}

// SheetInfo describes one sheet of the workbook.
type SheetInfo struct {
	Name   string
	Hidden bool // state "hidden" or "veryHidden"
}

type sheetEntry struct {
	SheetInfo
	part string // zip entry name, "" when the sheet has no part
}

// Workbook is an open .xlsx file. Its methods may be called from several
// goroutines; each Rows is for one goroutine.
type Workbook struct {
	files    map[string]*zip.File // by normalised name
	lim      Limits
	unpacked *unpackMeter
	date1904 bool
	sheets   []sheetEntry
	strs     stringTable
	formats  []Format // by cell format (xf) index

	// The shared strings' share of lim.StringsBudget (nil without them),
	// given back once the workbook and every Rows using them are closed.
	strHold *hold
	cleanup runtime.Cleanup

	mu     sync.Mutex
	closer io.Closer
	closed bool
	users  int // of the shared strings: the workbook until Close, and each open Rows
}

// Open opens the .xlsx file at path and reads its workbook, relationships,
// styles and shared strings. Sheets are read later, by Rows. It is
// OpenContext without a context: it waits at most Limits.StringsWait.
func Open(path string, lim Limits) (*Workbook, error) {
	return OpenContext(context.Background(), path, lim)
}

// OpenContext is Open, waiting for room in Limits.StringsBudget at most
// until ctx is done.
func OpenContext(ctx context.Context, path string, lim Limits) (*Workbook, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	w, err := OpenReaderAtContext(ctx, f, st.Size(), lim)
	if err != nil {
		f.Close()
		return nil, err
	}
	w.closer = f
	return w, nil
}

// OpenReaderAt is Open for a workbook of size bytes read through r, which
// must stay readable until the Workbook is done with. Close does not close r.
func OpenReaderAt(r io.ReaderAt, size int64, lim Limits) (*Workbook, error) {
	return OpenReaderAtContext(context.Background(), r, size, lim)
}

// OpenReaderAtContext is OpenReaderAt, waiting for room in
// Limits.StringsBudget at most until ctx is done.
func OpenReaderAtContext(ctx context.Context, r io.ReaderAt, size int64, lim Limits) (*Workbook, error) {
	lim = lim.withDefaults()
	if size == 0 {
		return nil, notWorkbook("the file is empty")
	}
	cr := &cappedReaderAt{ra: r, limit: maxZipDirectory}
	zr, err := zip.NewReader(cr, size)
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		if errors.Is(err, errZipDirTooLarge) {
			return nil, tooLarge("its zip directory is larger than %s (too many parts)", sizeText(int64(maxZipDirectory)))
		}
		return nil, notWorkbook("it is not a zip package (an old .xls workbook, a password-protected one, or no workbook at all)")
	}
	cr.limit = 0
	w := &Workbook{
		files:    make(map[string]*zip.File, len(zr.File)),
		lim:      lim,
		unpacked: &unpackMeter{max: lim.MaxUnpacked, high: map[string]int64{}},
	}
	var declared uint64
	for _, f := range zr.File {
		k := normName(f.Name)
		if _, dup := w.files[k]; dup {
			// Readers differ on which copy they take, so the file would
			// not mean the same in Excel as here. Part names are compared
			// ignoring case, as the packaging format says.
			return nil, notXLSX("it holds two parts named %q, so it is damaged", f.Name)
		}
		w.files[k] = f
		declared += f.UncompressedSize64
	}
	// What the directory declares is refused at once, so an upload that
	// says it is too large is turned away before any import starts; one
	// that lies is still stopped while it is unpacked.
	if declared > uint64(lim.MaxUnpacked) {
		return nil, w.unpacked.errLimit()
	}
	if err := w.load(ctx); err != nil {
		if w.strHold != nil {
			w.strHold.release()
		}
		return nil, err
	}
	w.users = 1
	if w.strHold != nil {
		// A workbook dropped without Close must not keep its share of
		// the budget for the life of the process.
		w.cleanup = runtime.AddCleanup(w, (*hold).release, w.strHold)
	}
	return w, nil
}

// Close closes the file opened by Open, and gives the memory of the shared
// strings back to Limits.StringsBudget once every Rows is closed too.
// Rows cannot be opened after it, and Rows still open fail if they read
// from a file Open opened. Calling it again does nothing.
func (w *Workbook) Close() error {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return nil
	}
	w.closed = true
	c := w.closer
	w.closer = nil
	w.doneLocked()
	w.mu.Unlock()
	if c == nil {
		return nil
	}
	return c.Close()
}

var errClosed = errors.New("the workbook is closed")

// use starts a use of the shared strings, by a Rows.
func (w *Workbook) use() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return errClosed
	}
	w.users++
	return nil
}

// done ends a use of the shared strings.
func (w *Workbook) done() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.doneLocked()
}

func (w *Workbook) doneLocked() {
	if w.users--; w.users == 0 && w.strHold != nil {
		w.cleanup.Stop()
		w.strHold.release()
		w.strs = stringTable{}
	}
}

// Sheets lists the sheets in workbook (tab) order. A sheet entry with no
// part (no r:id, as old macro sheets have) is not listed.
func (w *Workbook) Sheets() []SheetInfo {
	out := make([]SheetInfo, len(w.sheets))
	for i, s := range w.sheets {
		out[i] = s.SheetInfo
	}
	return out
}

// Date1904 reports whether the workbook counts dates from 1904.
func (w *Workbook) Date1904() bool { return w.date1904 }

func (w *Workbook) sheet(name string) (*sheetEntry, error) {
	for i := range w.sheets {
		if w.sheets[i].Name == name {
			return &w.sheets[i], nil
		}
	}
	return nil, fmt.Errorf("%w: %q", ErrNoSheet, name)
}

// ---- zip access with limits ----

var errZipDirTooLarge = errors.New("zip directory too large")

// cappedReaderAt fails once more than limit bytes were read, while limit > 0.
// It bounds what zip.NewReader reads (and so keeps in memory) of a directory
// that lists millions of entries.
type cappedReaderAt struct {
	ra    io.ReaderAt
	limit int64
	read  int64
}

func (c *cappedReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if c.limit > 0 {
		c.read += int64(len(p))
		if c.read > c.limit {
			return 0, errZipDirTooLarge
		}
	}
	return c.ra.ReadAt(p, off)
}

func normName(n string) string {
	return strings.ToLower(strings.TrimPrefix(strings.ReplaceAll(n, `\`, "/"), "/"))
}

// unpackMeter counts the unpacked bytes of the workbook: for each part the most
// any reader has read of it, summed over parts.
type unpackMeter struct {
	mu    sync.Mutex
	max   int64
	total int64
	high  map[string]int64
}

func (b *unpackMeter) errLimit() error {
	return tooLarge("it unpacks to more than %s", sizeText(int64(b.max)))
}

// reach records that a reader of part has read n bytes in all.
func (b *unpackMeter) reach(part string, n int64) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if h := b.high[part]; n > h {
		b.total += n - h
		b.high[part] = n
	}
	if b.total > b.max {
		return b.errLimit()
	}
	return nil
}

type partReader struct {
	rc   io.ReadCloser
	b    *unpackMeter
	part string
	n    int64
	err  error
}

func (p *partReader) Read(buf []byte) (int, error) {
	if p.err != nil {
		return 0, p.err
	}
	n, err := p.rc.Read(buf)
	if n > 0 {
		p.n += int64(n)
		if e := p.b.reach(p.part, p.n); e != nil {
			p.err = e
			return n, e
		}
	}
	if err != nil && err != io.EOF {
		p.err = damaged(p.part, err)
		return n, p.err
	}
	return n, err
}

func (p *partReader) Close() error { return p.rc.Close() }

func damaged(part string, err error) error {
	return notXLSX("the part %s is damaged (%v)", part, err)
}

// openPart opens a part by name; ok is false when the package has no such part.
func (w *Workbook) openPart(name string) (rc io.ReadCloser, ok bool, err error) {
	f := w.files[normName(name)]
	if f == nil {
		return nil, false, nil
	}
	if f.UncompressedSize64 > uint64(w.lim.MaxUnpacked) {
		return nil, true, w.unpacked.errLimit()
	}
	r, err := f.Open()
	if err != nil {
		return nil, true, damaged(f.Name, err)
	}
	return &partReader{rc: r, b: w.unpacked, part: normName(name)}, true, nil
}

// ---- loading the workbook ----

type rel struct {
	id, typ, target string
}

// relType is the last segment of a relationship type URI, the same in the
// transitional and strict namespaces ("officeDocument", "worksheet", …).
func relType(t string) string {
	return t[strings.LastIndexByte(t, '/')+1:]
}

// resolve turns a relationship target into a part name, relative to the
// part the relationship belongs to.
func resolve(source, target string) string {
	if strings.HasPrefix(target, "/") {
		return path.Clean(target)[1:]
	}
	return path.Join(path.Dir(source), target)
}

// findPart returns the name of the part a target points at, trying the
// URL-decoded name too.
func (w *Workbook) findPart(source, target string) (string, bool) {
	name := resolve(source, target)
	if _, ok := w.files[normName(name)]; ok {
		return name, true
	}
	if u, err := url.PathUnescape(target); err == nil && u != target {
		name = resolve(source, u)
		if _, ok := w.files[normName(name)]; ok {
			return name, true
		}
	}
	return "", false
}

func relsPartOf(part string) string {
	return path.Join(path.Dir(part), "_rels", path.Base(part)+".rels")
}

func (w *Workbook) load(ctx context.Context) error {
	wbPart := ""
	rels, err := w.readRels("_rels/.rels", nil)
	if err != nil {
		return err
	}
	for _, r := range rels {
		if relType(r.typ) == "officeDocument" {
			if p, ok := w.findPart("", r.target); ok {
				wbPart = p
				break
			}
		}
	}
	if wbPart == "" {
		if _, ok := w.files["xl/workbook.xml"]; ok {
			wbPart = "xl/workbook.xml"
		}
	}
	if wbPart == "" {
		if _, ok := w.files["xl/workbook.bin"]; ok {
			return notWorkbook("it is a binary .xlsb workbook")
		}
		return notWorkbook("it has no workbook part")
	}
	if strings.HasSuffix(strings.ToLower(wbPart), ".bin") {
		return notWorkbook("it is a binary .xlsb workbook")
	}
	sheetRIDs, err := w.readWorkbook(wbPart)
	if err != nil {
		return err
	}
	need := make(map[string]bool, len(sheetRIDs))
	for _, id := range sheetRIDs {
		need[id] = true
	}
	rels, err = w.readRels(relsPartOf(wbPart), need)
	if err != nil {
		return err
	}
	byID := make(map[string]string, len(rels))
	var stylesPart, stringsPart string
	for _, r := range rels {
		p, ok := w.findPart(wbPart, r.target)
		switch relType(r.typ) {
		case "styles":
			if ok && stylesPart == "" {
				stylesPart = p
			}
		case "sharedStrings":
			if ok && stringsPart == "" {
				stringsPart = p
			}
		default:
			if ok && need[r.id] {
				byID[r.id] = p
			}
		}
	}
	for i, id := range sheetRIDs {
		p, ok := byID[id]
		if !ok {
			return notXLSX("the part of sheet %q is missing", w.sheets[i].Name)
		}
		w.sheets[i].part = p
	}
	if stylesPart != "" {
		if err := w.readStyles(stylesPart); err != nil {
			return err
		}
	}
	if stringsPart != "" {
		if err := w.readSharedStrings(ctx, stringsPart); err != nil {
			return err
		}
	}
	return nil
}

// scanPart runs fn over the tags of a part; missing parts are skipped.
// fn sees each start and end tag; it may read text or skip elements.
func (w *Workbook) scanPart(part string, fn func(sc *scanner, tok tokKind) error) (found bool, err error) {
	rc, ok, err := w.openPart(part)
	if err != nil || !ok {
		return ok, err
	}
	defer rc.Close()
	sc := newScanner(rc)
	if err := checkEncoding(sc); err != nil {
		return true, partError(part, err)
	}
	for {
		tok, err := sc.next()
		if err != nil {
			return true, partError(part, err)
		}
		if tok == tokEOF {
			return true, nil
		}
		if err := fn(sc, tok); err != nil {
			return true, partError(part, err)
		}
	}
}

// checkEncoding prepares sc for the encoding of its part. Parts are UTF-8,
// or UTF-16 (Excel Mobile writes them so, with a byte order mark and
// encoding="UTF-16"), which is decoded to UTF-8 as it is read; UTF-16
// without a mark is recognised by its "<?", as the XML specification
// says. Other encodings with zero bytes (UTF-32) are refused.
func checkEncoding(sc *scanner) error {
	if sc.ensure(4); sc.err != nil {
		return nil // reported by the first read of the scanner
	}
	b := sc.buf[sc.pos:sc.end]
	var enc encoding.Encoding
	switch {
	case bytes.HasPrefix(b, []byte("\xFF\xFE\x00\x00")): // UTF-32
		return syntaxError("the XML is in an encoding other than UTF-8 and UTF-16")
	case bytes.HasPrefix(b, []byte("\xFF\xFE")):
		enc = unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM)
	case bytes.HasPrefix(b, []byte("\xFE\xFF")):
		enc = unicode.UTF16(unicode.BigEndian, unicode.ExpectBOM)
	case bytes.HasPrefix(b, []byte("<\x00?\x00")):
		enc = unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM)
	case bytes.HasPrefix(b, []byte("\x00<\x00?")):
		enc = unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM)
	case len(b) >= 2 && (b[0] == 0 || b[1] == 0):
		return syntaxError("the XML is in an encoding other than UTF-8 and UTF-16")
	default:
		return nil
	}
	var rest io.Reader = bytes.NewReader(bytes.Clone(b))
	if !sc.eof {
		rest = io.MultiReader(rest, sc.rd)
	}
	sc.rd = transform.NewReader(rest, enc.NewDecoder())
	sc.pos, sc.end, sc.eof = 0, 0, false
	return nil
}

// partError wraps an error met while reading part.
func partError(part string, err error) error {
	if errors.Is(err, ErrTooLarge) || errors.Is(err, ErrNotXLSX) {
		return err
	}
	if errors.Is(err, errTextTooBig) {
		return tooLarge("the part %s holds a text that is too long", part)
	}
	return notXLSX("the part %s is damaged (%v)", part, err)
}

func (w *Workbook) readRels(part string, need map[string]bool) ([]rel, error) {
	var out []rel
	meta := 0
	_, err := w.scanPart(part, func(sc *scanner, tok tokKind) error {
		if tok != tokStart || string(sc.name) != "Relationship" {
			return nil
		}
		if mode, _ := attrString(sc.attrs, "TargetMode"); strings.EqualFold(mode, "External") {
			return nil
		}
		var r rel
		var err error
		if r.id, err = attrString(sc.attrs, "Id"); err != nil {
			return err
		}
		if r.typ, err = attrString(sc.attrs, "Type"); err != nil {
			return err
		}
		switch relType(r.typ) {
		case "officeDocument", "styles", "sharedStrings":
		default:
			if need == nil || !need[r.id] {
				return nil
			}
		}
		if r.target, err = attrString(sc.attrs, "Target"); err != nil {
			return err
		}
		if meta += len(r.id) + len(r.typ) + len(r.target); meta > maxMetaBytes || len(out) > 3*maxSheets {
			return tooLarge("the part %s lists too many relationships", part)
		}
		out = append(out, r)
		return nil
	})
	return out, err
}

// The spreadsheetml namespace, transitional and strict.
const (
	nsSpreadsheetML       = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
	nsSpreadsheetMLStrict = "http://purl.oclc.org/ooxml/spreadsheetml/main"
)

// inSpreadsheetML reports whether the start tag just read, a child of the
// root element whose attributes are rootAttrs, is in the spreadsheetml
// namespace. An element in no namespace at all counts, as everywhere else
// in this reader.
func inSpreadsheetML(sc *scanner, rootAttrs []byte) bool {
	prefix := prefixOf(sc.qname)
	uri, ok := nsDecl(sc.attrs, prefix)
	if !ok {
		uri, ok = nsDecl(rootAttrs, prefix)
	}
	if !ok {
		return len(prefix) == 0
	}
	return uri == nsSpreadsheetML || uri == nsSpreadsheetMLStrict
}

func (w *Workbook) readWorkbook(part string) (rids []string, err error) {
	inSheets := false
	meta := 0
	depth := 0 // elements open
	var rootAttrs []byte
	_, err = w.scanPart(part, func(sc *scanner, tok tokKind) error {
		level := depth // of the element whose tag was just read; the root's is 0
		if tok == tokEnd {
			depth--
			level = depth
		} else if !sc.self {
			depth++
		}
		if level == 0 && tok == tokStart {
			rootAttrs = append(rootAttrs[:0], sc.attrs...)
		}
		switch string(sc.name) {
		case "sheets":
			inSheets = tok == tokStart && !sc.self
		case "workbookPr":
			// Excel 2013 and later also write an x15:workbookPr (and Excel
			// 365 an x14:workbookPr) in the extLst, after the real one and
			// without date1904: only the workbook's own element counts.
			if tok == tokStart && level == 1 && inSpreadsheetML(sc, rootAttrs) {
				v, _ := attrString(sc.attrs, "date1904")
				w.date1904 = v == "1" || strings.EqualFold(v, "true")
			}
		case "sheet":
			if tok != tokStart || !inSheets {
				return nil
			}
			name, err := attrString(sc.attrs, "name")
			if err != nil {
				return err
			}
			state, _ := attrString(sc.attrs, "state")
			id, err := attrString(sc.attrs, "id") // r:id
			if err != nil {
				return err
			}
			if strings.TrimSpace(id) == "" {
				// An entry with no part (an old macro sheet, very hidden)
				// holds no data: it is left out, not an error.
				return nil
			}
			if len(w.sheets) >= maxSheets {
				return tooLarge("it has more than %s sheets", humanize.Comma(int64(maxSheets)))
			}
			if meta += len(name) + len(id); meta > maxMetaBytes {
				return tooLarge("its sheet names are too long")
			}
			w.sheets = append(w.sheets, sheetEntry{SheetInfo: SheetInfo{
				Name:   name,
				Hidden: state == "hidden" || state == "veryHidden",
			}})
			rids = append(rids, id)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return rids, nil
}

func (w *Workbook) readStyles(part string) error {
	custom := map[int]Format{}
	var xfNumFmt []int
	inNumFmts, inCellXfs := false, false
	_, err := w.scanPart(part, func(sc *scanner, tok tokKind) error {
		switch string(sc.name) {
		case "numFmts":
			inNumFmts = tok == tokStart && !sc.self
		case "cellXfs":
			inCellXfs = tok == tokStart && !sc.self
		case "numFmt":
			if tok != tokStart || !inNumFmts {
				return nil
			}
			id, ok := atoi(attrRaw(sc.attrs, "numFmtId"))
			if !ok {
				return nil
			}
			code, err := attrString(sc.attrs, "formatCode")
			if err != nil {
				return err
			}
			if len(custom) >= maxNumFmts {
				return tooLarge("its styles define more than %s number formats", humanize.Comma(int64(maxNumFmts)))
			}
			custom[id] = ClassifyFormat(code)
		case "xf":
			if tok != tokStart || !inCellXfs {
				return nil
			}
			if len(xfNumFmt) >= maxCellFormats {
				return tooLarge("its styles define more than %s cell formats", humanize.Comma(int64(maxCellFormats)))
			}
			id, ok := atoi(attrRaw(sc.attrs, "numFmtId"))
			if !ok {
				id = 0
			}
			xfNumFmt = append(xfNumFmt, id)
		}
		return nil
	})
	if err != nil {
		return err
	}
	w.formats = make([]Format, len(xfNumFmt))
	for i, id := range xfNumFmt {
		if f, ok := custom[id]; ok {
			w.formats[i] = f
		} else {
			w.formats[i] = builtinFormat(id)
		}
	}
	return nil
}

func attrRaw(a []byte, name string) []byte {
	v, _ := attr(a, name)
	return v
}

// atoi parses a non-negative decimal integer of at most 9 digits.
func atoi(b []byte) (int, bool) {
	b = trimSpace(b)
	if len(b) == 0 || len(b) > 9 {
		return 0, false
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t' || b[0] == '\n' || b[0] == '\r') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t' || b[len(b)-1] == '\n' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}

// sizeText writes a size in binary units as people read them: "1 GiB",
// "256 MiB", "1.5 KiB" (go-humanize writes "1.0 GiB").
func sizeText(n int64) string { return strings.Replace(humanize.IBytes(uint64(n)), ".0 ", " ", 1) }
