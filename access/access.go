// Package access is who may use Roster: people and their roles, their
// passwords, sessions and API tokens, and the lockout that slows down
// guessing. It keeps no data itself: a Store (the SQL adapter) does, and
// the secrets reach it only as hashes.
package access

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"roster/importer"
)

// Role is what a person may do. Each role may do everything the ones
// before it may.
type Role string

const (
	Viewer   Role = "viewer"   // every page, stream and download
	Importer Role = "importer" // also upload, review, confirm, cancel
	Admin    Role = "admin"    // also undo, and the users page
)

// Roles are every role, least first.
var Roles = []Role{Viewer, Importer, Admin}

func (r Role) rank() int {
	for i, x := range Roles {
		if x == r {
			return i + 1
		}
	}
	return 0
}

// Allows reports whether someone with role r may do what needs role need.
func (r Role) Allows(need Role) bool { return r.rank() > 0 && r.rank() >= need.rank() }

// ParseRole reads a role by its name.
func ParseRole(s string) (Role, error) {
	r := Role(strings.ToLower(strings.TrimSpace(s)))
	if r.rank() == 0 {
		return "", importer.Errorf(importer.CodeInvalid, nil, "%q is not a role; the roles are viewer, importer and admin.", s)
	}
	return r, nil
}

// User is a person who may sign in.
type User struct {
	Name string
	Role Role
}

// Token is what a person sees of one of their API tokens: never the
// token itself, which only its hash stands for once it is made.
type Token struct {
	ID       string // public: names the token to revoke it
	Label    string
	Created  time.Time
	LastUsed time.Time // zero when never used
}

// MinPassword is the fewest characters a password may have.
const MinPassword = 12

// IdleLimit is how long a session lives without use.
const IdleLimit = 12 * time.Hour

var (
	// ErrNoUser is a name that nobody has.
	ErrNoUser = &importer.Error{Code: importer.CodeNotFound, Message: "There is no user of that name."}
	// ErrUserExists is a name already taken.
	ErrUserExists = &importer.Error{Code: importer.CodeConflict, Message: "A user of that name exists already."}
	// ErrLastAdmin keeps Roster from being left without an administrator.
	ErrLastAdmin = &importer.Error{Code: importer.CodeConflict, Message: "This is the last administrator: make another user an administrator first."}
	// ErrWrongSignIn does not say whether the name or the password was wrong.
	ErrWrongSignIn = &importer.Error{Code: importer.CodeInvalid, Message: "The name or the password is wrong."}
	// ErrNotSignedIn is a session, token or name that signs nobody in.
	ErrNotSignedIn = errors.New("not signed in")
)

// CheckName says what is wrong with a user name, if anything.
func CheckName(name string) error {
	switch {
	case name == "":
		return importer.Errorf(importer.CodeInvalid, nil, "Give a name.")
	case !utf8.ValidString(name) || utf8.RuneCountInString(name) > 100:
		return importer.Errorf(importer.CodeInvalid, nil, "A name has at most 100 characters.")
	case strings.TrimSpace(name) != name:
		return importer.Errorf(importer.CodeInvalid, nil, "A name does not begin or end with a space.")
	case strings.ContainsFunc(name, unicode.IsControl):
		return importer.Errorf(importer.CodeInvalid, nil, "A name has only letters, digits, spaces and signs.")
	}
	return nil
}

// CheckPassword says what is wrong with a new password, if anything.
func CheckPassword(password string) error {
	if utf8.RuneCountInString(password) < MinPassword {
		return importer.Errorf(importer.CodeInvalid, nil, "A password has at least %d characters.", MinPassword)
	}
	if len(password) > 1024 {
		return importer.Errorf(importer.CodeInvalid, nil, "A password has at most 1024 characters.")
	}
	return nil
}

// newSecret returns a new random secret (session id or token, 160 bits
// from crypto/rand) and the hash that stands for it in the database.
func newSecret(prefix string) (secret, hash string) {
	secret = prefix + rand.Text() + rand.Text()[:6]
	return secret, HashSecret(secret)
}

// HashSecret is the hash a session id or token is kept as: SHA-256,
// enough for a random secret (no dictionary to guess from), and fast
// enough to look up on every request.
func HashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// SameSecret compares two secrets in constant time.
func SameSecret(a, b string) bool {
	ha, hb := sha256.Sum256([]byte(a)), sha256.Sum256([]byte(b))
	return subtle.ConstantTimeCompare(ha[:], hb[:]) == 1
}

// tokenPrefix marks Roster's API tokens, so that one pasted where it
// should not be is recognised.
const tokenPrefix = "roster_"

// LockedError is a name that may not sign in until Until, after too many
// failures in a row.
type LockedError struct{ Until time.Time }

func (e *LockedError) Error() string {
	return fmt.Sprintf("locked until %s", e.Until.Format(time.RFC3339))
}

// Lockout is the policy against guessing: after Free failures in a row
// for a name, from wherever they come, the name is locked for Base from
// its last failure, and each further failure doubles that, up to Max.
type Lockout struct {
	Free int
	Base time.Duration
	Max  time.Duration
}

// DefaultLockout is the contract's: five failures, then a minute, longer
// as failures go on.
var DefaultLockout = Lockout{Free: 5, Base: time.Minute, Max: 24 * time.Hour}

// Until is when a name with failures in a row, the last at last, may try
// again; the zero time when it may at once.
func (l Lockout) Until(failures int, last time.Time) time.Time {
	if failures < l.Free {
		return time.Time{}
	}
	d := l.Base
	for range failures - l.Free {
		if d *= 2; d >= l.Max {
			d = l.Max
			break
		}
	}
	return last.Add(d)
}

// ErrNoToken is a token id that is not one of the user's.
var ErrNoToken = &importer.Error{Code: importer.CodeNotFound, Message: "There is no such token; it may have been revoked already."}
