package workbooks

import (
	"archive/zip"
	"bufio"
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
)

// Excel keeps the text of a workbook in one shared-strings table, each
// distinct text once, and its cells point into it (t="s"); excelize's
// StreamWriter writes every text inline in its cell instead. A reader
// holds the whole table in memory, so a sample that measures a reader as
// users' workbooks test it must have one: toSharedStrings makes it, from
// the workbook as excelize wrote it, one part at a time.

const (
	sstPart        = "xl/sharedStrings.xml"
	sstContentType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
	sstRelType     = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"
)

// toSharedStrings copies the workbook in src (as book.writeTo writes it)
// to w with the text of its worksheets' cells moved to a shared-strings
// table, in the order Excel puts it there: as first met, sheet by sheet.
// The table's entries go to a temporary file as they are found; memory
// holds each distinct text once, to tell a text already met
// (sharedStrings).
func toSharedStrings(w io.Writer, src *os.File) error {
	info, err := src.Stat()
	if err != nil {
		return err
	}
	zr, err := zip.NewReader(src, info.Size())
	if err != nil {
		return err
	}
	entries, err := os.CreateTemp("", "roster-sst-*.xml")
	if err != nil {
		return err
	}
	defer os.Remove(entries.Name())
	defer entries.Close()
	sst := newSharedStrings(entries)

	// The texts are numbered in the order of the sheets, as Excel does,
	// whatever the order of the parts in the zip (excelize's varies), so
	// that the same sample has the same table.
	files := slices.Clone(zr.File)
	slices.SortStableFunc(files, func(a, b *zip.File) int { return cmp.Compare(sheetNumber(a.Name), sheetNumber(b.Name)) })
	zw := zip.NewWriter(w)
	for _, f := range files {
		switch {
		case f.Name == sstPart:
			return errors.New("the workbook has shared strings already")
		case sheetNumber(f.Name) > 0:
			err = rewritePart(zw, f, sst.rewriteSheet)
		case f.Name == "[Content_Types].xml":
			err = rewritePart(zw, f, insertBefore("</Types>", `<Override PartName="/`+sstPart+`" ContentType="`+sstContentType+`"/>`))
		case f.Name == "xl/_rels/workbook.xml.rels":
			err = rewritePart(zw, f, addSSTRelationship)
		default:
			err = zw.Copy(f)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", f.Name, err)
		}
	}
	if err := sst.writePart(zw); err != nil {
		return fmt.Errorf("%s: %w", sstPart, err)
	}
	return zw.Close()
}

// sheetNumber is N for the part of a worksheet, xl/worksheets/sheetN.xml
// (the Nth sheet of a workbook excelize wrote), and 0 for another part.
func sheetNumber(part string) int {
	rest, ok := strings.CutPrefix(part, "xl/worksheets/sheet")
	if !ok {
		return 0
	}
	rest, ok = strings.CutSuffix(rest, ".xml")
	n, err := strconv.Atoi(rest)
	if !ok || err != nil || n < 1 {
		return 0
	}
	return n
}

// rewritePart writes a part of the same name, made by edit from the
// original part's XML.
func rewritePart(zw *zip.Writer, f *zip.File, edit func(*bufio.Writer, *bufio.Reader) error) error {
	rc, err := f.Open()
	if err != nil {
		return err
	}
	defer rc.Close()
	out, err := zw.CreateHeader(&zip.FileHeader{Name: f.Name, Method: zip.Deflate})
	if err != nil {
		return err
	}
	dst := bufio.NewWriterSize(out, 64<<10)
	if err := edit(dst, bufio.NewReaderSize(rc, 64<<10)); err != nil {
		return err
	}
	return dst.Flush()
}

// insertBefore edits a small part by putting text before its closing tag.
func insertBefore(closing, text string) func(*bufio.Writer, *bufio.Reader) error {
	return func(dst *bufio.Writer, src *bufio.Reader) error {
		xml, err := io.ReadAll(src)
		if err != nil {
			return err
		}
		at := bytes.LastIndex(xml, []byte(closing))
		if at < 0 {
			return fmt.Errorf("no %s", closing)
		}
		dst.Write(xml[:at])
		dst.WriteString(text)
		_, err = dst.Write(xml[at:])
		return err
	}
}

// addSSTRelationship relates the workbook to its table, under an Id its
// other relationships do not use.
func addSSTRelationship(dst *bufio.Writer, src *bufio.Reader) error {
	xml, err := io.ReadAll(src)
	if err != nil {
		return err
	}
	id := 1
	for bytes.Contains(xml, []byte(`Id="rId`+strconv.Itoa(id)+`"`)) {
		id++
	}
	rel := `<Relationship Id="rId` + strconv.Itoa(id) + `" Type="` + sstRelType + `" Target="sharedStrings.xml"/>`
	return insertBefore("</Relationships>", rel)(dst, bufio.NewReader(bytes.NewReader(xml)))
}

// sharedStrings is the table being made. The text of each entry is kept
// once, in one growing buffer, and found again by its hash; nothing holds
// a pointer per text, so the collector does not walk millions of them.
type sharedStrings struct {
	file    *os.File      // the table's <si> elements, in order
	entries *bufio.Writer // writing to file
	seed    maphash.Seed
	first   map[uint64]uint32   // hash of a text → its first entry with that hash
	more    map[uint64][]uint32 // the other entries with the same hash, if any
	text    []byte              // every entry's text, one after the other
	ends    []uint32            // where each entry's text ends in text
	count   int                 // cells pointing into the table
}

func newSharedStrings(file *os.File) *sharedStrings {
	return &sharedStrings{
		file:    file,
		entries: bufio.NewWriterSize(file, 64<<10),
		seed:    maphash.MakeSeed(),
		first:   map[uint64]uint32{},
		more:    map[uint64][]uint32{},
	}
}

func (t *sharedStrings) textOf(i uint32) []byte {
	start := uint32(0)
	if i > 0 {
		start = t.ends[i-1]
	}
	return t.text[start:t.ends[i]]
}

// index is the entry of an escaped text (with the attributes of its <t>,
// which follow from the text), added when the text is new.
func (t *sharedStrings) index(attrs, text []byte) (uint32, error) {
	var key []byte
	if len(attrs) == 0 {
		key = text
	} else {
		key = append(append(append([]byte(nil), attrs...), '>'), text...)
	}
	h := maphash.Bytes(t.seed, key)
	if i, ok := t.first[h]; ok {
		if bytes.Equal(t.textOf(i), key) {
			return i, nil
		}
		for _, j := range t.more[h] {
			if bytes.Equal(t.textOf(j), key) {
				return j, nil
			}
		}
	}
	n := len(t.ends)
	if uint64(len(t.text))+uint64(len(key)) > 1<<32-1 || n == 1<<32-1 {
		return 0, errors.New("too much text for one shared-strings table")
	}
	i := uint32(n)
	if _, ok := t.first[h]; ok {
		t.more[h] = append(t.more[h], i)
	} else {
		t.first[h] = i
	}
	t.text = append(t.text, key...)
	t.ends = append(t.ends, uint32(len(t.text)))
	t.entries.WriteString("<si><t")
	t.entries.Write(attrs)
	t.entries.WriteByte('>')
	t.entries.Write(text)
	_, err := t.entries.WriteString("</t></si>")
	return i, err
}

// The cell markup excelize's StreamWriter writes for a text: the cell's
// start tag ends with inlineCell, then comes <is><t…>TEXT</t></is>. Its
// text is escaped, so ">" in it is markup.
const inlineCell = ` t="inlineStr">`

// rewriteSheet copies a worksheet's XML, making each inline text cell a
// shared-string cell. It reads the XML a tag at a time: each piece it
// reads ends with a ">".
func (t *sharedStrings) rewriteSheet(dst *bufio.Writer, src *bufio.Reader) error {
	var long []byte
	next := func() ([]byte, error) {
		b, err := src.ReadSlice('>')
		if err != bufio.ErrBufferFull {
			return b, err
		}
		long = append(long[:0], b...)
		for err == bufio.ErrBufferFull {
			b, err = src.ReadSlice('>')
			long = append(long, b...)
		}
		return long, err
	}
	expect := func(want string) error {
		b, err := next()
		if err != nil {
			return err
		}
		if string(b) != want {
			return fmt.Errorf("%q where an inline string has %q", b, want)
		}
		return nil
	}
	var attrs []byte
	for {
		b, err := next()
		if err == io.EOF {
			_, err = dst.Write(b)
			return err
		}
		if err != nil {
			return err
		}
		if !bytes.HasSuffix(b, []byte(inlineCell)) {
			dst.Write(b)
			continue
		}
		dst.Write(b[:len(b)-len(inlineCell)])
		if err := expect("<is>"); err != nil {
			return err
		}
		if b, err = next(); err != nil {
			return err
		}
		if !bytes.HasPrefix(b, []byte("<t")) {
			return fmt.Errorf("%q where an inline string has <t>", b)
		}
		attrs = append(attrs[:0], b[2:len(b)-1]...)
		if b, err = next(); err != nil {
			return err
		}
		text, ok := bytes.CutSuffix(b, []byte("</t>"))
		if !ok || bytes.IndexByte(text, '<') >= 0 {
			return fmt.Errorf("%q where an inline string has its text", b)
		}
		i, err := t.index(attrs, text)
		if err != nil {
			return err
		}
		t.count++
		if err := expect("</is>"); err != nil {
			return err
		}
		dst.WriteString(` t="s"><v>`)
		dst.WriteString(strconv.FormatUint(uint64(i), 10))
		dst.WriteString(`</v>`)
	}
}

// writePart adds the table: its entries, read back from their file.
func (t *sharedStrings) writePart(zw *zip.Writer) error {
	if err := t.entries.Flush(); err != nil {
		return err
	}
	if _, err := t.file.Seek(0, io.SeekStart); err != nil {
		return err
	}
	out, err := zw.CreateHeader(&zip.FileHeader{Name: sstPart, Method: zip.Deflate})
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(out, `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>`+"\n"+
		`<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="%d" uniqueCount="%d">`, t.count, len(t.ends))
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, t.file); err != nil {
		return err
	}
	_, err = io.WriteString(out, "</sst>")
	return err
}
