package storetest

import (
	"testing"

	"github.com/gatehouse-idp/gatehouse"
)

// hostile are strings that break queries built by pasting text into SQL, and LIKE patterns.
var hostile = []struct{ name, s string }{
	{"Quote", "o'brien"},
	{"DropTable", "x'); DROP TABLE users; --"},
	{"OrTrue", "' OR '1'='1"},
	{"DoubleQuote", `" OR ""="`},
	{"Percent", "100%"},
	{"Underscore", "a_b"},
	{"Backslash", `back\slash`},
	{"Comment", "/* c */ --"},
	{"Semicolon", "; SELECT 1"},
}

// testSQLInjection stores names full of SQL and finds them literally (SECURITY-CASES 36).
func testSQLInjection(t *testing.T, open Opener) {
	s := open(t)
	must(t, s.CreateDirectory(ctx, newDirectory("d", t0)))
	must(t, s.CreateUser(ctx, newUser("d", "plain", "plain@contoso.com")))
	must(t, s.CreateGroup(ctx, newGroup("d", "plain", "Plain")))
	must(t, s.CreateApp(ctx, newApp("d", "plain", "Plain", "https://plain.example.com"), nil))
	for i, h := range hostile {
		id := "h" + string(rune('a'+i))
		u := newUser("d", id, h.s+"@contoso.com")
		u.DisplayName, u.FirstName = h.s, h.s
		must(t, s.CreateUser(ctx, u))
		must(t, s.CreateGroup(ctx, newGroup("d", id, h.s)))
		must(t, s.CreateApp(ctx, newApp("d", id, h.s, "urn:"+h.s), nil))
	}
	for i, h := range hostile {
		id := "h" + string(rune('a'+i))
		t.Run(h.name, func(t *testing.T) {
			u, err := s.FindUserByName(ctx, "d", h.s+"@contoso.com")
			must(t, err)
			if u.ID != id || u.DisplayName != h.s {
				t.Errorf("FindUserByName(%q) = %s %q, want %s", h.s, u.ID, u.DisplayName, id)
			}
			users, n, err := s.FindUsers(ctx, "d", gatehouse.UserFilter{Query: h.s})
			must(t, err)
			diff(t, "FindUsers", []string{id}, ids(users, userID))
			if n != 1 {
				t.Errorf("FindUsers total = %d, want 1", n)
			}
			groups, err := s.FindGroups(ctx, "d", h.s)
			must(t, err)
			diff(t, "FindGroups", []string{id}, ids(groups, groupID))
			apps, err := s.FindApps(ctx, "d", h.s)
			must(t, err)
			diff(t, "FindApps", []string{id}, ids(apps, appID))
			a, err := s.FindAppByEntityID(ctx, "d", "urn:"+h.s)
			must(t, err)
			if a.ID != id {
				t.Errorf("FindAppByEntityID = %s, want %s", a.ID, id)
			}
			// The same text as an ID finds nothing.
			_, err = s.FindUser(ctx, "d", h.s)
			wantCode(t, "FindUser", err, gatehouse.ENOTFOUND)
			_, err = s.FindUserByName(ctx, "d", h.s)
			wantCode(t, "FindUserByName", err, gatehouse.ENOTFOUND)
			_, err = s.FindAppByEntityID(ctx, "d", h.s)
			wantCode(t, "FindAppByEntityID", err, gatehouse.ENOTFOUND)
			_, err = s.FindSession(ctx, h.s, t0)
			wantCode(t, "FindSession", err, gatehouse.ENOTFOUND)
			_, err = s.FindAPITokenBySecretHash(ctx, h.s, t0)
			wantCode(t, "FindAPITokenBySecretHash", err, gatehouse.ENOTFOUND)
			_, err = s.FindDirectory(ctx, h.s)
			wantCode(t, "FindDirectory", err, gatehouse.ENOTFOUND)
			wantCode(t, "DeleteUser", s.DeleteUser(ctx, "d", h.s), gatehouse.ENOTFOUND)
			wantCode(t, "DeleteDirectory", s.DeleteDirectory(ctx, h.s), gatehouse.ENOTFOUND)
		})
	}
	t.Run("EverythingStillThere", func(t *testing.T) {
		_, n, err := s.FindUsers(ctx, "d", gatehouse.UserFilter{})
		must(t, err)
		if n != len(hostile)+1 {
			t.Errorf("FindUsers total = %d, want %d", n, len(hostile)+1)
		}
		groups, err := s.FindGroups(ctx, "d", "")
		must(t, err)
		apps, err := s.FindApps(ctx, "d", "")
		must(t, err)
		if len(groups) != len(hostile)+1 || len(apps) != len(hostile)+1 {
			t.Errorf("%d groups and %d apps, want %d of each", len(groups), len(apps), len(hostile)+1)
		}
	})
}
