package storetest

import (
	"testing"
	"time"

	"github.com/gatehouse-idp/gatehouse"
)

// testConfigGeneration checks that every change a sign-on must see at once changes the directory's configuration
// generation, and that changes a sign-on reads afresh anyway (sessions, users, new assignments and memberships) or
// that belong to another directory leave it alone.
func testConfigGeneration(t *testing.T, open Opener) {
	s := open(t)
	gen := func() int64 {
		t.Helper()
		g, err := s.ConfigGeneration(ctx, "d")
		must(t, err)
		return g
	}
	if g := gen(); g != 0 {
		t.Errorf("ConfigGeneration of a directory that does not exist = %d, want 0", g)
	}
	assignmentWorld(t, s)
	must(t, s.CreateAssignment(ctx, assign("d", "x1", "zoom", gatehouse.PrincipalUser, "bob", 1)))
	must(t, s.CreateAssignment(ctx, assign("d", "x2", "zoom", gatehouse.PrincipalGroup, "sales", 2)))
	must(t, s.CreateCertificate(ctx, newCert("d", "c1", "zoom", t0.AddDate(1, 0, 0), true)))
	must(t, s.CreateCertificate(ctx, newCert("d", "c2", "zoom", t0.AddDate(2, 0, 0), false)))
	must(t, s.AddGroupMember(ctx, "d", "nobody", "carol"))

	for _, tc := range []struct {
		name    string
		change  func() error
		changes bool
	}{
		{"UpdateDirectory", func() error {
			d := newDirectory("d", t0)
			d.RequireMFA = true
			return s.UpdateDirectory(ctx, d)
		}, true},
		{"SetPasskeyPolicy", func() error {
			return s.SetPasskeyPolicy(ctx, &gatehouse.PasskeyPolicy{DirectoryID: "d", Passkeys: gatehouse.PasskeysOff, UpdatedAt: t0})
		}, true},
		{"CreateApp", func() error { return s.CreateApp(ctx, newApp("d", "slack", "Slack", "https://slack.example.com"), nil) }, true},
		{"UpdateApp", func() error {
			a, err := s.FindApp(ctx, "d", "zoom")
			if err != nil {
				return err
			}
			a.Enabled = false
			return s.UpdateApp(ctx, a)
		}, true},
		{"CreateCertificate", func() error { return s.CreateCertificate(ctx, newCert("d", "c3", "zoom", t0.AddDate(3, 0, 0), false)) }, true},
		{"ActivateCertificate", func() error { return s.ActivateCertificate(ctx, "d", "c2", t0) }, true},
		{"DeleteCertificate", func() error { return s.DeleteCertificate(ctx, "d", "c1") }, true},
		{"DeleteAssignment", func() error { return s.DeleteAssignment(ctx, "d", "x1") }, true},
		{"RemoveGroupMember", func() error { return s.RemoveGroupMember(ctx, "d", "sales", "alice") }, true},
		{"DeleteGroup", func() error { return s.DeleteGroup(ctx, "d", "nobody") }, true},
		{"DeleteApp", func() error { return s.DeleteApp(ctx, "d", "asana") }, true},
		{"CreateAssignment", func() error {
			return s.CreateAssignment(ctx, assign("d", "x3", "box", gatehouse.PrincipalUser, "carol", 3))
		}, false},
		{"AddGroupMember", func() error { return s.AddGroupMember(ctx, "d", "sales", "bob") }, false},
		{"CreateUser", func() error { return s.CreateUser(ctx, newUser("d", "erin", "erin@contoso.com")) }, false},
		{"UpdateUser", func() error {
			u := newUser("d", "erin", "erin@contoso.com")
			u.Disabled = true
			return s.UpdateUser(ctx, u)
		}, false},
		{"CreateSession", func() error { return s.CreateSession(ctx, newSession("d", "erin", "s1", t0.Add(time.Hour))) }, false},
		{"DeleteSession", func() error { return s.DeleteSession(ctx, "s1") }, false},
		{"OtherDirectory", func() error {
			return s.CreateApp(ctx, newApp("e", "e-slack", "Slack", "https://slack.example.com"), nil)
		}, false},
		// Last: a directory made again with the same ID must not find its old number.
		{"DeleteDirectory", func() error { return s.DeleteDirectory(ctx, "d") }, true},
		{"CreateDirectory", func() error { return s.CreateDirectory(ctx, newDirectory("d", t0)) }, true},
	} {
		before := gen()
		must(t, tc.change())
		if after := gen(); (after != before) != tc.changes {
			t.Errorf("%s: generation %d, then %d; want a change: %v", tc.name, before, after, tc.changes)
		} else if tc.changes && after < before {
			t.Errorf("%s: generation %d, then %d; want it to count up", tc.name, before, after)
		}
	}

	t.Run("InTx", func(t *testing.T) {
		before := gen()
		must(t, s.InTx(ctx, func(tx gatehouse.Store) error {
			return tx.CreateApp(ctx, newApp("d", "teams", "Teams", "https://teams.example.com"), nil)
		}))
		if after := gen(); after == before {
			t.Errorf("an app created in a transaction left the generation at %d", after)
		}
	})
}

// testSignOnState checks FindSignOnState against what FindSession, FindUser and ConfigGeneration find one by one.
func testSignOnState(t *testing.T, open Opener) {
	s := open(t)
	assignmentWorld(t, s)
	must(t, s.CreateSession(ctx, newSession("d", "alice", "s-alice", t0.Add(time.Hour))))
	must(t, s.CreateSession(ctx, newSession("e", "e-dave", "s-dave", t0.Add(time.Hour))))
	must(t, s.CreateSession(ctx, newSession("d", "bob", "s-old", t0.Add(-time.Second))))
	must(t, s.CreateApp(ctx, newApp("d", "slack", "Slack", "https://slack.example.com"), nil)) // a generation above 1
	gen := func(dir string) int64 {
		t.Helper()
		g, err := s.ConfigGeneration(ctx, dir)
		must(t, err)
		return g
	}
	find := func(dir, sess string) *gatehouse.SignOnState {
		t.Helper()
		sess0, err := s.FindSession(ctx, sess, t0)
		if gatehouse.ErrorCode(err) == gatehouse.ENOTFOUND {
			return &gatehouse.SignOnState{Generation: gen(dir)}
		}
		must(t, err)
		u, err := s.FindUser(ctx, sess0.DirectoryID, sess0.UserID)
		must(t, err)
		return &gatehouse.SignOnState{Generation: gen(dir), Session: sess0, User: u}
	}
	for _, tc := range []struct{ name, dir, session string }{
		{"NoSession", "d", ""},
		{"Session", "d", "s-alice"},
		{"UnknownSession", "d", "s-nobody"},
		{"ExpiredSession", "d", "s-old"},
		// The session is returned whatever its directory: the caller decides what a session of another one means.
		{"SessionOfAnotherDirectory", "d", "s-dave"},
		{"DirectoryWithout", "nowhere", "s-alice"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.FindSignOnState(ctx, tc.dir, tc.session, t0)
			must(t, err)
			diff(t, "FindSignOnState", find(tc.dir, tc.session), got)
			if tc.session == "s-alice" && tc.dir == "d" && (got.Session == nil || got.Generation < 2) {
				t.Errorf("FindSignOnState = %+v, want alice's session at a generation above 1", got)
			}
		})
	}
	t.Run("UserGone", func(t *testing.T) {
		must(t, s.DeleteUser(ctx, "d", "alice"))
		got, err := s.FindSignOnState(ctx, "d", "s-alice", t0)
		must(t, err)
		if got.Session != nil || got.User != nil || got.Generation != gen("d") {
			t.Errorf("FindSignOnState after the user was deleted = %+v, want no session at generation %d", got, gen("d"))
		}
	})
}
