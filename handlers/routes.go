package handlers

import (
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"roster/assets"
)

// routes lists every route of Roster; who may use each is in rules
// (access.go). No timeout or compression
// middleware: the event stream must not be cut or buffered.
func (s *Server) routes() http.Handler {
	r := chi.NewRouter()
	r.Use(middleware.Recoverer)
	r.Use(s.logRequests)
	r.Use(securityHeaders)
	// HEAD is answered by the GET route, without its body, as monitors
	// and link checkers expect; chi registers GET routes for GET alone.
	// The access check looks HEAD up as GET too (rule).
	r.Use(middleware.GetHead)
	r.Use(s.authorize(r))
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

	r.Get("/login", s.loginPage())
	r.Post("/login", s.login())
	r.Post("/logout", s.logout())
	r.Get("/setup", s.setupPage())
	r.Post("/setup", s.setup())
	r.Get("/users", s.usersPage())
	r.Post("/users", s.addUser())
	r.Post("/users/role", s.setRole())
	r.Post("/users/password", s.setPassword())
	r.Post("/users/remove", s.removeUser())
	r.Get("/account", s.accountPage())
	r.Post("/account/tokens/revoke", s.revokeToken())

	return router{Mux: r, guarded: s.crossOriginProtection(r)}
}

// router is the whole HTTP side: the routes behind the cross-site check.
// It is also the chi.Routes of them, so that a test can walk every route
// and check who may use it.
type router struct {
	*chi.Mux
	guarded http.Handler
}

func (r router) ServeHTTP(w http.ResponseWriter, req *http.Request) { r.guarded.ServeHTTP(w, req) }
