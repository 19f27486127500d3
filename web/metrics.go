package web

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/gatehouse-idp/gatehouse/idp"
)

// metrics serves GET /metrics in the Prometheus text format, for an API token of an instance admin (Prometheus
// sends it with `authorization: {credentials: gh_…}`): every active and next signing certificate's expiry and
// warning level, and this node's sign-in attempts by result.
func (s *Server) metrics(w http.ResponseWriter, r *http.Request) error {
	m, err := s.Service.Metrics(r.Context(), userFrom(r))
	if err != nil {
		return err
	}
	var b strings.Builder
	b.WriteString("# HELP gatehouse_certificate_expiry_timestamp_seconds When a signing certificate that signs (active) or will sign (next) expires, in Unix time.\n")
	b.WriteString("# TYPE gatehouse_certificate_expiry_timestamp_seconds gauge\n")
	for _, c := range m.Certificates {
		fmt.Fprintf(&b, "gatehouse_certificate_expiry_timestamp_seconds%s %d\n", certLabels(c), c.NotAfter.Unix())
	}
	b.WriteString("# HELP gatehouse_certificate_expiry_warning_days The expiry warning due for a signing certificate: 60, 30 or 7 (days), -1 when it has expired, 0 when none is due.\n")
	b.WriteString("# TYPE gatehouse_certificate_expiry_warning_days gauge\n")
	for _, c := range m.Certificates {
		fmt.Fprintf(&b, "gatehouse_certificate_expiry_warning_days%s %d\n", certLabels(c), c.Warning)
	}
	b.WriteString("# HELP gatehouse_sign_ins_total Sign-in attempts (passwords, codes and SAML sign-ons) this node answered since it started, by result.\n")
	b.WriteString("# TYPE gatehouse_sign_ins_total counter\n")
	for _, result := range []string{"success", "failure"} {
		fmt.Fprintf(&b, "gatehouse_sign_ins_total{result=%q} %d\n", result, m.SignIns[result])
	}
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, err = w.Write([]byte(b.String()))
	return err
}

// certLabels returns a certificate's label set.
func certLabels(c idp.CertificateMetric) string {
	return fmt.Sprintf(`{directory="%s",app="%s",certificate="%s",thumbprint="%s",state="%s"}`,
		labelValue(c.DirectoryID), labelValue(c.AppID), labelValue(c.ID), labelValue(c.Thumbprint), labelValue(c.State))
}

// labelValue escapes a Prometheus label value.
func labelValue(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s)
}
