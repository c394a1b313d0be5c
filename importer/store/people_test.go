package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"roster/access"
	"roster/importer/store"
	"roster/importer/store/storetest"
)

// People, sessions and tokens, on both databases, through access.People
// on a clock the test sets.
func TestPeople(t *testing.T) {
	for name, open := range storetest.Databases {
		t.Run(name, func(t *testing.T) {
			st, _ := open(t)
			ctx := context.Background()
			now := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
			people := access.NewPeople(st)
			people.Now = func() time.Time { return now }

			// The first administrator is made once.
			if ok, err := people.AddFirstAdmin(ctx, "boss", "the boss's password"); !ok || err != nil {
				t.Fatalf("first admin: %v %v", ok, err)
			}
			if ok, err := people.AddFirstAdmin(ctx, "second", "another password"); ok || err != nil {
				t.Errorf("a second first admin: %v %v, want refused", ok, err)
			}
			if err := people.AddUser(ctx, "boss", access.Viewer, "some password 123"); !errors.Is(err, access.ErrUserExists) {
				t.Errorf("boss again: %v, want ErrUserExists", err)
			}
			if err := st.RemoveUser(ctx, "boss"); !errors.Is(err, access.ErrLastAdmin) {
				t.Errorf("remove the last admin: %v", err)
			}
			if err := st.SetRole(ctx, "nobody", access.Admin); !errors.Is(err, access.ErrNoUser) {
				t.Errorf("role of nobody: %v", err)
			}

			// A session lives 12 hours from its last use.
			_, session, err := people.SignIn(ctx, "boss", "the boss's password")
			if err != nil {
				t.Fatal(err)
			}
			now = now.Add(11 * time.Hour)
			if u, err := people.Session(ctx, session); err != nil || u.Name != "boss" || u.Role != access.Admin {
				t.Fatalf("after 11 h: %+v %v", u, err)
			}
			waitForUse(t, st, session, now)
			now = now.Add(11 * time.Hour) // 22 h after sign-in, 11 after its last use
			if _, err := people.Session(ctx, session); err != nil {
				t.Errorf("11 h after its last use: %v, want alive", err)
			}
			now = now.Add(12*time.Hour + time.Second)
			if _, err := people.Session(ctx, session); !errors.Is(err, access.ErrNotSignedIn) {
				t.Errorf("12 h idle: %v, want ended", err)
			}

			// Tokens: kept as hashes, revoked by their owner only.
			token, err := people.NewToken(ctx, "boss", "script")
			if err != nil {
				t.Fatal(err)
			}
			if u, err := people.TokenUser(ctx, token); err != nil || u.Name != "boss" {
				t.Errorf("token: %+v %v", u, err)
			}
			list, err := st.Tokens(ctx, "boss")
			if err != nil || len(list) != 1 || list[0].Label != "script" {
				t.Fatalf("tokens: %+v %v", list, err)
			}
			if err := people.AddUser(ctx, "eve", access.Viewer, "eve's password!"); err != nil {
				t.Fatal(err)
			}
			if err := st.RevokeToken(ctx, "eve", list[0].ID); !errors.Is(err, access.ErrNoToken) {
				t.Errorf("eve revokes boss's token: %v", err)
			}
			if err := st.RevokeToken(ctx, "boss", list[0].ID); err != nil {
				t.Fatal(err)
			}
			if _, err := people.TokenUser(ctx, token); !errors.Is(err, access.ErrNotSignedIn) {
				t.Errorf("a revoked token: %v", err)
			}

			// Removing a user ends their sessions and tokens.
			_, eveSession, err := people.SignIn(ctx, "eve", "eve's password!")
			if err != nil {
				t.Fatal(err)
			}
			eveToken, _ := people.NewToken(ctx, "eve", "x")
			if err := st.RemoveUser(ctx, "eve"); err != nil {
				t.Fatal(err)
			}
			if _, err := people.Session(ctx, eveSession); !errors.Is(err, access.ErrNotSignedIn) {
				t.Errorf("a removed user's session: %v", err)
			}
			if _, err := people.TokenUser(ctx, eveToken); !errors.Is(err, access.ErrNotSignedIn) {
				t.Errorf("a removed user's token: %v", err)
			}
		})
	}
}

// waitForUse waits until the session's use at now is written: it is
// written beside the request that used it.
func waitForUse(t *testing.T, st *store.Store, session string, now time.Time) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		// Signed in a day before now, a session still alive at now+12h-1s
		// has had its use at now written.
		if _, err := st.SessionUser(context.Background(), access.HashSecret(session), now.Add(-time.Second), now); err == nil {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("the session's use was never written")
}
