package xlsx

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"hash/crc32"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"github.com/xuri/excelize/v2"
)

// book builds a workbook with excelize and saves it in a temporary directory.
func book(t testing.TB, build func(f *excelize.File)) string {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	build(f)
	p := filepath.Join(t.TempDir(), "book.xlsx")
	if err := f.SaveAs(p); err != nil {
		t.Fatal(err)
	}
	return p
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// sheetResult is everything Rows gave for a sheet, copied.
type sheetResult struct {
	rows   []Row
	merged []Range
	err    error
}

func readSheet(t testing.TB, path, sheet string, lim Limits) sheetResult {
	t.Helper()
	wb, err := Open(path, lim)
	if err != nil {
		return sheetResult{err: err}
	}
	defer wb.Close()
	return readOpen(wb, sheet)
}

func readOpen(wb *Workbook, sheet string) sheetResult {
	rows, err := wb.Rows(sheet)
	if err != nil {
		return sheetResult{err: err}
	}
	defer rows.Close()
	var res sheetResult
	for rows.Next() {
		r := rows.Row()
		res.rows = append(res.rows, Row{Number: r.Number, Cells: slices.Clone(r.Cells)})
	}
	res.err = rows.Err()
	res.merged = rows.Merged()
	return res
}

// cell finds the cell at an A1 reference in the rows read.
func (s sheetResult) cell(ref string) (Cell, bool) {
	col, row, ok := parseRef([]byte(ref))
	if !ok {
		return Cell{}, false
	}
	for _, r := range s.rows {
		if r.Number != row {
			continue
		}
		for _, c := range r.Cells {
			if c.Col == col {
				return c, true
			}
		}
	}
	return Cell{}, false
}

// zipBytes builds a zip archive of the given parts (deflated, in name order).
func zipBytes(t testing.TB, parts map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, n := range slices.Sorted(maps.Keys(parts)) {
		w, err := zw.Create(n)
		must(t, err)
		_, err = w.Write([]byte(parts[n]))
		must(t, err)
	}
	must(t, zw.Close())
	return buf.Bytes()
}

func writeFile(t testing.TB, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "book.xlsx")
	must(t, os.WriteFile(p, data, 0o644))
	return p
}

const (
	xmlHead  = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n"
	nsMain   = `http://schemas.openxmlformats.org/spreadsheetml/2006/main`
	nsRel    = `http://schemas.openxmlformats.org/officeDocument/2006/relationships`
	relTypes = `http://schemas.openxmlformats.org/officeDocument/2006/relationships/`
)

// handParts is a minimal package with one sheet "Data" holding sheetXML,
// plus shared strings and styles when given.
func handParts(sheetXML, sst, styles string) map[string]string {
	p := map[string]string{
		"[Content_Types].xml": xmlHead + `<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/></Types>`,
		"_rels/.rels":         xmlHead + `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="` + relTypes + `officeDocument" Target="xl/workbook.xml"/></Relationships>`,
		"xl/workbook.xml":     xmlHead + `<workbook xmlns="` + nsMain + `" xmlns:r="` + nsRel + `"><sheets><sheet name="Data" sheetId="1" r:id="rId1"/></sheets></workbook>`,
		"xl/_rels/workbook.xml.rels": xmlHead + `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
			`<Relationship Id="rId1" Type="` + relTypes + `worksheet" Target="worksheets/sheet1.xml"/>` +
			`<Relationship Id="rId2" Type="` + relTypes + `sharedStrings" Target="sharedStrings.xml"/>` +
			`<Relationship Id="rId3" Type="` + relTypes + `styles" Target="styles.xml"/></Relationships>`,
		"xl/worksheets/sheet1.xml": sheetXML,
	}
	if sst != "" {
		p["xl/sharedStrings.xml"] = sst
	}
	if styles != "" {
		p["xl/styles.xml"] = styles
	}
	return p
}

// sheetXML wraps sheet data (the <row> elements) in a worksheet.
func sheetXML(rows string) string {
	return xmlHead + `<worksheet xmlns="` + nsMain + `"><sheetData>` + rows + `</sheetData></worksheet>`
}

// handBook writes a hand-built one-sheet workbook and returns its path.
func handBook(t testing.TB, sheet, sst, styles string) string {
	t.Helper()
	return writeFile(t, zipBytes(t, handParts(sheet, sst, styles)))
}

// lyingZipBytes is zipBytes whose directory declares every part to unpack
// to 1 KiB, whatever it really holds: the limits must then be enforced
// while unpacking, not from the directory.
func lyingZipBytes(t testing.TB, parts map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, n := range slices.Sorted(maps.Keys(parts)) {
		var packed bytes.Buffer
		fw, err := flate.NewWriter(&packed, flate.BestCompression)
		must(t, err)
		_, err = fw.Write([]byte(parts[n]))
		must(t, err)
		must(t, fw.Close())
		w, err := zw.CreateRaw(&zip.FileHeader{
			Name: n, Method: zip.Deflate, CRC32: crc32.ChecksumIEEE([]byte(parts[n])),
			CompressedSize64: uint64(packed.Len()), UncompressedSize64: min(1<<10, uint64(len(parts[n]))),
		})
		must(t, err)
		_, err = w.Write(packed.Bytes())
		must(t, err)
	}
	must(t, zw.Close())
	return buf.Bytes()
}

// excelizeRaw reads the non-empty cells of a sheet with excelize, as raw
// values by A1 reference.
func excelizeRaw(t testing.TB, path, sheet string) map[string]string {
	t.Helper()
	f, err := excelize.OpenFile(path)
	must(t, err)
	defer f.Close()
	rows, err := f.GetRows(sheet, excelize.Options{RawCellValue: true})
	must(t, err)
	out := map[string]string{}
	for i, row := range rows {
		for j, v := range row {
			if v != "" {
				out[ColumnName(j)+strconv.Itoa(i+1)] = v
			}
		}
	}
	return out
}

// ourRaw is excelizeRaw for the rows our reader gave: the value as written
// in the XML (booleans as 1 and 0, as excelize gives them raw).
func ourRaw(res sheetResult) map[string]string {
	out := map[string]string{}
	for _, r := range res.rows {
		for _, c := range r.Cells {
			v := c.Value
			if c.Type == TypeBool {
				v = map[string]string{"TRUE": "1", "FALSE": "0"}[v]
			}
			if v != "" {
				out[c.Ref(r.Number)] = v
			}
		}
	}
	return out
}

// sameAsExcelize checks that our reader and excelize see the same cells,
// with the same raw values, in a sheet.
func sameAsExcelize(t *testing.T, path, sheet string, res sheetResult) {
	t.Helper()
	want, got := excelizeRaw(t, path, sheet), ourRaw(res)
	if !maps.Equal(got, want) {
		t.Errorf("cells read differ from excelize's:\nours     %v\nexcelize %v", got, want)
	}
}
