package storetest

import (
	"testing"
	"time"

	"github.com/gatehouse-idp/gatehouse"
)

func testDirectories(t *testing.T, open Opener) {
	s := open(t)
	// Times given in another zone are the same instants when they come back.
	cet := time.FixedZone("CET", 3600)
	d := &gatehouse.Directory{ID: "contoso", Name: "Contoso Ltd.", Domain: "contoso.onmicrosoft.com",
		RequireMFA: true, Logo: []byte("<svg xmlns=\"http://www.w3.org/2000/svg\"/>\x00\xff"), LogoType: "image/svg+xml",
		CreatedAt: t0.In(cet), UpdatedAt: t0.Add(time.Minute).In(cet)}
	must(t, s.CreateDirectory(ctx, d))

	t.Run("RoundTrip", func(t *testing.T) {
		got, err := s.FindDirectory(ctx, "contoso")
		must(t, err)
		diff(t, "directory", d, got)
	})
	t.Run("IDTaken", func(t *testing.T) {
		err := s.CreateDirectory(ctx, newDirectory("contoso", t0))
		wantCode(t, "CreateDirectory with a taken ID", err, gatehouse.ECONFLICT)
		got, err := s.FindDirectory(ctx, "contoso")
		must(t, err)
		diff(t, "directory after the conflict", d, got)
	})
	t.Run("Missing", func(t *testing.T) {
		_, err := s.FindDirectory(ctx, "nope")
		wantCode(t, "FindDirectory", err, gatehouse.ENOTFOUND)
		wantCode(t, "UpdateDirectory", s.UpdateDirectory(ctx, newDirectory("nope", t0)), gatehouse.ENOTFOUND)
		wantCode(t, "DeleteDirectory", s.DeleteDirectory(ctx, "nope"), gatehouse.ENOTFOUND)
	})
	t.Run("OrderedByCreation", func(t *testing.T) {
		// IDs in the opposite order of creation times, so an order by ID shows.
		must(t, s.CreateDirectory(ctx, newDirectory("b-second", t0.Add(2*time.Hour))))
		must(t, s.CreateDirectory(ctx, newDirectory("a-third", t0.Add(3*time.Hour))))
		must(t, s.CreateDirectory(ctx, newDirectory("z-first", t0.Add(-time.Hour))))
		list, err := s.FindDirectories(ctx)
		must(t, err)
		got := ids(list, func(d *gatehouse.Directory) string { return d.ID })
		diff(t, "FindDirectories", []string{"z-first", "contoso", "b-second", "a-third"}, got)
	})
	t.Run("Update", func(t *testing.T) {
		u := *d
		u.Name, u.Domain, u.RequireMFA, u.UpdatedAt = "Contoso Renamed", "contoso.example.com", false, t0.Add(time.Hour)
		u.Logo, u.LogoType = []byte{0x89, 'P', 'N', 'G'}, "image/png"
		must(t, s.UpdateDirectory(ctx, &u))
		got, err := s.FindDirectory(ctx, "contoso")
		must(t, err)
		diff(t, "updated directory", &u, got)
		u.Logo, u.LogoType = nil, ""
		must(t, s.UpdateDirectory(ctx, &u))
		got, err = s.FindDirectory(ctx, "contoso")
		must(t, err)
		diff(t, "directory without its logo", &u, got)
		list, err := s.FindDirectories(ctx)
		must(t, err)
		for _, d := range list {
			if d.ID == "contoso" {
				diff(t, "directory in FindDirectories", &u, d)
			}
		}
	})
	t.Run("Delete", func(t *testing.T) {
		must(t, s.DeleteDirectory(ctx, "b-second"))
		_, err := s.FindDirectory(ctx, "b-second")
		wantCode(t, "FindDirectory after DeleteDirectory", err, gatehouse.ENOTFOUND)
		wantCode(t, "DeleteDirectory again", s.DeleteDirectory(ctx, "b-second"), gatehouse.ENOTFOUND)
		list, err := s.FindDirectories(ctx)
		must(t, err)
		diff(t, "FindDirectories", []string{"z-first", "contoso", "a-third"},
			ids(list, func(d *gatehouse.Directory) string { return d.ID }))
	})
}
