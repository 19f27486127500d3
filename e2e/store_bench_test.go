package e2e

import (
	"context"
	"crypto/rand"
	"encoding/xml"
	"net/url"
	"path/filepath"
	"sync/atomic"
	"testing"

	crewjam "github.com/crewjam/saml"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/certs"
	"github.com/gatehouse-idp/gatehouse/gallery"
	"github.com/gatehouse-idp/gatehouse/idp"
	"github.com/gatehouse-idp/gatehouse/internal/pgtest"
	"github.com/gatehouse-idp/gatehouse/password"
	"github.com/gatehouse-idp/gatehouse/postgres"
	"github.com/gatehouse-idp/gatehouse/sqlite"
)

// BenchmarkSSOStore measures single sign-on throughput on each store: a signed-in user's complete SP-initiated
// sign-in through idp.Service's SAML endpoint (the AuthnRequest decoded, checked and recorded in the replay cache,
// the session, app, assignment and certificate read, the Response signed with RSA-2048 and the sign-in logged),
// four at a time per CPU, answered at once as for a browser with a session (signed-in) or parked as a pending
// sign-in first and continued with the session (parked). The AuthnRequests are made before the timer starts.
func BenchmarkSSOStore(b *testing.B) {
	for _, tc := range []struct {
		name string
		open func(b *testing.B) gatehouse.Store
	}{
		{"sqlite", func(b *testing.B) gatehouse.Store {
			s, err := sqlite.Open(filepath.Join(b.TempDir(), "gatehouse.db"))
			if err != nil {
				b.Fatal(err)
			}
			return s
		}},
		{"postgres", func(b *testing.B) gatehouse.Store {
			s, err := postgres.Open(context.Background(), pgtest.URL(b))
			if err != nil {
				b.Fatal(err)
			}
			return s
		}},
	} {
		// signed-in: the path of a user with a session (the request is answered at once, one write: the replay key
		// with the log entry); parked: the request waits while the user signs in (three writes: the replay key with
		// the pending sign-in, the pending sign-in taken, the log entry).
		for _, mode := range []string{"signed-in", "parked"} {
			b.Run(tc.name+"/"+mode, func(b *testing.B) {
				store := tc.open(b)
				defer store.Close()
				benchmarkSSO(b, store, mode == "parked")
			})
		}
	}
}

func benchmarkSSO(b *testing.B, store gatehouse.Store, parked bool) {
	ctx := context.Background()
	kek := make([]byte, 32)
	rand.Read(kek)
	sealer, err := certs.NewSealer(kek)
	if err != nil {
		b.Fatal(err)
	}
	svc, err := idp.New(idp.Config{
		Store: store, Gallery: gallery.MustLoad(), Sealer: sealer, PublicURL: "http://127.0.0.1:8080", NameIDKey: kek,
		Hasher: password.NewHasher(password.Params{Time: 1, MemoryKiB: 1024, Threads: 1, KeyLen: 32, SaltLen: 16}, 2),
	})
	must := func(err error) {
		b.Helper()
		if err != nil {
			b.Fatal(err)
		}
	}
	must(err)
	_, _, err = svc.Bootstrap(ctx, adminUser, adminPassword)
	must(err)
	dir := gatehouse.DefaultDirectoryID
	admin, err := store.FindUserByName(ctx, dir, adminUser)
	must(err)
	user, tempPW, err := svc.CreateUser(ctx, admin, dir, idp.UserInput{UserName: "b.simon@contoso.com", FirstName: "B",
		LastName: "Simon", Mail: "b.simon@contoso.com"})
	must(err)
	must(svc.ChangePassword(ctx, user, tempPW, "Blue-Ocean-Lantern-42"))
	user, err = store.FindUser(ctx, dir, user.ID)
	must(err)
	app, _, err := svc.AddApp(ctx, admin, dir, idp.AppInput{GalleryID: "custom", Name: "Analytics"})
	must(err)
	settings := app.SAML
	settings.EntityID, settings.ReplyURLs = spEntityID, []string{spACS}
	_, err = svc.UpdateApp(ctx, admin, dir, app.ID, idp.AppPatch{SAML: &settings})
	must(err)
	_, err = svc.Assign(ctx, admin, dir, app.ID, gatehouse.PrincipalUser, user.ID)
	must(err)
	token, _, err := svc.CreateSession(ctx, user, false)
	must(err)

	md, err := svc.DirectoryMetadata(ctx, dir)
	must(err)
	var idpMD crewjam.EntityDescriptor
	must(xml.Unmarshal(md, &idpMD))
	mdURL, _ := url.Parse(spEntityID)
	acsURL, _ := url.Parse(spACS)
	sp := &crewjam.ServiceProvider{EntityID: spEntityID, MetadataURL: *mdURL, AcsURL: *acsURL, IDPMetadata: &idpMD,
		AuthnNameIDFormat: crewjam.EmailAddressNameIDFormat}
	queries := make([]string, b.N)
	for i := range queries {
		u, err := sp.MakeRedirectAuthenticationRequest("")
		must(err)
		queries[i] = u.RawQuery
	}

	var next atomic.Int64
	b.ReportAllocs()
	b.SetParallelism(4)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			q := queries[next.Add(1)-1]
			if !parked {
				if a, err := svc.SAMLRedirect(ctx, dir, q, token); err != nil || a.Post == nil {
					b.Errorf("SAMLRedirect signed in: %+v, %v", a, err)
					return
				}
				continue
			}
			// Without the session cookie the request is parked and the browser sent to sign in; it comes back
			// signed in.
			a, err := svc.SAMLRedirect(ctx, dir, q, "")
			if err != nil || a.SignIn == nil {
				b.Errorf("SAMLRedirect: %+v, %v (want the sign-in page)", a, err)
				return
			}
			if a, err = svc.ContinueSignOn(ctx, dir, a.SignIn.PendingID, token); err != nil || a.Post == nil {
				b.Errorf("ContinueSignOn: %+v, %v", a, err)
				return
			}
		}
	})
}
