package postgres_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/gatehouse-idp/gatehouse"
)

// benchStore opens a store with a directory, a user with a session and an app, on a fresh database.
func benchStore(b *testing.B) gatehouse.Store {
	b.Helper()
	ctx := context.Background()
	s := open(b)
	must(b, s.CreateDirectory(ctx, &gatehouse.Directory{ID: "d", Name: "D", CreatedAt: t0, UpdatedAt: t0}))
	must(b, s.CreateUser(ctx, &gatehouse.User{ID: "u", DirectoryID: "d", UserName: "b.simon@contoso.com",
		DisplayName: "B. Simon", Role: gatehouse.RoleUser, CreatedAt: t0, UpdatedAt: t0}))
	must(b, s.CreateSession(ctx, &gatehouse.Session{ID: "s", DirectoryID: "d", UserID: "u", CreatedAt: t0,
		AuthnInstant: t0, LastSeenAt: t0, ExpiresAt: t0.Add(8 * time.Hour)}))
	saml := gatehouse.DefaultSAMLSettings()
	saml.EntityID = "https://mixpanel.com/saml"
	saml.ReplyURLs = []string{"https://mixpanel.com/saml/acs"}
	must(b, s.CreateApp(ctx, &gatehouse.App{ID: "a", DirectoryID: "d", Name: "Mixpanel", SAML: saml,
		CreatedAt: t0, UpdatedAt: t0}, nil))
	return s
}

func BenchmarkFindSession(b *testing.B) {
	s := benchStore(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.FindSession(ctx, "s", t0); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkUseOnce(b *testing.B) {
	s := benchStore(b)
	ctx := context.Background()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		if err := s.UseOnce(ctx, "id-"+strconv.Itoa(i), t0, t0.Add(5*time.Minute)); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFindAppByEntityID(b *testing.B) {
	s := benchStore(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.FindAppByEntityID(ctx, "d", "https://mixpanel.com/saml"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFindSessionParallel looks up a session from as many goroutines as GOMAXPROCS, on the pool's connections.
func BenchmarkFindSessionParallel(b *testing.B) {
	s := benchStore(b)
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := s.FindSession(ctx, "s", t0); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkInTx writes three audit events in one transaction, each under its savepoint.
func BenchmarkInTx(b *testing.B) {
	s := benchStore(b)
	ctx := context.Background()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		err := s.InTx(ctx, func(tx gatehouse.Store) error {
			for range 3 {
				i++
				e := &gatehouse.AuditEvent{ID: strconv.Itoa(i), DirectoryID: "d", Time: t0, Action: "user.update"}
				if err := tx.CreateAuditEvent(ctx, e); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}
