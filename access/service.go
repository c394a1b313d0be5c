package access

import (
	"context"
	"errors"
	"time"
)

// Store keeps people, sessions, tokens and failed sign-ins. Secrets reach
// it only as hashes; times are given, so that tests choose the clock.
type Store interface {
	AddUser(ctx context.Context, u User, passwordHash string, at time.Time) error // ErrUserExists
	AddFirstAdmin(ctx context.Context, name, passwordHash string, at time.Time) (bool, error)
	PasswordHash(ctx context.Context, name string) (User, string, error) // ErrNoUser
	Users(ctx context.Context) ([]User, error)
	SetRole(ctx context.Context, name string, role Role) error        // ErrNoUser, ErrLastAdmin
	SetPassword(ctx context.Context, name, passwordHash string) error // ErrNoUser
	RemoveUser(ctx context.Context, name string) error                // ErrNoUser, ErrLastAdmin; with their sessions and tokens
	HasAdmin(ctx context.Context) (bool, error)
	// PeopleVersion moves whenever somebody may have lost access: a
	// session or token ended, a user removed, a role changed.
	PeopleVersion(ctx context.Context) (int64, error)

	AddSession(ctx context.Context, hash, name string, at time.Time) error
	// SessionUser is the user of a session used since idleSince, which is
	// then marked used at now (not on every request: see the store).
	SessionUser(ctx context.Context, hash string, idleSince, now time.Time) (User, error) // ErrNotSignedIn
	RemoveSession(ctx context.Context, hash string) error

	AddToken(ctx context.Context, id, hash, name, label string, at time.Time) error
	TokenUser(ctx context.Context, hash string, now time.Time) (User, error) // ErrNotSignedIn
	Tokens(ctx context.Context, name string) ([]Token, error)
	RevokeToken(ctx context.Context, name, id string) error // ErrNoToken

	// Failures returns the failed sign-ins in a row for a name, and when
	// the last was; AddFailure counts one more.
	Failures(ctx context.Context, name string) (int, time.Time, error)
	AddFailure(ctx context.Context, name string, at time.Time) error
	ClearFailures(ctx context.Context, name string) error
}

// People signs people in and out and keeps their accounts, over a Store.
type People struct {
	Store   Store
	Now     func() time.Time
	Lockout Lockout
}

// NewPeople returns People over a store, on the real clock and the
// contract's lockout.
func NewPeople(st Store) *People {
	return &People{Store: st, Now: time.Now, Lockout: DefaultLockout}
}

// SignIn checks a name and password and starts a session, whose id it
// returns (the only place it ever exists outside the person's browser).
// A wrong name or password is ErrWrongSignIn whichever it was; a name
// locked after too many failures is a *LockedError.
func (p *People) SignIn(ctx context.Context, name, password string) (User, string, error) {
	now := p.Now()
	failures, last, err := p.Store.Failures(ctx, name)
	if err != nil {
		return User{}, "", err
	}
	if until := p.Lockout.Until(failures, last); now.Before(until) {
		return User{}, "", &LockedError{Until: until}
	}
	u, hash, err := p.Store.PasswordHash(ctx, name)
	if err != nil && !errors.Is(err, ErrNoUser) {
		return User{}, "", err
	}
	if !CheckHash(hash, password) { // also for a name nobody has: the same work
		// The failure that locks the name is answered as any other; the
		// next try hears of the lock.
		if err := p.Store.AddFailure(ctx, name, now); err != nil {
			return User{}, "", err
		}
		return User{}, "", ErrWrongSignIn
	}
	if failures > 0 {
		if err := p.Store.ClearFailures(ctx, name); err != nil {
			return User{}, "", err
		}
	}
	id, err := p.StartSession(ctx, u.Name)
	return u, id, err
}

// StartSession starts a session for a user and returns its id.
func (p *People) StartSession(ctx context.Context, name string) (string, error) {
	id, hash := newSecret("")
	if err := p.Store.AddSession(ctx, hash, name, p.Now()); err != nil {
		return "", err
	}
	return id, nil
}

// Session is the user a session id signs in: ErrNotSignedIn when it ended
// (signed out, idle too long, user removed).
func (p *People) Session(ctx context.Context, id string) (User, error) {
	if id == "" {
		return User{}, ErrNotSignedIn
	}
	now := p.Now()
	return p.Store.SessionUser(ctx, HashSecret(id), now.Add(-IdleLimit), now)
}

// SignOut ends a session.
func (p *People) SignOut(ctx context.Context, id string) error {
	return p.Store.RemoveSession(ctx, HashSecret(id))
}

// TokenUser is the user an API token acts as, or ErrNotSignedIn.
func (p *People) TokenUser(ctx context.Context, token string) (User, error) {
	if token == "" {
		return User{}, ErrNotSignedIn
	}
	return p.Store.TokenUser(ctx, HashSecret(token), p.Now())
}

// NewToken makes an API token for a user and returns it: shown once, and
// kept only as its hash.
func (p *People) NewToken(ctx context.Context, name, label string) (string, error) {
	token, hash := newSecret(tokenPrefix)
	id, _ := newSecret("")
	if err := p.Store.AddToken(ctx, id[:16], hash, name, label, p.Now()); err != nil {
		return "", err
	}
	return token, nil
}

// AddUser adds a person with a role and a password.
func (p *People) AddUser(ctx context.Context, name string, role Role, password string) error {
	if err := CheckName(name); err != nil {
		return err
	}
	if err := CheckPassword(password); err != nil {
		return err
	}
	return p.Store.AddUser(ctx, User{Name: name, Role: role}, HashPassword(password), p.Now())
}

// AddFirstAdmin adds the first administrator, only while there is none;
// ok is false when there is one already.
func (p *People) AddFirstAdmin(ctx context.Context, name, password string) (ok bool, err error) {
	if err := CheckName(name); err != nil {
		return false, err
	}
	if err := CheckPassword(password); err != nil {
		return false, err
	}
	return p.Store.AddFirstAdmin(ctx, name, HashPassword(password), p.Now())
}

// SetPassword gives a user a new password.
func (p *People) SetPassword(ctx context.Context, name, password string) error {
	if err := CheckPassword(password); err != nil {
		return err
	}
	return p.Store.SetPassword(ctx, name, HashPassword(password))
}

// ProxyUser is the user a trusted proxy names, made a viewer on first
// sight. Such a user has no password: they sign in only through the proxy.
func (p *People) ProxyUser(ctx context.Context, name string) (User, bool, error) {
	if err := CheckName(name); err != nil {
		return User{}, false, err
	}
	u, _, err := p.Store.PasswordHash(ctx, name)
	if err == nil {
		return u, false, nil
	}
	if !errors.Is(err, ErrNoUser) {
		return User{}, false, err
	}
	u = User{Name: name, Role: Viewer}
	if err := p.Store.AddUser(ctx, u, "", p.Now()); err != nil && !errors.Is(err, ErrUserExists) {
		return User{}, false, err
	}
	u, _, err = p.Store.PasswordHash(ctx, name) // made here or at once by another request
	return u, err == nil, err
}
