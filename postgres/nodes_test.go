package postgres_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/internal/pgtest"
	"github.com/gatehouse-idp/gatehouse/postgres"
)

// nodes opens n stores on one fresh database, as n Gatehouse nodes would, with a directory, a user and an app.
func nodes(t *testing.T, n int) []*postgres.Store {
	t.Helper()
	url := pgtest.URL(t)
	var stores []*postgres.Store
	for range n {
		stores = append(stores, openURL(t, url))
	}
	ctx := context.Background()
	s := stores[0]
	must(t, s.CreateDirectory(ctx, &gatehouse.Directory{ID: "d", Name: "D", CreatedAt: t0, UpdatedAt: t0}))
	must(t, s.CreateUser(ctx, &gatehouse.User{ID: "u", DirectoryID: "d", UserName: "b.simon@contoso.com",
		DisplayName: "B. Simon", Role: gatehouse.RoleUser, CreatedAt: t0, UpdatedAt: t0}))
	must(t, s.CreateApp(ctx, &gatehouse.App{ID: "a", DirectoryID: "d", Name: "Mixpanel",
		SAML: gatehouse.DefaultSAMLSettings(), CreatedAt: t0, UpdatedAt: t0}, nil))
	return stores
}

func must(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
}

// race runs fn(i) for i in [0, n) at once, each on node i%len(stores), and returns the error codes.
func race(stores []*postgres.Store, n int, fn func(s *postgres.Store, i int) error) map[string]int {
	var mu sync.Mutex
	codes := map[string]int{}
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			code := gatehouse.ErrorCode(fn(stores[i%len(stores)], i))
			mu.Lock()
			codes[code]++
			mu.Unlock()
		}()
	}
	close(start)
	wg.Wait()
	return codes
}

// TestUseOnceAcrossNodes replays one ID on several nodes at once: exactly one use succeeds.
func TestUseOnceAcrossNodes(t *testing.T) {
	stores := nodes(t, 3)
	ctx := context.Background()
	for round := range 5 {
		key := fmt.Sprintf("request-%d", round)
		codes := race(stores, 12, func(s *postgres.Store, i int) error {
			return s.UseOnce(ctx, key, t0, t0.Add(5*time.Minute))
		})
		if codes[""] != 1 || codes[gatehouse.ECONFLICT] != 11 {
			t.Errorf("round %d: outcomes %v, want one success and 11 conflicts", round, codes)
		}
	}
	// After it expires, the key is accepted once more, once.
	codes := race(stores, 12, func(s *postgres.Store, i int) error {
		return s.UseOnce(ctx, "request-0", t0.Add(5*time.Minute), t0.Add(10*time.Minute))
	})
	if codes[""] != 1 || codes[gatehouse.ECONFLICT] != 11 {
		t.Errorf("after expiry: outcomes %v, want one success and 11 conflicts", codes)
	}
}

// TestIncrementCounterAcrossNodes increments one counter from several nodes at once: no increment is lost.
func TestIncrementCounterAcrossNodes(t *testing.T) {
	stores := nodes(t, 3)
	ctx := context.Background()
	var mu sync.Mutex
	seen := map[int]bool{}
	codes := race(stores, 30, func(s *postgres.Store, i int) error {
		n, err := s.IncrementCounter(ctx, "signin:b.simon@contoso.com", t0, time.Hour)
		mu.Lock()
		seen[n] = true
		mu.Unlock()
		return err
	})
	if codes[""] != 30 {
		t.Fatalf("outcomes %v, want 30 successes", codes)
	}
	for n := 1; n <= 30; n++ {
		if !seen[n] {
			t.Errorf("no increment returned %d; returned %v", n, seen)
		}
	}
}

// TestTakeSignInRequestAcrossNodes takes one sign-in request from several nodes at once: exactly one gets it.
func TestTakeSignInRequestAcrossNodes(t *testing.T) {
	stores := nodes(t, 3)
	ctx := context.Background()
	must(t, stores[0].CreateSignInRequest(ctx, &gatehouse.SignInRequest{ID: "r", DirectoryID: "d", AppID: "a",
		ACSURL: "https://sp.example.com/acs", CreatedAt: t0, ExpiresAt: t0.Add(10 * time.Minute)}))
	codes := race(stores, 12, func(s *postgres.Store, i int) error {
		_, err := s.TakeSignInRequest(ctx, "d", "r", t0)
		return err
	})
	if codes[""] != 1 || codes[gatehouse.ENOTFOUND] != 11 {
		t.Errorf("outcomes %v, want one success and 11 not found", codes)
	}
}

// TestActivateCertificateAcrossNodes activates different certificates of one app from several nodes at once:
// every activation succeeds and one certificate is active at the end.
func TestActivateCertificateAcrossNodes(t *testing.T) {
	stores := nodes(t, 3)
	ctx := context.Background()
	for i := range 6 {
		must(t, stores[0].CreateCertificate(ctx, &gatehouse.Certificate{ID: fmt.Sprintf("c%d", i), DirectoryID: "d",
			AppID: "a", DER: []byte{1}, NotBefore: t0, NotAfter: t0.AddDate(3, 0, 0), Active: true,
			CreatedAt: t0.Add(time.Duration(i) * time.Second)}))
	}
	codes := race(stores, 12, func(s *postgres.Store, i int) error {
		if i%2 == 0 {
			return s.ActivateCertificate(ctx, "d", fmt.Sprintf("c%d", i/2), time.Now())
		}
		return s.CreateCertificate(ctx, &gatehouse.Certificate{ID: fmt.Sprintf("n%d", i), DirectoryID: "d",
			AppID: "a", DER: []byte{1}, NotBefore: t0, NotAfter: t0.AddDate(3, 0, 0), Active: true, CreatedAt: t0})
	})
	if codes[""] != 12 {
		t.Errorf("outcomes %v, want 12 successes", codes)
	}
	certs, err := stores[0].FindCertificates(ctx, "d", "a")
	must(t, err)
	active := 0
	for _, c := range certs {
		if c.Active {
			active++
		}
	}
	if active != 1 {
		t.Errorf("%d active certificates, want 1", active)
	}
}
