// Package rawxlsx writes minimal .xlsx packages by hand, for tests that
// need what excelize will not write: a cell longer than Excel's 32,767
// characters (excelize cuts it), one shared string referenced by
// thousands of cells, a header row as wide as a sheet may be, or the
// _xHHHH_ escape of a control character.
package rawxlsx

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"fmt"
	"strconv"
)

// Book is a workbook: its sheets in tab order and its shared strings.
type Book struct {
	Sheets []Sheet
	Shared []string // the table that Shared cells index
}

// Sheet is one sheet; Rows[0] is Excel row 1 and each row starts in
// column A. A nil cell is left out.
type Sheet struct {
	Name string
	Rows [][]any
}

// Shared is a cell holding the shared string of that index.
type Shared int

// A string cell is written as an inline string, its text escaped for XML
// but otherwise as it is: "_x0000_" stays in the XML, for the reader to
// decode. An int or float64 is a number cell.

// Bytes is the book as an .xlsx package.
func (b Book) Bytes() ([]byte, error) {
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	put := func(name string, body []byte) error {
		w, err := zw.Create(name)
		if err != nil {
			return err
		}
		_, err = w.Write(body)
		return err
	}
	const head = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n"
	const main = `http://schemas.openxmlformats.org/spreadsheetml/2006/main`
	const rel = `http://schemas.openxmlformats.org/officeDocument/2006/relationships`
	const pkgRel = `http://schemas.openxmlformats.org/package/2006/relationships`

	var sheets, rels bytes.Buffer
	for i, sh := range b.Sheets {
		fmt.Fprintf(&sheets, `<sheet name="%s" sheetId="%d" r:id="rId%d"/>`, escape(sh.Name), i+1, i+1)
		fmt.Fprintf(&rels, `<Relationship Id="rId%d" Type="%s/worksheet" Target="worksheets/sheet%d.xml"/>`, i+1, rel, i+1)
		body, err := sheetXML(sh)
		if err != nil {
			return nil, fmt.Errorf("sheet %q: %w", sh.Name, err)
		}
		if err := put(fmt.Sprintf("xl/worksheets/sheet%d.xml", i+1), body); err != nil {
			return nil, err
		}
	}
	fmt.Fprintf(&rels, `<Relationship Id="rIdSST" Type="%s/sharedStrings" Target="sharedStrings.xml"/>`, rel)

	var sst bytes.Buffer
	fmt.Fprintf(&sst, `%s<sst xmlns="%s" count="%d" uniqueCount="%d">`, head, main, len(b.Shared), len(b.Shared))
	for _, s := range b.Shared {
		sst.WriteString(`<si><t xml:space="preserve">`)
		sst.WriteString(escape(s))
		sst.WriteString(`</t></si>`)
	}
	sst.WriteString(`</sst>`)

	parts := []struct {
		name string
		body []byte
	}{
		{"[Content_Types].xml", []byte(head + `<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
			`<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>` +
			`<Default Extension="xml" ContentType="application/xml"/>` +
			`<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/></Types>`)},
		{"_rels/.rels", []byte(head + `<Relationships xmlns="` + pkgRel + `"><Relationship Id="rId1" Type="` + rel + `/officeDocument" Target="xl/workbook.xml"/></Relationships>`)},
		{"xl/workbook.xml", []byte(head + `<workbook xmlns="` + main + `" xmlns:r="` + rel + `"><sheets>` + sheets.String() + `</sheets></workbook>`)},
		{"xl/_rels/workbook.xml.rels", []byte(head + `<Relationships xmlns="` + pkgRel + `">` + rels.String() + `</Relationships>`)},
		{"xl/sharedStrings.xml", sst.Bytes()},
	}
	for _, p := range parts {
		if err := put(p.name, p.body); err != nil {
			return nil, err
		}
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

func sheetXML(sh Sheet) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n")
	b.WriteString(`<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>`)
	for r, row := range sh.Rows {
		fmt.Fprintf(&b, `<row r="%d">`, r+1)
		for c, v := range row {
			ref := column(c) + strconv.Itoa(r+1)
			switch v := v.(type) {
			case nil:
			case Shared:
				fmt.Fprintf(&b, `<c r="%s" t="s"><v>%d</v></c>`, ref, int(v))
			case string:
				fmt.Fprintf(&b, `<c r="%s" t="inlineStr"><is><t xml:space="preserve">%s</t></is></c>`, ref, escape(v))
			case int:
				fmt.Fprintf(&b, `<c r="%s"><v>%d</v></c>`, ref, v)
			case float64:
				fmt.Fprintf(&b, `<c r="%s"><v>%s</v></c>`, ref, strconv.FormatFloat(v, 'g', -1, 64))
			default:
				return nil, fmt.Errorf("cell %s: unsupported %T", ref, v)
			}
		}
		b.WriteString(`</row>`)
	}
	b.WriteString(`</sheetData></worksheet>`)
	return b.Bytes(), nil
}

// column is the letters of a 0-based column index: 0 is A, 26 is AA.
func column(c int) string {
	var s []byte
	for c++; c > 0; c = (c - 1) / 26 {
		s = append([]byte{byte('A' + (c-1)%26)}, s...)
	}
	return string(s)
}

func escape(s string) string {
	var b bytes.Buffer
	xml.EscapeText(&b, []byte(s)) // writes to a buffer: cannot fail
	return b.String()
}
