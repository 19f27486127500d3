package smtp

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/gatehouse-idp/gatehouse"
)

// TLS modes: how the connection to the mail server is encrypted.
const (
	// TLSStartTLS connects in plain text and requires STARTTLS before anything is sent (submission, port 587).
	TLSStartTLS = "starttls"
	// TLSImplicit speaks TLS from the first byte (SMTPS, port 465).
	TLSImplicit = "tls"
	// TLSNone sends in plain text; it is allowed only for a mail server on the loopback interface (a local relay,
	// or a test).
	TLSNone = "none"
)

// DefaultTimeout bounds connecting to the mail server and each command.
const DefaultTimeout = 30 * time.Second

// Config is how to reach the mail server.
type Config struct {
	Host string
	Port int
	// TLS is TLSStartTLS, TLSImplicit or TLSNone.
	TLS string
	// Username and Password authenticate to the server when Username is set (the best mechanism both offer).
	Username, Password string
	// From is the sender's address, e.g. "Gatehouse <gatehouse@contoso.com>".
	From string
	// TLSConfig, when set, replaces the default TLS configuration (the system's roots, the server's name as Host),
	// for a server with a certificate from a private CA.
	TLSConfig *tls.Config
	// Timeout bounds connecting and each command (DefaultTimeout when zero).
	Timeout time.Duration
}

// Validate returns an error naming the setting that is missing or wrong, as a flag name of `gatehouse serve`.
func (c *Config) Validate() error {
	switch {
	case c.Host == "":
		return errors.New("--smtp-host is required")
	case c.Port < 1 || c.Port > 65535:
		return fmt.Errorf("--smtp-port %d: want a port number, 1 to 65535 (587 for STARTTLS, 465 for TLS)", c.Port)
	case c.TLS != TLSStartTLS && c.TLS != TLSImplicit && c.TLS != TLSNone:
		return fmt.Errorf("--smtp-tls %q: choose starttls, tls or none", c.TLS)
	case c.TLS == TLSNone && !loopback(c.Host):
		return fmt.Errorf("--smtp-tls none sends mail (and any password) in plain text, so it is only for a mail server on this machine (127.0.0.1, ::1 or localhost), not %s: use starttls or tls", c.Host)
	case c.Password != "" && c.Username == "":
		return errors.New("--smtp-password needs --smtp-user")
	}
	a, err := mail.ParseAddress(c.From)
	if err != nil || a.Address == "" {
		return fmt.Errorf("--smtp-from %q: want an e-mail address, e.g. \"Gatehouse <gatehouse@contoso.com>\"", c.From)
	}
	return nil
}

// loopback reports whether host names this machine.
func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Sender sends mail through one SMTP server, one connection per message. It is safe for concurrent use.
type Sender struct {
	cfg  Config
	from *mail.Address
}

var _ gatehouse.Mailer = (*Sender)(nil)

// New returns a Sender for the server cfg describes, or the error of Validate.
func New(cfg Config) (*Sender, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	from, _ := mail.ParseAddress(cfg.From) // Validate parsed it
	return &Sender{cfg: cfg, from: from}, nil
}

// options returns go-mail's client options for the configuration.
func (s *Sender) options() []gomail.Option {
	c := s.cfg
	opts := []gomail.Option{gomail.WithPort(c.Port), gomail.WithTimeout(c.Timeout)}
	switch c.TLS {
	case TLSStartTLS:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	case TLSImplicit:
		opts = append(opts, gomail.WithSSL())
	case TLSNone:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	}
	if c.TLSConfig != nil {
		opts = append(opts, gomail.WithTLSConfig(c.TLSConfig))
	}
	if c.Username != "" {
		// Over TLS, the best mechanism both sides offer. Without TLS (loopback only) go-mail's discovery refuses the
		// mechanisms that send the password, so PLAIN is chosen, which go-mail allows to a loopback server.
		auth := gomail.SMTPAuthAutoDiscover
		if c.TLS == TLSNone {
			auth = gomail.SMTPAuthPlain
		}
		opts = append(opts, gomail.WithSMTPAuth(auth), gomail.WithUsername(c.Username), gomail.WithPassword(c.Password))
	}
	return opts
}

// Send sends m as a plain-text mail to each of m.To, and returns once the server has accepted it for every one.
func (s *Sender) Send(ctx context.Context, m *gatehouse.Mail) error {
	if len(m.To) == 0 {
		return errors.New("smtp: a mail without recipients")
	}
	msg := gomail.NewMsg()
	msg.FromMailAddress(s.from)
	if err := msg.To(m.To...); err != nil {
		return fmt.Errorf("smtp: recipients: %w", err)
	}
	msg.Subject(m.Subject)
	msg.SetDate()
	msg.SetMessageID()
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	client, err := gomail.NewClient(s.cfg.Host, s.options()...)
	if err != nil {
		return fmt.Errorf("smtp: %w", err)
	}
	if err := client.DialAndSendWithContext(ctx, msg); err != nil {
		return fmt.Errorf("smtp: send to %s: %w", net.JoinHostPort(s.cfg.Host, fmt.Sprint(s.cfg.Port)), err)
	}
	return nil
}
