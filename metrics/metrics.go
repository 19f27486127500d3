package metrics

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/gatehouse-idp/gatehouse/idp"
)

// Namespace starts the name of every Gatehouse metric.
const Namespace = "gatehouse"

// Hasher is what the metrics read of the password hasher (*password.Hasher).
type Hasher interface {
	// Running returns the number of hashes computed now, Waiting the number waiting for a slot, and Concurrency the
	// number of slots.
	Running() int
	Waiting() int
	Concurrency() int
}

// Options are what the metrics read from the rest of Gatehouse. Every field but Logger is required.
type Options struct {
	// Certificates returns the signing certificates whose expiry is reported (idp.Service.CertificateMetrics).
	Certificates func(ctx context.Context) ([]idp.CertificateMetric, error)
	Hasher       Hasher
	// Version is the version gatehouse_build_info reports; empty takes the module version of the binary.
	Version string
	// Logger logs what fails while metrics are gathered; nil discards it.
	Logger *slog.Logger
}

// Metrics is one server's registry with Gatehouse's metrics.
type Metrics struct {
	reg      *prometheus.Registry
	logger   *slog.Logger
	requests *prometheus.HistogramVec
	inFlight prometheus.Gauge
	signIns  *prometheus.CounterVec
	signOn   *prometheus.HistogramVec
}

// New returns the metrics on a new registry.
func New(opts Options) (*Metrics, error) {
	if opts.Certificates == nil || opts.Hasher == nil {
		return nil, fmt.Errorf("metrics: Certificates and Hasher are required")
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	m := &Metrics{
		reg:    prometheus.NewRegistry(),
		logger: opts.Logger,
		requests: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: Namespace, Subsystem: "http", Name: "request_duration_seconds",
			Help:    "Time to answer HTTP requests, by route pattern (\"unmatched\" for requests no route served), method and status code.",
			Buckets: prometheus.DefBuckets,
		}, []string{"route", "method", "code"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: Namespace, Subsystem: "http", Name: "requests_in_flight",
			Help: "HTTP requests being answered now.",
		}),
		signIns: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Name: "sign_ins_total",
			Help: "Sign-in attempts (passwords, codes and SAML sign-ons) this node answered since it started, by result, app (its ID; \"none\" when no app is known, as for a password; \"other\" for an app ID that names no app) and error code (\"other\" for a code outside the known set).",
		}, []string{"result", "app", "code"}),
		signOn: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: Namespace, Name: "sign_on_duration_seconds",
			Help:    "Time from the arrival of the request that completes a SAML sign-on to an app to its outcome, by result: the server's share of a sign-on, without the time a person spends on the sign-in form.",
			Buckets: prometheus.DefBuckets,
		}, []string{"result"}),
	}
	h := opts.Hasher
	cs := []prometheus.Collector{
		m.requests, m.inFlight, m.signIns, m.signOn,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		buildInfo(opts.Version),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: Namespace, Subsystem: "password", Name: "hashes_in_flight",
			Help: "Password hashes (argon2id) being computed now."}, func() float64 { return float64(h.Running()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: Namespace, Subsystem: "password", Name: "hashes_waiting",
			Help: "Password hashes waiting for a free slot (--hash-concurrency)."}, func() float64 { return float64(h.Waiting()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: Namespace, Subsystem: "password", Name: "hash_slots",
			Help: "Password hashes this node computes at once at most (--hash-concurrency)."}, func() float64 { return float64(h.Concurrency()) }),
		&certificates{find: opts.Certificates, logger: opts.Logger},
	}
	for _, c := range cs {
		if err := m.reg.Register(c); err != nil {
			return nil, fmt.Errorf("metrics: register: %w", err)
		}
	}
	return m, nil
}

// buildInfo returns the constant gauge gatehouse_build_info.
func buildInfo(version string) prometheus.Collector {
	revision := "unknown"
	if info, ok := debug.ReadBuildInfo(); ok {
		if version == "" && info.Main.Version != "" && info.Main.Version != "(devel)" {
			version = info.Main.Version
		}
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" && s.Value != "" {
				revision = s.Value
			}
		}
	}
	if version == "" {
		version = "devel"
	}
	g := prometheus.NewGauge(prometheus.GaugeOpts{
		Namespace: Namespace, Name: "build_info",
		Help:        "Always 1; its labels name the version of Gatehouse, the commit it was built from and the Go version.",
		ConstLabels: prometheus.Labels{"version": version, "revision": revision, "goversion": runtime.Version()},
	})
	g.Set(1)
	return g
}

// Handler serves the metrics in the Prometheus exposition format. When gathering some of them fails (the database
// does not answer for the certificates), it serves the others and logs the error.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{
		ErrorLog:      slog.NewLogLogger(m.logger.Handler(), slog.LevelWarn),
		ErrorHandling: promhttp.ContinueOnError,
	})
}

type startKey struct{}

// Instrument wraps the server's handler to time every request by route pattern, method and status. It must wrap a
// handler that passes the request it is given on to the ServeMux unchanged (without WithContext), because it reads
// the route pattern the mux sets on that request. Requests it times carry their start in the context, which
// SignIn reads for the sign-on latency.
func (m *Metrics) Instrument(next http.Handler) http.Handler {
	timed := promhttp.InstrumentHandlerInFlight(m.inFlight, promhttp.InstrumentHandlerDuration(m.requests, next,
		promhttp.WithLabelFromRequest("route", func(r *http.Request) string { return route(r.Pattern) })))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		timed.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), startKey{}, time.Now())))
	})
}

// route returns the route label of a ServeMux pattern: the path part of it ("/d/{dir}/saml2" of
// "GET /d/{dir}/saml2"), or "unmatched" when no route served the request (an unknown path, or a request refused
// before routing by the rate limit or the cross-origin check).
func route(pattern string) string {
	if pattern == "" {
		return "unmatched"
	}
	if _, path, ok := strings.Cut(pattern, " "); ok {
		return path
	}
	return pattern
}

var _ idp.Observer = (*Metrics)(nil)

// SignIn counts a sign-in, and for a SAML sign-on observes the time since its request arrived.
func (m *Metrics) SignIn(ctx context.Context, l idp.SignInLabels) {
	m.signIns.WithLabelValues(l.Result, l.App, l.Code).Inc()
	if start, ok := ctx.Value(startKey{}).(time.Time); ok && l.SignOn {
		m.signOn.WithLabelValues(l.Result).Observe(time.Since(start).Seconds())
	}
}

// Family is a counter family added with Counter.
type Family struct{ vec *prometheus.CounterVec }

// Add adds n (not negative) to the counter with the given label values, one per label name of the family. The
// values must come from a bounded set: every distinct combination is a time series of its own.
func (f *Family) Add(n float64, values ...string) { f.vec.WithLabelValues(values...).Add(n) }

// nameRE is what a metric or label name added through the hooks may look like.
var nameRE = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// Counter adds a counter family named gatehouse_<name> (name ends in _total) with the given label names to the
// registry, for parts of Gatehouse that count their own events (provisioning actions by result, for example).
func (m *Metrics) Counter(name, help string, labels ...string) (*Family, error) {
	if !nameRE.MatchString(name) || !strings.HasSuffix(name, "_total") || help == "" {
		return nil, fmt.Errorf("metrics: counter %q: want a name of a-z, 0-9 and _ ending in _total, and a help text", name)
	}
	for _, l := range labels {
		if !nameRE.MatchString(l) {
			return nil, fmt.Errorf("metrics: counter %q: label %q: want a-z, 0-9 and _", name, l)
		}
	}
	vec := prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: name, Help: help}, labels)
	if err := m.reg.Register(vec); err != nil {
		return nil, fmt.Errorf("metrics: counter %q: %w", name, err)
	}
	return &Family{vec: vec}, nil
}

// GaugeFunc adds a gauge named gatehouse_<name> whose value f returns at every scrape (a queue's depth, for
// example). f must be quick and safe for concurrent use.
func (m *Metrics) GaugeFunc(name, help string, f func() float64) error {
	if !nameRE.MatchString(name) || help == "" {
		return fmt.Errorf("metrics: gauge %q: want a name of a-z, 0-9 and _, and a help text", name)
	}
	if err := m.reg.Register(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: Namespace, Name: name, Help: help}, f)); err != nil {
		return fmt.Errorf("metrics: gauge %q: %w", name, err)
	}
	return nil
}
