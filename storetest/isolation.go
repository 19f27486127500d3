package storetest

import (
	"testing"
	"time"

	"github.com/gatehouse-idp/gatehouse"
)

// testDirectoryIsolation looks up, changes and deletes every kind of object of directory c under directory f:
// each attempt finds nothing, and c's objects are unchanged afterwards (SECURITY-CASES 35).
func testDirectoryIsolation(t *testing.T, open Opener) {
	s := open(t)
	c := seed(t, s, "c")
	f := seed(t, s, "f")
	notFound := func(err error) error { return err }
	found := func(_ any, err error) error { return err }
	for _, tc := range []struct {
		name string
		err  error
	}{
		{"FindUser", found(s.FindUser(ctx, "f", c.alice.ID))},
		{"FindUserByName", found(s.FindUserByName(ctx, "f", c.alice.UserName))},
		{"UpdateUser", notFound(s.UpdateUser(ctx, &gatehouse.User{ID: c.alice.ID, DirectoryID: "f", UserName: "x@y.z",
			DisplayName: "X", Role: gatehouse.RoleGlobalAdmin}))},
		{"DeleteUser", notFound(s.DeleteUser(ctx, "f", c.alice.ID))},
		{"FindUserGroups", found(s.FindUserGroups(ctx, "f", c.alice.ID))},
		{"FindUserApps", found(s.FindUserApps(ctx, "f", c.alice.ID))},
		{"FindGroup", found(s.FindGroup(ctx, "f", c.sales.ID))},
		{"UpdateGroup", notFound(s.UpdateGroup(ctx, &gatehouse.Group{ID: c.sales.ID, DirectoryID: "f", Name: "X"}))},
		{"DeleteGroup", notFound(s.DeleteGroup(ctx, "f", c.sales.ID))},
		{"FindGroupMembers", found(s.FindGroupMembers(ctx, "f", c.sales.ID))},
		{"AddGroupMember", notFound(s.AddGroupMember(ctx, "f", c.sales.ID, c.bob.ID))},
		{"AddOwnUserToOtherGroup", notFound(s.AddGroupMember(ctx, "f", c.sales.ID, f.bob.ID))},
		{"AddOtherUserToOwnGroup", notFound(s.AddGroupMember(ctx, "f", f.sales.ID, c.bob.ID))},
		{"AddAcrossDirectories", notFound(s.AddGroupMember(ctx, "c", c.sales.ID, f.bob.ID))},
		{"RemoveGroupMember", notFound(s.RemoveGroupMember(ctx, "f", c.sales.ID, c.alice.ID))},
		{"FindApp", found(s.FindApp(ctx, "f", c.app.ID))},
		{"UpdateApp", notFound(s.UpdateApp(ctx, func() *gatehouse.App { a := *c.app; a.DirectoryID = "f"; a.Name = "X"; return &a }()))},
		{"DeleteApp", notFound(s.DeleteApp(ctx, "f", c.app.ID))},
		{"FindCertificate", found(s.FindCertificate(ctx, "f", c.cert.ID))},
		{"FindDirectoryCertificate", found(s.FindCertificate(ctx, "f", c.dirCert.ID))},
		{"ActivateCertificate", notFound(s.ActivateCertificate(ctx, "f", c.cert.ID, time.Now()))},
		{"DeleteCertificate", notFound(s.DeleteCertificate(ctx, "f", c.cert.ID))},
		{"DeleteDirectoryCertificate", notFound(s.DeleteCertificate(ctx, "f", c.dirCert.ID))},
		{"FindAssignments", found(s.FindAssignments(ctx, "f", c.app.ID))},
		{"CreateAssignment", notFound(s.CreateAssignment(ctx, assign("f", "x", c.app.ID, gatehouse.PrincipalUser, f.alice.ID, 0)))},
		{"CreateAssignmentOfOtherUser", notFound(s.CreateAssignment(ctx, assign("c", "x", c.app.ID, gatehouse.PrincipalUser, f.alice.ID, 0)))},
		{"CreateAssignmentOfOtherGroup", notFound(s.CreateAssignment(ctx, assign("c", "x", c.app.ID, gatehouse.PrincipalGroup, f.sales.ID, 0)))},
		{"CreateAssignmentToOtherApp", notFound(s.CreateAssignment(ctx, assign("c", "x", f.app.ID, gatehouse.PrincipalUser, c.alice.ID, 0)))},
		{"DeleteAssignment", notFound(s.DeleteAssignment(ctx, "f", c.toBob.ID))},
		{"DeleteAPIToken", notFound(s.DeleteAPIToken(ctx, "f", c.token.ID))},
		{"FindSignInRequest", found(s.FindSignInRequest(ctx, "f", c.request.ID, t0))},
		{"TakeSignInRequest", found(s.TakeSignInRequest(ctx, "f", c.request.ID, t0))},
		{"FindSignInEvent", found(s.FindSignInEvent(ctx, "f", c.signIn.ID))},
	} {
		t.Run(tc.name, func(t *testing.T) { wantCode(t, tc.name, tc.err, gatehouse.ENOTFOUND) })
	}
	t.Run("CrossDirectoryReferences", func(t *testing.T) {
		// What these return is not in the contract, but they must fail: a session, token or sign-in request of one
		// directory cannot point into another.
		for _, tc := range []struct {
			name string
			err  error
		}{
			{"CreateSession", s.CreateSession(ctx, newSession("f", c.alice.ID, "x-session", t0.AddDate(1, 0, 0)))},
			{"CreateAPIToken", s.CreateAPIToken(ctx, newToken("f", c.alice.ID, "x-token", t0, nil))},
			{"CreateSignInRequest", s.CreateSignInRequest(ctx, newSignInRequest("f", c.app.ID, "x-request", t0.AddDate(1, 0, 0)))},
			{"CreateCertificate", s.CreateCertificate(ctx, newCert("f", "x-cert", c.app.ID, t0.AddDate(1, 0, 0), true))},
		} {
			t.Run(tc.name, func(t *testing.T) {
				if tc.err == nil {
					t.Errorf("%s referring to another directory's object succeeded", tc.name)
				}
			})
		}
	})
	t.Run("Lists", func(t *testing.T) {
		ok, err := s.IsAssigned(ctx, "f", c.app.ID, c.bob.ID)
		must(t, err)
		if ok {
			t.Error("IsAssigned under another directory = true")
		}
		users, n, err := s.FindUsers(ctx, "f", gatehouse.UserFilter{})
		must(t, err)
		diff(t, "FindUsers", []string{f.alice.ID, f.bob.ID}, ids(users, userID))
		if n != 2 {
			t.Errorf("FindUsers total = %d, want 2", n)
		}
		groups, err := s.FindGroups(ctx, "f", "")
		must(t, err)
		diff(t, "FindGroups", []string{f.sales.ID}, ids(groups, groupID))
		apps, err := s.FindApps(ctx, "f", "")
		must(t, err)
		diff(t, "FindApps", []string{f.app.ID}, ids(apps, appID))
		app, err := s.FindAppByEntityID(ctx, "f", c.app.SAML.EntityID)
		must(t, err)
		diff(t, "FindAppByEntityID", f.app, app)
		certs, err := s.FindCertificates(ctx, "f", c.app.ID)
		must(t, err)
		diff(t, "FindCertificates", []string(nil), ids(certs, certID))
		certs, err = s.FindCertificates(ctx, "f", "")
		must(t, err)
		diff(t, "FindCertificates of the directory", []string{f.dirCert.ID}, ids(certs, certID))
		certs, err = s.FindExpiringCertificates(ctx, "f", t0.AddDate(100, 0, 0))
		must(t, err)
		diff(t, "FindExpiringCertificates", []string{f.cert.ID, f.dirCert.ID}, ids(certs, certID))
		tokens, err := s.FindAPITokens(ctx, "f", c.alice.ID)
		must(t, err)
		diff(t, "FindAPITokens of another directory's user", []string(nil), ids(tokens, tokenID))
		tokens, err = s.FindAPITokens(ctx, "f", "")
		must(t, err)
		diff(t, "FindAPITokens", []string{f.token.ID}, ids(tokens, tokenID))
		events, n, err := s.FindSignInEvents(ctx, "f", gatehouse.SignInFilter{})
		must(t, err)
		diff(t, "FindSignInEvents", []string{f.signIn.ID}, ids(events, signInEventID))
		if n != 1 {
			t.Errorf("FindSignInEvents total = %d, want 1", n)
		}
		audit, n, err := s.FindAuditEvents(ctx, "f", gatehouse.AuditFilter{})
		must(t, err)
		diff(t, "FindAuditEvents", []string{f.audit.ID}, ids(audit, auditEventID))
		if n != 1 {
			t.Errorf("FindAuditEvents total = %d, want 1", n)
		}
		// DeleteUserSessions under the wrong directory deletes nothing.
		must(t, s.DeleteUserSessions(ctx, "f", c.alice.ID))
	})
	t.Run("Unchanged", func(t *testing.T) {
		c.check(t, s)
		f.check(t, s)
	})
}
