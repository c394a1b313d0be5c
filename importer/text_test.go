package importer_test

// These tests hold the importer to the contract's rules on text (section
// 3): control characters in a cell are problems, and whatever a workbook
// holds, what Roster keeps and shows of it is short, valid UTF-8 without
// NUL, on both databases, as far as the problems workbook.

import (
	"io"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"roster/importer"
	"roster/importer/workbooks"
)

func TestCutAndQuote(t *testing.T) {
	long := strings.Repeat("é", 300)
	for _, c := range []struct{ name, in, cut, quoted string }{
		{"a short value is kept as it is", "North", "North", `"North"`},
		{"tab, line feed and carriage return are kept", "a\tb\r\nc", "a\tb\r\nc", `"a\tb\r\nc"`},
		{"NUL and other control characters are made visible", "a\x00b\x1bc\x7fd", "a␀b␛c␡d", `"a␀b␛c␡d"`},
		{"a C1 control character becomes U+FFFD", "a\u0085b", "a\uFFFDb", "\"a\uFFFDb\""},
		{"bytes that are not UTF-8 become U+FFFD", "a\xffb\xc3", "a\uFFFDb\uFFFD", "\"a\uFFFDb\uFFFD\""},
		{"a value of 200 characters is whole", long[:400], long[:400], `"` + long[:400] + `"`},
		{"past 200 characters the rest is an ellipsis, on a character boundary", long, long[:400] + "…", `"` + long[:400] + `…"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := importer.Cut(c.in); got != c.cut {
				t.Errorf("Cut(%q) = %q, want %q", c.in, got, c.cut)
			}
			if got := importer.Quote(c.in); got != c.quoted {
				t.Errorf("Quote(%q) = %q, want %q", c.in, got, c.quoted)
			}
		})
	}
}

func TestTextTheDatabaseRefuses(t *testing.T) { testTextTheDatabaseRefuses(t, openSQLite) }

// inline is a text cell written as Excel writes a text with characters
// XML cannot hold: _x0000_ is NUL.
func inline(text string) raw {
	return raw{`t="inlineStr"`, `<is><t xml:space="preserve">` + text + `</t></is>`}
}

func testTextTheDatabaseRefuses(t *testing.T, open opener) {
	long := "x" + strings.Repeat("é", 300) // cut at 200 bytes, it would split an é
	runCases(t, open, []ruleCase{
		reportedCase(ruleCase{
			name:     "a NUL in a cell is a problem that names it",
			book:     with("Areas", "B2", inline("Nor_x0000_th")),
			problems: []problem{{"Areas", 2, "Name", "Nor␀th", "control character (U+0000)"}},
		}),
		reportedCase(ruleCase{
			name:     "another control character is a problem that names it",
			book:     with("Areas", "B3", inline("So_x001B_uth")),
			problems: []problem{{"Areas", 3, "Name", "So␛uth", "control character (U+001B)"}},
		}),
		reportedCase(ruleCase{
			name:     "a control character in a date cell is named, not taken for a bad date",
			book:     with("Drivers", "C2", inline("2026-12-31_x0000_")),
			problems: []problem{{"Drivers", 2, "License Expiry", "2026-12-31␀", "control character (U+0000)"}},
		}),
		reportedCase(ruleCase{
			name:     "a value cut for the problem never splits a character",
			book:     with("Employees", "C2", long),
			problems: []problem{{"Employees", 2, "Email", long[:1+2*199] + "…", "Expected an email address"}},
		}),
		{
			name: "tab, line feed and carriage return are kept",
			seed: true,
			book: with("Areas", "B2", inline("North_x0009_Side_x000D__x000A_Coast")),
			check: func(t *testing.T, d *testDB, res importer.Result) {
				d.wantRows(t, "SELECT name FROM areas WHERE code = 'N'", "North\tSide\r\nCoast")
			},
		},
		{
			name: "a cell holding \\N is that text, not an empty cell",
			seed: true,
			book: with("Areas", "B2", inline(`\N`)),
			check: func(t *testing.T, d *testDB, res importer.Result) {
				d.wantRows(t, "SELECT name FROM areas WHERE code = 'N'", `\N`)
			},
		},
		{
			name: "a backslash before a tab and quotes are kept as written",
			seed: true,
			book: with("Areas", "B2", inline(`North\_x0009_"Side" 'Coast' \\`)),
			check: func(t *testing.T, d *testDB, res importer.Result) {
				d.wantRows(t, "SELECT name FROM areas WHERE code = 'N'", "North\\\t\"Side\" 'Coast' \\\\")
			},
		},
	})
}

// with is base with one cell changed.
func with(sheet, ref string, v any) func() book {
	return func() book {
		b := base()
		b.sheet(sheet).set(ref, v)
		return b
	}
}

// reportedCase is a case whose import, into a database holding base,
// fails with problems that must also be kept and reported: they are what
// a user can be shown (valid UTF-8, no control characters, values cut),
// the store keeps every one and gives it back the same, and the problems
// workbook made from the kept ones lists each.
func reportedCase(c ruleCase) ruleCase {
	c.seed = true
	c.check = func(t *testing.T, d *testDB, res importer.Result) {
		for _, p := range res.Problems {
			wantShowable(t, p)
		}
		kept := keep(t, d, res)
		if len(kept) != len(res.Problems) {
			t.Fatalf("the store kept %d problems of %d", len(kept), len(res.Problems))
		}
		for i := range kept {
			if kept[i] != res.Problems[i] {
				t.Errorf("problem %d kept as %+v, was %+v", i, kept[i], res.Problems[i])
			}
		}
		// The book is written again as it was: the upload the problems
		// workbook is made from.
		listed := problemsSheet(t, c.book().write(t), kept)
		for _, p := range kept {
			want := []string{p.Sheet, rowText(p.Row), p.Column, p.Value, p.Message}
			if !slices.ContainsFunc(listed, func(row []string) bool { return slices.Equal(row, want) }) {
				t.Errorf("the problems workbook does not list %q; it lists %q", want, listed)
			}
		}
	}
	return c
}

func rowText(n int) string {
	if n == 0 {
		return ""
	}
	return strconv.Itoa(n)
}

// wantShowable fails unless every text of p is valid UTF-8 without control
// characters (tab, line feed and carriage return aside) and its value is
// cut at 200 characters.
func wantShowable(t *testing.T, p importer.Problem) {
	t.Helper()
	for _, s := range []string{p.Sheet, p.Column, p.Value, p.Message} {
		if !utf8.ValidString(s) || strings.ContainsFunc(s, func(r rune) bool {
			return (r < 0x20 && r != '\t' && r != '\n' && r != '\r') || (r >= 0x7f && r < 0xa0)
		}) {
			t.Errorf("problem %+v holds %q, which is not valid UTF-8 or has a control character", p, s)
		}
	}
	if n := utf8.RuneCountInString(p.Value); n > importer.MaxQuoted+1 {
		t.Errorf("problem at %s row %d quotes a value of %d characters", p.Sheet, p.Row, n)
	}
}

// keep saves an import's status and problems as the queue does, and reads
// the problems back.
func keep(t *testing.T, d *testDB, res importer.Result) []importer.Problem {
	t.Helper()
	_, err := d.st.SaveEnd(t.Context(), res.Status, res.Problems)
	noErr(t, err)
	kept, total, err := d.st.Problems(t.Context(), res.Status.ID, 0)
	noErr(t, err)
	if total != len(kept) {
		t.Errorf("the store counts %d problems and lists %d", total, len(kept))
	}
	return kept
}

// problemsSheet writes the problems workbook of an import from the
// problems kept and returns the rows of its Problems sheet.
func problemsSheet(t *testing.T, upload string, kept []importer.Problem) [][]string {
	t.Helper()
	out := writeFile(t, "problems.xlsx", func(w io.Writer) error {
		return workbooks.WriteProblems(w, upload, kept)
	})
	f, err := excelize.OpenFile(out)
	noErr(t, err)
	defer f.Close()
	rows, err := f.GetRows("Problems")
	noErr(t, err)
	return rows
}

func TestFileName(t *testing.T) {
	stem := "x" + strings.Repeat("é", 200) // 401 bytes: cut inside an é at 249
	for _, c := range []struct{ name, in, want string }{
		{"a plain name is kept", "staff.xlsx", "staff.xlsx"},
		{"only the last element of a path is kept", `C:\Users\ann\staff.xlsx`, "staff.xlsx"},
		{"control characters, tab included, are made visible", "a\x00b\tc.xlsx", "a␀b␉c.xlsx"},
		{"bytes that are not UTF-8 become U+FFFD", "a\xffb.xlsx", "a\uFFFDb.xlsx"},
		{"a long name is cut at 255 bytes on a character boundary, keeping its extension", stem + ".xlsx",
			stem[:1+2*123] + "….xlsx"},
		{"a long name without an extension is cut too", stem, stem[:1+2*125] + "…"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := importer.FileName(c.in)
			if got != c.want {
				t.Errorf("FileName(%.60q) = %q, want %q", c.in, got, c.want)
			}
			if len(got) > importer.MaxFileName || importer.FileName(got) != got {
				t.Errorf("FileName(%.60q) = %q: %d bytes, or not kept as it is", c.in, got, len(got))
			}
		})
	}
}
