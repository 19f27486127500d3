package certs

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"strings"
	"time"

	"github.com/gatehouse-idp/gatehouse"
)

// MaxUpload is the largest certificate Parse accepts, in bytes.
const MaxUpload = 64 << 10

// MinRSABits is the smallest RSA key Check accepts.
const MinRSABits = 2048

// Field is the input field that the errors of Parse and Check name; callers that take a certificate in another
// field rename it (see InField).
const Field = "certificate"

// Parse reads one X.509 certificate from data in whichever form people hand one over: PEM (one CERTIFICATE block,
// LF or CRLF, text around it allowed), DER, or the base64 of the DER — a Base64 .cer file, the body of a PEM block
// pasted without its BEGIN and END lines, the text of a metadata X509Certificate element — with white space and a
// byte-order mark allowed. It is the one place Gatehouse reads a certificate it is given: the API, the portal,
// the CLI, SP metadata and the demo app all call it.
//
// Parse does not judge the certificate; Check does. Every error is a *gatehouse.Error naming Field, with a message
// that says what the data is instead: ETOOLARGE over MaxUpload, EINVALID for an empty file, federation metadata
// XML, a private key, a certificate signing request, a bare public key, another PEM block, several certificates
// (each listed), damaged PEM or anything else that is not a certificate. It never panics.
func Parse(data []byte) (*x509.Certificate, error) {
	if len(data) > MaxUpload {
		return nil, &gatehouse.Error{Code: gatehouse.ETOOLARGE, Field: Field,
			Message: gatehouse.Messagef("The certificate is %d KiB, over the %d KiB allowed; a certificate is a few KiB. Give the Base64 (.cer) or PEM certificate.", (len(data)+1023)>>10, MaxUpload>>10)}
	}
	der, err := certificateDER(data)
	if err != nil {
		return nil, err
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		if isPrivateKeyDER(der) {
			return nil, errPrivateKey()
		}
		return nil, invalid("This is not a readable X.509 certificate. Give the certificate as PEM, Base64 (.cer) or DER.")
	}
	return c, nil
}

// Check refuses a certificate that Gatehouse cannot verify signatures with or encrypt for: one whose key is not RSA
// of at least MinRSABits bits, or, unless now is the zero time, one that is not valid at now. SP metadata is checked
// with a zero now: many SPs keep signing with a certificate past its date, and metadata trusts the key. Errors are
// EINVALID *gatehouse.Error values naming Field.
func Check(c *x509.Certificate, now time.Time) error {
	switch k := c.PublicKey.(type) {
	case *rsa.PublicKey:
		if n := k.N.BitLen(); n < MinRSABits {
			return invalid("The certificate has a %d-bit RSA key; at least %d bits are required.", n, MinRSABits)
		}
	case *ecdsa.PublicKey:
		return invalid("The certificate has an ECDSA key; Gatehouse needs an RSA key of at least %d bits.", MinRSABits)
	case ed25519.PublicKey:
		return invalid("The certificate has an Ed25519 key; Gatehouse needs an RSA key of at least %d bits.", MinRSABits)
	default:
		return invalid("The certificate's key type is not supported; Gatehouse needs an RSA key of at least %d bits.", MinRSABits)
	}
	if now.IsZero() {
		return nil
	}
	if now.Before(c.NotBefore) {
		return invalid("The certificate is not valid yet: it becomes valid on %s.", c.NotBefore.UTC().Format(time.RFC3339))
	}
	if now.After(c.NotAfter) {
		return invalid("The certificate expired on %s; give a current one.", c.NotAfter.UTC().Format(time.RFC3339))
	}
	return nil
}

// ParseUploaded reads a certificate an administrator gives (Parse) and checks it at now (Check).
func ParseUploaded(data []byte, now time.Time) (*x509.Certificate, error) {
	c, err := Parse(data)
	if err != nil {
		return nil, err
	}
	if err := Check(c, now); err != nil {
		return nil, err
	}
	return c, nil
}

// InField returns err naming field instead of Field, for a certificate taken in another input field.
func InField(err error, field string) error {
	if e, ok := err.(*gatehouse.Error); ok && e.Field == Field {
		renamed := *e
		renamed.Field = field
		return &renamed
	}
	return err
}

func invalid(format string, args ...any) *gatehouse.Error {
	return gatehouse.FieldErrorf(Field, format, args...)
}

func errPrivateKey() *gatehouse.Error {
	return invalid("This is a private key, not a certificate. Give the certificate (-----BEGIN CERTIFICATE-----) and keep the private key secret: it is never needed here.")
}

// certificateDER finds the DER bytes of the certificate in data, or returns the reason there are none.
func certificateDER(data []byte) ([]byte, error) {
	if len(data) > 0 && data[0] == 0x30 {
		// DER starts with a SEQUENCE tag; it is binary, so it is not trimmed like text.
		return data, nil
	}
	trimmed := bytes.TrimSpace(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")))
	switch {
	case len(trimmed) == 0:
		return nil, invalid("The certificate is empty.")
	case trimmed[0] == '<':
		return nil, invalid("This is federation metadata XML, not a certificate; give the Base64 certificate (.cer) instead, or import the metadata.")
	case bytes.Contains(trimmed, []byte("-----BEGIN ")):
		return pemDER(trimmed)
	}
	if b, ok := bareBase64(trimmed); ok {
		return b, nil
	}
	return data, nil
}

// maxPEMBlocks bounds the blocks pemDER reads.
const maxPEMBlocks = 64

// pemDER returns the DER of the one CERTIFICATE block in PEM data.
func pemDER(data []byte) ([]byte, error) {
	var ders [][]byte
	rest := data
	for range maxPEMBlocks {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		switch b.Type {
		case "CERTIFICATE", "X509 CERTIFICATE", "TRUSTED CERTIFICATE":
			ders = append(ders, b.Bytes)
		case "PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY", "ENCRYPTED PRIVATE KEY", "DSA PRIVATE KEY", "OPENSSH PRIVATE KEY":
			return nil, errPrivateKey()
		case "CERTIFICATE REQUEST", "NEW CERTIFICATE REQUEST":
			return nil, invalid("This is a certificate signing request, not a certificate; give the certificate that was issued for it.")
		case "PUBLIC KEY", "RSA PUBLIC KEY":
			return nil, invalid("This is a bare public key, not a certificate; give the certificate that contains it.")
		default:
			return nil, invalid("The PEM block %q is not a certificate; give one CERTIFICATE block.", printable(b.Type))
		}
	}
	switch {
	case len(ders) == 0:
		return nil, invalid("The PEM data is damaged: no complete BEGIN/END CERTIFICATE block could be read.")
	case len(ders) > 1:
		return nil, invalid("%d certificates found: %s. Give only the one certificate the app uses, not its chain.", len(ders), describeAll(ders))
	}
	return ders[0], nil
}

// describeAll names each certificate by its subject and expiry, for a message listing them.
func describeAll(ders [][]byte) string {
	const most = 5
	var parts []string
	for i, der := range ders {
		if i == most {
			parts = append(parts, "…")
			break
		}
		c, err := x509.ParseCertificate(der)
		if err != nil {
			parts = append(parts, "an unreadable one")
			continue
		}
		name := c.Subject.CommonName
		if name == "" {
			name = c.Subject.String()
		}
		parts = append(parts, gatehouse.Quote(printableName(name))+" (expires "+c.NotAfter.UTC().Format("2006-01-02")+")")
	}
	return strings.Join(parts, ", ")
}

// bareBase64 decodes data that is only base64 (the body of a PEM block pasted without its BEGIN and END lines).
func bareBase64(data []byte) ([]byte, bool) {
	compact := make([]byte, 0, len(data))
	for _, c := range data {
		switch {
		case c == '\r' || c == '\n' || c == ' ' || c == '\t':
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '+', c == '/', c == '=':
			compact = append(compact, c)
		default:
			return nil, false
		}
	}
	b, err := base64.StdEncoding.DecodeString(string(compact))
	if err != nil || len(b) == 0 || b[0] != 0x30 {
		return nil, false
	}
	return b, true
}

func isPrivateKeyDER(der []byte) bool {
	if _, err := x509.ParsePKCS8PrivateKey(der); err == nil {
		return true
	}
	if _, err := x509.ParsePKCS1PrivateKey(der); err == nil {
		return true
	}
	if _, err := x509.ParseECPrivateKey(der); err == nil {
		return true
	}
	return false
}

// printable returns at most 40 of the letters, digits, spaces and hyphens of s, for quoting untrusted text in
// messages.
func printable(s string) string {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s) && len(b) < 40; i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == ' ' || c == '-' {
			b = append(b, c)
		}
	}
	return string(b)
}

// printableName returns a certificate's name without control characters or markup.
func printableName(s string) string {
	return strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f || r == '<' || r == '>' {
			return -1
		}
		return r
	}, s)
}
