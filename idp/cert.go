package idp

import (
	"context"
	"time"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/certs"
)

// ExpiryWarningDays are the days before expiry at which a certificate gets a warning.
var ExpiryWarningDays = []int{60, 30, 7}

// RolloverGrace is how long a replaced signing certificate stays published in metadata after a rollover, so that
// apps that cache metadata still trust responses signed before they refresh.
const RolloverGrace = 30 * 24 * time.Hour

// Certificate states, as CertificateInfo shows them.
const (
	CertActive   = "active"
	CertNext     = "next"
	CertPrevious = "previous"
	CertRetired  = "retired"
)

// CertificateInfo is a signing certificate with what an admin needs to plan a rollover: its state, whether
// metadata publishes it, the expiry warning reached (60, 30 or 7 days before NotAfter; -1 once expired; 0 for none)
// and the whole days left.
type CertificateInfo struct {
	*gatehouse.Certificate
	State         string `json:"state"`
	Published     bool   `json:"published"`
	ExpiryWarning int    `json:"expiryWarning"`
	DaysLeft      int    `json:"daysLeft"`
	// KeyType is the certificate's key ("rsa-2048", "ecdsa-p256"), which decides the signature method while the
	// certificate is active.
	KeyType string `json:"keyType"`
}

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

// certState returns a certificate's state and whether metadata publishes it at now: the active one; a next one
// (inactive, never active) until it expires; a previous one for RolloverGrace after it was replaced.
func certState(c *gatehouse.Certificate, now time.Time) (string, bool) {
	switch {
	case c.Active:
		return CertActive, true
	case c.DeactivatedAt.IsZero():
		return CertNext, now.Before(c.NotAfter)
	case now.Sub(c.DeactivatedAt) < RolloverGrace:
		return CertPrevious, now.Before(c.NotAfter)
	}
	return CertRetired, false
}

// CertificateList returns an app's signing certificates (the directory's when appID is ""), newest first, with their
// rollover state and expiry warnings.
func (s *Service) CertificateList(ctx context.Context, actor *gatehouse.User, dirID, appID string) ([]CertificateInfo, error) {
	if err := s.Authorize(ctx, actor, dirID, ReadDirectory); err != nil {
		return nil, err
	}
	if err := certificateOwner(ctx, s.store, dirID, appID); err != nil {
		return nil, err
	}
	cs, err := s.store.FindCertificates(ctx, dirID, appID)
	if err != nil {
		return nil, err
	}
	now := s.now()
	out := make([]CertificateInfo, 0, len(cs))
	for _, c := range cs {
		st, pub := certState(c, now)
		info := CertificateInfo{Certificate: c, State: st, Published: pub, DaysLeft: max(0, int(c.NotAfter.Sub(now).Hours()/24)),
			KeyType: certs.DERKeyType(c.DER)}
		if st == CertActive || st == CertNext {
			info.ExpiryWarning = expiryWarning(c.NotAfter, now)
		}
		out = append(out, info)
	}
	return out, nil
}

// CreateNextCertificate generates an app's next signing certificate (the directory's when appID is ""): inactive,
// and published in the metadata beside the active one so that the app can trust it before ActivateCertificate
// switches signing to it. Its key is of the app's signing key type (RSA-2048 for a directory). ECONFLICT when there
// already is a next certificate.
func (s *Service) CreateNextCertificate(ctx context.Context, actor *gatehouse.User, dirID, appID string) (*gatehouse.Certificate, error) {
	if err := s.Authorize(ctx, actor, dirID, ManageApps); err != nil {
		return nil, err
	}
	keyType := gatehouse.KeyRSA2048
	if appID != "" {
		if a, err := s.store.FindApp(ctx, dirID, appID); err == nil {
			keyType = a.SAML.KeyType()
		}
	}
	c, err := s.newCertificateOf(dirID, appID, "Gatehouse SSO Certificate", keyType)
	if err != nil {
		return nil, err
	}
	c.Active = false
	err = s.store.InTx(ctx, func(tx gatehouse.Store) error {
		if err := certificateOwner(ctx, tx, dirID, appID); err != nil {
			return err
		}
		cs, err := tx.FindCertificates(ctx, dirID, appID)
		if err != nil {
			return err
		}
		for _, o := range cs {
			if st, _ := certState(o, s.now()); st == CertNext {
				return gatehouse.Errorf(gatehouse.ECONFLICT, "The app already has a next certificate (%s); make it active or delete it first.", o.Thumbprint)
			}
		}
		if err := tx.CreateCertificate(ctx, c); err != nil {
			return err
		}
		return s.audit(ctx, tx, actor, dirID, "certificate.create", "certificate", c.ID, nil, c)
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// ActivateCertificate makes one of an app's certificates (the directory's when appID is "") the one that signs. The certificate it replaces stays
// published for RolloverGrace. EINVALID for an expired certificate, ENOTFOUND when the app has no such certificate.
func (s *Service) ActivateCertificate(ctx context.Context, actor *gatehouse.User, dirID, appID, certID string) (*gatehouse.Certificate, error) {
	if err := s.Authorize(ctx, actor, dirID, ManageApps); err != nil {
		return nil, err
	}
	var out *gatehouse.Certificate
	err := s.store.InTx(ctx, func(tx gatehouse.Store) error {
		c, err := tx.FindCertificate(ctx, dirID, certID)
		if err == nil && c.AppID != appID {
			err = gatehouse.Errorf(gatehouse.ENOTFOUND, "The app has no certificate %s.", certID)
		}
		if err != nil {
			return err
		}
		if !c.NotAfter.After(s.now()) {
			return gatehouse.FieldErrorf("certId", "The certificate expired on %s; create a new one.", c.NotAfter.Format("2006-01-02"))
		}
		before := *c
		if !c.Active {
			if err := tx.ActivateCertificate(ctx, dirID, certID, s.now()); err != nil {
				return err
			}
		}
		if out, err = tx.FindCertificate(ctx, dirID, certID); err != nil {
			return err
		}
		return s.audit(ctx, tx, actor, dirID, "certificate.activate", "certificate", c.ID, &before, out)
	})
	return out, err
}

// CheckCertificateExpiry logs a warning for every active signing certificate, of every directory and app, that
// expires within 60 days (or has expired), naming the threshold reached: 60, 30 or 7 days.
func (s *Service) CheckCertificateExpiry(ctx context.Context) error {
	dirs, err := s.store.FindDirectories(ctx)
	if err != nil {
		return err
	}
	now := s.now()
	for _, d := range dirs {
		cs, err := s.store.FindExpiringCertificates(ctx, d.ID, now.Add(time.Duration(ExpiryWarningDays[0])*24*time.Hour))
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
				s.logger.Error("signing certificate expired", "directory", d.ID, "owner", owner, "certificate", c.ID,
					"thumbprint", c.Thumbprint, "not_after", c.NotAfter)
				continue
			}
			s.logger.Warn("signing certificate expires soon", "directory", d.ID, "owner", owner, "certificate", c.ID,
				"thumbprint", c.Thumbprint, "not_after", c.NotAfter, "warning_days", w,
				"days_left", int(c.NotAfter.Sub(now).Hours()/24))
		}
	}
	return nil
}

// certificateOwner returns ENOTFOUND unless the app (or, when appID is "", the directory) exists.
func certificateOwner(ctx context.Context, st gatehouse.Store, dirID, appID string) error {
	if appID == "" {
		_, err := st.FindDirectory(ctx, dirID)
		return err
	}
	_, err := st.FindApp(ctx, dirID, appID)
	return err
}
