package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/idp"
	"github.com/gatehouse-idp/gatehouse/metrics"
)

// secretValue is a string flag whose value --help never prints, even when it came from the environment.
type secretValue struct{ p *string }

func (v secretValue) String() string {
	return ""
}

func (v secretValue) Set(s string) error {
	*v.p = s
	return nil
}

// listenMetrics listens on the metrics address. The metrics are served there without a token, so an address beyond
// this machine is refused unless allowRemote: a Prometheus on the same host (or a sidecar) scrapes loopback.
func listenMetrics(addr string, allowRemote bool) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("--metrics-addr: %w", err)
	}
	if tcp, ok := ln.Addr().(*net.TCPAddr); ok && !tcp.IP.IsLoopback() && !allowRemote {
		ln.Close()
		return nil, fmt.Errorf("--metrics-addr %s listens beyond this machine and serves the metrics without a token: "+
			"use a loopback address such as 127.0.0.1:9464, or add --metrics-allow-remote if the network is yours", addr)
	}
	return ln, nil
}

// metricsServer serves GET /metrics on the metrics listener, and nothing else.
func metricsServer(m *metrics.Metrics, logger *slog.Logger) *http.Server {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.Handler())
	return &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, WriteTimeout: 60 * time.Second,
		IdleTimeout: 120 * time.Second, MaxHeaderBytes: 16 << 10,
		ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
}

// listenPprof listens on the profiler's address, which must be loopback: a profile shows what the server runs, and
// its endpoints cost CPU, so they are never offered beyond this machine.
func listenPprof(addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("--pprof-addr: %w", err)
	}
	if tcp, ok := ln.Addr().(*net.TCPAddr); ok && !tcp.IP.IsLoopback() {
		ln.Close()
		return nil, fmt.Errorf("--pprof-addr %s listens beyond this machine: use a loopback address such as 127.0.0.1:6060", addr)
	}
	return ln, nil
}

// pprofServer serves Go's profiler under /debug/pprof/ on the profiler's listener, and nothing else.
func pprofServer(logger *slog.Logger) *http.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /debug/pprof/", pprof.Index)
	mux.HandleFunc("GET /debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	return &http.Server{
		Handler: mux, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 120 * time.Second, MaxHeaderBytes: 16 << 10,
		ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
}

// noticeJob sends the certificate expiry e-mails that are due, at start and then every interval, and counts its
// runs and the notices it sent in the metrics.
type noticeJob struct {
	svc    *idp.Service
	mailer gatehouse.Mailer
	logger *slog.Logger
	runs   *metrics.Family
	sent   *metrics.Family
}

func newNoticeJob(svc *idp.Service, mailer gatehouse.Mailer, m *metrics.Metrics, logger *slog.Logger) (*noticeJob, error) {
	runs, err := m.Counter("certificate_notice_runs_total",
		"Runs of the certificate expiry e-mail job, by result: ok, or error when a notice could not be sent (it is tried again at the next run).", "result")
	if err != nil {
		return nil, err
	}
	sent, err := m.Counter("certificate_notices_sent_total", "Certificate expiry e-mails this node sent.")
	if err != nil {
		return nil, err
	}
	return &noticeJob{svc: svc, mailer: mailer, logger: logger, runs: runs, sent: sent}, nil
}

// run runs the job until ctx is done.
func (j *noticeJob) run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		j.once(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// once sends the notices due now.
func (j *noticeJob) once(ctx context.Context) {
	n, err := j.svc.SendCertificateNotices(ctx, j.mailer)
	j.sent.Add(float64(n))
	if err != nil {
		if ctx.Err() == nil {
			j.runs.Add(1, "error")
			j.logger.Warn("certificate expiry e-mails", "sent", n, "err", err)
		}
		return
	}
	j.runs.Add(1, "ok")
	if n > 0 {
		j.logger.Info("certificate expiry e-mails", "sent", n)
	}
}
