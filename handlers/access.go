package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/netip"
	"net/url"
	"strings"

	"github.com/go-chi/chi/v5"

	"roster/access"
	"roster/components"
)

// public marks a route that anyone may use, signed in or not.
const public access.Role = ""

// rules are the least role each route needs, by "METHOD PATTERN" as the
// router has it ("*" for a route of every method). A route the router
// has and this table lacks is refused to everyone (and the table test
// over every route fails), so that nothing is open by mistake.
var rules = map[string]access.Role{
	"GET /healthz":  public,
	"* /assets/*":   public,
	"GET /login":    public,
	"POST /login":   public,
	"GET /setup":    public,
	"POST /setup":   public,
	"POST /logout":  access.Viewer,
	"GET /account":  access.Viewer,
	"GET /":         access.Viewer,
	"GET /imports":  access.Viewer,
	"POST /imports": access.Importer,

	"GET /template.xlsx":              access.Viewer,
	"GET /export.xlsx":                access.Viewer,
	"GET /imports/{id}":               access.Viewer,
	"GET /imports/{id}/events":        access.Viewer,
	"GET /imports/{id}/problems.xlsx": access.Viewer,
	"GET /imports/{id}/changes.xlsx":  access.Viewer,
	"POST /imports/{id}/cancel":       access.Importer,
	"POST /imports/{id}/confirm":      access.Importer,
	"POST /imports/{id}/undo":         access.Admin,
	"POST /account/tokens/revoke":     access.Viewer,
	"GET /users":                      access.Admin,
	"POST /users":                     access.Admin,
	"POST /users/role":                access.Admin,
	"POST /users/password":            access.Admin,
	"POST /users/remove":              access.Admin,
}

// rule is the role a request's route needs. route is false when no route
// matches (the router answers 404 or 405); known is false for a route
// without a rule.
func rule(mux *chi.Mux, r *http.Request) (need access.Role, route, known bool) {
	// The path as chi routes it, so that the rule is the routed route's.
	path := r.URL.Path
	if r.URL.RawPath != "" {
		path = r.URL.RawPath
	}
	if path == "" {
		path = "/"
	}
	method := r.Method
	pattern := mux.Find(chi.NewRouteContext(), method, path)
	if pattern == "" && method == http.MethodHead {
		// HEAD is answered by the GET route (middleware.GetHead), so it
		// needs what GET needs.
		method = http.MethodGet
		pattern = mux.Find(chi.NewRouteContext(), method, path)
	}
	if pattern == "" {
		return access.Viewer, false, true
	}
	if need, ok := rules[method+" "+pattern]; ok {
		return need, true, true
	}
	need, ok := rules["* "+pattern]
	return need, true, ok
}

// How a request is signed in.
const (
	viaSession = "session"
	viaToken   = "token"
	viaProxy   = "single sign-on"
)

// sessionCookie holds a session id.
const sessionCookie = "roster_session"

// who is the signed-in user of a request, kept in its context.
type who struct {
	access.User
	via     string
	session string // the session id, when via a session
	// version is the people's version read before the user was found
	// (-1 when it could not be read): an event stream asks again only
	// once it has moved.
	version int64
}

type whoKey struct{}

// requestNote is where the access check leaves, for the request's log
// line, who made the request.
type requestNote struct{ name, via string }

type noteKey struct{}

func userOf(r *http.Request) (who, bool) {
	w, ok := r.Context().Value(whoKey{}).(who)
	return w, ok
}

// byName is the name of the request's user, as imports record it.
func byName(r *http.Request) string {
	w, _ := userOf(r)
	return w.Name
}

// authorize lets a request through only when its user's role allows its
// route: anonymous requests are sent to sign in, others above their role
// get 403 with a page that names the role needed.
func (s *Server) authorize(mux *chi.Mux) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			need, route, known := rule(mux, r)
			if known && need == public {
				next.ServeHTTP(w, r)
				return
			}
			version, verr := s.peopleVersion(r.Context())
			if verr != nil {
				version = -1
			}
			u, err := s.identify(r)
			if errors.Is(err, access.ErrNotSignedIn) {
				s.signInFirst(w, r)
				return
			}
			if err != nil {
				s.fail(w, r, err)
				return
			}
			u.version = version
			if note, ok := r.Context().Value(noteKey{}).(*requestNote); ok {
				note.name, note.via = u.Name, u.via
			}
			ctx := context.WithValue(r.Context(), whoKey{}, u)
			ctx = components.WithSignedIn(ctx, components.SignedIn{
				Name: u.Name, Role: string(u.Role), Admin: u.Role.Allows(access.Admin), SignOut: u.via == viaSession,
			})
			r = r.WithContext(ctx)
			switch {
			case !known:
				s.log.Error("a route has no access rule; refused", "method", r.Method, "path", r.URL.Path)
				s.errorPage(w, r, http.StatusForbidden, titles[http.StatusForbidden], "Nobody may use this address yet.")
			case route && !u.Role.Allows(need):
				s.forbidden(w, r, u, need)
			default:
				next.ServeHTTP(w, r)
			}
		})
	}
}

// identify finds who sent a request: an API token, a trusted proxy's
// header, or a session cookie, in that order. access.ErrNotSignedIn when
// none signs anybody in.
func (s *Server) identify(r *http.Request) (who, error) {
	ctx := r.Context()
	if token, ok := bearer(r); ok {
		u, err := s.people.TokenUser(ctx, token)
		return who{User: u, via: viaToken}, err
	}
	if name := s.proxyUser(r); name != "" {
		u, created, err := s.people.ProxyUser(ctx, name)
		if created {
			s.log.Info("user added by single sign-on", "user", name, "role", u.Role)
		}
		return who{User: u, via: viaProxy}, err
	}
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return who{}, access.ErrNotSignedIn
	}
	u, err := s.people.Session(ctx, c.Value)
	return who{User: u, via: viaSession, session: c.Value}, err
}

// bearer is the token of an Authorization: Bearer header.
func bearer(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	return strings.TrimSpace(token), true
}

// fromProxy reports whether a request comes from an address of the
// trusted proxy.
func (s *Server) fromProxy(r *http.Request) bool {
	if len(s.cfg.ProxyFrom) == 0 {
		return false
	}
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	ip := ap.Addr().Unmap()
	for _, p := range s.cfg.ProxyFrom {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// proxyUser is the user a trusted proxy names in its header; "" when the
// request has no such header or does not come from the proxy, whose
// header is then ignored.
func (s *Server) proxyUser(r *http.Request) string {
	if s.cfg.ProxyHeader == "" || !s.fromProxy(r) {
		return ""
	}
	return strings.TrimSpace(r.Header.Get(s.cfg.ProxyHeader))
}

// overHTTPS reports whether the browser reached Roster over HTTPS,
// directly or through the trusted proxy.
func (s *Server) overHTTPS(r *http.Request) bool {
	return r.TLS != nil || (s.fromProxy(r) && strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https"))
}

// signInFirst answers a request that nobody signed: a browser goes to the
// sign-in page and comes back after; a script (or the event stream) gets
// 401.
func (s *Server) signInFirst(w http.ResponseWriter, r *http.Request) {
	next := r.URL.Path
	if r.Method == http.MethodGet && r.URL.RawQuery != "" {
		next += "?" + r.URL.RawQuery
	}
	login := "/login?next=" + url.QueryEscape(next)
	_, isBearer := bearer(r)
	accept := r.Header.Get("Accept")
	switch {
	case isBearer || wantsJSON(r) || strings.Contains(accept, "text/event-stream"):
		w.Header().Set("WWW-Authenticate", `Bearer realm="Roster"`)
		if wantsJSON(r) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			w.Write([]byte(`{"error":"Sign in first: send Authorization: Bearer TOKEN, or sign in at /login."}` + "\n"))
			return
		}
		http.Error(w, "Sign in first.", http.StatusUnauthorized)
	case isHTMX(r):
		// htmx would follow a redirect and swap the sign-in page into a
		// fragment's place; it goes to the page instead.
		w.Header().Set("HX-Redirect", login)
		w.WriteHeader(http.StatusUnauthorized)
	default:
		http.Redirect(w, r, login, http.StatusSeeOther)
	}
}

// forbidden answers a request above its user's role.
func (s *Server) forbidden(w http.ResponseWriter, r *http.Request, u who, need access.Role) {
	message := "This needs the " + string(need) + " role. You are signed in as " + u.Name + ", who is " +
		article(u.Role) + " " + string(u.Role) + ". Ask an administrator if you need more."
	if wantsJSON(r) {
		body, _ := json.Marshal(map[string]string{"error": message, "role_needed": string(need)})
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusForbidden)
		w.Write(body)
		return
	}
	s.errorPage(w, r, http.StatusForbidden, "Not allowed", message)
}

func article(r access.Role) string {
	if r == access.Importer || r == access.Admin {
		return "an"
	}
	return "a"
}

// localPath is where to go after signing in: next when it is a path of
// this site, else the upload page. Another site ("//host", "/\host", a
// scheme) is never a place to send someone who just typed a password.
func localPath(next string) string {
	if next == "" || next[0] != '/' || strings.HasPrefix(next, "//") || strings.HasPrefix(next, `/\`) ||
		strings.ContainsFunc(next, func(r rune) bool { return r < 0x20 || r == 0x7f || r == '\\' }) {
		return "/"
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return "/"
	}
	return next
}
