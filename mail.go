package gatehouse

import "context"

// Mail is a plain-text e-mail that Gatehouse sends.
type Mail struct {
	To      []string
	Subject string
	Text    string
}

// Mailer sends e-mail; package smtp implements it. Send returns once the mail server has accepted the mail for
// every recipient, or an error.
type Mailer interface {
	Send(ctx context.Context, m *Mail) error
}
