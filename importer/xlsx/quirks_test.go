package xlsx

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/xuri/excelize/v2"
)

// Quirks of workbooks written by real programs, each with a hand-made
// minimal fixture and, where excelize reads it, a comparison with excelize.

const (
	nsX14 = `http://schemas.microsoft.com/office/spreadsheetml/2009/9/main`
	nsX15 = `http://schemas.microsoft.com/office/spreadsheetml/2010/11/main`
	nsMC  = `http://schemas.openxmlformats.org/markup-compatibility/2006`
)

// dateStyles gives style 1 the format yyyy-mm-dd and style 2 the format
// h:mm, so that excelize shows the dates and times it reads.
const dateStyles = xmlHead + `<styleSheet xmlns="` + nsMain + `"><numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/><numFmt numFmtId="165" formatCode="h:mm"/></numFmts>` +
	`<cellXfs count="3"><xf numFmtId="0"/><xf numFmtId="164" applyNumberFormat="1"/><xf numFmtId="165" applyNumberFormat="1"/></cellXfs></styleSheet>`

// excelizeShows is the formatted value excelize shows for a cell.
func excelizeShows(t *testing.T, path, sheet, ref string) string {
	t.Helper()
	f, err := excelize.OpenFile(path)
	must(t, err)
	defer f.Close()
	v, err := f.GetCellValue(sheet, ref)
	must(t, err)
	return v
}

func TestExtensionWorkbookPrDoesNotResetThe1904DateSystem(t *testing.T) {
	tests := []struct {
		name, workbook string
		want1904       bool
		wantDate       time.Time
	}{
		{
			name: "Excel 2013's x15:workbookPr in extLst keeps the 1904 flag of the real workbookPr",
			workbook: `<workbook xmlns="` + nsMain + `" xmlns:r="` + nsRel + `" xmlns:mc="` + nsMC + `" mc:Ignorable="x15" xmlns:x15="` + nsX15 + `">` +
				`<fileVersion appName="xl" lastEdited="6" lowestEdited="6" rupBuild="14420"/><workbookPr date1904="1" defaultThemeVersion="164011"/>` +
				`<bookViews><workbookView xWindow="0" yWindow="0" windowWidth="28800" windowHeight="12300"/></bookViews>` +
				`<sheets><sheet name="Data" sheetId="1" r:id="rId1"/></sheets><calcPr calcId="162913"/>` +
				`<extLst><ext uri="{140A7094-0E35-4892-8432-C4D2E57EDEB5}" xmlns:x15="` + nsX15 + `"><x15:workbookPr chartTrackingRefBase="1"/></ext></extLst></workbook>`,
			want1904: true, wantDate: time.Date(2021, 9, 23, 0, 0, 0, 0, time.UTC),
		},
		{
			name: "Excel 365's x14:workbookPr and x15:workbookPr keep the 1904 flag",
			workbook: `<workbook xmlns="` + nsMain + `" xmlns:r="` + nsRel + `" xmlns:mc="` + nsMC + `" mc:Ignorable="x15 x14" xmlns:x15="` + nsX15 + `" xmlns:x14="` + nsX14 + `">` +
				`<workbookPr date1904="true"/><sheets><sheet name="Data" sheetId="1" r:id="rId1"/></sheets>` +
				`<extLst><ext uri="{79F54976-1DA5-4618-B147-4CDE4B953A38}"><x14:workbookPr defaultImageDpi="330"/></ext>` +
				`<ext uri="{140A7094-0E35-4892-8432-C4D2E57EDEB5}"><x15:workbookPr chartTrackingRefBase="1"/></ext></extLst></workbook>`,
			want1904: true, wantDate: time.Date(2021, 9, 23, 0, 0, 0, 0, time.UTC),
		},
		{
			name: "an extension workbookPr claiming 1904 does not make a 1900 workbook 1904",
			workbook: `<workbook xmlns="` + nsMain + `" xmlns:r="` + nsRel + `" xmlns:x15="` + nsX15 + `"><workbookPr defaultThemeVersion="164011"/>` +
				`<sheets><sheet name="Data" sheetId="1" r:id="rId1"/></sheets>` +
				`<extLst><ext uri="{140A7094-0E35-4892-8432-C4D2E57EDEB5}"><x15:workbookPr date1904="1"/></ext></extLst></workbook>`,
			want1904: false, wantDate: time.Date(2017, 9, 22, 0, 0, 0, 0, time.UTC),
		},
		{
			name: "a prefixed workbookPr in the spreadsheetml namespace counts",
			workbook: `<x:workbook xmlns:x="` + nsMain + `" xmlns:r="` + nsRel + `" xmlns:x15="` + nsX15 + `"><x:workbookPr date1904="1"/>` +
				`<x:sheets><x:sheet name="Data" sheetId="1" r:id="rId1"/></x:sheets>` +
				`<x:extLst><x:ext uri="{140A7094-0E35-4892-8432-C4D2E57EDEB5}"><x15:workbookPr chartTrackingRefBase="1"/></x:ext></x:extLst></x:workbook>`,
			want1904: true, wantDate: time.Date(2021, 9, 23, 0, 0, 0, 0, time.UTC),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := handParts(sheetXML(`<row r="1"><c r="A1" s="1"><v>43000</v></c></row>`), "", dateStyles)
			p["xl/workbook.xml"] = xmlHead + tt.workbook
			path := writeFile(t, zipBytes(t, p))
			wb, err := Open(path, DefaultLimits)
			must(t, err)
			defer wb.Close()
			if wb.Date1904() != tt.want1904 {
				t.Errorf("Date1904() = %v, want %v", wb.Date1904(), tt.want1904)
			}
			res := readOpen(wb, "Data")
			must(t, res.err)
			c, _ := res.cell("A1")
			d, err := Date(c, wb.Date1904())
			must(t, err)
			if !d.Equal(tt.wantDate) {
				t.Errorf("serial 43000 = %v, want %v", d.Format(time.DateOnly), tt.wantDate.Format(time.DateOnly))
			}
			if ex := excelizeShows(t, path, "Data", "A1"); ex != d.Format(time.DateOnly) {
				t.Errorf("we read %s, excelize shows %s", d.Format(time.DateOnly), ex)
			}
			sameAsExcelize(t, path, "Data", res)
		})
	}
}

func TestASheetEntryWithoutAPartIsNotListed(t *testing.T) {
	tests := []struct{ name, sheets string }{
		{"an old macro sheet without r:id, very hidden", `<sheet name="Data" sheetId="1" r:id="rId1"/><sheet name="Macro1" sheetId="2" state="veryHidden"/>`},
		{"an entry without r:id before the data sheet", `<sheet name="Macro1" sheetId="2" state="veryHidden"/><sheet name="Data" sheetId="1" r:id="rId1"/>`},
		{"an entry with an empty r:id", `<sheet name="Macro1" sheetId="2" r:id=""/><sheet name="Data" sheetId="1" r:id="rId1"/>`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := handParts(sheetXML(`<row r="1"><c r="A1" t="inlineStr"><is><t>Code</t></is></c></row><row r="2"><c r="A2"><v>7</v></c></row>`), "", "")
			p["xl/workbook.xml"] = xmlHead + `<workbook xmlns="` + nsMain + `" xmlns:r="` + nsRel + `"><sheets>` + tt.sheets + `</sheets></workbook>`
			path := writeFile(t, zipBytes(t, p))
			wb, err := Open(path, DefaultLimits)
			must(t, err)
			defer wb.Close()
			if got := fmt.Sprint(wb.Sheets()); got != "[{Data false}]" {
				t.Errorf("Sheets() = %s, want only Data", got)
			}
			if _, err := wb.Rows("Macro1"); !errors.Is(err, ErrNoSheet) {
				t.Errorf("Rows(Macro1) error = %v, want ErrNoSheet", err)
			}
			res := readOpen(wb, "Data")
			must(t, res.err)
			sameAsExcelize(t, path, "Data", res)
		})
	}
}

func TestISOCellsMeanWhatTheirSerialWould(t *testing.T) {
	day := func(y int, m time.Month, d int) string {
		return time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Format(time.DateOnly)
	}
	tests := []struct {
		name, v  string
		style    int // 1 yyyy-mm-dd, 2 h:mm
		date1904 bool
		serial   string
		date     string // as Date gives it, or ""
		clock    string // as Time gives it, or ""
	}{
		{"1900-01-01 is serial 1", "1900-01-01T00:00:00Z", 1, false, "1", day(1900, 1, 1), ""},
		{"1900-02-28 is serial 59, before Excel's phantom 1900-02-29", "1900-02-28T00:00:00Z", 1, false, "59", day(1900, 2, 28), ""},
		{"1900-03-01 is serial 61, after it", "1900-03-01T00:00:00Z", 1, false, "61", day(1900, 3, 1), ""},
		{"a date without a time before March 1900 is a day early no more", "1900-02-10", 1, false, "41", day(1900, 2, 10), ""},
		{"a date and time before March 1900 keeps both", "1900-01-02T06:00:00Z", 1, false, "2.25", day(1900, 1, 2), ""},
		{"a date in 2024 is its serial", "2024-03-31T00:00:00Z", 1, false, "45382", day(2024, 3, 31), ""},
		{"Excel's last day is its serial, beyond the 292 years a time.Duration spans", "9999-12-31T00:00:00Z", 1, false, "2958465", day(9999, 12, 31), ""},
		{"milliseconds are kept", "2024-03-31T13:30:00.250", 2, false, "45382.56250289352", "", "13:30"},
		{"1899-12-31 with a time is serial 0 and a time of day", "1899-12-31T13:30:00", 2, false, "0.5625", "", "13:30"},
		{"1899-12-30 with a time is a time of day too", "1899-12-30T09:15:00", 2, false, "0.3854166666666667", "", "09:15"},
		{"a 1904 workbook counts from 1904-01-01", "1904-01-02T00:00:00Z", 1, true, "1", day(1904, 1, 2), ""},
		{"a 1904 workbook has no phantom day", "1904-02-10", 1, true, "40", day(1904, 2, 10), ""},
		{"a duration of 11 minutes, as Excel Strict writes it, is 00:11", "PT0H11M0.000S", 2, false, "0.007638888888888889", "", "00:11"},
		{"a duration in hours and minutes is a time of day", "PT9H30M", 2, false, "0.3958333333333333", "", "09:30"},
		{"a duration over a day gives its time of day", "P1DT6H", 2, false, "1.25", "", "06:00"},
		{"a duration with a decimal comma is read", "PT0H1M20,5S", 2, false, "0.000931712962962963", "", "00:01"},
		{"a duration in a General cell is a time", "PT12H", 0, false, "0.5", "", "12:00"},
		{"a time alone in a General cell is a time, midnight included", "00:00:00", 0, false, "0", "", "00:00"},
		{"a time alone with minutes only is a time", "07:45", 0, false, "0.3229166666666667", "", "07:45"},
	}
	var rows strings.Builder
	for i, tt := range tests {
		fmt.Fprintf(&rows, `<row r="%d"><c r="A%d" s="%d" t="d"><v>%s</v></c></row>`, i+1, i+1, tt.style, tt.v)
	}
	for _, date1904 := range []bool{false, true} {
		p := handParts(sheetXML(rows.String()), "", dateStyles)
		if date1904 {
			p["xl/workbook.xml"] = strings.Replace(p["xl/workbook.xml"], "<sheets>", `<workbookPr date1904="1"/><sheets>`, 1)
		}
		path := writeFile(t, zipBytes(t, p))
		res := readSheet(t, path, "Data", DefaultLimits)
		must(t, res.err)
		for i, tt := range tests {
			if tt.date1904 != date1904 {
				continue
			}
			t.Run(tt.name, func(t *testing.T) {
				ref := fmt.Sprintf("A%d", i+1)
				c, ok := res.cell(ref)
				if !ok {
					t.Fatalf("no cell %s", ref)
				}
				if c.Type != TypeNumber || c.Value != tt.serial {
					t.Errorf("cell = %+v, want the number %s", c, tt.serial)
				}
				if tt.date != "" {
					d, err := Date(c, date1904)
					if err != nil || d.Format(time.DateOnly) != tt.date {
						t.Errorf("Date = %v, %v; want %s", d.Format(time.DateOnly), err, tt.date)
					}
					// excelize reads ISO values ending in Z (in the 1900 system).
					if strings.HasSuffix(tt.v, "Z") && !date1904 {
						if ex := excelizeShows(t, path, "Data", ref); ex != tt.date {
							t.Errorf("excelize shows %s, we read %s", ex, tt.date)
						}
					}
				}
				if tt.clock != "" {
					h, m, err := Time(c)
					if got := fmt.Sprintf("%02d:%02d", h, m); err != nil || got != tt.clock {
						t.Errorf("Time = %s, %v; want %s", got, err, tt.clock)
					}
				}
			})
		}
	}
}

func TestISOCellsThatAreNotDatesOrDurations(t *testing.T) {
	for _, v := range []string{"P", "PT", "P1Y", "P2M", "PT1H2", "PTH", "P1DT", "PT-1H", "PT1.5.5S", "P1H", "PT1D", "PT1M1H", "P1DT1HT1M", "tomorrow", "2024-02-30"} {
		t.Run(fmt.Sprintf("%q fails its sheet as damaged", v), func(t *testing.T) {
			res := readSheet(t, handBook(t, sheetXML(`<row r="1"><c r="A1" t="d"><v>`+v+`</v></c></row>`), "", ""), "Data", DefaultLimits)
			if !errors.Is(res.err, ErrNotXLSX) || !strings.Contains(res.err.Error(), "bad date") {
				t.Errorf("error = %v, want a bad date", res.err)
			}
		})
	}
}

// formControls is the tail of a sheet with n form controls (check boxes),
// each anchored with <xdr:row> elements, as Excel 2010 and later write it.
func formControls(n int) string {
	var b strings.Builder
	b.WriteString(`<drawing r:id="rId2"/><legacyDrawing r:id="rId3"/><mc:AlternateContent xmlns:mc="` + nsMC + `"><mc:Choice Requires="x14"><controls>`)
	for i := range n {
		fmt.Fprintf(&b, `<mc:AlternateContent xmlns:mc="`+nsMC+`"><mc:Choice Requires="x14"><control shapeId="%d" r:id="rId%d" name="Check Box %d"><controlPr defaultSize="0" autoFill="0" autoLine="0" autoPict="0">`+
			`<anchor moveWithCells="1"><from><xdr:col>1</xdr:col><xdr:colOff>0</xdr:colOff><xdr:row>%d</xdr:row><xdr:rowOff>0</xdr:rowOff></from>`+
			`<to><xdr:col>2</xdr:col><xdr:colOff>0</xdr:colOff><xdr:row>%d</xdr:row><xdr:rowOff>0</xdr:rowOff></to></anchor></controlPr></control></mc:Choice>`+
			`<mc:Fallback/></mc:AlternateContent>`, 1025+i, 4+i, i+1, i, i+1)
	}
	b.WriteString(`</controls></mc:Choice></mc:AlternateContent>`)
	return b.String()
}

func TestCountRowsCountsOnlyTheSheetsOwnRows(t *testing.T) {
	var rows strings.Builder
	for i := 1; i <= 60; i++ {
		fmt.Fprintf(&rows, `<row r="%d"><c r="A%d"><v>%d</v></c></row>`, i, i, i)
	}
	const open = `<worksheet xmlns="` + nsMain + `" xmlns:r="` + nsRel + `" xmlns:xdr="http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing">`
	prefixed := strings.NewReplacer("<row", "<x:row", "</row", "</x:row", "<c ", "<x:c ", "</c>", "</x:c>", "<v>", "<x:v>", "</v>", "</x:v>").Replace(rows.String())
	tests := []struct {
		name, sheet string
		excelize    bool // excelize's row iterator counts the rows right too
	}{
		{"form controls anchored with xdr:row after the sheet data", xmlHead + open + `<sheetData>` + rows.String() + `</sheetData>` + formControls(163) + `</worksheet>`, true},
		{"anchors in a prefixed sheet", xmlHead + strings.Replace(open, "<worksheet xmlns=", "<x:worksheet xmlns:x=", 1) +
			`<x:sheetData>` + prefixed + `</x:sheetData>` + formControls(10) + `</x:worksheet>`, true},
		{"a row element in an extension before the sheet data", xmlHead + open + `<sheetPr><extLst><ext><xdr:row>1</xdr:row></ext></extLst></sheetPr><sheetData>` + rows.String() + `</sheetData></worksheet>`, false},
		{"anchors after a self-closing sheetData", xmlHead + open + `<sheetData/>` + formControls(3) + `</worksheet>`, true},
	}
	for _, tt := range tests {
		t.Run("CountRows counts only the sheet data's rows with "+tt.name, func(t *testing.T) {
			path := handBook(t, tt.sheet, "", "")
			wb, err := Open(path, DefaultLimits)
			must(t, err)
			defer wb.Close()
			n, err := wb.CountRows("Data")
			must(t, err)
			res := readOpen(wb, "Data")
			must(t, res.err)
			want := 60
			if strings.Contains(tt.sheet, "<sheetData/>") {
				want = 0
			}
			if n != want || len(res.rows) != want {
				t.Errorf("CountRows = %d, rows read = %d, want %d", n, len(res.rows), want)
			}
			sameAsExcelize(t, path, "Data", res)
			if !tt.excelize {
				return
			}
			f, err := excelize.OpenFile(path)
			must(t, err)
			defer f.Close()
			xr, err := f.Rows("Data")
			must(t, err)
			ex := 0
			for xr.Next() {
				ex++
			}
			must(t, xr.Close())
			if ex != want {
				t.Errorf("excelize iterates %d rows, want %d", ex, want)
			}
		})
	}
}

func TestMergedWholeColumnsAndRows(t *testing.T) {
	const lastRow, lastCol = 1 << 20, 1<<14 - 1
	tests := []struct {
		ref  string
		want Range
	}{
		{"A:A", Range{FirstRow: 1, LastRow: lastRow, FirstCol: 0, LastCol: 0}},
		{"B:D", Range{FirstRow: 1, LastRow: lastRow, FirstCol: 1, LastCol: 3}},
		{"1:1", Range{FirstRow: 1, LastRow: 1, FirstCol: 0, LastCol: lastCol}},
		{"3:5", Range{FirstRow: 3, LastRow: 5, FirstCol: 0, LastCol: lastCol}},
		{"XFD:XFD", Range{FirstRow: 1, LastRow: lastRow, FirstCol: lastCol, LastCol: lastCol}},
		{"1048576:1048576", Range{FirstRow: lastRow, LastRow: lastRow, FirstCol: 0, LastCol: lastCol}},
	}
	for _, tt := range tests {
		t.Run("a merged range "+tt.ref+" is "+tt.want.String(), func(t *testing.T) {
			sheet := sheetXML(`<row r="1"><c r="A1"><v>1</v></c></row>`)
			sheet = strings.Replace(sheet, `</sheetData>`, `</sheetData><mergeCells count="1"><mergeCell ref="`+tt.ref+`"/></mergeCells>`, 1)
			path := handBook(t, sheet, "", "")
			res := readSheet(t, path, "Data", DefaultLimits)
			must(t, res.err)
			if len(res.merged) != 1 || res.merged[0] != tt.want {
				t.Errorf("Merged() = %v, want [%v]", res.merged, tt.want)
			}
			// excelize cannot read such a merged range, only the cells.
			sameAsExcelize(t, path, "Data", res)
		})
	}
	for _, ref := range []string{"A:1", "1:A", ":", "A:", ":5", "0:0", "0:3", "A1:B", "A1:2", "1", "B", "-1:3"} {
		t.Run(fmt.Sprintf("a merged range %q is refused", ref), func(t *testing.T) {
			sheet := strings.Replace(sheetXML(``), `</sheetData>`, `</sheetData><mergeCells><mergeCell ref="`+ref+`"/></mergeCells>`, 1)
			res := readSheet(t, handBook(t, sheet, "", ""), "Data", DefaultLimits)
			if !errors.Is(res.err, ErrNotXLSX) || !strings.Contains(res.err.Error(), "merged range") {
				t.Errorf("error = %v, want a bad merged range", res.err)
			}
		})
	}
}

// utf16Part encodes an XML part in UTF-16 as Excel Mobile writes it: with a
// byte order mark (unless bom is false) and encoding="UTF-16".
func utf16Part(xml string, bigEndian, bom bool) string {
	xml = strings.Replace(xml, `encoding="UTF-8"`, `encoding="UTF-16"`, 1)
	units := utf16.Encode([]rune(xml))
	if bom {
		units = append([]uint16{0xFEFF}, units...)
	}
	b := make([]byte, 0, 2*len(units))
	for _, u := range units {
		if bigEndian {
			b = binary.BigEndian.AppendUint16(b, u)
		} else {
			b = binary.LittleEndian.AppendUint16(b, u)
		}
	}
	return string(b)
}

func TestUTF16PartsAreRead(t *testing.T) {
	sheet := sheetXML(`<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="inlineStr"><is><t>Zoë 😀 &amp; 東京</t></is></c><c r="C1" s="1"><v>45382</v></c></row>` +
		`<row r="2"><c r="A2" t="s"><v>1</v></c><c r="B2"><v>0042</v></c></row>`)
	sst := xmlHead + `<sst xmlns="` + nsMain + `" count="2" uniqueCount="2"><si><t>Employee ID</t></si><si><t>Ünïcødé 𝄞</t></si></sst>`
	tests := []struct {
		name           string
		bigEndian, bom bool
	}{
		{"little-endian with a byte order mark, as Excel Mobile writes them", false, true},
		{"big-endian with a byte order mark", true, true},
		{"little-endian without a byte order mark", false, false},
		{"big-endian without a byte order mark", true, false},
	}
	for _, tt := range tests {
		t.Run("parts in UTF-16 "+tt.name+" are read", func(t *testing.T) {
			p := handParts(sheet, sst, dateStyles)
			// excelize cannot read UTF-16 parts (it fails with EOF), so it
			// reads the same parts in UTF-8.
			utf8Path := writeFile(t, zipBytes(t, p))
			for name, body := range p {
				if name != "[Content_Types].xml" {
					if !strings.HasPrefix(body, xmlHead) {
						body = xmlHead + body
					}
					p[name] = utf16Part(body, tt.bigEndian, tt.bom)
				}
			}
			path := writeFile(t, zipBytes(t, p))
			res := readSheet(t, path, "Data", DefaultLimits)
			must(t, res.err)
			want := map[string]Cell{
				"A1": {Col: 0, Type: TypeText, Value: "Employee ID"},
				"B1": {Col: 1, Type: TypeText, Value: "Zoë 😀 & 東京"},
				"C1": {Col: 2, Type: TypeNumber, Value: "45382", Format: Format{Kind: FormatDate}},
				"A2": {Col: 0, Type: TypeText, Value: "Ünïcødé 𝄞"},
				"B2": {Col: 1, Type: TypeNumber, Value: "0042"},
			}
			for ref, w := range want {
				if c, _ := res.cell(ref); c != w {
					t.Errorf("%s = %+v, want %+v", ref, c, w)
				}
			}
			sameAsExcelize(t, utf8Path, "Data", res)
			wb, err := Open(path, DefaultLimits)
			must(t, err)
			defer wb.Close()
			if n, err := wb.CountRows("Data"); n != 2 || err != nil {
				t.Errorf("CountRows = %d, %v; want 2", n, err)
			}
		})
	}
	t.Run("a UTF-16 part with a lone surrogate has it replaced", func(t *testing.T) {
		p := handParts(sheetXML(`<row r="1"><c r="A1" t="inlineStr"><is><t>aXb</t></is></c></row>`), "", "")
		body := utf16Part(p["xl/worksheets/sheet1.xml"], false, true)
		body = strings.Replace(body, "X\x00", "\x00\xd8", 1) // a high surrogate with no low one
		p["xl/worksheets/sheet1.xml"] = body
		res := readSheet(t, writeFile(t, zipBytes(t, p)), "Data", DefaultLimits)
		must(t, res.err)
		if c, _ := res.cell("A1"); c.Value != "a\uFFFDb" {
			t.Errorf("A1 = %q, want a\uFFFDb", c.Value)
		}
	})
	for _, bom := range []string{"\x00\x00\xfe\xff\x00\x00\x00<", "\xff\xfe\x00\x00<\x00\x00\x00"} {
		t.Run(fmt.Sprintf("a UTF-32 part starting %q is refused as not readable", bom), func(t *testing.T) {
			res := readSheet(t, handBook(t, bom, "", ""), "Data", DefaultLimits)
			if !errors.Is(res.err, ErrNotXLSX) || !strings.Contains(res.err.Error(), "encoding") {
				t.Errorf("error = %v, want ErrNotXLSX about the encoding", res.err)
			}
		})
	}
}

func TestTwoPartsWithTheSameNameAreRefused(t *testing.T) {
	tests := []struct{ name, first, second string }{
		{"two sheet parts of one name", "xl/worksheets/sheet1.xml", "xl/worksheets/sheet1.xml"},
		{"names that differ only in case, which OPC treats as one", "xl/worksheets/sheet1.xml", "xl/Worksheets/Sheet1.xml"},
		{"two workbook parts", "xl/workbook.xml", "xl/workbook.xml"},
	}
	for _, tt := range tests {
		t.Run(tt.name+" make the file damaged", func(t *testing.T) {
			p := handParts(sheetXML(`<row r="1"><c r="A1"><v>1</v></c></row>`), "", "")
			var buf bytes.Buffer
			zw := zip.NewWriter(&buf)
			for _, n := range slices.Sorted(maps.Keys(p)) {
				w, err := zw.Create(n)
				must(t, err)
				_, err = w.Write([]byte(p[n]))
				must(t, err)
				if n == tt.first {
					w, err := zw.Create(tt.second)
					must(t, err)
					_, err = w.Write([]byte(p[n]))
					must(t, err)
				}
			}
			must(t, zw.Close())
			wb, err := Open(writeFile(t, buf.Bytes()), DefaultLimits)
			if err == nil {
				wb.Close()
				t.Fatal("Open succeeded")
			}
			if !errors.Is(err, ErrNotXLSX) || !strings.Contains(err.Error(), "damaged") || !strings.Contains(err.Error(), "two parts named") {
				t.Errorf("error = %q, want ErrNotXLSX saying the file is damaged with two parts of one name", err)
			}
		})
	}
}

func TestTimesAreToTheMinuteAsExcelShowsThem(t *testing.T) {
	// Style 2 is h:mm. 13:30:55, 13:30:59.6, 13:30 a hair short, 13:30 exactly.
	values := []string{"0.5631365740740741", "0.5631898148148148", "0.56249999999999", "0.5625", "0.7083333333333334"}
	want := []string{"13:30", "13:30", "13:30", "13:30", "17:00"}
	var rows strings.Builder
	for i, v := range values {
		fmt.Fprintf(&rows, `<row r="%d"><c r="A%d" s="2"><v>%s</v></c></row>`, i+1, i+1, v)
	}
	path := handBook(t, sheetXML(rows.String()), "", dateStyles)
	res := readSheet(t, path, "Data", DefaultLimits)
	must(t, res.err)
	for i := range values {
		ref := fmt.Sprintf("A%d", i+1)
		c, _ := res.cell(ref)
		h, m, err := Time(c)
		must(t, err)
		if got := fmt.Sprintf("%02d:%02d", h, m); got != want[i] {
			t.Errorf("%s (%s) = %s, want %s", ref, values[i], got, want[i])
		}
		if values[i] == "0.5631898148148148" {
			continue // excelize rounds to the second first and shows 13:31
		}
		if ex := excelizeShows(t, path, "Data", ref); ex != strings.TrimPrefix(want[i], "0") {
			t.Errorf("%s: excelize shows %s, want %s", ref, ex, want[i])
		}
	}
}

func TestEveryISODateComesBackFromItsSerial(t *testing.T) {
	check := func(d time.Time, date1904 bool) {
		iso := d.Format(time.DateOnly)
		serial, clock, ok := isoToSerial(iso, date1904)
		if !ok || clock {
			t.Fatalf("isoToSerial(%s) failed", iso)
		}
		got, err := Date(Cell{Type: TypeNumber, Value: strconv.FormatFloat(serial, 'f', -1, 64), Format: Format{Kind: FormatDate}}, date1904)
		if err != nil || !got.Equal(d) {
			t.Fatalf("%s (1904: %v) is serial %v, which Date reads %v, %v", iso, date1904, serial, got.Format(time.DateOnly), err)
		}
	}
	// Every day of 1900 and 1904, where the systems' quirks are, then
	// every 29th day (all days of the month and week come round) to
	// Excel's last.
	for d := time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC); d.Year() < 10000; {
		check(d, false)
		if d.Year() >= 1904 {
			check(d, true)
		}
		if d.Year() == 1900 || d.Year() == 1904 {
			d = d.AddDate(0, 0, 1)
		} else {
			d = d.AddDate(0, 0, 29)
		}
	}
	check(time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC), false)
	check(time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC), true)
}
