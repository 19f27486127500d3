package gatehouse

import (
	"net/mail"
	"strings"
	"time"
)

// MaxNotificationEmails is how many addresses an app or a directory may list for certificate expiry notices, as
// in Entra ID.
const MaxNotificationEmails = 5

// maxEmailLength is the longest e-mail address accepted (RFC 5321's limit on a forward path).
const maxEmailLength = 254

// NormalizeNotificationEmails checks a list of addresses that certificate expiry notices go to and returns it
// trimmed, without empty entries and without repeats (ignoring case): at most MaxNotificationEmails plain
// addresses (local@domain, no display name), each at most 254 bytes. EINVALID with field "emails" otherwise.
func NormalizeNotificationEmails(list []string) ([]string, error) {
	out := []string{}
	seen := map[string]bool{}
	for _, e := range list {
		e = strings.TrimSpace(e)
		if e == "" || seen[strings.ToLower(e)] {
			continue
		}
		if err := checkEmail(e); err != nil {
			return nil, err
		}
		seen[strings.ToLower(e)] = true
		out = append(out, e)
	}
	if len(out) > MaxNotificationEmails {
		return nil, FieldErrorf("emails", "At most %d notification e-mail addresses are allowed; %d were given.", MaxNotificationEmails, len(out))
	}
	return out, nil
}

// checkEmail returns EINVALID unless e is one plain e-mail address.
func checkEmail(e string) error {
	shown := e
	if len(shown) > 64 {
		shown = shown[:64] + "…"
	}
	if len(e) > maxEmailLength {
		return FieldErrorf("emails", "The e-mail address %q is longer than %d characters.", shown, maxEmailLength)
	}
	a, err := mail.ParseAddress(e)
	if err != nil || a.Name != "" || a.Address != e || !strings.Contains(e, "@") {
		return FieldErrorf("emails", "%q is not an e-mail address such as ops@contoso.com.", shown)
	}
	return nil
}

// CertificateNotice is the e-mail that warns of a signing certificate's expiry at one threshold: 60, 30 or 7 days
// before it expires. The store keeps one per certificate and threshold, so that every node together sends each
// notice once.
type CertificateNotice struct {
	DirectoryID   string `json:"directoryId"`
	CertificateID string `json:"certificateId"`
	Days          int    `json:"days"`
	// ClaimedAt is when a node began to send it; SentAt is when the mail server accepted it, zero until then.
	ClaimedAt time.Time `json:"claimedAt"`
	SentAt    time.Time `json:"sentAt"`
}
