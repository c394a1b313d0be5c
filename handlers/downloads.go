package handlers

import (
	"io"
	"net/http"
	"os"

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
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
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
		if _, err := s.imports.Status(r.Context(), id); err != nil {
			s.fail(w, r, err)
			return
		}
		s.sendWorkbook(w, r, "problems.xlsx", func(w io.Writer) error {
			return s.workbooks.Problems(r.Context(), id, w)
		})
	}
}
