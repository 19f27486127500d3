package idp_test

import (
	"context"
	"crypto/rand"
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
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// TestBootstrapRace starts two nodes at once on one empty PostgreSQL database, as a fleet behind a load balancer
// does: both must start, and exactly one creates the admin.
func TestBootstrapRace(t *testing.T) {
	ctx := context.Background()
	kek := make([]byte, 32)
	if _, err := rand.Read(kek); err != nil {
		t.Fatal(err)
	}
	sealer, err := certs.NewSealer(kek)
	if err != nil {
		t.Fatal(err)
	}
	for round := range 3 {
		url := pgtest.URL(t)
		var services []*idp.Service
		var stores []gatehouse.Store
		for range 2 {
			store, err := postgres.Open(ctx, url)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { store.Close() })
			svc, err := idp.New(idp.Config{Store: store, Gallery: gallery.MustLoad(), Hasher: password.NewHasher(testserver.TestHashParams, 2),
				Sealer: sealer, PublicURL: "http://127.0.0.1:8080", NameIDKey: kek})
			if err != nil {
				t.Fatal(err)
			}
			services, stores = append(services, svc), append(stores, store)
		}
		var wg sync.WaitGroup
		created := make([]bool, len(services))
		errs := make([]error, len(services))
		for i, svc := range services {
			wg.Go(func() {
				created[i], _, errs[i] = svc.Bootstrap(ctx, "admin@contoso.com", "correct horse battery staple")
			})
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("round %d: node %d: %v", round, i, err)
			}
		}
		if created[0] == created[1] {
			t.Errorf("round %d: created = %v, want exactly one node to create the admin", round, created)
		}
		if _, err := stores[0].FindUserByName(ctx, gatehouse.DefaultDirectoryID, "admin@contoso.com"); err != nil {
			t.Errorf("round %d: the admin: %v", round, err)
		}
	}
}
