package metrics

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gatehouse-idp/gatehouse/idp"
)

// gatherTimeout bounds the database reads of one scrape.
const gatherTimeout = 10 * time.Second

var certLabels = []string{"directory", "app", "certificate", "thumbprint", "state"}

var (
	expiryDesc = prometheus.NewDesc(Namespace+"_certificate_expiry_timestamp_seconds",
		"When a signing certificate that signs (state=\"active\") or will sign (state=\"next\") expires, in Unix time; app is empty for a directory's own certificate.",
		certLabels, nil)
	// The warning level was gatehouse_certificate_expiry_warning_days until promtool's lint (units other than
	// seconds are refused) made it lose the suffix; the values are the same.
	warningDesc = prometheus.NewDesc(Namespace+"_certificate_expiry_warning",
		"The expiry warning due for a signing certificate, as the threshold reached in days before expiry: 60, 30 or 7; -1 when it has expired, 0 when none is due.",
		certLabels, nil)
)

// certificates collects the expiry of every active and next signing certificate, read from the store at each
// scrape: what an admin changes shows at the next scrape, on every node.
type certificates struct {
	find   func(ctx context.Context) ([]idp.CertificateMetric, error)
	logger *slog.Logger
}

// Describe implements prometheus.Collector.
func (c *certificates) Describe(ch chan<- *prometheus.Desc) {
	ch <- expiryDesc
	ch <- warningDesc
}

// Collect implements prometheus.Collector.
func (c *certificates) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), gatherTimeout)
	defer cancel()
	list, err := c.find(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(expiryDesc, err)
		return
	}
	for _, m := range list {
		labels := []string{m.DirectoryID, m.AppID, m.ID, m.Thumbprint, m.State}
		ch <- prometheus.MustNewConstMetric(expiryDesc, prometheus.GaugeValue, float64(m.NotAfter.Unix()), labels...)
		ch <- prometheus.MustNewConstMetric(warningDesc, prometheus.GaugeValue, float64(m.Warning), labels...)
	}
}
