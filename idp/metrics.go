package idp

import (
	"context"
	"sort"
	"sync/atomic"
	"time"

	"github.com/gatehouse-idp/gatehouse"
)

// signInCounters counts sign-in log entries by result since the process started.
type signInCounters struct {
	success, failure atomic.Int64
}

func (c *signInCounters) add(result string) {
	if result == gatehouse.ResultSuccess {
		c.success.Add(1)
	} else {
		c.failure.Add(1)
	}
}

// Metrics is what the metrics endpoint reports: the state of every active and next signing certificate, so that
// monitoring can warn before one expires (the portal, the API and the log warn too), and this node's sign-ins.
type Metrics struct {
	Certificates []CertificateMetric
	// SignIns counts this node's sign-in attempts since it started, by result ("success", "failure").
	SignIns map[string]int64
}

// CertificateMetric is one signing certificate that signs or will sign.
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

// Metrics gathers the metrics. Only instance admins may read them: they name every directory and app.
func (s *Service) Metrics(ctx context.Context, actor *gatehouse.User) (*Metrics, error) {
	if !IsInstanceAdmin(actor) {
		return nil, gatehouse.Errorf(gatehouse.EFORBIDDEN, "Only global admins of the default directory can read the metrics.")
	}
	dirs, err := s.store.FindDirectories(ctx)
	if err != nil {
		return nil, err
	}
	now := s.now()
	m := &Metrics{SignIns: map[string]int64{
		gatehouse.ResultSuccess: s.signIns.success.Load(), gatehouse.ResultFailure: s.signIns.failure.Load(),
	}}
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
				m.Certificates = append(m.Certificates, CertificateMetric{
					DirectoryID: d.ID, AppID: owner, ID: c.ID, Thumbprint: c.Thumbprint, State: state,
					NotAfter: c.NotAfter, Warning: expiryWarning(c.NotAfter, now),
				})
			}
		}
	}
	sort.SliceStable(m.Certificates, func(i, j int) bool { return m.Certificates[i].NotAfter.Before(m.Certificates[j].NotAfter) })
	return m, nil
}
