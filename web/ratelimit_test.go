package web_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/gatehouse-idp/gatehouse/idp"
	"github.com/gatehouse-idp/gatehouse/internal/testserver"
	"github.com/gatehouse-idp/gatehouse/web"
)

// TestRateLimit floods the server from one address (SECURITY-CASES 43): after the burst, every request is answered
// 429 with Retry-After, in JSON on the API and as text elsewhere.
func TestRateLimit(t *testing.T) {
	// A rate so low that no token comes back during the test, however slow the machine.
	srv := testserver.Start(t, testserver.Options{Configure: func(_ *idp.Config, w *web.Server) {
		w.RateLimit, w.RateBurst = 0.001, 2
	}})
	get := func(path string) (*http.Response, string) {
		t.Helper()
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp, string(b)
	}
	for i := range 2 {
		if resp, _ := get("/healthz"); resp.StatusCode != http.StatusOK {
			t.Fatalf("request %d of the burst: status %d, want 200", i+1, resp.StatusCode)
		}
	}
	tests := []struct {
		path, contentType, body string
	}{
		{"/api/v1/me", "application/json", `"code": "rate_limited"`},
		{"/d/default/login", "text/plain", "Too many requests"},
		{"/healthz", "text/plain", "Too many requests"},
	}
	for _, tt := range tests {
		resp, body := get(tt.path)
		if resp.StatusCode != http.StatusTooManyRequests {
			t.Errorf("%s after the burst: status %d, want 429", tt.path, resp.StatusCode)
			continue
		}
		if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err != nil || s < 1 || s > 1000 {
			t.Errorf("%s: Retry-After %q, want the seconds until the next token (1 to 1000)", tt.path, resp.Header.Get("Retry-After"))
		}
		if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, tt.contentType) || !strings.Contains(body, tt.body) {
			t.Errorf("%s: %s %q, want %s with %q", tt.path, ct, body, tt.contentType, tt.body)
		}
		if tt.contentType == "application/json" && !json.Valid([]byte(body)) {
			t.Errorf("%s: the body is not JSON: %q", tt.path, body)
		}
	}
}
