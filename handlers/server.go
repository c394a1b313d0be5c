// Package handlers is Roster's HTTP side: the routes of the contract, the
// upload, the event stream, the downloads, and the security every page
// gets. It knows HTTP and renders components; the importer does the work.
package handlers

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"sync/atomic"
	"time"

	"github.com/a-h/templ"
	"golang.org/x/sync/singleflight"

	"roster/access"
	"roster/components"
	"roster/importer"
	"roster/importer/queue"
)

// Imports is what the handlers need of the queue of imports.
type Imports interface {
	Submit(ctx context.Context, req importer.Request) (string, error)
	Status(ctx context.Context, id string) (importer.Status, error)
	History(ctx context.Context, limit int) ([]importer.Status, error)
	Problems(ctx context.Context, id string, perSheet int) ([]importer.Problem, int, error)
	Cancel(ctx context.Context, id, by string) error
	Subscribe(ctx context.Context, id string) (*queue.Subscription, error)

	// Section 8: saving a review, undoing an import, and what one changed.
	Confirm(ctx context.Context, reviewID, by string) (string, error)
	Undo(ctx context.Context, id, by string) (string, error)
	Changes(ctx context.Context, id string, perKind int) ([]importer.Change, error)
	Undoable(ctx context.Context, id string) (bool, error)
}

// Workbooks writes the workbooks users download.
type Workbooks interface {
	Template(w io.Writer) error
	Export(ctx context.Context, w io.Writer) error
	Problems(ctx context.Context, id string, w io.Writer) error
	Changes(ctx context.Context, id string, w io.Writer) error
}

// Config is how the server behaves.
type Config struct {
	MaxUpload int64         // bytes a workbook may have
	UploadDir string        // where uploads are written while they arrive
	KeepAlive time.Duration // between comments on an idle event stream
	Throttle  time.Duration // least time between two updates of one running step

	// Recheck is how often an open event stream checks that its session
	// still signs someone in (signed out, user removed): it ends within
	// one and a half times that when not.
	Recheck time.Duration
	// SetupToken opens the setup page that makes the first administrator,
	// while there is none; empty, the page stays shut.
	SetupToken string
	// ProxyHeader names the header in which a trusted proxy (a request
	// from ProxyFrom) names its signed-in user: single sign-on. The proxy
	// is also trusted to say X-Forwarded-Proto.
	ProxyHeader string
	ProxyFrom   []netip.Prefix
}

// Server holds the handlers' dependencies.
type Server struct {
	imports   Imports
	workbooks Workbooks
	people    *access.People
	health    func(context.Context) error
	log       *slog.Logger
	cfg       Config
	now       func() time.Time
	fragments fragmentCache
	streams   atomic.Int64 // event streams open now
	// undoChecks asks the store once whether an import can be undone for
	// all the streams that reach its end together.
	undoChecks singleflight.Group
	versions   versionCache // of the people, for the streams' rechecks
}

// NewServer returns the whole HTTP side of Roster.
func NewServer(log *slog.Logger, cfg Config, imports Imports, workbooks Workbooks, people *access.People, health func(context.Context) error) http.Handler {
	if cfg.Recheck <= 0 {
		cfg.Recheck = 2 * time.Second
	}
	if cfg.KeepAlive <= 0 {
		cfg.KeepAlive = 15 * time.Second
	}
	if cfg.Throttle <= 0 {
		cfg.Throttle = 100 * time.Millisecond
	}
	s := &Server{imports: imports, workbooks: workbooks, people: people, health: health, log: log, cfg: cfg, now: time.Now}
	return s.routes()
}

// render writes a component to a buffer first, so that a failure becomes a
// clean error page instead of half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, c templ.Component) {
	var buf bytes.Buffer
	if err := c.Render(r.Context(), &buf); err != nil {
		if r.Context().Err() != nil {
			return // the client has gone: there is nobody to answer
		}
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	buf.WriteTo(w)
}

// errorPage answers with a page.
func (s *Server) errorPage(w http.ResponseWriter, r *http.Request, status int, title, message string) {
	var buf bytes.Buffer
	var c templ.Component = components.ErrorPage(components.ErrorView{Status: status, Title: title, Message: message})
	if err := c.Render(r.Context(), &buf); err != nil {
		http.Error(w, title, status)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	buf.WriteTo(w)
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	s.errorPage(w, r, http.StatusNotFound, titles[http.StatusNotFound], "There is nothing at this address. Check the link, or start from the upload page.")
}

func isHTMX(r *http.Request) bool { return r.Header.Get("HX-Request") == "true" }
