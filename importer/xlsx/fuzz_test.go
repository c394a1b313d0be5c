package xlsx

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
)

func FuzzText(f *testing.F) {
	f.Add("007", uint8(TypeText), uint8(FormatGeneral), 0)
	f.Add("123456789012345", uint8(TypeNumber), uint8(FormatGeneral), 0)
	f.Add("1.23E+15", uint8(TypeNumber), uint8(FormatGeneral), 0)
	f.Add("7", uint8(TypeNumber), uint8(FormatPadded), 3)
	f.Add("-7.5", uint8(TypeNumber), uint8(FormatPadded), 1<<30)
	f.Add("1e308", uint8(TypeNumber), uint8(FormatPadded), -4)
	f.Add("#N/A", uint8(TypeError), uint8(FormatGeneral), 0)
	f.Add("", uint8(TypeNoValue), uint8(FormatGeneral), 0)
	f.Add("0x1p-2", uint8(TypeNumber), uint8(FormatOther), 0)
	f.Fuzz(func(t *testing.T, v string, typ, kind uint8, width int) {
		c := Cell{Type: CellType(typ % 6), Value: v, Format: Format{Kind: FormatKind(kind % 7), Width: width}}
		s, err := Text(c)
		if err == nil && c.Type == TypeNumber && c.Format.Kind != FormatPadded {
			if _, perr := strconv.ParseFloat(s, 64); perr != nil {
				t.Errorf("Text(%+v) = %q, not a number", c, s)
			}
		}
	})
}

func FuzzDate(f *testing.F) {
	f.Add("45382", uint8(TypeNumber), uint8(FormatDate), false)
	f.Add("0", uint8(TypeNumber), uint8(FormatDate), true)
	f.Add("2958465.9999999", uint8(TypeNumber), uint8(FormatDateTime), false)
	f.Add("2024-03-31", uint8(TypeText), uint8(FormatGeneral), false)
	f.Add("31/03/2024", uint8(TypeText), uint8(FormatGeneral), false)
	f.Add("-1e300", uint8(TypeNumber), uint8(FormatDate), false)
	f.Fuzz(func(t *testing.T, v string, typ, kind uint8, date1904 bool) {
		c := Cell{Type: CellType(typ % 6), Value: v, Format: Format{Kind: FormatKind(kind % 7)}}
		d, err := Date(c, date1904)
		if err == nil && (d.Year() < 1900 || d.Year() > 9999 || d.Hour() != 0) {
			t.Errorf("Date(%+v) = %v", c, d)
		}
	})
}

func FuzzTime(f *testing.F) {
	f.Add("0.375", uint8(TypeNumber), uint8(FormatTime))
	f.Add("45382.75", uint8(TypeNumber), uint8(FormatDateTime))
	f.Add("09:30", uint8(TypeText), uint8(FormatGeneral))
	f.Add("7:5", uint8(TypeText), uint8(FormatGeneral))
	f.Add("1e20", uint8(TypeNumber), uint8(FormatTime))
	f.Add("0.56249999999999", uint8(TypeNumber), uint8(FormatTime))
	f.Add("45382.5631365740740741", uint8(TypeNumber), uint8(FormatDateTime))
	f.Fuzz(func(t *testing.T, v string, typ, kind uint8) {
		c := Cell{Type: CellType(typ % 6), Value: v, Format: Format{Kind: FormatKind(kind % 7)}}
		h, m, err := Time(c)
		if err == nil && (h < 0 || h > 23 || m < 0 || m > 59) {
			t.Errorf("Time(%+v) = %d:%d", c, h, m)
		}
	})
}

func FuzzClassifyFormat(f *testing.F) {
	for _, s := range []string{"General", "000", "@", "yyyy-mm-dd", `[$-409]h:mm AM/PM;@`, `"a\"b`, `[`, `\`, `0.0E+0`, `[h]:mm:ss`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, code string) {
		if k := ClassifyFormat(code).Kind; k > FormatOther {
			t.Errorf("ClassifyFormat(%q) kind %d", code, k)
		}
	})
}

func FuzzRows(f *testing.F) {
	seeds := []string{
		sheetXML(`<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" s="1"><v>45382</v></c><c r="C1" t="inlineStr"><is><r><t>a</t></r><r><t>b</t></r></is></c></row>`),
		sheetXML(`<row><c><v>1</v></c><c t="b"><v>1</v></c><c t="e"><v>#N/A</v></c><c><f>1+1</f></c></row><row r="9"/>`),
		xmlHead + `<x:worksheet xmlns:x="` + nsMain + `"><x:sheetData><x:row r="2"><x:c r="B2" t="str"><x:f>A</x:f><x:v>&amp;&#65;&#x42;_x000D_</x:v></x:c></x:row></x:sheetData><x:mergeCells><x:mergeCell ref="A1:B2"/></x:mergeCells></x:worksheet>`,
		sheetXML(`<row r="1"><c r="A1" t="d"><v>2024-03-31T10:00:00</v></c><c r="B1" t="inlineStr"><is><t><![CDATA[x<y]]></t></is></c></row>`),
		sheetXML(`<row r="2"/><row r="1"/>`),
		sheetXML(`<row r="1"><c r="XFE1"/></row>`),
		sheetXML(`<row r="1"><c r="A1" t="d"><v>PT0H11M0.000S</v></c><c r="B1" t="d"><v>1900-02-28</v></c><c r="C1" t="d" s="1"><v>-P1DT2H</v></c></row>`) + `<mergeCells><mergeCell ref="A:B"/><mergeCell ref="3:5"/></mergeCells>`,
		strings.Replace(sheetXML(`<row r="1"/>`), `</sheetData>`, `</sheetData><controls><control><anchor><from><xdr:row>3</xdr:row></from></anchor></control></controls>`, 1),
		utf16Part(sheetXML(`<row r="1"><c r="A1" t="inlineStr"><is><t>Zoë 😀</t></is></c></row>`), false, true),
		xmlHead + `<worksheet><sheetData><row r="1"><c r="A1"><v>`,
		"<!DOCTYPE x>",
		"",
	}
	for _, s := range seeds {
		f.Add([]byte(s), []byte(`<sst><si><t>zero</t></si><si><r><t>o</t></r><rPh><t>p</t></rPh></si></sst>`))
	}
	f.Fuzz(func(t *testing.T, sheet, sst []byte) {
		data := zipBytes(t, handParts(string(sheet), string(sst), `<styleSheet><cellXfs><xf numFmtId="0"/><xf numFmtId="14"/></cellXfs></styleSheet>`))
		lim := Limits{MaxUnpacked: 1 << 20, MaxRows: 1000, MaxCols: 100}
		wb, err := OpenReaderAt(bytes.NewReader(data), int64(len(data)), lim)
		if err != nil {
			if !errors.Is(err, ErrNotXLSX) && !errors.Is(err, ErrTooLarge) {
				t.Fatalf("Open error %v wraps neither ErrNotXLSX nor ErrTooLarge", err)
			}
			return
		}
		defer wb.Close()
		count, cerr := wb.CountRows("Data")
		rows, err := wb.Rows("Data")
		if err != nil {
			if !errors.Is(err, ErrNotXLSX) && !errors.Is(err, ErrTooLarge) {
				t.Fatalf("Rows error %v wraps neither ErrNotXLSX nor ErrTooLarge", err)
			}
			return
		}
		defer rows.Close()
		n, last := 0, 0
		for rows.Next() {
			r := rows.Row()
			if r.Number <= last || r.Number > lim.MaxRows {
				t.Fatalf("row %d after %d", r.Number, last)
			}
			last = r.Number
			prev := -1
			for _, c := range r.Cells {
				if c.Col <= prev || c.Col >= lim.MaxCols || c.Type == TypeBlank {
					t.Fatalf("bad cell %+v after column %d", c, prev)
				}
				prev = c.Col
				_, _ = Text(c)
				_, _ = Date(c, wb.Date1904())
				_, _, _ = Time(c)
			}
			n++
		}
		if err := rows.Err(); err != nil {
			if !errors.Is(err, ErrNotXLSX) && !errors.Is(err, ErrTooLarge) {
				t.Fatalf("Rows error %v wraps neither ErrNotXLSX nor ErrTooLarge", err)
			}
			return
		}
		for _, m := range rows.Merged() {
			if m.FirstRow > m.LastRow || m.FirstCol > m.LastCol {
				t.Fatalf("bad merged range %+v", m)
			}
		}
		if cerr == nil && count < n {
			t.Fatalf("CountRows = %d but Rows gave %d", count, n)
		}
	})
}

// FuzzSheetXML feeds sheet XML straight to the row reader, once in one
// piece and once a byte at a time (so every token straddles a buffer
// refill): both must give the same rows, merged ranges and error.
func FuzzSheetXML(f *testing.F) {
	for _, s := range []string{
		sheetXML(`<row r="1"><c r="A1" t="s"><v>1</v></c><c r="B1" s="1"><v> 45382 </v></c><c r="C1" t="inlineStr"><is><r><t xml:space="preserve"> a&amp;</t></r><rPh><t>x</t></rPh><r><t>b&#x41;_x000D_</t></r></is></c></row>`),
		sheetXML(`<row><c><v>1</v></c><c t="b"><v>1</v></c><c t="e"><v>#N/A</v></c><c><f>1+1</f></c></row><row r="9"/>`),
		xmlHead + `<x:worksheet xmlns:x="` + nsMain + `"><x:sheetData><x:row r="2"><x:c r="B2" t="str"><x:f>A</x:f><x:v>&lt;&#65;</x:v></x:c></x:row></x:sheetData><x:mergeCells><x:mergeCell ref="A1:B2"/></x:mergeCells></x:worksheet>`,
		sheetXML(`<row r="1"><c r="A1" t="d"><v>2024-03-31T10:00:00</v></c><c r="B1" t="inlineStr"><is><t>1<![CDATA[x<y]]>2<!-- c -->3<?pi?>4` + "\r\n" + `</t></is></c></row>`),
		sheetXML(`<row r='1' ><c r = 'A1' t = "inlineStr"><is><t>q</t></is></c></row>`),
		sheetXML(`<row r="1"><c r="A1" x="a>b"><v>1</v></c></row>`),
		sheetXML(`<row r="1"><c r="A1" t="d"><v>PT13H30M55S</v></c><c r="B1" t="d"><v>1899-12-31T13:30:00</v></c><c r="C1" t="d"><v>P0Y0M1W</v></c></row>`) + `<mergeCells><mergeCell ref="C:C"/><mergeCell ref="2:2"/></mergeCells>`,
		strings.Replace(sheetXML(`<row r="1"/>`), `</sheetData>`, `</sheetData><drawing/><xdr:row>1</xdr:row>`, 1),
		utf16Part(sheetXML(`<row r="1"><c r="A1" t="s"><v>1</v></c></row>`), true, false),
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, sheet []byte) {
		wb := &Workbook{lim: Limits{MaxUnpacked: 1 << 20, MaxRows: 1000, MaxCols: 100}.withDefaults(),
			formats: []Format{{}, {Kind: FormatDate}}}
		wb.strs.add("zero")
		wb.strs.add("one")
		whole := readXML(wb, io.NopCloser(bytes.NewReader(sheet)))
		bytewise := readXML(wb, io.NopCloser(iotest.OneByteReader(bytes.NewReader(sheet))))
		if !reflect.DeepEqual(whole, bytewise) {
			t.Fatalf("reading in one piece gave\n%+v\nreading bytewise gave\n%+v", whole, bytewise)
		}
		n1, err1 := countXML(bytes.NewReader(sheet))
		n2, err2 := countXML(iotest.OneByteReader(bytes.NewReader(sheet)))
		if n1 != n2 || fmt.Sprint(err1) != fmt.Sprint(err2) {
			t.Fatalf("CountRows %d %v, bytewise %d %v", n1, err1, n2, err2)
		}
		if whole.Err == "" && err1 == nil && n1 < len(whole.Rows) {
			t.Fatalf("CountRows %d < %d rows", n1, len(whole.Rows))
		}
	})
}

// countXML is CountRows on sheet XML.
func countXML(r io.Reader) (int, error) {
	sc := newScanner(r)
	if err := checkEncoding(sc); err != nil {
		return 0, err
	}
	return countRows(sc)
}

type xmlResult struct {
	Rows   []Row
	Merged []Range
	Err    string
}

func readXML(wb *Workbook, rc io.ReadCloser) xmlResult {
	var res xmlResult
	rows, err := wb.newRows("Data", rc)
	if err != nil {
		res.Err = err.Error()
		return res
	}
	defer rows.Close()
	for rows.Next() {
		r := rows.Row()
		res.Rows = append(res.Rows, Row{Number: r.Number, Cells: slices.Clone(r.Cells)})
	}
	if err := rows.Err(); err != nil {
		res.Err = err.Error()
	}
	res.Merged = rows.Merged()
	return res
}
