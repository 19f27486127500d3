package certs

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"time"

	"github.com/gatehouse-idp/gatehouse"
)

// MaxUpload is the largest certificate file ParseUploaded accepts.
const MaxUpload = 64 << 10

// MinRSABits is the smallest RSA key an uploaded certificate may carry.
const MinRSABits = 2048

// uploadField is the input field named by ParseUploaded's errors.
const uploadField = "certificate"

// ParseUploaded checks a certificate uploaded by an administrator (for example a service provider's signing
// certificate) and returns it. It accepts one PEM CERTIFICATE block (LF or CRLF line endings), the bare base64 body
// of one, or DER. Every rejection is a *gatehouse.Error naming the field "certificate" with a message that says
// what is wrong: ETOOLARGE over MaxUpload, otherwise EINVALID for an empty file, garbage, federation metadata XML,
// a private key, several certificates, a certificate that has expired or is not yet valid at now, a key that is not
// RSA, or RSA shorter than MinRSABits. It never panics.
func ParseUploaded(data []byte, now time.Time) (*x509.Certificate, error) {
	if len(data) > MaxUpload {
		return nil, &gatehouse.Error{Code: gatehouse.ETOOLARGE, Field: uploadField,
			Message: "The certificate file is larger than 64 KiB; a certificate is a few KiB. Upload the Base64 certificate (.cer)."}
	}
	der, err := uploadedDER(data)
	if err != nil {
		return nil, err
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		if isPrivateKeyDER(der) {
			return nil, errPrivateKey()
		}
		return nil, invalid("The file is not a readable X.509 certificate. Upload the certificate as Base64 (.cer), PEM or DER.")
	}
	switch k := c.PublicKey.(type) {
	case *rsa.PublicKey:
		if n := k.N.BitLen(); n < MinRSABits {
			return nil, invalid("The certificate has a %d-bit RSA key; at least %d bits are required.", n, MinRSABits)
		}
	case *ecdsa.PublicKey:
		return nil, invalid("The certificate has an ECDSA key; Gatehouse needs an RSA key of at least %d bits.", MinRSABits)
	case ed25519.PublicKey:
		return nil, invalid("The certificate has an Ed25519 key; Gatehouse needs an RSA key of at least %d bits.", MinRSABits)
	default:
		return nil, invalid("The certificate's key type is not supported; Gatehouse needs an RSA key of at least %d bits.", MinRSABits)
	}
	if now.Before(c.NotBefore) {
		return nil, invalid("The certificate is not valid yet: it becomes valid on %s.", c.NotBefore.UTC().Format(time.RFC3339))
	}
	if now.After(c.NotAfter) {
		return nil, invalid("The certificate expired on %s; upload a current one.", c.NotAfter.UTC().Format(time.RFC3339))
	}
	return c, nil
}

func invalid(format string, args ...any) *gatehouse.Error {
	return gatehouse.FieldErrorf(uploadField, format, args...)
}

func errPrivateKey() *gatehouse.Error {
	return invalid("This is a private key; upload the certificate. Keep the private key secret: it never needs to be given to Gatehouse.")
}

// uploadedDER finds the DER bytes in an upload, or returns the reason there are none.
func uploadedDER(data []byte) ([]byte, error) {
	if len(data) > 0 && data[0] == 0x30 {
		// DER starts with a SEQUENCE tag; it is binary, so it is not trimmed like text.
		return data, nil
	}
	trimmed := bytes.TrimSpace(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")))
	switch {
	case len(trimmed) == 0:
		return nil, invalid("The certificate file is empty.")
	case trimmed[0] == '<':
		return nil, invalid("This looks like federation metadata XML; upload the Base64 certificate (.cer) instead.")
	case bytes.Contains(trimmed, []byte("-----BEGIN ")):
		return pemDER(trimmed)
	}
	if b, ok := bareBase64(trimmed); ok {
		return b, nil
	}
	return data, nil
}

// pemDER returns the DER of the one CERTIFICATE block in PEM data.
func pemDER(data []byte) ([]byte, error) {
	var der []byte
	certs := 0
	rest := data
	for range 64 {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		switch b.Type {
		case "CERTIFICATE", "X509 CERTIFICATE", "TRUSTED CERTIFICATE":
			certs++
			der = b.Bytes
		case "PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY", "ENCRYPTED PRIVATE KEY", "DSA PRIVATE KEY", "OPENSSH PRIVATE KEY":
			return nil, errPrivateKey()
		case "CERTIFICATE REQUEST", "NEW CERTIFICATE REQUEST":
			return nil, invalid("This is a certificate signing request, not a certificate; upload the certificate.")
		case "PUBLIC KEY", "RSA PUBLIC KEY":
			return nil, invalid("This is a bare public key; upload the certificate that contains it.")
		default:
			return nil, invalid("The PEM block %q is not a certificate; upload one CERTIFICATE block.", printable(b.Type))
		}
	}
	switch {
	case certs == 0:
		return nil, invalid("The PEM data is damaged: no complete BEGIN/END CERTIFICATE block could be read.")
	case certs > 1:
		return nil, invalid("The file holds %d certificates; upload exactly one.", certs)
	}
	return der, nil
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
