package components

import (
	"context"
	"strconv"
)

// SignedIn is who the page is for, as the layout shows it.
type SignedIn struct {
	Name    string
	Role    string
	Admin   bool // may open the users page
	SignOut bool // signed in with a session, which signing out ends
}

type signedInKey struct{}

// WithSignedIn returns a context whose pages show who is signed in.
func WithSignedIn(ctx context.Context, s SignedIn) context.Context {
	return context.WithValue(ctx, signedInKey{}, s)
}

func signedIn(ctx context.Context) (SignedIn, bool) {
	s, ok := ctx.Value(signedInKey{}).(SignedIn)
	return s, ok
}

// LoginView is the sign-in page.
type LoginView struct {
	Name  string // as typed, to type the password again only
	Next  string // the local path to return to
	Error string
}

// SetupView is the page that makes the first administrator.
type SetupView struct {
	Token         string
	Name          string
	NameError     string
	PasswordError string
}

// UserRow is one user on the users page.
type UserRow struct {
	Name, Role string
}

// UsersView is the users page.
type UsersView struct {
	Users  []UserRow
	Roles  []string
	Notice string // what the last change did
	Error  string // what was wrong with the last change
	// Field is the id of the field the error is about, which gets the
	// focus; Name and Role keep what was typed into the add form.
	Field      string
	Name, Role string
}

// TokenRow is one API token on the account page.
type TokenRow struct {
	ID, Label, Created, LastUsed string
}

// AccountView is the account page.
type AccountView struct {
	Name, Role string
	Tokens     []TokenRow
	Notice     string
	Error      string
}

func rowID(what string, i int) string { return what + "-" + strconv.Itoa(i) }

func errorFor(v UsersView, field string) string {
	if v.Field == field {
		return v.Error
	}
	return ""
}
