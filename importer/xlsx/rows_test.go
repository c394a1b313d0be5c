package xlsx

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

func styleOf(t testing.TB, f *excelize.File, s *excelize.Style) int {
	t.Helper()
	id, err := f.NewStyle(s)
	must(t, err)
	return id
}

func TestReadingCellsOfAnExcelizeWorkbook(t *testing.T) {
	path := book(t, func(f *excelize.File) {
		const sh = "Sheet1"
		date := styleOf(t, f, &excelize.Style{NumFmt: 14})
		pad3 := "000"
		padded := styleOf(t, f, &excelize.Style{CustomNumFmt: &pad3})
		dtCode := "yyyy-mm-dd hh:mm"
		datetime := styleOf(t, f, &excelize.Style{CustomNumFmt: &dtCode})
		hm := "h:mm"
		clock := styleOf(t, f, &excelize.Style{CustomNumFmt: &hm})
		text := styleOf(t, f, &excelize.Style{NumFmt: 49})
		must(t, f.SetCellStr(sh, "A1", "007"))
		must(t, f.SetCellValue(sh, "B1", 123456789012345))
		must(t, f.SetCellValue(sh, "C1", true))
		must(t, f.SetCellValue(sh, "D1", 45382))
		must(t, f.SetCellStyle(sh, "D1", "D1", date))
		must(t, f.SetCellFormula(sh, "E1", "SUM(B1:B2)"))
		must(t, f.SetCellValue(sh, "F1", 1.5))
		must(t, f.SetCellValue(sh, "G1", 7))
		must(t, f.SetCellStyle(sh, "G1", "G1", padded))
		must(t, f.SetCellValue(sh, "H1", 45382.75))
		must(t, f.SetCellStyle(sh, "H1", "H1", datetime))
		must(t, f.SetCellValue(sh, "I1", 0.375))
		must(t, f.SetCellStyle(sh, "I1", "I1", clock))
		must(t, f.SetCellStr(sh, "J1", "00123"))
		must(t, f.SetCellStyle(sh, "J1", "J1", text))
		must(t, f.SetCellStr(sh, "K1", "  spaced  "))
		must(t, f.SetCellStr(sh, "L1", `R&D <x> "q" 'a'`))
		must(t, f.SetCellStr(sh, "A3", "third row"))
		must(t, f.SetCellStr(sh, "AB3", "far column"))
	})
	res := readSheet(t, path, "Sheet1", DefaultLimits)
	if res.err != nil {
		t.Fatal(res.err)
	}
	tests := []struct {
		name string
		ref  string
		want Cell
	}{
		{"a text cell keeps its leading zeros", "A1", Cell{Col: 0, Type: TypeText, Value: "007"}},
		{"a big number is read as written", "B1", Cell{Col: 1, Type: TypeNumber, Value: "123456789012345"}},
		{"a boolean reads TRUE", "C1", Cell{Col: 2, Type: TypeBool, Value: "TRUE"}},
		{"a number with built-in format 14 is a date", "D1", Cell{Col: 3, Type: TypeNumber, Value: "45382", Format: Format{Kind: FormatDate}}},
		{"a formula without a saved result has no value", "E1", Cell{Col: 4, Type: TypeNoValue, Formula: true}},
		{"a decimal number is read as written", "F1", Cell{Col: 5, Type: TypeNumber, Value: "1.5"}},
		{"a number formatted 000 is padded to three digits", "G1", Cell{Col: 6, Type: TypeNumber, Value: "7", Format: Format{Kind: FormatPadded, Width: 3}}},
		{"a number formatted yyyy-mm-dd hh:mm is a date and time", "H1", Cell{Col: 7, Type: TypeNumber, Value: "45382.75", Format: Format{Kind: FormatDateTime}}},
		{"a number formatted h:mm is a time", "I1", Cell{Col: 8, Type: TypeNumber, Value: "0.375", Format: Format{Kind: FormatTime}}},
		{"a text-formatted cell says so", "J1", Cell{Col: 9, Type: TypeText, Value: "00123", Format: Format{Kind: FormatText}}},
		{"text is not trimmed by the reader", "K1", Cell{Col: 10, Type: TypeText, Value: "  spaced  "}},
		{"entities are decoded", "L1", Cell{Col: 11, Type: TypeText, Value: `R&D <x> "q" 'a'`}},
		{"a cell on a later row is found", "A3", Cell{Col: 0, Type: TypeText, Value: "third row"}},
		{"a cell in a two-letter column has the right index", "AB3", Cell{Col: 27, Type: TypeText, Value: "far column"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := res.cell(tt.ref)
			if !ok {
				t.Fatalf("no cell %s", tt.ref)
			}
			if got != tt.want {
				t.Errorf("cell %s = %+v, want %+v", tt.ref, got, tt.want)
			}
		})
	}
	t.Run("rows carry their Excel numbers and skip missing rows", func(t *testing.T) {
		var nums []int
		for _, r := range res.rows {
			nums = append(nums, r.Number)
		}
		if fmt.Sprint(nums) != "[1 3]" {
			t.Errorf("row numbers = %v, want [1 3]", nums)
		}
	})
}

func TestWorkbookStructure(t *testing.T) {
	t.Run("sheets are listed in workbook order with their hidden state", func(t *testing.T) {
		path := book(t, func(f *excelize.File) {
			_, err := f.NewSheet("Secret")
			must(t, err)
			_, err = f.NewSheet("Deep")
			must(t, err)
			_, err = f.NewSheet("Shown")
			must(t, err)
			must(t, f.SetSheetVisible("Secret", false))
			must(t, f.SetSheetVisible("Deep", false, true))
		})
		wb, err := Open(path, DefaultLimits)
		must(t, err)
		defer wb.Close()
		got := fmt.Sprint(wb.Sheets())
		want := "[{Sheet1 false} {Secret true} {Deep true} {Shown false}]"
		if got != want {
			t.Errorf("Sheets() = %s, want %s", got, want)
		}
	})
	t.Run("merged ranges are reported once the rows are read", func(t *testing.T) {
		path := book(t, func(f *excelize.File) {
			must(t, f.SetCellStr("Sheet1", "A1", "x"))
			must(t, f.MergeCell("Sheet1", "A3", "B4"))
			must(t, f.MergeCell("Sheet1", "D1", "D2"))
		})
		res := readSheet(t, path, "Sheet1", DefaultLimits)
		must(t, res.err)
		want := []Range{{FirstRow: 3, LastRow: 4, FirstCol: 0, LastCol: 1}, {FirstRow: 1, LastRow: 2, FirstCol: 3, LastCol: 3}}
		slices.SortFunc(res.merged, func(a, b Range) int { return b.FirstRow - a.FirstRow })
		if !slices.Equal(res.merged, want) {
			t.Errorf("Merged() = %v, want %v", res.merged, want)
		}
	})
	t.Run("a 1904 workbook says so and its dates count from 1904", func(t *testing.T) {
		yes := true
		path := book(t, func(f *excelize.File) {
			must(t, f.SetWorkbookProps(&excelize.WorkbookPropsOptions{Date1904: &yes}))
			must(t, f.SetCellValue("Sheet1", "A1", 0))
			must(t, f.SetCellStyle("Sheet1", "A1", "A1", styleOf(t, f, &excelize.Style{NumFmt: 14})))
		})
		wb, err := Open(path, DefaultLimits)
		must(t, err)
		defer wb.Close()
		if !wb.Date1904() {
			t.Fatal("Date1904() = false")
		}
		res := readOpen(wb, "Sheet1")
		must(t, res.err)
		c, _ := res.cell("A1")
		d, err := Date(c, wb.Date1904())
		must(t, err)
		if want := time.Date(1904, 1, 1, 0, 0, 0, 0, time.UTC); !d.Equal(want) {
			t.Errorf("Date = %v, want %v", d, want)
		}
	})
	t.Run("the stream writer's inline strings are read", func(t *testing.T) {
		path := book(t, func(f *excelize.File) {
			sw, err := f.NewStreamWriter("Sheet1")
			must(t, err)
			must(t, sw.SetRow("A1", []any{"0042", 17, true}))
			must(t, sw.Flush())
		})
		res := readSheet(t, path, "Sheet1", DefaultLimits)
		must(t, res.err)
		c, _ := res.cell("A1")
		if c.Type != TypeText || c.Value != "0042" {
			t.Errorf("A1 = %+v, want text 0042", c)
		}
	})
	t.Run("an unknown sheet name is ErrNoSheet", func(t *testing.T) {
		path := book(t, func(f *excelize.File) {})
		wb, err := Open(path, DefaultLimits)
		must(t, err)
		defer wb.Close()
		if _, err := wb.Rows("Nope"); !errors.Is(err, ErrNoSheet) {
			t.Errorf("Rows(Nope) error = %v, want ErrNoSheet", err)
		}
		if _, err := wb.CountRows("Nope"); !errors.Is(err, ErrNoSheet) {
			t.Errorf("CountRows(Nope) error = %v, want ErrNoSheet", err)
		}
	})
	t.Run("several sheets can be read at the same time", func(t *testing.T) {
		path := book(t, func(f *excelize.File) {
			_, err := f.NewSheet("Two")
			must(t, err)
			for i := 1; i <= 50; i++ {
				must(t, f.SetCellValue("Sheet1", fmt.Sprintf("A%d", i), i))
				must(t, f.SetCellValue("Two", fmt.Sprintf("A%d", i), -i))
			}
		})
		wb, err := Open(path, DefaultLimits)
		must(t, err)
		defer wb.Close()
		r1, err := wb.Rows("Sheet1")
		must(t, err)
		defer r1.Close()
		r2, err := wb.Rows("Two")
		must(t, err)
		defer r2.Close()
		for i := 1; i <= 50; i++ {
			if !r1.Next() || !r2.Next() {
				t.Fatalf("rows ended early at %d: %v %v", i, r1.Err(), r2.Err())
			}
			a, b := r1.Row().Cells[0].Value, r2.Row().Cells[0].Value
			if a != fmt.Sprint(i) || b != fmt.Sprint(-i) {
				t.Fatalf("row %d: %s and %s", i, a, b)
			}
		}
		if r1.Next() || r2.Next() || r1.Err() != nil || r2.Err() != nil {
			t.Errorf("rows did not end cleanly: %v %v", r1.Err(), r2.Err())
		}
	})
}

func TestCountRows(t *testing.T) {
	tests := []struct {
		name  string
		sheet string
	}{
		{"a plain sheet", sheetXML(`<row r="1"><c r="A1"><v>1</v></c></row><row r="2"/><row r="5"><c r="B5"><v>2</v></c></row>`)},
		{"an empty sheet", sheetXML(``)},
		{"a sheet without sheetData", xmlHead + `<worksheet xmlns="` + nsMain + `"/>`},
		{"a sheet with prefixed tags and rows hidden in comments and CDATA", xmlHead + `<x:worksheet xmlns:x="` + nsMain + `"><!-- <row r="9"> --><x:sheetData><x:row r="1"><x:c r="A1" t="inlineStr"><x:is><x:t><![CDATA[<row>]]></x:t></x:is></x:c></x:row><x:row r="2"/><x:rowBreaks/></x:sheetData></x:worksheet>`},
	}
	for _, tt := range tests {
		t.Run("CountRows equals the rows read for "+tt.name, func(t *testing.T) {
			path := handBook(t, tt.sheet, "", "")
			wb, err := Open(path, DefaultLimits)
			must(t, err)
			defer wb.Close()
			n, err := wb.CountRows("Data")
			must(t, err)
			res := readOpen(wb, "Data")
			must(t, res.err)
			if n != len(res.rows) {
				t.Errorf("CountRows = %d, rows read = %d", n, len(res.rows))
			}
		})
	}
	t.Run("CountRows equals the rows of a generated workbook", func(t *testing.T) {
		path := book(t, func(f *excelize.File) {
			for i := 1; i <= 1234; i += 3 {
				must(t, f.SetSheetRow("Sheet1", fmt.Sprintf("A%d", i), &[]any{"a", i, 1.5}))
			}
		})
		wb, err := Open(path, DefaultLimits)
		must(t, err)
		defer wb.Close()
		n, err := wb.CountRows("Sheet1")
		must(t, err)
		if n != 412 {
			t.Errorf("CountRows = %d, want 412", n)
		}
	})
}

// handCells reads the cells of a hand-built sheet, failing on errors.
func handCells(t *testing.T, sheet, sst, styles string) sheetResult {
	t.Helper()
	res := readSheet(t, handBook(t, sheet, sst, styles), "Data", DefaultLimits)
	if res.err != nil {
		t.Fatal(res.err)
	}
	return res
}

func TestHandWrittenXML(t *testing.T) {
	sst := xmlHead + `<sst xmlns="` + nsMain + `" count="4" uniqueCount="4">` +
		`<si><t>zero</t></si>` +
		`<si><r><t>ri</t></r><r><rPr><b/></rPr><t xml:space="preserve">ch </t></r><rPh sb="0" eb="1"><t>PHONETIC</t></rPh></si>` +
		`<si><t>line&#10;break_x000D_ and_x005F_x0041_</t></si>` +
		`<si/></sst>`
	styles := xmlHead + `<styleSheet xmlns="` + nsMain + `"><numFmts count="2"><numFmt numFmtId="164" formatCode="00000"/><numFmt numFmtId="165" formatCode="[$-409]d\-mmm\-yyyy;@"/></numFmts>` +
		`<cellStyleXfs count="1"><xf numFmtId="14"/></cellStyleXfs>` +
		`<cellXfs count="4"><xf numFmtId="0"/><xf numFmtId="164" applyNumberFormat="1"/><xf numFmtId="165"/><xf numFmtId="20"><alignment/></xf></cellXfs>` +
		`<dxfs><dxf><numFmt numFmtId="166" formatCode="yyyy"/></dxf></dxfs></styleSheet>`
	tests := []struct {
		name string
		rows string
		ref  string
		want Cell
	}{
		{"a shared string is resolved", `<row r="1"><c r="A1" t="s"><v>0</v></c></row>`, "A1", Cell{Type: TypeText, Value: "zero"}},
		{"rich text runs are joined and phonetic runs dropped", `<row r="1"><c r="A1" t="s"><v>1</v></c></row>`, "A1", Cell{Type: TypeText, Value: "rich "}},
		{"character references and _x escapes are decoded", `<row r="1"><c r="A1" t="s"><v>2</v></c></row>`, "A1", Cell{Type: TypeText, Value: "line\nbreak\r and_x0041_"}},
		{"an empty shared string is an empty text", `<row r="1"><c r="A1" t="s"><v>3</v></c></row>`, "A1", Cell{Type: TypeText, Value: ""}},
		{"an inline rich string is read", `<row r="1"><c r="A1" t="inlineStr"><is><r><t>a</t></r><r><t>b</t></r></is></c></row>`, "A1", Cell{Type: TypeText, Value: "ab"}},
		{"a custom 00000 format pads to five", `<row r="1"><c r="A1" s="1"><v>42</v></c></row>`, "A1", Cell{Type: TypeNumber, Value: "42", Format: Format{Kind: FormatPadded, Width: 5}}},
		{"a locale-prefixed date format is a date", `<row r="1"><c r="A1" s="2"><v>45382</v></c></row>`, "A1", Cell{Type: TypeNumber, Value: "45382", Format: Format{Kind: FormatDate}}},
		{"built-in format 20 is a time", `<row r="1"><c r="A1" s="3"><v>0.5</v></c></row>`, "A1", Cell{Type: TypeNumber, Value: "0.5", Format: Format{Kind: FormatTime}}},
		{"a style index out of range is General", `<row r="1"><c r="A1" s="99"><v>1</v></c></row>`, "A1", Cell{Type: TypeNumber, Value: "1"}},
		{"a formula with a saved number keeps it", `<row r="1"><c r="A1"><f>1+1</f><v>2</v></c></row>`, "A1", Cell{Type: TypeNumber, Value: "2", Formula: true}},
		{"a formula with a saved string keeps it", `<row r="1"><c r="A1" t="str"><f>"a"&amp;"b"</f><v>ab</v></c></row>`, "A1", Cell{Type: TypeText, Value: "ab", Formula: true}},
		{"a formula showing an error is an error", `<row r="1"><c r="A1" t="e"><f>NA()</f><v>#N/A</v></c></row>`, "A1", Cell{Type: TypeError, Value: "#N/A", Formula: true}},
		{"a shared formula reference counts as a formula", `<row r="1"><c r="A1"><f t="shared" si="0"/><v>3</v></c></row>`, "A1", Cell{Type: TypeNumber, Value: "3", Formula: true}},
		{"a formula with an empty saved number has no value", `<row r="1"><c r="A1"><f>X()</f><v></v></c></row>`, "A1", Cell{Type: TypeNoValue, Formula: true}},
		{"an error cell holds its text", `<row r="1"><c r="A1" t="e"><v>#DIV/0!</v></c></row>`, "A1", Cell{Type: TypeError, Value: "#DIV/0!"}},
		{"a boolean 0 reads FALSE", `<row r="1"><c r="A1" t="b"><v>0</v></c></row>`, "A1", Cell{Type: TypeBool, Value: "FALSE"}},
		{"a number in exponent notation is kept as written", `<row r="1"><c r="A1"><v>1.23E+15</v></c></row>`, "A1", Cell{Type: TypeNumber, Value: "1.23E+15"}},
		{"an ISO date cell becomes a date serial", `<row r="1"><c r="A1" t="d"><v>2024-03-31T00:00:00</v></c></row>`, "A1", Cell{Type: TypeNumber, Value: "45382", Format: Format{Kind: FormatDate}}},
		{"CDATA and comments inside text are handled", `<row r="1"><c r="A1" t="inlineStr"><is><t>a<![CDATA[<b>&amp;]]><!-- c -->z</t></is></c></row>`, "A1", Cell{Type: TypeText, Value: "a<b>&amp;z"}},
		{"hex and decimal character references are decoded", `<row r="1"><c r="A1" t="inlineStr"><is><t>&#x41;&#66;&#x20AC;&apos;&quot;&lt;&gt;</t></is></c></row>`, "A1", Cell{Type: TypeText, Value: "AB€'\"<>"}},
		{"single-quoted attributes and spaces around = are accepted", `<row r = '1' ><c r='B1' t = 'inlineStr' ><is><t>q</t></is></c></row>`, "B1", Cell{Col: 1, Type: TypeText, Value: "q"}},
		{"a cell without r follows the previous one", `<row r="1"><c r="B1"><v>1</v></c><c><v>2</v></c></row>`, "C1", Cell{Col: 2, Type: TypeNumber, Value: "2"}},
		{"a row without r follows the previous one", `<row r="4"><c r="A4"><v>1</v></c></row><row><c><v>2</v></c></row>`, "A5", Cell{Type: TypeNumber, Value: "2"}},
		{"unknown elements in cells and rows are skipped", `<row r="1"><extLst><ext><c r="Z1"><v>9</v></c></ext></extLst><c r="A1"><extLst><x/></extLst><v>7</v></c></row>`, "A1", Cell{Type: TypeNumber, Value: "7"}},
		{"carriage returns in text become line feeds", "<row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>a\r\nb\rc</t></is></c></row>", "A1", Cell{Type: TypeText, Value: "a\nb\nc"}},
		{"invalid UTF-8 is replaced", "<row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>a\xffb</t></is></c></row>", "A1", Cell{Type: TypeText, Value: "a\uFFFDb"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := handCells(t, sheetXML(tt.rows), sst, styles)
			got, ok := res.cell(tt.ref)
			if !ok {
				t.Fatalf("no cell %s in %+v", tt.ref, res.rows)
			}
			if got != tt.want {
				t.Errorf("cell %s = %+v, want %+v", tt.ref, got, tt.want)
			}
		})
	}
	t.Run("blank cells are left out of the row", func(t *testing.T) {
		res := handCells(t, sheetXML(`<row r="2"><c r="A2" s="1"/><c r="B2" t="s"></c><c r="C2"><v>1</v></c><c r="D2" t="str"/></row>`), sst, styles)
		if len(res.rows) != 1 || len(res.rows[0].Cells) != 1 || res.rows[0].Cells[0].Col != 2 {
			t.Errorf("rows = %+v, want one row with only C2", res.rows)
		}
	})
	t.Run("a row without cells is still a row, and blank", func(t *testing.T) {
		res := handCells(t, sheetXML(`<row r="2" spans="1:3"/><row r="3"></row>`), "", "")
		if len(res.rows) != 2 || res.rows[0].Number != 2 || res.rows[1].Number != 3 {
			t.Errorf("rows = %+v, want rows 2 and 3", res.rows)
		}
		if !res.rows[0].IsBlank() {
			t.Error("IsBlank() = false for a row without cells")
		}
	})
	t.Run("a row of spaces is blank but a row with a zero or an error is not", func(t *testing.T) {
		blank := Row{Cells: []Cell{{Type: TypeText, Value: "  "}, {Col: 3, Type: TypeText}}}
		zero := Row{Cells: []Cell{{Type: TypeText, Value: " "}, {Col: 1, Type: TypeNumber, Value: "0"}}}
		bad := Row{Cells: []Cell{{Type: TypeError, Value: "#N/A"}}}
		if !blank.IsBlank() || zero.IsBlank() || bad.IsBlank() {
			t.Errorf("IsBlank: spaces %v, zero %v, error %v", blank.IsBlank(), zero.IsBlank(), bad.IsBlank())
		}
	})
}

func TestPackageVariants(t *testing.T) {
	t.Run("namespace-prefixed parts are read", func(t *testing.T) {
		const x = `xmlns:x="` + nsMain + `"`
		p := handParts(
			xmlHead+`<x:worksheet `+x+`><x:sheetData><x:row r="1"><x:c r="A1" t="s"><x:v>0</x:v></x:c><x:c r="B1" s="1"><x:v>45382</x:v></x:c></x:row></x:sheetData><x:mergeCells count="1"><x:mergeCell ref="A2:B2"/></x:mergeCells></x:worksheet>`,
			xmlHead+`<x:sst `+x+`><x:si><x:t>hello</x:t></x:si></x:sst>`,
			xmlHead+`<x:styleSheet `+x+`><x:cellXfs><x:xf numFmtId="0"/><x:xf numFmtId="14"/></x:cellXfs></x:styleSheet>`)
		p["xl/workbook.xml"] = xmlHead + `<x:workbook ` + x + ` xmlns:r="` + nsRel + `"><x:workbookPr date1904="true"/><x:sheets><x:sheet name="Data" sheetId="1" r:id="rId1"/></x:sheets></x:workbook>`
		path := writeFile(t, zipBytes(t, p))
		wb, err := Open(path, DefaultLimits)
		must(t, err)
		defer wb.Close()
		if !wb.Date1904() {
			t.Error("Date1904() = false, want true")
		}
		res := readOpen(wb, "Data")
		must(t, res.err)
		a, _ := res.cell("A1")
		b, _ := res.cell("B1")
		if a.Value != "hello" || b.Format.Kind != FormatDate || len(res.merged) != 1 {
			t.Errorf("A1 = %+v, B1 = %+v, merged = %v", a, b, res.merged)
		}
	})
	t.Run("sheets listed out of part order with absolute and relative targets are matched by id", func(t *testing.T) {
		p := map[string]string{
			"_rels/.rels":     `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="r" Type="` + relTypes + `officeDocument" Target="/xl/workbook.xml"/></Relationships>`,
			"xl/workbook.xml": `<workbook xmlns="` + nsMain + `" xmlns:r="` + nsRel + `"><sheets><sheet name="Second" sheetId="7" r:id="rId9"/><sheet name="R&amp;D" sheetId="2" r:id="rId3"/></sheets></workbook>`,
			"xl/_rels/workbook.xml.rels": `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
				`<Relationship Id="rId3" Type="` + relTypes + `worksheet" Target="/xl/worksheets/sheet1.xml"/>` +
				`<Relationship Id="rId9" Type="` + relTypes + `worksheet" Target="./worksheets/../worksheets/sheet2.xml"/>` +
				`<Relationship Id="rId4" Type="` + relTypes + `hyperlink" Target="http://example.com/" TargetMode="External"/></Relationships>`,
			"xl/worksheets/sheet1.xml": sheetXML(`<row r="1"><c r="A1"><v>1</v></c></row>`),
			"xl/worksheets/sheet2.xml": sheetXML(`<row r="1"><c r="A1"><v>2</v></c></row>`),
		}
		wb, err := Open(writeFile(t, zipBytes(t, p)), DefaultLimits)
		must(t, err)
		defer wb.Close()
		if got := fmt.Sprint(wb.Sheets()); got != "[{Second false} {R&D false}]" {
			t.Errorf("Sheets() = %s", got)
		}
		for name, want := range map[string]string{"Second": "2", "R&D": "1"} {
			res := readOpen(wb, name)
			must(t, res.err)
			if c, _ := res.cell("A1"); c.Value != want {
				t.Errorf("sheet %s A1 = %q, want %q", name, c.Value, want)
			}
		}
	})
	t.Run("a workbook without styles and shared strings parts opens", func(t *testing.T) {
		res := readSheet(t, handBook(t, sheetXML(`<row r="1"><c r="A1" s="3"><v>5</v></c></row>`), "", ""), "Data", DefaultLimits)
		must(t, res.err)
		if c, _ := res.cell("A1"); c.Value != "5" || c.Format.Kind != FormatGeneral {
			t.Errorf("A1 = %+v", c)
		}
	})
	t.Run("a package without _rels/.rels falls back to xl/workbook.xml", func(t *testing.T) {
		p := handParts(sheetXML(`<row r="1"><c r="A1"><v>5</v></c></row>`), "", "")
		delete(p, "_rels/.rels")
		res := readSheet(t, writeFile(t, zipBytes(t, p)), "Data", DefaultLimits)
		must(t, res.err)
		if len(res.rows) != 1 {
			t.Errorf("rows = %+v", res.rows)
		}
	})
}

func TestConcurrentReaders(t *testing.T) {
	t.Run("goroutines can read and count different sheets of one workbook at once", func(t *testing.T) {
		names := []string{"Sheet1", "B", "C", "D"}
		path := book(t, func(f *excelize.File) {
			for _, n := range names[1:] {
				_, err := f.NewSheet(n)
				must(t, err)
			}
			for _, n := range names {
				for i := 1; i <= 300; i++ {
					must(t, f.SetSheetRow(n, fmt.Sprintf("A%d", i), &[]any{n, i, "x"}))
				}
			}
		})
		wb, err := Open(path, DefaultLimits)
		must(t, err)
		defer wb.Close()
		errs := make(chan error, 2*len(names))
		for _, n := range names {
			go func() {
				res := readOpen(wb, n)
				if res.err == nil && len(res.rows) != 300 {
					res.err = fmt.Errorf("sheet %s: %d rows", n, len(res.rows))
				}
				errs <- res.err
			}()
			go func() {
				c, err := wb.CountRows(n)
				if err == nil && c != 300 {
					err = fmt.Errorf("sheet %s: CountRows %d", n, c)
				}
				errs <- err
			}()
		}
		for range 2 * len(names) {
			if err := <-errs; err != nil {
				t.Error(err)
			}
		}
	})
}
