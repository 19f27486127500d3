package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/postgres"
)

// These tests check what the contract leaves to each engine's schema: round trips of every field (nil and empty
// bytes and lists apart), constraint errors, cascades and directory isolation.

// fixture is a store with two directories: d with users, a group, an app and its certificate, and e, empty.
type fixture struct {
	s     *postgres.Store
	user  *gatehouse.User
	user2 *gatehouse.User
	group *gatehouse.Group
	app   *gatehouse.App
	cert  *gatehouse.Certificate
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	s := open(t)
	f := &fixture{s: s}
	for _, id := range []string{"d", "e"} {
		must(t, s.CreateDirectory(ctx, &gatehouse.Directory{ID: id, Name: "Contoso " + id, Domain: id + ".example.com",
			CreatedAt: t0, UpdatedAt: t0}))
	}
	f.user = &gatehouse.User{ID: "u1", DirectoryID: "d", UserName: "B.Simon@contoso.com", FirstName: "B.",
		LastName: "Simon", DisplayName: "B. Simon", Mail: "b.simon@contoso.com", Role: gatehouse.RoleGlobalAdmin,
		MustChangePassword: true, PasswordHash: "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA",
		PasswordChangedAt: t0, CreatedAt: t0, UpdatedAt: t0}
	f.user2 = &gatehouse.User{ID: "u2", DirectoryID: "d", UserName: "alice@contoso.com", DisplayName: "Alice",
		Role: gatehouse.RoleUser, CreatedAt: t0, UpdatedAt: t0}
	must(t, s.CreateUser(ctx, f.user))
	must(t, s.CreateUser(ctx, f.user2))
	f.group = &gatehouse.Group{ID: "g1", DirectoryID: "d", Name: "Sales", Description: "Sales team", CreatedAt: t0,
		UpdatedAt: t0}
	must(t, s.CreateGroup(ctx, f.group))
	saml := gatehouse.DefaultSAMLSettings()
	saml.EntityID = "https://mixpanel.com/saml"
	saml.ReplyURLs = []string{"https://mixpanel.com/saml/acs"}
	f.app = &gatehouse.App{ID: "a1", DirectoryID: "d", Name: "Mixpanel", GalleryID: "mixpanel", Enabled: true,
		AssignmentRequired: true, Visible: true, Logo: []byte{0x89, 'P', 'N', 'G'}, LogoType: "image/png", SAML: saml,
		CreatedAt: t0, UpdatedAt: t0}
	f.cert = &gatehouse.Certificate{ID: "c1", DirectoryID: "d", AppID: "a1", DER: []byte{0x30, 0x82},
		EncryptedKey: []byte{1, 2, 3}, Thumbprint: "AB12", NotBefore: t0, NotAfter: t0.AddDate(3, 0, 0), Active: true,
		CreatedAt: t0}
	must(t, s.CreateApp(ctx, f.app, f.cert))
	return f
}

func wantCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	if got := gatehouse.ErrorCode(err); got != code {
		t.Errorf("%s: error %v (code %q), want code %q", what, err, got, code)
	}
}

func TestRoundTrip(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	s := f.s
	u, err := s.FindUser(ctx, "d", "u1")
	must(t, err)
	if diff := cmp.Diff(f.user, u); diff != "" {
		t.Errorf("user mismatch (-want +got):\n%s", diff)
	}
	a, err := s.FindApp(ctx, "d", "a1")
	must(t, err)
	if diff := cmp.Diff(f.app, a); diff != "" {
		t.Errorf("app mismatch (-want +got):\n%s", diff)
	}
	c, err := s.FindCertificate(ctx, "d", "c1")
	must(t, err)
	if diff := cmp.Diff(f.cert, c); diff != "" {
		t.Errorf("certificate mismatch (-want +got):\n%s", diff)
	}
	// Nil and empty values come back as they went in.
	bare := &gatehouse.App{ID: "a2", DirectoryID: "d", Name: "Bare", Logo: []byte{},
		SAML: gatehouse.SAMLSettings{ReplyURLs: []string{}}, CreatedAt: t0, UpdatedAt: t0}
	must(t, s.CreateApp(ctx, bare, nil))
	a, err = s.FindApp(ctx, "d", "a2")
	must(t, err)
	if diff := cmp.Diff(bare, a); diff != "" {
		t.Errorf("bare app mismatch (-want +got):\n%s", diff)
	}
	exp := t0.Add(time.Hour)
	tok := &gatehouse.APIToken{ID: "t1", SecretHash: "h1", Prefix: "gh_ab", DirectoryID: "d", UserID: "u1",
		Name: "CI", CreatedAt: t0, ExpiresAt: &exp}
	must(t, s.CreateAPIToken(ctx, tok))
	must(t, s.TouchAPIToken(ctx, "t1", t0.Add(time.Minute)))
	got, err := s.FindAPITokenBySecretHash(ctx, "h1", t0)
	must(t, err)
	used := t0.Add(time.Minute)
	tok.LastUsedAt = &used
	if diff := cmp.Diff(tok, got); diff != "" {
		t.Errorf("API token mismatch (-want +got):\n%s", diff)
	}
	_, err = s.FindAPITokenBySecretHash(ctx, "h1", exp)
	wantCode(t, "expired token", err, gatehouse.ENOTFOUND)
}

func TestConstraints(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	s := f.s
	for _, tc := range []struct {
		name string
		err  error
		code string
	}{
		{"directory ID taken", s.CreateDirectory(ctx, &gatehouse.Directory{ID: "d", Name: "D"}), gatehouse.ECONFLICT},
		{"user name taken, other case", s.CreateUser(ctx, &gatehouse.User{ID: "u9", DirectoryID: "d",
			UserName: "b.simon@CONTOSO.com", Role: gatehouse.RoleUser}), gatehouse.ECONFLICT},
		{"user name free in another directory", s.CreateUser(ctx, &gatehouse.User{ID: "u1", DirectoryID: "e",
			UserName: "b.simon@contoso.com", Role: gatehouse.RoleUser}), ""},
		{"user in missing directory", s.CreateUser(ctx, &gatehouse.User{ID: "u8", DirectoryID: "x",
			UserName: "x@contoso.com", Role: gatehouse.RoleUser}), gatehouse.ENOTFOUND},
		{"group name taken", s.CreateGroup(ctx, &gatehouse.Group{ID: "g9", DirectoryID: "d", Name: "SALES"}), gatehouse.ECONFLICT},
		{"entity ID taken", s.CreateApp(ctx, &gatehouse.App{ID: "a9", DirectoryID: "d", Name: "Copy",
			SAML: gatehouse.SAMLSettings{EntityID: "https://mixpanel.com/saml"}}, nil), gatehouse.ECONFLICT},
		{"empty entity IDs do not clash", s.CreateApp(ctx, &gatehouse.App{ID: "a7", DirectoryID: "d", Name: "Empty 1"}, nil), ""},
		{"empty entity IDs do not clash 2", s.CreateApp(ctx, &gatehouse.App{ID: "a8", DirectoryID: "d", Name: "Empty 2"}, nil), ""},
		{"member from another directory", s.AddGroupMember(ctx, "e", "g1", "u1"), gatehouse.ENOTFOUND},
		{"member added", s.AddGroupMember(ctx, "d", "g1", "u1"), ""},
		{"member twice", s.AddGroupMember(ctx, "d", "g1", "u1"), gatehouse.ECONFLICT},
		{"remove non-member", s.RemoveGroupMember(ctx, "d", "g1", "u2"), gatehouse.ENOTFOUND},
		{"assign missing user", s.CreateAssignment(ctx, &gatehouse.Assignment{ID: "x1", DirectoryID: "d", AppID: "a1",
			PrincipalType: gatehouse.PrincipalUser, PrincipalID: "nobody"}), gatehouse.ENOTFOUND},
		{"assign group", s.CreateAssignment(ctx, &gatehouse.Assignment{ID: "x2", DirectoryID: "d", AppID: "a1",
			PrincipalType: gatehouse.PrincipalGroup, PrincipalID: "g1", CreatedAt: t0}), ""},
		{"assign group twice", s.CreateAssignment(ctx, &gatehouse.Assignment{ID: "x3", DirectoryID: "d", AppID: "a1",
			PrincipalType: gatehouse.PrincipalGroup, PrincipalID: "g1"}), gatehouse.ECONFLICT},
		{"certificate of app in another directory", s.CreateCertificate(ctx, &gatehouse.Certificate{ID: "c9",
			DirectoryID: "e", AppID: "a1"}), gatehouse.ENOTFOUND},
		{"session of missing user", s.CreateSession(ctx, &gatehouse.Session{ID: "s9", DirectoryID: "d", UserID: "x"}), gatehouse.ENOTFOUND},
		{"update missing user", s.UpdateUser(ctx, &gatehouse.User{ID: "nobody", DirectoryID: "d", UserName: "z@z.com"}), gatehouse.ENOTFOUND},
		{"update user to a taken name", s.UpdateUser(ctx, &gatehouse.User{ID: "u2", DirectoryID: "d",
			UserName: "B.SIMON@contoso.com", Role: gatehouse.RoleUser}), gatehouse.ECONFLICT},
		{"delete missing app", s.DeleteApp(ctx, "e", "a1"), gatehouse.ENOTFOUND},
	} {
		wantCode(t, tc.name, tc.err, tc.code)
	}
	u, err := s.FindUserByName(ctx, "d", "B.SIMON@CONTOSO.COM")
	must(t, err)
	if u.ID != "u1" {
		t.Errorf("FindUserByName found %s, want u1", u.ID)
	}
	apps, err := s.FindUserApps(ctx, "d", "u1")
	must(t, err)
	if len(apps) != 1 || apps[0].ID != "a1" {
		t.Errorf("FindUserApps = %v, want a1 through the group", apps)
	}
	ok, err := s.IsAssigned(ctx, "d", "a1", "u2")
	must(t, err)
	if ok {
		t.Error("IsAssigned(u2) = true, want false")
	}
}

func TestCascades(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	s := f.s
	must(t, s.AddGroupMember(ctx, "d", "g1", "u1"))
	must(t, s.CreateAssignment(ctx, &gatehouse.Assignment{ID: "x1", DirectoryID: "d", AppID: "a1",
		PrincipalType: gatehouse.PrincipalUser, PrincipalID: "u1", CreatedAt: t0}))
	must(t, s.CreateSession(ctx, &gatehouse.Session{ID: "s1", DirectoryID: "d", UserID: "u1", CreatedAt: t0,
		ExpiresAt: t0.Add(time.Hour)}))
	must(t, s.CreateAPIToken(ctx, &gatehouse.APIToken{ID: "t1", SecretHash: "h", DirectoryID: "d", UserID: "u1"}))
	must(t, s.DeleteUser(ctx, "d", "u1"))
	_, err := s.FindSession(ctx, "s1", t0)
	wantCode(t, "session of deleted user", err, gatehouse.ENOTFOUND)
	_, err = s.FindAPITokenBySecretHash(ctx, "h", t0)
	wantCode(t, "token of deleted user", err, gatehouse.ENOTFOUND)
	members, err := s.FindGroupMembers(ctx, "d", "g1")
	must(t, err)
	as, err := s.FindAssignments(ctx, "d", "a1")
	must(t, err)
	if len(members) != 0 || len(as) != 0 {
		t.Errorf("after DeleteUser: %d members, %d assignments; want none", len(members), len(as))
	}
	must(t, s.CreateSignInRequest(ctx, &gatehouse.SignInRequest{ID: "r1", DirectoryID: "d", AppID: "a1",
		ExpiresAt: t0.Add(time.Hour)}))
	must(t, s.DeleteApp(ctx, "d", "a1"))
	_, err = s.FindCertificate(ctx, "d", "c1")
	wantCode(t, "certificate of deleted app", err, gatehouse.ENOTFOUND)
	_, err = s.FindSignInRequest(ctx, "d", "r1", t0)
	wantCode(t, "sign-in request of deleted app", err, gatehouse.ENOTFOUND)
	must(t, s.DeleteDirectory(ctx, "d"))
	_, err = s.FindGroup(ctx, "d", "g1")
	wantCode(t, "group of deleted directory", err, gatehouse.ENOTFOUND)
	_, err = s.FindUser(ctx, "d", "u2")
	wantCode(t, "user of deleted directory", err, gatehouse.ENOTFOUND)
}

func TestInTx(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	err := s.InTx(ctx, func(tx gatehouse.Store) error {
		must(t, tx.CreateDirectory(ctx, &gatehouse.Directory{ID: "d", Name: "D"}))
		return tx.InTx(ctx, func(tx gatehouse.Store) error {
			must(t, tx.CreateDirectory(ctx, &gatehouse.Directory{ID: "e", Name: "E"}))
			return gatehouse.Errorf(gatehouse.EINVALID, "no")
		})
	})
	wantCode(t, "InTx", err, gatehouse.EINVALID)
	ds, err := s.FindDirectories(ctx)
	must(t, err)
	if len(ds) != 0 {
		t.Errorf("%d directories after rollback, want 0", len(ds))
	}
	must(t, s.InTx(ctx, func(tx gatehouse.Store) error {
		return tx.CreateDirectory(ctx, &gatehouse.Directory{ID: "d", Name: "D"})
	}))
	_, err = s.FindDirectory(ctx, "d")
	must(t, err)
}

func TestCounterWindow(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	for _, tc := range []struct {
		at   time.Duration
		want int
	}{{0, 1}, {time.Minute, 2}, {10 * time.Minute, 3}, {10*time.Minute + time.Second, 1}, {11 * time.Minute, 2}} {
		n, err := s.IncrementCounter(ctx, "k", t0.Add(tc.at), 10*time.Minute)
		must(t, err)
		if n != tc.want {
			t.Errorf("at +%v: %d, want %d", tc.at, n, tc.want)
		}
	}
	must(t, s.ResetCounter(ctx, "k"))
	must(t, s.ResetCounter(ctx, "missing"))
	n, err := s.IncrementCounter(ctx, "k", t0.Add(12*time.Minute), 10*time.Minute)
	must(t, err)
	if n != 1 {
		t.Errorf("after reset: %d, want 1", n)
	}
}

// TestText checks text PostgreSQL cannot store: invalid UTF-8 in an object is EINVALID, and in a log entry it is
// replaced so that the attempt is still logged.
func TestText(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	err := f.s.CreateGroup(ctx, &gatehouse.Group{ID: "g9", DirectoryID: "d", Name: "Bad \xff name"})
	wantCode(t, "group name with invalid UTF-8", err, gatehouse.EINVALID)
	e := &gatehouse.SignInEvent{ID: "s1", DirectoryID: "d", Time: t0, UserName: "admin\xff\x00'--", Result: gatehouse.ResultFailure}
	must(t, f.s.CreateSignInEvent(ctx, e))
	got, err := f.s.FindSignInEvent(ctx, "d", "s1")
	must(t, err)
	if want := "admin\uFFFD\uFFFD'--"; got.UserName != want {
		t.Errorf("logged user name %q, want %q", got.UserName, want)
	}
}

// TestContinueAfterFailedStatement checks that a failed statement inside a transaction does not abort it: the
// caller may handle the error and go on, as on SQLite.
func TestContinueAfterFailedStatement(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	must(t, f.s.InTx(ctx, func(tx gatehouse.Store) error {
		err := tx.CreateUser(ctx, &gatehouse.User{ID: "u9", DirectoryID: "d", UserName: "B.SIMON@contoso.com", Role: gatehouse.RoleUser})
		wantCode(t, "CreateUser with a taken name", err, gatehouse.ECONFLICT)
		err = tx.AddGroupMember(ctx, "d", "g1", "nobody")
		wantCode(t, "AddGroupMember of a missing user", err, gatehouse.ENOTFOUND)
		return tx.CreateUser(ctx, &gatehouse.User{ID: "u9", DirectoryID: "d", UserName: "b.simon2@contoso.com", Role: gatehouse.RoleUser})
	}))
	if _, err := f.s.FindUser(ctx, "d", "u9"); err != nil {
		t.Errorf("FindUser after the commit: %v", err)
	}
}

// TestUnicodeNames checks that names differing only in the case of letters beyond ASCII are the same name, found
// and searched as one, as on SQLite.
func TestUnicodeNames(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	must(t, f.s.CreateUser(ctx, &gatehouse.User{ID: "u9", DirectoryID: "d", UserName: "ÉLODIE@contoso.com",
		DisplayName: "ÉLODIE ÅSTRÖM", Role: gatehouse.RoleUser}))
	err := f.s.CreateUser(ctx, &gatehouse.User{ID: "u10", DirectoryID: "d", UserName: "élodie@contoso.com", Role: gatehouse.RoleUser})
	wantCode(t, "CreateUser differing in case beyond ASCII", err, gatehouse.ECONFLICT)
	u, err := f.s.FindUserByName(ctx, "d", "élodie@CONTOSO.com")
	must(t, err)
	if u.ID != "u9" {
		t.Errorf("FindUserByName found %s, want u9", u.ID)
	}
	users, _, err := f.s.FindUsers(ctx, "d", gatehouse.UserFilter{Query: "élodie åSTRÖM"})
	must(t, err)
	if len(users) != 1 || users[0].ID != "u9" {
		t.Errorf("FindUsers(élodie åSTRÖM) = %v, want u9", users)
	}
}
