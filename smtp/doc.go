// Package smtp sends Gatehouse's e-mail (the certificate expiry notices) through an SMTP server, with
// github.com/wneessen/go-mail: STARTTLS, implicit TLS (SMTPS) or, for a mail server on this machine only, no TLS,
// and optional authentication. It implements gatehouse.Mailer.
package smtp
