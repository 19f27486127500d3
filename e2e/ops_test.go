package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-idp/gatehouse/internal/smtpsink"
	"github.com/gatehouse-idp/gatehouse/internal/tooltest"
)

// opsServer is `gatehouse serve` with its metrics listener and an SMTP server, after two wrong passwords, a password
// sign-in and a SAML sign-on, so that every metric has a sample.
type opsServer struct {
	*server
	// MetricsURL is the metrics listener's /metrics.
	MetricsURL string
}

func startOpsServer(t *testing.T) *opsServer {
	t.Helper()
	sink := smtpsink.Start(t, smtpsink.Options{})
	maddr := freeAddr(t)
	s := &opsServer{MetricsURL: "http://" + maddr + "/metrics"}
	s.server = startServer(t, "GATEHOUSE_ADMIN_USER="+adminUser, "GATEHOUSE_ADMIN_PASSWORD="+adminPassword,
		"GATEHOUSE_METRICS_ADDR="+maddr, "GATEHOUSE_SMTP_HOST="+sink.Host, "GATEHOUSE_SMTP_PORT="+strconv.Itoa(sink.Port),
		"GATEHOUSE_SMTP_TLS=none", "GATEHOUSE_SMTP_FROM=gatehouse@contoso.com")
	api := &apiClient{t: t, base: s.URL}
	for range 2 {
		api.call("POST", "/api/v1/tokens", map[string]string{"userName": adminUser, "password": "wrong password", "name": "x"}, http.StatusUnauthorized, nil)
	}
	var tok struct{ Token string }
	api.call("POST", "/api/v1/tokens", map[string]string{"userName": adminUser, "password": adminPassword, "name": "ops"}, http.StatusCreated, &tok)
	api.token = tok.Token
	var app struct{ ID string }
	api.call("POST", "/api/v1/directories/default/apps", map[string]string{"galleryId": "custom", "name": "Wiki"}, http.StatusCreated, &app)
	api.call("PATCH", "/api/v1/directories/default/apps/"+app.ID, map[string]any{"assignmentRequired": false}, http.StatusOK, nil)
	api.call("PATCH", "/api/v1/directories/default/apps/"+app.ID+"/saml", map[string]any{
		"entityId": "https://wiki.example.test/saml", "replyUrls": []string{"https://wiki.example.test/saml/acs"}}, http.StatusOK, nil)
	b := newBrowser(t)
	if p := b.post(s.URL+"/d/default/login", map[string]string{"userName": adminUser, "password": adminPassword}); p.Status != http.StatusSeeOther {
		t.Fatalf("sign in: %d\n%s", p.Status, p.Body)
	}
	if p := b.get(s.URL + "/d/default/apps/" + app.ID + "/signin"); p.Status != http.StatusOK || !strings.Contains(p.Body, "SAMLResponse") {
		t.Fatalf("IdP-initiated sign-on: %d\n%s", p.Status, p.Body)
	}
	return s
}

// exposition reads the metrics listener (no token) until the notice job's first run is in it.
func (s *opsServer) exposition(t *testing.T) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(s.MetricsURL)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d\n%s", s.MetricsURL, resp.StatusCode, b)
		}
		if strings.Contains(string(b), "gatehouse_certificate_notice_runs_total{") {
			return string(b)
		}
		if time.Now().After(deadline) {
			t.Fatalf("the certificate notice job did not run within 30 s:\n%s", b)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// exposedNames returns the names of the samples in an exposition (a histogram's _bucket, _sum and _count).
func exposedNames(text string) map[string]bool {
	names := map[string]bool{}
	for _, line := range strings.Split(text, "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		names[line[:strings.IndexAny(line, "{ ")]] = true
	}
	return names
}

// dashboard is the part of docs/grafana-dashboard.json the tests read.
type dashboard struct {
	exprs []string // every PromQL expression of every panel
	vars  []string // the metric names of the template variables' label_values queries
}

// readDashboard reads docs/grafana-dashboard.json: every "expr" anywhere in it, and the label_values queries.
func readDashboard(t *testing.T) dashboard {
	t.Helper()
	b, err := os.ReadFile("../docs/grafana-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("docs/grafana-dashboard.json: %v", err)
	}
	var d dashboard
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				if s, ok := x.(string); ok && k == "expr" {
					d.exprs = append(d.exprs, s)
				}
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(doc)
	for _, m := range regexp.MustCompile(`label_values\(\s*([a-zA-Z_:][a-zA-Z0-9_:]*)`).FindAllStringSubmatch(string(b), -1) {
		d.vars = append(d.vars, m[1])
	}
	return d
}

var (
	promStrings  = regexp.MustCompile(`"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|` + "`[^`]*`")
	promBraces   = regexp.MustCompile(`\{[^{}]*\}`)
	promRanges   = regexp.MustCompile(`\[[^\[\]]*\]`)
	promGrouping = regexp.MustCompile(`\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^()]*\)`)
	promTokens   = regexp.MustCompile(`[0-9][0-9a-zA-Z_.]*|[a-zA-Z_:][a-zA-Z0-9_:]*(?:\s*\()?`)
	promKeywords = map[string]bool{"and": true, "or": true, "unless": true, "bool": true, "offset": true, "by": true,
		"without": true, "on": true, "ignoring": true, "group_left": true, "group_right": true, "inf": true, "nan": true}
)

// metricNames returns the metric names a PromQL expression reads: what is left of it without strings, label
// matchers, ranges, groupings, numbers, keywords and the names of functions and aggregations (followed by "(").
func metricNames(expr string) []string {
	s := promStrings.ReplaceAllString(expr, " ")
	s = promBraces.ReplaceAllString(s, " ")
	s = promRanges.ReplaceAllString(s, " ")
	s = promGrouping.ReplaceAllString(s, " ")
	var out []string
	for _, tok := range promTokens.FindAllString(s, -1) {
		if tok[0] >= '0' && tok[0] <= '9' || strings.HasSuffix(tok, "(") || promKeywords[strings.ToLower(tok)] {
			continue
		}
		out = append(out, tok)
	}
	return out
}

func TestMetricNames(t *testing.T) {
	for expr, want := range map[string][]string{
		`sum by (route) (rate(gatehouse_http_request_duration_seconds_count{job=~"$job",code=~"5.."}[$__rate_interval]))`: {"gatehouse_http_request_duration_seconds_count"},
		`histogram_quantile(0.95, sum by (le) (rate(a_bucket[5m]))) > bool 0.5 or vector(0)`:                              {"a_bucket"},
		`(b - time()) / 86400 and on (instance) c offset 1h`:                                                              {"b", "c"},
		`count(d{x="sum(e)"} == -1)`: {"d"},
	} {
		if got := metricNames(expr); !slices.Equal(got, want) {
			t.Errorf("metricNames(%s) = %v, want %v", expr, got, want)
		}
	}
}

// alertRules returns the alert rules docs/operations.md suggests (the YAML block that starts with "groups:") and
// their expressions.
func alertRules(t *testing.T) (string, []string) {
	t.Helper()
	b, err := os.ReadFile("../docs/operations.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)```yaml\n(groups:.*?)```").FindSubmatch(b)
	if m == nil {
		t.Fatal("docs/operations.md has no alert rules")
	}
	var exprs []string
	for _, e := range regexp.MustCompile(`(?m)^\s+expr: (.+)$`).FindAllSubmatch(m[1], -1) {
		exprs = append(exprs, string(e[1]))
	}
	return string(m[1]), exprs
}

// TestGrafanaDashboard checks docs/grafana-dashboard.json, and the alert rules of docs/operations.md, against a
// running Gatehouse: every metric name any panel, variable or rule reads is one Gatehouse exposes, and every
// gatehouse_ metric has a panel.
func TestGrafanaDashboard(t *testing.T) {
	d := readDashboard(t)
	if len(d.exprs) < 15 || len(d.vars) < 2 {
		t.Fatalf("%d expressions and %d variables found in the dashboard", len(d.exprs), len(d.vars))
	}
	s := startOpsServer(t)
	exposed := exposedNames(s.exposition(t))
	used := map[string]bool{}
	for _, expr := range d.exprs {
		names := metricNames(expr)
		if len(names) == 0 {
			t.Errorf("no metric in %s", expr)
		}
		for _, n := range names {
			used[n] = true
			if !exposed[n] {
				t.Errorf("the dashboard reads %s, which Gatehouse does not expose (in %s)", n, expr)
			}
		}
	}
	for _, n := range d.vars {
		if !exposed[n] {
			t.Errorf("a dashboard variable reads %s, which Gatehouse does not expose", n)
		}
	}
	_, rules := alertRules(t)
	if len(rules) < 5 {
		t.Errorf("%d alert rules found in docs/operations.md", len(rules))
	}
	for _, expr := range rules {
		for _, n := range metricNames(expr) {
			if !exposed[n] {
				t.Errorf("the alert rule %s in docs/operations.md reads %s, which Gatehouse does not expose", expr, n)
			}
		}
	}
	var unused []string
	for n := range exposed {
		family := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(n, "_bucket"), "_sum"), "_count")
		if strings.HasPrefix(n, "gatehouse_") && !used[n] && !used[family+"_bucket"] && !used[family+"_count"] && !used[family+"_sum"] {
			unused = append(unused, n)
		}
	}
	sort.Strings(unused)
	if len(unused) > 0 {
		t.Errorf("no panel shows %v", unused)
	}
}

// prometheus is a running Prometheus server (Debian's prometheus package).
type prometheus struct {
	t   *testing.T
	url string
}

// startPrometheus runs Prometheus on a loopback port, scraping target (host:port) every second, until the test
// ends.
func startPrometheus(t *testing.T, target string) *prometheus {
	t.Helper()
	bin := tooltest.Require(t, "prometheus", "prometheus")
	dir := t.TempDir()
	config := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(config, []byte(fmt.Sprintf(`global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: gatehouse
    static_configs:
      - targets: [%q]
`, target)), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, "--config.file="+config, "--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr, "--log.level=warn")
	out := &strings.Builder{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("prometheus output:\n%s", out)
		}
	})
	p := &prometheus{t: t, url: "http://" + addr}
	p.await("Prometheus is ready", func() bool {
		resp, err := http.Get(p.url + "/-/ready")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	return p
}

// await waits up to a minute for cond, checking every 100 ms.
func (p *prometheus) await(what string, cond func() bool) {
	p.t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			p.t.Fatalf("%s: not within a minute", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// query runs an instant PromQL query through the HTTP API and returns its status, error and results' values.
func (p *prometheus) query(q string) (status, errText string, values []string) {
	p.t.Helper()
	resp, err := http.Get(p.url + "/api/v1/query?query=" + url.QueryEscape(q))
	if err != nil {
		p.t.Fatal(err)
	}
	defer resp.Body.Close()
	var r struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			Result []struct {
				Value [2]any `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		p.t.Fatalf("query %s: %v", q, err)
	}
	for _, x := range r.Data.Result {
		values = append(values, fmt.Sprint(x.Value[1]))
	}
	return r.Status, r.Error, values
}

// TestPrometheus has a real Prometheus scrape `gatehouse serve --metrics-addr` and answers PromQL queries for the
// sign-ins it counted, and runs every expression of the Grafana dashboard; promtool checks the alert rules of
// docs/operations.md.
func TestPrometheus(t *testing.T) {
	tooltest.Require(t, "prometheus", "prometheus")
	rules, _ := alertRules(t)
	file := filepath.Join(t.TempDir(), "rules.yml")
	if err := os.WriteFile(file, []byte(rules), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(tooltest.Require(t, "promtool", "prometheus"), "check", "rules", file).CombinedOutput(); err != nil {
		t.Errorf("promtool check rules on the alert rules of docs/operations.md: %v\n%s", err, out)
	}
	s := startOpsServer(t)
	target := strings.TrimSuffix(strings.TrimPrefix(s.MetricsURL, "http://"), "/metrics")
	p := startPrometheus(t, target)
	for q, want := range map[string]string{
		`sum(gatehouse_sign_ins_total{job="gatehouse",result="failure",code="GH6001"})`: "2",
		`sum(gatehouse_sign_ins_total{job="gatehouse",result="success",app="none"})`:    "2", // the token and the sign-in page
		`sum(gatehouse_sign_ins_total{job="gatehouse",result="success",app!="none"})`:   "1", // the sign-on
		`sum(gatehouse_sign_on_duration_seconds_count{job="gatehouse"})`:                "1",
		`count(gatehouse_build_info{job="gatehouse"})`:                                  "1",
	} {
		p.await("query "+q+" = "+want, func() bool {
			status, _, values := p.query(q)
			return status == "success" && len(values) == 1 && values[0] == want
		})
	}
	vars := strings.NewReplacer("$__rate_interval", "1m", "$__range", "1h", "$__interval", "15s", "$job", ".+", "$instance", ".+")
	for _, expr := range readDashboard(t).exprs {
		if status, errText, _ := p.query(vars.Replace(expr)); status != "success" {
			t.Errorf("the dashboard's %s does not run: %s", expr, errText)
		}
	}
}
