package metrics

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-idp/gatehouse/idp"
)

type fakeHasher struct{ running, waiting, slots int }

func (h fakeHasher) Running() int     { return h.running }
func (h fakeHasher) Waiting() int     { return h.waiting }
func (h fakeHasher) Concurrency() int { return h.slots }

func newMetrics(t *testing.T) *Metrics {
	t.Helper()
	m, err := New(Options{
		Certificates: func(context.Context) ([]idp.CertificateMetric, error) {
			return []idp.CertificateMetric{{DirectoryID: "default", ID: "c1", Thumbprint: "AB", State: idp.CertActive,
				NotAfter: time.Unix(1_900_000_000, 0), Warning: 30}}, nil
		},
		Hasher: fakeHasher{running: 2, waiting: 5, slots: 4},
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// scrape returns the exposition.
func scrape(t *testing.T, m *Metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d", rec.Code)
	}
	b, _ := io.ReadAll(rec.Body)
	return string(b)
}

func wantLines(t *testing.T, text string, lines ...string) {
	t.Helper()
	for _, l := range lines {
		if !strings.Contains(text, "\n"+l+"\n") {
			t.Errorf("no line %q in:\n%s", l, text)
		}
	}
}

func TestRoute(t *testing.T) {
	for pattern, want := range map[string]string{
		"GET /d/{dir}/saml2": "/d/{dir}/saml2",
		"/api/":              "/api/",
		"":                   "unmatched",
	} {
		if got := route(pattern); got != want {
			t.Errorf("route(%q) = %q, want %q", pattern, got, want)
		}
	}
}

// TestGauges checks the password hashing gauges and the certificate collector.
func TestGauges(t *testing.T) {
	text := scrape(t, newMetrics(t))
	wantLines(t, text,
		"gatehouse_password_hashes_in_flight 2",
		"gatehouse_password_hashes_waiting 5",
		"gatehouse_password_hash_slots 4",
		`gatehouse_certificate_expiry_timestamp_seconds{app="",certificate="c1",directory="default",state="active",thumbprint="AB"} 1.9e+09`,
		`gatehouse_certificate_expiry_warning{app="",certificate="c1",directory="default",state="active",thumbprint="AB"} 30`,
	)
}

// TestCertificatesFail checks that metrics are still served when the certificates cannot be read.
func TestCertificatesFail(t *testing.T) {
	m, err := New(Options{
		Certificates: func(context.Context) ([]idp.CertificateMetric, error) { return nil, context.DeadlineExceeded },
		Hasher:       fakeHasher{slots: 1},
	})
	if err != nil {
		t.Fatal(err)
	}
	text := scrape(t, m)
	wantLines(t, text, "gatehouse_password_hash_slots 1")
	if strings.Contains(text, "gatehouse_certificate_expiry_timestamp_seconds{") {
		t.Errorf("certificates reported although they could not be read:\n%s", text)
	}
}

// TestSignIn checks the sign-in counter and that only sign-ons in a timed request reach the latency histogram.
func TestSignIn(t *testing.T) {
	m := newMetrics(t)
	m.SignIn(context.Background(), idp.SignInLabels{Result: "failure", App: "none", Code: "GH6001"})
	var h http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m.SignIn(r.Context(), idp.SignInLabels{Result: "success", App: "a1", SignOn: true})
		m.SignIn(r.Context(), idp.SignInLabels{Result: "success", App: "none"})
	})
	m.Instrument(h).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil))
	text := scrape(t, m)
	wantLines(t, text,
		`gatehouse_sign_ins_total{app="none",code="GH6001",result="failure"} 1`,
		`gatehouse_sign_ins_total{app="a1",code="",result="success"} 1`,
		`gatehouse_sign_ins_total{app="none",code="",result="success"} 1`,
		`gatehouse_sign_on_duration_seconds_count{result="success"} 1`,
		`gatehouse_http_request_duration_seconds_count{code="200",method="get",route="unmatched"} 1`,
		"gatehouse_http_requests_in_flight 0",
	)
}

// TestHooks adds metrics the way a later part of Gatehouse does, and checks what the hooks refuse.
func TestHooks(t *testing.T) {
	m := newMetrics(t)
	actions, err := m.Counter("provisioning_actions_total", "Provisioning actions by result.", "result")
	if err != nil {
		t.Fatal(err)
	}
	actions.Add(3, "success")
	actions.Add(1, "failure")
	depth := 7
	if err := m.GaugeFunc("provisioning_queue_depth", "Provisioning actions waiting.", func() float64 { return float64(depth) }); err != nil {
		t.Fatal(err)
	}
	wantLines(t, scrape(t, m),
		`gatehouse_provisioning_actions_total{result="success"} 3`,
		`gatehouse_provisioning_actions_total{result="failure"} 1`,
		"gatehouse_provisioning_queue_depth 7",
	)
	for name, err := range map[string]error{
		"taken":                    errOf(m.Counter("provisioning_actions_total", "Again.", "result")),
		"no _total":                errOf(m.Counter("provisioning_actions", "Counter without _total.")),
		"bad name":                 errOf(m.Counter("Bad-Name_total", "Upper case.")),
		"bad label":                errOf(m.Counter("x_total", "Label.", "Result")),
		"no help":                  errOf(m.Counter("y_total", "")),
		"gauge bad name":           m.GaugeFunc("queue depth", "Space.", func() float64 { return 0 }),
		"gauge taken":              m.GaugeFunc("provisioning_queue_depth", "Again.", func() float64 { return 0 }),
		"collides with a built-in": errOf(m.Counter("sign_ins_total", "Taken by the sign-in counter.", "x")),
	} {
		if err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func errOf(_ *Family, err error) error { return err }
