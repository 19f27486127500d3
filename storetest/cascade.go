package storetest

import (
	"testing"

	"github.com/gatehouse-idp/gatehouse"
)

// testCascades deletes users, groups, apps and directories and checks that what belonged to them went with them,
// and that nothing dangles: the same IDs can be used again and start empty (SECURITY-CASES 42).
func testCascades(t *testing.T, open Opener) {
	t.Run("DeleteUser", func(t *testing.T) {
		s := open(t)
		w := seed(t, s, "c")
		other := seed(t, s, "f")
		// alice gets a direct assignment too.
		must(t, s.CreateAssignment(ctx, assign("c", "to-alice", w.app.ID, gatehouse.PrincipalUser, w.alice.ID, 9)))
		must(t, s.DeleteUser(ctx, "c", w.alice.ID))

		_, err := s.FindSession(ctx, w.session.ID, t0)
		wantCode(t, "FindSession", err, gatehouse.ENOTFOUND)
		_, err = s.FindAPITokenBySecretHash(ctx, w.token.SecretHash, t0)
		wantCode(t, "FindAPITokenBySecretHash", err, gatehouse.ENOTFOUND)
		tokens, err := s.FindAPITokens(ctx, "c", "")
		must(t, err)
		diff(t, "API tokens of the directory", []string(nil), ids(tokens, tokenID))
		members, err := s.FindGroupMembers(ctx, "c", w.sales.ID)
		must(t, err)
		diff(t, "members of sales", []string(nil), ids(members, userID))
		asg, err := s.FindAssignments(ctx, "c", w.app.ID)
		must(t, err)
		diff(t, "assignments of the app", []string{w.toBob.ID, w.toSales.ID}, ids(asg, assignmentID))

		// The same user again starts with nothing.
		must(t, s.CreateUser(ctx, w.alice))
		groups, err := s.FindUserGroups(ctx, "c", w.alice.ID)
		must(t, err)
		diff(t, "groups of the new alice", []string(nil), ids(groups, groupID))
		apps, err := s.FindUserApps(ctx, "c", w.alice.ID)
		must(t, err)
		diff(t, "apps of the new alice", []string(nil), ids(apps, appID))
		ok, err := s.IsAssigned(ctx, "c", w.app.ID, w.alice.ID)
		must(t, err)
		if ok {
			t.Error("IsAssigned of the new alice = true")
		}
		must(t, s.CreateSession(ctx, w.session))
		must(t, s.CreateAPIToken(ctx, w.token))
		must(t, s.CreateAssignment(ctx, assign("c", "to-alice", w.app.ID, gatehouse.PrincipalUser, w.alice.ID, 9)))
		other.check(t, s)
	})
	t.Run("DeleteGroup", func(t *testing.T) {
		s := open(t)
		w := seed(t, s, "c")
		other := seed(t, s, "f")
		must(t, s.DeleteGroup(ctx, "c", w.sales.ID))

		groups, err := s.FindUserGroups(ctx, "c", w.alice.ID)
		must(t, err)
		diff(t, "groups of alice", []string(nil), ids(groups, groupID))
		asg, err := s.FindAssignments(ctx, "c", w.app.ID)
		must(t, err)
		diff(t, "assignments of the app", []string{w.toBob.ID}, ids(asg, assignmentID))
		ok, err := s.IsAssigned(ctx, "c", w.app.ID, w.alice.ID)
		must(t, err)
		if ok {
			t.Error("IsAssigned through the deleted group = true")
		}
		// alice herself is still there.
		_, err = s.FindUser(ctx, "c", w.alice.ID)
		must(t, err)

		must(t, s.CreateGroup(ctx, w.sales))
		members, err := s.FindGroupMembers(ctx, "c", w.sales.ID)
		must(t, err)
		diff(t, "members of the new sales", []string(nil), ids(members, userID))
		must(t, s.AddGroupMember(ctx, "c", w.sales.ID, w.alice.ID))
		must(t, s.CreateAssignment(ctx, w.toSales))
		other.check(t, s)
	})
	t.Run("DeleteApp", func(t *testing.T) {
		s := open(t)
		w := seed(t, s, "c")
		other := seed(t, s, "f")
		must(t, s.DeleteApp(ctx, "c", w.app.ID))

		_, err := s.FindCertificate(ctx, "c", w.cert.ID)
		wantCode(t, "FindCertificate", err, gatehouse.ENOTFOUND)
		certs, err := s.FindCertificates(ctx, "c", w.app.ID)
		must(t, err)
		diff(t, "certificates of the app", []string(nil), ids(certs, certID))
		certs, err = s.FindExpiringCertificates(ctx, "c", t0.AddDate(100, 0, 0))
		must(t, err)
		diff(t, "expiring certificates", []string{w.dirCert.ID}, ids(certs, certID))
		_, err = s.FindAssignments(ctx, "c", w.app.ID)
		wantCode(t, "FindAssignments", err, gatehouse.ENOTFOUND)
		_, err = s.FindSignInRequest(ctx, "c", w.request.ID, t0)
		wantCode(t, "FindSignInRequest", err, gatehouse.ENOTFOUND)
		apps, err := s.FindUserApps(ctx, "c", w.bob.ID)
		must(t, err)
		diff(t, "apps of bob", []string(nil), ids(apps, appID))
		_, err = s.FindAppByEntityID(ctx, "c", w.app.SAML.EntityID)
		wantCode(t, "FindAppByEntityID", err, gatehouse.ENOTFOUND)

		// The same app again starts with nothing, and its Identifier is free.
		must(t, s.CreateApp(ctx, w.app, nil))
		certs, err = s.FindCertificates(ctx, "c", w.app.ID)
		must(t, err)
		diff(t, "certificates of the new app", []string(nil), ids(certs, certID))
		asg, err := s.FindAssignments(ctx, "c", w.app.ID)
		must(t, err)
		diff(t, "assignments of the new app", []string(nil), ids(asg, assignmentID))
		ok, err := s.IsAssigned(ctx, "c", w.app.ID, w.bob.ID)
		must(t, err)
		if ok {
			t.Error("IsAssigned to the new app = true")
		}
		must(t, s.CreateCertificate(ctx, w.cert))
		must(t, s.CreateAssignment(ctx, w.toBob))
		must(t, s.CreateSignInRequest(ctx, w.request))
		other.check(t, s)
	})
	t.Run("DeleteDirectory", func(t *testing.T) {
		s := open(t)
		w := seed(t, s, "c")
		other := seed(t, s, "f")
		must(t, s.DeleteDirectory(ctx, "c"))

		for _, tc := range []struct {
			name string
			err  error
		}{
			{"FindDirectory", func() error { _, err := s.FindDirectory(ctx, "c"); return err }()},
			{"FindUser", func() error { _, err := s.FindUser(ctx, "c", w.alice.ID); return err }()},
			{"FindUserByName", func() error { _, err := s.FindUserByName(ctx, "c", w.bob.UserName); return err }()},
			{"FindGroup", func() error { _, err := s.FindGroup(ctx, "c", w.sales.ID); return err }()},
			{"FindApp", func() error { _, err := s.FindApp(ctx, "c", w.app.ID); return err }()},
			{"FindAppByEntityID", func() error { _, err := s.FindAppByEntityID(ctx, "c", w.app.SAML.EntityID); return err }()},
			{"FindCertificate", func() error { _, err := s.FindCertificate(ctx, "c", w.cert.ID); return err }()},
			{"FindDirectoryCertificate", func() error { _, err := s.FindCertificate(ctx, "c", w.dirCert.ID); return err }()},
			{"FindSession", func() error { _, err := s.FindSession(ctx, w.session.ID, t0); return err }()},
			{"FindAPITokenBySecretHash", func() error { _, err := s.FindAPITokenBySecretHash(ctx, w.token.SecretHash, t0); return err }()},
			{"FindSignInRequest", func() error { _, err := s.FindSignInRequest(ctx, "c", w.request.ID, t0); return err }()},
			{"FindSignInEvent", func() error { _, err := s.FindSignInEvent(ctx, "c", w.signIn.ID); return err }()},
		} {
			t.Run(tc.name, func(t *testing.T) { wantCode(t, tc.name, tc.err, gatehouse.ENOTFOUND) })
		}
		dirs, err := s.FindDirectories(ctx)
		must(t, err)
		diff(t, "directories", []string{"f"}, ids(dirs, func(d *gatehouse.Directory) string { return d.ID }))

		// The same directory again is empty, and the whole world can be created again: no ID or name is still taken.
		must(t, s.CreateDirectory(ctx, w.dir))
		_, n, err := s.FindUsers(ctx, "c", gatehouse.UserFilter{})
		must(t, err)
		groups, err := s.FindGroups(ctx, "c", "")
		must(t, err)
		apps, err := s.FindApps(ctx, "c", "")
		must(t, err)
		certs, err := s.FindCertificates(ctx, "c", "")
		must(t, err)
		tokens, err := s.FindAPITokens(ctx, "c", "")
		must(t, err)
		_, signIns, err := s.FindSignInEvents(ctx, "c", gatehouse.SignInFilter{})
		must(t, err)
		_, audits, err := s.FindAuditEvents(ctx, "c", gatehouse.AuditFilter{})
		must(t, err)
		if n+len(groups)+len(apps)+len(certs)+len(tokens)+signIns+audits != 0 {
			t.Errorf("the recreated directory holds %d users, %d groups, %d apps, %d certificates, %d tokens, "+
				"%d sign-in events and %d audit events; want none", n, len(groups), len(apps), len(certs), len(tokens),
				signIns, audits)
		}
		must(t, s.DeleteDirectory(ctx, "c"))
		again := seed(t, s, "c")
		again.check(t, s)
		other.check(t, s)
	})
}
