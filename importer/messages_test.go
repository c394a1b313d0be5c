package importer_test

// Every message Roster gives a user is whole sentences: it starts with a
// capital letter and ends with a full stop. Every import the rules tests
// run has its messages checked (importPath); unreadable files are
// checked here.

import (
	"archive/zip"
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"roster/importer"
)

// wantSentence checks that a message starts with a capital letter and
// ends with a full stop.
func wantSentence(t testing.TB, what, msg string) {
	t.Helper()
	first, _ := utf8.DecodeRuneInString(msg)
	if !unicode.IsUpper(first) || !strings.HasSuffix(msg, ".") {
		t.Errorf("%s %q does not start with a capital letter and end with a full stop", what, msg)
	}
}

// wantSentences checks every message of an import: its problems, its
// warnings and what it says about its end.
func wantSentences(t testing.TB, res importer.Result) {
	t.Helper()
	for _, p := range res.Problems {
		wantSentence(t, "the problem message", p.Message)
	}
	for _, w := range res.Status.Warnings {
		wantSentence(t, "the warning", w)
	}
	if res.Status.Error != "" {
		wantSentence(t, "the import's error", res.Status.Error)
	}
}

// notAWorkbook is what Roster says, once, about a file that is no Excel
// workbook at all.
const notAWorkbook = "This file is not an Excel workbook (.xlsx). Open it in Excel and save it as Excel Workbook."

func TestUnreadableFilesAreToldInWords(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		noErr(t, os.WriteFile(p, data, 0o644))
		return p
	}
	zipOf := func(parts map[string]string) []byte {
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		for name, body := range parts {
			w, err := zw.Create(name)
			noErr(t, err)
			w.Write([]byte(body))
		}
		noErr(t, zw.Close())
		return buf.Bytes()
	}
	damaged := base().write(t)
	patchPackage(t, damaged, []patch{{regexp.MustCompile(`<sheets>`), `<sheets><oops`}})

	for _, tt := range []struct {
		name, path, want string
	}{
		{"a text file", write("a.xlsx", []byte("Employee ID,Name\n1,Ann\n")), notAWorkbook},
		{"an old binary workbook", write("b.xls", []byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"+strings.Repeat("\x00", 600))), notAWorkbook},
		{"a zip that is no workbook", write("c.xlsx", zipOf(map[string]string{"hello.txt": "hi"})), notAWorkbook},
		{"a binary .xlsb workbook", write("d.xlsx", zipOf(map[string]string{"xl/workbook.bin": "\x00"})), notAWorkbook},
		{"a workbook with a damaged part", damaged, ""},
		{"an empty file", write("e.xlsx", nil), ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := importer.Check(t.Context(), tt.path)
			if err == nil {
				t.Fatal("the file was accepted")
			}
			msg := importer.ErrorMessage(err)
			if tt.want != "" && msg != tt.want {
				t.Errorf("the message is %q, want %q", msg, tt.want)
			}
			wantSentence(t, "the message", msg)
			if n := strings.Count(strings.ToLower(msg), "save it"); n > 1 {
				t.Errorf("the message says to save it %d times: %q", n, msg)
			}
		})
	}
}
