package storetest

import (
	"testing"
	"time"

	"github.com/gatehouse-idp/gatehouse"
)

// certWorld creates directories d and e, and apps a1 and a2 in d.
func certWorld(t *testing.T, s gatehouse.Store) {
	t.Helper()
	must(t, s.CreateDirectory(ctx, newDirectory("d", t0)))
	must(t, s.CreateDirectory(ctx, newDirectory("e", t0)))
	must(t, s.CreateApp(ctx, newApp("d", "a1", "App 1", "https://a1.example.com"), nil))
	must(t, s.CreateApp(ctx, newApp("d", "a2", "App 2", "https://a2.example.com"), nil))
	must(t, s.CreateApp(ctx, newApp("e", "e-a1", "App 1", "https://a1.example.com"), nil))
}

// activeOf returns which certificates of the owner are active, by ID.
func activeOf(t *testing.T, s gatehouse.Store, directoryID, appID string) map[string]bool {
	t.Helper()
	list, err := s.FindCertificates(ctx, directoryID, appID)
	must(t, err)
	m := map[string]bool{}
	for _, c := range list {
		m[c.ID] = c.Active
	}
	return m
}

func testCertificates(t *testing.T, open Opener) {
	s := open(t)
	certWorld(t, s)
	// Created in the opposite order of their IDs, a day apart.
	var appCerts []*gatehouse.Certificate
	for i, id := range []string{"c3", "c2", "c1"} {
		c := newCert("d", id, "a1", t0.AddDate(3, 0, i), false)
		c.CreatedAt = t0.AddDate(0, 0, i)
		must(t, s.CreateCertificate(ctx, c))
		appCerts = append([]*gatehouse.Certificate{c}, appCerts...)
	}
	dirCert := newCert("d", "dir1", "", t0.AddDate(10, 0, 0), true)
	dirCert.DER, dirCert.EncryptedKey = []byte{0, 1, 2, 0xfe, 0xff}, []byte{0xff, 0}
	must(t, s.CreateCertificate(ctx, dirCert))

	t.Run("RoundTrip", func(t *testing.T) {
		for _, c := range append([]*gatehouse.Certificate{dirCert}, appCerts...) {
			got, err := s.FindCertificate(ctx, "d", c.ID)
			must(t, err)
			diff(t, "certificate "+c.ID, c, got)
		}
	})
	t.Run("FindCertificates", func(t *testing.T) {
		for _, tc := range []struct {
			name, directoryID, appID string
			want                     []*gatehouse.Certificate
		}{
			{"NewestFirst", "d", "a1", appCerts},
			{"OfTheDirectory", "d", "", []*gatehouse.Certificate{dirCert}},
			{"AppWithout", "d", "a2", nil},
			{"MissingApp", "d", "nope", nil},
			{"OtherDirectory", "e", "a1", nil},
			{"OtherDirectoryItself", "e", "", nil},
		} {
			t.Run(tc.name, func(t *testing.T) {
				list, err := s.FindCertificates(ctx, tc.directoryID, tc.appID)
				must(t, err)
				diff(t, "FindCertificates", tc.want, list)
			})
		}
	})
	t.Run("IDTaken", func(t *testing.T) {
		wantCode(t, "CreateCertificate with a taken ID",
			s.CreateCertificate(ctx, newCert("d", "c1", "a2", t0, false)), gatehouse.ECONFLICT)
		list, err := s.FindCertificates(ctx, "d", "a2")
		must(t, err)
		diff(t, "certificates of a2", []string(nil), ids(list, certID))
	})
	t.Run("Missing", func(t *testing.T) {
		_, err := s.FindCertificate(ctx, "d", "nope")
		wantCode(t, "FindCertificate", err, gatehouse.ENOTFOUND)
		wantCode(t, "ActivateCertificate", s.ActivateCertificate(ctx, "d", "nope", time.Now()), gatehouse.ENOTFOUND)
		wantCode(t, "DeleteCertificate", s.DeleteCertificate(ctx, "d", "nope"), gatehouse.ENOTFOUND)
	})
	t.Run("Delete", func(t *testing.T) {
		must(t, s.DeleteCertificate(ctx, "d", "c2"))
		_, err := s.FindCertificate(ctx, "d", "c2")
		wantCode(t, "FindCertificate after DeleteCertificate", err, gatehouse.ENOTFOUND)
		wantCode(t, "DeleteCertificate again", s.DeleteCertificate(ctx, "d", "c2"), gatehouse.ENOTFOUND)
		list, err := s.FindCertificates(ctx, "d", "a1")
		must(t, err)
		diff(t, "certificates after DeleteCertificate", []string{"c1", "c3"}, ids(list, certID))
	})
}

// testCertificateActivation checks that an owner (an app, or the directory itself) has at most one active
// certificate, and that owners do not affect each other.
func testCertificateActivation(t *testing.T, open Opener) {
	s := open(t)
	certWorld(t, s)
	create := func(directoryID, id, appID string, active bool) {
		t.Helper()
		must(t, s.CreateCertificate(ctx, newCert(directoryID, id, appID, t0.AddDate(3, 0, 0), active)))
	}
	create("d", "a1-old", "a1", true)
	create("d", "a2-only", "a2", true)
	create("d", "dir-old", "", true)
	create("e", "e-old", "e-a1", true)
	create("e", "e-dir", "", true)
	type state = map[string]bool
	steps := []struct {
		name              string
		do                func() error
		a1, a2, dir, eApp state
	}{
		{"Initial", func() error { return nil },
			state{"a1-old": true}, state{"a2-only": true}, state{"dir-old": true}, state{"e-old": true}},
		{"CreateInactive", func() error { return s.CreateCertificate(ctx, newCert("d", "a1-new", "a1", t0, false)) },
			state{"a1-old": true, "a1-new": false}, state{"a2-only": true}, state{"dir-old": true}, state{"e-old": true}},
		{"Activate", func() error { return s.ActivateCertificate(ctx, "d", "a1-new", time.Now()) },
			state{"a1-old": false, "a1-new": true}, state{"a2-only": true}, state{"dir-old": true}, state{"e-old": true}},
		{"ActivateTheActive", func() error { return s.ActivateCertificate(ctx, "d", "a1-new", time.Now()) },
			state{"a1-old": false, "a1-new": true}, state{"a2-only": true}, state{"dir-old": true}, state{"e-old": true}},
		{"CreateActive", func() error { return s.CreateCertificate(ctx, newCert("d", "a1-newest", "a1", t0, true)) },
			state{"a1-old": false, "a1-new": false, "a1-newest": true}, state{"a2-only": true}, state{"dir-old": true},
			state{"e-old": true}},
		{"ActivateOld", func() error { return s.ActivateCertificate(ctx, "d", "a1-old", time.Now()) },
			state{"a1-old": true, "a1-new": false, "a1-newest": false}, state{"a2-only": true}, state{"dir-old": true},
			state{"e-old": true}},
		{"CreateActiveForTheDirectory", func() error { return s.CreateCertificate(ctx, newCert("d", "dir-new", "", t0, true)) },
			state{"a1-old": true, "a1-new": false, "a1-newest": false}, state{"a2-only": true},
			state{"dir-old": false, "dir-new": true}, state{"e-old": true}},
		{"ActivateForTheDirectory", func() error { return s.ActivateCertificate(ctx, "d", "dir-old", time.Now()) },
			state{"a1-old": true, "a1-new": false, "a1-newest": false}, state{"a2-only": true},
			state{"dir-old": true, "dir-new": false}, state{"e-old": true}},
		{"ActivateUnderAnotherDirectory", func() error {
			if err := s.ActivateCertificate(ctx, "e", "a1-new", time.Now()); gatehouse.ErrorCode(err) != gatehouse.ENOTFOUND {
				t.Errorf("ActivateCertificate of another directory's certificate: %v, want ENOTFOUND", err)
			}
			return nil
		},
			state{"a1-old": true, "a1-new": false, "a1-newest": false}, state{"a2-only": true},
			state{"dir-old": true, "dir-new": false}, state{"e-old": true}},
		{"DeleteTheActive", func() error { return s.DeleteCertificate(ctx, "d", "a1-old") },
			state{"a1-new": false, "a1-newest": false}, state{"a2-only": true},
			state{"dir-old": true, "dir-new": false}, state{"e-old": true}},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			must(t, st.do())
			diff(t, "certificates of a1", st.a1, activeOf(t, s, "d", "a1"))
			diff(t, "certificates of a2", st.a2, activeOf(t, s, "d", "a2"))
			diff(t, "certificates of the directory", st.dir, activeOf(t, s, "d", ""))
			diff(t, "certificates of the other directory's app", st.eApp, activeOf(t, s, "e", "e-a1"))
			diff(t, "certificates of the other directory", state{"e-dir": true}, activeOf(t, s, "e", ""))
		})
	}
	t.Run("DirectoryCertificatesHaveNoApp", func(t *testing.T) {
		list, err := s.FindCertificates(ctx, "d", "")
		must(t, err)
		for _, c := range list {
			if c.AppID != "" {
				t.Errorf("certificate %s of the directory has AppID %q, want empty", c.ID, c.AppID)
			}
		}
	})
}

func testExpiringCertificates(t *testing.T, open Opener) {
	s := open(t)
	certWorld(t, s)
	day := 24 * time.Hour
	for _, c := range []*gatehouse.Certificate{
		newCert("d", "a1-10d", "a1", t0.Add(10*day), true),
		newCert("d", "a1-1d-inactive", "a1", t0.Add(day), false),
		newCert("d", "a2-5d", "a2", t0.Add(5*day), true),
		newCert("d", "dir-20d", "", t0.Add(20*day), true),
		newCert("e", "e-1d", "e-a1", t0.Add(day), true),
		newCert("e", "e-dir-2d", "", t0.Add(2*day), true),
	} {
		must(t, s.CreateCertificate(ctx, c))
	}
	must(t, s.CreateApp(ctx, newApp("d", "a3", "App 3", ""), newCert("d", "a3-400d", "a3", t0.Add(400*day), true)))
	must(t, s.CreateApp(ctx, newApp("d", "a4", "App 4", ""), newCert("d", "a4-expired", "a4", t0.Add(-day), true)))

	for _, tc := range []struct {
		name        string
		directoryID string
		before      time.Time
		want        []string
	}{
		{"SoonestFirst", "d", t0.Add(30 * day), []string{"a4-expired", "a2-5d", "a1-10d", "dir-20d"}},
		{"Week", "d", t0.Add(7 * day), []string{"a4-expired", "a2-5d"}},
		{"AlreadyExpired", "d", t0, []string{"a4-expired"}},
		{"Everything", "d", t0.AddDate(10, 0, 0), []string{"a4-expired", "a2-5d", "a1-10d", "dir-20d", "a3-400d"}},
		{"OtherDirectory", "e", t0.Add(30 * day), []string{"e-1d", "e-dir-2d"}},
		{"MissingDirectory", "nope", t0.Add(30 * day), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			list, err := s.FindExpiringCertificates(ctx, tc.directoryID, tc.before)
			must(t, err)
			diff(t, "FindExpiringCertificates", tc.want, ids(list, certID))
		})
	}
	t.Run("Full", func(t *testing.T) {
		list, err := s.FindExpiringCertificates(ctx, "d", t0)
		must(t, err)
		want, err := s.FindCertificate(ctx, "d", "a4-expired")
		must(t, err)
		diff(t, "FindExpiringCertificates", []*gatehouse.Certificate{want}, list)
	})
}

// testCertificateRollover checks DeactivatedAt: the certificate that stops being active gets the time of the switch
// (ActivateCertificate's now, or the CreatedAt of a new active certificate), the newly active one a zero time, and a
// certificate never active keeps a zero time, so it reads as the next certificate.
func testCertificateRollover(t *testing.T, open Opener) {
	s := open(t)
	certWorld(t, s)
	at := func(h int) time.Time { return t0.Add(time.Duration(h) * time.Hour) }
	create := func(id, appID string, active bool, created time.Time) func() error {
		return func() error {
			c := newCert("d", id, appID, t0.AddDate(3, 0, 0), active)
			c.CreatedAt = created
			return s.CreateCertificate(ctx, c)
		}
	}
	must(t, create("a2-only", "a2", true, t0)())
	must(t, create("dir-only", "", true, t0)())
	// cert is a certificate's state: whether it is active, and its DeactivatedAt.
	type cert struct {
		Active        bool
		DeactivatedAt time.Time
	}
	type state = map[string]cert
	var zero time.Time
	for _, st := range []struct {
		name string
		do   func() error
		want state
	}{
		{"CreateFirstActive", create("a1-old", "a1", true, at(0)), state{"a1-old": {true, zero}}},
		{"CreateNext", create("a1-next", "a1", false, at(1)),
			state{"a1-old": {true, zero}, "a1-next": {false, zero}}},
		{"ActivateNext", func() error { return s.ActivateCertificate(ctx, "d", "a1-next", at(2)) },
			state{"a1-old": {false, at(2)}, "a1-next": {true, zero}}},
		{"CreateActive", create("a1-newest", "a1", true, at(3)),
			state{"a1-old": {false, at(2)}, "a1-next": {false, at(3)}, "a1-newest": {true, zero}}},
		{"ActivateFormer", func() error { return s.ActivateCertificate(ctx, "d", "a1-old", at(4)) },
			state{"a1-old": {true, zero}, "a1-next": {false, at(3)}, "a1-newest": {false, at(4)}}},
		{"ActivateTheActive", func() error { return s.ActivateCertificate(ctx, "d", "a1-old", at(5)) },
			state{"a1-old": {true, zero}, "a1-next": {false, at(3)}, "a1-newest": {false, at(4)}}},
		{"CreateInactiveKeepsItsTime", func() error {
			// As a copy from another store does: an inactive certificate with its DeactivatedAt.
			c := newCert("d", "a1-copied", "a1", t0.AddDate(3, 0, 0), false)
			c.CreatedAt, c.DeactivatedAt = at(-2), at(-1)
			return s.CreateCertificate(ctx, c)
		}, state{"a1-old": {true, zero}, "a1-next": {false, at(3)}, "a1-newest": {false, at(4)}, "a1-copied": {false, at(-1)}}},
	} {
		t.Run(st.name, func(t *testing.T) {
			must(t, st.do())
			list, err := s.FindCertificates(ctx, "d", "a1")
			must(t, err)
			got := state{}
			for _, c := range list {
				got[c.ID] = cert{c.Active, c.DeactivatedAt}
				one, err := s.FindCertificate(ctx, "d", c.ID)
				must(t, err)
				diff(t, "FindCertificate "+c.ID, c, one)
			}
			diff(t, "certificates of a1", st.want, got)
			// Other owners are untouched.
			for _, o := range []struct{ appID, id string }{{"a2", "a2-only"}, {"", "dir-only"}} {
				c, err := s.FindCertificate(ctx, "d", o.id)
				must(t, err)
				diff(t, "certificate of another owner", cert{true, zero}, cert{c.Active, c.DeactivatedAt})
			}
		})
	}
	t.Run("Expiring", func(t *testing.T) {
		list, err := s.FindExpiringCertificates(ctx, "d", t0.AddDate(4, 0, 0))
		must(t, err)
		for _, c := range list {
			if !c.DeactivatedAt.IsZero() {
				t.Errorf("active certificate %s has DeactivatedAt %v, want zero", c.ID, c.DeactivatedAt)
			}
		}
	})
}
