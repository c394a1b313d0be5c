package workbooks_test

import (
	"context"
	"io"
	"testing"

	"github.com/xuri/excelize/v2"

	"roster/importer/workbooks"
)

// wantPrintable checks that every sheet of a workbook prints landscape,
// one page wide, its header row (headerRows gives it by sheet: 1 when
// absent, "" for a sheet without one) at the top of every page.
func wantPrintable(t *testing.T, f *excelize.File, headerRows map[string]string) {
	t.Helper()
	titles := map[string]string{}
	for _, dn := range f.GetDefinedName() {
		if dn.Name == "_xlnm.Print_Titles" {
			titles[dn.Scope] = dn.RefersTo
		}
	}
	for _, sheet := range f.GetSheetList() {
		layout, err := f.GetPageLayout(sheet)
		must(t, err)
		if layout.Orientation == nil || *layout.Orientation != "landscape" {
			t.Errorf("sheet %s does not print landscape", sheet)
		}
		if layout.FitToWidth == nil || *layout.FitToWidth != 1 || layout.FitToHeight == nil || *layout.FitToHeight != 0 {
			t.Errorf("sheet %s does not print one page wide and as long as it takes: %+v", sheet, layout)
		}
		props, err := f.GetSheetProps(sheet)
		must(t, err)
		if props.FitToPage == nil || !*props.FitToPage {
			t.Errorf("sheet %s is not set to fit its pages", sheet)
		}
		row, ok := headerRows[sheet]
		if !ok {
			row = "1"
		}
		want := ""
		if row != "" {
			want = "'" + sheet + "'!$" + row + ":$" + row
		}
		if titles[sheet] != want {
			t.Errorf("sheet %s prints %q at the top of each page, want %q", sheet, titles[sheet], want)
		}
	}
}

func TestTheWorkbooksPrintSensibly(t *testing.T) {
	t.Run("the template", func(t *testing.T) {
		wantPrintable(t, openXLSX(t, writeFile(t, "template.xlsx", workbooks.WriteTemplate)), map[string]string{"Read me": ""})
	})
	t.Run("the export", func(t *testing.T) {
		st := openStore(t)
		path := writeFile(t, "export.xlsx", func(w io.Writer) error { return workbooks.WriteExport(context.Background(), st, w) })
		wantPrintable(t, openXLSX(t, path), nil)
	})
	t.Run("the problems workbook, its long messages wrapped", func(t *testing.T) {
		upload := buildUpload(t, func(f *excelize.File) {
			must(t, f.SetSheetName("Sheet1", "Areas"))
			must(t, f.SetCellStr("Areas", "A3", "Code"))
			must(t, f.SetCellStr("Areas", "B3", "Name"))
			must(t, f.SetCellStr("Areas", "A4", "N"))
		})
		res := runImport(t, openStore(t), upload)
		path := writeFile(t, "problems.xlsx", func(w io.Writer) error { return workbooks.WriteProblems(w, upload, res.Problems) })
		f := openXLSX(t, path)
		wantPrintable(t, f, map[string]string{"Areas": "3"})
		for _, cell := range []string{"E2", "C4"} { // the Message column; the Problems column of Areas
			sheet := map[string]string{"E2": "Problems", "C4": "Areas"}[cell]
			id, err := f.GetCellStyle(sheet, cell)
			must(t, err)
			style, err := f.GetStyle(id)
			must(t, err)
			if style.Alignment == nil || !style.Alignment.WrapText {
				t.Errorf("%s!%s does not wrap its text", sheet, cell)
			}
		}
	})
}
