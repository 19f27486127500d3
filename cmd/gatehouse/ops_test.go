package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gatehouse-idp/gatehouse/certs"
	"github.com/gatehouse-idp/gatehouse/gallery"
	"github.com/gatehouse-idp/gatehouse/idp"
	"github.com/gatehouse-idp/gatehouse/internal/smtpsink"
	"github.com/gatehouse-idp/gatehouse/password"
	"github.com/gatehouse-idp/gatehouse/sqlite"
)

// seedExpiring prepares a data directory as a first start would, but with signing certificates that expire in 20
// days: the directory's own and an app's, each with someone to notify.
func seedExpiring(t *testing.T, data string) {
	t.Helper()
	ctx := context.Background()
	kek, err := certs.LoadOrCreateKeyFile(filepath.Join(data, "gatehouse.key"))
	if err != nil {
		t.Fatal(err)
	}
	sealer, err := certs.NewSealer(kek)
	if err != nil {
		t.Fatal(err)
	}
	store, err := sqlite.Open(filepath.Join(data, "gatehouse.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	svc, err := idp.New(idp.Config{Store: store, Gallery: gallery.MustLoad(), Hasher: password.NewHasher(password.Params{Time: 1, MemoryKiB: 1024, Threads: 1, KeyLen: 32, SaltLen: 16}, 1),
		Sealer: sealer, PublicURL: "http://127.0.0.1", NameIDKey: kek, CertValidity: 20 * 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := svc.Bootstrap(ctx, "admin@contoso.com", "Correct-Horse-Battery-9"); err != nil {
		t.Fatal(err)
	}
	root, err := store.FindUserByName(ctx, "default", "admin@contoso.com")
	if err != nil {
		t.Fatal(err)
	}
	app, _, err := svc.AddApp(ctx, root, "default", idp.AppInput{GalleryID: "custom", Name: "Wiki"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.SetNotificationEmails(ctx, root, "default", app.ID, []string{"wiki-ops@contoso.com"}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.SetNotificationEmails(ctx, root, "default", "", []string{"it@contoso.com"}); err != nil {
		t.Fatal(err)
	}
}

// scrapeValue reads GET url (the metrics listener, no token) until the sample named by line (a metric name with
// its labels, as exposed) has a value of at least want, and returns the whole exposition.
func scrapeValue(t *testing.T, url, line string, want float64) string {
	t.Helper()
	re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(line) + ` (\S+)$`)
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d\n%s", url, resp.StatusCode, b)
		}
		if m := re.FindSubmatch(b); m != nil {
			if v, _ := strconv.ParseFloat(string(m[1]), 64); v >= want {
				return string(b)
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not reach %v within 30 s:\n%s", line, want, b)
		}
		select {
		case <-time.After(50 * time.Millisecond):
		case <-t.Context().Done():
			t.Fatal(t.Context().Err())
		}
	}
}

// TestServeMetricsAndNotices runs `gatehouse serve` with a metrics listener and an SMTP server: the metrics are
// served there without a token, the certificate expiry e-mails go out at start, and a second start on the same
// data sends nothing again.
func TestServeMetricsAndNotices(t *testing.T) {
	if testing.Short() {
		t.Skip("starts two servers; skipped in -short")
	}
	sink := smtpsink.Start(t, smtpsink.Options{})
	data := t.TempDir()
	seedExpiring(t, data)
	args := func(addr, metricsAddr string) []string {
		return []string{"--addr", addr, "--data", data, "--database-url", "", "--log-level", "error", "--rate-limit", "0",
			"--metrics-addr", metricsAddr, "--smtp-host", sink.Host, "--smtp-port", strconv.Itoa(sink.Port),
			"--smtp-tls", "none", "--smtp-from", "Gatehouse <gatehouse@contoso.com>"}
	}
	t.Run("First", func(t *testing.T) {
		addr, maddr := loopbackAddr(t), loopbackAddr(t)
		out := serveUntilHealthy(t, args(addr, maddr), "http://"+addr+"/healthz/ready")
		if want := "  Metrics:      http://" + maddr + "/metrics (no token)\n"; !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
		ms := sink.Wait(t, 2)
		got := map[string]string{}
		for _, m := range ms {
			got[strings.Join(m.RcptTos, ",")] = m.Subject()
		}
		for to, subject := range map[string]string{
			"wiki-ops@contoso.com": "Action required: the SAML signing certificate of Wiki expires in 19 days",
			"it@contoso.com":       "Action required: the signing certificate of directory Default Directory expires in 19 days",
		} {
			if !strings.HasPrefix(got[to], subject) {
				t.Errorf("mail to %s: subject %q, want it to start with %q", to, got[to], subject)
			}
		}
		text := scrapeValue(t, "http://"+maddr+"/metrics", "gatehouse_certificate_notices_sent_total", 2)
		for _, want := range []string{`gatehouse_certificate_notice_runs_total{result="ok"} 1`, "gatehouse_build_info{", "go_goroutines "} {
			if !strings.Contains(text, want) {
				t.Errorf("metrics lack %q", want)
			}
		}
		// The main listener still wants a token, and the metrics listener serves nothing else.
		if resp, err := http.Get("http://" + addr + "/metrics"); err != nil || resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("GET /metrics on --addr without a token: %v %v, want 401", resp.StatusCode, err)
		}
		if resp, err := http.Get("http://" + maddr + "/healthz"); err != nil || resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET /healthz on --metrics-addr: %v %v, want 404", resp.StatusCode, err)
		}
	})
	t.Run("Again", func(t *testing.T) {
		addr, maddr := loopbackAddr(t), loopbackAddr(t)
		serveUntilHealthy(t, args(addr, maddr), "http://"+addr+"/healthz/ready")
		scrapeValue(t, "http://"+maddr+"/metrics", `gatehouse_certificate_notice_runs_total{result="ok"}`, 1)
		if ms := sink.Messages(t); len(ms) != 2 {
			t.Errorf("after the second start the mail server holds %d mails, want the first 2", len(ms))
		}
	})
}

// TestServeMetricsAddr checks that the metrics listener, which needs no token, refuses an address beyond this
// machine unless --metrics-allow-remote says so.
func TestServeMetricsAddr(t *testing.T) {
	port := strconv.Itoa(mustPort(t))
	err := runServe(t.Context(), []string{"--addr", loopbackAddr(t), "--data", t.TempDir(), "--database-url", "",
		"--log-level", "error", "--metrics-addr", "0.0.0.0:" + port}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "listens beyond this machine") || !strings.Contains(err.Error(), "--metrics-allow-remote") {
		t.Fatalf("serve --metrics-addr 0.0.0.0:%s: %v, want a refusal that names --metrics-allow-remote", port, err)
	}
	addr := loopbackAddr(t)
	serveUntilHealthy(t, []string{"--addr", addr, "--data", t.TempDir(), "--database-url", "", "--log-level", "error",
		"--metrics-addr", "0.0.0.0:" + port, "--metrics-allow-remote"}, "http://"+addr+"/healthz", "http://127.0.0.1:"+port+"/metrics")
}

// mustPort returns a free TCP port.
func mustPort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// TestServeHelpListsOperations checks that `gatehouse serve --help` lists the operations flags with their
// environment variables, and never the SMTP password.
func TestServeHelpListsOperations(t *testing.T) {
	t.Setenv("GATEHOUSE_SMTP_PASSWORD", "smtp-secret-from-env")
	var stderr bytes.Buffer
	if err := runServe(t.Context(), []string{"--help"}, io.Discard, &stderr); err == nil {
		t.Fatal("serve --help ran the server")
	}
	var missing []string
	for _, flag := range []string{"metrics-addr", "metrics-allow-remote", "ready-timeout", "smtp-host", "smtp-port",
		"smtp-tls", "smtp-user", "smtp-password", "smtp-from", "cert-notice-interval"} {
		env := "GATEHOUSE_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
		if !strings.Contains(stderr.String(), "-"+flag) || !strings.Contains(stderr.String(), env) {
			missing = append(missing, flag)
		}
	}
	if strings.Contains(stderr.String(), "smtp-secret-from-env") {
		t.Errorf("serve --help shows the SMTP password from the environment:\n%s", stderr.String())
	}
	if d := cmp.Diff([]string(nil), missing); d != "" {
		t.Errorf("flags missing from serve --help (-want +got):\n%s\n%s", d, stderr.String())
	}
}

// TestServeSMTPSettings checks that bad SMTP settings stop the start with the flag to fix.
func TestServeSMTPSettings(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--smtp-host", "smtp.contoso.com", "--smtp-from", "gatehouse@contoso.com", "--smtp-tls", "none"}, "only for a mail server on this machine"},
		{[]string{"--smtp-host", "smtp.contoso.com"}, "--smtp-from"},
		{[]string{"--smtp-host", "smtp.contoso.com", "--smtp-from", "gatehouse@contoso.com", "--smtp-tls", "ssl"}, "--smtp-tls \"ssl\""},
		{[]string{"--smtp-host", "127.0.0.1", "--smtp-from", "gatehouse@contoso.com", "--cert-notice-interval", "0s"}, "--cert-notice-interval"},
	} {
		args := append([]string{"--addr", loopbackAddr(t), "--data", t.TempDir(), "--database-url", "", "--log-level", "error"}, tc.args...)
		if err := runServe(t.Context(), args, io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("serve %v: %v, want an error with %q", tc.args, err, tc.want)
		}
	}
}
