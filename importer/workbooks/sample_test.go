package workbooks_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"testing"

	"roster/importer"
	"roster/importer/workbooks"
	"roster/importer/xlsx"
)

func sample(t *testing.T, o workbooks.SampleOptions) string {
	t.Helper()
	return writeFile(t, fmt.Sprintf("sample-%d-%d.xlsx", o.Employees, o.Errors), func(w io.Writer) error {
		return workbooks.WriteSample(w, o)
	})
}

// sampleCounts are the rows a sample of 200 employees has, by step.
var sampleCounts = map[importer.StepKey]int{
	importer.StepAreas: 3, importer.StepDepartments: 5, importer.StepDesignations: 32,
	importer.StepEmployees: 200, importer.StepSchedules: 1400, importer.StepDrivers: 20,
	importer.StepCarAssignments: 19,
}

func TestSampleImportsAndItsExportComesBackUnchanged(t *testing.T) {
	st := openStore(t)
	path := sample(t, workbooks.SampleOptions{Employees: 200, Seed: 1})

	t.Run("a sample of 200 employees imports with no problems and the expected counts", func(t *testing.T) {
		res := runImport(t, st, path)
		mustSucceed(t, res)
		for _, s := range res.Status.Steps {
			if s.State != importer.StepDone || s.Rows != sampleCounts[s.Key] || s.Created != s.Rows {
				t.Errorf("step %s: %s, %d rows, %d created; want done, %d rows all created", s.Key, s.State, s.Rows, s.Created, sampleCounts[s.Key])
			}
		}
		if len(res.Status.Warnings) > 0 {
			t.Errorf("warnings %q", res.Status.Warnings)
		}
	})

	export := writeFile(t, "export.xlsx", func(w io.Writer) error {
		return workbooks.WriteExport(context.Background(), st, w)
	})

	t.Run("its export imports with every row of every step unchanged", func(t *testing.T) {
		res := runImport(t, st, export)
		mustSucceed(t, res)
		for _, s := range res.Status.Steps {
			if s.State != importer.StepDone || s.Rows != sampleCounts[s.Key] || s.Unchanged != s.Rows {
				t.Errorf("step %s: %s, %d rows, %d created, %d updated, %d unchanged; want %d unchanged",
					s.Key, s.State, s.Rows, s.Created, s.Updated, s.Unchanged, sampleCounts[s.Key])
			}
		}
	})

	t.Run("its export has the template's sheets and keeps codes as text", func(t *testing.T) {
		f := openXLSX(t, export)
		if got, want := f.GetSheetList(), sheetNames(); !slices.Equal(got, want) {
			t.Errorf("sheets %q, want %q", got, want)
		}
		for ref, want := range map[string]string{"A2": "001", "A4": "003"} {
			c := cellsOf(t, export, "Areas")[ref]
			if c.Type != xlsx.TypeText || c.Value != want {
				t.Errorf("Areas!%s is %+v, want text %q", ref, c, want)
			}
		}
		date := cellsOf(t, export, "Employees")["H2"]
		if date.Type != xlsx.TypeNumber || !date.Format.IsDate() {
			t.Errorf("Employees!H2 is %+v, want a date cell", date)
		}
	})

	t.Run("its export imports into an empty database as the same data", func(t *testing.T) {
		other := openStore(t)
		mustSucceed(t, runImport(t, other, export))
		again := writeFile(t, "again.xlsx", func(w io.Writer) error {
			return workbooks.WriteExport(context.Background(), other, w)
		})
		for _, sh := range importer.Sheets {
			a, b := cellsOf(t, export, sh.Name), cellsOf(t, again, sh.Name)
			if len(a) != len(b) {
				t.Errorf("sheet %s: %d cells, then %d", sh.Name, len(a), len(b))
			}
			for ref, c := range a {
				if b[ref] != c {
					t.Errorf("%s!%s: %+v, then %+v", sh.Name, ref, c, b[ref])
				}
			}
		}
	})
}

func TestSampleIsTheSameForTheSameSeed(t *testing.T) {
	write := func(o workbooks.SampleOptions) map[string]map[string]xlsx.Cell {
		path := sample(t, o)
		out := map[string]map[string]xlsx.Cell{}
		for _, sh := range importer.Sheets {
			out[sh.Name] = cellsOf(t, path, sh.Name)
		}
		return out
	}
	a := write(workbooks.SampleOptions{Employees: 50, Seed: 7})
	b := write(workbooks.SampleOptions{Employees: 50, Seed: 7})
	c := write(workbooks.SampleOptions{Employees: 50, Seed: 8})
	bad := write(workbooks.SampleOptions{Employees: 50, Seed: 7, Errors: 12})
	same, differs, changed := true, false, 0
	for sheet, cells := range a {
		for ref, cell := range cells {
			same = same && b[sheet][ref] == cell
			differs = differs || c[sheet][ref] != cell
			if bad[sheet][ref] != cell {
				changed++
			}
		}
		for ref := range bad[sheet] {
			if _, ok := cells[ref]; !ok {
				changed++
			}
		}
	}
	if !same {
		t.Error("two samples of the same seed differ")
	}
	if !differs {
		t.Error("samples of different seeds are the same")
	}
	if changed != 12 {
		t.Errorf("the sample with 12 errors differs in %d cells, want 12", changed)
	}
}

func TestSampleErrorsMakeExactlyOneProblemEach(t *testing.T) {
	for _, k := range []int{1, 12, 17, 40} {
		t.Run(fmt.Sprintf("a sample with %d bad cells has exactly %d problems, one a cell", k, k), func(t *testing.T) {
			path := sample(t, workbooks.SampleOptions{Employees: 200, Errors: k, Seed: 3})
			res := runImport(t, openStore(t), path)
			if res.Status.State != importer.Failed || res.Status.Problems != k {
				for _, p := range res.Problems {
					t.Logf("%+v", p)
				}
				t.Fatalf("import %s with %d problems, want failed with %d", res.Status.State, res.Status.Problems, k)
			}
			cells := map[string]bool{}
			sheets := map[string]bool{}
			for _, p := range res.Problems {
				cells[p.Sheet+"!"+strconv.Itoa(p.Row)+"!"+p.Column] = true
				sheets[p.Sheet] = true
			}
			if len(cells) != k {
				t.Errorf("%d distinct cells, want %d: %+v", len(cells), k, res.Problems)
			}
			if k >= 12 && len(sheets) != len(importer.Sheets) {
				t.Errorf("problems on %d sheets, want all %d", len(sheets), len(importer.Sheets))
			}
		})
	}
	t.Run("more errors than a sample has room for is an error", func(t *testing.T) {
		err := workbooks.WriteSample(io.Discard, workbooks.SampleOptions{Employees: 1, Errors: 1000})
		if err == nil {
			t.Error("no error")
		}
	})
	t.Run("a sample with no employees is an error", func(t *testing.T) {
		if err := workbooks.WriteSample(io.Discard, workbooks.SampleOptions{}); err == nil {
			t.Error("no error")
		}
	})
}

func TestProblemsWorkbookOfASampleFixedAndUploadedAgainImports(t *testing.T) {
	const seed = 5
	good := sample(t, workbooks.SampleOptions{Employees: 200, Seed: seed})
	bad := sample(t, workbooks.SampleOptions{Employees: 200, Errors: 12, Seed: seed})
	st := openStore(t)
	res := runImport(t, st, bad)
	if res.Status.State != importer.Failed || len(res.Problems) != 12 {
		t.Fatalf("import %s with %d problems, want failed with 12", res.Status.State, len(res.Problems))
	}
	out := writeFile(t, "problems.xlsx", func(w io.Writer) error { return workbooks.WriteProblems(w, bad, res.Problems) })

	f := openXLSX(t, out)
	g := openXLSX(t, good)
	headers := map[string][]string{}
	for _, p := range res.Problems {
		if headers[p.Sheet] == nil {
			rows, err := f.Rows(p.Sheet)
			must(t, err)
			rows.Next()
			headers[p.Sheet], err = rows.Columns()
			must(t, err)
			rows.Close()
		}
		col := slices.IndexFunc(headers[p.Sheet], func(h string) bool { return importer.Normalize(h) == importer.Normalize(p.Column) })
		if col < 0 {
			t.Fatalf("no column %q in %s", p.Column, p.Sheet)
		}
		ref := xlsx.ColumnName(col) + strconv.Itoa(p.Row)
		if !highlighted(t, f, p.Sheet, ref) {
			t.Errorf("%s!%s is not highlighted", p.Sheet, ref)
		}
		v, err := g.GetCellValue(p.Sheet, ref)
		must(t, err)
		must(t, f.SetCellStr(p.Sheet, ref, v))
	}
	var buf bytes.Buffer
	must(t, f.Write(&buf))
	fixed := writeFile(t, "fixed.xlsx", func(w io.Writer) error { _, err := w.Write(buf.Bytes()); return err })

	t.Run("with its bad cells fixed it imports cleanly", func(t *testing.T) {
		res := runImport(t, st, fixed)
		mustSucceed(t, res)
		for _, s := range res.Status.Steps {
			if s.Rows != sampleCounts[s.Key] || s.Created != s.Rows {
				t.Errorf("step %s: %d rows, %d created; want %d created", s.Key, s.Rows, s.Created, sampleCounts[s.Key])
			}
		}
	})

	t.Run("and the data is that of the sample without errors", func(t *testing.T) {
		clean := openStore(t)
		mustSucceed(t, runImport(t, clean, good))
		a := writeFile(t, "a.xlsx", func(w io.Writer) error { return workbooks.WriteExport(context.Background(), st, w) })
		b := writeFile(t, "b.xlsx", func(w io.Writer) error { return workbooks.WriteExport(context.Background(), clean, w) })
		for _, sh := range importer.Sheets {
			ca, cb := cellsOf(t, a, sh.Name), cellsOf(t, b, sh.Name)
			if len(ca) != len(cb) {
				t.Errorf("sheet %s: %d cells, want %d", sh.Name, len(ca), len(cb))
			}
			for ref, c := range cb {
				if ca[ref] != c {
					t.Errorf("%s!%s: %+v, want %+v", sh.Name, ref, ca[ref], c)
				}
			}
		}
	})
}

func TestSampleWithSharedStringsHasTheSameCells(t *testing.T) {
	for _, k := range []int{0, 17} {
		o := workbooks.SampleOptions{Employees: 200, Errors: k, Seed: 4}
		inline := sample(t, o)
		o.SharedStrings = true
		shared := writeFile(t, fmt.Sprintf("shared-%d.xlsx", k), func(w io.Writer) error { return workbooks.WriteSample(w, o) })

		t.Run(fmt.Sprintf("with %d bad cells its text is in one table, each text once, as Excel saves it", k), func(t *testing.T) {
			parts := sheetXMLs(t, shared)
			if len(parts) != len(importer.Sheets) {
				t.Fatalf("%d worksheets, want %d", len(parts), len(importer.Sheets))
			}
			for name, xml := range parts {
				if strings.Contains(xml, "inlineStr") || !strings.Contains(xml, `t="s"`) {
					t.Errorf("%s has inline text, or none shared", name)
				}
			}
			texts := sharedTexts(t, shared)
			seen := map[string]bool{}
			for _, s := range texts {
				if seen[s] {
					t.Errorf("%q is twice in the table", s)
				}
				seen[s] = true
			}
			if !seen["Employee ID *"] || !seen["E000001"] {
				t.Errorf("the table lacks a header or an ID: %d texts", len(texts))
			}
			if texts[0] != "Code *" {
				t.Errorf("the table starts with %q, not the first sheet's first header", texts[0])
			}
			again := writeFile(t, fmt.Sprintf("again-%d.xlsx", k), func(w io.Writer) error { return workbooks.WriteSample(w, o) })
			if !slices.Equal(sharedTexts(t, again), texts) {
				t.Error("the same sample written again has another table")
			}
		})

		t.Run(fmt.Sprintf("with %d bad cells Roster's reader and excelize read the same cells from both", k), func(t *testing.T) {
			fi, fs := openXLSX(t, inline), openXLSX(t, shared)
			for _, sh := range importer.Sheets {
				a, b := cellsOf(t, inline, sh.Name), cellsOf(t, shared, sh.Name)
				if len(a) != len(b) {
					t.Errorf("sheet %s: %d cells inline, %d shared", sh.Name, len(a), len(b))
				}
				for ref, c := range a {
					if b[ref] != c {
						t.Errorf("%s!%s: %+v inline, %+v shared", sh.Name, ref, c, b[ref])
					}
				}
				ra, err := fi.GetRows(sh.Name)
				must(t, err)
				rb, err := fs.GetRows(sh.Name)
				must(t, err)
				if !slices.EqualFunc(ra, rb, slices.Equal) {
					t.Errorf("sheet %s: excelize reads %d rows inline, %d shared, not the same", sh.Name, len(ra), len(rb))
				}
			}
		})

		t.Run(fmt.Sprintf("with %d bad cells both import with the same result", k), func(t *testing.T) {
			a, b := runImport(t, openStore(t), inline), runImport(t, openStore(t), shared)
			if a.Status.State != b.Status.State || !slices.Equal(a.Problems, b.Problems) {
				t.Errorf("inline: %s, %d problems; shared: %s, %d problems", a.Status.State, len(a.Problems), b.Status.State, len(b.Problems))
			}
			if want := importer.Succeeded; k == 0 && a.Status.State != want {
				t.Errorf("inline: %s, want %s", a.Status.State, want)
			}
			for i, s := range a.Status.Steps {
				o := b.Status.Steps[i]
				if s.State != o.State || s.Rows != o.Rows || s.Created != o.Created || s.Problems != o.Problems {
					t.Errorf("step %s: %+v inline, %+v shared", s.Key, s, o)
				}
			}
		})
	}
}

// sharedTexts reads the texts of a workbook's shared-strings table.
func sharedTexts(t *testing.T, path string) []string {
	t.Helper()
	zr, err := zip.OpenReader(path)
	must(t, err)
	defer zr.Close()
	rc, err := zr.Open("xl/sharedStrings.xml")
	must(t, err)
	defer rc.Close()
	var sst struct {
		Count  int `xml:"count,attr"`
		Unique int `xml:"uniqueCount,attr"`
		SI     []struct {
			T string `xml:"t"`
		} `xml:"si"`
	}
	must(t, xml.NewDecoder(rc).Decode(&sst))
	if sst.Unique != len(sst.SI) || sst.Count < sst.Unique {
		t.Errorf("count %d, uniqueCount %d, for %d entries", sst.Count, sst.Unique, len(sst.SI))
	}
	var out []string
	for _, si := range sst.SI {
		out = append(out, si.T)
	}
	return out
}
