package idp_test

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/beevik/etree"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/certs"
	"github.com/gatehouse-idp/gatehouse/gallery"
	"github.com/gatehouse-idp/gatehouse/idp"
	"github.com/gatehouse-idp/gatehouse/internal/pgtest"
	"github.com/gatehouse-idp/gatehouse/internal/testserver"
	"github.com/gatehouse-idp/gatehouse/password"
	"github.com/gatehouse-idp/gatehouse/postgres"
	"github.com/gatehouse-idp/gatehouse/saml"
	"github.com/gatehouse-idp/gatehouse/sqlite"
)

// TestSignOnTwoNodes runs two servers on one database, on SQLite (two stores on one file, as two processes) and on
// PostgreSQL. Each sign-on of node B is answered from what B keeps of the directory's configuration, and every
// change made through node A counts for node B's very next sign-on: a sign-out, a disabled user, a removed
// assignment or group membership, a disabled app, a changed Identifier, a new active certificate and a directory
// that now requires a second factor.
func TestSignOnTwoNodes(t *testing.T) {
	for _, engine := range []struct {
		name string
		open func(t *testing.T) (gatehouse.Store, gatehouse.Store)
	}{
		{"sqlite", func(t *testing.T) (gatehouse.Store, gatehouse.Store) {
			path := filepath.Join(t.TempDir(), "gatehouse.db")
			return openSQLiteAt(t, path), openSQLiteAt(t, path)
		}},
		{"postgres", func(t *testing.T) (gatehouse.Store, gatehouse.Store) {
			url := pgtest.URL(t)
			return openPostgresAt(t, url), openPostgresAt(t, url)
		}},
	} {
		t.Run(engine.name, func(t *testing.T) {
			a, b := engine.open(t)
			testSignOnTwoNodes(t, a, b)
		})
	}
}

func openSQLiteAt(t *testing.T, path string) gatehouse.Store {
	t.Helper()
	s, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func openPostgresAt(t *testing.T, url string) gatehouse.Store {
	t.Helper()
	s, err := postgres.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func testSignOnTwoNodes(t *testing.T, storeA, storeB gatehouse.Store) {
	ctx := context.Background()
	kek := make([]byte, 32)
	rand.Read(kek)
	node := func(store gatehouse.Store) *idp.Service {
		sealer, err := certs.NewSealer(kek)
		if err != nil {
			t.Fatal(err)
		}
		svc, err := idp.New(idp.Config{Store: store, Gallery: gallery.MustLoad(), Hasher: password.NewHasher(testserver.TestHashParams, 2),
			Sealer: sealer, PublicURL: "http://127.0.0.1:1", NameIDKey: kek})
		if err != nil {
			t.Fatal(err)
		}
		return svc
	}
	a, b := node(storeA), node(storeB)
	if _, _, err := a.Bootstrap(ctx, testserver.AdminUser, testserver.AdminPassword); err != nil {
		t.Fatal(err)
	}
	root, err := storeA.FindUserByName(ctx, "default", testserver.AdminUser)
	if err != nil {
		t.Fatal(err)
	}
	const dir = "default"
	u, temp, err := a.CreateUser(ctx, root, dir, idp.UserInput{UserName: "b.simon@contoso.com", FirstName: "B", LastName: "Simon"})
	if err != nil {
		t.Fatal(err)
	}
	u = withPassword(t, a, u, temp)
	app, _, err := a.AddApp(ctx, root, dir, idp.AppInput{GalleryID: "custom", Name: "Wiki"})
	if err != nil {
		t.Fatal(err)
	}
	const entityID = "https://wiki.example.test/sp"
	settings := app.SAML
	settings.EntityID, settings.ReplyURLs = entityID, []string{"https://wiki.example.test/acs"}
	if app, err = a.UpdateApp(ctx, root, dir, app.ID, idp.AppPatch{SAML: &settings}); err != nil {
		t.Fatal(err)
	}
	direct, err := a.Assign(ctx, root, dir, app.ID, gatehouse.PrincipalUser, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	token, _, err := a.CreateSession(ctx, u, false)
	if err != nil {
		t.Fatal(err)
	}
	signOn := func(svc *idp.Service, issuer, token string) (outcome, *idp.Answer) {
		t.Helper()
		ans, err := svc.SAMLRedirect(ctx, dir, redirectQuery(t, "SAMLRequest", authnRequest(issuer, ""), "", nil, ""), token)
		return outcomeOf(t, ans, err), ans
	}
	ok := assertion(saml.AuthnContextPassword)
	// want checks a sign-on on each node, B first: B has kept the configuration from its sign-ons before.
	want := func(step string, o outcome) {
		t.Helper()
		for _, n := range []struct {
			name string
			svc  *idp.Service
		}{{"B", b}, {"A", a}} {
			if got, _ := signOn(n.svc, entityID, token); got != o {
				t.Errorf("%s: node %s: %v, want %v", step, n.name, got, o)
			}
		}
	}
	want("assigned", ok)
	want("again", ok)

	// Access through a group, then the direct assignment removed on A.
	g, err := a.CreateGroup(ctx, root, dir, idp.GroupInput{Name: "Editors"})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.AddGroupMember(ctx, root, dir, g.ID, u.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Assign(ctx, root, dir, app.ID, gatehouse.PrincipalGroup, g.ID); err != nil {
		t.Fatal(err)
	}
	if err := a.Unassign(ctx, root, dir, app.ID, direct.ID); err != nil {
		t.Fatal(err)
	}
	want("assigned through a group only", ok)
	if err := a.RemoveGroupMember(ctx, root, dir, g.ID, u.ID); err != nil {
		t.Fatal(err)
	}
	want("removed from the group", refused(idp.CodeNotAssigned))
	if err := a.AddGroupMember(ctx, root, dir, g.ID, u.ID); err != nil {
		t.Fatal(err)
	}
	want("member again", ok)

	no, yes := false, true
	if _, err := a.UpdateApp(ctx, root, dir, app.ID, idp.AppPatch{Enabled: &no}); err != nil {
		t.Fatal(err)
	}
	want("app disabled", refused(idp.CodeAppDisabled))
	if _, err := a.UpdateApp(ctx, root, dir, app.ID, idp.AppPatch{Enabled: &yes}); err != nil {
		t.Fatal(err)
	}
	want("app enabled again", ok)

	moved := settings
	moved.EntityID = "https://wiki.example.test/sp2"
	if _, err := a.UpdateApp(ctx, root, dir, app.ID, idp.AppPatch{SAML: &moved}); err != nil {
		t.Fatal(err)
	}
	want("Identifier changed", refused(saml.CodeUnknownIssuer))
	if _, err := a.UpdateApp(ctx, root, dir, app.ID, idp.AppPatch{SAML: &settings}); err != nil {
		t.Fatal(err)
	}
	want("Identifier back", ok)

	// A new certificate made active on A signs B's next Response.
	next, err := a.CreateNextCertificate(ctx, root, dir, app.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.ActivateCertificate(ctx, root, dir, app.ID, next.ID); err != nil {
		t.Fatal(err)
	}
	if _, ans := signOn(b, entityID, token); ans == nil || ans.Post == nil {
		t.Errorf("after the certificate change: %+v, want a Response", ans)
	} else if got := signingCert(t, ans.Post.Response); !got.Equal(mustParseCert(t, next.DER)) {
		t.Errorf("node B signed with certificate %s, want the new active one", got.Subject)
	}

	if _, err := a.UpdateDirectory(ctx, root, dir, idp.DirectoryPatch{RequireMFA: &yes}); err != nil {
		t.Fatal(err)
	}
	want("directory requires a second factor", signIn(idp.StepEnrolMFA, false))
	if _, err := a.UpdateDirectory(ctx, root, dir, idp.DirectoryPatch{RequireMFA: &no}); err != nil {
		t.Fatal(err)
	}
	want("directory back", ok)

	// The user disabled in the store, the session left (as for a sign-on that races the change): refused at once.
	u.Disabled = true
	if err := storeA.UpdateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	want("user disabled", refused(idp.CodeUserDisabled))
	u.Disabled = false
	if err := storeA.UpdateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	want("user enabled again", ok)

	if err := a.SignOut(ctx, token); err != nil {
		t.Fatal(err)
	}
	want("signed out on A", signIn(idp.StepPassword, false))
}

// signingCert returns the certificate in the first signature of a Response.
func signingCert(t *testing.T, resp []byte) *x509.Certificate {
	t.Helper()
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(resp); err != nil {
		t.Fatal(err)
	}
	el := doc.FindElement("//X509Certificate")
	if el == nil {
		t.Fatal("the Response has no X509Certificate")
	}
	der, err := base64.StdEncoding.DecodeString(el.Text())
	if err != nil {
		t.Fatal(err)
	}
	return mustParseCert(t, der)
}

func mustParseCert(t *testing.T, der []byte) *x509.Certificate {
	t.Helper()
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// BenchmarkSAMLRedirect measures the service's share of an SP-initiated sign-on of a signed-in user on SQLite (the
// Redirect AuthnRequest decoded and checked, the sign-on state read, the Response built and signed with RSA-2048,
// the log entry and replay key committed), for an app without and with a registered SP signing certificate (the
// requests are unsigned, so the certificate need not be parsed), against one bare RSA-2048 signature; both eight at
// a time on two cores, as a server under load. cpu-ms/op is the process's CPU time per sign-on.
func BenchmarkSAMLRedirect(b *testing.B) {
	ctx := context.Background()
	w := newAuthWorld(b, func(c *idp.Config) { c.Now = nil }) // the requests' IssueInstant is the real time
	spCert := newSPKey(b, "sp.example.test").b64()
	token, _, err := w.svc.CreateSession(ctx, w.user, false)
	if err != nil {
		b.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		certs []string
	}{{"plain", nil}, {"sp-certificate", []string{spCert}}} {
		app, _, err := w.svc.AddApp(ctx, w.admin, "default", idp.AppInput{GalleryID: "custom", Name: "Wiki " + tc.name})
		if err != nil {
			b.Fatal(err)
		}
		settings := app.SAML
		settings.EntityID, settings.ReplyURLs = "https://"+tc.name+".example.test/sp", []string{"https://" + tc.name + ".example.test/acs"}
		settings.SigningCertificates = tc.certs
		if _, err := w.svc.UpdateApp(ctx, w.admin, "default", app.ID, idp.AppPatch{SAML: &settings}); err != nil {
			b.Fatal(err)
		}
		if _, err := w.svc.Assign(ctx, w.admin, "default", app.ID, gatehouse.PrincipalUser, w.user.ID); err != nil {
			b.Fatal(err)
		}
		b.Run(tc.name, func(b *testing.B) {
			queries := make([]string, b.N)
			for i := range queries {
				queries[i] = redirectQuery(b, "SAMLRequest", authnRequest(settings.EntityID, ""), "", nil, "")
			}
			var next atomic.Int64
			b.ReportAllocs()
			b.SetParallelism(4)
			defer reportCPU(b)()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if a, err := w.svc.SAMLRedirect(ctx, "default", queries[next.Add(1)-1], token); err != nil || a.Post == nil {
						b.Errorf("SAMLRedirect: %+v, %v", a, err)
						return
					}
				}
			})
		})
	}
	b.Run("one-signature", func(b *testing.B) {
		key := newSPKey(b, "reference").Key
		digest := make([]byte, 32)
		b.ReportAllocs()
		b.SetParallelism(4)
		defer reportCPU(b)()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, digest); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

// reportCPU starts counting the process's CPU time (user and system) and returns the function that reports it per
// operation as cpu-ms/op: the server's cost of a sign-on, whatever its time waiting for the disk.
func reportCPU(b *testing.B) func() {
	cpu := func() time.Duration {
		var ru syscall.Rusage
		if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
			b.Fatal(err)
		}
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	b.ResetTimer()
	start := cpu()
	return func() {
		b.StopTimer()
		b.ReportMetric(float64((cpu()-start).Microseconds())/1000/float64(b.N), "cpu-ms/op")
	}
}
