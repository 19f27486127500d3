package storecopy_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/internal/pgtest"
	"github.com/gatehouse-idp/gatehouse/postgres"
	"github.com/gatehouse-idp/gatehouse/storecopy"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// t0 is when the seed objects are created; whole microseconds, which every engine keeps.
var t0 = time.Date(2026, 11, 25, 12, 0, 0, 123456000, time.UTC)

func openPostgres(tb testing.TB) gatehouse.Store {
	tb.Helper()
	s, err := postgres.Open(context.Background(), pgtest.URL(tb))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

func must(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
}

// seed fills s with two directories holding one of every kind of object Copy copies, and users beyond one page.
func seed(t *testing.T, s gatehouse.Store) {
	t.Helper()
	ctx := context.Background()
	must(t, s.InTx(ctx, func(s gatehouse.Store) error {
		for i, id := range []string{"default", "fabrikam"} {
			at := t0.Add(time.Duration(i) * time.Hour)
			must(t, s.CreateDirectory(ctx, &gatehouse.Directory{ID: id, Name: "Directory " + id, Domain: id + ".example.com",
				RequireMFA: i == 1, Logo: []byte("<svg/>" + id), LogoType: "image/svg+xml", CreatedAt: at,
				UpdatedAt: at.Add(time.Minute)}))
			must(t, s.CreateUser(ctx, &gatehouse.User{ID: "u-admin", DirectoryID: id, UserName: "admin@" + id + ".example.com",
				FirstName: "Ad", LastName: "Min", DisplayName: "Admin", Mail: "admin@" + id + ".example.com",
				Role: gatehouse.RoleGlobalAdmin, MustChangePassword: true, PasswordHash: "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$" + id,
				PasswordChangedAt: at, MFAEnabled: true, MFASecret: []byte("sealed-totp-" + id),
				RecoveryCodes: []string{"hash-1", "hash-2"}, CreatedAt: at, UpdatedAt: at}))
			must(t, s.CreateUser(ctx, &gatehouse.User{ID: "u-simon", DirectoryID: id, UserName: "b.simon@" + id + ".example.com",
				DisplayName: "B. Simon", Role: gatehouse.RoleUser, Disabled: true, Source: gatehouse.SourceSCIM,
				ExternalID: "ext-simon", Department: "Sales", EmployeeNumber: "42", CostCenter: "C1", Organization: "Contoso",
				Division: "EMEA", ManagerID: "u-admin", SCIMAttributes: `{"title":"Tour Guide"}`, CreatedAt: at, UpdatedAt: at}))
			used := at.Add(time.Minute)
			must(t, s.CreateSCIMToken(ctx, &gatehouse.SCIMToken{ID: "scim-" + id, DirectoryID: id, Name: "Entra ID",
				SecretHash: "scim-hash-" + id, Prefix: "ghs_abc", CreatedBy: "admin@" + id, CreatedAt: at, LastUsedAt: &used}))
			must(t, s.CreateGroup(ctx, &gatehouse.Group{ID: "g-sales", DirectoryID: id, Name: "Sales", Description: "All of sales",
				ExternalID: "ext-sales", CreatedAt: at, UpdatedAt: at}))
			must(t, s.AddGroupMember(ctx, id, "g-sales", "u-simon"))
			must(t, s.AddGroupMember(ctx, id, "g-sales", "u-admin"))
			saml := gatehouse.DefaultSAMLSettings()
			saml.EntityID = "https://mixpanel.com/saml/" + id
			saml.ReplyURLs = []string{"https://mixpanel.com/saml/acs", "https://eu.mixpanel.com/saml/acs"}
			saml.Claims = append(saml.Claims, gatehouse.Claim{Name: "plan", NameFormat: gatehouse.NameFormatBasic, Value: "growth"})
			must(t, s.CreateApp(ctx, &gatehouse.App{ID: "a-mixpanel", DirectoryID: id, Name: "Mixpanel", GalleryID: "mixpanel",
				Enabled: true, AssignmentRequired: true, Visible: true, Notes: "Analytics", Logo: []byte{0x89, 'P', 'N', 'G'},
				LogoType: "image/png", SAML: saml, CreatedAt: at, UpdatedAt: at},
				&gatehouse.Certificate{ID: "c-old", DirectoryID: id, AppID: "a-mixpanel", DER: []byte{0x30, 1},
					EncryptedKey: []byte("sealed-1"), Thumbprint: "AA", NotBefore: at, NotAfter: at.AddDate(3, 0, 0),
					Active: true, CreatedAt: at}))
			must(t, s.CreateCertificate(ctx, &gatehouse.Certificate{ID: "c-new", DirectoryID: id, AppID: "a-mixpanel",
				DER: []byte{0x30, 2}, EncryptedKey: []byte("sealed-2"), Thumbprint: "BB", NotBefore: at,
				NotAfter: at.AddDate(3, 0, 0), CreatedAt: at.Add(time.Minute)}))
			// A certificate replaced a day before the active one was created, still published.
			must(t, s.CreateCertificate(ctx, &gatehouse.Certificate{ID: "c-replaced", DirectoryID: id, AppID: "a-mixpanel",
				DER: []byte{0x30, 4}, EncryptedKey: []byte("sealed-4"), Thumbprint: "DD", NotBefore: at.AddDate(-1, 0, 0),
				NotAfter: at.AddDate(2, 0, 0), DeactivatedAt: at, CreatedAt: at.AddDate(-1, 0, 0)}))
			must(t, s.CreateApp(ctx, &gatehouse.App{ID: "a-custom", DirectoryID: id, Name: "Custom",
				GalleryID: "custom", SAML: gatehouse.DefaultSAMLSettings(), CreatedAt: at, UpdatedAt: at}, nil))
			oidc := gatehouse.DefaultOIDCSettings()
			oidc.ClientID, oidc.RedirectURIs = "grafana", []string{"https://grafana.example.com/login/generic_oauth"}
			must(t, s.CreateApp(ctx, &gatehouse.App{ID: "a-grafana", DirectoryID: id, Name: "Grafana", GalleryID: "grafana",
				Enabled: true, AssignmentRequired: true, Protocol: gatehouse.ProtocolOIDC, OIDC: &oidc, CreatedAt: at,
				UpdatedAt: at}, nil))
			secretExp := at.AddDate(0, 0, 7)
			must(t, s.CreateClientSecret(ctx, &gatehouse.ClientSecret{ID: "cs-old", DirectoryID: id, AppID: "a-grafana",
				SecretHash: "cs-hash-old-" + id, Hint: "gcs_old", CreatedAt: at, ExpiresAt: &secretExp}))
			must(t, s.CreateClientSecret(ctx, &gatehouse.ClientSecret{ID: "cs-new", DirectoryID: id, AppID: "a-grafana",
				SecretHash: "cs-hash-new-" + id, Hint: "gcs_new", CreatedAt: at.Add(time.Minute)}))
			for _, k := range []*gatehouse.OIDCKey{
				{ID: "k-rs-old", DirectoryID: id, Algorithm: gatehouse.RS256, PublicKey: []byte{0x30, 5}, EncryptedKey: []byte("sealed-5"),
					DeactivatedAt: at, CreatedAt: at.Add(-time.Hour)},
				{ID: "k-rs", DirectoryID: id, Algorithm: gatehouse.RS256, PublicKey: []byte{0x30, 6}, EncryptedKey: []byte("sealed-6"),
					Active: true, CreatedAt: at},
				{ID: "k-es", DirectoryID: id, Algorithm: gatehouse.ES256, PublicKey: []byte{0x30, 7}, EncryptedKey: []byte("sealed-7"),
					Active: true, CreatedAt: at},
				{ID: "k-rs-next", DirectoryID: id, Algorithm: gatehouse.RS256, PublicKey: []byte{0x30, 8}, EncryptedKey: []byte("sealed-8"),
					CreatedAt: at.Add(time.Minute)},
			} {
				must(t, s.CreateOIDCKey(ctx, k))
			}
			grantLive := time.Now().UTC().Truncate(time.Microsecond).AddDate(0, 0, 30)
			must(t, s.CreateOIDCGrant(ctx, &gatehouse.OIDCGrant{ID: "gr-" + id, DirectoryID: id, AppID: "a-grafana",
				UserID: "u-admin", SessionID: "sess-admin-" + id, CodeHash: "code-" + id, CodeExpiresAt: at.Add(time.Minute),
				CodeUsedAt: at.Add(time.Second), CreatedAt: at, ExpiresAt: grantLive,
				Request: gatehouse.OIDCRequest{ClientID: "grafana", RedirectURI: oidc.RedirectURIs[0],
					Scopes: []string{"openid", "offline_access"}, Nonce: "n", AuthTime: at, AMR: []string{"pwd"}, SID: "sid"}}))
			must(t, s.CreateOIDCGrant(ctx, &gatehouse.OIDCGrant{ID: "gr-expired-" + id, DirectoryID: id, AppID: "a-grafana",
				UserID: "u-admin", CreatedAt: at, ExpiresAt: at.Add(time.Hour)}))
			must(t, s.CreateOIDCToken(ctx, &gatehouse.OIDCToken{ID: "tok-refresh-" + id, DirectoryID: id, GrantID: "gr-" + id,
				Kind: gatehouse.TokenRefresh, SecretHash: "refresh-" + id, Scopes: []string{"openid", "offline_access"},
				CreatedAt: at, ExpiresAt: grantLive, UsedAt: at.Add(time.Minute)}))
			must(t, s.CreateOIDCToken(ctx, &gatehouse.OIDCToken{ID: "tok-access-" + id, DirectoryID: id, GrantID: "gr-" + id,
				Kind: gatehouse.TokenAccess, CreatedAt: at.Add(time.Minute), ExpiresAt: grantLive, RevokedAt: at.Add(time.Hour)}))
			must(t, s.CreateCertificate(ctx, &gatehouse.Certificate{ID: "c-idp", DirectoryID: id, DER: []byte{0x30, 3},
				EncryptedKey: []byte("sealed-3"), Thumbprint: "CC", NotBefore: at, NotAfter: at.AddDate(10, 0, 0),
				Active: true, CreatedAt: at}))
			must(t, s.SetNotificationEmails(ctx, id, "", []string{"ops@" + id + ".example.com"}))
			must(t, s.SetNotificationEmails(ctx, id, "a-mixpanel", []string{"analytics@" + id + ".example.com", "ops@" + id + ".example.com"}))
			must(t, s.ClaimCertificateNotice(ctx, &gatehouse.CertificateNotice{DirectoryID: id, CertificateID: "c-old", Days: 60, ClaimedAt: at}, time.Hour))
			must(t, s.FinishCertificateNotice(ctx, &gatehouse.CertificateNotice{DirectoryID: id, CertificateID: "c-old", Days: 60, ClaimedAt: at, SentAt: at.Add(time.Second)}))
			must(t, s.ClaimCertificateNotice(ctx, &gatehouse.CertificateNotice{DirectoryID: id, CertificateID: "c-idp", Days: 30, ClaimedAt: at.Add(time.Minute)}, time.Hour))
			must(t, s.CreateAssignment(ctx, &gatehouse.Assignment{ID: "x-group", DirectoryID: id, AppID: "a-mixpanel",
				PrincipalType: gatehouse.PrincipalGroup, PrincipalID: "g-sales", CreatedAt: at}))
			must(t, s.CreateAssignment(ctx, &gatehouse.Assignment{ID: "x-user", DirectoryID: id, AppID: "a-mixpanel",
				PrincipalType: gatehouse.PrincipalUser, PrincipalID: "u-admin", CreatedAt: at.Add(time.Second)}))
			prov := gatehouse.DefaultProvisioning(id, "a-mixpanel")
			prov.Mode, prov.TenantURL, prov.SealedToken, prov.TokenSetAt = gatehouse.ProvisioningAutomatic,
				"https://mixpanel.com/api/app/scim/v2", []byte("sealed-token-"+id), at
			prov.CreatedAt, prov.UpdatedAt = at, at
			must(t, s.SetProvisioning(ctx, prov))
			must(t, s.SaveProvisionedObject(ctx, &gatehouse.ProvisionedObject{DirectoryID: id, AppID: "a-mixpanel",
				ObjectType: gatehouse.ObjectUser, SourceID: "u-simon", SourceName: "b.simon", TargetID: "42", Active: true,
				CreatedAt: at, UpdatedAt: at}))
			must(t, s.EnqueueProvisioningJobs(ctx, []*gatehouse.ProvisioningJob{{DirectoryID: id, AppID: "a-mixpanel",
				ObjectType: gatehouse.ObjectGroup, ObjectID: "g-sales", Reason: "group.update", RequestedAt: at, NotBefore: at}}))
			must(t, s.RetryProvisioningJob(ctx, &gatehouse.ProvisioningJob{DirectoryID: id, AppID: "a-mixpanel",
				ObjectType: gatehouse.ObjectGroup, ObjectID: "g-sales", RequestedAt: at, NotBefore: at.Add(time.Minute),
				Attempts: 2, LastError: "HTTP 503"}))
			must(t, s.CreateProvisioningEvent(ctx, &gatehouse.ProvisioningEvent{ID: "p-1", DirectoryID: id, AppID: "a-mixpanel",
				AppName: "Mixpanel", Time: at, Trigger: gatehouse.CycleInitial, ObjectType: gatehouse.ObjectUser,
				SourceID: "u-simon", SourceName: "b.simon", TargetID: "42", Action: gatehouse.ActionCreate,
				Result: gatehouse.ResultSuccess, Changes: []gatehouse.AttributeChange{{Attribute: "userName", After: "b.simon"}},
				Target: "mixpanel.com (192.0.2.1:443)", DurationMS: 12}))
			exp, used := at.AddDate(1, 0, 0), at.Add(time.Hour)
			must(t, s.CreateAPIToken(ctx, &gatehouse.APIToken{ID: "t-ci-" + id, SecretHash: "hash-ci-" + id, Prefix: "gh_ci",
				DirectoryID: id, UserID: "u-admin", Name: "CI", CreatedAt: at, ExpiresAt: &exp, LastUsedAt: &used}))
			must(t, s.CreateAPIToken(ctx, &gatehouse.APIToken{ID: "t-forever-" + id, SecretHash: "hash-forever-" + id,
				Prefix: "gh_fo", DirectoryID: id, UserID: "u-admin", Name: "Forever", CreatedAt: at.Add(time.Second)}))
			// A passkey of the admin, and a passkey policy in one directory.
			used = at.Add(2 * time.Hour)
			must(t, s.CreatePasskey(ctx, &gatehouse.Passkey{ID: "pk-" + id, DirectoryID: id, UserID: "u-admin", Name: "Laptop",
				CredentialID: []byte("cred-" + id), PublicKey: []byte{0xa5, 1}, AAGUID: "ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4",
				SignCount: 9, Transports: []string{"internal"}, AttestationType: "none", AttestationFormat: "none",
				BackupEligible: true, BackupState: true, CreatedAt: at, LastUsedAt: &used}))
			if i == 1 {
				must(t, s.SetPasskeyPolicy(ctx, &gatehouse.PasskeyPolicy{DirectoryID: id, Passkeys: gatehouse.PasskeysSecondFactor,
					RequirePhishingResistant: true, RecoveryCodes: gatehouse.RecoveryCodesOff, AAGUIDs: []string{"ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4"}, UpdatedAt: at}))
			}
			// A live session of each user, and an expired one, which is not copied.
			live := time.Now().UTC().Truncate(time.Microsecond).Add(time.Hour)
			for _, sess := range []*gatehouse.Session{
				{ID: "sess-admin-" + id, DirectoryID: id, UserID: "u-admin", CreatedAt: at, AuthnInstant: at.Add(time.Second),
					LastSeenAt: at.Add(time.Minute), ExpiresAt: live, MFA: true, ClientAddr: "192.0.2.7", UserAgent: "Firefox"},
				{ID: "sess-simon-" + id, DirectoryID: id, UserID: "u-simon", CreatedAt: at.Add(time.Second),
					AuthnInstant: at, LastSeenAt: at, ExpiresAt: live.Add(time.Hour), ClientAddr: "2001:db8::1"},
				{ID: "sess-expired-" + id, DirectoryID: id, UserID: "u-simon", CreatedAt: at, AuthnInstant: at,
					LastSeenAt: at, ExpiresAt: at.Add(time.Hour)},
			} {
				must(t, s.CreateSession(ctx, sess))
			}
			for j := range 3 {
				must(t, s.CreateSignInEvent(ctx, &gatehouse.SignInEvent{ID: fmt.Sprintf("s-%d", j), DirectoryID: id,
					Time: at.Add(time.Duration(j) * time.Minute), UserID: "u-simon", UserName: "b.simon@" + id + ".example.com",
					AppID: "a-mixpanel", AppName: "Mixpanel", Result: gatehouse.ResultFailure, Code: gatehouse.EFORBIDDEN,
					Reason: "Disabled.", CorrelationID: fmt.Sprintf("corr-%d", j), ClientAddr: "192.0.2.1"}))
				must(t, s.CreateAuditEvent(ctx, &gatehouse.AuditEvent{ID: fmt.Sprintf("e-%d", j), DirectoryID: id,
					Time: at.Add(time.Duration(j) * time.Minute), ActorID: "u-admin", ActorName: "Admin", Action: "user.update",
					TargetType: "user", TargetID: "u-simon", Before: `{"disabled":false}`, After: `{"disabled":true}`,
					CorrelationID: fmt.Sprintf("corr-%d", j)}))
			}
		}
		// More users than one page of FindUsers.
		for i := range 1001 {
			must(t, s.CreateUser(ctx, &gatehouse.User{ID: fmt.Sprintf("u-%04d", i), DirectoryID: "fabrikam",
				UserName: fmt.Sprintf("user%04d@fabrikam.example.com", i), DisplayName: "User", Role: gatehouse.RoleUser,
				CreatedAt: t0, UpdatedAt: t0}))
		}
		return nil
	}))
}

// contents is everything Copy copies, as read through the Store contract.
type contents struct {
	Directories []*gatehouse.Directory
	Users       map[string][]*gatehouse.User
	Groups      map[string][]*gatehouse.Group
	Members     map[string][]*gatehouse.User // by directory/group
	Apps        map[string][]*gatehouse.App
	Certs       map[string][]*gatehouse.Certificate // by directory/app
	Assignments map[string][]*gatehouse.Assignment  // by directory/app
	Tokens      map[string][]*gatehouse.APIToken
	SCIMTokens  map[string][]*gatehouse.SCIMToken
	Sessions    map[string][]*gatehouse.Session
	SignIns     map[string][]*gatehouse.SignInEvent
	Audit       map[string][]*gatehouse.AuditEvent
	// Notify holds the notification e-mails by directory/app; Notices the certificate notices by directory.
	Notify  map[string][]string
	Notices map[string][]*gatehouse.CertificateNotice
	// Passkeys are by directory and user; PasskeyPolicies by directory.
	Passkeys        map[string][]*gatehouse.Passkey
	PasskeyPolicies map[string]*gatehouse.PasskeyPolicy
	// Provisioning holds the apps' provisioning settings, links, jobs and log by directory.
	Provisioning map[string][]*gatehouse.Provisioning
	Links        map[string]map[string]*gatehouse.ProvisionedObject
	Jobs         map[string][]*gatehouse.ProvisioningJob
	ProvLog      map[string][]*gatehouse.ProvisioningEvent
	// Secrets are the client secrets by directory/app, Keys the signing keys and Grants the live grants by
	// directory, and GrantTokens the tokens by directory/grant.
	Secrets     map[string][]*gatehouse.ClientSecret
	Keys        map[string][]*gatehouse.OIDCKey
	Grants      map[string][]*gatehouse.OIDCGrant
	GrantTokens map[string][]*gatehouse.OIDCToken
}

// read returns everything Copy copies from s.
func read(t *testing.T, s gatehouse.Store) *contents {
	t.Helper()
	ctx := context.Background()
	c := &contents{Users: map[string][]*gatehouse.User{}, Groups: map[string][]*gatehouse.Group{},
		Members: map[string][]*gatehouse.User{}, Apps: map[string][]*gatehouse.App{},
		Certs: map[string][]*gatehouse.Certificate{}, Assignments: map[string][]*gatehouse.Assignment{},
		Tokens: map[string][]*gatehouse.APIToken{}, SCIMTokens: map[string][]*gatehouse.SCIMToken{}, Sessions: map[string][]*gatehouse.Session{}, SignIns: map[string][]*gatehouse.SignInEvent{},
		Audit: map[string][]*gatehouse.AuditEvent{}, Notify: map[string][]string{}, Notices: map[string][]*gatehouse.CertificateNotice{},
		Passkeys: map[string][]*gatehouse.Passkey{}, PasskeyPolicies: map[string]*gatehouse.PasskeyPolicy{},
		Provisioning: map[string][]*gatehouse.Provisioning{}, Links: map[string]map[string]*gatehouse.ProvisionedObject{},
		Jobs: map[string][]*gatehouse.ProvisioningJob{}, ProvLog: map[string][]*gatehouse.ProvisioningEvent{},
		Secrets: map[string][]*gatehouse.ClientSecret{}, Keys: map[string][]*gatehouse.OIDCKey{},
		Grants: map[string][]*gatehouse.OIDCGrant{}, GrantTokens: map[string][]*gatehouse.OIDCToken{}}
	var err error
	c.Directories, err = s.FindDirectories(ctx)
	must(t, err)
	for _, d := range c.Directories {
		for after := ""; ; {
			users, _, err := s.FindUsers(ctx, d.ID, gatehouse.UserFilter{After: after, Limit: 1000})
			must(t, err)
			c.Users[d.ID] = append(c.Users[d.ID], users...)
			if len(users) < 1000 {
				break
			}
			after = users[len(users)-1].UserName
		}
		c.Groups[d.ID], err = s.FindGroups(ctx, d.ID, "")
		must(t, err)
		for _, g := range c.Groups[d.ID] {
			c.Members[d.ID+"/"+g.ID], err = s.FindGroupMembers(ctx, d.ID, g.ID)
			must(t, err)
		}
		c.Apps[d.ID], err = s.FindApps(ctx, d.ID, "")
		must(t, err)
		c.Certs[d.ID+"/"], err = s.FindCertificates(ctx, d.ID, "")
		must(t, err)
		for _, a := range c.Apps[d.ID] {
			c.Certs[d.ID+"/"+a.ID], err = s.FindCertificates(ctx, d.ID, a.ID)
			must(t, err)
			c.Assignments[d.ID+"/"+a.ID], err = s.FindAssignments(ctx, d.ID, a.ID)
			must(t, err)
		}
		c.Tokens[d.ID], err = s.FindAPITokens(ctx, d.ID, "")
		must(t, err)
		c.SCIMTokens[d.ID], err = s.FindSCIMTokens(ctx, d.ID)
		must(t, err)
		c.Sessions[d.ID], err = s.(storecopy.SessionFinder).FindSessions(ctx, d.ID, time.Now())
		must(t, err)
		c.SignIns[d.ID], _, err = s.FindSignInEvents(ctx, d.ID, gatehouse.SignInFilter{Limit: 1000})
		must(t, err)
		c.Audit[d.ID], _, err = s.FindAuditEvents(ctx, d.ID, gatehouse.AuditFilter{Limit: 1000})
		must(t, err)
		c.Notify[d.ID+"/"], err = s.FindNotificationEmails(ctx, d.ID, "")
		must(t, err)
		for _, a := range c.Apps[d.ID] {
			c.Notify[d.ID+"/"+a.ID], err = s.FindNotificationEmails(ctx, d.ID, a.ID)
			must(t, err)
		}
		c.Notices[d.ID], err = s.FindCertificateNotices(ctx, d.ID)
		must(t, err)
		for _, u := range c.Users[d.ID] {
			keys, err := s.FindPasskeys(ctx, d.ID, u.ID)
			must(t, err)
			if len(keys) > 0 {
				c.Passkeys[d.ID+"/"+u.ID] = keys
			}
		}
		c.PasskeyPolicies[d.ID], err = s.FindPasskeyPolicy(ctx, d.ID)
		must(t, err)
		c.Provisioning[d.ID], err = s.FindProvisionings(ctx, d.ID, "")
		must(t, err)
		c.Links[d.ID], err = s.FindProvisionedObjects(ctx, d.ID, "a-mixpanel", gatehouse.ObjectUser, []string{"u-simon", "u-admin"})
		must(t, err)
		c.Jobs[d.ID], err = s.FindProvisioningJobs(ctx, d.ID, "a-mixpanel", time.Time{}, 100)
		must(t, err)
		c.ProvLog[d.ID], _, err = s.FindProvisioningEvents(ctx, d.ID, gatehouse.ProvisioningFilter{})
		must(t, err)
		for _, a := range c.Apps[d.ID] {
			c.Secrets[d.ID+"/"+a.ID], err = s.FindClientSecrets(ctx, d.ID, a.ID)
			must(t, err)
		}
		c.Keys[d.ID], err = s.FindOIDCKeys(ctx, d.ID)
		must(t, err)
		c.Grants[d.ID], err = s.FindOIDCGrants(ctx, d.ID, gatehouse.OIDCGrantFilter{Live: true, Now: time.Now()})
		must(t, err)
		for _, g := range c.Grants[d.ID] {
			c.GrantTokens[d.ID+"/"+g.ID], err = s.FindOIDCTokens(ctx, d.ID, g.ID)
			must(t, err)
		}
	}
	return c
}

// testCopy seeds src, copies it to dst and checks that dst reads back the same.
func testCopy(t *testing.T, dst, src gatehouse.Store) {
	t.Helper()
	seed(t, src)
	must(t, storecopy.Copy(context.Background(), dst, src))
	want, got := read(t, src), read(t, dst)
	if len(want.Users["fabrikam"]) != 1003 {
		t.Fatalf("source has %d users in fabrikam, want 1003", len(want.Users["fabrikam"]))
	}
	if len(want.Sessions["default"]) != 2 {
		t.Fatalf("source has %d live sessions in default, want 2", len(want.Sessions["default"]))
	}
	if len(want.Notices["default"]) != 2 || len(want.Notify["default/a-mixpanel"]) != 2 {
		t.Fatalf("source has notices %v and notification e-mails %v, want 2 of each", want.Notices["default"], want.Notify["default/a-mixpanel"])
	}
	if len(want.Secrets["default/a-grafana"]) != 2 || len(want.Keys["default"]) != 4 || len(want.Grants["default"]) != 1 ||
		len(want.GrantTokens["default/gr-default"]) != 2 {
		t.Fatalf("source has OpenID Connect secrets %v, keys %v, live grants %v and tokens %v; want 2, 4, 1 and 2",
			want.Secrets["default/a-grafana"], want.Keys["default"], want.Grants["default"], want.GrantTokens["default/gr-default"])
	}
	if len(want.SCIMTokens["default"]) != 1 {
		t.Fatalf("source has %d SCIM tokens in default, want 1", len(want.SCIMTokens["default"]))
	}
	if len(want.Provisioning["default"]) != 1 || len(want.Links["default"]) != 1 || len(want.Jobs["default"]) != 1 || len(want.ProvLog["default"]) != 1 {
		t.Fatalf("source has provisioning %v, links %v, jobs %v, log %v; want one of each", want.Provisioning["default"],
			want.Links["default"], want.Jobs["default"], want.ProvLog["default"])
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("copy mismatch (-source +destination):\n%s", diff)
	}
	// A provisioning that was on reconciles on the destination.
	st, err := dst.FindProvisioningStatus(context.Background(), "default", "a-mixpanel")
	must(t, err)
	if st.CycleRequestedAt.IsZero() {
		t.Error("the copied provisioning has no full cycle requested")
	}
}

func TestCopyPostgresToPostgres(t *testing.T) {
	testCopy(t, openPostgres(t), openPostgres(t))
}

// TestCopyAllOrNothing copies into a store that already has one of the objects: Copy fails with ECONFLICT and the
// destination is left as it was.
func TestCopyAllOrNothing(t *testing.T) {
	ctx := context.Background()
	src, dst := openPostgres(t), openPostgres(t)
	seed(t, src)
	must(t, dst.CreateDirectory(ctx, &gatehouse.Directory{ID: "fabrikam", Name: "Already here", CreatedAt: t0, UpdatedAt: t0}))
	before := read(t, dst)
	err := storecopy.Copy(ctx, dst, src)
	if code := gatehouse.ErrorCode(err); code != gatehouse.ECONFLICT {
		t.Fatalf("Copy: %v (code %q), want ECONFLICT", err, code)
	}
	if diff := cmp.Diff(before, read(t, dst)); diff != "" {
		t.Errorf("destination changed (-before +after):\n%s", diff)
	}
}
