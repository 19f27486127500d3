package storetest

import (
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-idp/gatehouse"
)

// testNotificationEmails checks the certificate expiry notification lists of apps and directories: set, replaced,
// emptied, kept apart by owner and directory, refused for owners that do not exist, and deleted with their app.
func testNotificationEmails(t *testing.T, open Opener) {
	s := open(t)
	certWorld(t, s)
	get := func(t *testing.T, dirID, appID string) []string {
		t.Helper()
		list, err := s.FindNotificationEmails(ctx, dirID, appID)
		must(t, err)
		if list == nil {
			t.Errorf("FindNotificationEmails(%s, %q) = nil, want an empty list", dirID, appID)
		}
		return list
	}
	t.Run("NoneIsEmpty", func(t *testing.T) {
		diff(t, "directory list", []string{}, get(t, "d", ""))
		diff(t, "app list", []string{}, get(t, "d", "a1"))
	})
	t.Run("SetAndReplace", func(t *testing.T) {
		must(t, s.SetNotificationEmails(ctx, "d", "", []string{"ops@d.example.com", "sec@d.example.com"}))
		must(t, s.SetNotificationEmails(ctx, "d", "a1", []string{"wiki@d.example.com"}))
		must(t, s.SetNotificationEmails(ctx, "e", "", []string{"ops@e.example.com"}))
		diff(t, "directory d", []string{"ops@d.example.com", "sec@d.example.com"}, get(t, "d", ""))
		diff(t, "app a1", []string{"wiki@d.example.com"}, get(t, "d", "a1"))
		diff(t, "app a2", []string{}, get(t, "d", "a2"))
		diff(t, "directory e", []string{"ops@e.example.com"}, get(t, "e", ""))
		diff(t, "a1 through directory e", []string{}, get(t, "e", "a1"))

		must(t, s.SetNotificationEmails(ctx, "d", "a1", []string{"b@d.example.com", "a@d.example.com"}))
		diff(t, "a1 replaced, in the order given", []string{"b@d.example.com", "a@d.example.com"}, get(t, "d", "a1"))
		must(t, s.SetNotificationEmails(ctx, "d", "", nil))
		diff(t, "directory d emptied", []string{}, get(t, "d", ""))
		diff(t, "app a1 after the directory's list was emptied", []string{"b@d.example.com", "a@d.example.com"}, get(t, "d", "a1"))
	})
	t.Run("MissingOwner", func(t *testing.T) {
		wantCode(t, "unknown app", s.SetNotificationEmails(ctx, "d", "nope", []string{"x@d.example.com"}), gatehouse.ENOTFOUND)
		wantCode(t, "app of another directory", s.SetNotificationEmails(ctx, "e", "a1", []string{"x@d.example.com"}), gatehouse.ENOTFOUND)
		wantCode(t, "unknown directory", s.SetNotificationEmails(ctx, "nope", "", []string{"x@d.example.com"}), gatehouse.ENOTFOUND)
		wantCode(t, "unknown app, empty list", s.SetNotificationEmails(ctx, "d", "nope", nil), gatehouse.ENOTFOUND)
	})
	t.Run("DeletedWithTheApp", func(t *testing.T) {
		must(t, s.DeleteApp(ctx, "d", "a1"))
		must(t, s.CreateApp(ctx, newApp("d", "a1", "App 1 again", "https://a1.example.com"), nil))
		diff(t, "recreated app a1", []string{}, get(t, "d", "a1"))
	})
}

// testCertificateNotices checks the claims that make every node together send each certificate expiry notice once.
func testCertificateNotices(t *testing.T, open Opener) {
	s := open(t)
	certWorld(t, s)
	must(t, s.CreateCertificate(ctx, newCert("d", "c1", "a1", t0.AddDate(0, 0, 50), true)))
	must(t, s.CreateCertificate(ctx, newCert("d", "dc", "", t0.AddDate(0, 0, 20), true)))
	must(t, s.CreateCertificate(ctx, newCert("e", "ec", "", t0.AddDate(0, 0, 20), true)))
	const lease = 10 * time.Minute
	notice := func(dirID, certID string, days int, at time.Time) *gatehouse.CertificateNotice {
		return &gatehouse.CertificateNotice{DirectoryID: dirID, CertificateID: certID, Days: days, ClaimedAt: at}
	}

	t.Run("ClaimSendOnce", func(t *testing.T) {
		must(t, s.ClaimCertificateNotice(ctx, notice("d", "c1", 60, t0), lease))
		wantCode(t, "second claim within the lease", s.ClaimCertificateNotice(ctx, notice("d", "c1", 60, t0.Add(time.Minute)), lease), gatehouse.ECONFLICT)
		sent := notice("d", "c1", 60, t0)
		sent.SentAt = t0.Add(time.Second)
		must(t, s.FinishCertificateNotice(ctx, sent))
		wantCode(t, "claim after it was sent, long after", s.ClaimCertificateNotice(ctx, notice("d", "c1", 60, t0.AddDate(0, 0, 1)), lease), gatehouse.ECONFLICT)
		wantCode(t, "finish twice", s.FinishCertificateNotice(ctx, sent), gatehouse.ENOTFOUND)
		must(t, s.ClaimCertificateNotice(ctx, notice("d", "c1", 30, t0.AddDate(0, 0, 21)), lease))
	})
	t.Run("ReleasedClaimIsTakenAgain", func(t *testing.T) {
		must(t, s.ClaimCertificateNotice(ctx, notice("d", "dc", 30, t0), lease))
		must(t, s.FinishCertificateNotice(ctx, notice("d", "dc", 30, t0)))
		must(t, s.ClaimCertificateNotice(ctx, notice("d", "dc", 30, t0.Add(time.Minute)), lease))
	})
	t.Run("StaleClaimIsTakenOver", func(t *testing.T) {
		must(t, s.ClaimCertificateNotice(ctx, notice("e", "ec", 30, t0), lease))
		wantCode(t, "claim before the lease ends", s.ClaimCertificateNotice(ctx, notice("e", "ec", 30, t0.Add(lease-time.Second)), lease), gatehouse.ECONFLICT)
		must(t, s.ClaimCertificateNotice(ctx, notice("e", "ec", 30, t0.Add(lease)), lease))
	})
	t.Run("UnknownCertificate", func(t *testing.T) {
		wantCode(t, "unknown certificate", s.ClaimCertificateNotice(ctx, notice("d", "nope", 60, t0), lease), gatehouse.ENOTFOUND)
		wantCode(t, "certificate of another directory", s.ClaimCertificateNotice(ctx, notice("d", "ec", 60, t0), lease), gatehouse.ENOTFOUND)
		wantCode(t, "finish an unclaimed notice", s.FinishCertificateNotice(ctx, notice("d", "c1", 7, t0)), gatehouse.ENOTFOUND)
	})
	t.Run("Find", func(t *testing.T) {
		list, err := s.FindCertificateNotices(ctx, "d")
		must(t, err)
		sentAt := t0.Add(time.Second)
		diff(t, "notices of d", []*gatehouse.CertificateNotice{
			{DirectoryID: "d", CertificateID: "c1", Days: 60, ClaimedAt: t0, SentAt: sentAt},
			{DirectoryID: "d", CertificateID: "dc", Days: 30, ClaimedAt: t0.Add(time.Minute)},
			{DirectoryID: "d", CertificateID: "c1", Days: 30, ClaimedAt: t0.AddDate(0, 0, 21)},
		}, list)
		list, err = s.FindCertificateNotices(ctx, "e")
		must(t, err)
		diff(t, "notices of e", []*gatehouse.CertificateNotice{{DirectoryID: "e", CertificateID: "ec", Days: 30, ClaimedAt: t0.Add(lease)}}, list)
	})
	t.Run("ConcurrentClaims", func(t *testing.T) {
		const n = 8
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = s.ClaimCertificateNotice(ctx, notice("d", "c1", 7, t0.AddDate(0, 0, 44)), lease)
			}()
		}
		wg.Wait()
		won := 0
		for _, err := range errs {
			switch gatehouse.ErrorCode(err) {
			case "":
				won++
			case gatehouse.ECONFLICT:
			default:
				t.Errorf("claim: %v", err)
			}
		}
		if won != 1 {
			t.Errorf("%d of %d concurrent claims succeeded, want 1", won, n)
		}
	})
	t.Run("DeletedWithTheCertificate", func(t *testing.T) {
		must(t, s.DeleteApp(ctx, "d", "a1"))
		list, err := s.FindCertificateNotices(ctx, "d")
		must(t, err)
		diff(t, "notices of d after its app was deleted", []string{"dc"}, ids(list, func(n *gatehouse.CertificateNotice) string { return n.CertificateID }))
	})
}

// testHealth checks the optional HealthChecker capability of a fresh store: it answers and its schema is current.
func testHealth(t *testing.T, open Opener) {
	s := open(t)
	hc, ok := s.(gatehouse.HealthChecker)
	if !ok {
		t.Skipf("%T does not implement gatehouse.HealthChecker", s)
	}
	must(t, hc.Ping(ctx))
	must(t, hc.CheckSchema(ctx))
}
