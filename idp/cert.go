package idp

import (
	"context"
	"time"

	"github.com/gatehouse-idp/gatehouse"
)

// ExpiryWarningDays are the days before expiry at which a certificate gets a warning.
var ExpiryWarningDays = []int{60, 30, 7}

// expiryWarning returns the warning threshold (60, 30 or 7 days) a certificate expiring at notAfter has reached at
// now, 0 when none, and -1 when it has expired.
func expiryWarning(notAfter, now time.Time) int {
	left := notAfter.Sub(now)
	if left <= 0 {
		return -1
	}
	w := 0
	for _, d := range ExpiryWarningDays {
		if left <= time.Duration(d)*24*time.Hour {
			w = d
		}
	}
	return w
}

// CheckCertificateExpiry logs a warning for every active signing certificate, of every directory and app, that
// expires within 60 days (or has expired), naming the threshold reached: 60, 30 or 7 days.
func (s *Service) CheckCertificateExpiry(ctx context.Context) error {
	dirs, err := s.Store.FindDirectories(ctx)
	if err != nil {
		return err
	}
	now := s.now()
	for _, d := range dirs {
		cs, err := s.Store.FindExpiringCertificates(ctx, d.ID, now.Add(time.Duration(ExpiryWarningDays[0])*24*time.Hour))
		if err != nil {
			return err
		}
		for _, c := range cs {
			w := expiryWarning(c.NotAfter, now)
			owner := "directory"
			if c.AppID != "" {
				owner = "app " + c.AppID
			}
			if w < 0 {
				s.Logger.Error("signing certificate expired", "directory", d.ID, "owner", owner, "certificate", c.ID,
					"thumbprint", c.Thumbprint, "not_after", c.NotAfter)
				continue
			}
			s.Logger.Warn("signing certificate expires soon", "directory", d.ID, "owner", owner, "certificate", c.ID,
				"thumbprint", c.Thumbprint, "not_after", c.NotAfter, "warning_days", w,
				"days_left", int(c.NotAfter.Sub(now).Hours()/24))
		}
	}
	return nil
}

var _ = gatehouse.ENOTFOUND
