package xlsx

import (
	"errors"
	"fmt"
	"testing"
	"time"

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
