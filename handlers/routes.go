package handlers

import (
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"roster/assets"
)

// routes lists every route of Roster. No timeout or compression
// middleware: the event stream must not be cut or buffered.
func (s *Server) routes() http.Handler {
	r := chi.NewRouter()
	r.Use(middleware.Recoverer)
	r.Use(s.logRequests)
	r.Use(securityHeaders)
	// HEAD is answered by the GET route, without its body, as monitors
	// and link checkers expect; chi registers GET routes for GET alone.
	r.Use(middleware.GetHead)
	r.NotFound(s.notFound)
	r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) {
		s.errorPage(w, r, http.StatusMethodNotAllowed, titles[http.StatusMethodNotAllowed], "This address does not take that kind of request.")
	})

	r.Get("/", s.uploadPage())
	r.Get("/healthz", s.healthz())
	r.Handle("/assets/*", assets.Handler())
	r.Get("/template.xlsx", s.template())
	r.Get("/export.xlsx", s.export())
	r.Post("/imports", s.createImport())
	r.Get("/imports", s.history())
	r.Get("/imports/{id}", s.showImport())
	r.Get("/imports/{id}/events", s.events())
	r.Get("/imports/{id}/problems.xlsx", s.problemsWorkbook())
	r.Post("/imports/{id}/cancel", s.cancelImport())
	r.Post("/imports/{id}/confirm", s.confirmImport())
	r.Post("/imports/{id}/undo", s.undoImport())
	r.Get("/imports/{id}/changes.xlsx", s.changesWorkbook())

	return s.crossOriginProtection(r)
}
