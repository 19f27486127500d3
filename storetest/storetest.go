package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/gatehouse-idp/gatehouse"
)

// Opener opens a fresh, empty store for one test and arranges for it to be closed when the test ends.
type Opener = func(tb testing.TB) gatehouse.Store

// Run runs the conformance suite against the stores open returns, one fresh store per subtest.
func Run(t *testing.T, open func(tb testing.TB) gatehouse.Store) {
	for _, tc := range []struct {
		name string
		test func(t *testing.T, open Opener)
	}{
		{"Directories", testDirectories},
		{"Users", testUsers},
		{"FindUsers", testFindUsers},
		{"FindUsersLimits", testFindUsersLimits},
		{"FindUsersPaging", testFindUsersPaging},
		{"FindUsersBroadSearch", testFindUsersBroadSearch},
		{"Groups", testGroups},
		{"GroupMembers", testGroupMembers},
		{"Apps", testApps},
		{"AppEntityIDs", testAppEntityIDs},
		{"Certificates", testCertificates},
		{"CertificateActivation", testCertificateActivation},
		{"CertificateRollover", testCertificateRollover},
		{"ExpiringCertificates", testExpiringCertificates},
		{"Assignments", testAssignments},
		{"UserApps", testUserApps},
		{"Sessions", testSessions},
		{"APITokens", testAPITokens},
		{"SignInRequests", testSignInRequests},
		{"UseOnce", testUseOnce},
		{"IsUsed", testIsUsed},
		{"Counters", testCounters},
		{"SignInEvents", testSignInEvents},
		{"SignInEventOnce", testSignInEventOnce},
		{"AuditEvents", testAuditEvents},
		{"Transactions", testTransactions},
		{"DeleteExpired", testDeleteExpired},
		{"DirectoryIsolation", testDirectoryIsolation},
		{"SQLInjection", testSQLInjection},
		{"Cascades", testCascades},
		{"Concurrency", testConcurrency},
		{"NotificationEmails", testNotificationEmails},
		{"CertificateNotices", testCertificateNotices},
		{"Health", testHealth},
		{"ProvisioningFields", testProvisioningFields},
		{"QueryUsers", testQueryUsers},
		{"QueryGroups", testQueryGroups},
		{"FindGroupsOfUsers", testFindGroupsOfUsers},
		{"SCIMTokens", testSCIMTokens},
		{"ForUpdate", testForUpdate},
		{"Passkeys", testPasskeys},
		{"PasskeyPolicies", testPasskeyPolicies},
		{"SessionMethods", testSessionMethods},
		{"ProvisioningSettings", testProvisioningSettings},
		{"ProvisioningLease", testProvisioningLease},
		{"ProvisioningRequests", testProvisioningRequests},
		{"ProvisioningJobs", testProvisioningJobs},
		{"ProvisioningDue", testProvisioningDue},
		{"ProvisionedObjects", testProvisionedObjects},
		{"ScopeUsers", testScopeUsers},
		{"ProvisioningEvents", testProvisioningEvents},
		{"OIDCApps", testOIDCApps},
		{"ClientSecrets", testClientSecrets},
		{"OIDCKeys", testOIDCKeys},
		{"OIDCGrants", testOIDCGrants},
		{"OIDCExpiry", testOIDCExpiry},
		{"HasUsers", testHasUsers},
		{"CreateUsersInTx", testCreateUsersInTx},
		{"ConfigGeneration", testConfigGeneration},
		{"SignOnState", testSignOnState},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.test(t, open) })
	}
}

// t0 is the suite's "now". Times have whole microseconds, the precision every store keeps.
var t0 = time.Date(2026, 11, 25, 12, 0, 0, 123456000, time.UTC)

// ctx is the context of every call.
var ctx = context.Background()

// cmpOpts make comparisons ignore what callers cannot tell apart: a nil slice and an empty one. Times are compared
// with time.Time.Equal (go-cmp uses Equal methods), so the location a store returns does not matter.
var cmpOpts = cmp.Options{cmpopts.EquateEmpty()}

// must stops the test on an error.
func must(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
}

// wantCode reports an error unless err has the given Gatehouse code ("" for no error).
func wantCode(tb testing.TB, what string, err error, code string) {
	tb.Helper()
	if got := gatehouse.ErrorCode(err); got != code {
		tb.Errorf("%s: error %v (code %q), want code %q", what, err, got, code)
	}
}

// diff reports a mismatch between want and got.
func diff(tb testing.TB, what string, want, got any) {
	tb.Helper()
	if d := cmp.Diff(want, got, cmpOpts...); d != "" {
		tb.Errorf("%s mismatch (-want +got):\n%s", what, d)
	}
}

// ids returns the IDs of a list of objects, for comparing lists by what they hold and in which order.
func ids[T any](list []*T, id func(*T) string) []string {
	out := []string{}
	for _, v := range list {
		out = append(out, id(v))
	}
	return out
}

func userID(u *gatehouse.User) string               { return u.ID }
func groupID(g *gatehouse.Group) string             { return g.ID }
func appID(a *gatehouse.App) string                 { return a.ID }
func certID(c *gatehouse.Certificate) string        { return c.ID }
func assignmentID(a *gatehouse.Assignment) string   { return a.ID }
func tokenID(t *gatehouse.APIToken) string          { return t.ID }
func signInEventID(e *gatehouse.SignInEvent) string { return e.ID }
func auditEventID(e *gatehouse.AuditEvent) string   { return e.ID }

// newDirectory returns a directory created at t.
func newDirectory(id string, t time.Time) *gatehouse.Directory {
	return &gatehouse.Directory{ID: id, Name: "Directory " + id, Domain: id + ".example.com", CreatedAt: t,
		UpdatedAt: t}
}

// newUser returns a user with every field set.
func newUser(directoryID, id, userName string) *gatehouse.User {
	return &gatehouse.User{ID: id, DirectoryID: directoryID, UserName: userName, FirstName: "First " + id,
		LastName: "Last " + id, DisplayName: "Display " + id, Mail: userName, Role: gatehouse.RoleUser,
		PasswordHash: "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$" + id, PasswordChangedAt: t0.Add(-time.Hour),
		CreatedAt: t0, UpdatedAt: t0}
}

// newGroup returns a group.
func newGroup(directoryID, id, name string) *gatehouse.Group {
	return &gatehouse.Group{ID: id, DirectoryID: directoryID, Name: name, Description: "About " + name,
		CreatedAt: t0, UpdatedAt: t0}
}

// newApp returns an enabled app with the default SAML settings, the given Identifier and a reply URL.
func newApp(directoryID, id, name, entityID string) *gatehouse.App {
	saml := gatehouse.DefaultSAMLSettings()
	saml.EntityID = entityID
	saml.ReplyURLs = []string{"https://sp.example.com/" + id + "/acs"}
	return &gatehouse.App{ID: id, DirectoryID: directoryID, Name: name, GalleryID: "custom", Enabled: true,
		Visible: true, SAML: saml, CreatedAt: t0, UpdatedAt: t0}
}

// newCert returns a certificate of the app (of the directory when appID is "") valid until notAfter.
func newCert(directoryID, id, appID string, notAfter time.Time, active bool) *gatehouse.Certificate {
	return &gatehouse.Certificate{ID: id, DirectoryID: directoryID, AppID: appID,
		DER: []byte("\x30\x82\x03\x00der-" + id), EncryptedKey: []byte("\x00\xffsealed-" + id),
		Thumbprint: "THUMB-" + id, NotBefore: t0.AddDate(0, 0, -1), NotAfter: notAfter, Active: active,
		CreatedAt: t0}
}

// newSession returns a session of the user that expires at expires.
func newSession(directoryID, userID, id string, expires time.Time) *gatehouse.Session {
	return &gatehouse.Session{ID: id, DirectoryID: directoryID, UserID: userID, CreatedAt: t0, AuthnInstant: t0,
		LastSeenAt: t0, ExpiresAt: expires, ClientAddr: "192.0.2.1", UserAgent: "Mozilla/5.0 (" + id + ")"}
}

// newToken returns an API token of the user created at created, expiring at expires (never when nil).
func newToken(directoryID, userID, id string, created time.Time, expires *time.Time) *gatehouse.APIToken {
	return &gatehouse.APIToken{ID: id, SecretHash: "hash-" + id, Prefix: "gh_" + id[:min(len(id), 4)],
		DirectoryID: directoryID, UserID: userID, Name: "Token " + id, CreatedAt: created, ExpiresAt: expires}
}

// newSignInRequest returns a pending sign-in to the app that expires at expires.
func newSignInRequest(directoryID, appID, id string, expires time.Time) *gatehouse.SignInRequest {
	return &gatehouse.SignInRequest{ID: id, DirectoryID: directoryID, AppID: appID, RequestID: "_req-" + id,
		ACSURL: "https://sp.example.com/" + appID + "/acs", RelayState: "/landing?x=1", ForceAuthn: true,
		NameIDFormat: gatehouse.NameIDPersistent, CreatedAt: t0, ExpiresAt: expires}
}

// ptr returns a pointer to t.
func ptr(t time.Time) *time.Time { return &t }

// world is one directory holding one of everything, as seed creates it: alice is a member of sales; the app is
// assigned to bob directly and to sales; alice has a session and an API token; the app has an active certificate
// and a pending sign-in request; the directory has its own certificate; the logs have one entry each.
type world struct {
	dir            *gatehouse.Directory
	alice, bob     *gatehouse.User
	sales          *gatehouse.Group
	app            *gatehouse.App
	cert, dirCert  *gatehouse.Certificate
	toBob, toSales *gatehouse.Assignment
	session        *gatehouse.Session
	token          *gatehouse.APIToken
	request        *gatehouse.SignInRequest
	signIn         *gatehouse.SignInEvent
	audit          *gatehouse.AuditEvent
}

// seed creates a world in directory id. Object IDs start with the directory ID, so two worlds share none; both
// worlds' apps have the same Identifier, which is allowed in different directories.
func seed(tb testing.TB, s gatehouse.Store, id string) *world {
	tb.Helper()
	w := &world{
		dir:     newDirectory(id, t0),
		alice:   newUser(id, id+"-alice", "alice@"+id+".example.com"),
		bob:     newUser(id, id+"-bob", "bob@"+id+".example.com"),
		sales:   newGroup(id, id+"-sales", "Sales"),
		app:     newApp(id, id+"-app", "Mixpanel", "https://mixpanel.com/saml"),
		dirCert: newCert(id, id+"-dircert", "", t0.AddDate(5, 0, 0), true),
	}
	w.cert = newCert(id, id+"-cert", w.app.ID, t0.AddDate(3, 0, 0), true)
	w.toBob = &gatehouse.Assignment{ID: id + "-to-bob", DirectoryID: id, AppID: w.app.ID,
		PrincipalType: gatehouse.PrincipalUser, PrincipalID: w.bob.ID, CreatedAt: t0}
	w.toSales = &gatehouse.Assignment{ID: id + "-to-sales", DirectoryID: id, AppID: w.app.ID,
		PrincipalType: gatehouse.PrincipalGroup, PrincipalID: w.sales.ID, CreatedAt: t0.Add(time.Second)}
	w.session = newSession(id, w.alice.ID, id+"-session", t0.Add(8*time.Hour))
	w.token = newToken(id, w.alice.ID, id+"-token", t0, nil)
	w.request = newSignInRequest(id, w.app.ID, id+"-request", t0.Add(10*time.Minute))
	w.signIn = &gatehouse.SignInEvent{ID: id + "-signin", DirectoryID: id, Time: t0, UserID: w.alice.ID,
		UserName: w.alice.UserName, AppID: w.app.ID, AppName: w.app.Name, Result: gatehouse.ResultSuccess,
		CorrelationID: "corr-" + id, ClientAddr: "192.0.2.1"}
	w.audit = &gatehouse.AuditEvent{ID: id + "-audit", DirectoryID: id, Time: t0, ActorID: w.alice.ID,
		ActorName: w.alice.UserName, Action: "app.create", TargetType: "app", TargetID: w.app.ID,
		After: `{"name":"Mixpanel"}`, CorrelationID: "corr-" + id}

	must(tb, s.CreateDirectory(ctx, w.dir))
	must(tb, s.CreateUser(ctx, w.alice))
	must(tb, s.CreateUser(ctx, w.bob))
	must(tb, s.CreateGroup(ctx, w.sales))
	must(tb, s.AddGroupMember(ctx, id, w.sales.ID, w.alice.ID))
	must(tb, s.CreateApp(ctx, w.app, w.cert))
	must(tb, s.CreateCertificate(ctx, w.dirCert))
	must(tb, s.CreateAssignment(ctx, w.toBob))
	must(tb, s.CreateAssignment(ctx, w.toSales))
	must(tb, s.CreateSession(ctx, w.session))
	must(tb, s.CreateAPIToken(ctx, w.token))
	must(tb, s.CreateSignInRequest(ctx, w.request))
	must(tb, s.CreateSignInEvent(ctx, w.signIn))
	must(tb, s.CreateAuditEvent(ctx, w.audit))
	return w
}

// check reports an error for every object of w that the store no longer holds as it was seeded.
func (w *world) check(tb testing.TB, s gatehouse.Store) {
	tb.Helper()
	id := w.dir.ID
	d, err := s.FindDirectory(ctx, id)
	must(tb, err)
	diff(tb, "directory", w.dir, d)
	for _, u := range []*gatehouse.User{w.alice, w.bob} {
		got, err := s.FindUser(ctx, id, u.ID)
		must(tb, err)
		diff(tb, "user", u, got)
	}
	g, err := s.FindGroup(ctx, id, w.sales.ID)
	must(tb, err)
	diff(tb, "group", w.sales, g)
	members, err := s.FindGroupMembers(ctx, id, w.sales.ID)
	must(tb, err)
	diff(tb, "group members", []string{w.alice.ID}, ids(members, userID))
	a, err := s.FindApp(ctx, id, w.app.ID)
	must(tb, err)
	diff(tb, "app", w.app, a)
	for _, c := range []*gatehouse.Certificate{w.cert, w.dirCert} {
		got, err := s.FindCertificate(ctx, id, c.ID)
		must(tb, err)
		diff(tb, "certificate", c, got)
	}
	asg, err := s.FindAssignments(ctx, id, w.app.ID)
	must(tb, err)
	diff(tb, "assignments", []*gatehouse.Assignment{w.toBob, w.toSales}, asg)
	sess, err := s.FindSession(ctx, w.session.ID, t0)
	must(tb, err)
	diff(tb, "session", w.session, sess)
	tok, err := s.FindAPITokenBySecretHash(ctx, w.token.SecretHash, t0)
	must(tb, err)
	diff(tb, "API token", w.token, tok)
	req, err := s.FindSignInRequest(ctx, id, w.request.ID, t0)
	must(tb, err)
	diff(tb, "sign-in request", w.request, req)
	ev, err := s.FindSignInEvent(ctx, id, w.signIn.ID)
	must(tb, err)
	diff(tb, "sign-in event", w.signIn, ev)
	audit, n, err := s.FindAuditEvents(ctx, id, gatehouse.AuditFilter{})
	must(tb, err)
	diff(tb, "audit events", []*gatehouse.AuditEvent{w.audit}, audit)
	if n != 1 {
		tb.Errorf("FindAuditEvents total = %d, want 1", n)
	}
}
