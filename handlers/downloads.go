package handlers

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"

	"github.com/go-chi/chi/v5"

	"roster/importer"
)

const xlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

// sendWorkbook writes a workbook made by write. It is spooled to a
// temporary file first, so a failure half way is a clean error page and
// never a truncated download, without holding big workbooks in memory.
func (s *Server) sendWorkbook(w http.ResponseWriter, r *http.Request, name string, write func(io.Writer) error) {
	f, err := os.CreateTemp(s.cfg.UploadDir, "download-*.xlsx")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	defer os.Remove(f.Name())
	defer f.Close()
	if err := write(f); err != nil {
		s.fail(w, r, importer.DiskFull(err))
		return
	}
	w.Header().Set("Content-Type", xlsxType)
	w.Header().Set("Content-Disposition", attachment(name))
	w.Header().Set("Cache-Control", "no-store")
	http.ServeContent(w, r, name, s.now(), f)
}

func (s *Server) template() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.sendWorkbook(w, r, "roster-template.xlsx", s.workbooks.Template)
	}
}

func (s *Server) export() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.sendWorkbook(w, r, "roster-export.xlsx", func(w io.Writer) error {
			return s.workbooks.Export(r.Context(), w)
		})
	}
}

func (s *Server) problemsWorkbook() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id := chi.URLParam(r, "id")
		st, err := s.imports.Status(r.Context(), id)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.sendWorkbook(w, r, problemsName(st.FileName), func(w io.Writer) error {
			return s.workbooks.Problems(r.Context(), id, w)
		})
	}
}

// problemsName names the problems workbook after the upload, so that
// staff.xlsx gives staff-problems.xlsx.
func problemsName(upload string) string {
	stem := upload
	if i := strings.LastIndexByte(stem, '.'); i >= 0 {
		stem = stem[:i]
	}
	if strings.TrimSpace(stem) == "" {
		return "problems.xlsx"
	}
	return stem + "-problems.xlsx"
}

// attachment is the Content-Disposition of a download named name, as RFC
// 6266 writes it for any name: filename, a quoted string of ASCII (every
// other character made "_"), for every browser; and, for a name that is
// not all ASCII, filename* with the name in UTF-8 (RFC 8187), which the
// browsers that know it prefer.
func attachment(name string) string {
	var ascii, encoded strings.Builder
	plain := true
	for _, r := range name {
		switch {
		case r < 0x20 || r == 0x7f || r > 0x7e:
			ascii.WriteByte('_')
			plain = false
		case r == '"' || r == '\\':
			ascii.WriteByte('\\')
			ascii.WriteRune(r)
		default:
			ascii.WriteRune(r)
		}
	}
	h := `attachment; filename="` + ascii.String() + `"`
	if plain {
		return h
	}
	for _, c := range []byte(name) {
		if isAttrChar(c) {
			encoded.WriteByte(c)
		} else {
			fmt.Fprintf(&encoded, "%%%02X", c)
		}
	}
	return h + "; filename*=UTF-8''" + encoded.String()
}

// isAttrChar tells the bytes RFC 8187 lets a filename* value carry as
// they are.
func isAttrChar(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		strings.IndexByte("!#$&+-.^_`|~", c) >= 0
}
