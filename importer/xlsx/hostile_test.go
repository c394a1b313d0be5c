package xlsx

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

func TestFilesThatAreNotWorkbooks(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		must(t, os.WriteFile(p, data, 0o644))
		return p
	}
	tests := []struct {
		name string
		path string
		msg  string
	}{
		{"a text file is not a workbook", write("a.xlsx", []byte("Employee ID,Name\n1,Ann\n")), "not a zip package"},
		{"an empty file is not a workbook", write("b.xlsx", nil), "empty"},
		{"a zip without a workbook part is not a workbook", write("c.xlsx", zipBytes(t, map[string]string{"hello.txt": "hi"})), "no workbook part"},
		{"an .xlsb package is refused, named", write("d.xlsx", zipBytes(t, map[string]string{"xl/workbook.bin": "\x00"})), ".xlsb"},
		{"a truncated zip is not a workbook", write("e.xlsx", zipBytes(t, handParts(sheetXML(""), "", ""))[:100]), "not a zip package"},
		{"a workbook whose sheet part is missing is not readable", write("f.xlsx", func() []byte {
			p := handParts(sheetXML(""), "", "")
			delete(p, "xl/worksheets/sheet1.xml")
			return zipBytes(t, p)
		}()), `sheet "Data" is missing`},
		{"a workbook with broken XML is not readable", write("g.xlsx", zipBytes(t, func() map[string]string {
			p := handParts(sheetXML(""), "", "")
			p["xl/workbook.xml"] = `<workbook><sheets><sheet name="a" r:id="rId1"`
			return p
		}())), "damaged"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wb, err := Open(tt.path, DefaultLimits)
			if err == nil {
				wb.Close()
				t.Fatal("Open succeeded")
			}
			if !errors.Is(err, ErrNotXLSX) || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error = %q, want ErrNotXLSX mentioning %q", err, tt.msg)
			}
		})
	}
	t.Run("a missing file is an ordinary error", func(t *testing.T) {
		_, err := Open(filepath.Join(dir, "none.xlsx"), DefaultLimits)
		if !errors.Is(err, os.ErrNotExist) {
			t.Errorf("error = %v, want not-exist", err)
		}
	})
}

// bigSheet is a highly compressible sheet XML of about n bytes.
func bigSheet(n int) string {
	var b strings.Builder
	b.WriteString(xmlHead + `<worksheet xmlns="` + nsMain + `"><sheetData>`)
	for i := 1; b.Len() < n; i++ {
		fmt.Fprintf(&b, `<row r="%d"><c r="A%d" t="inlineStr"><is><t>%s</t></is></c></row>`, i, i, strings.Repeat("x", 200))
	}
	b.WriteString(`</sheetData></worksheet>`)
	return b.String()
}

func TestLimits(t *testing.T) {
	small := Limits{MaxUnpacked: 1 << 20}
	t.Run("a sheet that unpacks beyond the limit is refused by Open with ErrTooLarge", func(t *testing.T) {
		data := zipBytes(t, handParts(bigSheet(2<<20), "", ""))
		if len(data) > 100<<10 {
			t.Fatalf("test zip is %d bytes, not a bomb", len(data))
		}
		_, err := Open(writeFile(t, data), small)
		if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "1 MiB") {
			t.Errorf("error = %v, want ErrTooLarge naming 1 MiB", err)
		}
	})
	t.Run("a directory that understates a part cannot unpack past it", func(t *testing.T) {
		// archive/zip stops at the declared size, so the lie shows as a
		// damaged part, for counting and for reading alike.
		wb, err := Open(writeFile(t, lyingZipBytes(t, handParts(bigSheet(2<<20), "", ""))), small)
		must(t, err)
		defer wb.Close()
		if _, err := wb.CountRows("Data"); !errors.Is(err, ErrNotXLSX) {
			t.Errorf("CountRows: error = %v, want ErrNotXLSX", err)
		}
		rows, err := wb.Rows("Data")
		must(t, err)
		defer rows.Close()
		for rows.Next() {
		}
		if !errors.Is(rows.Err(), ErrNotXLSX) {
			t.Errorf("Rows: error = %v, want ErrNotXLSX", rows.Err())
		}
	})
	t.Run("reading a sheet twice counts its size once", func(t *testing.T) {
		wb, err := Open(writeFile(t, zipBytes(t, handParts(bigSheet(600<<10), "", ""))), small)
		must(t, err)
		defer wb.Close()
		for i := 0; i < 3; i++ {
			if _, err := wb.CountRows("Data"); err != nil {
				t.Fatal(err)
			}
			if res := readOpen(wb, "Data"); res.err != nil {
				t.Fatal(res.err)
			}
		}
	})
	t.Run("a shared strings part beyond the limit fails at Open", func(t *testing.T) {
		var b strings.Builder
		b.WriteString(`<sst xmlns="` + nsMain + `">`)
		for b.Len() < 2<<20 {
			b.WriteString(`<si><t>` + strings.Repeat("y", 100) + `</t></si>`)
		}
		b.WriteString(`</sst>`)
		path := writeFile(t, zipBytes(t, handParts(sheetXML(""), b.String(), "")))
		if _, err := Open(path, small); !errors.Is(err, ErrTooLarge) {
			t.Errorf("error = %v, want ErrTooLarge", err)
		}
		_, err := Open(path, Limits{MaxSharedStrings: 64 << 10})
		if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "shared strings") {
			t.Errorf("error = %v, want ErrTooLarge about shared strings", err)
		}
	})
	t.Run("a styles part beyond the limit fails at Open", func(t *testing.T) {
		styles := `<styleSheet xmlns="` + nsMain + `"><cellXfs>` + strings.Repeat(`<xf numFmtId="0"/>`, 80000) + `</cellXfs></styleSheet>`
		path := writeFile(t, zipBytes(t, handParts(sheetXML(""), "", styles)))
		if _, err := Open(path, small); !errors.Is(err, ErrTooLarge) {
			t.Errorf("error = %v, want ErrTooLarge", err)
		}
	})
	t.Run("a zip header declaring a part larger than the limit fails", func(t *testing.T) {
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		for name, body := range handParts(sheetXML(""), "", "") {
			if name == "xl/worksheets/sheet1.xml" {
				w, err := zw.CreateRaw(&zip.FileHeader{Name: name, Method: zip.Store, UncompressedSize64: 5 << 30, CompressedSize64: uint64(len(body))})
				must(t, err)
				_, err = w.Write([]byte(body))
				must(t, err)
				continue
			}
			w, err := zw.Create(name)
			must(t, err)
			_, err = w.Write([]byte(body))
			must(t, err)
		}
		must(t, zw.Close())
		res := readSheet(t, writeFile(t, buf.Bytes()), "Data", DefaultLimits)
		if !errors.Is(res.err, ErrTooLarge) {
			t.Errorf("error = %v, want ErrTooLarge", res.err)
		}
	})
	t.Run("a zip header understating a part's size does not let it grow", func(t *testing.T) {
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		for name, body := range handParts(bigSheet(2<<20), "", "") {
			if name == "xl/worksheets/sheet1.xml" {
				w, err := zw.CreateRaw(&zip.FileHeader{Name: name, Method: zip.Store, UncompressedSize64: 1000, CompressedSize64: uint64(len(body))})
				must(t, err)
				_, err = w.Write([]byte(body))
				must(t, err)
				continue
			}
			w, err := zw.Create(name)
			must(t, err)
			_, err = w.Write([]byte(body))
			must(t, err)
		}
		must(t, zw.Close())
		res := readSheet(t, writeFile(t, buf.Bytes()), "Data", small)
		if res.err == nil {
			t.Errorf("reading succeeded with %d rows", len(res.rows))
		}
	})
	t.Run("a zip directory with too many entries is refused", func(t *testing.T) {
		old := maxZipDirectory
		maxZipDirectory = 64 << 10
		defer func() { maxZipDirectory = old }()
		p := handParts(sheetXML(""), "", "")
		for i := 0; i < 3000; i++ {
			p[fmt.Sprintf("junk/%05d", i)] = ""
		}
		_, err := Open(writeFile(t, zipBytes(t, p)), DefaultLimits)
		if !errors.Is(err, ErrTooLarge) {
			t.Errorf("error = %v, want ErrTooLarge", err)
		}
	})

	rowTests := []struct {
		name  string
		lim   Limits
		rows  string
		isErr error
		msg   string
	}{
		{"a row numbered beyond Excel's last row is too large", DefaultLimits, `<row r="1048577"><c r="A1048577"><v>1</v></c></row>`, ErrTooLarge, "1,048,576 rows"},
		{"a row number with many digits is too large", DefaultLimits, `<row r="99999999999999999999"/>`, ErrTooLarge, "rows"},
		{"a row beyond a lower row limit is too large", Limits{MaxRows: 10}, `<row r="11"/>`, ErrTooLarge, "at most 10 rows"},
		{"a cell beyond column XFD is too large", DefaultLimits, `<row r="1"><c r="XFE1"><v>1</v></c></row>`, ErrTooLarge, "column XFE"},
		{"an absurd column is too large", DefaultLimits, `<row r="1"><c r="ZZZZZZZZZZZZ1"><v>1</v></c></row>`, ErrTooLarge, "16,384 columns"},
		{"a cell without r beyond the column limit is too large", Limits{MaxCols: 2}, `<row r="1"><c><v>1</v></c><c><v>1</v></c><c><v>1</v></c></row>`, ErrTooLarge, "column C"},
		{"rows out of order are refused", DefaultLimits, `<row r="7"/><row r="5"/>`, ErrNotXLSX, "row 5 comes after row 7"},
		{"a duplicated row is refused", DefaultLimits, `<row r="3"/><row r="3"/>`, ErrNotXLSX, "row 3 appears twice"},
		{"row zero is refused", DefaultLimits, `<row r="0"/>`, ErrNotXLSX, "row number 0"},
		{"cells out of order are refused", DefaultLimits, `<row r="2"><c r="C2"><v>1</v></c><c r="A2"><v>1</v></c></row>`, ErrNotXLSX, "cell A2 comes after C2"},
		{"a duplicated cell is refused", DefaultLimits, `<row r="2"><c r="C2"><v>1</v></c><c r="C2"><v>1</v></c></row>`, ErrNotXLSX, "cell C2 appears twice"},
		{"a shared string index out of range is refused", DefaultLimits, `<row r="1"><c r="A1" t="s"><v>5</v></c></row>`, ErrNotXLSX, "shared string"},
		{"a non-numeric shared string index is refused", DefaultLimits, `<row r="1"><c r="A1" t="s"><v>x</v></c></row>`, ErrNotXLSX, "shared string"},
		{"a bad cell reference is refused", DefaultLimits, `<row r="1"><c r="1A"><v>1</v></c></row>`, ErrNotXLSX, "bad cell reference"},
		{"an unknown cell type is refused", DefaultLimits, `<row r="1"><c r="A1" t="zz"><v>1</v></c></row>`, ErrNotXLSX, "unknown cell type"},
		{"an unknown entity is refused", DefaultLimits, `<row r="1"><c r="A1" t="inlineStr"><is><t>&nbsp;</t></is></c></row>`, ErrNotXLSX, "entity"},
		{"a bare ampersand is refused", DefaultLimits, `<row r="1"><c r="A1" t="inlineStr"><is><t>a & b</t></is></c></row>`, ErrNotXLSX, "&"},
		{"a bad merged range is refused", DefaultLimits, `</sheetData><mergeCells><mergeCell ref="A1:B"/></mergeCells><sheetData>`, ErrNotXLSX, "merged range"},
	}
	for _, tt := range rowTests {
		t.Run(tt.name, func(t *testing.T) {
			res := readSheet(t, handBook(t, sheetXML(tt.rows), `<sst xmlns="`+nsMain+`"><si><t>a</t></si></sst>`, ""), "Data", tt.lim)
			if !errors.Is(res.err, tt.isErr) || !strings.Contains(res.err.Error(), tt.msg) {
				t.Errorf("error = %v, want %v mentioning %q", res.err, tt.isErr, tt.msg)
			}
			if testing.Verbose() {
				t.Log(res.err)
			}
		})
	}

	xmlTests := []struct{ name, sheet string }{
		{"XML truncated inside the sheet data is refused", xmlHead + `<worksheet xmlns="` + nsMain + `"><sheetData><row r="1"><c r="A1"><v>1</v></c></row><row r="2"><c r="A2"><v>`},
		{"XML truncated inside a tag is refused", xmlHead + `<worksheet xmlns="` + nsMain + `"><sheetData><row r="1"><c r="A1" t="inl`},
		{"XML truncated after a row is refused", xmlHead + `<worksheet xmlns="` + nsMain + `"><sheetData><row r="1"/>`},
		{"a DOCTYPE is refused", xmlHead + `<!DOCTYPE worksheet [<!ENTITY a "aaaa">]><worksheet xmlns="` + nsMain + `"><sheetData/></worksheet>`},
		{"truncated UTF-16 XML is refused", "\xff\xfe<\x00w\x00"},
		{"a '<' inside a tag is refused", sheetXML(`<row r="1"<c/></row>`)},
		{"a '<' inside an attribute value is refused, so that CountRows cannot end the sheet data early", sheetXML(`<row r="1" x="</sheetData>"/><row r="2"/>`)},
		{"a '<' inside an attribute value before the sheet data is refused", xmlHead + `<worksheet><sheetPr x='<sheetData/>'/><sheetData><row r="1"/></sheetData></worksheet>`},
		{"a mismatched end tag in a row is refused", sheetXML(`<row r="1"><c r="A1"><v>1</v></c></sheetData>`)},
	}
	for _, tt := range xmlTests {
		t.Run(tt.name, func(t *testing.T) {
			res := readSheet(t, handBook(t, tt.sheet, "", ""), "Data", DefaultLimits)
			if !errors.Is(res.err, ErrNotXLSX) {
				t.Errorf("error = %v, want ErrNotXLSX", res.err)
			}
		})
	}

	t.Run("CountRows refuses more rows than the limit", func(t *testing.T) {
		path := book(t, func(f *excelize.File) {
			for i := 1; i <= 20; i++ {
				must(t, f.SetCellValue("Sheet1", fmt.Sprintf("A%d", i), i))
			}
		})
		wb, err := Open(path, Limits{MaxRows: 10})
		must(t, err)
		defer wb.Close()
		if _, err := wb.CountRows("Sheet1"); !errors.Is(err, ErrTooLarge) {
			t.Errorf("error = %v, want ErrTooLarge", err)
		}
	})
	t.Run("a very long tag is refused, not buffered", func(t *testing.T) {
		sheet := sheetXML(`<row r="1" junk="` + strings.Repeat("j", 2<<20) + `"/>`)
		res := readSheet(t, handBook(t, sheet, "", ""), "Data", DefaultLimits)
		if !errors.Is(res.err, ErrNotXLSX) || !strings.Contains(res.err.Error(), "longer than 1 MiB") {
			t.Errorf("error = %v, want a too-long-tag error", res.err)
		}
	})
	t.Run("long text outside cells is skipped without buffering", func(t *testing.T) {
		sheet := sheetXML(`<row r="1"><c r="A1"><v>1</v></c></row>` + strings.Repeat("z", 3<<20))
		res := readSheet(t, handBook(t, sheet, "", ""), "Data", DefaultLimits)
		if res.err != nil || len(res.rows) != 1 {
			t.Errorf("rows = %v, error = %v", res.rows, res.err)
		}
	})
	t.Run("a row with more than 16 MiB of text is too large", func(t *testing.T) {
		if testing.Short() {
			t.Skip("builds a 17 MiB sheet")
		}
		sheet := sheetXML(`<row r="1"><c r="A1" t="inlineStr"><is><t>` + strings.Repeat("w", 17<<20) + `</t></is></c></row>`)
		res := readSheet(t, handBook(t, sheet, "", ""), "Data", DefaultLimits)
		if !errors.Is(res.err, ErrTooLarge) {
			t.Errorf("error = %v, want ErrTooLarge", res.err)
		}
	})
}

func TestOpenRefusesAPackageThatDeclaresMoreThanTheLimit(t *testing.T) {
	path := filepath.Join(t.TempDir(), "big.xlsx")
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, name := range []string{"xl/worksheets/sheet1.xml", "xl/worksheets/sheet2.xml"} {
		// Each part alone is under the limit, together they are over it.
		if _, err := zw.CreateRaw(&zip.FileHeader{Name: name, Method: zip.Store,
			UncompressedSize64: 600 << 10}); err != nil {
			t.Fatal(err)
		}
	}
	zw.Close()
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Open(path, Limits{MaxUnpacked: 1 << 20})
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("Open = %v, want ErrTooLarge", err)
	}
}
