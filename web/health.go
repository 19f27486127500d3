package web

import (
	"context"
	"net/http"
	"time"
)

// defaultReadyTimeout bounds the readiness check when Server.ReadyTimeout is zero.
const defaultReadyTimeout = 2 * time.Second

// readyTimeout returns the bound on the health checks.
func (s *Server) readyTimeout() time.Duration {
	if s.ReadyTimeout > 0 {
		return s.ReadyTimeout
	}
	return defaultReadyTimeout
}

// healthz serves GET /healthz: 200 when the node reads the database within the readiness bound, 503 otherwise. It is the check load balancers
// were pointed at before /healthz/ready existed, and answers as it did.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), s.readyTimeout())
	defer cancel()
	if err := s.Service.CheckDatabase(ctx); err != nil {
		s.Logger.Warn("health check: the database does not answer", "err", err, "correlation_id", correlationID(r))
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// healthLive serves GET /healthz/live: 200 whenever the process answers HTTP, whatever the state of what it depends
// on. A failing liveness check means restart the process; a database outage is not a reason to.
func (s *Server) healthLive(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// readiness is the answer of GET /healthz/ready: the overall status and each check's, "ok" or "failed". Why a check
// failed goes to the log, not to whoever asks.
type readiness struct {
	Status string            `json:"status"`
	Checks map[string]string `json:"checks"`
}

// healthReady serves GET /healthz/ready: 200 when this node can serve sign-ins (the database answers within
// ReadyTimeout, its schema is current, the instance key opens the signing keys), 503 otherwise.
func (s *Server) healthReady(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), s.readyTimeout())
	defer cancel()
	out := readiness{Status: "ok", Checks: map[string]string{}}
	for _, c := range s.Service.Ready(ctx) {
		out.Checks[c.Name] = "ok"
		if c.Err != nil {
			out.Status, out.Checks[c.Name] = "unavailable", "failed"
			s.Logger.Warn("readiness check failed", "check", c.Name, "err", c.Err, "correlation_id", correlationID(r))
		}
	}
	status := http.StatusOK
	if out.Status != "ok" {
		status = http.StatusServiceUnavailable
	}
	writeJSON(w, status, out)
}
