package web

import (
	"net/http"

	"github.com/gatehouse-idp/gatehouse"
)

// errNoMetrics answers GET /metrics on a server built without metrics.
var errNoMetrics = gatehouse.Errorf(gatehouse.ENOTFOUND, "This server has no metrics.")

// metrics serves GET /metrics in the Prometheus exposition format to an API token of an instance admin (Prometheus
// sends it with `authorization: {credentials: gh_…}`). The metrics listener of `gatehouse serve --metrics-addr`
// serves the same without a token.
func (s *Server) metrics(w http.ResponseWriter, r *http.Request) error {
	if err := s.Service.AuthorizeMetrics(r.Context(), userFrom(r)); err != nil {
		return err
	}
	if s.Metrics == nil {
		return errNoMetrics
	}
	w.Header().Set("Cache-Control", "no-store")
	s.Metrics.ServeHTTP(w, r)
	return nil
}
