package idp

import (
	"context"
	"sort"
	"time"

	"github.com/gatehouse-idp/gatehouse"
)

// CertificateMetric is one signing certificate that signs or will sign, as the metrics report it so that monitoring
// can warn before one expires (the portal, the API, the log and the notification e-mails warn too).
type CertificateMetric struct {
	DirectoryID string
	// AppID is empty for the directory's own certificate.
	AppID      string
	ID         string
	Thumbprint string
	// State is CertActive or CertNext.
	State    string
	NotAfter time.Time
	// Warning is the expiry warning level: 60, 30 or 7 days, -1 once expired, 0 when none is due.
	Warning int
}

// AuthorizeMetrics returns nil when actor may read the metrics: only instance admins may, since they name every
// directory and app. The metrics listener of `gatehouse serve --metrics-addr` serves them without a token.
func (s *Service) AuthorizeMetrics(ctx context.Context, actor *gatehouse.User) error {
	if !IsInstanceAdmin(actor) {
		return gatehouse.Errorf(gatehouse.EFORBIDDEN, "Only global admins of the default directory can read the metrics.")
	}
	return nil
}

// CertificateMetrics returns every active and next (published) signing certificate of every directory and app,
// soonest expiry first. It is for the metrics collector, which has no acting user.
func (s *Service) CertificateMetrics(ctx context.Context) ([]CertificateMetric, error) {
	dirs, err := s.store.FindDirectories(ctx)
	if err != nil {
		return nil, err
	}
	now := s.now()
	var out []CertificateMetric
	for _, d := range dirs {
		owners := []string{""}
		apps, err := s.store.FindApps(ctx, d.ID, "")
		if err != nil {
			return nil, err
		}
		for _, a := range apps {
			owners = append(owners, a.ID)
		}
		for _, owner := range owners {
			cs, err := s.store.FindCertificates(ctx, d.ID, owner)
			if err != nil {
				return nil, err
			}
			for _, c := range cs {
				state, published := certState(c, now)
				if state != CertActive && (state != CertNext || !published) {
					continue
				}
				out = append(out, CertificateMetric{
					DirectoryID: d.ID, AppID: owner, ID: c.ID, Thumbprint: c.Thumbprint, State: state,
					NotAfter: c.NotAfter, Warning: expiryWarning(c.NotAfter, now),
				})
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].NotAfter.Before(out[j].NotAfter) })
	return out, nil
}
