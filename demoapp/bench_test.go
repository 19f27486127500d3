package demoapp

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// BenchmarkACS measures the assertion consumer service end to end in process: form parsing, signature and
// condition checks, the replay cache, the member lookup and the new session. Responses are signed outside the timer.
func BenchmarkACS(b *testing.B) {
	e := newBenchEnv(b)
	h := e.app.Handler()
	const batch = 256
	bodies := make([]string, 0, batch)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if len(bodies) == 0 {
			b.StopTimer()
			for j := 0; j < batch; j++ {
				bodies = append(bodies, url.Values{"SAMLResponse": {e.response(member("ada@example.com", "Ada", "L"))}}.Encode())
			}
			b.StartTimer()
		}
		body := bodies[len(bodies)-1]
		bodies = bodies[:len(bodies)-1]
		req := httptest.NewRequest(http.MethodPost, e.app.ACSURL(), strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusSeeOther {
			b.Fatalf("status %d: %s", rec.Code, rec.Body.String())
		}
	}
}

// BenchmarkDashboard measures rendering the dashboard for a signed-in member.
func BenchmarkDashboard(b *testing.B) {
	e := newBenchEnv(b)
	h := e.app.Handler()
	req := httptest.NewRequest(http.MethodPost, e.app.ACSURL(), strings.NewReader(url.Values{"SAMLResponse": {e.response(member("ada@example.com", "", ""))}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	cookies := rec.Result().Cookies()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		req := httptest.NewRequest(http.MethodGet, "/dashboard", nil)
		for _, c := range cookies {
			req.AddCookie(c)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d", rec.Code)
		}
	}
}
