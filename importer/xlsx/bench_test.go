package xlsx

import (
	"archive/zip"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

const (
	benchRows = 100_000
	benchCols = 8
)

var (
	benchDir  string
	benchOnce = map[string]*sync.Once{"stream": {}, "shared": {}}
	benchPath = map[string]string{}
	benchErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if benchDir != "" {
		os.RemoveAll(benchDir)
	}
	os.Exit(code)
}

// benchBook generates a 100k-row × 8-column workbook once per process:
// "stream" with excelize's StreamWriter (inline strings), "shared" as Excel
// writes it (shared strings), by hand.
func benchBook(b *testing.B, kind string) string {
	b.Helper()
	benchOnce[kind].Do(func() {
		if benchDir == "" {
			if benchDir, benchErr = os.MkdirTemp("", "xlsx-bench-"); benchErr != nil {
				return
			}
		}
		p := filepath.Join(benchDir, kind+".xlsx")
		if kind == "stream" {
			benchErr = writeStreamBook(p)
		} else {
			benchErr = writeSharedBook(p)
		}
		benchPath[kind] = p
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return benchPath[kind]
}

func writeStreamBook(p string) error {
	f := excelize.NewFile()
	defer f.Close()
	date, err := f.NewStyle(&excelize.Style{NumFmt: 14})
	if err != nil {
		return err
	}
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		return err
	}
	if err := sw.SetRow("A1", []any{"Employee ID", "Full Name", "Email", "Seats", "Rate", "Joining Date", "Active", "Department Code"}); err != nil {
		return err
	}
	day := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 2; i <= benchRows; i++ {
		row := []any{
			fmt.Sprintf("E%06d", i), fmt.Sprintf("Person Number %d", i), fmt.Sprintf("p%d@example.com", i),
			i % 99, float64(i) / 7, excelize.Cell{StyleID: date, Value: day.AddDate(0, 0, i%3000)}, i%2 == 0, fmt.Sprintf("D%03d", i%500),
		}
		if err := sw.SetRow(fmt.Sprintf("A%d", i), row); err != nil {
			return err
		}
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	return f.SaveAs(p)
}

func writeSharedBook(p string) error {
	out, err := os.Create(p)
	if err != nil {
		return err
	}
	defer out.Close()
	zw := zip.NewWriter(out)
	parts := handParts("", "", xmlHead+`<styleSheet xmlns="`+nsMain+`"><cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="14" applyNumberFormat="1"/></cellXfs></styleSheet>`)
	var sst, sheet strings.Builder
	sst.WriteString(xmlHead + `<sst xmlns="` + nsMain + `">`)
	sheet.WriteString(xmlHead + `<worksheet xmlns="` + nsMain + `"><dimension ref="A1:H100000"/><sheetData>`)
	n := 0
	str := func(s string) int {
		sst.WriteString("<si><t>" + s + "</t></si>")
		n++
		return n - 1
	}
	for i := 1; i <= benchRows; i++ {
		fmt.Fprintf(&sheet, `<row r="%d" spans="1:8">`, i)
		fmt.Fprintf(&sheet, `<c r="A%d" t="s"><v>%d</v></c>`, i, str(fmt.Sprintf("E%06d", i)))
		fmt.Fprintf(&sheet, `<c r="B%d" t="s"><v>%d</v></c>`, i, str(fmt.Sprintf("Person Number %d", i)))
		fmt.Fprintf(&sheet, `<c r="C%d" t="s"><v>%d</v></c>`, i, str(fmt.Sprintf("p%d@example.com", i)))
		fmt.Fprintf(&sheet, `<c r="D%d"><v>%d</v></c>`, i, i%99)
		fmt.Fprintf(&sheet, `<c r="E%d"><v>%v</v></c>`, i, float64(i)/7)
		fmt.Fprintf(&sheet, `<c r="F%d" s="1"><v>%d</v></c>`, i, 43831+i%3000)
		fmt.Fprintf(&sheet, `<c r="G%d" t="b"><v>%d</v></c>`, i, i%2)
		fmt.Fprintf(&sheet, `<c r="H%d" t="s"><v>%d</v></c>`, i, i%500)
		sheet.WriteString(`</row>`)
	}
	sheet.WriteString(`</sheetData></worksheet>`)
	sst.WriteString(`</sst>`)
	parts["xl/worksheets/sheet1.xml"] = sheet.String()
	parts["xl/sharedStrings.xml"] = sst.String()
	for name, body := range parts {
		w, err := zw.Create(name)
		if err != nil {
			return err
		}
		if _, err := w.Write([]byte(body)); err != nil {
			return err
		}
	}
	return zw.Close()
}

func BenchmarkRows(b *testing.B) {
	for _, bc := range []struct{ name, kind, sheet string }{
		{"stream writer inline strings", "stream", "Sheet1"},
		{"shared strings", "shared", "Data"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			path := benchBook(b, bc.kind)
			st, _ := os.Stat(path)
			b.ReportAllocs()
			b.ResetTimer()
			cells := 0
			for b.Loop() {
				wb, err := Open(path, DefaultLimits)
				if err != nil {
					b.Fatal(err)
				}
				rows, err := wb.Rows(bc.sheet)
				if err != nil {
					b.Fatal(err)
				}
				for rows.Next() {
					cells += len(rows.Row().Cells)
				}
				if err := rows.Err(); err != nil {
					b.Fatal(err)
				}
				rows.Close()
				wb.Close()
			}
			if cells != b.N*benchRows*benchCols {
				b.Fatalf("read %d cells, want %d", cells, b.N*benchRows*benchCols)
			}
			b.ReportMetric(float64(cells)/b.Elapsed().Seconds(), "cells/s")
			b.ReportMetric(float64(st.Size()), "file-bytes")
		})
	}
}

func BenchmarkCountRows(b *testing.B) {
	path := benchBook(b, "shared")
	wb, err := Open(path, DefaultLimits)
	if err != nil {
		b.Fatal(err)
	}
	defer wb.Close()
	b.ReportAllocs()
	for b.Loop() {
		n, err := wb.CountRows("Data")
		if err != nil || n != benchRows {
			b.Fatal(n, err)
		}
	}
	b.ReportMetric(float64(b.N*benchRows)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkExcelizeRows is the reference: excelize's own streaming reader.
func BenchmarkExcelizeRows(b *testing.B) {
	path := benchBook(b, "shared")
	b.ReportAllocs()
	cells := 0
	for b.Loop() {
		f, err := excelize.OpenFile(path)
		if err != nil {
			b.Fatal(err)
		}
		rows, err := f.Rows("Data")
		if err != nil {
			b.Fatal(err)
		}
		for rows.Next() {
			cols, err := rows.Columns(excelize.Options{RawCellValue: true})
			if err != nil {
				b.Fatal(err)
			}
			cells += len(cols)
		}
		rows.Close()
		f.Close()
	}
	b.ReportMetric(float64(cells)/b.Elapsed().Seconds(), "cells/s")
}

// BenchmarkInflate is the floor: decompressing the same parts, nothing else.
func BenchmarkInflate(b *testing.B) {
	path := benchBook(b, "shared")
	b.ReportAllocs()
	for b.Loop() {
		zr, err := zip.OpenReader(path)
		if err != nil {
			b.Fatal(err)
		}
		for _, f := range zr.File {
			if strings.HasSuffix(f.Name, "sheet1.xml") || strings.HasSuffix(f.Name, "sharedStrings.xml") {
				rc, err := f.Open()
				if err != nil {
					b.Fatal(err)
				}
				if _, err := io.Copy(io.Discard, rc); err != nil {
					b.Fatal(err)
				}
				rc.Close()
			}
		}
		zr.Close()
	}
}
