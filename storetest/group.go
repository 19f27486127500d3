package storetest

import (
	"testing"
	"time"

	"github.com/gatehouse-idp/gatehouse"
)

func testGroups(t *testing.T, open Opener) {
	s := open(t)
	must(t, s.CreateDirectory(ctx, newDirectory("d", t0)))
	must(t, s.CreateDirectory(ctx, newDirectory("e", t0)))
	sales := &gatehouse.Group{ID: "sales", DirectoryID: "d", Name: "Sales", Description: "Everyone <selling> & more",
		CreatedAt: t0, UpdatedAt: t0.Add(time.Second)}
	must(t, s.CreateGroup(ctx, sales))
	for _, g := range []*gatehouse.Group{
		newGroup("d", "wholesale", "Wholesale buyers"),
		newGroup("d", "admins", "Admins"),
		{ID: "empty", DirectoryID: "d", Name: "Zz no description", CreatedAt: t0, UpdatedAt: t0},
	} {
		must(t, s.CreateGroup(ctx, g))
	}

	t.Run("RoundTrip", func(t *testing.T) {
		got, err := s.FindGroup(ctx, "d", "sales")
		must(t, err)
		diff(t, "group", sales, got)
	})
	t.Run("Conflicts", func(t *testing.T) {
		for _, tc := range []struct{ name, id, groupName string }{
			{"SameName", "sales2", "Sales"},
			{"LowerCase", "sales3", "sales"},
			{"UpperCase", "sales4", "SALES"},
			{"SameID", "sales", "Marketing"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				wantCode(t, "CreateGroup", s.CreateGroup(ctx, newGroup("d", tc.id, tc.groupName)), gatehouse.ECONFLICT)
			})
		}
		must(t, s.CreateGroup(ctx, newGroup("e", "e-sales", "SALES")))
	})
	t.Run("FindGroups", func(t *testing.T) {
		for _, tc := range []struct {
			name, directoryID, query string
			want                     []string
		}{
			{"All", "d", "", []string{"admins", "sales", "wholesale", "empty"}},
			{"IgnoringCase", "d", "SALE", []string{"sales", "wholesale"}},
			{"Substring", "d", "buy", []string{"wholesale"}},
			{"NoMatch", "d", "marketing", nil},
			{"PercentIsLiteral", "d", "%", nil},
			{"OtherDirectory", "e", "", []string{"e-sales"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				list, err := s.FindGroups(ctx, tc.directoryID, tc.query)
				must(t, err)
				diff(t, "FindGroups", tc.want, ids(list, groupID))
			})
		}
	})
	t.Run("Update", func(t *testing.T) {
		g := &gatehouse.Group{ID: "admins", DirectoryID: "d", Name: "Administrators", Description: "",
			CreatedAt: t0, UpdatedAt: t0.Add(time.Hour)}
		must(t, s.UpdateGroup(ctx, g))
		got, err := s.FindGroup(ctx, "d", "admins")
		must(t, err)
		diff(t, "updated group", g, got)
		g.Name = "ADMINISTRATORS"
		must(t, s.UpdateGroup(ctx, g))

		taken := *g
		taken.Name = "wholesale BUYERS"
		wantCode(t, "UpdateGroup to a taken name", s.UpdateGroup(ctx, &taken), gatehouse.ECONFLICT)
		got, err = s.FindGroup(ctx, "d", "admins")
		must(t, err)
		diff(t, "group after a failed update", g, got)
	})
	t.Run("Missing", func(t *testing.T) {
		_, err := s.FindGroup(ctx, "d", "nope")
		wantCode(t, "FindGroup", err, gatehouse.ENOTFOUND)
		wantCode(t, "UpdateGroup", s.UpdateGroup(ctx, newGroup("d", "nope", "Nope")), gatehouse.ENOTFOUND)
		wantCode(t, "DeleteGroup", s.DeleteGroup(ctx, "d", "nope"), gatehouse.ENOTFOUND)
	})
	t.Run("Delete", func(t *testing.T) {
		must(t, s.DeleteGroup(ctx, "d", "wholesale"))
		_, err := s.FindGroup(ctx, "d", "wholesale")
		wantCode(t, "FindGroup after DeleteGroup", err, gatehouse.ENOTFOUND)
		wantCode(t, "DeleteGroup again", s.DeleteGroup(ctx, "d", "wholesale"), gatehouse.ENOTFOUND)
		must(t, s.CreateGroup(ctx, newGroup("d", "wholesale2", "Wholesale Buyers")))
	})
}

func testGroupMembers(t *testing.T, open Opener) {
	s := open(t)
	must(t, s.CreateDirectory(ctx, newDirectory("d", t0)))
	must(t, s.CreateDirectory(ctx, newDirectory("e", t0)))
	// IDs in the opposite order of the names, so that an order by ID shows.
	for _, u := range []*gatehouse.User{
		newUser("d", "u3", "alice@contoso.com"),
		newUser("d", "u2", "bob@contoso.com"),
		newUser("d", "u1", "carol@contoso.com"),
		newUser("e", "e-u1", "dave@contoso.com"),
	} {
		must(t, s.CreateUser(ctx, u))
	}
	for _, g := range []*gatehouse.Group{
		newGroup("d", "g3", "admins"), newGroup("d", "g2", "engineering"), newGroup("d", "g1", "sales"),
		newGroup("d", "g0", "nobody here"), newGroup("e", "e-g1", "sales"),
	} {
		must(t, s.CreateGroup(ctx, g))
	}
	for _, m := range [][2]string{{"g1", "u1"}, {"g1", "u3"}, {"g1", "u2"}, {"g2", "u1"}, {"g3", "u1"}} {
		must(t, s.AddGroupMember(ctx, "d", m[0], m[1]))
	}

	t.Run("FindGroupMembers", func(t *testing.T) {
		for _, tc := range []struct {
			name, groupID string
			want          []string
		}{
			{"OrderedByUserName", "g1", []string{"u3", "u2", "u1"}},
			{"One", "g2", []string{"u1"}},
			{"Empty", "g0", nil},
		} {
			t.Run(tc.name, func(t *testing.T) {
				list, err := s.FindGroupMembers(ctx, "d", tc.groupID)
				must(t, err)
				diff(t, "FindGroupMembers", tc.want, ids(list, userID))
			})
		}
		list, err := s.FindGroupMembers(ctx, "d", "g2")
		must(t, err)
		u, err := s.FindUser(ctx, "d", "u1")
		must(t, err)
		diff(t, "members", []*gatehouse.User{u}, list)
	})
	t.Run("FindUserGroups", func(t *testing.T) {
		list, err := s.FindUserGroups(ctx, "d", "u1")
		must(t, err)
		diff(t, "FindUserGroups", []string{"g3", "g2", "g1"}, ids(list, groupID))
		list, err = s.FindUserGroups(ctx, "d", "u2")
		must(t, err)
		g, err := s.FindGroup(ctx, "d", "g1")
		must(t, err)
		diff(t, "FindUserGroups", []*gatehouse.Group{g}, list)
		must(t, s.CreateUser(ctx, newUser("d", "loner", "loner@contoso.com")))
		list, err = s.FindUserGroups(ctx, "d", "loner")
		must(t, err)
		diff(t, "FindUserGroups of a user in no group", []string(nil), ids(list, groupID))
	})
	t.Run("Errors", func(t *testing.T) {
		for _, tc := range []struct {
			name string
			err  func() error
			code string
		}{
			{"AddTwice", func() error { return s.AddGroupMember(ctx, "d", "g1", "u1") }, gatehouse.ECONFLICT},
			{"AddToMissingGroup", func() error { return s.AddGroupMember(ctx, "d", "nope", "u1") }, gatehouse.ENOTFOUND},
			{"AddMissingUser", func() error { return s.AddGroupMember(ctx, "d", "g1", "nope") }, gatehouse.ENOTFOUND},
			{"AddUserOfAnotherDirectory", func() error { return s.AddGroupMember(ctx, "d", "g1", "e-u1") }, gatehouse.ENOTFOUND},
			{"AddToGroupOfAnotherDirectory", func() error { return s.AddGroupMember(ctx, "d", "e-g1", "u1") }, gatehouse.ENOTFOUND},
			{"AddUnderAnotherDirectory", func() error { return s.AddGroupMember(ctx, "e", "g1", "u2") }, gatehouse.ENOTFOUND},
			{"RemoveNonMember", func() error { return s.RemoveGroupMember(ctx, "d", "g2", "u2") }, gatehouse.ENOTFOUND},
			{"RemoveFromMissingGroup", func() error { return s.RemoveGroupMember(ctx, "d", "nope", "u1") }, gatehouse.ENOTFOUND},
			{"RemoveUnderAnotherDirectory", func() error { return s.RemoveGroupMember(ctx, "e", "g1", "u1") }, gatehouse.ENOTFOUND},
			{"MembersOfMissingGroup", func() error { _, err := s.FindGroupMembers(ctx, "d", "nope"); return err }, gatehouse.ENOTFOUND},
			{"MembersOfAnotherDirectory", func() error { _, err := s.FindGroupMembers(ctx, "e", "g1"); return err }, gatehouse.ENOTFOUND},
			{"GroupsOfMissingUser", func() error { _, err := s.FindUserGroups(ctx, "d", "nope"); return err }, gatehouse.ENOTFOUND},
			{"GroupsOfAnotherDirectory", func() error { _, err := s.FindUserGroups(ctx, "e", "u1"); return err }, gatehouse.ENOTFOUND},
		} {
			t.Run(tc.name, func(t *testing.T) { wantCode(t, tc.name, tc.err(), tc.code) })
		}
		list, err := s.FindGroupMembers(ctx, "d", "g1")
		must(t, err)
		diff(t, "members after the errors", []string{"u3", "u2", "u1"}, ids(list, userID))
	})
	t.Run("Remove", func(t *testing.T) {
		must(t, s.RemoveGroupMember(ctx, "d", "g1", "u2"))
		list, err := s.FindGroupMembers(ctx, "d", "g1")
		must(t, err)
		diff(t, "members after RemoveGroupMember", []string{"u3", "u1"}, ids(list, userID))
		wantCode(t, "RemoveGroupMember again", s.RemoveGroupMember(ctx, "d", "g1", "u2"), gatehouse.ENOTFOUND)
		must(t, s.AddGroupMember(ctx, "d", "g1", "u2"))
	})
}
