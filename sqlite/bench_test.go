package sqlite_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/gatehouse-idp/gatehouse"
)

// benchStore opens a store with a directory, a user with a session, and an app.
func benchStore(b *testing.B) gatehouse.Store {
	b.Helper()
	ctx := context.Background()
	s := MustOpen(b)
	for _, err := range []error{
		s.CreateDirectory(ctx, &gatehouse.Directory{ID: "d", Name: "D", CreatedAt: t0, UpdatedAt: t0}),
		s.CreateUser(ctx, &gatehouse.User{ID: "u", DirectoryID: "d", UserName: "b.simon@contoso.com",
			DisplayName: "B. Simon", Role: gatehouse.RoleUser, CreatedAt: t0, UpdatedAt: t0}),
		s.CreateSession(ctx, &gatehouse.Session{ID: "s", DirectoryID: "d", UserID: "u", CreatedAt: t0,
			AuthnInstant: t0, LastSeenAt: t0, ExpiresAt: t0.Add(8 * time.Hour)}),
		s.CreateApp(ctx, benchApp(), nil),
	} {
		if err != nil {
			b.Fatal(err)
		}
	}
	return s
}

func benchApp() *gatehouse.App {
	saml := gatehouse.DefaultSAMLSettings()
	saml.EntityID = "https://mixpanel.com/saml"
	saml.ReplyURLs = []string{"https://mixpanel.com/saml/acs"}
	return &gatehouse.App{ID: "a", DirectoryID: "d", Name: "Mixpanel", SAML: saml, CreatedAt: t0, UpdatedAt: t0}
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

func BenchmarkUseOnce(b *testing.B) {
	s := benchStore(b)
	ctx := context.Background()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		if err := s.UseOnce(ctx, "_id-"+strconv.Itoa(i), t0, t0.Add(5*time.Minute)); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCreateSignInEvent(b *testing.B) {
	s := benchStore(b)
	ctx := context.Background()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		if err := s.CreateSignInEvent(ctx, &gatehouse.SignInEvent{ID: "e" + strconv.Itoa(i), DirectoryID: "d",
			Time: t0, UserID: "u", UserName: "b.simon@contoso.com", AppID: "a", AppName: "Mixpanel",
			Result: gatehouse.ResultSuccess, CorrelationID: "c", ClientAddr: "192.0.2.1"}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFindUserByName(b *testing.B) {
	s := benchStore(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.FindUserByName(ctx, "d", "B.Simon@contoso.com"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkIsAssigned(b *testing.B) {
	s := benchStore(b)
	ctx := context.Background()
	for _, err := range []error{
		s.CreateGroup(ctx, &gatehouse.Group{ID: "g", DirectoryID: "d", Name: "Sales"}),
		s.AddGroupMember(ctx, "d", "g", "u"),
		s.CreateAssignment(ctx, &gatehouse.Assignment{ID: "x", DirectoryID: "d", AppID: "a",
			PrincipalType: gatehouse.PrincipalGroup, PrincipalID: "g"}),
	} {
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		if ok, err := s.IsAssigned(ctx, "d", "a", "u"); err != nil || !ok {
			b.Fatal(ok, err)
		}
	}
}
