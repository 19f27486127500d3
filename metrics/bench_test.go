package metrics

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gatehouse-idp/gatehouse/idp"
)

// BenchmarkInstrument measures what timing a request costs: the same ServeMux route, bare and instrumented.
func BenchmarkInstrument(b *testing.B) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /d/{dir}/saml2", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) })
	m, err := New(Options{Certificates: func(context.Context) ([]idp.CertificateMetric, error) { return nil, nil }, Hasher: fakeHasher{}})
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name string
		h    http.Handler
	}{{"Bare", mux}, {"Instrumented", m.Instrument(mux)}} {
		b.Run(bc.name, func(b *testing.B) {
			req := httptest.NewRequest(http.MethodGet, "/d/default/saml2", nil)
			w := httptest.NewRecorder()
			b.ReportAllocs()
			for b.Loop() {
				bc.h.ServeHTTP(w, req)
			}
		})
	}
}

// BenchmarkSignIn measures counting a sign-on and observing its latency.
func BenchmarkSignIn(b *testing.B) {
	m, err := New(Options{Certificates: func(context.Context) ([]idp.CertificateMetric, error) { return nil, nil }, Hasher: fakeHasher{}})
	if err != nil {
		b.Fatal(err)
	}
	var ctx context.Context
	m.Instrument(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { ctx = r.Context() })).
		ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil))
	l := idp.SignInLabels{Result: "success", App: "abcdefghijklmnopqrstuvwxyz", SignOn: true}
	b.ReportAllocs()
	for b.Loop() {
		m.SignIn(ctx, l)
	}
}
