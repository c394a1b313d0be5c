package handlers

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/dustin/go-humanize/english"

	"roster/access"
	"roster/components"
	"roster/importer"
)

// The pages of people and access: sign in and out, the first
// administrator, the users page and the account page. Log lines name the
// user, never a password, token or session id.

// formLimit bounds the body of a form that is not an upload.
const formLimit = 64 << 10

func (s *Server) readForm(w http.ResponseWriter, r *http.Request) bool {
	r.Body = http.MaxBytesReader(w, r.Body, formLimit)
	if err := r.ParseForm(); err != nil {
		s.errorPage(w, r, http.StatusBadRequest, titles[http.StatusBadRequest], "The form did not arrive whole. Try again.")
		return false
	}
	return true
}

func (s *Server) loginPage() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		next := localPath(r.URL.Query().Get("next"))
		if _, err := s.identify(r); err == nil {
			http.Redirect(w, r, next, http.StatusSeeOther)
			return
		}
		s.render(w, r, http.StatusOK, components.LoginPage(components.LoginView{Next: next}))
	}
}

func (s *Server) login() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !s.readForm(w, r) {
			return
		}
		name, next := r.PostForm.Get("name"), localPath(r.PostForm.Get("next"))
		u, session, err := s.people.SignIn(r.Context(), name, r.PostForm.Get("password"))
		v := components.LoginView{Name: name, Next: next}
		if locked, ok := errors.AsType[*access.LockedError](err); ok {
			s.log.Warn("sign-in refused: too many failures", "user", name, "until", locked.Until)
			minutes := max(1, int((locked.Until.Sub(s.people.Now())+time.Minute-1)/time.Minute))
			v.Error = fmt.Sprintf("Too many failed sign-ins for this name. Try again in %d %s.", minutes, english.PluralWord(minutes, "minute", "minutes"))
			w.Header().Set("Retry-After", fmt.Sprint(minutes*60))
			s.render(w, r, http.StatusTooManyRequests, components.LoginPage(v))
			return
		}
		if errors.Is(err, access.ErrWrongSignIn) {
			s.log.Warn("failed sign-in", "user", name)
			v.Error = importer.ErrorMessage(err)
			s.render(w, r, http.StatusUnauthorized, components.LoginPage(v))
			return
		}
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.log.Info("signed in", "user", u.Name, "role", u.Role)
		s.setSession(w, r, session)
		http.Redirect(w, r, next, http.StatusSeeOther)
	}
}

// setSession gives the browser its session cookie: never readable by
// scripts, sent by other sites only on plain links, and only over HTTPS
// when that is how the browser came.
func (s *Server) setSession(w http.ResponseWriter, r *http.Request, id string) {
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: id, Path: "/",
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: s.overHTTPS(r),
	})
}

func (s *Server) logout() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		u, _ := userOf(r)
		if u.session != "" {
			if err := s.people.SignOut(r.Context(), u.session); err != nil {
				s.fail(w, r, err)
				return
			}
		}
		s.log.Info("signed out", "user", u.Name)
		http.SetCookie(w, &http.Cookie{
			Name: sessionCookie, Path: "/", MaxAge: -1,
			HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: s.overHTTPS(r),
		})
		http.Redirect(w, r, "/login", http.StatusSeeOther)
	}
}

// setupOpen reports whether the setup page may make the first
// administrator with this token: only while there is no administrator,
// and only with the token this server printed at its start.
func (s *Server) setupOpen(r *http.Request, token string) (bool, error) {
	if s.cfg.SetupToken == "" || !access.SameSecret(token, s.cfg.SetupToken) {
		return false, nil
	}
	has, err := s.people.Store.HasAdmin(r.Context())
	return !has, err
}

// setupGate answers a setup request that may not make the first
// administrator, and reports whether it may.
func (s *Server) setupGate(w http.ResponseWriter, r *http.Request, token string) bool {
	open, err := s.setupOpen(r, token)
	if err != nil {
		s.fail(w, r, err)
		return false
	}
	if !open {
		s.errorPage(w, r, http.StatusNotFound, titles[http.StatusNotFound], setupClosed)
	}
	return open
}

const setupClosed = "This setup address does not work (any more). Roster makes its first administrator only once, with the address the server printed when it started; sign in instead."

func (s *Server) setupPage() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		token := r.URL.Query().Get("token")
		if !s.setupGate(w, r, token) {
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		s.render(w, r, http.StatusOK, components.SetupPage(components.SetupView{Token: token}))
	}
}

func (s *Server) setup() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !s.readForm(w, r) {
			return
		}
		token, name, password := r.PostForm.Get("token"), r.PostForm.Get("name"), r.PostForm.Get("password")
		if !s.setupGate(w, r, token) {
			return
		}
		v := components.SetupView{Token: token, Name: name}
		if err := access.CheckName(name); err != nil {
			v.NameError = importer.ErrorMessage(err)
		} else if err := access.CheckPassword(password); err != nil {
			v.PasswordError = importer.ErrorMessage(err)
		}
		if v.NameError != "" || v.PasswordError != "" {
			w.Header().Set("Cache-Control", "no-store")
			s.render(w, r, http.StatusBadRequest, components.SetupPage(v))
			return
		}
		made, err := s.people.AddFirstAdmin(r.Context(), name, password)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if !made {
			s.errorPage(w, r, http.StatusNotFound, titles[http.StatusNotFound], setupClosed)
			return
		}
		s.log.Info("first administrator added", "user", name)
		session, err := s.people.StartSession(r.Context(), name)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.setSession(w, r, session)
		http.Redirect(w, r, "/users", http.StatusSeeOther)
	}
}

// notices are what a change on the users page did, by the done field of
// the address it returns to.
var notices = map[string]string{
	"added":    "The user was added.",
	"role":     "The role was changed. It applies at once, wherever the user is signed in.",
	"password": "The password was set.",
	"removed":  "The user was removed and signed out everywhere.",
}

func roleNames() []string {
	out := make([]string, len(access.Roles))
	for i, r := range access.Roles {
		out[i] = string(r)
	}
	return out
}

func (s *Server) usersView(r *http.Request, v components.UsersView) (components.UsersView, error) {
	users, err := s.people.Store.Users(r.Context())
	if err != nil {
		return v, err
	}
	for _, u := range users {
		v.Users = append(v.Users, components.UserRow{Name: u.Name, Role: string(u.Role)})
	}
	v.Roles = roleNames()
	if v.Role == "" {
		v.Role = string(access.Viewer)
	}
	return v, nil
}

func (s *Server) usersPage() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.showUsers(w, r, http.StatusOK, components.UsersView{Notice: notices[r.URL.Query().Get("done")]})
	}
}

func (s *Server) showUsers(w http.ResponseWriter, r *http.Request, status int, v components.UsersView) {
	v, err := s.usersView(r, v)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, status, components.UsersPage(v))
}

// changeUser runs one change of the users page: done says what it did
// (a key of notices), field which field of the add form an error is about.
func (s *Server) changeUser(change func(r *http.Request) (done, field string, err error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !s.readForm(w, r) {
			return
		}
		done, field, err := change(r)
		if err != nil {
			status, message := s.answer(r, err)
			v := components.UsersView{Error: message, Field: field}
			if field != "" {
				v.Name, v.Role = r.PostForm.Get("name"), r.PostForm.Get("role")
			}
			s.showUsers(w, r, status, v)
			return
		}
		s.log.Info("user changed", "by", byName(r), "user", r.PostForm.Get("name"), "change", done)
		http.Redirect(w, r, "/users?done="+done, http.StatusSeeOther)
	}
}

func (s *Server) addUser() http.HandlerFunc {
	return s.changeUser(func(r *http.Request) (string, string, error) {
		name, password := r.PostForm.Get("name"), r.PostForm.Get("password")
		if err := access.CheckName(name); err != nil {
			return "", "add-name", err
		}
		role, err := access.ParseRole(r.PostForm.Get("role"))
		if err != nil {
			return "", "add-role", err
		}
		if err := access.CheckPassword(password); err != nil {
			return "", "add-password", err
		}
		if err := s.people.AddUser(r.Context(), name, role, password); err != nil {
			return "", "add-name", err
		}
		return "added", "", nil
	})
}

func (s *Server) setRole() http.HandlerFunc {
	return s.changeUser(func(r *http.Request) (string, string, error) {
		role, err := access.ParseRole(r.PostForm.Get("role"))
		if err != nil {
			return "", "", err
		}
		return "role", "", s.people.Store.SetRole(r.Context(), r.PostForm.Get("name"), role)
	})
}

func (s *Server) setPassword() http.HandlerFunc {
	return s.changeUser(func(r *http.Request) (string, string, error) {
		return "password", "", s.people.SetPassword(r.Context(), r.PostForm.Get("name"), r.PostForm.Get("password"))
	})
}

func (s *Server) removeUser() http.HandlerFunc {
	return s.changeUser(func(r *http.Request) (string, string, error) {
		return "removed", "", s.people.Store.RemoveUser(r.Context(), r.PostForm.Get("name"))
	})
}

func (s *Server) accountView(r *http.Request, v components.AccountView) (components.AccountView, error) {
	u, _ := userOf(r)
	v.Name, v.Role = u.Name, string(u.Role)
	tokens, err := s.people.Store.Tokens(r.Context(), u.Name)
	if err != nil {
		return v, err
	}
	for _, t := range tokens {
		row := components.TokenRow{ID: t.ID, Label: t.Label, Created: t.Created.Local().Format("2 Jan 2006 15:04"), LastUsed: "never"}
		if !t.LastUsed.IsZero() {
			row.LastUsed = t.LastUsed.Local().Format("2 Jan 2006 15:04")
		}
		v.Tokens = append(v.Tokens, row)
	}
	return v, nil
}

func (s *Server) showAccount(w http.ResponseWriter, r *http.Request, status int, v components.AccountView) {
	v, err := s.accountView(r, v)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, status, components.AccountPage(v))
}

func (s *Server) accountPage() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var v components.AccountView
		if r.URL.Query().Get("done") == "revoked" {
			v.Notice = "The token was revoked: it no longer works."
		}
		s.showAccount(w, r, http.StatusOK, v)
	}
}

func (s *Server) revokeToken() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !s.readForm(w, r) {
			return
		}
		u, _ := userOf(r)
		if err := s.people.Store.RevokeToken(r.Context(), u.Name, r.PostForm.Get("id")); err != nil {
			status, message := s.answer(r, err)
			s.showAccount(w, r, status, components.AccountView{Error: message})
			return
		}
		s.log.Info("API token revoked", "user", u.Name)
		http.Redirect(w, r, "/account?done=revoked", http.StatusSeeOther)
	}
}
