package web_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"os/exec"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/idp"
	"github.com/gatehouse-idp/gatehouse/internal/testserver"
	"github.com/gatehouse-idp/gatehouse/internal/tooltest"
)

// getMetrics reads GET /metrics with an API token ("" for none) and returns the status and the body.
func getMetrics(t *testing.T, srv *testserver.Server, token string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/metrics", nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// parseMetrics parses the exposition format.
func parseMetrics(t *testing.T, text string) map[string]*dto.MetricFamily {
	t.Helper()
	p := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := p.TextToMetricFamilies(strings.NewReader(text))
	if err != nil {
		t.Fatalf("parse the metrics: %v\n%s", err, text)
	}
	return mfs
}

// sample returns the sample of family name whose labels include want, or nil.
func sample(mfs map[string]*dto.MetricFamily, name string, want map[string]string) *dto.Metric {
	mf := mfs[name]
	if mf == nil {
		return nil
	}
	for _, m := range mf.GetMetric() {
		got := map[string]string{}
		for _, l := range m.GetLabel() {
			got[l.GetName()] = l.GetValue()
		}
		match := true
		for k, v := range want {
			if got[k] != v {
				match = false
			}
		}
		if match {
			return m
		}
	}
	return nil
}

// metricsWorld is a test server with a custom app set up for IdP-initiated sign-on, an instance admin's API token,
// a wrong password, a sign-on, a sign-on to an app that does not exist, and an unknown path behind it.
type metricsWorld struct {
	srv        *testserver.Server
	app        *gatehouse.App
	next       *gatehouse.Certificate
	adminToken string
}

func newMetricsWorld(t *testing.T) *metricsWorld {
	t.Helper()
	srv := testserver.Start(t, testserver.Options{})
	ctx := context.Background()
	svc := srv.Service
	root := mustAdmin(t, srv)
	app, _, err := svc.AddApp(ctx, root, "default", idp.AppInput{GalleryID: "custom", Name: "Wiki"})
	if err != nil {
		t.Fatal(err)
	}
	st := app.SAML
	st.EntityID, st.ReplyURLs = "https://wiki.example.com/saml", []string{"https://wiki.example.com/saml/acs"}
	notRequired := false
	if app, err = svc.UpdateApp(ctx, root, "default", app.ID, idp.AppPatch{SAML: &st, AssignmentRequired: &notRequired}); err != nil {
		t.Fatal(err)
	}
	next, err := svc.CreateNextCertificate(ctx, root, "default", app.ID)
	if err != nil {
		t.Fatal(err)
	}
	w := &metricsWorld{srv: srv, app: app, next: next}
	c := newPortalClient(t, srv)
	if p := c.post("/d/default/login", url.Values{"userName": {testserver.AdminUser}, "password": {"wrong password"}}); p.Status != http.StatusUnauthorized {
		t.Fatalf("a wrong password: status %d", p.Status)
	}
	c.signIn("default", testserver.AdminUser, testserver.AdminPassword)
	if p := c.get("/d/default/apps/" + app.ID + "/signin"); p.Status != http.StatusOK || !strings.Contains(p.Body, "SAMLResponse") {
		t.Fatalf("IdP-initiated sign-on: status %d\n%s", p.Status, p.Body)
	}
	if p := c.get("/d/default/apps/nosuchappxxxxxxxxxxxxxxxxx/signin"); p.Status == http.StatusOK {
		t.Fatalf("sign-on to an app that does not exist: status %d", p.Status)
	}
	if p := c.get("/no/such/page"); p.Status != http.StatusNotFound {
		t.Fatalf("unknown path: status %d", p.Status)
	}
	if w.adminToken, _, err = svc.Login(ctx, "default", testserver.AdminUser, testserver.AdminPassword, "metrics"); err != nil {
		t.Fatal(err)
	}
	return w
}

// TestMetrics reads GET /metrics: an instance admin's token gets the Prometheus exposition of every active and next
// signing certificate's expiry, sign-ins by result, app and code, sign-on latency, request durations by route,
// password hashing, Go, the process and the build; others are refused.
func TestMetrics(t *testing.T) {
	w := newMetricsWorld(t)
	srv, ctx := w.srv, context.Background()
	_, pw, err := srv.Service.CreateUser(ctx, mustAdmin(t, srv), "default", idp.UserInput{UserName: "ops@contoso.com", FirstName: "O", LastName: "P", Role: gatehouse.RoleAppAdmin})
	if err != nil {
		t.Fatal(err)
	}
	ops, _ := srv.Store.FindUserByName(ctx, "default", "ops@contoso.com")
	if err := srv.Service.ChangePassword(ctx, ops, pw, "a long passphrase for monitoring"); err != nil {
		t.Fatal(err)
	}
	opsToken, _, err := srv.Service.Login(ctx, "default", "ops@contoso.com", "a long passphrase for monitoring", "metrics")
	if err != nil {
		t.Fatal(err)
	}
	if status, _ := getMetrics(t, srv, ""); status != http.StatusUnauthorized {
		t.Errorf("without a token: %d, want 401", status)
	}
	if status, _ := getMetrics(t, srv, opsToken); status != http.StatusForbidden {
		t.Errorf("an app admin's token: %d, want 403", status)
	}
	status, body := getMetrics(t, srv, w.adminToken)
	if status != http.StatusOK {
		t.Fatalf("the instance admin's token: %d\n%s", status, body)
	}
	mfs := parseMetrics(t, body)

	for _, tc := range []struct {
		name   string
		family string
		labels map[string]string
		check  func(m *dto.Metric) bool
	}{
		{"DirectoryCertificate", "gatehouse_certificate_expiry_timestamp_seconds", map[string]string{"directory": "default", "app": "", "state": "active"},
			func(m *dto.Metric) bool { return m.GetGauge().GetValue() > 1e9 }},
		{"AppCertificate", "gatehouse_certificate_expiry_timestamp_seconds", map[string]string{"directory": "default", "app": w.app.ID, "state": "active"},
			func(m *dto.Metric) bool { return m.GetGauge().GetValue() > 1e9 }},
		{"NextCertificateWarning", "gatehouse_certificate_expiry_warning", map[string]string{"app": w.app.ID, "certificate": w.next.ID, "thumbprint": w.next.Thumbprint, "state": "next"},
			func(m *dto.Metric) bool { return m.GetGauge().GetValue() == 0 }},
		{"WrongPassword", "gatehouse_sign_ins_total", map[string]string{"result": "failure", "app": "none", "code": idp.CodeBadCredentials},
			func(m *dto.Metric) bool { return m.GetCounter().GetValue() == 1 }},
		{"PasswordSignIn", "gatehouse_sign_ins_total", map[string]string{"result": "success", "app": "none", "code": ""},
			func(m *dto.Metric) bool { return m.GetCounter().GetValue() >= 1 }},
		{"SignOn", "gatehouse_sign_ins_total", map[string]string{"result": "success", "app": w.app.ID, "code": ""},
			func(m *dto.Metric) bool { return m.GetCounter().GetValue() == 1 }},
		// The sign-in log names no app that does not exist, so the refusal counts under app "none".
		{"SignOnToNoApp", "gatehouse_sign_ins_total", map[string]string{"result": "failure", "app": "none", "code": idp.CodeAppNotFound},
			func(m *dto.Metric) bool { return m.GetCounter().GetValue() == 1 }},
		{"SignOnLatency", "gatehouse_sign_on_duration_seconds", map[string]string{"result": "success"},
			func(m *dto.Metric) bool { return m.GetHistogram().GetSampleCount() == 1 }},
		{"RouteOfSignIn", "gatehouse_http_request_duration_seconds", map[string]string{"route": "/d/{dir}/login", "method": "post", "code": "303"},
			func(m *dto.Metric) bool { return m.GetHistogram().GetSampleCount() == 1 }},
		{"RouteOfSignOn", "gatehouse_http_request_duration_seconds", map[string]string{"route": "/d/{dir}/apps/{app}/signin", "method": "get", "code": "200"},
			func(m *dto.Metric) bool { return m.GetHistogram().GetSampleCount() == 1 }},
		{"UnknownPath", "gatehouse_http_request_duration_seconds", map[string]string{"route": "unmatched", "method": "get", "code": "404"},
			func(m *dto.Metric) bool { return m.GetHistogram().GetSampleCount() == 1 }},
		{"HashSlots", "gatehouse_password_hash_slots", nil, func(m *dto.Metric) bool { return m.GetGauge().GetValue() == 2 }},
		{"HashesInFlight", "gatehouse_password_hashes_in_flight", nil, func(m *dto.Metric) bool { return m.GetGauge().GetValue() == 0 }},
		{"HashesWaiting", "gatehouse_password_hashes_waiting", nil, func(m *dto.Metric) bool { return m.GetGauge().GetValue() == 0 }},
		{"BuildInfo", "gatehouse_build_info", nil, func(m *dto.Metric) bool { return m.GetGauge().GetValue() == 1 }},
		{"GoRuntime", "go_goroutines", nil, func(m *dto.Metric) bool { return m.GetGauge().GetValue() > 0 }},
		{"Process", "process_resident_memory_bytes", nil, func(m *dto.Metric) bool { return m.GetGauge().GetValue() > 0 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := sample(mfs, tc.family, tc.labels)
			if m == nil {
				t.Fatalf("no %s%v in:\n%s", tc.family, tc.labels, grepLines(body, tc.family))
			}
			if !tc.check(m) {
				t.Errorf("%s%v has an unexpected value: %v", tc.family, tc.labels, m)
			}
		})
	}
	if n := len(mfs["gatehouse_certificate_expiry_timestamp_seconds"].GetMetric()); n != 3 {
		t.Errorf("%d certificates reported, want 3 (the directory's, the app's active and next)", n)
	}
	for _, l := range sample(mfs, "gatehouse_build_info", nil).GetLabel() {
		if l.GetValue() == "" {
			t.Errorf("gatehouse_build_info has an empty label %s", l.GetName())
		}
	}
}

// grepLines returns the lines of text that start with prefix, for failure messages.
func grepLines(text, prefix string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// TestMetricsPromtool checks the whole exposition, after sign-ins and sign-ons, with promtool from Debian's
// prometheus package: `promtool check metrics` must find nothing to complain about.
func TestMetricsPromtool(t *testing.T) {
	promtool := tooltest.Require(t, "promtool", "prometheus")
	w := newMetricsWorld(t)
	status, body := getMetrics(t, w.srv, w.adminToken)
	if status != http.StatusOK {
		t.Fatalf("GET /metrics: %d", status)
	}
	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = strings.NewReader(body)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("promtool check metrics: %v\n%s", err, out)
	}
}
