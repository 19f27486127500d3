package smtp_test

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/gatehouse-idp/gatehouse"
	"github.com/gatehouse-idp/gatehouse/internal/smtpsink"
	"github.com/gatehouse-idp/gatehouse/smtp"
)

// TestSend sends a mail to a real SMTP server (aiosmtpd) in each TLS mode, with and without authentication, and
// reads what the server received: envelope, headers, body, the authenticated user and whether it was encrypted.
func TestSend(t *testing.T) {
	for _, tc := range []struct {
		name       string
		sink       smtpsink.Options
		tls        string
		user, pass string
	}{
		{"PlainOnLoopback", smtpsink.Options{}, smtp.TLSNone, "", ""},
		{"PlainOnLoopbackWithAuth", smtpsink.Options{User: "relay", Password: "s3cret"}, smtp.TLSNone, "relay", "s3cret"},
		{"StartTLSWithAuth", smtpsink.Options{TLS: smtpsink.TLSStartTLS, User: "relay", Password: "s3cret"}, smtp.TLSStartTLS, "relay", "s3cret"},
		{"ImplicitTLSWithAuth", smtpsink.Options{TLS: smtpsink.TLSImplicit, User: "relay", Password: "s3cret"}, smtp.TLSImplicit, "relay", "s3cret"},
		{"ImplicitTLS", smtpsink.Options{TLS: smtpsink.TLSImplicit}, smtp.TLSImplicit, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sink := smtpsink.Start(t, tc.sink)
			s, err := smtp.New(smtp.Config{Host: sink.Host, Port: sink.Port, TLS: tc.tls, Username: tc.user, Password: tc.pass,
				From: "Gatehouse <gatehouse@contoso.com>", TLSConfig: sink.TLSConfig()})
			if err != nil {
				t.Fatal(err)
			}
			text := "Line one.\nA long line that goes on and on past the seventy-six characters quoted-printable allows on a line = and more.\nÜmlaut line.\n"
			err = s.Send(context.Background(), &gatehouse.Mail{To: []string{"ops@contoso.com", "sec@contoso.com"},
				Subject: "Action required: Wiki – certificate", Text: text})
			if err != nil {
				t.Fatal(err)
			}
			ms := sink.Wait(t, 1)
			m := ms[0]
			if d := cmp.Diff([]string{"ops@contoso.com", "sec@contoso.com"}, m.RcptTos); d != "" {
				t.Errorf("recipients mismatch (-want +got):\n%s", d)
			}
			if m.MailFrom != "gatehouse@contoso.com" {
				t.Errorf("envelope sender %q", m.MailFrom)
			}
			if got := m.Subject(); got != "Action required: Wiki – certificate" {
				t.Errorf("subject %q", got)
			}
			if !strings.Contains(m.Header.Get("From"), "gatehouse@contoso.com") || !strings.Contains(m.Header.Get("To"), "sec@contoso.com") {
				t.Errorf("From %q, To %q", m.Header.Get("From"), m.Header.Get("To"))
			}
			if m.Header.Get("Message-Id") == "" || m.Header.Get("Date") == "" {
				t.Errorf("no Message-ID or Date:\n%s", m.Data)
			}
			if m.Body != text {
				t.Errorf("body mismatch (-want +got):\n%s", cmp.Diff(text, m.Body))
			}
			if m.AuthUser != tc.user {
				t.Errorf("authenticated as %q, want %q", m.AuthUser, tc.user)
			}
			if m.TLS != (tc.tls != smtp.TLSNone) {
				t.Errorf("encrypted = %v with --smtp-tls %s", m.TLS, tc.tls)
			}
		})
	}
}

// TestSendFails checks that a mail the server does not accept is an error, and that nothing arrives.
func TestSendFails(t *testing.T) {
	for _, tc := range []struct {
		name string
		sink smtpsink.Options
		cfg  func(c *smtp.Config)
	}{
		{"WrongPassword", smtpsink.Options{TLS: smtpsink.TLSStartTLS, User: "relay", Password: "s3cret"},
			func(c *smtp.Config) { c.TLS, c.Username, c.Password = smtp.TLSStartTLS, "relay", "wrong" }},
		{"NoCredentials", smtpsink.Options{TLS: smtpsink.TLSStartTLS, User: "relay", Password: "s3cret"},
			func(c *smtp.Config) { c.TLS = smtp.TLSStartTLS }},
		{"StartTLSNotOffered", smtpsink.Options{},
			func(c *smtp.Config) { c.TLS = smtp.TLSStartTLS }},
		{"UntrustedCertificate", smtpsink.Options{TLS: smtpsink.TLSImplicit},
			func(c *smtp.Config) { c.TLS, c.TLSConfig = smtp.TLSImplicit, nil }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sink := smtpsink.Start(t, tc.sink)
			cfg := smtp.Config{Host: sink.Host, Port: sink.Port, TLS: smtp.TLSNone, From: "gatehouse@contoso.com", TLSConfig: sink.TLSConfig()}
			tc.cfg(&cfg)
			s, err := smtp.New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Send(context.Background(), &gatehouse.Mail{To: []string{"ops@contoso.com"}, Subject: "x", Text: "x"}); err == nil {
				t.Fatal("Send succeeded")
			}
			if ms := sink.Messages(t); len(ms) != 0 {
				t.Errorf("the server received %d messages", len(ms))
			}
		})
	}
}

// TestConfigValidate checks the settings refused before any connection, each with the flag to fix.
func TestConfigValidate(t *testing.T) {
	ok := smtp.Config{Host: "smtp.contoso.com", Port: 587, TLS: smtp.TLSStartTLS, From: "gatehouse@contoso.com"}
	for _, tc := range []struct {
		name   string
		change func(c *smtp.Config)
		want   string // "" for valid
	}{
		{"Valid", func(c *smtp.Config) {}, ""},
		{"ValidImplicit", func(c *smtp.Config) { c.TLS, c.Port = smtp.TLSImplicit, 465 }, ""},
		{"PlainOnLoopback", func(c *smtp.Config) { c.TLS, c.Host = smtp.TLSNone, "127.0.0.1" }, ""},
		{"PlainOnLocalhost", func(c *smtp.Config) { c.TLS, c.Host = smtp.TLSNone, "localhost" }, ""},
		{"PlainOnIPv6Loopback", func(c *smtp.Config) { c.TLS, c.Host = smtp.TLSNone, "::1" }, ""},
		{"NoHost", func(c *smtp.Config) { c.Host = "" }, "--smtp-host"},
		{"BadPort", func(c *smtp.Config) { c.Port = 0 }, "--smtp-port"},
		{"BadMode", func(c *smtp.Config) { c.TLS = "ssl" }, "--smtp-tls \"ssl\""},
		{"PlainElsewhere", func(c *smtp.Config) { c.TLS = smtp.TLSNone }, "only for a mail server on this machine"},
		{"PasswordWithoutUser", func(c *smtp.Config) { c.Password = "x" }, "--smtp-user"},
		{"NoFrom", func(c *smtp.Config) { c.From = "" }, "--smtp-from"},
		{"BadFrom", func(c *smtp.Config) { c.From = "gatehouse" }, "--smtp-from"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := ok
			tc.change(&c)
			err := c.Validate()
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("Validate: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("Validate: %v, want an error with %q", err, tc.want)
			}
		})
	}
}
