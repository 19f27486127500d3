package storetest

import (
	"testing"
	"time"

	"github.com/gatehouse-idp/gatehouse"
)

// assignmentWorld creates directories d and e; in d the users alice, bob and carol, the group sales with alice, the
// empty group nobody, and the apps Asana, Box, Mixpanel and Zoom; in e a user, a group and an app.
func assignmentWorld(t *testing.T, s gatehouse.Store) {
	t.Helper()
	must(t, s.CreateDirectory(ctx, newDirectory("d", t0)))
	must(t, s.CreateDirectory(ctx, newDirectory("e", t0)))
	for _, u := range []*gatehouse.User{
		newUser("d", "alice", "alice@contoso.com"), newUser("d", "bob", "bob@contoso.com"),
		newUser("d", "carol", "carol@contoso.com"), newUser("e", "e-dave", "dave@fabrikam.com"),
	} {
		must(t, s.CreateUser(ctx, u))
	}
	for _, g := range []*gatehouse.Group{
		newGroup("d", "sales", "Sales"), newGroup("d", "nobody", "Nobody"), newGroup("e", "e-sales", "Sales"),
	} {
		must(t, s.CreateGroup(ctx, g))
	}
	must(t, s.AddGroupMember(ctx, "d", "sales", "alice"))
	must(t, s.AddGroupMember(ctx, "e", "e-sales", "e-dave"))
	for _, a := range []*gatehouse.App{
		newApp("d", "zoom", "Zoom", ""), newApp("d", "asana", "Asana", ""), newApp("d", "mixpanel", "Mixpanel", ""),
		newApp("d", "box", "Box", ""), newApp("e", "e-zoom", "Zoom", ""),
	} {
		must(t, s.CreateApp(ctx, a, nil))
	}
}

// assign returns an assignment of the principal to the app, created at t0 plus the given seconds.
func assign(directoryID, id, appID, principalType, principalID string, seconds int) *gatehouse.Assignment {
	return &gatehouse.Assignment{ID: id, DirectoryID: directoryID, AppID: appID, PrincipalType: principalType,
		PrincipalID: principalID, CreatedAt: t0.Add(time.Duration(seconds) * time.Second)}
}

func testAssignments(t *testing.T, open Opener) {
	s := open(t)
	assignmentWorld(t, s)
	// IDs in the opposite order of creation, so that an order by ID shows.
	zoomToAlice := assign("d", "x3", "zoom", gatehouse.PrincipalUser, "alice", 1)
	zoomToSales := assign("d", "x2", "zoom", gatehouse.PrincipalGroup, "sales", 2)
	zoomToBob := assign("d", "x1", "zoom", gatehouse.PrincipalUser, "bob", 3)
	for _, a := range []*gatehouse.Assignment{zoomToAlice, zoomToSales, zoomToBob} {
		must(t, s.CreateAssignment(ctx, a))
	}

	t.Run("OldestFirst", func(t *testing.T) {
		list, err := s.FindAssignments(ctx, "d", "zoom")
		must(t, err)
		diff(t, "FindAssignments", []*gatehouse.Assignment{zoomToAlice, zoomToSales, zoomToBob}, list)
	})
	t.Run("AppWithout", func(t *testing.T) {
		list, err := s.FindAssignments(ctx, "d", "asana")
		must(t, err)
		diff(t, "FindAssignments", []string(nil), ids(list, assignmentID))
	})
	t.Run("Errors", func(t *testing.T) {
		for _, tc := range []struct {
			name string
			a    *gatehouse.Assignment
			code string
		}{
			{"UserTwice", assign("d", "y1", "zoom", gatehouse.PrincipalUser, "alice", 9), gatehouse.ECONFLICT},
			{"GroupTwice", assign("d", "y2", "zoom", gatehouse.PrincipalGroup, "sales", 9), gatehouse.ECONFLICT},
			{"IDTaken", assign("d", "x1", "asana", gatehouse.PrincipalUser, "carol", 9), gatehouse.ECONFLICT},
			{"MissingApp", assign("d", "y3", "nope", gatehouse.PrincipalUser, "alice", 9), gatehouse.ENOTFOUND},
			{"MissingUser", assign("d", "y4", "asana", gatehouse.PrincipalUser, "nope", 9), gatehouse.ENOTFOUND},
			{"MissingGroup", assign("d", "y5", "asana", gatehouse.PrincipalGroup, "nope", 9), gatehouse.ENOTFOUND},
			{"GroupIDAsUser", assign("d", "y6", "asana", gatehouse.PrincipalUser, "sales", 9), gatehouse.ENOTFOUND},
			{"UserIDAsGroup", assign("d", "y7", "asana", gatehouse.PrincipalGroup, "alice", 9), gatehouse.ENOTFOUND},
			{"UserOfAnotherDirectory", assign("d", "y8", "asana", gatehouse.PrincipalUser, "e-dave", 9), gatehouse.ENOTFOUND},
			{"GroupOfAnotherDirectory", assign("d", "y9", "asana", gatehouse.PrincipalGroup, "e-sales", 9), gatehouse.ENOTFOUND},
			{"AppOfAnotherDirectory", assign("d", "y10", "e-zoom", gatehouse.PrincipalUser, "alice", 9), gatehouse.ENOTFOUND},
			{"UnderAnotherDirectory", assign("e", "y11", "zoom", gatehouse.PrincipalUser, "alice", 9), gatehouse.ENOTFOUND},
		} {
			t.Run(tc.name, func(t *testing.T) {
				wantCode(t, "CreateAssignment", s.CreateAssignment(ctx, tc.a), tc.code)
			})
		}
		for _, app := range []string{"zoom", "asana"} {
			list, err := s.FindAssignments(ctx, "d", app)
			must(t, err)
			want := map[string][]string{"zoom": {"x3", "x2", "x1"}, "asana": nil}[app]
			diff(t, "assignments of "+app+" after the errors", want, ids(list, assignmentID))
		}
		_, err := s.FindAssignments(ctx, "d", "nope")
		wantCode(t, "FindAssignments of a missing app", err, gatehouse.ENOTFOUND)
		_, err = s.FindAssignments(ctx, "e", "zoom")
		wantCode(t, "FindAssignments under another directory", err, gatehouse.ENOTFOUND)
	})
	t.Run("Delete", func(t *testing.T) {
		must(t, s.DeleteAssignment(ctx, "d", "x2"))
		wantCode(t, "DeleteAssignment again", s.DeleteAssignment(ctx, "d", "x2"), gatehouse.ENOTFOUND)
		wantCode(t, "DeleteAssignment under another directory", s.DeleteAssignment(ctx, "e", "x1"), gatehouse.ENOTFOUND)
		list, err := s.FindAssignments(ctx, "d", "zoom")
		must(t, err)
		diff(t, "assignments after DeleteAssignment", []string{"x3", "x1"}, ids(list, assignmentID))
		// The principal can be assigned again.
		must(t, s.CreateAssignment(ctx, assign("d", "x4", "zoom", gatehouse.PrincipalGroup, "sales", 4)))
	})
}

func testUserApps(t *testing.T, open Opener) {
	s := open(t)
	assignmentWorld(t, s)
	for _, a := range []*gatehouse.Assignment{
		assign("d", "1", "zoom", gatehouse.PrincipalUser, "alice", 1),   // alice directly...
		assign("d", "2", "zoom", gatehouse.PrincipalGroup, "sales", 2),  // ...and through sales
		assign("d", "3", "asana", gatehouse.PrincipalGroup, "sales", 3), // through sales only
		assign("d", "4", "box", gatehouse.PrincipalUser, "bob", 4),
		assign("d", "5", "mixpanel", gatehouse.PrincipalGroup, "nobody", 5),
		assign("e", "6", "e-zoom", gatehouse.PrincipalUser, "e-dave", 6),
	} {
		must(t, s.CreateAssignment(ctx, a))
	}

	t.Run("FindUserApps", func(t *testing.T) {
		for _, tc := range []struct {
			name, userID string
			want         []string
		}{
			{"DirectlyAndThroughAGroup", "alice", []string{"asana", "zoom"}},
			{"Directly", "bob", []string{"box"}},
			{"None", "carol", nil},
		} {
			t.Run(tc.name, func(t *testing.T) {
				list, err := s.FindUserApps(ctx, "d", tc.userID)
				must(t, err)
				diff(t, "FindUserApps", tc.want, ids(list, appID))
			})
		}
		list, err := s.FindUserApps(ctx, "d", "bob")
		must(t, err)
		box, err := s.FindApp(ctx, "d", "box")
		must(t, err)
		diff(t, "FindUserApps", []*gatehouse.App{box}, list)
		_, err = s.FindUserApps(ctx, "d", "nope")
		wantCode(t, "FindUserApps of a missing user", err, gatehouse.ENOTFOUND)
		_, err = s.FindUserApps(ctx, "e", "alice")
		wantCode(t, "FindUserApps under another directory", err, gatehouse.ENOTFOUND)
	})
	isAssigned := []struct {
		name, directoryID, appID, userID string
		want                             bool
	}{
		{"DirectlyAndThroughAGroup", "d", "zoom", "alice", true},
		{"ThroughAGroup", "d", "asana", "alice", true},
		{"Directly", "d", "box", "bob", true},
		{"NotAssigned", "d", "mixpanel", "alice", false},
		{"OtherUsersApp", "d", "box", "alice", false},
		{"GroupOfOthers", "d", "asana", "bob", false},
		{"MissingUser", "d", "zoom", "nope", false},
		{"MissingApp", "d", "nope", "alice", false},
		{"UnderAnotherDirectory", "e", "zoom", "alice", false},
		{"AcrossDirectories", "d", "e-zoom", "e-dave", false},
	}
	t.Run("IsAssigned", func(t *testing.T) {
		for _, tc := range isAssigned {
			t.Run(tc.name, func(t *testing.T) {
				got, err := s.IsAssigned(ctx, tc.directoryID, tc.appID, tc.userID)
				must(t, err)
				if got != tc.want {
					t.Errorf("IsAssigned(%s, %s, %s) = %v, want %v", tc.directoryID, tc.appID, tc.userID, got, tc.want)
				}
			})
		}
	})
	t.Run("AfterLeavingTheGroup", func(t *testing.T) {
		must(t, s.RemoveGroupMember(ctx, "d", "sales", "alice"))
		for _, tc := range []struct {
			appID string
			want  bool
		}{{"zoom", true}, {"asana", false}} {
			got, err := s.IsAssigned(ctx, "d", tc.appID, "alice")
			must(t, err)
			if got != tc.want {
				t.Errorf("IsAssigned(%s, alice) after leaving sales = %v, want %v", tc.appID, got, tc.want)
			}
		}
		list, err := s.FindUserApps(ctx, "d", "alice")
		must(t, err)
		diff(t, "FindUserApps after leaving sales", []string{"zoom"}, ids(list, appID))
	})
	t.Run("AfterJoiningAGroup", func(t *testing.T) {
		must(t, s.AddGroupMember(ctx, "d", "nobody", "carol"))
		got, err := s.IsAssigned(ctx, "d", "mixpanel", "carol")
		must(t, err)
		if !got {
			t.Error("IsAssigned(mixpanel, carol) after joining nobody = false, want true")
		}
		list, err := s.FindUserApps(ctx, "d", "carol")
		must(t, err)
		diff(t, "FindUserApps after joining nobody", []string{"mixpanel"}, ids(list, appID))
	})
}
