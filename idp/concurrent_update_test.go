package idp_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/certs"
	"github.com/gatehouse-idp/gatehouse/gallery"
	"github.com/gatehouse-idp/gatehouse/idp"
	"github.com/gatehouse-idp/gatehouse/internal/pgtest"
	"github.com/gatehouse-idp/gatehouse/internal/testserver"
	"github.com/gatehouse-idp/gatehouse/password"
	"github.com/gatehouse-idp/gatehouse/postgres"
	"github.com/gatehouse-idp/gatehouse/sqlite"
)

// TestConcurrentAppChanges has five admins change five different things of one app at the same time, many times
// over: the relay state, the sign-on URL, the notes, a claim each time and a reply URL each time. Every change must
// stand: each admin's last value, and every claim and reply URL added. On PostgreSQL the admins use two services on
// one database, as two nodes behind a load balancer do.
func TestConcurrentAppChanges(t *testing.T) {
	t.Run("SQLite", func(t *testing.T) {
		store, err := sqlite.Open(filepath.Join(t.TempDir(), "gatehouse.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { store.Close() })
		svc := raceService(t, store)
		testConcurrentAppChanges(t, store, svc, svc)
	})
	t.Run("PostgreSQL", func(t *testing.T) {
		url := pgtest.URL(t)
		var nodes []*idp.Service
		var first gatehouse.Store
		for range 2 {
			store, err := postgres.Open(context.Background(), url)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { store.Close() })
			nodes = append(nodes, raceService(t, store))
			if first == nil {
				first = store
			}
		}
		testConcurrentAppChanges(t, first, nodes[0], nodes[1])
	})
}

// raceService returns a bootstrapped service on store.
func raceService(t *testing.T, store gatehouse.Store) *idp.Service {
	t.Helper()
	kek := make([]byte, 32)
	if _, err := rand.Read(kek); err != nil {
		t.Fatal(err)
	}
	sealer, err := certs.NewSealer(kek)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := idp.New(idp.Config{Store: store, Gallery: gallery.MustLoad(), Hasher: password.NewHasher(testserver.TestHashParams, 2),
		Sealer: sealer, PublicURL: "http://127.0.0.1:8080", NameIDKey: kek})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := svc.Bootstrap(context.Background(), testserver.AdminUser, testserver.AdminPassword); err != nil {
		t.Fatal(err)
	}
	return svc
}

func testConcurrentAppChanges(t *testing.T, store gatehouse.Store, node1, node2 *idp.Service) {
	ctx := context.Background()
	root, err := store.FindUserByName(ctx, gatehouse.DefaultDirectoryID, testserver.AdminUser)
	if err != nil {
		t.Fatal(err)
	}
	a, _, err := node1.AddApp(ctx, root, gatehouse.DefaultDirectoryID, idp.AppInput{GalleryID: "custom", Name: "Race"})
	if err != nil {
		t.Fatal(err)
	}
	const rounds = 25
	saml := func(svc *idp.Service, p idp.SAMLPatch) error {
		_, err := svc.UpdateSAML(ctx, root, gatehouse.DefaultDirectoryID, a.ID, p)
		return err
	}
	admins := []struct {
		node   *idp.Service
		change func(svc *idp.Service, i int) error
	}{
		{node1, func(svc *idp.Service, i int) error {
			rs := fmt.Sprintf("/a/%d", i)
			return saml(svc, idp.SAMLPatch{RelayState: &rs})
		}},
		{node2, func(svc *idp.Service, i int) error {
			u := fmt.Sprintf("https://b.example/%d", i)
			return saml(svc, idp.SAMLPatch{SignOnURL: &u})
		}},
		{node1, func(svc *idp.Service, i int) error {
			notes := fmt.Sprintf("c-%d", i)
			_, err := svc.UpdateApp(ctx, root, gatehouse.DefaultDirectoryID, a.ID, idp.AppPatch{Notes: &notes})
			return err
		}},
		{node2, func(svc *idp.Service, i int) error {
			c := gatehouse.Claim{Name: fmt.Sprintf("d%d", i), Source: gatehouse.AttrMail}
			return saml(svc, idp.SAMLPatch{SetClaims: []idp.ClaimSet{{Claim: c, New: true}}})
		}},
		{node1, func(svc *idp.Service, i int) error {
			return saml(svc, idp.SAMLPatch{AddReplyURLs: []string{fmt.Sprintf("https://e.example/%d/acs", i)}})
		}},
	}
	var wg sync.WaitGroup
	start := make(chan struct{})
	errs := make([]error, len(admins))
	for n, admin := range admins {
		wg.Go(func() {
			<-start
			for i := range rounds {
				if err := admin.change(admin.node, i); err != nil {
					errs[n] = fmt.Errorf("round %d: %w", i, err)
					return
				}
			}
		})
	}
	close(start)
	wg.Wait()
	for n, err := range errs {
		if err != nil {
			t.Fatalf("admin %d: %v", n, err)
		}
	}
	got, err := node2.FindApp(ctx, root, gatehouse.DefaultDirectoryID, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	last := rounds - 1
	if want := fmt.Sprintf("/a/%d", last); got.SAML.RelayState != want {
		t.Errorf("relay state %q, want the first admin's last %q", got.SAML.RelayState, want)
	}
	if want := fmt.Sprintf("https://b.example/%d", last); got.SAML.SignOnURL != want {
		t.Errorf("sign-on URL %q, want the second admin's last %q", got.SAML.SignOnURL, want)
	}
	if want := fmt.Sprintf("c-%d", last); got.Notes != want {
		t.Errorf("notes %q, want the third admin's last %q", got.Notes, want)
	}
	for i := range rounds {
		name, u := fmt.Sprintf("d%d", i), fmt.Sprintf("https://e.example/%d/acs", i)
		if !slices.ContainsFunc(got.SAML.Claims, func(c gatehouse.Claim) bool { return c.Name == name }) {
			t.Errorf("claim %s was lost; claims: %v", name, got.SAML.Claims)
		}
		if !slices.Contains(got.SAML.ReplyURLs, u) {
			t.Errorf("reply URL %s was lost; reply URLs: %v", u, got.SAML.ReplyURLs)
		}
	}
	if len(got.SAML.Claims) != len(gatehouse.DefaultClaims())+rounds {
		t.Errorf("%d claims, want the %d default ones and %d added", len(got.SAML.Claims), len(gatehouse.DefaultClaims()), rounds)
	}
}
