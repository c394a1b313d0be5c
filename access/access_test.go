package access_test

import (
	"strings"
	"testing"
	"time"

	"roster/access"
)

func TestRolesAllowWhatTheRolesBelowThemMay(t *testing.T) {
	for _, tt := range []struct {
		have, need access.Role
		want       bool
	}{
		{access.Viewer, access.Viewer, true}, {access.Viewer, access.Importer, false}, {access.Viewer, access.Admin, false},
		{access.Importer, access.Viewer, true}, {access.Importer, access.Importer, true}, {access.Importer, access.Admin, false},
		{access.Admin, access.Viewer, true}, {access.Admin, access.Admin, true},
		{access.Role("root"), access.Viewer, false}, {access.Role(""), access.Viewer, false},
	} {
		if got := tt.have.Allows(tt.need); got != tt.want {
			t.Errorf("%q allows %q: %v, want %v", tt.have, tt.need, got, tt.want)
		}
	}
}

func TestTheLockoutStartsAtTheFifthFailureAndDoubles(t *testing.T) {
	last := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	for failures, want := range map[int]time.Duration{
		0: 0, 4: 0, 5: time.Minute, 6: 2 * time.Minute, 7: 4 * time.Minute, 15: 1024 * time.Minute, 40: 24 * time.Hour,
	} {
		got := access.DefaultLockout.Until(failures, last)
		if (want == 0 && !got.IsZero()) || (want != 0 && got.Sub(last) != want) {
			t.Errorf("%d failures: locked until %s, want %s after the last", failures, got, want)
		}
	}
}

func TestPasswordsAreKeptAsSaltedSlowHashes(t *testing.T) {
	const password = "correct horse battery staple"
	h1, h2 := access.HashPassword(password), access.HashPassword(password)
	if h1 == h2 || !strings.HasPrefix(h1, "$argon2id$v=19$m=19456,t=2,p=1$") || strings.Contains(h1, password) {
		t.Errorf("hashes %q and %q: want argon2id, salted (different each time), without the password", h1, h2)
	}
	if !access.CheckHash(h1, password) || access.CheckHash(h1, password+" ") || access.CheckHash("", password) || access.CheckHash("$argon2id$junk", password) {
		t.Error("CheckHash does not tell the right password from others")
	}
	if s := access.HashSecret("roster_abc"); len(s) != 64 || strings.Contains(s, "abc") {
		t.Errorf("HashSecret = %q", s)
	}
}
